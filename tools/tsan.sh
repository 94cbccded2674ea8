#!/usr/bin/env bash
# Builds the concurrency tests with ThreadSanitizer (a build directory of their own) and runs
# them; fails on a test failure or on any TSan report (docs/sanitizers.md).
#
#   tools/tsan.sh [ctest args...]
#   EPP_TSAN_BUILD_DIR  build directory (default: build-tsan)
#   EPP_JOBS            build and test jobs (default: 2)
#
# The set: eppd's own concurrency, in process — hot reload (the controller, and reloads under
# concurrent decisions while endpoint states are published), flow control (queues, the
# dispatcher thread, admission on the request path) and the scraper (its Asio thread against
# real HTTP(S) servers, publishing snapshots that readers take). Paths through gRPC are left
# out: Debian's gRPC is not built with TSan, its locks are invisible, and every hand-off
# between its threads would be reported (docs/sanitizers.md).
set -euo pipefail
cd "$(dirname "$0")/.."

tests=(
  runtime_reload_test runtime_pipeline_test
  flowcontrol_test flowcontrol_queues_test
  datalayer_scraper_test
)
case "${1:-}" in -h | --help) sed -n '2,14p' "$0"; exit 0 ;; esac

build=${EPP_TSAN_BUILD_DIR:-build-tsan}
jobs=${EPP_JOBS:-2}
tools/install-deps.sh
cmake -S . -B "$build" -G Ninja -DEPP_WERROR=ON -DEPP_QUICK_BUILD=ON -DEPP_SANITIZE=thread \
  >/dev/null
cmake --build "$build" -j "$jobs" --target "${tests[@]}"

# shellcheck source=tools/sanitizer-env.sh
source tools/sanitizer-env.sh
sanitizer_env "$build"
# One ctest test per binary in a sanitized build; per test case ("binary.Suite.Case") otherwise.
regex="^($(IFS='|'; echo "${tests[*]}"))(\\.|\$)"
status=0
ctest --test-dir "$build" --output-on-failure -j "$jobs" -R "$regex" "$@" || status=$?
sanitizer_reports "$build" || status=1
exit $status
