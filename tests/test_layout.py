"""The shape of src/ that the README's layout section promises: one folder
per layer (util, model, target, report, cli, in that order), a layer
includes only the layers before it, no hand-written file is longer than
about 800 lines (generated *_gen.h tables excepted), and no function in a
hand-written src/*/*.c is longer than 80 lines (DEVELOPERS.md: small
functions)."""
import glob
import os
import re
import unittest

from common import ROOT

LAYERS = ("util", "model", "target", "report", "cli")   # the Makefile's SRC_DIRS
MAX_LINES = 800
MAX_FUNCTION_LINES = 80

# Comments and string or character literals, removed before the scan so that
# a brace, parenthesis or semicolon inside them is not mistaken for code.
NOT_CODE = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)


def blank_out(m):
    text = m.group(0)
    return "\n" * text.count("\n") if text[0] == "/" else text[0] * 2


def functions(text):
    """(name, lines, closing lines) of a C file: each function defined over
    several lines, with its length from the line that ends with its opening
    brace to its closing brace, and how many lines are a lone "}" (each
    should close one of those functions). Relies on this codebase's style
    rather than on a C parser: a top-level declaration starts at column 0,
    a definition's header ends with ") {", and the block it opens (function,
    struct or initializer) ends on the next line that starts with "}"."""
    found, closers = [], 0
    header, opened, name = [], None, None
    for i, line in enumerate(NOT_CODE.sub(blank_out, text).split("\n")):
        closers += line.rstrip() == "}"
        if opened is not None:
            if line.startswith("}"):
                if name:
                    found.append((name, i - opened + 1))
                opened = None
            continue
        code = line.rstrip()
        if not code or code.startswith("#") or (not header and code[0].isspace()):
            header = []
            continue
        header.append(code)
        if code.endswith("{"):
            decl = " ".join(header)[:-1].rstrip()
            call = re.search(r"(\w+)\s*\(", decl)
            name = call.group(1) if call and decl.endswith(")") else None
            opened, header = i, []
        elif code.endswith((";", "}")):
            header = []
    return found, closers


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

    def test_no_function_too_long(self):
        long_fns, unparsed = [], []
        for p in self.sources():
            if not p.endswith(".c") or p.endswith("_gen.c"):
                continue
            with open(p, encoding="utf-8") as f:
                text = f.read()
            if "do not edit" in text[:400].lower():
                continue   # generated
            found, closers = functions(text)
            long_fns += [f"{os.path.relpath(p, ROOT)}: {name}, {n} lines"
                         for name, n in found if n > MAX_FUNCTION_LINES]
            if len(found) != closers:
                # a function the scan did not recognise would go unmeasured
                unparsed.append(f"{os.path.relpath(p, ROOT)}: {closers} lone '}}' lines, "
                                f"{len(found)} functions recognised")
        self.assertEqual(unparsed, [])
        self.assertEqual(long_fns, [])


if __name__ == "__main__":
    unittest.main()
