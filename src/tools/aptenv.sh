#!/usr/bin/env bash
# Sets up a private apt configuration under build/apt/ that sees bookworm,
# bullseye, trixie and sid (deb + deb-src, main), without touching the host's
# apt state, and prints the path of the file to export as APT_CONFIG:
#
#   export APT_CONFIG=$(bash src/tools/aptenv.sh)
#   apt-get source --download-only libunwind/bookworm
#
# The mirror is whatever the host's own deb822 entry for bookworm uses; it is
# read at run time so that no host name is ever written into the repo.
# Lists are refreshed at most once a day (CSPROF_APT_REFRESH=1 forces it).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=${CSPROF_APT_DIR:-$root/build/apt}
host_sources=${CSPROF_HOST_SOURCES:-/etc/apt/sources.list.d/debian.sources}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
suites=(bookworm bullseye trixie sid)

die() { echo "aptenv: $*" >&2; exit 1; }

[ -r "$host_sources" ] || die "cannot read $host_sources; the private apt config copies its mirror URI from there (deb822 format)"
[ -r "$keyring" ] || die "$keyring is missing: apt-get install debian-archive-keyring"

# deb822: paragraphs separated by blank lines, '#' lines are comments. Take the
# first URI of the first paragraph whose Suites field lists bookworm itself.
uri=$(awk '
  /^[[:space:]]*#/ { next }
  /^[[:space:]]*$/ { if (want && u != "") { print u; exit } want = 0; u = ""; next }
  tolower($1) == "uris:"   { u = $2 }
  tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == "bookworm") want = 1 }
  END { if (want && u != "") print u }
' "$host_sources" | head -n 1)
[ -n "$uri" ] || die "no deb822 entry with 'Suites: bookworm' and a URIs: line in $host_sources"

mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/state" \
         "$dir/sources.list.d" "$dir/preferences.d"
: > "$dir/state/status.new"
[ -e "$dir/state/status" ] || mv "$dir/state/status.new" "$dir/state/status"
rm -f "$dir/state/status.new"

sources=$(
  for s in "${suites[@]}"; do
    printf 'Types: deb deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n\n' \
      "$uri" "$s" "$keyring"
  done
)

# Every Dir:: that apt would write to, or read policy from, points inside $dir;
# the host's update hooks (appstream, packagekit) are cleared so that an
# update here never refreshes anything of the host's. apt reads APT_CONFIG,
# then the host's apt.conf.d (kept: proxies, validity checks), then
# Dir::Etc::main, which is this same file again so that it has the last word
# (e.g. over docker-clean's disabled package cache).
conf=$(cat <<EOF
Dir::Etc::main "$dir/apt.conf";
Dir::Etc::SourceList "$dir/sources.list.d/none.list";
Dir::Etc::SourceParts "$dir/sources.list.d";
Dir::Etc::Preferences "$dir/preferences";
Dir::Etc::PreferencesParts "$dir/preferences.d";
Dir::State "$dir/state";
Dir::State::Lists "$dir/lists";
Dir::State::status "$dir/state/status";
Dir::Cache "$dir/cache";
Dir::Cache::archives "$dir/cache/archives";
Dir::Cache::pkgcache "$dir/cache/pkgcache.bin";
Dir::Cache::srcpkgcache "$dir/cache/srcpkgcache.bin";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled "false";
Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled "false";
APT::Architecture "amd64";
#clear APT::Architectures;
APT::Architectures { "amd64"; };
APT::Get::List-Cleanup "true";
// apt's _apt download user may not be able to enter the work tree.
APT::Sandbox::User "root";
#clear APT::Update::Post-Invoke;
#clear APT::Update::Post-Invoke-Success;
#clear DPkg::Post-Invoke;
EOF
)

# Concurrent callers (a deps build and a test run) take turns.
exec 9>"$dir/.lock"
flock 9

# Write only what changed, so an unchanged config keeps fresh lists fresh.
write_if_changed() { # path content
  if [ ! -e "$1" ] || [ "$(cat "$1")" != "$2" ]; then
    printf '%s\n' "$2" > "$1.tmp" && mv "$1.tmp" "$1"
    rm -f "$dir/.updated"
  fi
}
write_if_changed "$dir/sources.list.d/csprof.sources" "$sources"
write_if_changed "$dir/apt.conf" "$conf"

if [ "${CSPROF_APT_REFRESH:-0}" = 1 ] || [ -z "$(find "$dir/.updated" -mmin -1440 2>/dev/null)" ]; then
  log="$dir/update.log"
  if ! APT_CONFIG="$dir/apt.conf" apt-get -q update >"$log" 2>&1; then
    cat "$log" >&2
    die "apt-get update with the private config failed (log: $log); is the mirror reachable?"
  fi
  if grep -E '^(W|E):' "$log" >&2; then
    echo "aptenv: apt-get update warned (full log: $log)" >&2
  fi
  touch "$dir/.updated"
fi

echo "$dir/apt.conf"
