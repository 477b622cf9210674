"""The HTML report (csprof report --format html, written by csprof ci) in
headless Chromium via playwright-core, with JavaScript disabled and enabled
(tests/browser/html_check.js reports what the page shows; every expectation
here is computed from the profiles written by this test).

Also: the page's script passes `node --check`, and a profile of 100,000
distinct stacks stays usable (size and load time are printed, not asserted)."""
import json
import math
import os
import random
import shutil
import subprocess
import tempfile
import unittest

from common import ROOT, run_csprof

CHECK = os.path.join(ROOT, "tests", "browser", "html_check.js")
OUT = os.path.join(ROOT, "build", "html_report")
CHAR_W = 7.4          # fmt_svg.c's label rule
FRAME_W = 1180.0
LONG = "a_function_with_a_name_far_too_long_for_its_narrow_bar_" * 2

# call path (root first) -> self samples
KNOWN = {
    ("main",): 5,
    ("main", "parse"): 300,
    ("main", "compute", "inner"): 250,
    ("main", "compute", "helper"): 100,
    ("main", "compute"): 45,
    ("main", "io"): 150,
    ("main", "io", LONG): 12,
    ("main", "tiny"): 2,
}
BASE = {**KNOWN, ("main", "compute", "inner"): 80}


def profile_json(path, paths, name="known"):
    frames, index, stacks = [], {}, []
    for p, count in paths.items():
        ids = []
        for fn in p:
            if fn not in index:
                index[fn] = len(frames)
                frames.append({"function": fn, "file": f"/ws/app/{fn[:20]}.py", "line": 10,
                               "first_line": 5, "kind": "python"})
            ids.append(index[fn])
        stacks.append({"thread": 0, "idle": False, "frames": ids, "count": count})
    total = sum(paths.values())
    doc = {"schema": "csprof-profile", "schema_version": 1, "csprof": {"version": "0.1.0", "commit": "x"},
           "command": ["python3", "app.py"], "name": name, "script": "app.py", "cwd": "/ws", "workspace": "/ws",
           "git_commit": "0123456789abcdef", "python": {"version": "3.12.1", "interpreter": "/usr/bin/python3"},
           "start_time": "2026-11-29T20:00:00Z", "wall_seconds": total / 1000.0, "exit_status": 0,
           "rate_hz": 1000.0, "interval_seconds": 0.001, "native": False, "idle_included": False,
           "subprocesses": False, "note": None,
           "samples": {"ticks": total, "taken": total, "dropped": 0, "idle": 0},
           "processes": [{"pid": 1, "ppid": 0, "command": "python3 app.py", "python_version": "3.12.1"}],
           "threads": [{"pid": 1, "tid": 1, "name": "python3"}], "frames": frames, "stacks": stacks}
    with open(path, "w") as f:
        json.dump(doc, f)
    return total


def inclusive(paths):
    out = {}
    for p, c in paths.items():
        for d in range(1, len(p) + 1):
            out[p[:d]] = out.get(p[:d], 0) + c
    return out


def fit(name, w):
    most = math.floor((w - 6) / CHAR_W)
    if len(name) <= most:
        return name
    return "" if most < 3 else name[:most - 2] + ".."


def browse(html, name, **cfg):
    os.makedirs(OUT, exist_ok=True)
    conf = dict(cfg, html=html, png=os.path.join(OUT, name),
                profile_dir=tempfile.mkdtemp(prefix="csprof-html-chromium-"))
    path = os.path.join(OUT, name + ".json")
    with open(path, "w") as f:
        json.dump(conf, f)
    try:
        r = subprocess.run(["node", CHECK, path], capture_output=True, text=True, timeout=600, cwd=ROOT)
    finally:
        for suffix in ("-js", "-nojs"):
            shutil.rmtree(conf["profile_dir"] + suffix, ignore_errors=True)
        shutil.rmtree(conf["profile_dir"], ignore_errors=True)
    if r.returncode != 0:
        raise AssertionError(f"html_check.js failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout)


class HtmlReport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = [n for n, ok in (("node", shutil.which("node")),
                                   ("chromium", os.access("/usr/bin/chromium", os.X_OK)),
                                   ("playwright-core", os.path.isdir(os.path.join(ROOT, "node_modules", "playwright-core"))))
                   if not ok]
        if missing:
            raise AssertionError(f"{', '.join(missing)} missing: apt-get install chromium nodejs; npm ci")
        cls.dir = tempfile.mkdtemp(prefix="csprof-html-")
        cls.known = os.path.join(cls.dir, "known.json")
        cls.base = os.path.join(cls.dir, "base.json")
        cls.total = profile_json(cls.known, KNOWN)
        cls.base_total = profile_json(cls.base, BASE)
        cls.page = os.path.join(cls.dir, "known.html")
        r = run_csprof(["report", cls.known, "--format", "html", "--baseline", cls.base, "-o", cls.page])
        assert r.returncode == 0, r.stderr
        cls.seen = browse(cls.page, "known", click="compute", search="inner|helper")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_script_passes_node_check(self):
        r = subprocess.run(["node", "--check", os.path.join(ROOT, "src", "report", "report.js")], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_self_contained_and_no_errors(self):
        self.assertEqual(self.seen["errors"], [])
        with open(self.page, encoding="utf-8") as f:
            html = f.read()
        for ref in ('src="', "href=\"http", "url(", "@import"):
            self.assertNotIn(ref, html)
        print(f"\n  known page: {len(html)} bytes, load {self.seen['load_ms']} ms")

    def check_bars(self, fig, total, paths):
        """Every call path is a bar with its tooltip and, where it fits, its label."""
        incl = inclusive(paths)
        self.assertEqual(len(fig["bars"]), len(incl))
        by_title = {}
        for b in fig["bars"]:
            by_title.setdefault(b["title"].split("\n")[0], []).append(b)
        for p, n in incl.items():
            bars = by_title.get(p[-1], [])
            self.assertEqual(len(bars), 1, p)
            b = bars[0]
            self.assertTrue(b["shown"], p)
            self.assertIn(f"{n:,} sample", b["title"])
            self.assertIn(f"{100.0 * n / total:.2f}%", b["title"])
            self.assertAlmostEqual(b["w"], FRAME_W * n / total, delta=0.02)
            self.assertEqual(b["label"], fit(p[-1], b["w"]), p)

    def test_readable_without_javascript(self):
        nojs = self.seen["nojs"]
        self.assertTrue(nojs["searchbar_hidden"], "the search box needs the script")
        self.assertEqual(len(nojs["figures"]), 2)     # the flamegraph and the differential one
        self.assertTrue(all(f["visible"] for f in nojs["figures"]))
        self.check_bars(nojs["figures"][0], self.total, KNOWN)
        self.check_bars(nojs["figures"][1], self.total, KNOWN)
        diff = {b["title"].split("\n")[0]: b["title"] for b in nojs["figures"][1]["bars"]}
        was, now = 100.0 * 80 / self.base_total, 100.0 * 250 / self.total
        self.assertIn(f"base {was:.2f}% → {now:.2f}%", diff["inner"])
        text = nojs["text"]
        for s in ("Wall time", "samples", "Top 10 functions by self time", "parse", "app/parse.py:10",
                  "🔴 regression", "Differential flamegraph against the baseline"):
            self.assertIn(s, text)

    def test_click_zooms_with_javascript(self):
        js = self.seen["js"]
        self.assertFalse(js["searchbar_hidden"])
        self.check_bars(js["before"][0], self.total, KNOWN)
        bars = js["zoomed"][0]["bars"]
        names = [b["title"].split("\n")[0] for b in bars]
        z = bars[names.index("compute")]
        self.assertAlmostEqual(z["w"], FRAME_W, delta=0.02)
        sub = 250 + 100 + 45
        for b, n in zip(bars, names):
            if n in ("inner", "helper"):
                self.assertTrue(b["shown"])
                self.assertAlmostEqual(b["w"], FRAME_W * KNOWN[("main", "compute", n)] / sub, delta=0.02)
                self.assertEqual(b["label"], fit(n, b["w"]))
            elif n in ("parse", "io", "tiny", LONG):
                self.assertFalse(b["shown"], n)
        # The other flamegraph on the page is untouched.
        self.check_bars(js["zoomed"][1], self.total, KNOWN)

    def test_search_with_javascript(self):
        js = self.seen["js"]
        for fig in js["searched"]:
            hits = sorted(b["title"].split("\n")[0] for b in fig["bars"] if b["hit"])
            self.assertEqual(hits, ["helper", "inner"])
            self.assertEqual(int(fig["matched_samples"]), 350)
            self.assertEqual(fig["matched"], f"matched: {100.0 * 350 / self.total:.2f}%")
        self.assertTrue(js["searchinfo"].startswith("4 bars match"))

    def test_several_profiles_on_one_page(self):
        other = os.path.join(self.dir, "other.json")
        profile_json(other, {("main", "x"): 10}, name="other")
        out = os.path.join(self.dir, "multi")
        os.makedirs(out)
        r = run_csprof(["report", self.known, other, "--format", "html", "-o", out])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
            html = f.read()
        self.assertIn('id="s-known"', html)
        self.assertIn('id="s-other"', html)
        self.assertEqual(html.count('<figure class="fg">\n'), 2)
        r = run_csprof(["report", self.known, other, "--format", "svg"])
        self.assertEqual(r.returncode, 64)

    def test_100k_stacks_stay_usable(self):
        rnd = random.Random(7)
        paths = {}
        while len(paths) < 100_000:
            depth = rnd.randint(3, 14)
            p = tuple(f"mod{rnd.randint(0, 3)}.f{rnd.randint(0, 40 // (d + 1) + 2)}" for d in range(depth))
            paths[p] = paths.get(p, 0) + rnd.randint(1, 20)
        big = os.path.join(self.dir, "big.json")
        profile_json(big, paths, name="big")
        page = os.path.join(self.dir, "big.html")
        r = run_csprof(["report", big, "--format", "html", "--baseline", big, "-o", page], timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        seen = browse(page, "big", search="mod1\\.f3$")
        self.assertEqual(seen["errors"], [])
        self.assertEqual(len(seen["nojs"]["figures"]), 2)
        self.assertGreater(len(seen["nojs"]["figures"][0]["bars"]), 1000)
        self.assertGreater(int(seen["js"]["searched"][0]["matched_samples"]), 0)
        size = os.path.getsize(page)
        print(f"\n  100,000 stacks: {size / 1e6:.2f} MB, {len(seen['nojs']['figures'][0]['bars'])} bars per "
              f"flamegraph, load {seen['load_ms']['nojs']} ms without JS, {seen['load_ms']['js']} ms with JS")
