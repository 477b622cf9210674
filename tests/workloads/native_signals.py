"""Sends itself real-time signals in a loop and counts their delivery, for
the --native signal test.

A thread stopped by csprof right as the kernel hands it a signal reports a
signal-delivery stop; csprof must give the signal back when it lets the
thread go, or the signal is lost. Signalling itself keeps the thread in
the kernel's delivery path most of the time, so such stops happen often.

Each delivered SIGRTMIN makes CPython's C-level handler write one byte to
the wakeup fd (real-time signals queue instead of merging, and the
Python-level handler may run once for several of them, so the bytes are
what is counted). Stops on SIGTERM and prints "SENT RECEIVED".
"""
import fcntl
import os
import signal
import zlib

r, w = os.pipe()
for fd in (r, w):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
signal.set_wakeup_fd(w, warn_on_full_buffer=False)
signal.signal(signal.SIGRTMIN, lambda s, f: None)
stop = False


def on_term(signum, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
sent = received = 0
blob = bytes(range(256)) * 16
me = os.getpid()


def drain():
    global received
    while True:
        try:
            data = os.read(r, 4096)
        except BlockingIOError:
            return
        received += data.count(int(signal.SIGRTMIN))


print("ready", flush=True)
while not stop:
    for _ in range(100):
        os.kill(me, signal.SIGRTMIN)
        sent += 1
    zlib.compress(blob, 6)
    drain()
drain()
print(sent, received, flush=True)
