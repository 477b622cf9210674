"""A third-party-looking package whose code lives in a pseudo-file, as
numpy 1.x's `<__array_function__ internals>`: written under a site-packages
directory in argv[1], then called."""
import os
import sys
import time

site = os.path.join(sys.argv[1], "site-packages")
pkg = os.path.join(site, "fakepkg")
os.makedirs(pkg, exist_ok=True)
with open(os.path.join(pkg, "__init__.py"), "w") as f:
    f.write("SRC = 'def spin(n):\\n    t = 0\\n    for i in range(n):\\n        t += i % 7\\n"
            "    return t\\n'\n"
            "exec(compile(SRC, '<fakepkg internals>', 'exec'), globals())\n")
sys.path.insert(0, site)
import fakepkg  # noqa: E402

end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    fakepkg.spin(20000)
