"""A local module of the BO validation script with work at import time
(a lookup table built once), scaled by BO_IMPORT for the "only an import
got slower" case."""
import os

import numpy as np

_SCALE = int(os.environ.get("BO_IMPORT", "1"))
_rng = np.random.default_rng(11)
_TABLE = np.zeros(4096)
for _ in range(400 * _SCALE):
    _TABLE += np.sort(_rng.standard_normal(4096)) * 1e-6


def offset(x):
    return float(_TABLE[0]) * 0.0 + 0.0 * x[:, 0]
