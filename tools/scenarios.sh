#!/usr/bin/env bash
# Runs the scenarios of configs/scenarios/ (see the README there): builds eppd, eppd-sim,
# the plugins and eppd-scenarios if anything is out of date, then runs eppd-scenarios, which
# starts the simulators and eppd for each scenario, explains eppd's decisions from
# /decisions, and exits non-zero when a scenario's promise does not hold.
#   tools/scenarios.sh [--short] [name...]     (--list: the scenarios' names)
#   EPP_BUILD_DIR  build directory (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${EPP_BUILD_DIR:-build}
# shellcheck disable=SC2086
cmake -S . -B "$build" -G Ninja -DEPP_WERROR=ON ${EPP_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "${EPP_JOBS:-2}" --target eppd-scenarios
exec "$build/bin/eppd-scenarios" "$@"
