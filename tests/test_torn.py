"""No impossible stacks: every sample of a deep workload whose frames are
freed and reused all the time must be a stack the program really had.

tests/workloads/deep_calibrated.py has exactly one true stack shape (see its
docstring); before 3.11 frames are heap objects read one by one while the
target runs, so a chain torn by the target must be detected and dropped
(counted), never written. Checked at depths 30, 100 and 300 on 3.8-3.10, and
at 300 on every other interpreter.
"""
import os
import unittest

from common import WORKLOADS, Profile, TempDirTest, line_of, run_csprof
import pythons

SCRIPT = os.path.join(WORKLOADS, "deep_calibrated.py")
LEAVES = ("alpha", "beta", "gamma")
START_UP_DEPTH = 40


def stack_error(stack, depth):
    """Why this root-first list of (function, file, line) cannot have happened, or None."""
    line = lambda marker: line_of(SCRIPT, marker)  # noqa: E731
    if not any(f == SCRIPT for _, f, _ in stack):
        # Interpreter start-up (importlib, site): none of our frames, and
        # never this deep.
        return None if len(stack) <= START_UP_DEPTH else f"{len(stack)}-deep start-up stack"
    if len(stack) > depth:
        return f"{len(stack)} frames, deeper than the program ever went ({depth})"
    # Nothing of ours calls into a library while it runs.
    for i, (_, f, _) in enumerate(stack):
        if f != SCRIPT:
            if i < 2 or stack[i - 1][0] != "main":
                return f"{stack[i][0]} ({f}) called from {stack[i - 1][0]}"
            if any(g == SCRIPT for _, g, _ in stack[i:]):
                return "script frames above library frames"
            stack = stack[:i]
            if len(stack) == 2:
                return None
            return f"library called from main at line {stack[1][2]} with descend frames"
    frames = [(fn, ln) for fn, _, ln in stack]
    expect_callers = {"<module>": line("CALL-module"), "main": line("CALL-main")}
    names = [f for f, _ in frames]
    if names[:1] != ["<module>"]:
        return f"root is {names[:1]}"
    if len(names) > 1 and names[1] != "main":
        return f"<module> calls {names[1]}"
    for i in range(2, len(names)):
        if names[i] == "descend":
            if names[i - 1] not in ("main", "descend"):
                return f"descend called by {names[i - 1]}"
        elif names[i] in LEAVES:
            if names[i - 1] != "descend" or i != len(names) - 1 or len(names) != depth:
                return f"{names[i]} at position {i} of {len(names)}"
        else:
            return f"unexpected function {names[i]}"
    # Every caller sits on the line that calls its callee.
    for i in range(len(frames) - 1):
        fn, ln = frames[i]
        callee = names[i + 1]
        if fn in expect_callers:
            want = expect_callers[fn]
        elif callee == "descend":
            want = line("CALL-descend")
        else:
            want = line(f"CALL-{callee}")
        if ln != want:
            return f"{fn} at line {ln} calls {callee} (expected line {want})"
    if names[-1] in LEAVES:
        spin = line(f"SPIN-{names[-1]}")
        if frames[-1][1] not in (spin - 1, spin):
            return f"{names[-1]} at line {frames[-1][1]}"
    return None


class TornMixin:
    interp = None
    depths = ()

    def check_depth(self, depth):
        if self.interp.skip_reason:
            self.skipTest(f"{self.interp.label}: {self.interp.skip_reason}")
        out = os.path.join(self.tmp, f"d{depth}")
        env = dict(self.interp.env or {})
        r = run_csprof(["record", "-q", "-o", out, "-n", "torn", "-f", "json", "--",
                        *self.interp.argv, SCRIPT, "4", str(depth)], env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        p = Profile(os.path.join(out, "torn.json"))
        bad, good, deepest, examples = 0, 0, 0, []
        for s in p.stacks:
            frames = [(p.frames[i]["function"], p.frames[i]["file"], p.frames[i]["line"])
                      for i in s["frames"] if p.frames[i]["kind"] == "python"]
            if any(f == SCRIPT for _, f, _ in frames):
                deepest = max(deepest, len(frames))
            why = stack_error(frames, depth)
            if why:
                bad += s["count"]
                if len(examples) < 3:
                    examples.append(why)
            else:
                good += s["count"]
        total = good + bad
        self.assertGreater(total, 500, "too few samples to judge")
        self.assertLessEqual(deepest, depth, f"a sample deeper than the program went: {examples}")
        self.assertGreaterEqual(100.0 * good / total, 99.0,
                                f"{bad} of {total} samples impossible, e.g. {examples}")
        # What was dropped is counted, and is not most of the run.
        s = p.data["samples"]
        self.assertLess(s["dropped"], 0.05 * s["ticks"], s)


def _make_classes():
    for interp in pythons.all_interpreters():
        old = interp.version < (3, 11)
        depths = (30, 100, 300) if old else (300,)
        name = "TestTorn_" + "".join(c if c.isalnum() else "_" for c in interp.label)
        body = {"interp": interp}
        for d in depths:
            body[f"test_depth_{d}"] = (lambda d: lambda self: self.check_depth(d))(d)
        globals()[name] = type(name, (TornMixin, TempDirTest), body)


_make_classes()

if __name__ == "__main__":
    unittest.main()
