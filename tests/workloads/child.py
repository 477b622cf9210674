"""Child process of parent.py."""
import time


def child_spin(end):
    while time.perf_counter() < end:
        pass  # SPIN-child


child_spin(time.perf_counter() + 1.0)
