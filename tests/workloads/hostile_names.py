"""A function whose name tries everything to break out of Markdown: a run
of backticks longer than any fixed fence and one of exactly 7 (the old cap), HTML, a link, a table pipe, a
newline, and multi-byte characters past every cut length. It spins for
about half a second (argv[1] seconds), so it is the hottest function."""
import sys
import time

NAME = ("evil" + "`" * 10 + "<img src=x onerror=alert(1)>" + "`" * 7 + "|" + "[click](https://e.example/x)"
        + "\n## heading" + "é" * 40 + "名" * 40)


def spin(seconds):
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
    return n


spin.__code__ = spin.__code__.replace(co_name=NAME, co_qualname=NAME)
# From 3.11 csprof names a frame by its function object's __qualname__: the
# hostile name must arrive through that path too.
spin.__qualname__ = NAME
spin(float(sys.argv[1]) if len(sys.argv) > 1 else 0.5)
