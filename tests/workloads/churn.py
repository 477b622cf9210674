"""A thread per task: 600 threads started one after another, each spinning
3 ms, then sleeping 3 ms. Prints how many files its parent (csprof, which
started it) holds open at the end."""
import os
import threading
import time


def churn_spin(end):
    while time.perf_counter() < end:
        pass


def churn_nap(seconds):
    time.sleep(seconds)


def task():
    churn_spin(time.perf_counter() + 0.003)
    churn_nap(0.003)


for _ in range(600):
    t = threading.Thread(target=task)
    t.start()
    t.join()
print(len(os.listdir(f"/proc/{os.getppid()}/fd")), flush=True)
