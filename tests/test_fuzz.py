"""The profile JSON reader under mutation (tests/fuzz/fuzz_profile.py).

- Every input in tests/fuzz/cases/ (inputs that once crashed or misbehaved:
  the four from issue #9 and any the fuzzer finds) is replayed through
  `report` and `diff` on the ASan/UBSan build: exit 0 or 66 with one line,
  never a sanitizer report, a signal or a hang.
- A short fuzzing run (fixed seed) must find nothing; `make fuzz` runs a
  long one.
"""
import glob
import os
import subprocess
import sys
import tempfile
import unittest

from common import ROOT

sys.path.insert(0, os.path.join(ROOT, "tests", "fuzz"))
import fuzz_profile  # noqa: E402

SHORT_ITERATIONS = int(os.environ.get("CSPROF_FUZZ_ITERATIONS", "60"))


class Fuzz(unittest.TestCase):
    def setUp(self):
        for b in (fuzz_profile.ASAN, fuzz_profile.RELEASE):
            self.assertTrue(os.access(b, os.X_OK), f"{b} is not built (make all asan)")

    def test_saved_cases_replay_cleanly(self):
        cases = sorted(glob.glob(os.path.join(fuzz_profile.CASES, "*.json")))
        self.assertGreaterEqual(len(cases), 4)
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run([fuzz_profile.RELEASE, "record", "-q", "-o", d, "-n", "good", "-f",
                                "json", "--", sys.executable, "-c", "sum(range(3000000))"],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            good = os.path.join(d, "good.json")
            for case in cases:
                why = fuzz_profile.replay(case, good)
                self.assertIsNone(why, os.path.basename(case))

    def test_short_fuzz_run_finds_nothing(self):
        r = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "fuzz", "fuzz_profile.py"),
                            "--iterations", str(SHORT_ITERATIONS)],
                           capture_output=True, text=True, timeout=3600)
        print("\n    " + r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "")
        self.assertEqual(r.returncode, 0, r.stdout[-5000:] + r.stderr[-3000:])
        self.assertIn(f"{SHORT_ITERATIONS} mutants", r.stdout)


if __name__ == "__main__":
    unittest.main()
