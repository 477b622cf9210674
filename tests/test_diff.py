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

from common import ROOT, assert_slower_machine_verdict, assert_wall_line_of_unchanged_run, run_csprof

WORKLOAD = os.path.join(ROOT, "tests", "action", "workload.py")


def leaf_function(prof, stack):
    for i in reversed(stack["frames"]):
        f = prof["frames"][i]
        if f["kind"] in ("python", "native"):
            return f["function"]
    return None


def scaled(prof, factor_of, imports_too=True):
    """A copy whose stack counts are multiplied by factor_of(leaf name)
    (those with an import frame kept when not imports_too); wall time and
    counters follow, as if the program had run that long."""
    p = copy.deepcopy(prof)
    before = sum(s["count"] for s in p["stacks"])
    imports = {i for i, f in enumerate(p["frames"]) if f.get("import")}
    for s in p["stacks"]:
        if imports_too or not imports.intersection(s["frames"]):
            s["count"] = int(round(s["count"] * factor_of(leaf_function(p, s))))
    after = sum(s["count"] for s in p["stacks"])
    p["wall_seconds"] = prof["wall_seconds"] * after / before
    if p.get("cpu_seconds"):
        # CPU time follows the work, as the samples do.
        for k in ("cpu_seconds", "cpu_user_seconds", "cpu_system_seconds"):
            p[k] = prof[k] * after / before
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

    def test_fail_on_wall(self):
        """--fail-on-regression=wall is the plain duration rule: the wall
        time beyond the threshold fails, whatever the shares say."""
        r = self.diff(self.base, self.path("uniform.json"), "--fail-on-regression=wall")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        r = self.diff(self.base, self.path("same.json"), "--fail-on-regression=wall")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.diff(self.base, self.path("same.json"), "--fail-on-regression=sometimes")
        self.assertEqual(r.returncode, 64)

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
        slower = md.split("**Slower**", 1)[1]
        rows = [l for l in slower.splitlines() if l.startswith("| `")]
        self.assertTrue(rows)
        for row in rows:
            self.assertEqual(row.count(" | "), 7, row)   # 8 cells, none broken by a '|'
        # The lead table (your code) comes first, with 6 cells a row.
        leads = md.split("**Your code that got slower**", 1)[1].split("**Slower**")[0]
        rows = [l for l in leads.splitlines() if l.startswith("| `")]
        self.assertTrue(rows[0].startswith("| `slow_part` |"), rows)
        for row in rows:
            self.assertEqual(row.count(" | "), 5, row)
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


APP = os.path.join(ROOT, "tests", "action", "verdict_app.py")
SLOWMOD = os.path.join(ROOT, "tests", "action", "slowmod.py")


class Verdicts(unittest.TestCase):
    """The verdict on real recordings of tests/action/verdict_app.py: six
    unchanged runs (five of them the history), one user function doing 3x
    the work, json.dumps called 3x as often by one user function, and only
    an import doing 60x the work."""

    FILES = (APP, SLOWMOD)
    SCRIPT = "verdict_app.py"
    PYTHON = sys.executable
    # The knobs each variant turns (all others stay at 1).
    VARIANTS = {"plant": {"VERDICT_PLANT": "3"}, "lib": {"VERDICT_LIB": "3"},
                "import": {"VERDICT_IMPORT": "60"}}
    DEFAULTS = {}       # a knob's unchanged value when not "1"
    PLANTED = "plant"                                   # named first in "plant"
    LIB_CALLER, LIB_CALLEE = "encode_records", ("dumps", "json/__init__.py")
    IMPORTED = "slowmod"                                # the import that got slower
    # The default branch's runs (the history, and the unchanged run).
    MAIN = {"GITHUB_REF_NAME": "main", "GITHUB_RUN_ID": "1111", "GITHUB_SHA": "a" * 40,
            "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "octo/demo"}

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="csprof-verdicts-")
        cls.ws = os.path.join(cls.tmp, "ws")
        os.makedirs(cls.ws)
        for f in cls.FILES:
            shutil.copy(f, cls.ws)
        main = cls.MAIN
        for i in range(6):
            cls.record(f"h{i}", main)
        cls.pr = dict(main, GITHUB_REF_NAME="feature", GITHUB_HEAD_REF="feature", GITHUB_RUN_ID="2222")
        for name, knobs in cls.VARIANTS.items():
            cls.record(name, dict(cls.pr, **knobs))
        cls.history = os.path.join(cls.tmp, "h.history.json")
        cls.write_history(cls.history, [f"h{i}" for i in range(5)])

    @classmethod
    def write_history(cls, path, names):
        """NAME.history.json as `csprof ci` keeps it, built by `csprof
        history --add` (the same record: measures and function shares)."""
        for name in names:
            r = run_csprof(["history", "--add", os.path.join(cls.tmp, name + ".json"), path])
            if r.returncode != 0:
                raise AssertionError(f"history --add {name} failed: {r.stderr}")

    @classmethod
    def knob_env(cls, env):
        """env with every knob a variant turns at its unchanged value unless env sets it."""
        env = dict(env, GITHUB_WORKSPACE=cls.ws)
        env.setdefault("GITHUB_HEAD_REF", os.environ.get("GITHUB_HEAD_REF", ""))
        for knobs in cls.VARIANTS.values():
            for k in knobs:
                env.setdefault(k, cls.DEFAULTS.get(k, "1"))
        return env

    @classmethod
    def record(cls, name, env):
        env = cls.knob_env(env)
        r = run_csprof(["record", "-q", "-o", cls.tmp, "-n", name, "-f", "json", "--", cls.PYTHON,
                        cls.SCRIPT], cwd=cls.ws, env=env)
        if r.returncode != 0:
            raise AssertionError(f"record {name} failed: {r.stderr}")

    @classmethod
    def load(cls, name):
        with open(os.path.join(cls.tmp, name + ".json")) as f:
            return json.load(f)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def diff(self, new, fmt, *args, base="h0"):
        r = run_csprof(["diff", os.path.join(self.tmp, base + ".json"), os.path.join(self.tmp, new + ".json"),
                        "-f", fmt, "--history", self.history, *args],
                       env={"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "octo/demo",
                            "GITHUB_SHA": "b" * 40})
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout) if fmt == "json" else r.stdout

    def usual_band(self, key, names=tuple(f"h{i}" for i in range(5))):
        """The median and top of five past runs' usual spread of key, as
        compare_spread.c computes it: median +- 3 x max(1.4826 x MAD, 2% of
        the median)."""
        v = sorted(self.load(n)[key] for n in names)
        mad = sorted(abs(x - v[2]) for x in v)[2]
        return v[2], v[2] + 3 * max(1.4826 * mad, 0.02 * v[2])

    def diff_changed(self, name):
        """The JSON comparison of a variant whose code did more work. Its
        estimated times rest on the CPU time per sample of two single runs,
        which this shared 2-core machine has moved 2.2x between unchanged
        runs (0.45-1.0 s of CPU for the same script): a run caught at a fast
        moment against a baseline caught at a slow one can hide the change
        once. A real change shows again, so the variant is recorded once
        more, and the first comparison is printed. The same noise can hide
        the growth of the planted function's own part (what it runs beside
        the callback it calls through a library: compare_leads.c,
        keep_innermost) and leave the callback named alone; it, too, is
        recorded once more then (seen once in a CI-style run, and in none
        of 12 runs of this test alone).
        """
        j = self.diff(name, "json")
        first = j["leads"][0]["function"] if j["leads"] else None
        if not j["regressed"] or (name == "plant" and first != self.PLANTED):
            leads = [(l["function"], l["total"]["time_ratio"], l["total"]["q"]) for l in j["leads"]]
            print(f"\n  note: {name} not called a regression: CPU time {j['cpu_seconds']['base']:.3f} s -> "
                  f"{j['cpu_seconds']['new']:.3f} s, leads (function, time ratio, q) {leads}, "
                  f"slower {[f['function'] for f in j['slower']]}; recording it once more")
            self.record(name, dict(self.pr, **self.VARIANTS[name]))
            j = self.diff(name, "json")
        return j

    def test_rusage_recorded(self):
        for name in ("h0", "plant", "import"):
            p = self.load(name)
            self.assertGreater(p["cpu_seconds"], 0, name)
            self.assertAlmostEqual(p["cpu_seconds"], p["cpu_user_seconds"] + p["cpu_system_seconds"], places=5)
            self.assertGreater(p["max_rss_bytes"], 1 << 20, name)   # a Python process is > 1 MiB
            self.assertEqual(p["ci_run"], "2222" if name != "h0" else "1111")

    def test_unchanged(self):
        # One run of a busy shared machine can land outside a tight band of
        # five past ones in wall and CPU time alike (seen in CI-style runs:
        # +10% to +27% CPU time, twice in a row, with no other process on
        # the machine). A passing slowdown does not repeat three times.
        main = self.MAIN
        for attempt in range(3):
            if attempt:
                self.record("h5", main)
            j = self.diff("h5", "json")
            if j["verdict"] != "wall-slower":
                break
            print(f"\n  note: unchanged run judged {j['verdict']}: CPU time {j['cpu_seconds']['new']:.3f} s, "
                  f"usual spread {j['cpu_seconds'].get('usual')}")
        self.assertFalse(j["regressed"], json.dumps(j["slower"] + j["leads"], indent=1))
        self.assertEqual(j["slower"], [])
        self.assertEqual(j["leads"], [])
        if j["verdict"] == "wall-slower":
            # Three times in a row: the machine was slower while the runs
            # ran, and the verdict says so only when its own figures show it.
            assert_slower_machine_verdict(self, j)
            self.assertIn("more work, or a slower machine", self.diff("h5", "md"))
            return
        self.assertIn(j["verdict"], ("same", "faster"))
        self.assertTrue(j["wall"]["by_history"])
        self.assertEqual(j["wall"]["history_runs"], 5)
        md = self.diff("h5", "md")
        self.assertNotIn("🔴", md)
        self.assertNotIn("🟡", md)
        wall = [l for l in md.splitlines() if l.startswith("Wall time:")][0]
        # Judged by the spread of the five past runs. A neighbour's build may
        # stretch this run's wall time: then the line must say that the CPU
        # time stayed within its own spread, or that the runner was busier
        # than usual (other processes measured while it ran).
        assert_wall_line_of_unchanged_run(self, wall)
        self.assertIn("within the usual spread", md)

    @staticmethod
    def cpu_model():
        """This machine's CPU as csprof names it, read here on our own."""
        fields = {}
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break
                k, _, v = line.partition(":")
                fields.setdefault(k.strip(), " ".join(v.split()))
        name = fields["model name"]
        if "cpu family" in fields and "model" in fields:
            name += f" (family {fields['cpu family']}, model {fields['model']})"
        return name

    def test_another_kind_of_runner(self):
        """A hosted runner pool mixes CPU models. An unchanged run on a slower
        kind is not called slower against a baseline of another kind; with
        five past runs of its own kind it is judged by them alone; and a run
        that did more work on its own kind is still called."""
        h0 = self.load("h0")
        self.assertEqual(h0["runner_cpu"], self.cpu_model())
        self.assertEqual(h0["runner_cpus"], os.cpu_count())
        slow = "Slow `CPU` | 9000 (family 6, model 85)"   # Markdown-active on purpose

        band = self.usual_band
        # The past run of median wall time, on the slow kind: at the middle
        # of that kind's spread once the history holds it.
        mid = sorted((self.load(f"h{i}")["wall_seconds"], f"h{i}") for i in range(5))[2][1]
        # Beyond the spread and the baseline (h0, the first run, may itself
        # be slow) in wall and CPU time alike.
        factor = max(max(1.5 * med, 1.2 * hi, 1.2 * self.load("h0")[key]) / self.load(mid)[key]
                     for key in ("wall_seconds", "cpu_seconds") for med, hi in [band(key)])

        def write(name, prof):
            with open(os.path.join(self.tmp, name + ".json"), "w") as f:
                json.dump(prof, f)

        p = scaled(self.load(mid), lambda _: factor)
        p["runner_cpu"] = slow
        # The runner's load unknown: a run recorded while this machine was
        # busier would otherwise be withheld for that first (tested above).
        p["other_load"] = None
        write("on-slow", p)
        # Against the baseline and the five past runs, all on this machine.
        j = self.diff("on-slow", "json")
        self.assertEqual(j["wall"]["level"], "above", j["wall"])
        self.assertFalse(j["wall"]["by_history"], j["wall"])
        run = j["runner"]
        self.assertEqual((run["cpu_model"], run["base_cpu_model"]), (slow, self.cpu_model()))
        self.assertEqual((run["history_runs_same_kind"], run["history_runs_other_kind"]), (0, 5))
        self.assertTrue(run["other_kind_than_baseline"])
        self.assertTrue(j["wall_by_other_runner"])
        # (Function shares are two unchanged runs' and may differ by noise,
        # as test_unchanged allows: only the wall verdict is this test's.)
        self.assertFalse(j["wall_flag"])
        self.assertNotEqual(j["verdict"], "wall-slower")
        md = self.diff("on-slow", "md")
        self.assertNotIn("🟡", md)
        wall = [l for l in md.splitlines() if l.startswith("Wall time:")][0]
        self.assertIn("but the baseline ran on another kind of runner (below): not counted", wall)
        runner = [l for l in md.splitlines() if l.startswith("Runner:")]
        self.assertEqual(len(runner), 1, md)
        self.assertTrue(runner[0].startswith(f"Runner: `` {slow} `` ({os.cpu_count()} CPUs); the baseline ran on "
                                             f"`{self.cpu_model()}` ({os.cpu_count()} CPUs). None of the past "
                                             "runs ran on this kind of runner (5 on others), so the baseline is "
                                             "the measure. "), runner[0])
        self.assertIn("a longer wall time is not counted (function shares still compare)", runner[0])
        text = self.diff("on-slow", "text")
        self.assertIn(f"Runner: {slow} ({os.cpu_count()} CPUs); the baseline ran on ", text)
        # Five past runs on the slow kind join the history: they are the
        # yardstick, and the run lies at their median.
        hist = os.path.join(self.tmp, "kinds.history.json")
        names = []
        for i in range(5):
            q = scaled(self.load(f"h{i}"), lambda _: factor)
            q["runner_cpu"] = slow
            write(f"slow{i}", q)
            names += [f"h{i}", f"slow{i}"]
        self.write_history(hist, names)
        j = self.diff("on-slow", "json", "--history", hist)
        self.assertTrue(j["wall"]["by_history"], j["wall"])
        self.assertEqual(j["wall"]["history_runs"], 5)
        self.assertEqual((j["runner"]["history_runs_same_kind"], j["runner"]["history_runs_other_kind"]), (5, 5))
        self.assertNotEqual(j["wall"]["level"], "above", j["wall"])
        self.assertFalse(j["wall_flag"])
        md = self.diff("on-slow", "md", "--history", hist)
        self.assertIn("Wall time, CPU time and peak memory are judged against the 5 past runs on this kind of "
                      "runner alone (5 ran on other kinds, whose speed differs).", md)
        # More work on the slow kind is still called: 1.5x its own kind's,
        # in the script's own code (imports that took longer would explain
        # the CPU time instead: tests/action's import variant).
        slow_runs = [f"slow{i}" for i in range(5)]
        more = factor
        for _ in range(10):
            q = scaled(p, lambda _: more, imports_too=False)
            if all(q[key] >= max(1.5 * med, 1.2 * hi)
                   for key in ("wall_seconds", "cpu_seconds") for med, hi in [band(key, slow_runs)]):
                break
            more *= 1.5
        write("on-slow-more", q)
        j = self.diff("on-slow-more", "json", "--history", hist)
        self.assertEqual((j["wall"]["level"], j["cpu_seconds"]["level"]), ("above", "above"))
        self.assertTrue(j["wall_flag"], j["wall"])
        self.assertFalse(j["wall_by_other_runner"])
        # And the trend marks only runs of this run's kind.
        out = os.path.join(self.tmp, "trend")
        os.makedirs(out, exist_ok=True)
        shutil.copy(hist, os.path.join(out, "kinds.history.json"))
        r = run_csprof(["history", out, "-o", out])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("5 earlier runs on another kind of runner (CPU model or count) left out of the spread",
                      r.stdout)
        with open(os.path.join(out, "kinds.history.svg")) as f:
            svg = f.read()
        self.assertEqual(svg.count("(another kind of runner)"), 5, svg)
        self.assertNotIn("(outside the usual spread)", svg)

    def test_busier_runner_is_named_not_counted(self):
        """An unchanged run made 1.5x slower or more (wall and CPU time above
        their usual spread): called wall-slower when the runner was as quiet
        as usual, not counted and named when other processes kept it busier."""
        h5 = self.load("h5")
        self.assertIsNotNone(h5["other_load"], "record did not measure the runner's other load")
        self.assertEqual(h5["runner_cpus"], os.cpu_count())
        usual = sorted([self.load(f"h{i}")["other_load"] for i in range(5)] + [self.load("h0")["other_load"]])
        usual = (usual[2] + usual[3]) / 2

        # Slower by enough to be outside each spread and material (h5 itself
        # may lie anywhere in it): at least 1.5x the middle and 1.2x the top
        # of the spread the comparison reports for h5 unscaled. (Computed
        # here instead, it once came out narrower: top 3.520 s against the
        # comparison's 3.523 s, and the run was judged within.)
        with open(os.path.join(self.tmp, "as-is.json"), "w") as f:
            json.dump(h5, f)
        j0 = self.diff("as-is", "json")
        spreads = {"wall_seconds": j0["wall"]["usual"], "cpu_seconds": j0["cpu_seconds"]["usual"]}
        factor = max(max(1.5 * (lo + hi) / 2, 1.2 * hi) / h5[key] for key, (lo, hi) in spreads.items())
        for name, load, busier in (("slow-quiet", usual, False), ("slow-busy", usual + 1.0, True)):
            p = scaled(h5, lambda _: factor)
            p["other_load"] = min(load, p["runner_cpus"])
            with open(os.path.join(self.tmp, name + ".json"), "w") as f:
                json.dump(p, f)
            j = self.diff(name, "json")
            self.assertEqual(j["wall"]["level"], "above", j["wall"])
            self.assertEqual(j["cpu_seconds"]["level"], "above", j["cpu_seconds"])
            self.assertEqual(j["runner"]["busier"], busier, j["runner"])
            self.assertAlmostEqual(j["runner"]["usual_other_load"], usual, places=3)  # JSON keeps 6 digits
            self.assertEqual(j["runner"]["usual_of_runs"], 6)
            self.assertEqual(j["wall_by_busier_runner"], busier)
            self.assertEqual(j["verdict"], "same" if busier else "wall-slower", name)
            md = self.diff(name, "md")
            wall = [l for l in md.splitlines() if l.startswith("Wall time:")][0]
            runner = [l for l in md.splitlines() if l.startswith("Runner:")]
            if busier:
                self.assertIn("but the runner was busier than usual (below): not counted", wall)
                self.assertEqual(len(runner), 1, md)
                self.assertRegex(runner[0], r"^Runner: other processes kept \d+\.\d of its \d+ CPUs busy during this "
                                 r"run \(usually \d+\.\d, the median of past runs\)")
                self.assertNotIn("🟡", md)
            else:
                self.assertIn("and so did the script's CPU time: more work, or a slower machine", wall)
                self.assertEqual(runner, [])
                self.assertIn("🟡", md)
        # A share verdict from a busier runner stands, with a caution. (The
        # planted run's own load is whatever this machine had meanwhile: a
        # CI-style run once measured 0.7 CPUs. So both loads are set.)
        caution = "⚠️ This run's runner was busier than usual (other processes kept"
        for name, load, busier in (("plant-quiet", usual, False), ("plant-busy", usual + 1.0, True)):
            p = self.load("plant")
            p["other_load"] = min(load, p["runner_cpus"])
            with open(os.path.join(self.tmp, name + ".json"), "w") as f:
                json.dump(p, f)
            self.assertEqual(self.diff(name, "json")["verdict"], "regressed", name)
            md, text = self.diff(name, "md"), self.diff(name, "text")
            if busier:
                self.assertIn(caution, md)
                self.assertIn("so confirm this verdict with a re-run.", md)
                self.assertIn("warning: This run's runner was busier than usual", text)
            else:
                self.assertNotIn(caution, md)
                self.assertNotIn("warning:", text)

    def test_planted_user_function_is_named_first(self):
        j = self.diff_changed("plant")
        self.assertTrue(j["regressed"])
        self.assertEqual(j["verdict"], "regressed")
        self.assertEqual(j["leads"][0]["function"], self.PLANTED, json.dumps(j["leads"], indent=1))
        self.assertEqual(j["leads"][0]["file"], self.SCRIPT)
        self.assertNotIn("main", [l["function"] for l in j["leads"]], "main only grew through it")
        # 3x the starts is 2-4x the estimated time on a quiet machine; a
        # shared runner's contention moves CPU time per unit of work by tens
        # of percent between runs (1.44 seen once at load 3 on 2 cores).
        self.assertGreater(j["leads"][0]["total"]["time_ratio"], 1.3)
        md = self.diff("plant", "md")
        self.assertIn(f"**Verdict: 🔴 regression** — your code got slower: `{self.PLANTED}`", md)
        first = md.split("**Your code that got slower**", 1)[1].split("\n\n**")[0]
        rows = [l for l in first.splitlines() if l.startswith(("| `", "| ↳"))]
        script_md = self.SCRIPT.replace("_", "\\_")
        self.assertTrue(rows[0].startswith(f"| `{self.PLANTED}` | [{script_md}:"), rows)
        # Which profiles: the baseline's commit, branch, date and run; another branch.
        self.assertIn("Baseline: commit `aaaaaaaaaaaa` on `main`, recorded 20", md)
        self.assertIn("run [1111](https://github.com/octo/demo/actions/runs/1111)", md)
        self.assertIn("⚠️ The baseline comes from another branch (`main`; this run: `feature`)", md)

    def test_library_called_more_by_one_user_function(self):
        j = self.diff_changed("lib")
        self.assertTrue(j["regressed"], json.dumps({k: j.get(k) for k in (
            "verdict", "note", "leads", "slower", "within_usual_spread", "share_history_runs", "samples")},
            indent=1)[:6000])
        lead = j["leads"][0]
        self.assertEqual(lead["function"], self.LIB_CALLER, json.dumps(j["leads"], indent=1))
        beneath = [b["function"] for b in lead["beneath"]]
        self.assertEqual(beneath[0], self.LIB_CALLEE[0], lead["beneath"])
        self.assertTrue(lead["beneath"][0]["file"].endswith(self.LIB_CALLEE[1]), lead["beneath"])
        md = self.diff("lib", "md")
        first = md.split("**Your code that got slower**", 1)[1].split("\n\n**")[0]
        rows = [l for l in first.splitlines() if l.startswith(("| `", "| ↳"))]
        self.assertTrue(rows[0].startswith(f"| `{self.LIB_CALLER}` |"), rows)
        self.assertTrue(rows[1].startswith(f"| ↳ calls `{self.LIB_CALLEE[0]}` |"), rows)

    def test_only_an_import_got_slower(self):
        j = self.diff("import", "json")
        self.assertFalse(j["regressed"], json.dumps(j["slower"] + j["leads"], indent=1))
        self.assertEqual(j["slower"], [])
        self.assertEqual(j["leads"], [])
        self.assertEqual(j["imports"]["change"], "slower")
        self.assertEqual(j["imports"]["top_module"], self.IMPORTED)
        self.assertGreater(j["imports"]["new_seconds"], j["imports"]["base_seconds"])
        md = self.diff("import", "md")
        self.assertNotIn("🔴", md)
        line = [l for l in md.splitlines() if "Imports took" in l][0]
        self.assertRegex(line, r"^\*\*Imports took [0-9.]+ m?s longer\*\* \(.*most of the change in `"
                         + self.IMPORTED + "`")
        self.assertIn("often a cold cache on the runner", line)

    def test_unusual_baseline_is_absorbed_by_the_history(self):
        """An unchanged run against a baseline unlike the five past runs
        (here the planted run, as if the baseline had been an outlier): the
        planted function, significantly faster against that baseline but
        within its usual spread over the history, is not in the verdict and
        is named as absorbed. (Another function may still be flagged when
        this run's own share of it is outside its spread: that is the rule
        working, and the unchanged-run test bounds it.)"""
        r = run_csprof(["diff", os.path.join(self.tmp, "plant.json"), os.path.join(self.tmp, "h5.json"),
                        "-f", "json"])
        plain = json.loads(r.stdout)
        self.assertIn(self.PLANTED, [f["function"] for f in plain["faster"]],
                      "not even faster against that baseline: the test proves nothing")
        j = self.diff("h5", "json", base="plant")
        self.assertEqual(j["share_history_runs"], 5)
        self.assertNotIn(self.PLANTED, [f["function"] for f in j["faster"] + j["slower"]])
        self.assertIn(self.PLANTED, [f["function"] for f in j["within_usual_spread"]])
        md = self.diff("h5", "md", base="plant")
        line = [l for l in md.splitlines() if "usual spread over the last 5 runs" in l]
        self.assertEqual(len(line), 1, md)
        self.assertRegex(line[0], r"^\d+ functions? changed against the baseline but stayed within (its|their) usual")
        if len(j["within_usual_spread"]) <= 3:
            self.assertIn(f"`{self.PLANTED}`", line[0])

    def test_history_errors(self):
        r = run_csprof(["diff", os.path.join(self.tmp, "h0.json"), os.path.join(self.tmp, "h5.json"),
                        "--history", os.path.join(self.tmp, "missing.history.json")])
        self.assertEqual(r.returncode, 66)
        self.assertIn("missing.history.json", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)
        # A file that is not a history (the old one-record-a-line format,
        # or a malformed record) is refused in one line naming it.
        bad = os.path.join(self.tmp, "bad.history.json")
        for text in ('{"wall_seconds": 1.0}\n{"wall_seconds": 1.1}\n',
                     '{"schema": "csprof-history", "schema_version": 1, "runs": [{"wall_seconds": -3}]}'):
            with open(bad, "w") as f:
                f.write(text)
            r = run_csprof(["diff", os.path.join(self.tmp, "h0.json"), os.path.join(self.tmp, "h5.json"),
                            "--history", bad, "-f", "json"])
            self.assertEqual(r.returncode, 66, r.stderr)
            self.assertIn("bad.history.json", r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1)
        # Fewer than five runs: judged by the threshold.
        short = os.path.join(self.tmp, "short.history.json")
        self.write_history(short, [f"h{i}" for i in range(3)])
        r = run_csprof(["diff", os.path.join(self.tmp, "h0.json"), os.path.join(self.tmp, "h5.json"),
                        "--history", short, "-f", "json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(json.loads(r.stdout)["wall"]["by_history"])
        self.assertEqual(json.loads(r.stdout)["wall"]["history_runs"], 3)


BO = os.path.join(ROOT, "tests", "realistic")


class RunnerLoad(unittest.TestCase):
    """record measures how busy the rest of the runner was while the script
    ran (other_load, from /proc/stat less the script's and csprof's own CPU
    time): a process spinning beside the script shows as about one CPU."""

    SPIN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.8: pass\n"

    def record(self, tmp, name):
        r = run_csprof(["record", "-q", "-o", tmp, "-n", name, "-f", "json", "--", sys.executable, "-c",
                        self.SPIN], cwd=tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(tmp, name + ".json")) as f:
            return json.load(f)

    def test_a_neighbour_is_measured(self):
        with tempfile.TemporaryDirectory(prefix="csprof-load-") as tmp:
            quiet = self.record(tmp, "quiet")
            spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            try:
                busy = self.record(tmp, "busy")
            finally:
                spinner.kill()
                spinner.wait()
        for p in (quiet, busy):
            self.assertEqual(p["runner_cpus"], os.cpu_count())
            self.assertGreaterEqual(p["other_load"], 0)
            self.assertLessEqual(p["other_load"], p["runner_cpus"])
        # The spinner shares 2 CPUs with the script and csprof: ~0.85 here.
        self.assertGreater(busy["other_load"], quiet["other_load"] + 0.4, (quiet["other_load"], busy["other_load"]))
        # Attached to a pid, the script's own CPU time is unknown: so is the load.
        target = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
        try:
            with tempfile.TemporaryDirectory(prefix="csprof-load-") as tmp:
                r = run_csprof(["record", "-q", "-o", tmp, "-n", "att", "-f", "json", "-d", "0.5", "-p",
                                str(target.pid)])
                self.assertEqual(r.returncode, 0, r.stderr)
                with open(os.path.join(tmp, "att.json")) as f:
                    self.assertIsNone(json.load(f)["other_load"])
        finally:
            target.kill()
            target.wait()


class RealisticVerdicts(Verdicts):
    """The same loop on a realistic validation script (tests/realistic/
    bo_loop.py: a Bayesian-optimisation loop with scikit-learn's GP, SciPy's
    L-BFGS-B and numpy, on Debian's Python 3.11 and packages): the
    multistart loop of the user's acquisition optimiser goes from 10 to 30
    starts (the run the real-code issue describes), score_candidates calls
    the GP's predict 3x as often, and only a local module's import does
    20x the work."""

    FILES = (os.path.join(BO, "bo_loop.py"), os.path.join(BO, "bo_tables.py"))
    SCRIPT = "bo_loop.py"
    PYTHON = "/usr/bin/python3.11"
    VARIANTS = {"plant": {"BO_STARTS": "30"}, "lib": {"BO_SCORE": "3"}, "import": {"BO_IMPORT": "20"}}
    DEFAULTS = {"BO_STARTS": "10"}
    PLANTED = "optimise_acquisition"
    LIB_CALLER = "score_candidates"
    LIB_CALLEE = ("GaussianProcessRegressor.predict", "sklearn/gaussian_process/_gpr.py")
    IMPORTED = "bo_tables"
    # Against the planted run as baseline, an unchanged BO run changes no
    # function's self share in a way the test controls (a longer multistart
    # mostly moves total shares, which only leads use): the unusual-baseline
    # case is the stdlib app's (Verdicts), and verdict_fp.py --realistic
    # measures this loop's false positives with the history.
    test_unusual_baseline_is_absorbed_by_the_history = None


if __name__ == "__main__":
    unittest.main()
