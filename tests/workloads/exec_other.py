"""Spins in python_part() for a while, then execs a program that is not
Python (sleep): the ticks after the exec are nothing to sample."""
import os
import time


def python_part(end):
    # Half a second of CPU time, not of wall time: on a busy machine the
    # samples (one per interval of CPU time) are still ~500.
    while time.thread_time() < end:
        pass  # SPIN-python


python_part(time.thread_time() + 0.5)
os.execv("/bin/sleep", ["sleep", "3"])
