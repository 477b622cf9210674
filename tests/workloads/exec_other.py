"""Spins in python_part() for a while, then execs a program that is not
Python (sleep): the ticks after the exec are nothing to sample."""
import os
import time


def python_part(end):
    while time.perf_counter() < end:
        pass  # SPIN-python


python_part(time.perf_counter() + 0.5)
os.execv("/bin/sleep", ["sleep", "3"])
