"""Shared helpers for the integration tests."""
import json
import os
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = os.path.join(ROOT, "tests", "workloads")


def csprof_bin():
    """The binary under test: $CSPROF_BIN, else the static build."""
    path = os.environ.get("CSPROF_BIN") or os.path.join(ROOT, "build", "csprof")
    if not os.path.exists(path):
        raise unittest.SkipTest(f"{path} is not built (run make)")
    return path


def wrapper():
    """Optional command prefix for the binary, e.g. valgrind (CSPROF_WRAPPER)."""
    w = os.environ.get("CSPROF_WRAPPER", "")
    return w.split() if w else []


def run_csprof(args, timeout=120, env=None, **kw):
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run(wrapper() + [csprof_bin()] + args, capture_output=True, text=True,
                          timeout=timeout, env=full_env, **kw)


class Profile:
    """A loaded profile JSON with the aggregations the tests assert on."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.data = json.load(f)
        self.frames = self.data["frames"]
        self.stacks = self.data["stacks"]
        self.total = sum(s["count"] for s in self.stacks)

    def leaf(self, stack):
        for i in reversed(stack["frames"]):
            if self.frames[i]["kind"] in ("python", "native"):
                return self.frames[i]
        return None

    def self_share(self, function, lines=None):
        """Percent of samples whose leaf is `function` (at one of `lines`)."""
        n = 0
        for s in self.stacks:
            f = self.leaf(s)
            if f and f["function"] == function and (lines is None or f["line"] in lines):
                n += s["count"]
        return 100.0 * n / self.total if self.total else 0.0

    def samples_in(self, function):
        return sum(s["count"] for s in self.stacks
                   if any(self.frames[i]["function"] == function for i in s["frames"]))

    def functions(self):
        return {f["function"] for f in self.frames}


def assert_wall_line_of_unchanged_run(test, wall):
    """The verdict's wall-time line for an unchanged run: within the usual
    spread, or outside it with the reason it is not counted (faster; the CPU
    time stayed within its spread; the runner was busier than usual; less
    than the regression threshold over the usual median)."""
    if "within the usual spread" in wall:
        return
    print(f"\n  note: unchanged run outside the wall-time spread on this machine: {wall}")
    reasons = ("below the usual spread", "CPU time stayed within its usual spread",
               "the runner was busier than usual", "regression threshold over its usual median: not counted")
    test.assertTrue(any(r in wall for r in reasons), wall)


def assert_slower_machine_verdict(test, diff):
    """An unchanged run judged "wall and CPU time up" (diff: the diff JSON):
    only right when its own figures show both above their usual spread. The
    script's code did not change, and its history ran under the same csprof,
    so its CPU time going up is a slower machine. (A control run of the
    script without csprof, timed after, cannot tell: this VM's speed moves
    by a third within seconds, 0.74 s -> 0.48 s for the same script in one
    CI-style run.)"""
    for k in ("wall", "cpu_seconds"):
        test.assertTrue(diff[k]["by_history"], k)
        test.assertEqual(diff[k]["level"], "above", f"{k}: {diff[k]}")
        test.assertGreater(diff[k]["new"], diff[k]["usual"][1], f"{k}: {diff[k]}")


def line_of(path, marker):
    """Line number of the line containing marker (e.g. '# SPIN-alpha')."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if marker in line:
                return n
    raise AssertionError(f"{marker} not in {path}")


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="csprof-test-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()
