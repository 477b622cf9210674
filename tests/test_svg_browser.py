"""The flamegraph SVG in a real browser: headless Chromium via playwright-core.

The fixtures come from the unit test binary's fixture mode (tests/unit/test_svg.c
--write), built here from the modules it needs (SVG_MODULES). The flamegraph's
scripts pass `node --check` and Chromium parses every rule of its style sheet. tests/browser/svg_check.js
drives the page and reports observations; every expectation is computed here
from the profile's stacks (written next to the SVGs), not from the SVG.

Skips (with the reason printed) only when chromium or node is missing.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "build", "svg_browser")
CHROMIUM = "/usr/bin/chromium"
FRAME_W = 1180.0
PAD = 10.0
# What the flamegraph writer links: its own modules and the shared helpers.
SVG_MODULES = ("report/fmt_svg", "report/flame_names", "report/flame_tree", "report/flame_colour",
               "model/profile", "model/classify", "model/functable", "util/hashidx", "util/sbuf",
               "util/utf8", "util/numfmt")
SRC_DIRS = ("util", "model", "target", "report", "cli")   # the Makefile's include path


def css_rules(path):
    """[(selector, [property, ...])] of a plain style sheet (no at-rules, no comments)."""
    with open(path) as f:
        text = f.read()
    rules = []
    for m in re.finditer(r"([^{}]+)\{([^{}]*)\}", text):
        props = [d.split(":", 1)[0].strip() for d in m.group(2).split(";") if d.strip()]
        rules.append((m.group(1).strip(), props))
    rest = re.sub(r"[^{}]+\{[^{}]*\}", "", text)
    assert not rest.strip(), f"{path}: not a plain list of rules near {rest.strip()[:40]!r}"
    return rules


def read_stacks(path):
    """[(count, idle, [(function, file), ...root first])]"""
    stacks = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            frames = []
            for fr in parts[2:]:
                fn, fl = fr.split(":")
                frames.append((bytes.fromhex(fn).decode("utf-8", "replace"),
                               bytes.fromhex(fl).decode("utf-8", "replace")))
            stacks.append((int(parts[0]), parts[1] == "1", frames))
    return stacks


def path_counts(stacks):
    """Samples per call path of function names (the demo's names are unique per file)."""
    counts = {}
    for count, _, frames in stacks:
        for d in range(len(frames)):
            key = tuple(fn for fn, _ in frames[: d + 1])
            counts[key] = counts.get(key, 0) + count
    return counts


def bar_paths(bars):
    """Rebuild each bar's call path from the rows: roots have the largest y."""
    bottom = max(b["y"] for b in bars)
    out, stack = [], []
    for b in bars:
        level = int(round((bottom - b["y"]) / 16))
        del stack[level:]
        stack.append(b["name"])
        out.append(tuple(stack))
    return out


def png_pixels(path):
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) into rows of RGB tuples."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), f"unexpected PNG format {depth}/{ctype}"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return rows


def rgb(fill):
    m = re.match(r"rgb\((\d+), (\d+), (\d+)\)", fill or "")
    assert m, f"unexpected fill {fill!r}"
    return tuple(int(v) for v in m.groups())


class SvgBrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = [name for name, ok in (("node", shutil.which("node")),
                                         ("chromium", os.access(CHROMIUM, os.X_OK))) if not ok]
        if missing:
            raise unittest.SkipTest(f"{' and '.join(missing)} not installed "
                                    f"(apt-get install chromium nodejs)")
        if not os.path.isdir(os.path.join(ROOT, "node_modules", "playwright-core")):
            raise AssertionError("node_modules/playwright-core is missing: run `npm ci` in the repo root")
        os.makedirs(OUT, exist_ok=True)
        maker = os.path.join(OUT, "svg_fixtures")
        # fmt_svg.c includes the CSS and scripts as a generated header.
        subprocess.run(["make", "-s", "build/gen/flamegraph_assets.h"], cwd=ROOT, check=True)
        subprocess.run(["cc", "-std=c11", "-O1", "-g", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror",
                        "-Wno-unused-parameter", *(f"-Isrc/{d}" for d in SRC_DIRS), "-Ibuild/gen", "-Itests/unit", "-o", maker,
                        "tests/unit/test_svg.c"] + [os.path.join("src", m + ".c") for m in SVG_MODULES],
                       cwd=ROOT, check=True)
        subprocess.run([maker, "--write", OUT], check=True)
        cls.demo_stacks = read_stacks(os.path.join(OUT, "demo.stacks"))
        cls.later_stacks = read_stacks(os.path.join(OUT, "later.stacks"))
        cls.searches = ["json|lambda", "report|sleep", "r\u00e9sum\u00e9"]
        cls.demo = cls.drive("demo", hover="load_records", click="transform", searches=cls.searches)
        cls.diff = cls.drive("diff", hover="DataFrame.apply")
        cls.big = cls.drive("big", click={"level": 3})

    @classmethod
    def drive(cls, name, **cfg):
        with tempfile.TemporaryDirectory(prefix="csprof-chromium-") as profile_dir:
            cfg.update(svg=os.path.join(OUT, name + ".svg"), png=os.path.join(OUT, name),
                       profile_dir=profile_dir)
            cfg_path = os.path.join(OUT, name + ".check.json")
            with open(cfg_path, "w") as f:
                json.dump(cfg, f)
            r = subprocess.run(["node", os.path.join(ROOT, "tests", "browser", "svg_check.js"), cfg_path],
                               cwd=ROOT, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise AssertionError(f"svg_check.js failed on {name}.svg:\n{r.stderr}")
        return json.loads(r.stdout)

    def total(self, stacks):
        return sum(c for c, _, _ in stacks)

    # ---------------------------------------------------------------- tests

    def test_scripts_pass_node_check(self):
        for name in ("flamecore.js", "flamegraph.js"):
            r = subprocess.run(["node", "--check", os.path.join(ROOT, "src", "report", name)], capture_output=True,
                               text=True)
            self.assertEqual(r.returncode, 0, f"{name}: {r.stderr}")

    def test_style_sheet_parses_whole(self):
        """Every rule and declaration of flamegraph.css is one Chromium understood
        (it drops what it cannot parse, silently)."""
        rules = css_rules(os.path.join(ROOT, "src", "report", "flamegraph.css"))
        self.assertGreater(len(rules), 30)
        for obs in (self.demo, self.diff):
            seen = {r["sel"]: r["css"] for r in obs["css"]}
            self.assertEqual(len(obs["css"]), len(rules))
            for sel, props in rules:
                self.assertIn(sel, seen)
                for prop in props:
                    self.assertRegex(seen[sel], r"(^|; )" + re.escape(prop) + ":", f"{sel} {{{prop}}}")

    def test_documents_are_well_formed_xml(self):
        for name in ("demo", "diff", "big"):
            root = ET.parse(os.path.join(OUT, name + ".svg")).getroot()
            self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg", name)
        for obs in (self.demo, self.diff, self.big):
            self.assertEqual(obs["root"]["tag"], "svg")
            self.assertEqual(obs["root"]["parseerror"], 0)

    def test_renders_without_errors_and_not_blank(self):
        for name, obs in (("demo", self.demo), ("diff", self.diff), ("big", self.big)):
            self.assertEqual(obs["errors"], [], name)
            rows = png_pixels(obs["shots"]["initial"])
            pixels = [p for row in rows for p in row]
            nonwhite = sum(1 for p in pixels if p != (255, 255, 255)) / len(pixels)
            colours = len(set(pixels))
            print(f"    {name}: {obs['shots']['initial']}: {len(rows[0])}x{len(rows)}, "
                  f"{nonwhite:.0%} non-white, {colours} colours, loaded in {obs['load_ms']} ms")
            self.assertGreater(nonwhite, 0.10, name)
            self.assertGreater(colours, 8, name)
        self.assertEqual(self.demo["root"]["title"], "examples/pipeline.py")

    def test_bars_are_the_profile_call_paths(self):
        bars = self.demo["initial"]
        expected = path_counts(self.demo_stacks)
        total = self.total(self.demo_stacks)
        got = dict(zip(bar_paths(bars), bars))
        self.assertEqual(set(got), set(expected))
        for path, count in expected.items():
            self.assertAlmostEqual(got[path]["w"], count * FRAME_W / total, delta=0.011, msg=path)
            self.assertTrue(got[path]["shown"])
        roots = [b for p, b in zip(bar_paths(bars), bars) if len(p) == 1]
        self.assertAlmostEqual(sum(b["w"] for b in roots), FRAME_W, delta=0.001)

    def test_hover_shows_details(self):
        d = self.demo
        self.assertGreaterEqual(d["hover_index"], 0)
        text = d["hover_details"]
        total = self.total(self.demo_stacks)
        n = sum(c for c, _, fr in self.demo_stacks if any(fn == "load_records" for fn, _ in fr))
        seconds = n * 0.0101
        for part in ("load_records", "examples/pipeline.py:14", f"{n} samples",
                     f"{seconds:.2f} s", f"{100 * n / total:.2f}%"):
            self.assertIn(part, text)
        self.assertNotEqual(d["details_after_leave"], text)

    def test_click_zooms_and_reset_restores(self):
        d = self.demo
        paths = bar_paths(d["initial"])
        z = d["click_index"]
        self.assertGreaterEqual(z, 0)
        zpath = paths[z]
        zcount = path_counts(self.demo_stacks)[zpath]
        for path, before, after in zip(paths, d["initial"], d["zoomed"]):
            if path == zpath:
                self.assertAlmostEqual(after["x"], PAD, delta=0.001)
                self.assertAlmostEqual(after["w"], FRAME_W, delta=0.001)
                self.assertTrue(after["shown"])
                self.assertFalse(after["anc"])
            elif path[: len(zpath)] == zpath:  # inside: scaled to the zoomed bar
                count = path_counts(self.demo_stacks)[path]
                self.assertTrue(after["shown"], path)
                self.assertAlmostEqual(after["w"], count * FRAME_W / zcount, delta=0.011, msg=path)
                self.assertGreater(after["w"], before["w"])
            elif zpath[: len(path)] == path:  # ancestors: full width, greyed
                self.assertTrue(after["shown"] and after["anc"], path)
                self.assertAlmostEqual(after["w"], FRAME_W, delta=0.001)
            else:
                self.assertFalse(after["shown"], path)
        self.assertEqual(float(d["reset_opacity_zoomed"]), 1.0)
        for before, after in zip(d["initial"], d["reset"]):
            self.assertEqual((before["x"], before["w"], before["shown"], before["anc"], before["label"]),
                             (after["x"], after["w"], after["shown"], after["anc"], after["label"]))

    def test_search_highlights_and_counts_each_sample_once(self):
        total = self.total(self.demo_stacks)
        bars = self.demo["initial"]
        files = {}
        for _, _, fr in self.demo_stacks:
            files.update(dict(fr))
        for regex, obs in zip(self.searches, self.demo["searches"]):
            rx = re.compile(regex)
            hit = lambda fn: bool(rx.search(fn) or (files.get(fn) and rx.search(files[fn])))
            samples = sum(c for c, _, fr in self.demo_stacks if any(hit(fn) for fn, _ in fr))
            self.assertIsNotNone(obs["prompt"], "no search prompt opened")
            self.assertEqual(obs["matched"], f"matched: {100 * samples / total:.2f}%", regex)
            self.assertEqual(sorted(obs["hits"]), sorted(b["name"] for b in bars if hit(b["name"])), regex)
            self.assertTrue(obs["hits"])
            self.assertEqual(rgb(obs["hit_fill"]), (0xE0, 0, 0xE0))
        # "json|lambda" matches loads > decode > raw_decode nested: counted once.
        self.assertEqual(self.demo["searches"][0]["matched"], "matched: 42.00%")
        self.assertEqual(self.demo["after_escape"], {"matched": "", "hits": 0})

    def test_differential_tooltip_and_colours(self):
        d = self.diff
        self.assertEqual(d["errors"], [])
        # Thread roots carry a tid that changes between runs; a diff matches
        # them by the rest of their label.
        norm = lambda path: tuple(re.sub(r"^(thread|process) \d+ ", r"\1 ", fn) for fn in path)
        base = {norm(p): c for p, c in path_counts(self.demo_stacks).items()}
        now = {norm(p): c for p, c in path_counts(self.later_stacks).items()}
        tb, tn = self.total(self.demo_stacks), self.total(self.later_stacks)
        bars = d["initial"]
        changes = []
        for path, b in zip(map(norm, bar_paths(bars)), bars):
            was, new = 100 * base.get(path, 0) / tb, 100 * now[path] / tn
            self.assertIn(f"base {was:.2f}% \u2192 {new:.2f}% ({new - was:+.2f} pp)", b["title"])
            r, g, bl = rgb(b["fill"])
            if new - was > 1:
                self.assertGreater(r, bl + 10, path)
            elif new - was < -1:
                self.assertGreater(bl, r + 10, path)
            elif abs(new - was) < 0.05:
                self.assertEqual(r, bl, path)
            changes.append((abs(new - was), r - bl))
        # The biggest change gets the strongest colour.
        changes.sort()
        self.assertGreater(abs(changes[-1][1]), 150)
        self.assertIn("DataFrame.apply", d["hover_details"])
        self.assertIn("\u2192", d["hover_details"])

    def test_big_profile_zoom(self):
        b = self.big
        self.assertEqual(b["errors"], [])
        self.assertGreater(len(b["initial"]), 1000)
        z = b["click_index"]
        self.assertGreaterEqual(z, 0)
        self.assertAlmostEqual(b["zoomed"][z]["w"], FRAME_W, delta=0.001)
        hidden = sum(1 for x in b["zoomed"] if not x["shown"])
        self.assertGreater(hidden, 0)
        self.assertEqual([(x["x"], x["w"]) for x in b["initial"]], [(x["x"], x["w"]) for x in b["reset"]])
        self.assertLess(os.path.getsize(os.path.join(OUT, "big.svg")), 3_000_000)


if __name__ == "__main__":
    unittest.main()
