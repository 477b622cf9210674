"""--native workload: time spent in C under known Python callers.

    native_hotspots.py SECONDS

- sort_with_qsort: libc's qsort (through ctypes) calling compare_ints, a
  Python callback, so C sits between two Python frames;
- compress_blob: zlib.compress, time in libz's deflate under a Python frame;
- sort_big_list: sorted() of a big list, time in the interpreter's own C
  (list_sort), with no Python below it.

Runs until its thread has used SECONDS of CPU (or 4 x SECONDS of wall time, or
until SIGTERM) and prints how many rounds it did. CPU, not wall time: the
sampler samples a thread while it runs, so a machine busy with something
else must not leave a test with a third of the samples it counts on (seen
once: 48 samples in 3.2 s where 300 were due).
"""
import ctypes
import ctypes.util
import random
import signal
import sys
import time
import zlib

libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.qsort.restype = None
COMPARE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


def compare_ints(a, b):
    x = ctypes.c_int.from_address(a).value
    y = ctypes.c_int.from_address(b).value
    return (x > y) - (x < y)


compare = COMPARE(compare_ints)


def sort_with_qsort(values):
    arr = (ctypes.c_int * len(values))(*values)
    libc.qsort(arr, len(values), ctypes.sizeof(ctypes.c_int), compare)
    return arr[0]


def compress_blob(blob):
    return len(zlib.compress(blob, 9))


def sort_big_list(items):
    return sorted(items)[0]


stop = False


def on_term(signum, frame):
    global stop
    stop = True


def main(seconds):
    rng = random.Random(7)
    small = [rng.randrange(1 << 30) for _ in range(3000)]
    big = [rng.randrange(1 << 30) for _ in range(100000)]
    # Low-entropy bytes: deflate works hard on them, unlike on random ones.
    raw = rng.getrandbits(8 << 19).to_bytes(1 << 19, "little")
    blob = raw.translate(bytes(b & 0x0F for b in range(256)))
    end = time.monotonic() + 4 * seconds
    cpu_end = time.thread_time() + seconds
    rounds = 0
    while not stop and time.thread_time() < cpu_end and time.monotonic() < end:
        sort_with_qsort(small)
        sort_with_qsort(small)
        compress_blob(blob)
        sort_big_list(big)
        rounds += 1
    return rounds


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_term)
    print(main(float(sys.argv[1])), flush=True)
