"""One long C call after another (a builtin sum over a range, ~0.1 s each)
for a given time: the thread runs without moving its Python frame, so a
sampler cannot see from that frame whether it is on a CPU.

Usage: c_calls.py SECONDS
"""
import sys
import time


def c_calls(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        sum(range(10 ** 7))  # C-CALL


c_calls(float(sys.argv[1]))
