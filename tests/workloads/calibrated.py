"""Calibrated workload: three CPU-bound functions in a known time ratio.

Each function spins on one line until its time slice is used, so the profile
must attribute ~60% / ~30% / ~10% of samples to them, at the SPIN lines.
The script prints the CPU time it measured itself in each, as JSON, on stdout.
"""
import json
import sys
import time

SLICE = 0.010  # seconds per round: 6 slices alpha, 3 beta, 1 gamma


def alpha(deadline):
    x = 0
    while time.perf_counter() < deadline:
        x += 1  # SPIN-alpha
    return x


def beta(deadline):
    x = 0
    while time.perf_counter() < deadline:
        x += 1  # SPIN-beta
    return x


def gamma(deadline):
    x = 0
    while time.perf_counter() < deadline:
        x += 1  # SPIN-gamma
    return x


def main(total):
    spent = {"alpha": 0.0, "beta": 0.0, "gamma": 0.0}
    end = time.perf_counter() + total
    while time.perf_counter() < end:
        for fn, share in ((alpha, 6), (beta, 3), (gamma, 1)):
            # Each spins for a slice of wall time; what it got of the CPU
            # (the truth a CPU profile is judged against: on a busy machine
            # the two differ) is the thread's own CPU clock.
            c0 = time.thread_time()
            fn(time.perf_counter() + share * SLICE)
            spent[fn.__name__] += time.thread_time() - c0
    json.dump(spent, sys.stdout)
    print()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 2.0)
