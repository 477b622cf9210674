"""The calibrated 60/30/10 workload run DEPTH frames deep, for torn-stack and
cost checks at depth.

Usage: deep_calibrated.py SECONDS DEPTH
Each slice recurses from main down to the leaf and back up again, so frames
are freed and reused all the time (the free lists of 3.8-3.10 hand the same
addresses out in a new order). Every true stack is
    <module> > main > descend x (DEPTH - 3) > alpha|beta|gamma
(DEPTH frames) or a prefix of it, each caller at the one line that calls its
callee: tests/test_torn.py checks every sample against that. Prints the
seconds spent in each leaf, as JSON. It imports nothing but sys and
time, so no start-up stack is deeper than the program's own.
"""
import sys
import time

SLICE = 0.010
sys.setrecursionlimit(10000)


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


def descend(n, which, deadline):
    if n > 0:
        return descend(n - 1, which, deadline)  # CALL-descend
    if which == 0:
        return alpha(deadline)  # CALL-alpha
    if which == 1:
        return beta(deadline)  # CALL-beta
    return gamma(deadline)  # CALL-gamma


def main(total, depth):
    spent = [0.0, 0.0, 0.0]
    end = time.perf_counter() + total
    while time.perf_counter() < end:
        for which, share in ((0, 6), (1, 3), (2, 1)):
            c0 = time.thread_time()   # CPU time: what a CPU profile measures
            descend(depth - 4, which, time.perf_counter() + share * SLICE)  # CALL-main
            spent[which] += time.thread_time() - c0
    # JSON by hand: importing json would add deeper start-up stacks.
    print("{" + ", ".join(f'"{n}": {s!r}' for n, s in zip(("alpha", "beta", "gamma"), spent)) + "}")


main(float(sys.argv[1]), int(sys.argv[2]))  # CALL-module
