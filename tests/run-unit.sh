#!/usr/bin/env bash
# Runs each unit test binary, then prints one total line.
set -u
passed=0 failed=0
for bin in "$@"; do
  echo "== $bin"
  out=$("$bin" 2>&1); rc=$?
  printf '%s\n' "$out"
  last=$(printf '%s\n' "$out" | tail -n 1)
  if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
  else
    echo "  (no summary line: counted as one failure, exit $rc)"; failed=$((failed + 1))
  fi
  [ "$rc" -eq 0 ] || [ "${BASH_REMATCH[2]:-0}" -gt 0 ] || failed=$((failed + 1))
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
