"""Every Mermaid block `csprof ci` writes into the job summary renders with
the real Mermaid renderer (npm @mermaid-js/mermaid-cli driving Debian's
/usr/bin/chromium through tests/browser/puppeteer.json; it never downloads a
browser), and the trend's numbers are the history's."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from common import ROOT, csprof_bin, wrapper

MMDC = os.environ.get("MMDC") or os.path.join(ROOT, "node_modules", ".bin", "mmdc")
PUPPETEER = os.path.join(ROOT, "tests", "browser", "puppeteer.json")
SCRIPT = "def spin(n):\n    s = 0\n    for i in range(n):\n        s += i * i\n    return s\n\nspin(3_000_000)\n"


def history(walls):
    runs = [{"commit": f"{i:02x}{i % 2:038x}" if i != 3 else f"{2:02x}{0:038x}", "date": f"2026-11-{1 + i % 28:02d}T10:00:00Z", "wall_seconds": w,
             "samples": 900, "top": [{"function": "spin", "file": "w.py", "self_pct": 90.0 + i % 3,
                                      "self_seconds": 0.8}]} for i, w in enumerate(walls)]
    return {"schema": "csprof-history", "schema_version": 1, "name": "w", "runs": runs}


class MermaidBlocks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for need in (MMDC, "/usr/bin/chromium"):
            if not os.access(need, os.X_OK):
                raise AssertionError(f"{need} is missing: npm ci (package.json) and apt-get install chromium")

    def summary_with(self, walls):
        d = tempfile.mkdtemp(prefix="csprof-mermaid-")
        self.addCleanup(shutil.rmtree, d, True)
        base = os.path.join(d, "base")
        os.makedirs(base)
        with open(os.path.join(d, "w.py"), "w") as f:
            f.write(SCRIPT)
        with open(os.path.join(base, "w.history.json"), "w") as f:
            json.dump(history(walls), f)
        env = dict(os.environ, CSPROF_SCRIPTS="w.py", CSPROF_PYTHON=shutil.which("python3"),
                   CSPROF_OUTPUT_DIR=os.path.join(d, "out"), CSPROF_BASELINE_DIR=base,
                   CSPROF_BASELINE_SAVE_DIR=os.path.join(d, "save"))
        for k in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_EVENT_NAME"):
            env.pop(k, None)
        r = subprocess.run(wrapper() + [csprof_bin(), "ci"], cwd=d, env=env, capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(os.path.join(d, "out", "summary.md"), encoding="utf-8") as f:
            return d, f.read()

    def render(self, d, block, label):
        src = os.path.join(d, f"{label}.mmd")
        out = os.path.join(d, f"{label}.svg")
        with open(src, "w", encoding="utf-8") as f:
            f.write(block)
        env = dict(os.environ, PUPPETEER_SKIP_DOWNLOAD="true")
        r = subprocess.run([MMDC, "-q", "-i", src, "-o", out, "-p", PUPPETEER], capture_output=True,
                           text=True, timeout=300, env=env)
        self.assertEqual(r.returncode, 0, f"mmdc failed on:\n{block}\n{r.stdout}{r.stderr}")
        with open(out, encoding="utf-8") as f:
            svg = f.read()
        self.assertIn("<svg", svg)
        self.assertNotIn("Syntax error", svg, block)
        self.assertNotIn('class="error-icon"', svg, block)
        self.assertNotIn('class="error-text"', svg, block)
        return svg

    def blocks(self, summary):
        return re.findall(r"```mermaid\n(.*?)```", summary, flags=re.S)

    def test_long_history_with_an_outlier(self):
        walls = [1.0 + 0.01 * (i % 5) for i in range(40)]
        walls[35] = 3.0   # one slow runner among the last 30
        d, summary = self.summary_with(walls)
        blocks = self.blocks(summary)
        self.assertEqual(len(blocks), 1, summary)
        b = blocks[0]
        xs = re.search(r"x-axis \[(.*)\]", b).group(1).split(", ")
        ys = [float(v) for v in re.search(r"\n    line \[(.*)\]", b).group(1).split(", ")]
        self.assertEqual(len(xs), 31)
        self.assertEqual(len(set(xs)), 31, "equal labels would share one spot")
        self.assertEqual(ys[:30], [round(w, 3) for w in walls[-30:]])
        # The outlier is marked (label and a bar), and the text says it is
        # a marker, not a verdict.
        self.assertIn(" ⚠", xs[35 - 10])
        bars = [float(v) for v in re.search(r"\n    bar \[(.*)\]", b).group(1).split(", ")]
        self.assertEqual(bars[35 - 10], 3.0)
        self.assertIn("a marker, not a verdict", summary)
        svg = self.render(d, b, "long")
        self.assertIn("wall time", svg)

    def test_short_history(self):
        d, summary = self.summary_with([0.9, 1.1])
        blocks = self.blocks(summary)
        self.assertEqual(len(blocks), 1, summary)
        self.assertIn("needs at least 5 earlier runs", summary)
        self.render(d, blocks[0], "short")

    def test_no_history_no_chart(self):
        d, summary = self.summary_with([])
        self.assertEqual(self.blocks(summary), [])
        with open(os.path.join(d, "save", "w.history.json")) as f:
            self.assertEqual(len(json.load(f)["runs"]), 1)
