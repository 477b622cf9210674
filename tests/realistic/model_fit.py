"""Validation: a Gaussian-process surrogate (scikit-learn, parameters
validated by fit) refitted as points arrive, as a Bayesian-optimisation
loop does. The planted hotspot is the refit in update_surrogate."""
import time

T0 = time.perf_counter()
import numpy as np  # noqa: E402
from sklearn.gaussian_process import GaussianProcessRegressor  # noqa: E402
from sklearn.gaussian_process.kernels import RBF, WhiteKernel  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from calibration import Calibration  # noqa: E402

CAL = Calibration(T0)
IMPORTED = time.perf_counter()


def objective(x):
    return np.sin(3 * x[:, 0]) + 0.5 * np.cos(5 * x[:, 1])


def update_surrogate(gp, X, y, deadline):
    while time.perf_counter() < deadline:
        t = time.perf_counter()
        gp.fit(X, y)  # PLANTED
        CAL.planted += time.perf_counter() - t
    return gp


def propose(gp, rng, n):
    cand = rng.uniform(-1, 1, size=(n, 2))
    mean, std = gp.predict(cand, return_std=True)
    return cand[np.argmax(mean + 1.96 * std)]


def main():
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(120, 2))
    y = objective(X) + 0.05 * rng.standard_normal(len(X))
    Xs = StandardScaler().fit_transform(X)
    kernel = 1.0 * RBF(length_scale=[1.0, 1.0]) + WhiteKernel(1e-2, noise_level_bounds=(1e-6, 1.0))
    gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True, n_restarts_optimizer=0,
                                  random_state=0)
    gp = update_surrogate(gp, Xs, y, time.perf_counter() + CAL.budget(IMPORTED, 1.5))
    best = propose(gp, rng, 2000)
    assert best.shape == (2,)
    CAL.write("model_fit")


main()
