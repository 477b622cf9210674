"""Four threads burn CPU in parallel, each in its own function, from one
start (a barrier) to one deadline, while the main thread waits in join().

Every worker is running (or runnable) for the same wall time, so on a
free-threaded build each one's share of the samples is 25% by construction,
and every tick finds all four running. Thread names are set so that 3.14+
shows them as the OS thread names. Prints "ran N s" when done, then each
worker's own CPU time as JSON ({"burn_north": seconds, ...}): the kernel
shares two CPUs among four threads fairly over seconds, not exactly.
"""
import json
import sys
import threading
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
start = threading.Barrier(5)
deadline = 0.0
cpu = {}


def burn_north():
    x = 0
    while time.monotonic() < deadline:
        x += 1  # SPIN-north
    return x


def burn_east():
    x = 0
    while time.monotonic() < deadline:
        x += 1  # SPIN-east
    return x


def burn_south():
    x = 0
    while time.monotonic() < deadline:
        x += 1  # SPIN-south
    return x


def burn_west():
    x = 0
    while time.monotonic() < deadline:
        x += 1  # SPIN-west
    return x


def worker(fn):
    start.wait()
    fn()
    cpu[fn.__name__] = time.thread_time()


def main():
    global deadline
    threads = [threading.Thread(target=worker, args=(fn,), name=fn.__name__.replace("burn_", "w-"))
               for fn in (burn_north, burn_east, burn_south, burn_west)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + DURATION  # set before the barrier lets them go
    start.wait()
    for t in threads:
        t.join()
    print(f"ran {DURATION} s")
    print(json.dumps(cpu))


if __name__ == "__main__":
    main()
