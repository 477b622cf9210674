"""A turn on a shared CPU that tends to end at one line: this process and a
spinning one are pinned to one CPU (0 unless given), and the kernel, looking at the clock in
getrusage(), ends the turn there far more often than anywhere else. The
line takes ~1% of the CPU time; a thread read while waiting for its CPU
would put it at 10-40%."""
import os
import resource
import subprocess
import sys
import time


def clock_check():
    return resource.getrusage(resource.RUSAGE_SELF)


def compute(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def main(seconds, cpu):
    os.sched_setaffinity(0, {cpu})
    spinner = subprocess.Popen([sys.executable, "-c",
                                f"import os; os.sched_setaffinity(0, {{{cpu}}})\nwhile True: pass"])
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            compute(2000)
            clock_check()
    finally:
        spinner.kill()
        spinner.wait()


main(float(sys.argv[1]) if len(sys.argv) > 1 else 3, int(sys.argv[2]) if len(sys.argv) > 2 else 0)
