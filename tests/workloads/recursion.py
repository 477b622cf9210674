"""Recurses 1000 frames deep, then spins at the bottom."""
import sys
import time

sys.setrecursionlimit(5000)


def descend(n, end):
    if n == 0:
        while time.perf_counter() < end:
            pass  # SPIN-bottom
        return 0
    return descend(n - 1, end) + 1  # RECURSE


descend(999, time.perf_counter() + 1.0)
