#!/usr/bin/env bash
# The fault run (tests/soak/README.md): four simulated vLLM servers, eppd in front of them on
# tests/soak/profile-a.yaml, and eppd-bench playing Envoy at a steady rate through eppd's
# ext_proc port for about 2.5 minutes. Meanwhile one server after another misbehaves:
#   500s     sim-1 answers every completion and /health with HTTP 500
#   garbage  sim-2's /metrics answers text no Prometheus parser accepts
#   stall    sim-3's engine stands still (requests queue, no tokens)
#   die      sim-4's process is killed (SIGKILL), then started again on the same port
# each for --fault-seconds, then --recovery-seconds of normal service. Exits non-zero with
# the reason when eppd stops serving, when a request fails that no fault explains, when eppd
# keeps routing to a faulty server, or when a server that is back gets no traffic again.
#
#   tests/soak/faults.sh [--out DIR] [--rate R] [--fault-seconds F] [--recovery-seconds R]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/soak/lib.sh
source "$here/lib.sh"

out="$soak_build/soak/faults"
rate=20
fault_seconds=20
recovery_seconds=12
baseline_seconds=15
while (($#)); do
  case $1 in
    --out) out=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --fault-seconds) fault_seconds=$2; shift 2 ;;
    --recovery-seconds) recovery_seconds=$2; shift 2 ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "faults.sh: unknown argument '$1' (--help)" >&2; exit 2 ;;
  esac
done
((fault_seconds >= 8)) || fail "--fault-seconds must be at least 8 (detection takes up to 3 s)"

soak_setup "$out"
rm -f "$out"/*.log "$out"/*.json
note "output in $out"

# Each server its own process, so one can be killed and started again alone. A step costs
# 10 ms (+0.05 ms per sequence): a request of 32 output tokens takes about 0.35 s, so the
# fleet runs far below capacity and three servers carry the load of four.
sim_flags=(--time-scale 1 --decode-base-ms 10)
names=(sim-1 sim-2 sim-3 sim-4)
declare -A sim_pid sim_port
endpoint_flags=()
fleet=""
for i in "${!names[@]}"; do
  name=${names[$i]}
  start_sim "$name" "$out" --port 0 --seed "$((i + 1))" "${sim_flags[@]}"
  sim_pid[$name]=$SIM_PID
  sim_port[$name]=$SIM_PORT
  endpoint_flags+=(--endpoint "$name=127.0.0.1:$SIM_PORT")
  fleet+="${fleet:+,}127.0.0.1:$SIM_PORT"
done
start_eppd "$out" "$here/profile-a.yaml" "${endpoint_flags[@]}"
wait_for 15 endpoints_ready 4 || fail "eppd does not see 4 healthy endpoints: $(admin /endpoints)"
note "eppd (pid $EPPD_PID) serves ext_proc on $EXTPROC_PORT in front of ${names[*]} ($fleet)"

total=$((baseline_seconds + 4 * (fault_seconds + recovery_seconds) + 3))
workload="shared-prefix:groups=32,users=4,system=300,question=60,output=32"
workload+=",rate=poisson:$rate,duration=${total}s,seed=7"
nice "$EPPD_BENCH" --target "127.0.0.1:$EXTPROC_PORT" --fleet "$fleet" --workload "$workload" \
  --json "$out/bench.json" --json-records --no-progress --timeout 120 >"$out/bench.log" 2>&1 &
bench_pid=$!
soak_pids+=("$bench_pid")
note "load: $workload"

phases="[]"
# add_phase NAME VICTIM T0 T1 DETECT BEFORE CODES...: what faults.jq checks.
add_phase() {
  local codes
  codes=$(printf '%s\n' "${@:7}" | jq -R . | jq -sc .)
  phases=$(jq -c --arg name "$1" --arg server "$2" --arg victim "127.0.0.1:${sim_port[$2]}" \
    --argjson t0 "$3" --argjson t1 "$4" --argjson detect "$5" --argjson before "$6" \
    --argjson codes "$codes" \
    '. + [{name: $name, server: $server, victim: $victim, t0: $t0, t1: $t1, detect: $detect,
           before: $before,
           codes: (if $codes == [""] then [] else $codes end)}]' <<<"$phases")
}
# What eppd's /endpoints says of a server now (mid-fault): health, scrape error, queue.
observe() {
  local seen
  seen=$(admin /endpoints | jq -c --arg name "$1" '.endpoints[] | select(.name == $name)
    | {health, waiting: .metrics.waiting, running: .metrics.running,
       lastError: .scrape.lastError}')
  echo "$seen" >"$out/observed-$2.json"
  note "  eppd sees $1: $seen"
}
half=$((fault_seconds / 2))

sleep "$baseline_seconds"

note "500s: sim-1 answers completions and /health with 500 for ${fault_seconds}s"
t0=$(now)
sim_fault "${sim_port[sim-1]}" '{"errorRate": 1, "healthStatus": 500}'
sleep "$half"; observe sim-1 500s; sleep "$((fault_seconds - half))"
t1=$(now)
sim_fault "${sim_port[sim-1]}" '{}'
# /health is probed every second: requests that reached sim-1 before the probe got a 500.
add_phase 500s sim-1 "$t0" "$t1" 2.5 1 500
sleep "$recovery_seconds"

note "garbage: sim-2's /metrics answers garbage for ${fault_seconds}s"
t0=$(now)
sim_fault "${sim_port[sim-2]}" '{"metrics": "garbage"}'
sleep "$half"; observe sim-2 garbage; sleep "$((fault_seconds - half))"
t1=$(now)
sim_fault "${sim_port[sim-2]}" '{}'
add_phase garbage sim-2 "$t0" "$t1" 1 0
sleep "$recovery_seconds"

note "stall: sim-3's engine stands still for ${fault_seconds}s"
t0=$(now)
sim_fault "${sim_port[sim-3]}" "{\"stallSeconds\": $fault_seconds}"
sleep "$half"; observe sim-3 stall; sleep "$((fault_seconds - half))"
t1=$(now)
# The requests sim-3 took before its queue kept eppd away wait, and finish late: no errors.
add_phase stall sim-3 "$t0" "$t1" 3 0
sleep "$recovery_seconds"

note "die: sim-4 (pid ${sim_pid[sim-4]}) killed; started again after ${fault_seconds}s"
t0=$(now)
kill -KILL "${sim_pid[sim-4]}"
wait "${sim_pid[sim-4]}" 2>/dev/null || true
forget_pid "${sim_pid[sim-4]}"
sleep "$half"; observe sim-4 die; sleep "$((fault_seconds - half))"
t1=$(now)
start_sim sim-4 "$out" --port "${sim_port[sim-4]}" --seed 4 "${sim_flags[@]}"
sim_pid[sim-4]=$SIM_PID
# Requests in flight on sim-4 lose their connection; those eppd sent before three scrapes
# failed (50 ms apart) cannot connect.
add_phase die sim-4 "$t0" "$t1" 1 60 connect upstream
note "  sim-4 is back (pid $SIM_PID)"

bench_status=0
wait "$bench_pid" || bench_status=$?
kill -0 "$EPPD_PID" 2>/dev/null || fail "eppd exited during the run; its log: $out/eppd.log"
((bench_status == 0)) || fail "eppd-bench exited with $bench_status: $(tail -5 "$out/bench.log")"
echo "$phases" >"$out/phases.json"

limits='{"faultShare": {"500s": 0.02, "garbage": 0.02, "stall": 0.05, "die": 0.02},
         "recoveryFraction": 0.4, "recoveryDelay": 3, "minBaselineShare": 0.1}'
jq --argjson phases "$phases" --argjson limits "$limits" -f "$here/faults.jq" \
  "$out/bench.json" >"$out/report.json" || fail "cannot analyse $out/bench.json"

echo
sed -n '/^ *eppd$/,$p' "$out/bench.log" | head -20
echo
jq -r 'def cell: if .share == null then "-" else "\(.share * 1000 | round / 10)% of \(.requests)" end;
  def secs: if . == null then "-" else "\(. * 100 | round / 100) s" end;
  "phase\tvictim\tshare before\tduring the fault\tafter\tlast pick after the fault began\tfirst pick after it ended",
  (.phases[] | [.name, "\(.server) \(.victim)", (.baseline | cell), (.fault | cell), (.recovery | cell),
                (.lastPickAfter | secs), (.firstPickAfter | secs)] | @tsv)' \
  "$out/report.json" | column -t -s $'\t'
echo
echo "eppd's scrape failures by endpoint and reason:"
curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" | grep '^eppd_endpoint_scrape_failures_total' |
  sed 's/^/  /' || echo "  none"
echo

# eppd saw each fault for what it was.
jq -e '.health == "unhealthy" and .lastError == "/health: HTTP 500: unhealthy"' \
  "$out/observed-500s.json" >/dev/null ||
  fail "mid-fault, eppd did not mark sim-1 unhealthy: $(cat "$out/observed-500s.json")"
jq -e '.health == "unhealthy" and (.lastError | test("parse|line"))' \
  "$out/observed-garbage.json" >/dev/null ||
  fail "mid-fault, eppd did not reject sim-2's garbage metrics: $(cat "$out/observed-garbage.json")"
jq -e '.waiting > 0' "$out/observed-stall.json" >/dev/null ||
  fail "mid-stall, eppd did not see sim-3's queue: $(cat "$out/observed-stall.json")"
jq -e '.health == "unhealthy"' "$out/observed-die.json" >/dev/null ||
  fail "mid-fault, eppd did not mark the dead sim-4 unhealthy: $(cat "$out/observed-die.json")"

status=0
while IFS=$'\t' read -r ok what; do
  if [[ $ok == true ]]; then echo "ok    $what"; else echo "FAIL  $what"; status=1; fi
done < <(jq -r '.checks[] | [.ok, .what] | @tsv' "$out/report.json")
if ((status != 0)); then
  jq -r '.unexplained[:10][] | "  unexplained: \(.id) at \(.start_s | . * 100 | round / 100) s:
    \(.error) from \(.endpoint): \(.detail)"' "$out/report.json" >&2
  fail "see above; the requests are in $out/bench.json, eppd's log in $out/eppd.log"
fi
note "fault run passed ($(jq -r '"\(.requests) requests, \(.requests - .ok) failed, all explained"' \
  "$out/report.json"))"
