#!/usr/bin/env bash
# Configures and builds eppd into ./build (Ninja, ccache, -j2, warnings as errors).
#   EPP_BUILD_DIR  build directory (default: build, or build-sanitize with EPP_SANITIZE)
#   EPP_SANITIZE   build with these sanitizers, e.g. address,undefined (docs/sanitizers.md)
#   EPP_CMAKE_ARGS extra cmake arguments
set -euo pipefail
cd "$(dirname "$0")/.."
build=${EPP_BUILD_DIR:-build}
[ -n "${EPP_SANITIZE:-}" ] && build=${EPP_BUILD_DIR:-build-sanitize}
# shellcheck disable=SC2086
cmake -S . -B "$build" -G Ninja -DEPP_WERROR=ON "-DEPP_SANITIZE=${EPP_SANITIZE:-}" \
  ${EPP_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "${EPP_JOBS:-2}"
