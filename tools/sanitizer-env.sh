# shellcheck shell=bash
# Sourced by tools/test.sh and tools/tsan.sh; see
# docs/sanitizers.md. The options are exported, so the eppd, eppd-sim and eppd-bench
# processes that integration tests start run with them too.
#   sanitizer_env <build dir>      exports ASAN/LSAN/UBSAN/TSAN_OPTIONS and empties
#                                  <build dir>/sanitizer-reports
#   sanitizer_reports <build dir>  prints every report written there; fails if there is one
#
# Reports go to files, not stderr: a child process's stderr is a log file its test deletes,
# and a finding at exit (a leak, say) does not always fail the test that caused it. The
# files are named <tool>.<program>.<pid>.

sanitizer_env() {
  local reports
  reports="$(cd "$1" && pwd)/sanitizer-reports"
  local supp
  supp="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/sanitizers"
  rm -rf "$reports" && mkdir -p "$reports"
  local common="log_exe_name=1:print_summary=1"
  export ASAN_OPTIONS="log_path=$reports/asan:$common:detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_odr_violation=2"
  export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="log_path=$reports/ubsan:$common:print_stacktrace=1:halt_on_error=1"
  # A race does not stop the process: one run lists them all; the exit code (66) and the
  # report file still fail the run. Debian's gRPC, protobuf and abseil are not instrumented:
  # their own accesses and the libc calls they make are not judged (their locks are
  # invisible to TSan, so every one would look like a race).
  export TSAN_OPTIONS="log_path=$reports/tsan:$common:ignore_noninstrumented_modules=1:suppressions=$supp/tsan.supp:print_suppressions=0:second_deadlock_stack=1"
}

sanitizer_reports() {
  local reports="$1/sanitizer-reports"
  local files=()
  [ -d "$reports" ] && mapfile -t files < <(find "$reports" -type f | sort)
  [ ${#files[@]} -eq 0 ] && { echo "sanitizers: no reports"; return 0; }
  local f
  for f in "${files[@]}"; do
    echo "==== $f"
    cat "$f"
  done
  echo "sanitizers: ${#files[@]} report(s) in $reports" >&2
  return 1
}
