#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs the whole default test suite.
# Slow soak and benchmark runs are not part of it (see docs/).
#   EPP_SANITIZE=address,undefined  the suite on a sanitized build, as CI runs it; fails on
#                                   any sanitizer report, the eppd processes' included
#   (and tools/build.sh's variables)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
build=${EPP_BUILD_DIR:-build}
[ -n "${EPP_SANITIZE:-}" ] && build=${EPP_BUILD_DIR:-build-sanitize}
# shellcheck source=tools/sanitizer-env.sh
source tools/sanitizer-env.sh
sanitizer_env "$build"
status=0
ctest --test-dir "$build" --output-on-failure -j "${EPP_JOBS:-2}" "$@" || status=$?
sanitizer_reports "$build" || status=1
exit $status
