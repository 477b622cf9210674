"""Spins, then kills itself with SIGKILL."""
import os
import signal
import time


def doomed(end):
    while time.perf_counter() < end:
        pass  # SPIN-doomed


doomed(time.perf_counter() + 0.6)
os.kill(os.getpid(), signal.SIGKILL)
