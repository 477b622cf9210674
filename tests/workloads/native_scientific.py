"""--native workload: scientific Python, the C beneath it known by construction.

    native_scientific.py SECONDS [numpy|torch]
    native_scientific.py --rounds N [numpy|torch]

numpy (the default), with Debian's python3-numpy and python3-scipy:
- factor: numpy.linalg.cholesky of an SPD matrix, so LAPACK's dpotrf_ and
  BLAS's dtrsm_/dgemm_ run beneath numpy's `cholesky`;
- solve: scipy.linalg.cho_solve (LAPACK dpotrs_);
- elementwise: numpy ufuncs on big arrays, time in numpy's own C, whose
  functions Debian's stripped extension does not name;
- attributes: a pure-Python loop over objects, time in the interpreter's C
  (attribute lookup, arithmetic, the eval loop);
- fit: scipy.optimize.minimize with L-BFGS-B (Fortran) on a small problem.

torch: a small linear layer's forward and backward passes with
python3-torch, whose C++ (at::...) runs beneath the Python frames.

Runs until its main thread has used SECONDS of CPU (or 4 x SECONDS of wall
time, or until SIGTERM: a busy machine must not leave a test with a third
of its samples) and prints how many rounds it did; with
--rounds, does N rounds and prints the seconds they took (imports and set-up
excluded), for tests/bench/native_overhead.py.
"""
import signal
import sys
import time

import numpy as np

stop = False


def on_term(signum, frame):
    global stop
    stop = True


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


def factor(m):
    return np.linalg.cholesky(m)


def solve(c, b):
    import scipy.linalg
    return scipy.linalg.cho_solve((c, True), b)


def elementwise(x):
    return float((np.tanh(x) * 2.0 + np.sqrt(np.abs(x))).sum())


def attributes(points):
    total = 0.0
    for p in points:
        total += p.x * p.y - p.y
    return total


def fit(x0):
    import scipy.optimize
    return scipy.optimize.minimize(scipy.optimize.rosen, x0, jac=scipy.optimize.rosen_der,
                                   method="L-BFGS-B").fun


def numpy_round(state):
    m, b, x, points, x0 = state
    c = factor(m)
    solve(c, b)
    elementwise(x)
    attributes(points)
    fit(x0)


def numpy_state():
    import scipy.linalg   # noqa: F401  (imported before the clock starts)
    import scipy.optimize   # noqa: F401
    rng = np.random.default_rng(7)
    a = rng.standard_normal((400, 400))
    m = a @ a.T + 400 * np.eye(400)
    return (m, rng.standard_normal(400), rng.standard_normal(400_000),
            [Point(float(i), float(i % 7)) for i in range(40_000)], np.full(20, 1.3))


def forward_backward(net, x, target):
    import torch
    net.zero_grad()
    loss = torch.nn.functional.mse_loss(net(x), target)
    loss.backward()
    return float(loss)


def torch_round(state):
    net, x, target = state
    forward_backward(net, x, target)


def torch_state():
    import torch
    torch.manual_seed(7)
    torch.set_num_threads(1)
    net = torch.nn.Sequential(torch.nn.Linear(256, 256), torch.nn.ReLU(),
                              torch.nn.Linear(256, 64))
    return net, torch.randn(512, 256), torch.randn(512, 64)


def main(argv):
    fixed = argv[0] == "--rounds"
    if fixed:
        argv = argv[1:]
    mode = argv[1] if len(argv) > 1 else "numpy"
    state = torch_state() if mode == "torch" else numpy_state()
    one_round = torch_round if mode == "torch" else numpy_round
    start = time.perf_counter()
    if fixed:
        for _ in range(int(argv[0])):
            one_round(state)
        return f"{time.perf_counter() - start:.6f}"
    end = time.monotonic() + 4 * float(argv[0])
    cpu_end = time.thread_time() + float(argv[0])
    rounds = 0
    while not stop and time.thread_time() < cpu_end and time.monotonic() < end:
        one_round(state)
        rounds += 1
    return rounds


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_term)
    print(main(sys.argv[1:]), flush=True)
