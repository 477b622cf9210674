"""Mostly asleep: for --idle."""
import time


def busy(end):
    while time.perf_counter() < end:
        pass  # SPIN-busy


def nap():
    time.sleep(0.6)  # SLEEP


busy(time.perf_counter() + 0.4)
nap()
