#!/usr/bin/env bash
# Configures and builds eppd into ./build (Ninja, ccache, -j2, warnings as errors).
#   EPP_BUILD_DIR  build directory (default: build)
#   EPP_CMAKE_ARGS extra cmake arguments
set -euo pipefail
cd "$(dirname "$0")/.."
build=${EPP_BUILD_DIR:-build}
# shellcheck disable=SC2086
cmake -S . -B "$build" -G Ninja -DEPP_WERROR=ON ${EPP_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "${EPP_JOBS:-2}"
