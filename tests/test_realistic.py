"""Realistic validation scripts (tests/realistic/) profiled by `csprof ci`
as a scientific project's CI would: numpy/SciPy linear algebra and
optimisation, a scikit-learn fit, a PyTorch training loop, a matplotlib
figure, JSON/CSV I/O, each behind heavy imports, on Debian's
/usr/bin/python3.11 with python3-numpy, -scipy, -sklearn, -torch and
-matplotlib (installed by the test set-up: .ci/run's APT_PACKAGES, the
Makefile's REALISTIC_APT).

Each script has a planted hotspot in our own code (the line marked
'# PLANTED') and measures the time it spends there itself, so the
hotspot's share of the run is known by construction. For every script:
  - the summary's first bottleneck is the planted function and line, and
    its share agrees with the script's own measurement;
  - the ::notice annotations land on the planted line, titled with the
    script's own name;
  - the flamegraph is no taller than the deepest stack once every run of
    import machinery is counted as one row, plus the process/thread roots;
  - numpy functions appear under their own names, as third-party code.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from common import ROOT, csprof_bin, line_of, wrapper

HERE = os.path.join(ROOT, "tests", "realistic")
PYTHON = "/usr/bin/python3.11"
MODULES = ("numpy", "scipy", "sklearn", "torch", "matplotlib")

# script -> the planted function
SCRIPTS = {
    "linalg_solve": "solve_ridge",
    "model_fit": "update_surrogate",
    "torch_train": "train",
    "plot_figure": "render",
    "records_io": "parse_records",
}
# The share of samples of the planted line (idle ones included: the scripts
# measure wall time) may differ from the script's own measurement by this
# many percentage points (sampling noise, the interpreter's start before the
# script's first line, a loaded machine).
SHARE_TOLERANCE = 12.0


def import_frame(frame):
    f = frame.get("file") or ""
    return frame.get("import") is True or "<frozen importlib" in f or "/importlib/_bootstrap" in f


def planted_share(doc, script_path, line):
    """Percent of samples whose innermost frame in the script is the planted
    line, worked out here from the profile JSON, independently of the
    summary's C code."""
    frames, total, hit = doc["frames"], 0, 0
    real = os.path.realpath(script_path)
    for st in doc["stacks"]:
        total += st["count"]
        for i in reversed(st["frames"]):
            fr = frames[i]
            if fr.get("file") and os.path.realpath(fr["file"]) == real:
                hit += st["count"] if fr["line"] == line else 0
                break
    return 100.0 * hit / total if total else 0.0


def collapsed_depth(doc, stack):
    """Rows a stack needs once each import is one frame: importlib's own
    frames around an import count for nothing, and each import for one, a
    parent package imported under its child's import too (`import
    importlib.util` over `import importlib`: two imports, two rows; counted
    as one, a sampled stack through such a pair failed this test in a
    CI-style run, 28 rows against 25 + 2)."""
    rows, run = 0, []
    for f in [doc["frames"][i] for i in stack["frames"]] + [None]:
        if f is not None and import_frame(f):
            run.append(f)
            continue
        imports = sum(1 for g in run if g.get("import") is True)
        rows += imports or len(run)
        run = []
        rows += f is not None
    return rows


def svg_rows(svg):
    """Distinct rows of frame rectangles in a flamegraph."""
    ys = set(re.findall(r'<rect x="[0-9.]+" y="([0-9.]+)" width="[0-9.]+" height="15"', svg))
    return len(ys)


class RealisticScripts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = [m for m in MODULES
                   if subprocess.run([PYTHON, "-c", f"import {m}"], capture_output=True).returncode]
        if not os.path.exists(PYTHON) or missing:
            raise AssertionError(f"{PYTHON} lacks {', '.join(missing) or 'itself'}: the test set-up "
                                 "installs python3-numpy python3-scipy python3-sklearn "
                                 "python3-torch python3-matplotlib (.ci/run installs them)")
        cls.tmp = tempfile.mkdtemp(prefix="csprof-realistic-")
        cls.out = os.path.join(cls.tmp, "out")
        env = dict(os.environ)
        for k in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_SERVER_URL", "GITHUB_REPOSITORY",
                  "GITHUB_SHA", "CSPROF_UPLOAD", "CSPROF_BASELINE_DIR"):
            env.pop(k, None)
        env.update({
            "GITHUB_WORKSPACE": HERE,
            "CSPROF_SCRIPTS": "\n".join(f"{s}.py" for s in SCRIPTS),
            "CSPROF_PYTHON": PYTHON,
            "CSPROF_OUTPUT_DIR": cls.out,
            "CSPROF_FORMATS": "svg,json,md",
            "CSPROF_BASELINE": "none",
            "CSPROF_WORKING_DIRECTORY": HERE,
            "CSPROF_CALIBRATION_DIR": cls.tmp,
            # the scripts measure their planted share in wall time, so every
            # tick counts, running or not (imports wait for the disk, and a
            # loaded machine keeps runnable threads waiting in odd places)
            "CSPROF_IDLE": "true",
            # one thread of BLAS/OpenMP: the planted shares are of one CPU
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
        })
        r = subprocess.run(wrapper() + [csprof_bin(), "ci"], capture_output=True, text=True,
                           env=env, cwd=cls.tmp, timeout=1800)
        cls.ci = r
        if r.returncode != 0:
            raise AssertionError(f"csprof ci exited {r.returncode}:\n{r.stdout}\n{r.stderr}")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def load(self, name):
        with open(os.path.join(self.out, name + ".json"), encoding="utf-8") as f:
            doc = json.load(f)
        with open(os.path.join(self.out, name + ".md"), encoding="utf-8") as f:
            md = f.read()
        with open(os.path.join(self.tmp, name + ".json"), encoding="utf-8") as f:
            cal = json.load(f)
        return doc, md, cal

    def check_first_bottleneck(self, name, func):
        doc, md, cal = self.load(name)
        self.assertEqual(doc["exit_status"], 0, md)
        line = line_of(os.path.join(HERE, name + ".py"), "# PLANTED")
        m = re.search(r"^\| 1 \| `([^`]+)` \| \[?([^|\]]+?)\]?(?:\([^)]*\))? \| ([0-9.]+ m?s) · "
                      r"([0-9.]+)% ", md, re.M)
        self.assertIsNotNone(m, md)
        self.assertEqual((m.group(1), m.group(2).replace("\\_", "_")), (func, f"{name}.py:{line}"), md)
        got = float(m.group(4))
        mine = planted_share(doc, os.path.join(HERE, name + ".py"), line)
        want = 100.0 * cal["planted_seconds"] / cal["elapsed_seconds"]
        print(f"\n    {name}: planted line {got:.1f}% of samples (recomputed {mine:.1f}%), "
              f"measured by the script {want:.1f}%", end="")
        self.assertLess(abs(got - mine), 0.15, "the summary and the profile disagree")
        self.assertLess(abs(got - want), SHARE_TOLERANCE, md)

    def check_annotation(self, name, func):
        notices = [l for l in self.ci.stdout.splitlines() if l.startswith("::notice ")]
        self.assertLessEqual(len(notices), 10, "GitHub shows at most 10 notices per step")
        line = line_of(os.path.join(HERE, name + ".py"), "# PLANTED")
        mine = [n for n in notices if n.startswith(f"::notice file={name}.py,line={line},")]
        self.assertEqual(len(mine), 1, "\n".join(notices))
        self.assertRegex(mine[0], rf",title=csprof%3A [0-9.]+%25 of {name}'s time is under this line::")
        self.assertIn(f"{func} line {line} holds ", mine[0])
        self.assertIn(f"of the samples of {name} (", mine[0])
        # every notice is titled with the script of its own file
        for n in notices:
            m = re.match(r"::notice file=([a-z_]+)\.py,line=\d+,title=csprof%3A [0-9.]+%25 of ([a-z_]+)'s ", n)
            self.assertIsNotNone(m, n)
            self.assertEqual(m.group(1), m.group(2), n)

    def check_flamegraph_height(self, name, func):
        doc, _, _ = self.load(name)
        with open(os.path.join(self.out, name + ".svg"), encoding="utf-8") as f:
            rows = svg_rows(f.read())
        deepest = max(collapsed_depth(doc, s) for s in doc["stacks"])
        print(f"\n    {name}: flamegraph {rows} rows, deepest stack with imports "
              f"collapsed {deepest}", end="")
        self.assertLessEqual(rows, deepest + 2)

    def check_what_to_try(self, name, func):
        _, md, _ = self.load(name)
        tries = md.split("**What to try**", 1)[1].split("**Functions by self time**")[0]
        first = tries.strip().splitlines()[0]
        self.assertIn(f"is {WORK[name]}", first)
        sentences = [s.strip() for s in re.split(r"(?<=\.) |\n", md) if len(s.strip()) > 25]
        dup = {s for s in sentences if sentences.count(s) > 1}
        self.assertEqual(dup, set())

    def test_numpy_functions_under_their_own_names(self):
        doc, md, _ = self.load("linalg_solve")
        # the line that concatenates, with numpy's concatenate beneath it
        line = line_of(os.path.join(HERE, "linalg_solve.py"), "# CONCAT")
        row = re.search(rf"^\| \d \| `assemble` \| \[?linalg\\?_solve\.py:{line}\]?.*$", md, re.M)
        self.assertIsNotNone(row, md)
        self.assertIn("`concatenate` (numpy)", row.group(0))
        self.assertIn("`solve` (numpy)", md)
        # and as third-party code in the tables by function
        for fn in ("concatenate", "solve"):
            self.assertRegex(md, rf"\| `{fn}` \| [^|]*\|.*\| third-party \|")
        self.assertNotIn("public_api", md)


# What the planted line's samples were doing, as the hint names it.
WORK = {"linalg_solve": "linear algebra", "model_fit": "model fitting",
        "torch_train": "network training", "plot_figure": "drawing figures",
        "records_io": "JSON encoding or decoding"}


def _add_tests():
    """One test per script and check, so each failure is reported by name."""
    for check in ("first_bottleneck", "annotation", "flamegraph_height", "what_to_try"):
        for name, func in SCRIPTS.items():
            def test(self, check=check, name=name, func=func):
                getattr(self, "check_" + check)(name, func)
            setattr(RealisticScripts, f"test_{check}_{name}", test)


_add_tests()


class FailedScript(unittest.TestCase):
    """A script that cannot even start (no such file): the summary says so
    first, with the exit status and the last line of the script's stderr,
    and has no table of interpreter start-up; stderr still reaches the log."""

    def test_missing_script(self):
        with tempfile.TemporaryDirectory(prefix="csprof-failed-") as d:
            env = dict(os.environ)
            for k in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
                env.pop(k, None)
            env.update({"GITHUB_WORKSPACE": d, "CSPROF_SCRIPTS": "no_such_script.py",
                        "CSPROF_PYTHON": PYTHON, "CSPROF_OUTPUT_DIR": os.path.join(d, "out"),
                        "CSPROF_BASELINE": "none"})
            r = subprocess.run(wrapper() + [csprof_bin(), "ci"], capture_output=True, text=True,
                               env=env, cwd=d, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("can't open file", r.stderr)   # passed through
            with open(os.path.join(d, "out", "summary.md"), encoding="utf-8") as f:
                md = f.read()
            self.assertIn("### csprof: `no_such_script.py` failed before doing any work", md)
            self.assertRegex(md, r"> ❌ It failed before doing any work worth ranking: exit status 2"
                                 r"[^\n]*The last line of its stderr: [^\n]*can't open file")
            self.assertNotIn("| # |", md)
            self.assertNotIn("What to try", md)
            self.assertRegex(md, r"\| `no_such_script` \| [0-9.]+ m?s \| [^|]+ \| [^|]+ \| ❌ 2 \| — \|")
            warn = [l for l in r.stdout.splitlines() if l.startswith("::warning")]
            self.assertTrue(any("exited with status 2: " in w and "can't open file" in w
                                for w in warn), warn)


if __name__ == "__main__":
    unittest.main()
