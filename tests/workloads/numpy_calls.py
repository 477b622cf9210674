"""numpy 1.x wraps its API in generated `public_api` functions that share
one code object location; each must show under its own name."""
import time
import numpy as np

a = np.ones((40, 40))
end = time.monotonic() + 1.5
while time.monotonic() < end:
    for _ in range(200):
        np.concatenate([a, a])
        np.dot(a, a)
