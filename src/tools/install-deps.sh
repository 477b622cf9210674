#!/usr/bin/env bash
# Usage: install-deps.sh build|test
#
# Installs what building (build) or testing (test) csprof needs on Debian 12:
# the apt packages of that group in src/tools/packages.txt, and for `test`
# also package.json's npm packages (npm ci, only when node_modules does not
# already hold exactly the locked versions) and the Debian interpreters of
# other suites (tests/provision-pythons.sh). Quiet and quick when everything
# is there. Anything that cannot be installed is an error: the tests never
# skip for a missing tool.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
group=${1:-}
[[ $group == build || $group == test ]] || { echo "usage: install-deps.sh build|test" >&2; exit 2; }

missing=()
while read -r g pkg cmd _; do
  [[ -z ${g:-} || $g == \#* ]] && continue
  [[ $group == build && $g != build ]] && continue
  if [ -n "${cmd:-}" ]; then
    command -v "$cmd" >/dev/null && continue
  elif [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ]; then
    continue
  fi
  missing+=("$pkg")
done <"$root/src/tools/packages.txt"

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root to install: ${missing[*]} (run with sudo)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi

[ "$group" = test ] || exit 0

# npm: node_modules must hold the versions package-lock.json pins.
npm_current() {
  python3 - "$root" <<'PY'
import json, os, sys
root = sys.argv[1]
lock = json.load(open(os.path.join(root, "package-lock.json")))
want = json.load(open(os.path.join(root, "package.json"))).get("devDependencies", {})
for name in want:
    pinned = lock.get("packages", {}).get(f"node_modules/{name}", {}).get("version")
    try:
        have = json.load(open(os.path.join(root, "node_modules", name, "package.json")))["version"]
    except (OSError, ValueError, KeyError):
        sys.exit(1)
    if have != pinned:
        sys.exit(1)
PY
}
if ! (cd "$root" && npm_current); then
  echo "install-deps: npm ci (node_modules does not match package-lock.json)"
  (cd "$root" && npm ci --no-audit --no-fund </dev/null)
  (cd "$root" && npm_current) || { echo "install-deps: node_modules still does not match package-lock.json after npm ci" >&2; exit 1; }
fi

# Interpreters from other Debian suites; one that cannot be provisioned
# fails here, with the reason, rather than as a skipped test later.
out=$(bash "$root/tests/provision-pythons.sh" </dev/null)
printf '%s\n' "$out" | grep -v ': ready' || true
if printf '%s\n' "$out" | grep -q 'unavailable'; then
  echo "install-deps: some interpreters could not be provisioned (above)" >&2
  exit 1
fi
