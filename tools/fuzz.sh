#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan, UBSan; a build directory of their
# own) and runs each for a bounded time on a copy of its checked-in corpus (docs/fuzzing.md).
#
#   tools/fuzz.sh [--ci] [--seconds N] [--parallel N] [--merge] [target...]
#     --ci          what CI runs: 20 s per target unless --seconds says otherwise
#     --seconds N   run time of each target (default 60)
#     --parallel N  targets run at once (default 2: one per core of the CI machine)
#     --merge       afterwards, add the inputs that found new coverage to tests/fuzz/corpus/
#     target        extproc_stream openai_request usage_parser prometheus_text config
#                   descriptor (default: all)
#   EPP_FUZZ_BUILD_DIR  build directory (default: build-fuzz)
#   EPP_JOBS            build jobs (default: 2)
#
# Exits non-zero when a target crashes, times out, runs out of memory or breaks one of its
# invariants, after printing the report and where the crashing input was written.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(extproc_stream openai_request usage_parser prometheus_text config descriptor)
seconds=60
parallel=2
merge=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ci) ci_seconds=20 ;;
    --seconds) seconds="$2"; explicit_seconds=1; shift ;;
    --parallel) parallel="$2"; shift ;;
    --merge) merge=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
if [ -n "${ci_seconds:-}" ] && [ -z "${explicit_seconds:-}" ]; then seconds=$ci_seconds; fi
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

build=${EPP_FUZZ_BUILD_DIR:-build-fuzz}
tools/install-deps.sh
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DEPP_FUZZ=ON -DEPP_WERROR=ON >/dev/null
cmake --build "$build" -j "${EPP_JOBS:-2}"

# Per-target libFuzzer options: the longest input worth mutating (well above the seeds) and
# the dictionary of the format's words.
max_len() {
  case "$1" in
    config | prometheus_text) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

# gRPC finishes each stream on its own threads after the input returns, so libFuzzer would
# run LeakSanitizer after almost every input (two thirds of the time); the target checks
# instead that every stream and response observer is freed.
extra_args() {
  case "$1" in
    extproc_stream) echo -detect_leaks=0 ;;
  esac
}

runs="$build/fuzz-runs"
run_one() {
  local target=$1 work="$runs/$1"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp tests/fuzz/corpus/"$target"/* "$work/corpus/" 2>/dev/null || true
  local args=(-max_total_time="$seconds" -rss_limit_mb=1536 -timeout=30 -print_final_stats=1
              -max_len="$(max_len "$target")" -artifact_prefix="$work/artifacts/")
  [ -f "tests/fuzz/dict/$target.dict" ] && args+=(-dict="tests/fuzz/dict/$target.dict")
  # shellcheck disable=SC2207
  args+=($(extra_args "$target"))
  if "$build/fuzz/fuzz_$target" "${args[@]}" "$work/corpus" >"$work/log" 2>&1; then
    echo ok >"$work/result"
  else
    echo failed >"$work/result"
  fi
}

echo "fuzz: ${#targets[@]} targets, ${seconds} s each, ${parallel} at a time"
running=0
for target in "${targets[@]}"; do
  [ -x "$build/fuzz/fuzz_$target" ] || { echo "fuzz: no target $target" >&2; exit 2; }
  run_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

failed=0
for target in "${targets[@]}"; do
  work="$runs/$target"
  # The last status line: "#N DONE cov: C ft: F corp: K/S ... exec/s: E rss: R".
  status=$(grep -a -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$work/log" | tail -1 || true)
  runs_done=$(grep -a -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo '?')
  printf 'fuzz: %-16s %-6s runs %-9s %s\n' "$target" "$(cat "$work/result")" "$runs_done" \
    "$(echo "$status" | grep -o 'cov: [0-9]* ft: [0-9]* corp: [^ ]*' || true) $(echo "$status" | grep -o 'exec/s: [0-9]*' || true)"
  if [ "$(cat "$work/result")" != ok ]; then
    failed=1
    echo "---- $target: the end of $work/log"
    grep -a -v 'NEW_FUNC' "$work/log" | tail -60
    for input in "$work"/artifacts/*; do
      [ -e "$input" ] || continue
      echo "fuzz: crashing input: $input"
      echo "fuzz: reproduce with: $build/fuzz/fuzz_$target $input"
    done
  elif [ "$merge" = 1 ]; then
    "$build/fuzz/fuzz_$target" -merge=1 -max_len="$(max_len "$target")" \
      "tests/fuzz/corpus/$target" "$work/corpus" >"$work/merge.log" 2>&1
    echo "fuzz: $target: $(grep -a -o 'MERGE-OUTER: [0-9]* new files' "$work/merge.log")"
  fi
done
exit $failed
