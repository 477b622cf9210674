"""A busy main thread beside N Python threads asleep on an event, for a
given time: what a sampler pays per tick for threads that only wait (a
thread pool's idle workers).

Usage: idle_threads.py N SECONDS
"""
import sys
import threading
import time


def main():
    n, seconds = int(sys.argv[1]), float(sys.argv[2])
    ev = threading.Event()
    sleepers = [threading.Thread(target=ev.wait) for _ in range(n)]
    for t in sleepers:
        t.start()
    end = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < end:
        for i in range(1000):
            x += i
    ev.set()
    for t in sleepers:
        t.join()


main()
