"""--subprocesses follows every Python process, however many and however
short-lived: exited processes free their slot, children are found within
milliseconds, a process is labelled with the command line it execs, and an
exec into another program is not counted as lost samples."""
import json
import os
import unittest

from common import WORKLOADS, Profile, TempDirTest, run_csprof
import pythons


def workload(name):
    return os.path.join(WORKLOADS, name)


def sampled_children(test, r, p):
    """The pids of short_children.py's children with a sample in short_work
    (each stack's root frame is "process PID (command)"), checked to be
    among the pids it printed."""
    children = set(json.loads(r.stdout.strip().splitlines()[-1]))
    sampled = set()
    for s in p.stacks:
        if any(p.frames[i]["function"] == "short_work" for i in s["frames"]):
            sampled.add(int(p.frames[s["frames"][0]]["function"].split()[1]))
    test.assertLessEqual(sampled, children)
    return sampled


class ProcessesMixin:
    interp = None

    def setUp(self):
        super().setUp()
        if self.interp.skip_reason:
            self.skipTest(f"{self.interp.label}: {self.interp.skip_reason}")

    def record(self, script, *args, opts=("--subprocesses",)):
        out = os.path.join(self.tmp, "out")
        env = dict(self.interp.env or {})
        env["CSPROF_TEST_PYTHON"] = json.dumps(list(self.interp.argv))
        r = run_csprof(["record", "-q", "-o", out, "-n", "p", "-f", "json", *opts, "--",
                        *self.interp.argv, workload(script), *args], env=env, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r, Profile(os.path.join(out, "p.json"))

    def test_busy_child_after_300_short_ones(self):
        _, p = self.record("many_children.py", "300", "3")
        # ~3000 samples at 1000 Hz if all goes well; far more than 0.
        self.assertGreater(p.samples_in("busy_child"), 1000)
        self.assertEqual(p.data["samples"]["unsampled_processes"], 0)

    def test_short_lived_children_are_sampled(self):
        r, p = self.record("short_children.py", "200")
        sampled = sampled_children(self, r, p)
        self.assertGreaterEqual(len(sampled), 195,
                                f"only {len(sampled)} of 200 short children sampled")
        # Each spawned child is labelled with its own command line, not its parent's.
        procs = {pr["pid"]: pr["command"] for pr in p.data["processes"]}
        spawned = [pid for pid in sampled if "--child" in procs.get(pid, "")]
        self.assertGreater(len(spawned), 80)

    def test_exec_into_another_program(self):
        _, p = self.record("exec_other.py", opts=())
        self.assertGreater(p.samples_in("python_part"), 200)
        s = p.data["samples"]
        # Stacks read while the exec tears the old image down, before /proc
        # shows the new one, can fail: they are counted as dropped (honestly),
        # and seen 0-3 times per run here: at most 1 in 20 of the stacks read.
        self.assertLessEqual(s["dropped"] * 20, s["taken"] + s["dropped"], s)
        # The 3 s sleep after the exec is not Python: no tick was owed to it
        # (0.5 s of Python, plus its start-up, at 1000 Hz: taken or missed).
        self.assertLess(s["ticks"] + s["missed"], 2000, s)


class NativeChildren(TempDirTest):
    """--native with --subprocesses: every child's libpython and libc are
    read once per run (objfile.h), not per child. Rebuilt for each child,
    their symbol tables took ~4.7 ms of CPU per child, and 25% of 200 short
    children went unsampled at --native's 100 Hz (145-157 of 200 in three
    runs; 190-195 since). At 100 Hz a 15 ms child is owed ~1.5 samples, so a
    few are missed by chance alone."""
    interp = next(i for i in pythons.all_interpreters() if i.label == "pyenv-3.12")
    record = ProcessesMixin.record

    def setUp(self):
        super().setUp()
        if self.interp.skip_reason:
            self.skipTest(f"{self.interp.label}: {self.interp.skip_reason}")

    def test_short_lived_children_are_sampled(self):
        r, p = self.record("short_children.py", "200", opts=("--subprocesses", "--native"))
        self.assertTrue(p.data["native"])
        sampled = sampled_children(self, r, p)
        self.assertGreaterEqual(len(sampled), 175,
                                f"only {len(sampled)} of 200 short children sampled")


def _make_classes():
    for interp in pythons.all_interpreters():
        name = "TestProcesses_" + "".join(c if c.isalnum() else "_" for c in interp.label)
        globals()[name] = type(name, (ProcessesMixin, TempDirTest), {"interp": interp})


_make_classes()

if __name__ == "__main__":
    unittest.main()
