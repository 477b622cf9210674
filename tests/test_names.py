"""Names users know, module-aware kinds, and one frame per import, on every
interpreter (tests/pythons.py):

- functools.wraps wrappers show the wrapped function's name from 3.11 (the
  frame's function object), co_name before;
- a pseudo-file (`<fakepkg internals>`) of a package under site-packages is
  third-party by its module from 3.11 (stdlib by its path before, where the
  module is not known);
- a 12-deep import chain is one `import NAME` frame per import with the
  imported module's `<module>` beneath it, and no importlib machinery;
- with Debian's python3-numpy, np.concatenate and np.dot show under their own
  names, in module numpy, as third-party.
"""
import os
import subprocess
import unittest

import pythons
from common import WORKLOADS, Profile, TempDirTest, line_of, run_csprof

MACHINERY = {"_find_and_load", "_find_and_load_unlocked", "_load_unlocked", "exec_module",
             "_call_with_frames_removed", "_handle_fromlist", "_gcd_import"}


def kinds_in_text(text, function):
    """The kind column of `function`'s rows in the text summary's tables."""
    out = []
    for line in text.splitlines():
        cols = line.split()
        if function in cols:
            out += [k for k in ("third-party", "stdlib", "your code", "native") if k in line]
    return out


class NamesMixin:
    interp = None

    def setUp(self):
        super().setUp()
        if self.interp.skip_reason:
            self.skipTest(f"{self.interp.label}: {self.interp.skip_reason}")

    def record(self, name, script, *args, formats="json,text"):
        out = os.path.join(self.tmp, "out")
        r = run_csprof(["record", "-q", "-o", out, "-n", name, "-f", formats, "--"] +
                       self.interp.argv + [script] + list(args),
                       env=self.interp.environ(), timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(out, name + ".txt"), encoding="utf-8") as f:
            text = f.read()
        return Profile(os.path.join(out, name + ".json")), text

    @property
    def modern(self):
        return self.interp.version[:2] >= (3, 11)

    def test_wraps_names_the_wrapper(self):
        script = os.path.join(WORKLOADS, "wrapped.py")
        prof, _ = self.record("wrapped", script, "1.0")
        # co_firstlineno of a decorated function is its first decorator's line
        wrapper_first = line_of(script, "# WRAPPER-line") - 1
        wrappers = [f for f in prof.frames if f["first_line"] == wrapper_first]
        self.assertTrue(wrappers, "no frame of the wrapper was sampled")
        names = {f["function"] for f in wrappers}
        if self.modern:
            self.assertEqual(names, {"crunch"})
            self.assertTrue(all(f.get("module") == "__main__" for f in wrappers), wrappers)
        else:
            self.assertEqual(names, {"wrapper"})   # co_name: no function object in the frame
            self.assertTrue(all("module" not in f for f in prof.frames))
        # The wrapped function itself keeps its own frame beneath.
        self.assertGreater(prof.self_share("crunch"), 50.0)

    def test_pseudo_file_classified_by_module(self):
        prof, text = self.record("pseudo", os.path.join(WORKLOADS, "pseudo_module.py"),
                                 self.tmp, "1.0")
        pseudo = [f for f in prof.frames if f["file"] == "<fakepkg internals>"]
        # The pseudo-file's own module code (the exec that defines spin, at
        # import) may be caught too, at its first line; everything else is spin.
        spin = [f for f in pseudo if f["function"] != "<module>"]
        self.assertTrue(spin and all(f["function"] == "spin" for f in spin), pseudo)
        self.assertTrue(all(f["line"] == 1 for f in pseudo if f["function"] == "<module>"), pseudo)
        kinds = set(kinds_in_text(text, "spin"))
        if self.modern:
            self.assertTrue(all(f.get("module") == "fakepkg" for f in spin), spin)
            self.assertEqual(kinds, {"third-party"}, text)
        else:
            self.assertEqual(kinds, {"stdlib"}, text)   # the module is unknown before 3.11

    def test_import_chain_collapsed(self):
        depth = 12
        prof, text = self.record("imports", os.path.join(WORKLOADS, "import_chain.py"),
                                 os.path.join(self.tmp, "mods"), str(depth))
        imports = {f["function"] for f in prof.frames if f.get("import")}
        self.assertTrue({f"import chain{i}" for i in range(depth)} <= imports, imports)
        deepest = 0
        for s in prof.stacks:
            names = [prof.frames[i]["function"] for i in s["frames"]]
            if "import chain0" in names:
                # one import frame and one <module> frame per level, nothing between
                deepest = max(deepest, len(names))
                # (a meta-path finder such as setuptools' may sit in between)
                self.assertFalse(MACHINERY & set(names), names)
        self.assertGreater(deepest, 2 * (depth // 2))
        self.assertLessEqual(deepest, 2 * depth + 4)
        share = 100.0 * sum(s["count"] for s in prof.stacks
                            if any(prof.frames[i].get("import") for i in s["frames"])) / prof.total
        self.assertGreater(share, 50.0)


class NumpyMixin:
    """Only for Debian's /usr/bin/python3.11, which python3-numpy is built for."""

    def test_numpy_api_functions_named(self):
        if subprocess.run([pythons.DEBIAN_SYSTEM, "-c", "import numpy"]).returncode:
            self.fail("python3-numpy is not installed (apt-get install python3-numpy)")
        prof, text = self.record("np", os.path.join(WORKLOADS, "numpy_calls.py"))
        for fn in ("concatenate", "dot"):
            frames = [f for f in prof.frames if f["function"] == fn]
            # numpy.core.multiarray.dot (a dispatcher in a real file) may show too
            frames = [f for f in frames if f["file"] == "<__array_function__ internals>"]
            self.assertTrue(frames, f"{fn} not in the profile")
            self.assertTrue(all(f.get("module") == "numpy" for f in frames), frames)
            self.assertEqual(set(kinds_in_text(text, fn)), {"third-party"}, text)
        self.assertFalse(any("public_api" in f["function"] for f in prof.frames))


def _make_classes():
    for interp in pythons.all_interpreters():
        name = "TestNames_" + "".join(c if c.isalnum() else "_" for c in interp.label)
        mixins = (NamesMixin,)
        if interp.argv and interp.argv[0] == pythons.DEBIAN_SYSTEM:
            mixins = (NumpyMixin, NamesMixin)
        globals()[name] = type(name, mixins + (TempDirTest,), {"interp": interp})


_make_classes()


if __name__ == "__main__":
    unittest.main()
