"""A long-running target for --pid: prints 'ready' then spins until killed
or until its argument (seconds) passes."""
import sys
import time


def waiting_for_attach(end):
    while time.perf_counter() < end:
        pass  # SPIN-attach


print("ready", flush=True)
waiting_for_attach(time.perf_counter() + float(sys.argv[1] if len(sys.argv) > 1 else 5))
