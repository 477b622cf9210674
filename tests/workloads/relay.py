"""Threads that run one after another: each spins, then sleeps, then ends,
and the next starts (a program that starts a thread per task). glibc hands
a finished thread's struct pthread (its pthread_t, which is all a thread
state knows of its thread before 3.11) to the next one.

    relay.py [THREADS SPIN NAP]     (default: 12 threads, 0.1 s, 0.1 s)

Prints each thread's OS tid, then "files N": how many files its parent
(csprof, which started it) holds open at the end."""
import os
import sys
import threading
import time


def relay_spin(end):
    while time.perf_counter() < end:
        pass


def relay_nap(seconds):
    time.sleep(seconds)


threads, spin, nap = 12, 0.1, 0.1
if len(sys.argv) > 3:
    threads, spin, nap = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])


def leg():
    print(threading.get_native_id(), flush=True)
    relay_spin(time.perf_counter() + spin)
    relay_nap(nap)


for _ in range(threads):
    t = threading.Thread(target=leg)
    t.start()
    t.join()
print("files", len(os.listdir(f"/proc/{os.getppid()}/fd")), flush=True)
