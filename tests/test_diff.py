"""csprof diff on real profiles: one recording of tests/action/workload.py,
and variants of it made by changing sample counts the way a real change
would (one function 4x slower, everything 1.5x slower), so the expected
verdicts are known exactly."""
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.dom.minidom

from common import ROOT, run_csprof

WORKLOAD = os.path.join(ROOT, "tests", "action", "workload.py")


def leaf_function(prof, stack):
    for i in reversed(stack["frames"]):
        f = prof["frames"][i]
        if f["kind"] in ("python", "native"):
            return f["function"]
    return None


def scaled(prof, factor_of):
    """A copy whose stack counts are multiplied by factor_of(leaf name);
    wall time and counters follow, as if the program had run that long."""
    p = copy.deepcopy(prof)
    before = sum(s["count"] for s in p["stacks"])
    for s in p["stacks"]:
        s["count"] = int(round(s["count"] * factor_of(leaf_function(p, s))))
    after = sum(s["count"] for s in p["stacks"])
    p["wall_seconds"] = prof["wall_seconds"] * after / before
    if isinstance(p.get("samples"), dict) and "taken" in p["samples"]:
        p["samples"]["taken"] = after
        if "ticks" in p["samples"]:
            p["samples"]["ticks"] = int(round(p["samples"]["ticks"] * after / before))
    return p


class Diff(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="csprof-diff-")
        cls.ws = os.path.join(cls.tmp, "ws")
        os.makedirs(cls.ws)
        shutil.copy(WORKLOAD, os.path.join(cls.ws, "workload.py"))
        py = shutil.which("python3") or sys.executable
        r = run_csprof(["record", "-q", "-o", cls.tmp, "-n", "base", "-f", "json", "--", py,
                        "workload.py", "--size", "1000000"], cwd=cls.ws,
                       env={"GITHUB_WORKSPACE": cls.ws})
        if r.returncode != 0:
            raise AssertionError(f"record failed: {r.stderr}")
        cls.base = os.path.join(cls.tmp, "base.json")
        with open(cls.base) as f:
            cls.prof = json.load(f)
        leaves = {leaf_function(cls.prof, s) for s in cls.prof["stacks"]}
        if "slow_part" not in leaves:
            raise AssertionError(f"the recording has no slow_part samples: {leaves}")
        cls.variant("same", lambda name: 1.0)
        cls.variant("slow", lambda name: 4.0 if name == "slow_part" else 1.0)
        cls.variant("uniform", lambda name: 1.5)
        cls.variant("faster", lambda name: 0.25 if name == "slow_part" else 1.0)

    @classmethod
    def variant(cls, name, factor_of):
        with open(os.path.join(cls.tmp, name + ".json"), "w") as f:
            json.dump(scaled(cls.prof, factor_of), f)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def diff(self, *args, env=None):
        return run_csprof(["diff"] + list(args), env=env)

    def diff_json(self, new, *args):
        r = self.diff(self.base, self.path(new + ".json"), "-f", "json", *args)
        self.assertIn(r.returncode, (0, 1), r.stderr)
        return r, json.loads(r.stdout)

    def test_identical_profiles(self):
        r, j = self.diff_json("same", "--fail-on-regression")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(j["verdict"], "same")
        self.assertFalse(j["regressed"])
        self.assertEqual(j["slower"], [])
        self.assertEqual(j["faster"], [])
        self.assertAlmostEqual(j["wall_seconds"]["change_pct"], 0.0, places=6)

    def test_one_function_slower(self):
        r, j = self.diff_json("slow")
        self.assertEqual(r.returncode, 0, "a regression alone does not fail")
        self.assertEqual(j["verdict"], "regressed")
        self.assertTrue(j["regressed"])
        self.assertEqual([s["function"] for s in j["slower"]], ["slow_part"])
        s = j["slower"][0]
        self.assertEqual(s["file"], "workload.py")   # relative to the workspace
        self.assertAlmostEqual(s["self"]["time_ratio"], 4.0, delta=0.05)
        self.assertGreater(s["self"]["diff"], 0.01)
        lo, hi = s["self"]["ci95"]
        self.assertLess(lo, s["self"]["diff"])
        self.assertGreater(hi, s["self"]["diff"])
        self.assertGreater(lo, 0)
        self.assertLess(s["self"]["q"], 0.01)
        self.assertTrue(s["self"]["beyond_noise"])
        # The others lost share but not time: not "faster".
        self.assertEqual(j["faster"], [])
        r = self.diff(self.base, self.path("slow.json"), "--fail-on-regression")
        self.assertEqual(r.returncode, 1)
        self.assertIn("REGRESSION", r.stdout)
        self.assertIn("slow_part", r.stdout)

    def test_uniformly_slower_is_not_a_regression(self):
        r, j = self.diff_json("uniform", "--fail-on-regression")
        self.assertEqual(r.returncode, 0)
        self.assertFalse(j["regressed"])
        self.assertEqual(j["verdict"], "wall-slower")
        self.assertTrue(j["wall_seconds"]["beyond_threshold"])
        w = j["wall_seconds"]
        self.assertAlmostEqual(w["change_pct"], (w["new"] / w["base"] - 1) * 100, delta=0.01)
        self.assertAlmostEqual(w["new"] / w["base"], 1.5, delta=0.1)   # counts round

    def test_faster(self):
        r, j = self.diff_json("faster", "--fail-on-regression")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(j["verdict"], "faster")
        self.assertEqual([s["function"] for s in j["faster"]], ["slow_part"])
        self.assertEqual(j["slower"], [])

    def test_threshold_and_correction_options(self):
        # A 4x slowdown is +300% estimated time: under a 1000% threshold.
        r, j = self.diff_json("slow", "--threshold", "1000")
        self.assertFalse(j["regressed"])
        self.assertEqual(j["method"]["threshold_pct"], 1000)
        r, j = self.diff_json("slow", "--correction", "holm", "--alpha", "0.05", "--min-change", "2")
        self.assertEqual(j["method"]["correction"], "holm")
        self.assertEqual(j["method"]["alpha"], 0.05)
        self.assertEqual(j["method"]["min_change_pp"], 2)
        self.assertTrue(j["regressed"])

    def test_markdown(self):
        env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "octo/demo",
               "GITHUB_SHA": "f" * 40}
        r = self.diff(self.base, self.path("slow.json"), "-f", "md", "-n", "bench", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        md = r.stdout
        self.assertTrue(md.startswith("### Since baseline: `bench`\n"))
        self.assertIn("**Verdict: 🔴 regression**", md)
        self.assertIn("Wall time:", md)
        self.assertIn("**Slower**", md)
        self.assertNotIn("**Faster**", md)
        self.assertIn("| `slow_part` | [workload.py:", md)
        self.assertIn(f"](https://github.com/octo/demo/blob/{'f' * 40}/workload.py#L", md)
        self.assertIn("Benjamini-Hochberg", md)
        rows = [l for l in md.splitlines() if l.startswith("| `")]
        for row in rows:
            self.assertEqual(row.count(" | "), 7, row)   # 8 cells, none broken by a '|'
        # Without the GitHub variables, no links.
        plain = {k: "" for k in env}
        r = self.diff(self.base, self.path("slow.json"), "-f", "md", env=plain)
        self.assertNotIn("](https://", r.stdout)

    def test_several_formats_and_svg(self):
        stem = self.path("out/cmp")
        os.makedirs(os.path.dirname(stem), exist_ok=True)
        r = self.diff(self.base, self.path("slow.json"), "-f", "md,json,svg,text", "-o", stem)
        self.assertEqual(r.returncode, 0, r.stderr)
        for suffix in (".md", ".json", ".svg", ".txt"):
            self.assertTrue(os.path.getsize(stem + suffix) > 0, suffix)
        doc = xml.dom.minidom.parse(stem + ".svg")
        self.assertEqual(doc.documentElement.tagName, "svg")
        with open(stem + ".svg", encoding="utf-8") as f:
            svg = f.read()
        self.assertIn("since baseline", svg)
        self.assertIn("slow_part", svg)
        self.assertEqual(sorted(x for x in os.listdir(os.path.dirname(stem)) if x.endswith(".tmp")), [])

    def test_errors(self):
        base, new = self.base, self.path("slow.json")
        cases = [
            (["diff", base], 64, "need BASE.json and NEW.json"),
            (["diff", base, new, "--bogus"], 64, "bad option"),
            (["diff", base, new, "--threshold", "x"], 64, "bad value"),
            (["diff", base, new, "--correction", "bonferroni"], 64, "bad value"),
            (["diff", base, new, "-f", "pdf"], 64, "unknown format 'pdf'"),
            (["diff", base, new, "-f", "md,svg"], 64, "need -o STEM"),
            (["diff", base, self.path("missing.json")], 66, "missing.json"),
            (["diff", base, new, "-o", self.path("no/such/dir/x.txt")], 73, "cannot create"),
        ]
        with open(self.path("broken.json"), "w") as f:
            f.write("{not json")
        cases.append((["diff", self.path("broken.json"), new], 66, "baseline"))
        for args, rc, msg in cases:
            r = run_csprof(args)
            self.assertEqual(r.returncode, rc, f"{args}: {r.stderr}")
            self.assertIn(msg, r.stderr, args)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, f"one line: {r.stderr}")
        r = run_csprof(["diff", "--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: csprof diff", r.stdout)

    def test_real_rerun_is_not_a_regression(self):
        """A second recording of the same workload: whatever moved is noise."""
        py = shutil.which("python3") or sys.executable
        r = run_csprof(["record", "-q", "-o", self.tmp, "-n", "again", "-f", "json", "--", py,
                        "workload.py", "--size", "1000000"], cwd=self.ws,
                       env={"GITHUB_WORKSPACE": self.ws})
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.diff(self.base, self.path("again.json"), "--fail-on-regression")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertNotIn("REGRESSION", r.stdout)


if __name__ == "__main__":
    unittest.main()
