"""The same scenarios under AddressSanitizer/UBSan (build/csprof-asan) and
valgrind (build/csprof-vg): any memory error, undefined behaviour or
definite leak fails the test. The target interpreters are real (pyenv 3.8,
3.12, and sid 3.14 when provisioned), so the reader's code paths for frame
objects, interpreter frames and _Py_DebugOffsets all run checked."""
import json
import os
import shutil
import signal
import subprocess
import unittest

from common import ROOT, WORKLOADS, Profile, TempDirTest
import pythons

ASAN = os.path.join(ROOT, "build", "csprof-asan")
VG = os.path.join(ROOT, "build", "csprof-vg")
ASAN_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=86",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1:exitcode=87",
}
VALGRIND = ["valgrind", "-q", "--error-exitcode=88", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite"]


def interpreters():
    wanted = {"pyenv-3.8", "pyenv-3.12", "sid-3.14"}
    return [i for i in pythons.all_interpreters() if i.label in wanted]


class CheckedRunMixin:
    """Subclasses set prefix()/env and check_clean()."""

    def run_checked(self, args, expect_rc=0, env=None, timeout=300):
        full = dict(os.environ)
        full.update(self.extra_env)
        if env:
            full.update(env)
        r = subprocess.run(self.prefix() + args, capture_output=True, text=True, env=full,
                           timeout=timeout)
        self.check_clean(r)
        if expect_rc is not None:
            self.assertEqual(r.returncode, expect_rc, r.stderr[-3000:])
        return r

    def record(self, interp, script, *args, opts=(), expect_rc=0):
        out = os.path.join(self.tmp, "out")
        env = dict(interp.env)
        env["CSPROF_TEST_PYTHON"] = json.dumps(list(interp.argv))
        self.run_checked(["record", "-q", "-r", str(self.rate), "-o", out, "-f",
                          "json,folded,svg,md,text,speedscope,pprof", *opts, "--", *interp.argv,
                          os.path.join(WORKLOADS, script), *args], expect_rc=expect_rc, env=env)
        return out, Profile(os.path.join(out, os.path.splitext(script)[0] + ".json"))

    def test_record_every_interpreter_and_format(self):
        ran = 0
        for interp in interpreters():
            if interp.skip_reason:
                print(f"\n    skipped {interp.label}: {interp.skip_reason}", flush=True)
                continue
            with self.subTest(interp=interp.label):
                _, p = self.record(interp, "calibrated.py", "0.8")
                self.assertGreater(p.total, 50)
                _, p = self.record(interp, "threads.py")
                self.assertGreater(p.samples_in("spin_red"), 10)
                _, p = self.record(interp, "churn.py")
                self.assertGreater(p.total, 50)
                ran += 1
        self.assertGreater(ran, 0, "no interpreter available")

    def test_subprocesses_recursion_and_sigkill(self):
        interp = next(i for i in interpreters() if i.label == "pyenv-3.12")
        _, p = self.record(interp, "parent.py", opts=["--subprocesses"])
        self.assertGreater(p.samples_in("child_spin"), 10)
        _, p = self.record(interp, "recursion.py")
        self.assertGreater(p.samples_in("descend"), 10)
        _, p = self.record(interp, "sigkill.py", expect_rc=128 + signal.SIGKILL)
        self.assertGreater(p.samples_in("doomed"), 10)

    def test_report_and_diff_reread_profiles(self):
        interp = next(i for i in interpreters() if i.label == "pyenv-3.12")
        out, _ = self.record(interp, "calibrated.py", "0.5")
        prof = os.path.join(out, "calibrated.json")
        for fmt in ("text", "md", "svg", "speedscope", "pprof", "folded", "json"):
            self.run_checked(["report", prof, "--format", fmt, "-o",
                              os.path.join(self.tmp, "r." + fmt)])
        self.run_checked(["diff", prof, prof, "--format", "md", "-o",
                          os.path.join(self.tmp, "d.md")])

    def test_html_report_history_and_ci_trend(self):
        interp = next(i for i in interpreters() if i.label == "pyenv-3.12")
        out, _ = self.record(interp, "calibrated.py", "0.5")
        prof = os.path.join(out, "calibrated.json")
        self.run_checked(["report", prof, prof, "--format", "html", "--baseline", prof, "-o",
                          os.path.join(self.tmp, "r.html")])
        hist = os.path.join(self.tmp, "hist")
        os.makedirs(hist)
        runs = [{"commit": f"{i:040x}", "date": "2026-11-29T20:00:00Z", "wall_seconds": 1 + i / 10,
                 "samples": 100, "top": [{"function": "f", "file": "a.py", "self_pct": 50.0,
                                          "self_seconds": 0.5}]} for i in range(120)]
        with open(os.path.join(hist, "calibrated.history.json"), "w") as f:
            json.dump({"schema": "csprof-history", "schema_version": 1, "runs": runs}, f)
        with open(os.path.join(hist, "broken.history.json"), "w") as f:
            f.write('{"schema": "csprof-history", "schema_version": 1, "runs": [{"top": 7}]}')
        r = self.run_checked(["history", hist])
        self.assertIn("broken.history.json: run 1 is malformed", r.stderr)
        self.assertIn("calibrated: 30 runs", r.stdout)
        save = os.path.join(self.tmp, "save")
        env = {"CSPROF_SCRIPTS": " ".join(interp.argv) + " " + os.path.join(WORKLOADS, "calibrated.py") + " 0.3",
               "CSPROF_OUTPUT_DIR": os.path.join(self.tmp, "ci"), "CSPROF_BASELINE_DIR": hist,
               "CSPROF_BASELINE_SAVE_DIR": save, "CSPROF_SUMMARY_DEFERRED": "true",
               "CSPROF_RATE": str(self.rate), "CSPROF_TEST_PYTHON": json.dumps(list(interp.argv))}
        env.update(interp.env)
        self.run_checked(["ci"], env=env)
        env.update({"CSPROF_SUMMARY_FILE": os.path.join(self.tmp, "ci", "summary.md"),
                    "CSPROF_HTML_URL": "https://example.invalid/a/1",
                    "GITHUB_STEP_SUMMARY": os.path.join(self.tmp, "step.md")})
        self.run_checked(["ci", "--finish"], env=env)
        with open(os.path.join(self.tmp, "step.md"), encoding="utf-8") as f:
            self.assertIn("```mermaid", f.read())
        with open(os.path.join(save, "calibrated.history.json")) as f:
            self.assertEqual(len(json.load(f)["runs"]), 100)

    def test_bad_inputs(self):
        bad = os.path.join(self.tmp, "bad.json")
        with open(bad, "w") as f:
            f.write('{"schema": "csprof-profile", "schema_version": 1, "frames": [{"kind": "x"}]}')
        r = self.run_checked(["report", bad], expect_rc=None)
        self.assertNotEqual(r.returncode, 0)
        self.run_checked(["record", "--rate", "0", "--", "true"], expect_rc=64)
        self.run_checked(["record", "-o", self.tmp, "--", "no-such-cmd-xyz"], expect_rc=127)


class TestAsan(CheckedRunMixin, TempDirTest):
    rate = 1000
    extra_env = ASAN_ENV

    def setUp(self):
        super().setUp()
        if not os.path.exists(ASAN):
            self.skipTest(f"{ASAN} not built (make asan)")

    def prefix(self):
        return [ASAN]

    def check_clean(self, r):
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            self.assertNotIn(marker, r.stderr, r.stderr[-4000:])
        self.assertNotIn(r.returncode, (86, 87), r.stderr[-4000:])


class TestValgrind(CheckedRunMixin, TempDirTest):
    rate = 200  # valgrind runs csprof ~30x slower; keep up with the target
    extra_env = {}

    def setUp(self):
        super().setUp()
        if not shutil.which("valgrind"):
            self.skipTest("valgrind not installed")
        if not os.path.exists(VG):
            self.skipTest(f"{VG} not built (make build/csprof-vg)")

    def prefix(self):
        return VALGRIND + [VG]

    def check_clean(self, r):
        self.assertNotEqual(r.returncode, 88, r.stderr[-4000:])
        self.assertNotIn("Invalid read", r.stderr)
        self.assertNotIn("uninitialised", r.stderr)


if __name__ == "__main__":
    unittest.main()
