#!/usr/bin/env bash
# Usage: build-deps.sh DIR
#
# Builds the static libraries build/csprof links against (libunwind, jansson,
# zlib), from Debian source
# packages fetched through the private apt config (src/tools/aptenv.sh), with
# musl-gcc, into DIR/include and DIR/lib. Writes DIR/libs (the link flags the
# Makefile reads) and DIR/versions, and touches DIR/.done last.
#
# The output is byte-for-byte reproducible: pinned source versions,
# SOURCE_DATE_EPOCH from each package's changelog, deterministic archives,
# build paths mapped away, no debug info, fixed locale/timezone/umask.
# Our own fixes, if a package ever needs some, go in
# src/tools/patches/<source package>/*.patch and are applied in name order.
set -euo pipefail

# Exact Debian versions: a different revision could change the bytes of
# dist/, so moving a pin is a deliberate change (and a dist/ rebuild).
LIBUNWIND_VERSION=1.6.2-3
JANSSON_VERSION=2.14-2
# bookworm's, the same as its zlib1g-dev that the ASan/valgrind builds link
ZLIB_VERSION=1:1.2.13.dfsg-1
LIBIBERTY_VERSION=20230104-1
LIBS="-lunwind-ptrace -lunwind-generic -lunwind -ljansson -liberty -lz"

die() { echo "build-deps: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: build-deps.sh DIR"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
work="$out.work"
stage="$work/stage"

for tool in musl-gcc:musl-tools dpkg-source:dpkg-dev apt-get:apt autoreconf:autoconf \
            aclocal:automake libtoolize:libtool make:make ar:binutils; do
  command -v "${tool%%:*}" >/dev/null || die "${tool%%:*} not found: apt-get install ${tool#*:}"
done

export LC_ALL=C TZ=UTC
umask 022
APT_CONFIG=$(bash "$here/aptenv.sh")
export APT_CONFIG

rm -f "$out/.done"
rm -rf "$work"
mkdir -p "$work/src" "$stage"

fetch() { # source-package version -> prints the unpacked directory
  local pkg=$1 ver=$2 dsc
  (cd "$work/src" && apt-get -q source --download-only "$pkg=$ver" >"$work/$pkg.fetch.log" 2>&1) ||
    { cat "$work/$pkg.fetch.log" >&2; die "cannot fetch Debian source $pkg=$ver (pins are at the top of $0)"; }
  dsc=$(ls "$work/src/${pkg}_${ver#*:}.dsc")
  # apt-get already checked every file against the signed Sources index;
  # dpkg-source only lacks the uploader's key, which it reports as a warning.
  (cd "$work/src" && dpkg-source -x "$dsc" "$pkg" >"$work/$pkg.unpack.log" 2>&1) ||
    { cat "$work/$pkg.unpack.log" >&2; die "dpkg-source -x $dsc failed"; }
  local p
  for p in "$here/patches/$pkg"/*.patch; do
    [ -e "$p" ] || continue
    patch -d "$work/src/$pkg" -p1 --no-backup-if-mismatch <"$p" >>"$work/$pkg.unpack.log" ||
      die "our patch $p does not apply to $pkg $ver"
  done
  echo "$work/src/$pkg"
}

build() { # srcdir configure-args... (CONFDIR=subdir holding configure, default the top)
  local src=$1; shift
  (
    SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$src/debian/changelog" -STimestamp)
    export SOURCE_DATE_EPOCH
    cd "$src/${CONFDIR:-.}"
    cflags="-O2 -ffile-prefix-map=$src=. -ffile-prefix-map=$stage=."
    ./configure -q CC=musl-gcc CFLAGS="$cflags" AR_FLAGS=crD ARFLAGS=crD \
      --build=x86_64-linux-gnu --host=x86_64-linux-musl --prefix=/usr \
      --disable-shared --enable-static --disable-dependency-tracking "$@"
    make -j"$(nproc)" AR_FLAGS=crD ARFLAGS=crD
    [ -n "${NO_INSTALL:-}" ] || make install DESTDIR="$stage"
  ) >"$src.build.log" 2>&1 || { tail -n 40 "$src.build.log" >&2; die "building $(basename "$src") failed (log: $src.build.log)"; }
}

unw=$(fetch libunwind "$LIBUNWIND_VERSION")
# Only the remote (ptrace) unwinder for x86_64 is used: no compressed debug
# info readers (lzma, zlib), no coredump/setjmp variants, no C++ hooks, and no
# unwind.h that would shadow the compiler's own. No signal blocking around its
# locks: that guards signal handlers that unwind, which csprof has none of,
# and cost two sigprocmask calls per frame of every stack (most of an
# unwind's time, spent while the target is held stopped).
build "$unw" --enable-ptrace --disable-coredump --disable-setjmp \
  --disable-minidebuginfo --disable-zlibdebuginfo --disable-cxx-exceptions \
  --disable-debug --disable-tests --disable-documentation --disable-unwind-header \
  --disable-block-signals

jan=$(fetch jansson "$JANSSON_VERSION")
# The Debian source has no generated configure (Debian runs autoreconf too).
(cd "$jan" && autoreconf -fi >"$jan.autoreconf.log" 2>&1) ||
  { cat "$jan.autoreconf.log" >&2; die "autoreconf of jansson failed"; }
build "$jan"

zl=$(fetch zlib "$ZLIB_VERSION")
# zlib has its own configure (no --host); only the static library is built.
(
  cd "$zl"
  SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l debian/changelog -STimestamp)
  export SOURCE_DATE_EPOCH
  CC=musl-gcc CFLAGS="-O2 -ffile-prefix-map=$zl=." ./configure --static --prefix=/usr
  make -j"$(nproc)" libz.a ARFLAGS=crD
  make install DESTDIR="$stage" ARFLAGS=crD
) >"$zl.build.log" 2>&1 || { tail -n 40 "$zl.build.log" >&2; die "building zlib failed (log: $zl.build.log)"; }

iby=$(fetch libiberty "$LIBIBERTY_VERSION")
# Only the demanglers are used (cp-demangle.o, rust-demangle.o and
# safe-ctype.o are all the linker takes from the archive). Its `make install`
# puts the archive in a multilib directory only when asked to, so the archive
# and the three headers demangle.h needs are copied by hand, where Debian's
# libiberty-dev puts them (<libiberty/demangle.h>, libiberty.a).
CONFDIR=libiberty NO_INSTALL=1 build "$iby"
mkdir -p "$stage/usr/include/libiberty"
cp "$iby/libiberty/libiberty.a" "$stage/usr/lib/"
for h in ansidecl.h demangle.h libiberty.h; do cp "$iby/include/$h" "$stage/usr/include/libiberty/"; done

rm -rf "${out:?}/include" "${out:?}/lib"
mkdir -p "$out/lib"
cp -a "$stage/usr/include" "$out/include"
for a in "$stage"/usr/lib/*.a; do
  if [ -L "$a" ]; then
    cp -a "$a" "$out/lib/"
  else
    cp "$a" "$out/lib/"
    ranlib -D "$out/lib/$(basename "$a")"
  fi
done
for h in jansson.h libunwind-ptrace.h libunwind.h zlib.h libiberty/demangle.h; do
  [ -f "$out/include/$h" ] || die "$h missing from $out/include after install"
done
printf '%s\n' "$LIBS" >"$out/libs"
printf 'libunwind %s\njansson %s\nzlib %s\nlibiberty %s\nmusl-gcc %s\n' "$LIBUNWIND_VERSION" "$JANSSON_VERSION" "$ZLIB_VERSION" "$LIBIBERTY_VERSION" \
  "$(musl-gcc -dumpfullversion) $(dpkg-query -W -f='musl ${Version}' musl-dev 2>/dev/null || true)" >"$out/versions"
rm -rf "$work"
touch "$out/.done"
echo "build-deps: $out ready ($(paste -sd, "$out/versions"))"
