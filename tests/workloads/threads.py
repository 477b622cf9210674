"""Three named threads, each spinning in its own function."""
import threading
import time


def spin_red(end):
    while time.perf_counter() < end:
        pass  # SPIN-red


def spin_green(end):
    while time.perf_counter() < end:
        pass  # SPIN-green


def spin_blue(end):
    while time.perf_counter() < end:
        pass  # SPIN-blue


end = time.perf_counter() + 1.5
threads = [threading.Thread(target=f, args=(end,), name=f.__name__)
           for f in (spin_red, spin_green, spin_blue)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("threads done")
