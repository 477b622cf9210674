"""Starts a child Python process (the same interpreter invocation, passed in
CSPROF_TEST_PYTHON as a JSON argv prefix) and spins in both."""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def parent_spin(end):
    while time.perf_counter() < end:
        pass  # SPIN-parent


prefix = json.loads(os.environ.get("CSPROF_TEST_PYTHON", "null")) or [sys.executable]
child = subprocess.Popen(prefix + [os.path.join(HERE, "child.py")])
parent_spin(time.perf_counter() + 1.0)
sys.exit(child.wait())
