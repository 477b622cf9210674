"""The CPython interpreters integration tests profile, and how to run each.

    from pythons import all_interpreters
    for py in all_interpreters():
        if py.skip_reason:
            self.skipTest(f"{py.label}: {py.skip_reason}")   # or subTest + skip
        proc = subprocess.run(py.argv + ["script.py"], env=py.environ(), ...)

Covers pyenv's 3.8-3.13 (shared libpython), Debian bookworm's
/usr/bin/python3.11 (libpython linked statically into the executable),
Debian's bullseye 3.9, trixie 3.13, sid 3.14 and sid 3.15 unpacked under
build/py/ by tests/provision-pythons.sh, Debian's debug builds (Py_DEBUG)
trixie 3.13d and sid 3.14d unpacked into the same trees, and the
free-threaded 3.13t / 3.14t that script builds from Debian's source packages
into build/py/ft313, build/py/ft314 (it runs here once when build/py/ lacks
an interpreter; CSPROF_NO_PROVISION=1 turns that off). `build` says which
kind each is: "default", "free-threaded" or "debug".

The unpacked Debian interpreters run through their own suite's dynamic
loader: argv[0] is build/py/SUITE/lib64/ld-linux-x86-64.so.2, so the
process's /proc/PID/exe is that loader, and the interpreter's code is in the
mapped file `executable` (see /proc/PID/maps). `via_loader` says so. They
need `env` (PYTHONHOME) and cannot re-run sys.executable by itself: a child
started as plain sys.executable would pick up the host's older libc.

`python3 tests/pythons.py` prints the table; `--check` also runs a small
threaded script with each one.
"""
import glob
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY_TREES = os.path.join(ROOT, "build", "py")
PROVISION = os.path.join(ROOT, "tests", "provision-pythons.sh")
PYENV = os.environ.get("PYENV_ROOT", "/root/.pyenv")
DEBIAN_SYSTEM = "/usr/bin/python3.11"
# (suite, version) pairs provision-pythons.sh unpacks; keep in step with it.
DEBIAN_TREES = [("bullseye", "3.9"), ("trixie", "3.13"), ("sid", "3.14"), ("sid", "3.15")]
DEBIAN_DEBUG = [("trixie", "3.13"), ("sid", "3.14")]      # python3.Xd in those trees
# Built into build/py/ftXY. 3.14t is not in the list: the Debian archive
# reachable here serves no python3.14 source package (apt-get source gets a
# 404 for its .dsc and .orig tarball), so it cannot be built, and a test that
# could only skip is not kept. Its offsets rows exist (make offsets).
FREE_THREADED = [("trixie", "3.13")]
PYENV_MINORS = range(8, 14)
LOADER = "lib64/ld-linux-x86-64.so.2"


@dataclass
class Interpreter:
    label: str                      # e.g. "pyenv-3.12", "debian-3.11-static", "sid-3.14"
    version: Tuple[int, ...]        # (3, 12, 1); (3, 15) if not known in full
    argv: List[str]                 # prefix: argv + [script, args...]
    env: Dict[str, str] = field(default_factory=dict)  # additions to os.environ
    layout: str = "static"          # "shared-libpython" or "static"
    skip_reason: Optional[str] = None
    executable: Optional[str] = None   # the python binary file (maps to the process)
    libpython: Optional[str] = None    # libpython3.X.so for shared-libpython
    include_dir: Optional[str] = None  # include/python3.X (with internal/ if shipped)
    via_loader: bool = False           # started as ld.so: /proc/PID/exe is the loader
    build: str = "default"             # "default", "free-threaded" or "debug"

    @property
    def available(self) -> bool:
        return self.skip_reason is None

    @property
    def minor(self) -> Tuple[int, int]:
        return self.version[:2]

    def environ(self, base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        """A full environment to run it with: base (os.environ) plus env."""
        e = dict(os.environ if base is None else base)
        for k in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP"):
            e.pop(k, None)  # the test runner's own must not leak in
        e.update(self.env)
        return e

    def command(self, *args: str) -> List[str]:
        return self.argv + list(args)

    def run(self, *args: str, **kw) -> subprocess.CompletedProcess:
        kw.setdefault("env", self.environ())
        return subprocess.run(self.command(*args), **kw)


def _needed(binary: str) -> List[str]:
    """DT_NEEDED entries of an ELF file, via readelf (binutils)."""
    try:
        out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def _layout(binary: str, libdirs: List[str]) -> Tuple[str, Optional[str]]:
    for lib in _needed(binary):
        if lib.startswith("libpython"):
            for d in libdirs:
                if os.path.exists(os.path.join(d, lib)):
                    return "shared-libpython", os.path.join(d, lib)
            return "shared-libpython", None
    return "static", None


def _vtuple(text: str) -> Tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])


def _pyenv() -> List[Interpreter]:
    found = []
    for minor in PYENV_MINORS:
        ver = f"3.{minor}"
        label = f"pyenv-{ver}"
        dirs = sorted(glob.glob(os.path.join(PYENV, "versions", f"{ver}.*")),
                      key=lambda d: _vtuple(os.path.basename(d)))
        dirs = [d for d in dirs if re.fullmatch(r"\d+\.\d+\.\d+", os.path.basename(d))]
        if not dirs:
            found.append(Interpreter(label, (3, minor), [], skip_reason=(
                f"no {PYENV}/versions/{ver}.* (pyenv install {ver})")))
            continue
        prefix = dirs[-1]
        exe = os.path.join(prefix, "bin", f"python{ver}")
        if not os.access(exe, os.X_OK):
            found.append(Interpreter(label, _vtuple(os.path.basename(prefix)), [],
                                     skip_reason=f"{exe} is missing or not executable"))
            continue
        layout, libpython = _layout(exe, [os.path.join(prefix, "lib")])
        inc = os.path.join(prefix, "include", f"python{ver}")
        found.append(Interpreter(
            label, _vtuple(os.path.basename(prefix)), [exe], {}, layout,
            executable=exe, libpython=libpython,
            include_dir=inc if os.path.isdir(inc) else None))
    return found


def _debian_system() -> Interpreter:
    label = "debian-3.11-static"
    exe = DEBIAN_SYSTEM
    if not os.access(exe, os.X_OK):
        return Interpreter(label, (3, 11), [], skip_reason=f"{exe} missing (apt-get install python3.11)")
    try:
        out = subprocess.run([exe, "-c", "import sys; print(*sys.version_info[:3])"],
                             capture_output=True, text=True, check=True, timeout=60,
                             env=Interpreter("", (), []).environ()).stdout
        version = _vtuple(out)
    except (OSError, subprocess.SubprocessError) as e:
        return Interpreter(label, (3, 11), [], skip_reason=f"{exe} does not run: {e}")
    layout, libpython = _layout(exe, ["/usr/lib/x86_64-linux-gnu"])
    inc = "/usr/include/python3.11"
    return Interpreter(label, version, [exe], {}, layout, executable=exe, libpython=libpython,
                       include_dir=inc if os.path.isdir(inc) else None)


def _stamps(suite: str, ver: str, kind: str = "") -> Tuple[str, str]:
    """provision-pythons.sh's verdict files: kind "" (default), "dbg" or "ft"."""
    if kind == "ft":
        prefix = os.path.join(PY_TREES, "ft" + ver.replace(".", ""))
        return (os.path.join(prefix, f".ready-python{ver}t"),
                os.path.join(PY_TREES, ".unavailable-ft" + ver.replace(".", "")))
    tree = os.path.join(PY_TREES, suite)
    tag = f"python{ver}-dbg" if kind == "dbg" else f"python{ver}"
    return (os.path.join(tree, f".ready-{tag}"), os.path.join(tree, f".unavailable-{tag}"))


def _all_stamps() -> List[Tuple[str, str]]:
    return ([_stamps(s, v) for s, v in DEBIAN_TREES] + [_stamps(s, v, "dbg") for s, v in DEBIAN_DEBUG]
            + [_stamps(s, v, "ft") for s, v in FREE_THREADED])


_provisioned = False


def _provision_once() -> None:
    """Runs provision-pythons.sh when some tree has no verdict yet."""
    global _provisioned
    if _provisioned or os.environ.get("CSPROF_NO_PROVISION") == "1":
        return
    _provisioned = True
    if all(any(os.path.exists(s) for s in pair) for pair in _all_stamps()):
        return
    print("pythons: provisioning Debian interpreters (tests/provision-pythons.sh)...",
          file=sys.stderr, flush=True)
    subprocess.run(["bash", PROVISION], stdout=sys.stderr, check=False)


def _not_ready(ready: str, unavailable: str) -> Optional[str]:
    """Why an interpreter is not there, from provision-pythons.sh's stamps."""
    if os.path.exists(ready):
        return None
    if os.path.exists(unavailable):
        with open(unavailable) as f:
            return f.read().strip()
    if os.environ.get("CSPROF_NO_PROVISION") == "1":
        return "not provisioned (CSPROF_NO_PROVISION=1; run tests/provision-pythons.sh)"
    return "not provisioned (tests/provision-pythons.sh did not finish; run it by hand)"


def _debian_tree(suite: str, ver: str, debug: bool = False) -> Interpreter:
    label = f"{suite}-{ver}" + ("d" if debug else "")
    tree = os.path.join(PY_TREES, suite)
    ready, unavailable = _stamps(suite, ver, "dbg" if debug else "")
    why = _not_ready(ready, unavailable)
    if why:
        return Interpreter(label, _vtuple(ver), [], skip_reason=why)
    with open(ready) as f:
        version = _vtuple(f.read()) or _vtuple(ver)
    exe = os.path.join(tree, "usr", "bin", f"python{ver}" + ("d" if debug else ""))
    libdirs = [os.path.join(tree, "lib", "x86_64-linux-gnu"),
               os.path.join(tree, "usr", "lib", "x86_64-linux-gnu")]
    argv = [os.path.join(tree, LOADER), "--library-path", ":".join(libdirs), exe]
    env = {"PYTHONHOME": os.path.join(tree, "usr"), "PYTHONNOUSERSITE": "1"}
    layout, libpython = _layout(exe, libdirs)
    inc = os.path.join(tree, "usr", "include", f"python{ver}" + ("d" if debug else ""))
    return Interpreter(label, version, argv, env, layout, executable=exe, libpython=libpython,
                       include_dir=inc if os.path.isdir(inc) else None, via_loader=True,
                       build="debug" if debug else "default")


def _free_threaded(suite: str, ver: str) -> Interpreter:
    """A --disable-gil build: a plain executable with libpython linked in
    statically, so it runs (and re-runs sys.executable) as it is, from
    wherever build/ is."""
    label = f"ft-{ver}t"
    why = _not_ready(*_stamps(suite, ver, "ft"))
    if why:
        return Interpreter(label, _vtuple(ver), [], skip_reason=why, build="free-threaded")
    prefix = os.path.join(PY_TREES, "ft" + ver.replace(".", ""))
    with open(_stamps(suite, ver, "ft")[0]) as f:
        version = _vtuple(f.read()) or _vtuple(ver)
    exe = os.path.join(prefix, "bin", f"python{ver}t")
    layout, libpython = _layout(exe, [os.path.join(prefix, "lib")])
    inc = os.path.join(prefix, "include", f"python{ver}t")
    return Interpreter(label, version, [exe], {"PYTHONNOUSERSITE": "1"}, layout,
                       executable=exe, libpython=libpython,
                       include_dir=inc if os.path.isdir(inc) else None, build="free-threaded")


_cache: Optional[List[Interpreter]] = None


def all_interpreters() -> List[Interpreter]:
    """Every interpreter, available or not (then skip_reason says why)."""
    global _cache
    if _cache is None:
        _provision_once()
        _cache = (_pyenv() + [_debian_system()] + [_debian_tree(s, v) for s, v in DEBIAN_TREES]
                  + [_debian_tree(s, v, debug=True) for s, v in DEBIAN_DEBUG]
                  + [_free_threaded(s, v) for s, v in FREE_THREADED])
    return list(_cache)


def available_interpreters() -> List[Interpreter]:
    return [i for i in all_interpreters() if i.available]


CHECK_SCRIPT = ("import sys, threading\n"
                "t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
                "print(sys.version.split()[0])\n")


def main(argv: List[str]) -> int:
    check = "--check" in argv
    rows = []
    failed = 0
    for i in all_interpreters():
        ver = ".".join(map(str, i.version))
        if i.skip_reason:
            status = f"SKIP: {i.skip_reason}"
        elif check:
            p = i.run("-c", CHECK_SCRIPT, capture_output=True, text=True, timeout=120)
            got = p.stdout.strip()
            if p.returncode == 0 and got == ver:
                status = f"ran ok: {got}"
            else:
                failed += 1
                status = f"FAILED (exit {p.returncode}): {(p.stderr or got).strip().splitlines()[-1:]}"
        else:
            status = " ".join(i.argv)
        rows.append((i.label, ver, f"{i.layout}/{i.build}" if i.available else "-", status))
    w = [max(len(r[k]) for r in rows) for k in range(3)]
    for r in rows:
        print(f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]}")
    if check:
        ok = sum(1 for i in all_interpreters() if i.available) - failed
        print(f"pythons: {ok} ran, {failed} failed, "
              f"{sum(1 for i in all_interpreters() if not i.available)} unavailable")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
