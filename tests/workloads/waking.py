"""Two threads asleep on an event while the main thread computes, then
woken to compute while the main thread waits for them: a sampler that
leaves sleeping threads unread must see them again once they run."""
import threading
import time


def spin_until(end):
    x = 0
    while time.perf_counter() < end:
        x += 1
    return x


def worker(ev, seconds):
    ev.wait()
    spin_until(time.perf_counter() + seconds)  # WORKER-spins


def main_work(seconds):
    spin_until(time.perf_counter() + seconds)  # MAIN-spins


ev = threading.Event()
workers = [threading.Thread(target=worker, args=(ev, 0.6), name=f"worker{i}") for i in range(2)]
for t in workers:
    t.start()
main_work(0.6)
ev.set()
for t in workers:
    t.join()
print("waking done")
