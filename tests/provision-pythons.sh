#!/usr/bin/env bash
# Usage: tests/provision-pythons.sh [--force]
#
# Unpacks Debian's own CPython builds from other suites into build/py/SUITE/
# (no installation: apt-get download + dpkg -x), with the libc, dynamic loader
# and libraries of that same suite, plus the -dev headers (include/python3.X,
# internal/ included). Interpreters:
#
#   bullseye python3.9, trixie python3.13, sid python3.14, sid python3.15
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
read -ra WANTED <<<"${CSPROF_PYTHONS:-bullseye:3.9 trixie:3.13 sid:3.14 sid:3.15}"

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
  local suite=$1 ver=$2
  local -A seen=()
  local queue=("python$ver-minimal" "libpython$ver-minimal" "libpython$ver-stdlib")
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
      case $chosen in
        lib*-dev) ;;
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
tree = os.path.dirname(os.environ["PYTHONHOME"])
assert sys.prefix == os.environ["PYTHONHOME"], sys.prefix
assert threading.__file__.startswith(sys.prefix), threading.__file__
with open("/proc/self/maps") as maps:
    files = {line.split()[-1] for line in maps if ".so" in line}
host = sorted(f for f in files if not os.path.realpath(f).startswith(tree + "/"))
assert not host, "host files mapped: " + " ".join(host)
print(sys.version.split()[0])'

run_in_tree() { # tree version args...
  local tree=$1 ver=$2; shift 2
  PYTHONHOME="$tree/usr" PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1 \
    "$tree/lib64/ld-linux-x86-64.so.2" \
    --library-path "$tree/lib/x86_64-linux-gnu:$tree/usr/lib/x86_64-linux-gnu" \
    "$tree/usr/bin/python$ver" "$@"
}

provision() { # suite version -> one status line
  local suite=$1 ver=$2
  local tree="$py/$suite" label="$suite python$ver"
  local ok="$tree/.ready-python$ver" bad="$tree/.unavailable-python$ver"
  if [ "$force" = 0 ] && [ -f "$ok" ]; then
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
  pkgs=$(resolve "$suite" "$ver")
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
  if ! (cd "$py/debs/$suite" && apt-get -q download "${specs[@]}") >"$tree/download-python$ver.log" 2>&1; then
    unavailable "apt-get download failed, see $tree/download-python$ver.log: $(grep -m1 '^E:' "$tree/download-python$ver.log" || true)"
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
  if ! out=$(run_in_tree "$tree" "$ver" -c "$CHECK" 2>&1); then
    unavailable "unpacked but does not run: $(tail -n 1 <<<"$out")"
    return
  fi
  local inc="$tree/usr/include/python$ver"
  [ -d "$inc/internal" ] || inc="(no internal headers)"
  printf '%s\n' "$out" >"$ok"
  echo "$label: ready ($out, headers $inc)"
}

for w in "${WANTED[@]}"; do
  provision "${w%%:*}" "${w#*:}"
done
