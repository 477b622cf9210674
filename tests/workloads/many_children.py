"""Starts N short children one after another (each exits at once), then one
child that keeps a CPU busy in busy_child() for SECONDS: a profiler that
never frees the slots of exited processes has no room left for it.

Usage: many_children.py N SECONDS
"""
import os
import sys
import time


def busy_child(end):
    while time.perf_counter() < end:
        pass  # SPIN-busy


def main(n, seconds):
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    pid = os.fork()
    if pid == 0:
        busy_child(time.perf_counter() + seconds)
        os._exit(0)
    os.waitpid(pid, 0)


main(int(sys.argv[1]), float(sys.argv[2]))
