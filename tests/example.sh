#!/usr/bin/env bash
# `make example`: on a fresh Debian 12 machine, install what the build needs,
# build csprof, and profile the bundled example script.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash src/tools/install-deps.sh build
make all
python=$(command -v python3)
out=artifacts/example
build/csprof record -o "$out" -f svg,json,md,text,folded,speedscope,pprof -- \
  "$python" tests/example/validate_stochastic.py
echo
cat "$out/validate_stochastic.txt"
echo
echo "Open $out/validate_stochastic.svg in a browser for the flamegraph;"
echo "$out/validate_stochastic.md is the job-summary table."
