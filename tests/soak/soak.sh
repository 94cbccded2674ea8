#!/usr/bin/env bash
# The soak (tests/soak/README.md): eppd in front of four simulated vLLM servers under a steady
# load at 80 % of what the fleet can serve, for --minutes (default 10), with its config
# swapped between tests/soak/profile-a.yaml and profile-b.yaml every 10 seconds. Measures the
# fleet's capacity first (a closed loop through eppd that keeps every server's batch full),
# then samples eppd's RSS, open file descriptors and threads every few seconds.
# Passes when, after the warm-up (the first 20 % of the run):
#   - RSS grew less than 5 % (mean of the last 10 % of the run against the first 10 % after
#     the warm-up);
#   - open fds did not grow (at most --fd-tolerance more at the end than after the warm-up,
#     and the same count at rest before and after the load);
#   - no request failed, eppd counted no plugin or request error;
#   - every config swap was a successful reload and the old snapshots were all released.
# Prints a summary table; every sample is in OUT/samples.csv.
#
#   tests/soak/soak.sh [--minutes N] [--out DIR] [--load F] [--sample-seconds S]
#                      [--reload-seconds S] [--capacity-seconds S] [--fd-tolerance N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/soak/lib.sh
source "$here/lib.sh"

minutes=10
out=""
load=0.8
sample_seconds=2
reload_seconds=10
capacity_seconds=30
fd_tolerance=4
while (($#)); do
  case $1 in
    --minutes) minutes=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --load) load=$2; shift 2 ;;
    --sample-seconds) sample_seconds=$2; shift 2 ;;
    --reload-seconds) reload_seconds=$2; shift 2 ;;
    --capacity-seconds) capacity_seconds=$2; shift 2 ;;
    --fd-tolerance) fd_tolerance=$2; shift 2 ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument '$1' (--help)" >&2; exit 2 ;;
  esac
done
if ! [[ $minutes =~ ^[0-9]+$ ]] || ((minutes < 1)); then
  fail "--minutes must be a whole number ≥ 1"
fi
out=${out:-$soak_build/soak/soak-${minutes}m}
duration=$((minutes * 60))
warmup=$((duration / 5))
window=$((duration / 10))

soak_setup "$out"
rm -f "$out"/*.log "$out"/*.json "$out"/*.csv
note "output in $out"
for profile in profile-a profile-b; do
  "$EPPD" validate "$here/$profile.yaml" >/dev/null 2>"$out/validate.log" ||
    fail "$profile.yaml does not validate: $(cat "$out/validate.log")"
done

# The fleet: four servers of one process. A small batch (8 sequences) keeps the fleet's
# capacity within what eppd-bench and eppd drive on a shared machine; 2,048 KV blocks per
# server give eppd's prefix index (autoTune: one entry per KV block) a bound it reaches
# during the warm-up, after which it evicts as much as it inserts.
servers=4
max_seqs=8
time_scale=2
decode_base_ms=20
decode_per_seq_ms=0.05
output_tokens=48
start_sim fleet "$out" --port 0 --count "$servers" --time-scale "$time_scale" \
  --max-num-seqs "$max_seqs" --num-gpu-blocks 2048 --decode-base-ms "$decode_base_ms" \
  --decode-per-seq-ms "$decode_per_seq_ms"
endpoint_flags=()
fleet=""
i=0
for port in $(jq -r '.ports[]' "$out/fleet.ready.json"); do
  i=$((i + 1))
  endpoint_flags+=(--endpoint "sim-$i=127.0.0.1:$port")
  fleet+="${fleet:+,}127.0.0.1:$port"
done
config="$out/config.yaml"
cp "$here/profile-a.yaml" "$config"
start_eppd "$out" "$config" "${endpoint_flags[@]}"
wait_for 15 endpoints_ready "$servers" ||
  fail "eppd does not see $servers healthy endpoints: $(admin /endpoints)"
note "eppd (pid $EPPD_PID) in front of $servers servers ($fleet)"

# A multi-turn chat workload: a shared system prompt, histories that grow turn by turn, and new
# conversations all the time, so the prefix index keeps inserting and evicting.
shape="multi-turn:conversations=48,turns=4,system=200,question=40,output=$output_tokens"

# Capacity, computed from the simulator's parameters: a full batch of 8 decodes one token per
# step of 20 + 0.05 × 8 = 20.4 ms model time; each request needs 48 such steps, and its prefill
# adds 5 ms + 0.1 ms per uncached prompt token to one step. Uncached are the new question
# (40 tokens) and, from the second turn on, the previous answer (48): 76 tokens on average over
# 4 turns (the history before them is cached). So a server finishes 8 requests per
# 48 × 20.4 + 8 × (5 + 7.6) ms of model time, at time scale 2 in half that wall time.
prefill_ms=$(awk 'BEGIN { print 5 + 0.1 * (40 + 48 * 3 / 4) }')
computed=$(awk -v n="$servers" -v s="$max_seqs" -v o="$output_tokens" -v b="$decode_base_ms" \
  -v p="$decode_per_seq_ms" -v f="$prefill_ms" -v ts="$time_scale" \
  'BEGIN { printf "%.1f", n * s / ((o * (b + p * s) + s * f) / ts / 1000) }')
concurrency=$((2 * servers * max_seqs))
note "capacity: a ${capacity_seconds}s closed loop of $concurrency requests through eppd (computed: $computed req/s)"
nice "$EPPD_BENCH" --target "127.0.0.1:$EXTPROC_PORT" --fleet "$fleet" --no-progress \
  --workload "$shape,concurrency=$concurrency,duration=${capacity_seconds}s,seed=11" \
  --json "$out/capacity.json" >"$out/capacity.log" 2>&1 ||
  fail "the capacity run failed: $(tail -5 "$out/capacity.log")"
capacity=$(jq -r '.runs[0].requests_per_s * 10 | round / 10' "$out/capacity.json")
capacity_errors=$(jq -r '.runs[0].errors | length' "$out/capacity.json")
((capacity_errors == 0)) || fail "the capacity run had errors: $(jq -c '.runs[0].errors' "$out/capacity.json")"
rate=$(awk -v c="$capacity" -v f="$load" 'BEGIN { printf "%.1f", c * f }')
note "capacity $capacity req/s measured; the soak runs at $rate req/s ($load of it) for $minutes min"

# At rest: eppd's fds with nothing connected but its scrapes.
sleep 2
fds_rest_before=$(fd_count "$EPPD_PID")
routed_before=$(metric_sum eppd_extproc_streams_total 'result="routed"')

workload="$shape,rate=poisson:$rate,duration=${duration}s,seed=12"
nice "$EPPD_BENCH" --target "127.0.0.1:$EXTPROC_PORT" --fleet "$fleet" --no-progress \
  --workload "$workload" --json "$out/bench.json" >"$out/bench.log" 2>&1 &
bench_pid=$!
soak_pids+=("$bench_pid")
note "load: $workload"

csv="$out/samples.csv"
echo "t_s,rss_kb,fds,threads,reloads_ok,reloads_failed,generation,snapshots_live,prefix_index_entries,routed" >"$csv"
sample() {
  local t=$1 metrics
  metrics=$(curl -sf --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics") ||
    fail "eppd's /metrics did not answer at ${t}s"
  local values
  values=$(awk '
    $1 == "eppd_config_reload_total{result=\"success\"}" { ok = $2 }
    $1 == "eppd_config_reload_total{result=\"failure\"}" { failed = $2 }
    $1 == "eppd_config_generation" { generation = $2 }
    $1 == "eppd_config_snapshots_live" { live = $2 }
    index($1, "inference_extension_prefix_indexer_size") == 1 { index_size += $2 }
    index($1, "eppd_extproc_streams_total{") == 1 && index($1, "result=\"routed\"") { routed += $2 }
    END { printf "%d,%d,%d,%d,%d,%d", ok, failed, generation, live, index_size, routed }' \
    <<<"$metrics")
  echo "$t,$(rss_kb "$EPPD_PID"),$(fd_count "$EPPD_PID"),$(threads "$EPPD_PID"),$values" >>"$csv"
}

# Swaps the config file atomically (a rename, as a ConfigMap update or an editor does).
swaps=0
swap_config() {
  local next="profile-b"
  ((swaps % 2 == 0)) || next="profile-a"
  cp "$here/$next.yaml" "$config.tmp"
  mv "$config.tmp" "$config"
  swaps=$((swaps + 1))
}

start=$SECONDS
next_sample=0
next_reload=$reload_seconds
next_note=60
while kill -0 "$bench_pid" 2>/dev/null; do
  kill -0 "$EPPD_PID" 2>/dev/null || fail "eppd exited during the soak; its log: $out/eppd.log"
  elapsed=$((SECONDS - start))
  if ((elapsed >= next_sample)); then
    sample "$elapsed"
    next_sample=$((next_sample + sample_seconds))
  fi
  if ((elapsed >= next_reload && elapsed < duration)); then
    swap_config
    next_reload=$((next_reload + reload_seconds))
  fi
  if ((elapsed >= next_note)); then
    next_note=$((next_note + 60))
    note "  ${elapsed}s: $(tail -1 "$csv" | awk -F, '{ printf "RSS %.1f MiB, %d fds, %d reloads ok", $2 / 1024, $3, $5 }')"
  fi
  sleep 1
done
bench_status=0
wait "$bench_pid" || bench_status=$?
forget_pid "$bench_pid"
((bench_status == 0)) || fail "eppd-bench exited with $bench_status: $(tail -5 "$out/bench.log")"
load_end=$((SECONDS - start))

# At rest again: the last reload done, old snapshots released, the bench's connection gone.
reloads_settled() { (($(metric 'eppd_config_reload_total{result="success"}') >= swaps)); }
snapshots_released() { (($(metric eppd_config_snapshots_live) == 1)); }
wait_for 10 reloads_settled || true
wait_for 15 snapshots_released || true
sleep 2
fds_rest_after=$(fd_count "$EPPD_PID")
sample "$((SECONDS - start))"

reloads_ok=$(metric 'eppd_config_reload_total{result="success"}')
reloads_failed=$(metric 'eppd_config_reload_total{result="failure"}')
reloads_unchanged=$(metric 'eppd_config_reload_total{result="unchanged"}')
generation=$(metric eppd_config_generation)
snapshots_live=$(metric eppd_config_snapshots_live)
plugin_errors=$(metric_sum eppd_plugin_errors_total '')
request_errors=$(metric_sum inference_objective_request_error_total '')
routed=$(($(metric_sum eppd_extproc_streams_total 'result="routed"') - routed_before))
requests=$(jq -r '.runs[0].requests' "$out/bench.json")
ok=$(jq -r '.runs[0].ok' "$out/bench.json")
errors=$(jq -c '.runs[0].errors' "$out/bench.json")
achieved=$(jq -r '.runs[0].requests_per_s * 10 | round / 10' "$out/bench.json")
reload_ms=$(curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" | awk '
  $1 == "eppd_config_reload_duration_seconds_sum" { sum = $2 }
  $1 == "eppd_config_reload_duration_seconds_count" { n = $2 }
  END { if (n > 0) printf "%.1f", sum / n * 1000; else print "-" }')

# RSS and fds: the warm-up's end against the run's end (samples taken while the load ran).
stats=$(awk -F, -v w="$warmup" -v win="$window" -v end="$load_end" '
  NR == 1 { next }
  $1 > end { next }
  NR == 2 { first_rss = $2; first_fds = $3 }
  { if ($2 > max_rss) max_rss = $2 }
  $1 >= w && $1 < w + win { base_rss += $2; base_n++; if ($3 > base_fds) base_fds = $3 }
  $1 >= end - win { end_rss += $2; end_n++; if ($3 > end_fds) end_fds = $3 }
  END {
    if (base_n == 0 || end_n == 0) { print "none"; exit }
    printf "%d %d %d %d %d %d %d\n", first_rss, base_rss / base_n, end_rss / end_n, max_rss,
      first_fds, base_fds, end_fds
  }' "$csv")
[[ $stats != none ]] || fail "too few samples for the warm-up and end windows (see $csv)"
read -r rss_first rss_base rss_end rss_max fds_first fds_base fds_end <<<"$stats"
growth=$(awk -v a="$rss_base" -v b="$rss_end" 'BEGIN { printf "%.2f", (b / a - 1) * 100 }')

mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
echo
echo "soak: $minutes min, warm-up ${warmup}s, windows of ${window}s, a sample every ${sample_seconds}s"
printf '  %-34s %s\n' \
  "capacity (measured / computed)" "$capacity / $computed req/s" \
  "load (asked / achieved)" "$rate / $achieved req/s" \
  "requests ok / sent" "$ok / $requests (errors: $errors)" \
  "streams eppd routed" "$routed" \
  "config swaps / reloads ok" "$swaps / $reloads_ok (failed $reloads_failed, unchanged $reloads_unchanged)" \
  "config generation, snapshots live" "$generation, $snapshots_live" \
  "reload time (mean)" "$reload_ms ms" \
  "plugin errors, request errors" "$plugin_errors, $request_errors" \
  "RSS at start" "$(mib "$rss_first")" \
  "RSS after warm-up (mean)" "$(mib "$rss_base")" \
  "RSS at the end (mean)" "$(mib "$rss_end") ($growth %)" \
  "RSS max" "$(mib "$rss_max")" \
  "fds at start / after warm-up / end" "$fds_first / $fds_base / $fds_end (max in each window)" \
  "fds at rest before / after" "$fds_rest_before / $fds_rest_after" \
  "samples" "$csv"
echo

status=0
check() {
  if eval "$2"; then echo "ok    $1"; else echo "FAIL  $1"; status=1; fi
}
check "no request failed" '((requests > 0 && ok == requests))'
check "eppd routed every request" '((routed == requests))'
check "eppd counted no plugin or request error" '((plugin_errors == 0 && request_errors == 0))'
check "every swap was a successful reload ($swaps)" \
  '((swaps > 0 && reloads_ok == swaps && reloads_failed == 0 && generation == swaps + 1))'
check "old snapshots released (1 live)" '((snapshots_live == 1))'
# shellcheck disable=SC2016  # check() evaluates its condition
check "RSS grew < 5 % after the warm-up ($growth %)" \
  'awk -v g="$growth" "BEGIN { exit !(g < 5) }"'
check "no fd growth under load ($fds_base -> $fds_end, tolerance $fd_tolerance)" \
  '((fds_end <= fds_base + fd_tolerance))'
check "no fd growth at rest ($fds_rest_before -> $fds_rest_after)" \
  '((fds_rest_after <= fds_rest_before))'
((status == 0)) || fail "the soak failed (samples in $csv, eppd's log in $out/eppd.log)"
note "soak passed"
