"""Threads that run one after another: each spins, then sleeps, then ends,
and the next starts. glibc hands a finished thread's struct pthread (its
pthread_t, which is all a thread state knows of its thread before 3.11) to
the next one. Prints each thread's OS tid."""
import threading
import time


def relay_spin(end):
    while time.perf_counter() < end:
        pass


def relay_nap(seconds):
    time.sleep(seconds)


def leg():
    print(threading.get_native_id(), flush=True)
    relay_spin(time.perf_counter() + 0.1)
    relay_nap(0.1)


for _ in range(12):
    t = threading.Thread(target=leg)
    t.start()
    t.join()
