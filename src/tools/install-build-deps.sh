#!/usr/bin/env bash
# The build's packages (kept for callers of the old name): see install-deps.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/install-deps.sh" build
