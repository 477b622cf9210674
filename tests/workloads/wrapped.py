"""functools.wraps decorators: from 3.11 the wrapper frame is named by the
wrapped function's __qualname__, since the frame holds its function object."""
import functools
import sys


def timed(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):  # WRAPPER-line
        return f(*args, **kwargs)
    return wrapper


@timed
def crunch(n):
    t = 0
    for i in range(n):  # CRUNCH-line
        t += i * i % 7
    return t


seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
import time
end = time.monotonic() + seconds
while time.monotonic() < end:
    crunch(20000)
