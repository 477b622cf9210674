"""Runs N short-lived Python children, at most 4 at a time: half forked (no
exec), half started with subprocess (the interpreter argv prefix comes from
CSPROF_TEST_PYTHON, as for parent.py). Each burns 15-40 ms of CPU in
short_work() and exits. Prints the pids of the children, as JSON.

Usage: short_children.py N
"""
import json
import os
import subprocess
import sys
import time

PREFIX = json.loads(os.environ.get("CSPROF_TEST_PYTHON", "null")) or [sys.executable]


def short_work(ms):
    end = time.process_time() + ms / 1000.0
    while time.process_time() < end:
        pass  # SPIN-short


def start(i):
    ms = 15 + (i * 7) % 26
    if i % 2 == 0:
        pid = os.fork()
        if pid == 0:
            short_work(ms)
            os._exit(0)
        return pid, None
    p = subprocess.Popen(PREFIX + [os.path.abspath(__file__), "--child", str(ms)])
    return p.pid, p


def main(n):
    running, pids = [], []
    for i in range(n):
        while len(running) >= 4:
            pid, p = running.pop(0)
            if p:
                p.wait()
            else:
                os.waitpid(pid, 0)
        pid, p = start(i)
        pids.append(pid)
        running.append((pid, p))
    for pid, p in running:
        if p:
            p.wait()
        else:
            os.waitpid(pid, 0)
    print(json.dumps(pids))


if sys.argv[1] == "--child":
    short_work(int(sys.argv[2]))
else:
    main(int(sys.argv[1]))
