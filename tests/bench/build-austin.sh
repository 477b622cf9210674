#!/usr/bin/env bash
# Builds austin 3.7.0, the peer `make bench-peers` measures csprof against,
# from Debian's source package (trixie/sid, through the private apt
# configuration of src/tools/aptenv.sh) into build/peers/. Never committed,
# never shipped: it exists only to be measured.
#
# Prints the path of the austin binary.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=$root/build/peers
version=3.7.0
bin=$dir/austin-$version/src/austin

die() { echo "build-austin: $*" >&2; exit 1; }

if [ ! -x "$bin" ]; then
  for tool in autoreconf make gcc; do
    command -v "$tool" >/dev/null || die "$tool is missing: apt-get install autoconf automake make gcc"
  done
  mkdir -p "$dir"
  cd "$dir"
  if [ ! -f "austin_$version.orig.tar.gz" ]; then
    APT_CONFIG=$(bash "$root/src/tools/aptenv.sh")
    export APT_CONFIG
    # The upstream tarball is all we build from; the Debian packaging files
    # are not needed (and not every mirror still has the .dsc of each revision).
    apt-get source --download-only "austin=$version-9" >&2 ||
      apt-get source --download-only "austin=$version-4" >&2 || true
    [ -f "austin_$version.orig.tar.gz" ] || die "could not download austin_$version.orig.tar.gz from Debian's archive"
  fi
  rm -rf "austin-$version"
  tar xzf "austin_$version.orig.tar.gz"
  cd "austin-$version"
  { autoreconf --install && ./configure && make -j2; } >"$dir/build.log" 2>&1 ||
    [ -x "$bin" ] || die "building austin failed; see $dir/build.log"
fi
"$bin" --version >/dev/null || die "$bin does not run"
echo "$bin"
