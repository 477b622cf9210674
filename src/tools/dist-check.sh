#!/usr/bin/env bash
# Usage: dist-check.sh [--update]
#
# Rebuilds dist/csprof-linux-x86_64 from scratch (static deps included) in a
# temporary worktree of HEAD and compares it with the committed
# dist/SHA256SUMS. With --update, copies the clean build into this checkout's
# dist/ instead, which is how to refresh dist/ when the work tree holds other
# people's uncommitted files (those would otherwise end up in the binary).
#
# Environment: DIST_CHECK_DEPS=DIR reuses an already built deps DIR instead of
# rebuilding it (only sound because build-deps.sh is itself reproducible).
set -euo pipefail

update=0
[ "${1:-}" = --update ] && update=1

die() { echo "dist-check: $*" >&2; exit 1; }

root=$(git rev-parse --show-toplevel) || die "not inside the csprof git repository"
cd "$root"
head=$(git rev-parse HEAD)
name=csprof-linux-x86_64

if [ "$update" = 0 ]; then
  want=$(git show "HEAD:dist/SHA256SUMS" 2>/dev/null) ||
    die "HEAD has no dist/SHA256SUMS: run 'make dist-from-head' and commit dist/"
  # The committed binary must be the one the committed sums describe.
  have_bin=$(git show "HEAD:dist/$name" 2>/dev/null | sha256sum | cut -d' ' -f1)
  [ "$want" = "$have_bin  $name" ] ||
    die "committed dist/$name (sha256 $have_bin) does not match committed dist/SHA256SUMS ($want)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/csprof-dist.XXXXXX")
wt="$tmp/csprof"
cleanup() {
  git -C "$root" worktree remove --force "$wt" >/dev/null 2>&1 || true
  git -C "$root" worktree prune >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# A worktree, not an archive: the Makefile stamps the binary with the last
# commit touching src/ or the Makefile, which needs the history.
git worktree add -q --detach "$wt" "$head" || die "git worktree add failed"

if [ -n "${DIST_CHECK_DEPS:-}" ]; then
  [ -f "$DIST_CHECK_DEPS/.done" ] || die "DIST_CHECK_DEPS=$DIST_CHECK_DEPS has no .done: build it first (make deps)"
  mkdir -p "$wt/build"
  cp -a "$DIST_CHECK_DEPS" "$wt/build/deps"
  touch "$wt/build/deps/.done"
  echo "dist-check: reusing deps from $DIST_CHECK_DEPS"
fi

echo "dist-check: building HEAD ${head:0:12} from scratch in $wt"
# Share the apt lists so the clean build does not download them again.
export CSPROF_APT_DIR="$root/build/apt"
if ! make -C "$wt" --no-print-directory dist >"$tmp/build.log" 2>&1; then
  tail -n 40 "$tmp/build.log" >&2
  die "clean build of HEAD failed (full log above was $tmp/build.log)"
fi
got=$(cat "$wt/dist/SHA256SUMS")
commit=$("$wt/build/csprof" --version 2>/dev/null || echo "?")

if [ "$update" = 1 ]; then
  mkdir -p dist
  cp "$wt/dist/$name" "dist/$name"
  cp "$wt/dist/SHA256SUMS" dist/SHA256SUMS
  echo "dist-check: dist/ updated from a clean build of HEAD ($commit):"
  cat dist/SHA256SUMS
  echo "dist-check: now commit dist/ (git add dist && git commit)"
  exit 0
fi

if [ "$got" != "$want" ]; then
  cat >&2 <<EOF
dist-check: MISMATCH: committed dist/ is not what HEAD builds.
  committed: $want
  rebuilt:   $got ($commit)
If src/ or the Makefile changed since dist/ was made, run 'make dist-from-head'
and commit dist/. If they did not, the build is not reproducible: build twice
and compare the two binaries (cmp -l, or diffoscope) to see what differs.
EOF
  exit 1
fi
echo "dist-check: OK: clean rebuild of HEAD matches dist/SHA256SUMS ($got; $commit)"
