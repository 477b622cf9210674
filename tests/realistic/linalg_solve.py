"""Validation: ridge regression through the normal equations (numpy), a
block assembly of the design matrix, and a hyper-parameter search with
SciPy's L-BFGS-B. The planted hotspot is the solve in solve_ridge."""
import time

T0 = time.perf_counter()
import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402
import scipy.optimize  # noqa: E402

from calibration import Calibration  # noqa: E402

CAL = Calibration(T0)
IMPORTED = time.perf_counter()


def make_blocks(rng, nblocks, rows, cols):
    return [rng.standard_normal((rows, cols)) for _ in range(nblocks)]


def assemble(blocks, deadline):
    """Builds the design matrix from its blocks, again and again as a
    streaming fit would."""
    X = None
    while time.perf_counter() < deadline:
        X = np.concatenate(blocks, axis=0)  # CONCAT
    return X


def solve_ridge(X, y, lam, deadline):
    gram = X.T @ X
    rhs = X.T @ y
    eye = np.eye(gram.shape[0])
    w = None
    while time.perf_counter() < deadline:
        t = time.perf_counter()
        w = np.linalg.solve(gram + lam * eye, rhs)  # PLANTED
        CAL.planted += time.perf_counter() - t
    return w


def tune(x0):
    res = scipy.optimize.minimize(scipy.optimize.rosen, x0, jac=scipy.optimize.rosen_der,
                                  method="L-BFGS-B")
    return res.x


def main():
    rng = np.random.default_rng(7)
    budget = CAL.budget(IMPORTED, 1.5)
    blocks = make_blocks(rng, 40, 200, 120)
    X = assemble(blocks, time.perf_counter() + 0.3 * budget)
    y = X @ rng.standard_normal(X.shape[1]) + 0.1 * rng.standard_normal(X.shape[0])
    w = solve_ridge(X, y, 0.5, time.perf_counter() + budget)
    chol = scipy.linalg.cho_factor(X.T @ X + np.eye(X.shape[1]))
    w2 = scipy.linalg.cho_solve(chol, X.T @ y)
    assert np.allclose(w, w2, atol=1e-1)
    assert np.allclose(tune(np.zeros(6)), 1.0, atol=1e-3)
    CAL.write("linalg_solve")


main()
