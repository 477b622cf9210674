"""Pure-Python CPU work for a given time, in one of two shapes that a
sampler's reader must see as running without asking the kernel.

Usage: busy_calls.py calls|loop SECONDS
  calls: small functions called and returned every few hundred ns (the
         leaf frame is rarely the same at two samples);
  loop:  one tight loop in one leaf frame (the same few instructions).
"""
import sys
import time


def leaf(x):
    return x + 1


def middle(x):
    return leaf(x) * 2


def calls(until):
    t = 0
    while time.perf_counter() < until:
        for i in range(1000):
            t += middle(i) - leaf(i)
    return t


def loop(until):
    x = 0
    while time.perf_counter() < until:
        for i in range(10000):
            x += i * i
    return x


def main():
    shape, seconds = sys.argv[1], float(sys.argv[2])
    {"calls": calls, "loop": loop}[shape](time.perf_counter() + seconds)


main()
