"""Non-ASCII function and file names."""
import time


def heiß_grün_计算(end):
    while time.perf_counter() < end:
        pass  # SPIN-unicode


class Ünïcode:
    def méthode(self, end):
        heiß_grün_计算(end)


Ünïcode().méthode(time.perf_counter() + 1.0)
