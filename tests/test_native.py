"""csprof record --native: C frames merged into the Python stacks.

One test class per interpreter (pyenv 3.8-3.13 with shared libpython, and
Debian's /usr/bin/python3.11 with libpython linked into the executable and
its static functions stripped). An interpreter that is missing is a SKIP
line with the reason, never a pass.

Besides what the profiles show, these tests check what --native must never
do to the target: leave a thread stopped or traced (after sampling, after
csprof is interrupted, even after csprof is killed), lose a signal sent to
it while it was stopped, or lose a child's exit status.
"""
import ctypes
import glob
import gzip
import os
import re
import signal
import subprocess
import sys
import time
import unittest

from common import WORKLOADS, Profile, TempDirTest, csprof_bin, run_csprof, wrapper

HOTSPOTS = os.path.join(WORKLOADS, "native_hotspots.py")
SCIENTIFIC = os.path.join(WORKLOADS, "native_scientific.py")
SIGNALS = os.path.join(WORKLOADS, "native_signals.py")
DEBIAN_STATIC = "/usr/bin/python3.11"


def interpreters():
    """(label, argv0, has_static_symbols, skip_reason) for every interpreter."""
    found = []
    for minor in range(8, 14):
        dirs = sorted(glob.glob(f"/root/.pyenv/versions/3.{minor}.*"),
                      key=lambda d: [int(x) for x in re.findall(r"\d+", os.path.basename(d))])
        exe = os.path.join(dirs[-1], "bin", f"python3.{minor}") if dirs else None
        if exe and os.access(exe, os.X_OK):
            found.append((f"pyenv_3_{minor}", exe, True, None))
        else:
            found.append((f"pyenv_3_{minor}", None, True,
                          f"no /root/.pyenv/versions/3.{minor}.* interpreter"))
    ok = os.access(DEBIAN_STATIC, os.X_OK)
    found.append(("debian_3_11_static", DEBIAN_STATIC if ok else None, False,
                  None if ok else f"{DEBIAN_STATIC} missing"))
    return found


def proc_status(pid):
    """(State letter, TracerPid) of a live process."""
    with open(f"/proc/{pid}/status") as f:
        text = f.read()
    state = re.search(r"^State:\s+(\S)", text, re.M).group(1)
    tracer = int(re.search(r"^TracerPid:\s+(\d+)", text, re.M).group(1))
    return state, tracer


def task_statuses(pid):
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                text = f.read()
        except FileNotFoundError:
            continue
        out.append((int(tid), re.search(r"^State:\s+(\S)", text, re.M).group(1),
                    int(re.search(r"^TracerPid:\s+(\d+)", text, re.M).group(1))))
    return out


def is_interpreter(path, exe_realpath):
    """The interpreter's own file: the executable, or a libpython."""
    return path == exe_realpath or re.search(r"/libpython3\.\d+[a-z]*\.so", path) is not None


IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def group_name(path):
    """What csprof calls code of `path` that no symbol names: "[vdso]" for
    itself, a Python extension module by its module (the directories below
    site-/dist-packages or lib-dynload that are identifiers, then the file's
    name up to its first dot), any other file by its name."""
    if path.startswith("["):
        return path
    base = os.path.basename(path)
    m = re.fullmatch(rf"({IDENT})\.(cpython-.*|abi3)\.so", base)
    if not m:
        return f"[{base}]"
    parts = [m.group(1)]
    roots = [path.rfind(r) + len(r) for r in ("/site-packages/", "/dist-packages/", "/lib-dynload/")
             if r in path]
    if roots:
        for d in reversed(path[max(roots):].split("/")[:-1]):
            if not re.fullmatch(IDENT, d):
                break
            parts.insert(0, d)
    return "[" + ".".join(parts) + "]"


def native_counts(stderr):
    m = re.search(r"--native: (\d+) thread samples merged with their C frames, (\d+) kept", stderr)
    return (int(m.group(1)), int(m.group(2))) if m else None


class NativeMixin:
    label = exe = None
    symbols = True
    skip_reason = None

    def setUp(self):
        super().setUp()
        if self.skip_reason:
            self.skipTest(f"{self.label}: {self.skip_reason}")

    def assertUntouched(self, pid, looks=20):
        """Neither the process nor any of its threads is traced or stopped,
        looked at several times (a stop could be on its way)."""
        for _ in range(looks):
            for tid, state, tracer in task_statuses(pid):
                self.assertEqual(tracer, 0, f"thread {tid} of {pid} is still traced")
                self.assertNotIn(state, "tT", f"thread {tid} of {pid} is stopped ({state})")
            time.sleep(0.01)

    def record(self, *args, opts=(), seconds="3", name="native_hotspots"):
        out = os.path.join(self.tmp, "out")
        r = run_csprof(["record", "-o", out, "-f", "json", *opts, "--", self.exe, *args])
        self.assertEqual(r.returncode, 0, f"stderr={r.stderr}")
        return r, Profile(os.path.join(out, name + ".json"))

    @staticmethod
    def split(p, s):
        """(python names, [(kind, function, file)]) of a stack, roots dropped."""
        frames = [p.frames[i] for i in s["frames"] if p.frames[i]["kind"] in ("python", "native")]
        return [f["function"] for f in frames if f["kind"] == "python"], frames

    def test_native_frames_under_python_callers(self):
        r, p = self.record(HOTSPOTS, "3", opts=["--native"])
        self.assertTrue(p.data["native"])
        merged, mismatched = native_counts(r.stderr)
        self.assertGreater(merged, 100, r.stderr)
        self.assertLessEqual(mismatched, 0.05 * (merged + mismatched), r.stderr)
        interp = os.path.realpath(self.exe)
        qsort, deflate, tail = [0, 0], [0, 0], [0, 0]   # [matching, candidates] samples
        for s in p.stacks:
            py, frames = self.split(p, s)
            if not frames:
                continue
            # Native frames never come before the first Python one.
            self.assertEqual(frames[0]["kind"], "python", [f["function"] for f in frames])
            natives = [f for f in frames if f["kind"] == "native"]
            for f in natives:
                self.assertEqual(f["line"], 0)
                # A file path, "[unknown]", or the vDSO (a sample may land in
                # clock_gettime, which the kernel maps into every process).
                if f["file"] == "[vdso]":
                    # Named by the vDSO's own symbols, or "[vdso]" for a static
                    # helper no symbol covers.
                    self.assertTrue(f["function"] and "/" not in f["function"], f)
                else:
                    self.assertTrue(f["file"] == "[unknown]" or f["file"].startswith("/"), f)
            if not any(f["file"] == HOTSPOTS and f["function"] == "main" for f in frames):
                continue   # start-up (imports) and shutdown
            # The Python frames are complete and in order.
            self.assertEqual(py[:2], ["<module>", "main"], py)
            kinds = [f["kind"] for f in frames]
            names = [f["function"] for f in frames]
            if py[-1] == "compare_ints":
                self.assertEqual(py, ["<module>", "main", "sort_with_qsort", "compare_ints"])
                i, j = names.index("sort_with_qsort"), names.index("compare_ints")
                between = [n for k, n in zip(kinds[i + 1:j], names[i + 1:j]) if k == "native"]
                qsort[1] += s["count"]
                if any("qsort" in n for n in between):
                    qsort[0] += s["count"]
            elif py[-1] == "compress_blob":
                self.assertEqual(py, ["<module>", "main", "compress_blob"])
                deflate[1] += s["count"]
                after = frames[names.index("compress_blob") + 1:]
                if (frames[-1]["kind"] == "native" and
                        any(f["function"] == "deflate" and "libz" in f["file"] for f in after)):
                    deflate[0] += s["count"]
            elif py[-1] == "sort_big_list":
                self.assertEqual(py, ["<module>", "main", "sort_big_list"])
                tail[1] += s["count"]
                after = frames[names.index("sort_big_list") + 1:]
                # The interpreter's own C (list_sort) is charged to the
                # Python frame: nothing of the interpreter file follows it.
                ok = not any(is_interpreter(f["file"], interp) for f in after)
                tail[0] += s["count"] if ok else 0
        for what, (hit, total) in (("qsort between sort_with_qsort and compare_ints", qsort),
                                   ("deflate (libz) under compress_blob", deflate),
                                   ("sorted() charged to sort_big_list", tail)):
            self.assertGreater(total, 5, f"too few merged samples for {what}")
            self.assertGreaterEqual(hit, 0.8 * total, f"{what}: {hit} of {total} samples")
        self.assertEqual(tail[0], tail[1], "interpreter frames under sort_big_list")

    def test_without_native_no_native_frames(self):
        _, p = self.record(HOTSPOTS, "1")
        self.assertFalse(p.data["native"])
        self.assertGreater(p.total, 100)
        self.assertEqual([f for f in p.frames if f["kind"] == "native"], [])

    def test_attach_leaves_target_running(self):
        target = subprocess.Popen([self.exe, HOTSPOTS, "60"], stdout=subprocess.PIPE, text=True)
        try:
            time.sleep(1.0)
            out = os.path.join(self.tmp, "out")
            r = run_csprof(["record", "--native", "--pid", str(target.pid), "-d", "2",
                            "-r", "500", "-o", out, "-f", "json", "-n", "attached"])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertUntouched(target.pid)
            p = Profile(os.path.join(out, "attached.json"))
            self.assertTrue(any(f["kind"] == "native" for f in p.frames))
            # And it still works: it finishes its round and reports.
            target.send_signal(signal.SIGTERM)
            stdout, _ = target.communicate(timeout=60)
            self.assertEqual(target.returncode, 0)
            self.assertGreater(int(stdout), 0)
        finally:
            if target.poll() is None:
                target.kill()
                target.wait()

    def test_child_exit_status_with_threads(self):
        code = ("import threading, zlib, sys\n"
                "def work():\n"
                "    b = bytes(range(256)) * 4096\n"
                "    for _ in range(40): zlib.compress(b, 9)\n"
                "ts = [threading.Thread(target=work) for _ in range(3)]\n"
                "[t.start() for t in ts]; [t.join() for t in ts]\n"
                "sys.exit(3)\n")
        out = os.path.join(self.tmp, "out")
        r = run_csprof(["record", "--native", "-r", "500", "-o", out, "-f", "json", "-n", "thr",
                        "--", self.exe, "-c", code])
        self.assertEqual(r.returncode, 3, r.stderr)
        p = Profile(os.path.join(out, "thr.json"))
        work = [s for s in p.stacks if "work" in self.split(p, s)[0]]
        self.assertTrue(work, "no samples in the threads")
        self.assertTrue(any(f["kind"] == "native" and f["function"] == "deflate"
                            for s in work for f in self.split(p, s)[1]),
                        "no deflate frame under the threads' work()")


def _make_classes():
    for label, exe, symbols, skip in interpreters():
        name = f"Native_{label}"
        globals()[name] = type(name, (NativeMixin, TempDirTest), {
            "label": label, "exe": exe, "symbols": symbols, "skip_reason": skip})


_make_classes()


def any_interpreter():
    for label, exe, _, skip in interpreters():
        if not skip and label == "pyenv_3_12":
            return exe
    return next((exe for _, exe, _, skip in interpreters() if not skip), None)


class NativeSafety(TempDirTest):
    """What --native must never do to a target, whatever the Python version."""

    def setUp(self):
        super().setUp()
        self.exe = any_interpreter()
        if not self.exe:
            self.skipTest("no interpreter available")

    assertUntouched = NativeMixin.assertUntouched

    def start(self, *args):
        t = subprocess.Popen([self.exe, *args], stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (t.poll() is None and t.kill(), t.wait()))
        return t

    def csprof_attached(self, pid, *opts):
        out = os.path.join(self.tmp, "out")
        return subprocess.Popen(wrapper() + [csprof_bin(), "record", "--native", "--pid", str(pid),
                                             "-o", out, "-f", "json", "-n", "a", *opts],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def test_sigint_during_sampling_detaches(self):
        target = self.start(HOTSPOTS, "60")
        time.sleep(1.0)
        c = self.csprof_attached(target.pid, "-r", "2000")
        time.sleep(1.5)
        c.send_signal(signal.SIGINT)
        _, err = c.communicate(timeout=60)
        self.assertEqual(c.returncode, 0, err)
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "out", "a.json")), err)
        self.assertUntouched(target.pid)

    def test_sigkill_of_csprof_never_leaves_target_stopped(self):
        target = self.start(HOTSPOTS, "60")
        time.sleep(1.0)
        for delay in (0.3, 0.55, 0.8):
            c = self.csprof_attached(target.pid, "-r", "5000")
            time.sleep(delay)
            c.kill()
            c.communicate(timeout=60)
            self.assertUntouched(target.pid)

    def test_signals_reach_target_while_sampled(self):
        target = self.start(SIGNALS)
        self.assertEqual(target.stdout.readline().strip(), "ready")
        c = self.csprof_attached(target.pid, "-r", "2000")
        time.sleep(2.0)
        c.send_signal(signal.SIGINT)
        _, err = c.communicate(timeout=60)
        self.assertEqual(c.returncode, 0, err)
        merged = native_counts(err)
        self.assertGreater(merged[0] if merged else 0, 100, err)
        self.assertUntouched(target.pid)
        target.send_signal(signal.SIGTERM)
        stdout, _ = target.communicate(timeout=60)
        sent, received = map(int, stdout.split()[-2:])
        self.assertGreater(sent, 1000)
        self.assertEqual(received, sent, "signals lost while the target was stopped")

    def test_already_traced_target_is_refused_clearly(self):
        target = self.start(HOTSPOTS, "60")
        time.sleep(0.5)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
        PTRACE_SEIZE = 0x4206
        if libc.ptrace(PTRACE_SEIZE, target.pid, None, None) != 0:
            self.skipTest(f"cannot seize the target here: {os.strerror(ctypes.get_errno())}")
        # We are its tracer now (without stopping it) until it dies.
        out = os.path.join(self.tmp, "out")
        r = run_csprof(["record", "--native", "--pid", str(target.pid), "-d", "1", "-o", out])
        self.assertEqual(r.returncode, 77, r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(f"already traced by process {os.getpid()}", lines[0])
        # Without --native nothing needs ptrace: reading memory still works.
        r = run_csprof(["record", "--pid", str(target.pid), "-d", "0.5", "-o", out, "-f", "json"])
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_one_thread_traced_by_another_leaves_the_rest_sampled(self):
        # A worker thread traced by someone else (we seize it here): --native
        # gives up C frames for that process, says why, and goes on with
        # Python frames. It once freed its unwinder while a sample of
        # another thread, stopped in the same tick, still needed it to name
        # its C frames (SIGSEGV).
        code = ("import threading, zlib\n"
                "def spin():\n"
                "    x = 0\n"
                "    while True: x += 1\n"
                "t = threading.Thread(target=spin, daemon=True); t.start()\n"
                "print(t.native_id, flush=True)\n"
                "import os; b = os.urandom(1 << 24)\n"
                "while True: zlib.compress(b, 9)\n")
        # Both threads run at once: the worker with the GIL, the main thread
        # in a compression of 16 MB (a second or so) without it.
        target = self.start("-c", code)
        worker = int(target.stdout.readline())
        libc = ctypes.CDLL(None, use_errno=True)
        libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
        self.assertEqual(libc.ptrace(0x4206, worker, None, None), 0,   # PTRACE_SEIZE
                         os.strerror(ctypes.get_errno()))

        def reap_worker():
            # A traced thread's exit waits for its tracer (us): without this
            # the process is never fully reaped.
            target.kill()
            try:
                os.waitpid(worker, 0x40000000)   # __WALL
            except ChildProcessError:
                pass
        self.addCleanup(reap_worker)
        time.sleep(0.3)
        out = os.path.join(self.tmp, "out")
        r = run_csprof(["record", "--native", "--pid", str(target.pid), "-d", "1.5", "-r", "500",
                        "-o", out, "-f", "json", "-n", "t"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"already traced by process {os.getpid()}", r.stderr)
        self.assertIn(f"recording Python frames only for process {target.pid}", r.stderr)
        p = Profile(os.path.join(out, "t.json"))
        names = {f["function"] for f in p.frames}
        self.assertIn("spin", names)
        self.assertIn("<module>", names)
        for tid, state, tracer in task_statuses(target.pid):
            self.assertEqual(tracer, os.getpid() if tid == worker else 0, f"thread {tid}")
            self.assertNotIn(state, "tT", f"thread {tid} is stopped ({state})")

    def test_help_documents_native(self):
        r = run_csprof(["record", "--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("--native", r.stdout)
        self.assertIn("100 Hz", r.stdout)


# What a mangled name left in an output looks like: Itanium C++ (_ZN2at...,
# _ZdlPv) or Rust v0 (_RNv...), not inside a longer identifier.
def pprof_strings(buf):
    """The string table of a pprof Profile message (field 6, length-
    delimited), read with a minimal protobuf walk of its top-level fields."""
    def varint(i):
        v = shift = 0
        while True:
            b = buf[i]
            i += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return v, i
    out, i = [], 0
    while i < len(buf):
        key, i = varint(i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, i = varint(i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            n, i = varint(i)
            if field == 6:
                out.append(buf[i:i + n].decode("utf-8", "replace"))
            i += n
        else:
            raise AssertionError(f"pprof: unexpected wire type {wire} at byte {i}")
    return out


MANGLED = re.compile(r"(?<![A-Za-z0-9_])(_Z[A-Za-z0-9_]{2,}|_R[A-Z][A-Za-z0-9_]+)")
ALL_FORMATS = "svg,json,md,text,folded,speedscope,pprof"
BLAS = re.compile(r"^(d|s)(potrf2?|trsm|gemm|syrk|gemv|trmm|potrs|scal|dot|axpy|copy)_$")


class NativeScientific(TempDirTest):
    """--native on numpy/SciPy (and torch's C++) with Debian's packages on
    /usr/bin/python3.11: the names a user reads."""

    def setUp(self):
        super().setUp()
        if not os.access(DEBIAN_STATIC, os.X_OK):
            self.skipTest(f"{DEBIAN_STATIC} missing")
        self.interp = os.path.realpath(DEBIAN_STATIC)

    def need(self, modules, packages):
        r = subprocess.run([DEBIAN_STATIC, "-c", f"import {modules}"], capture_output=True)
        if r.returncode:
            self.skipTest(f"{DEBIAN_STATIC} cannot import {modules}: apt-get install {packages}")

    def record(self, mode, seconds):
        out = os.path.join(self.tmp, "out")
        r = run_csprof(["record", "--native", "-o", out, "-n", mode, "-f", ALL_FORMATS, "--",
                        DEBIAN_STATIC, SCIENTIFIC, str(seconds), mode], timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        merged, _ = native_counts(r.stderr)
        self.assertGreater(merged, 50, r.stderr)
        return out, Profile(os.path.join(out, mode + ".json"))

    def assertNothingMangled(self, out):
        for name in sorted(os.listdir(out)):
            with open(os.path.join(out, name), "rb") as f:
                data = f.read()
            if name.endswith(".pb.gz") or data[:2] == b"\x1f\x8b":
                # pprof: only the string table holds names; the rest is
                # binary (varints), where "_Z" and two letters can occur by
                # chance (seen once: "_ZYXW").
                text = "\n".join(pprof_strings(gzip.decompress(data)))
            else:
                text = data.decode("utf-8", "replace")
            found = MANGLED.findall(text)
            self.assertEqual(found[:5], [], f"mangled names left in {name}")

    def native_frames(self, p, s):
        return [p.frames[i] for i in s["frames"] if p.frames[i]["kind"] == "native"]

    def test_numpy_scipy_names(self):
        self.need("numpy, scipy", "python3-numpy python3-scipy")
        out, p = self.record("numpy", 4)
        self.assertNothingMangled(out)
        # The interpreter's C is charged to Python frames: none of its
        # functions is a frame, let alone a leaf in the top rows.
        interp_frames = {f["function"] for s in p.stacks for f in self.native_frames(p, s)
                         if is_interpreter(f["file"], self.interp)}
        self.assertEqual(interp_frames, set())
        leaves = {}
        for s in p.stacks:
            leaf = p.leaf(s)
            key = (leaf["function"], leaf["file"], leaf["kind"])
            leaves[key] = leaves.get(key, 0) + s["count"]
        top = sorted(leaves.items(), key=lambda kv: -kv[1])[:10]
        for (function, path, kind), _ in top:
            self.assertFalse(kind == "native" and is_interpreter(path, self.interp), function)
            self.assertNotRegex(function, r"^_?Py[A-Z_]", [t[0] for t in top])
        # Unnamed code is one frame per library, never one per address.
        grouped = set()
        for f in p.frames:
            if f["kind"] != "native":
                continue
            self.assertNotRegex(f["function"], r"^0x[0-9a-f]+", f)
            # Nothing here runs outside a file (no JIT, no trampolines): an
            # "[unknown]" frame would be a walk gone astray, which must stop
            # instead (seen once in CI before it did).
            self.assertNotEqual(f["file"], "[unknown]", f)
            if f["function"].startswith("["):
                self.assertEqual(f["function"], group_name(f["file"]), f)
                grouped.add(f["function"])
        for s in p.stacks:
            names = [p.frames[i]["function"] for i in s["frames"]]
            for a, b in zip(names, names[1:]):
                self.assertFalse(a == b and a.startswith("["), f"{a} twice in a row: {names}")
        # numpy's C by the module its users import, not by its file.
        self.assertIn("[numpy.core._multiarray_umath]", grouped)
        # LAPACK/BLAS named beneath numpy's cholesky, under our factor().
        under, named = 0, 0
        for s in p.stacks:
            frames = [p.frames[i] for i in s["frames"] if p.frames[i]["kind"] in ("python", "native")]
            names = [f["function"] for f in frames]
            if "factor" not in names or frames[-1]["kind"] != "native":
                continue
            last_py = max(i for i, f in enumerate(frames) if f["kind"] == "python")
            if names[last_py] != "cholesky":
                continue   # numpy's Python helpers around the factorisation
            under += s["count"]
            if any(BLAS.match(f["function"]) and re.search(r"/lib(blas|lapack)", f["file"])
                   for f in frames[last_py + 1:]):
                named += s["count"]
        self.assertGreater(under, 5, "too few samples in C under factor() -> cholesky")
        self.assertGreaterEqual(named, 0.5 * under, f"BLAS/LAPACK named in {named} of {under}")

    def test_torch_cpp_names_demangled(self):
        self.need("torch", "python3-torch")
        out, p = self.record("torch", 4)
        self.assertNothingMangled(out)
        cpp = [s for s in p.stacks
               if "forward_backward" in [p.frames[i]["function"] for i in s["frames"]] and
               any(f["function"].startswith("at::") for f in self.native_frames(p, s))]
        self.assertGreater(sum(s["count"] for s in cpp), 5,
                           "no demangled at:: frames under forward_backward")


if __name__ == "__main__":
    unittest.main()
