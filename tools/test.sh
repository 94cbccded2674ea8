#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs the whole default test suite.
# Slow soak and benchmark runs are not part of it (see docs/).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
ctest --test-dir "${EPP_BUILD_DIR:-build}" --output-on-failure -j "${EPP_JOBS:-2}" "$@"
