"""Fixed CPU work at a fixed stack depth, timed by the script itself.

Usage: deep_work.py DEPTH UNITS  -> prints the seconds the work took.
The work is a fixed count of iterations (not a time budget), so a slower
run means the target was slowed down.
"""
import sys
import time


def work(units):
    x = 0
    for _ in range(units):
        for i in range(10000):
            x += i * i
    return x


def nest(depth, units):
    if depth <= 1:
        return work(units)
    return nest(depth - 1, units)


def main():
    depth, units = int(sys.argv[1]), int(sys.argv[2])
    t0 = time.perf_counter()
    nest(depth, units)
    print(f"{time.perf_counter() - t0:.6f}")


main()
