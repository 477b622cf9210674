#!/usr/bin/env bash
# Usage: tests/provision-pythons.sh [--force]
#
# Unpacks Debian's own CPython builds from other suites into build/py/SUITE/
# (no installation: apt-get download + dpkg -x), with the libc, dynamic loader
# and libraries of that same suite, plus the -dev headers (include/python3.X,
# internal/ included). Interpreters:
#
#   bullseye python3.9, trixie python3.13, sid python3.14, sid python3.15
#   trixie python3.13-dbg, sid python3.14-dbg  (Py_DEBUG builds, python3.Xd,
#                                               unpacked into the same trees)
#
# and builds the free-threaded (--disable-gil) CPython that Debian does not
# package, from Debian's own source package, into build/py/ftXY/ (see
# build_ft below; the first build takes minutes, later runs skip it):
#
#   trixie python3.13 source -> build/py/ft313/bin/python3.13t
#   sid python3.14 source    -> build/py/ft314/bin/python3.14t
#
# Each then runs without touching the host's libc:
#
#   R=build/py/sid
#   PYTHONHOME=$R/usr $R/lib64/ld-linux-x86-64.so.2 \
#     --library-path $R/lib/x86_64-linux-gnu:$R/usr/lib/x86_64-linux-gnu \
#     $R/usr/bin/python3.14 -c 'import sys; print(sys.version)'
#
# (tests/pythons.py builds that command line.) Prints one line per
# interpreter: "ready" or "unavailable (why)". An interpreter already
# provisioned is skipped; --force redoes them all. Exits non-zero only when
# the tooling itself is missing; unavailable interpreters are reported, and
# tests/pythons.py turns them into skip reasons.
set -euo pipefail

# CSPROF_PYTHONS="suite:version ..." overrides the list (e.g. to try one).
# "suite:version:dbg" is Debian's debug build; "suite:version:ft" a
# free-threaded build from that suite's source package.
read -ra WANTED <<<"${CSPROF_PYTHONS:-bullseye:3.9 trixie:3.13 sid:3.14 sid:3.15 trixie:3.13:dbg sid:3.14:dbg trixie:3.13:ft}"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py="$root/build/py"
force=0
[ "${1:-}" = --force ] && force=1

die() { echo "provision-pythons: $*" >&2; exit 1; }
for tool in apt-get:apt apt-cache:apt dpkg:dpkg flock:util-linux; do
  command -v "${tool%%:*}" >/dev/null || die "${tool%%:*} not found: apt-get install ${tool#*:}"
done

mkdir -p "$py"
exec 9>"$py/.lock"
flock 9   # tests may call this concurrently; one provisions, the others wait

APT_CONFIG=$(bash "$root/src/tools/aptenv.sh") || die "private apt config failed (src/tools/aptenv.sh)"
export APT_CONFIG

# Fields of a package's single version in SUITE; empty if SUITE lacks it
# (apt-cache show NAME/SUITE prints nothing then, and still exits 0).
pkg_stanza() { apt-cache show "$1/$2" 2>/dev/null | awk 'BEGIN { RS = "" } NR == 1 { print; exit }'; }

# Prints the packages to unpack for python$ver from $suite: the seeds and,
# recursively, every library (lib*, zlib*) they depend on there. Others
# (debconf, tzdata, media types, perl…) are not needed to run the
# interpreter and are left out; for an "a | b" dependency, the first one
# that SUITE has is taken.
resolve() {
  local suite=$1 ver=$2 variant=${3:-}
  local -A seen=()
  local queue=("python$ver-minimal" "libpython$ver-minimal" "libpython$ver-stdlib")
  [ "$variant" = dbg ] && queue+=("python$ver-dbg" "libpython$ver-dbg")
  local pkg deps group alt name chosen
  while [ ${#queue[@]} -gt 0 ]; do
    pkg=${queue[0]}; queue=("${queue[@]:1}")
    [ -z "${seen[$pkg]:-}" ] || continue
    local stanza
    stanza=$(pkg_stanza "$pkg" "$suite")
    [ -n "$stanza" ] || { echo "missing:$pkg"; return 0; }
    seen[$pkg]=1
    echo "$pkg"
    deps=$(printf '%s\n' "$stanza" | awk '/^(Pre-)?Depends: / { sub(/^[^:]*: /, ""); print }' | tr ',' '\n')
    while IFS= read -r group; do
      [ -n "${group// /}" ] || continue
      chosen=
      IFS='|' read -ra alts <<<"$group"
      for alt in "${alts[@]}"; do
        name=$(awk '{ sub(/:any$/, "", $1); print $1 }' <<<"$alt")
        if [ -n "$(pkg_stanza "$name" "$suite")" ]; then chosen=$name; break; fi
      done
      # Tcl/Tk would drag in X11 for a _tkinter no test loads.
      case $chosen in
        lib*-dev|libtcl*|libtk*) ;;
        lib*|zlib*|python"$ver"*) queue+=("$chosen") ;;
      esac
    done <<<"$deps"
  done
}

# dpkg -x keeps absolute symlinks (/lib64/ld-linux-x86-64.so.2 ->
# /lib/x86_64-linux-gnu/ld-2.31.so); inside the tree they must point into
# the tree, not at the host's files.
relink_absolute() {
  local tree=$1 link target rel
  while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    [[ $target == /* ]] || continue
    rel=$(realpath -m --relative-to="$(dirname "$link")" "$tree$target")
    ln -sfn "$rel" "$link"
  done < <(find "$tree" -type l -print0)
}

# The run check every ready interpreter passes: stdlib from the tree
# (not the host's), threads, the C extension modules tests lean on, and no
# shared object of the host's mapped (ld.so falls back to the host's default
# directories for any library the tree lacks).
CHECK='import sys, os, threading, json, zlib, ctypes, hashlib, _ssl
tree = os.path.realpath(os.path.dirname(os.environ["PYTHONHOME"]))  # build/py may be a symlink
assert sys.prefix == os.environ["PYTHONHOME"], sys.prefix
assert threading.__file__.startswith(sys.prefix), threading.__file__
with open("/proc/self/maps") as maps:
    files = {line.split()[-1] for line in maps if ".so" in line}
host = sorted(f for f in files if not os.path.realpath(f).startswith(tree + "/"))
assert not host, "host files mapped: " + " ".join(host)
print(sys.version.split()[0])'

run_in_tree() { # tree binary args...
  local tree=$1 bin=$2; shift 2
  PYTHONHOME="$tree/usr" PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1 \
    "$tree/lib64/ld-linux-x86-64.so.2" \
    --library-path "$tree/lib/x86_64-linux-gnu:$tree/usr/lib/x86_64-linux-gnu" \
    "$tree/usr/bin/$bin" "$@"
}

provision() { # suite version [dbg] -> one status line
  local suite=$1 ver=$2 variant=${3:-}
  local tree="$py/$suite" label="$suite python$ver${variant:+-$variant}"
  # Debian names the debug interpreter python3.Xd (abiflags "d").
  local bin="python$ver" tag="python$ver"
  [ "$variant" = dbg ] && bin="python${ver}d" tag="python$ver-dbg"
  local ok="$tree/.ready-$tag" bad="$tree/.unavailable-$tag"
  # As for the free-threaded builds below: a stamp counts only while the
  # interpreter still passes the run check (build/ may have been copied).
  if [ "$force" = 0 ] && [ -f "$ok" ] && run_in_tree "$tree" "$bin" -c "$CHECK" >/dev/null 2>&1; then
    echo "$label: ready ($(cat "$ok"), already provisioned)"; return
  fi
  rm -f "$ok" "$bad"
  mkdir -p "$tree" "$py/debs/$suite"
  unavailable() { echo "$*" >"$bad"; echo "$label: unavailable ($*)"; }

  local policy
  policy=$(apt-cache policy "python$ver" 2>/dev/null)
  if ! grep -qE "[[:space:]]$suite/main " <<<"$policy"; then
    local where
    where=$(grep -oE '[a-z]+/main' <<<"$policy" | sort -u | paste -sd' ' - || true)
    unavailable "Debian $suite has no python$ver package (apt-cache policy python$ver finds it in: ${where:-no configured suite})"
    return
  fi
  local pkgs
  pkgs=$(resolve "$suite" "$ver" "$variant")
  if grep -q '^missing:' <<<"$pkgs"; then
    unavailable "Debian $suite lacks $(grep '^missing:' <<<"$pkgs" | cut -d: -f2 | paste -sd' ')"
    return
  fi
  # Headers (with internal/) for the offset generator; not run, so their
  # own dependencies are not needed.
  local dev="libpython$ver-dev"
  [ -n "$(pkg_stanza "$dev" "$suite")" ] && pkgs+=$'\n'"$dev"

  local specs=() p
  while IFS= read -r p; do specs+=("$p/$suite"); done <<<"$pkgs"
  if ! (cd "$py/debs/$suite" && apt-get -q download "${specs[@]}") >"$tree/download-$tag.log" 2>&1; then
    unavailable "apt-get download failed, see $tree/download-$tag.log: $(grep -m1 '^E:' "$tree/download-$tag.log" || true)"
    return
  fi
  local deb
  for p in $pkgs; do
    deb=$(find "$py/debs/$suite" -maxdepth 1 \( -name "${p}_*_amd64.deb" -o -name "${p}_*_all.deb" \) \
            -printf '%T@ %p\n' | sort -rn | head -n 1 | cut -d' ' -f2-)
    [ -n "$deb" ] || { unavailable "downloaded $p but found no .deb for it"; return; }
    dpkg -x "$deb" "$tree" || { unavailable "dpkg -x $deb failed"; return; }
  done
  relink_absolute "$tree"
  # Newer suites ship the loader under usr/ only (merged /usr).
  [ -e "$tree/lib64/ld-linux-x86-64.so.2" ] || [ ! -e "$tree/usr/lib64/ld-linux-x86-64.so.2" ] ||
    ln -sfn usr/lib64 "$tree/lib64"
  [ -x "$tree/lib64/ld-linux-x86-64.so.2" ] || { unavailable "no lib64/ld-linux-x86-64.so.2 in the unpacked libc6"; return; }

  local out
  if ! out=$(run_in_tree "$tree" "$bin" -c "$CHECK" 2>&1); then
    unavailable "unpacked but does not run: $(tail -n 1 <<<"$out")"
    return
  fi
  # Debian ships no .pyc (its postinst compiles them) and a debug build
  # compiles the stdlib slowly on every start (its frozen modules are off,
  # too): compile it once here, with the default interpreter, whose .pyc
  # the debug one reads (same cache tag).
  if [ "$variant" = dbg ] &&
     ! run_in_tree "$tree" "python$ver" -m compileall -q \
         -x '/(test|idlelib|tkinter|turtledemo)/' "$tree/usr/lib/python$ver" >"$tree/compileall-$tag.log" 2>&1; then
    unavailable "byte-compiling the stdlib failed, see $tree/compileall-$tag.log"
    return
  fi
  local inc="$tree/usr/include/$bin"
  [ -d "$inc/internal" ] || inc="(no internal headers)"
  printf '%s\n' "$out" >"$ok"
  echo "$label: ready ($out, headers $inc)"
}

# Free-threaded CPython, built from the suite's Debian source package (its
# patches applied by dpkg-source) against this host's libraries: no
# PGO/LTO, -O1, -j2, niced. Configure, make and install are
# each skipped when already done, so an interrupted build resumes.
FT_DEV=(libffi-dev zlib1g-dev libssl-dev libbz2-dev liblzma-dev libsqlite3-dev
        libexpat1-dev libreadline-dev libncurses-dev uuid-dev dpkg-dev)
FT_SKIP_MODULES=(_testcapi _testinternalcapi _testlimitedcapi _testbuffer _testmultiphase
  _testsinglephase _testimportmultiple _testclinic _testclinic_limited _testexternalinspection
  _ctypes_test xxlimited xxlimited_35 xxsubtype _xxtestfuzz _decimal _sqlite3 _curses
  _curses_panel _dbm _gdbm _tkinter readline)
ft_runs() { # python -> its version on stdout, when it is a working free-threaded build
  PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1 "$1" -c \
      'import sys, sysconfig, threading, json, zlib, ctypes, hashlib, _ssl
assert sysconfig.get_config_var("Py_GIL_DISABLED") == 1, "not free-threaded"
assert not sys._is_gil_enabled(), "the GIL is enabled"
assert not sysconfig.get_config_var("Py_ENABLE_SHARED"), "libpython is a shared library"
print(sys.version.split()[0])'
}
build_ft() { # suite version -> one status line
  local suite=$1 ver=$2
  local prefix="$py/ft${ver/./}" label="$suite python${ver}t (free-threaded build)"
  local ok="$prefix/.ready-python${ver}t" bad="$py/.unavailable-ft${ver/./}"
  # A stamp is only trusted when the interpreter still runs: build/ may have
  # been copied from another checkout (as CI does), and a stale stamp would
  # hide a broken tree until the tests.
  if [ "$force" = 0 ] && [ -f "$ok" ] && ft_runs "$prefix/bin/python${ver}t" >/dev/null 2>&1; then
    echo "$label: ready ($(cat "$ok"), already built)"; return
  fi
  rm -f "$ok" "$bad"
  unavailable() { echo "$*" >"$bad"; echo "$label: unavailable ($*)"; }
  local p missing=()
  for p in "${FT_DEV[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] || { unavailable "build needs: apt-get install ${missing[*]}"; return; }

  local srcdir="$py/src/$suite" src="$py/src/$suite/py${ver/./}" obj="$py/src/$suite/obj-ft${ver/./}"
  mkdir -p "$srcdir"
  if [ ! -x "$src/configure" ]; then
    local log="$srcdir/source-python$ver.log"
    if ! (cd "$srcdir" && apt-get -q source --download-only "python$ver/$suite") >"$log" 2>&1; then
      unavailable "apt-get source python$ver/$suite failed (this mirror serves no such source package?), see $log: $(grep -m1 '^E:' "$log" || true)"
      return
    fi
    local dsc
    dsc=$(find "$srcdir" -maxdepth 1 -name "python${ver}_*.dsc" -printf '%T@ %p
' | sort -rn | head -n 1 | cut -d' ' -f2-)
    rm -rf "$src"
    if [ -z "$dsc" ] || ! dpkg-source -x "$dsc" "$src" >>"$log" 2>&1; then
      unavailable "dpkg-source -x of python$ver failed, see $log"; return
    fi
  fi
  # libpython is linked statically into python3.13t: the tree has no rpath
  # and no absolute path to its own library, so it still runs when build/ is
  # copied to another checkout (CI runs in a different directory). The
  # interpreter finds its standard library relative to its own location.
  # A build directory configured for another prefix (a copied build/) is
  # configured afresh, or `make install` would write outside this checkout.
  local real start=$SECONDS
  real=$(realpath -m "$prefix")
  mkdir -p "$obj"
  local conf=(--prefix="$real" --disable-gil --without-ensurepip)
  if [ -f "$obj/Makefile" ] && [ "$(cat "$obj/.csprof-configure" 2>/dev/null)" != "${conf[*]}" ]; then
    echo "$label: $obj was configured for another prefix or with other options; configuring afresh"
    rm -rf "$obj" "$prefix"; mkdir -p "$obj"
  fi
  if [ ! -f "$obj/Makefile" ]; then
    (cd "$obj" && nice -n 10 "$src/configure" "${conf[@]}") >"$obj/configure.log" 2>&1 ||
      { unavailable "configure failed, see $obj/configure.log"; return; }
    printf '%s\n' "${conf[*]}" >"$obj/.csprof-configure"
  fi
  # CPython's own test extensions and modules no test here imports are
  # left out (a third of the compile time).
  local setup
  setup=$(printf '%s\n' "# Written by tests/provision-pythons.sh" "*disabled*" "${FT_SKIP_MODULES[*]}")
  [ "$(cat "$obj/Modules/Setup.local" 2>/dev/null)" = "$setup" ] ||
    printf '%s\n' "$setup" >"$obj/Modules/Setup.local"
  # -O1: about half the compile time of the default -O3, and these builds
  # are for reading stacks, not for speed.
  local opt="OPT=-DNDEBUG -g -O1"
  # TEST_MODULES=no: CPython's own test suite is neither installed nor
  # byte-compiled (three times over), which would take longer than the build.
  (cd "$obj" && nice -n 10 make -j2 "$opt" && nice -n 10 make install "$opt" TEST_MODULES=no) \
    >"$obj/make.log" 2>&1 ||
    { unavailable "make failed, see $obj/make.log: $(grep -m1 -E 'Error|error:' "$obj/make.log" || true)"; return; }
  local out
  if ! out=$(ft_runs "$prefix/bin/python${ver}t" 2>&1); then
    unavailable "built but does not run: $(tail -n 1 <<<"$out")"
    return
  fi
  printf '%s\n' "$out" >"$ok"
  echo "$label: ready ($out, built in $((SECONDS - start))s, headers $prefix/include/python${ver}t)"
}

for w in "${WANTED[@]}"; do
  IFS=: read -r suite ver variant <<<"$w"
  if [ "${variant:-}" = ft ]; then
    build_ft "$suite" "$ver"
  else
    provision "$suite" "$ver" "${variant:-}"
  fi
done
