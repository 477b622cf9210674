#!/usr/bin/env bash
# Installs the Debian packages the build needs (musl toolchain, what builds
# libunwind and jansson from source, the glibc -dev packages of the ASan
# build). Quiet and quick when everything is already there.
set -euo pipefail
BUILD_PACKAGES=(build-essential musl-tools dpkg-dev autoconf automake libtool
                libjansson-dev libunwind-dev libiberty-dev git)
missing=()
for pkg in "${BUILD_PACKAGES[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] ||
    missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-build-deps: need root to install: ${missing[*]} (run with sudo)" >&2
    exit 1
  fi
  echo "install-build-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi
