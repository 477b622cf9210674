"""Validation: a Bayesian-optimisation loop as teams run it in CI. A
Gaussian-process surrogate (scikit-learn) is refitted on each new point,
and the expected-improvement acquisition is maximised by a multistart
loop around SciPy's L-BFGS-B, whose objective is a function of the
user's (called back by SciPy). numpy throughout. Fixed work, no clocks:
two runs of unchanged code do the same work.

Knobs, from the environment so the script line stays the same:
  BO_STARTS=30   the acquisition optimiser's multistart loop runs 30 starts
                 instead of 10 (one user function does 3x the work)
  BO_SCORE=3     score_candidates() calls the GP's predict 3x as often (a
                 library function called more by one user function)
  BO_IMPORT=20   bo_tables' import does 20x the work (only an import)
"""
import os
import warnings

import numpy as np
from scipy.optimize import minimize
from scipy.stats import norm
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

import bo_tables

BOUNDS = [(-1.0, 1.0), (-1.0, 1.0)]
NOISE = np.random.default_rng(5)
warnings.filterwarnings("ignore", category=ConvergenceWarning)


def objective(x):
    """The expensive experiment being tuned (cheap here)."""
    x = np.atleast_2d(x)
    clean = np.sin(3 * x[:, 0]) + 0.5 * np.cos(5 * x[:, 1]) + bo_tables.offset(x)
    return clean + 0.05 * NOISE.standard_normal(len(x))


def fit_surrogate(X, y):
    kernel = ConstantKernel(1.0) * RBF([0.5, 0.5]) + WhiteKernel(1e-2, (1e-5, 1e-1))
    gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True, random_state=0)
    return gp.fit(X, y)


def negative_ei(x, gp, best):
    mean, std = gp.predict(x.reshape(1, -1), return_std=True)
    z = (best - mean) / np.maximum(std, 1e-9)
    return -float(((best - mean) * norm.cdf(z) + std * norm.pdf(z))[0])


def optimise_acquisition(gp, best, rng, starts):
    chosen, value = None, np.inf
    for _ in range(starts):
        x0 = rng.uniform(-1, 1, size=2)
        res = minimize(negative_ei, x0, args=(gp, best), method="L-BFGS-B", bounds=BOUNDS,
                       options={"maxiter": 15})
        if res.fun < value:
            chosen, value = res.x, res.fun
    return chosen


def score_candidates(gp, rng, repeats):
    """Ranks random candidates by the GP's mean, as a sanity check."""
    top = 0.0
    for _ in range(repeats):
        cand = rng.uniform(-1, 1, size=(400, 2))
        top = max(top, float(np.max(gp.predict(cand))))
    return top


def main():
    starts = int(os.environ.get("BO_STARTS", "10"))
    repeats = 40 * int(os.environ.get("BO_SCORE", "1"))
    rng = np.random.default_rng(7)
    X = rng.uniform(-1, 1, size=(40, 2))
    y = objective(X)
    for _ in range(20):
        gp = fit_surrogate(X, y)
        x_next = optimise_acquisition(gp, y.min(), rng, starts)
        score_candidates(gp, rng, repeats)
        X = np.vstack([X, x_next])
        y = np.append(y, objective(x_next))
    print(f"best {y.min():.4f} after {len(y)} evaluations")


main()
