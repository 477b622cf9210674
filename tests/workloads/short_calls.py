"""Calls shorter than one read of csprof: a caller, a middle function and a
leaf, each call a few hundred nanoseconds, for a given time.

Usage: short_calls.py SECONDS

The only calls are run -> middle, run -> leaf and middle -> leaf: any other
pair in a sampled stack (leaf -> leaf, say) is a stack that changed under
the read. Nearly all the time is the leaf's loop (tests/bench/callbias.py
measures how a sampler splits it).
"""
import sys
import time


def leaf(x):
    for _ in range(8):
        x += 1
    return x


def middle(x):
    return leaf(x) * 2


def run(until):
    t = 0
    while time.perf_counter() < until:
        for i in range(1000):
            t += middle(i) - leaf(i)
    return t


run(time.perf_counter() + float(sys.argv[1]))
