"""The shape of src/ that the README's layout section promises: one folder
per layer (util, model, target, report, cli, in that order), a layer
includes only the layers before it, and no hand-written file is longer than
about 800 lines (generated *_gen.h tables excepted)."""
import glob
import os
import re
import unittest

from common import ROOT

LAYERS = ("util", "model", "target", "report", "cli")   # the Makefile's SRC_DIRS
MAX_LINES = 800


class Layout(unittest.TestCase):
    def sources(self):
        return sorted(glob.glob(os.path.join(ROOT, "src", "*", "*.[ch]")))

    def test_every_source_is_in_a_layer(self):
        folders = {os.path.basename(os.path.dirname(p)) for p in self.sources()}
        self.assertEqual(folders - {"tools"}, set(LAYERS))
        self.assertEqual(glob.glob(os.path.join(ROOT, "src", "*.[ch]")), [], "a source left in src/ itself")
        with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as f:
            self.assertIn("SRC_DIRS := " + " ".join(LAYERS), f.read())

    def test_no_upward_include(self):
        layer_of = {}
        for p in self.sources():
            layer = os.path.basename(os.path.dirname(p))
            if layer in LAYERS:
                self.assertNotIn(os.path.basename(p), layer_of, f"two headers named {os.path.basename(p)}")
                layer_of[os.path.basename(p)] = layer
        upward = []
        for p in self.sources():
            layer = os.path.basename(os.path.dirname(p))
            if layer not in LAYERS:
                continue
            with open(p, encoding="utf-8") as f:
                for inc in re.findall(r'^#include "([^"]+)"', f.read(), re.M):
                    dep = layer_of.get(inc)
                    if dep and LAYERS.index(dep) > LAYERS.index(layer):
                        upward.append(f"{os.path.relpath(p, ROOT)} includes {inc} ({dep})")
        self.assertEqual(upward, [])

    def test_no_file_too_long(self):
        long_files = []
        for p in self.sources() + glob.glob(os.path.join(ROOT, "src", "*", "*.js")) \
                + glob.glob(os.path.join(ROOT, "src", "*", "*.css")):
            if p.endswith("_gen.h"):
                continue
            with open(p, encoding="utf-8") as f:
                n = sum(1 for _ in f)
            if n > MAX_LINES:
                long_files.append(f"{os.path.relpath(p, ROOT)}: {n} lines")
        self.assertEqual(long_files, [])


if __name__ == "__main__":
    unittest.main()
