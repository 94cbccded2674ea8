#!/usr/bin/env bash
# Flow control under overload, on real sockets (docs/benchmarks.md §4).
#
# Four eppd-sim servers (time scale 4, 16 sequences each) behind two eppd processes:
# configs/flow-control.yaml (the flowControl gate) and configs/default.yaml (no admission).
# eppd-bench sends mixed traffic, 20% critical and 80% sheddable (header
# x-gateway-inference-objective), twice:
#   1. baseline: a load the fleet serves easily, through flow control;
#   2. overload: about three times what the fleet serves, through flow control, then the
#      same workload through default.yaml.
# The per-class rows ([critical], [sheddable]) of the two tables are the result.
#   OVERLOAD_OUT     where logs and JSON reports go (default: a new temporary directory)
#   OVERLOAD_SECONDS length of each run (default 30)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${EPP_BUILD_DIR:-build}/bin
out=${OVERLOAD_OUT:-$(mktemp -d -t eppd-overload-XXXXXX)}
seconds=${OVERLOAD_SECONDS:-30}
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

wait_for() {  # file, what
  for _ in $(seq 300); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "overload: $2 did not start; its log is in $out" >&2
  exit 1
}
json_port() {  # file, key
  sed -E "s/.*\"$2\":([0-9]+).*/\\1/" "$1"
}

$bin/eppd-sim --count 4 --port 0 --time-scale 4 --max-num-seqs 16 \
  --ready-file "$out/sim.json" >"$out/sim.log" 2>&1 &
pids+=($!)
wait_for "$out/sim.json" eppd-sim
ports=$(sed -E 's/.*\[([0-9,]+)\].*/\1/' "$out/sim.json" | tr ',' ' ')
fleet=""
endpoints=()
for p in $ports; do
  fleet+="${fleet:+,}127.0.0.1:$p"
  endpoints+=(--endpoint "127.0.0.1:$p")
done

start_eppd() {  # name, config
  # The example's own demo endpoints are dropped; the fleet comes from --endpoint.
  sed '/^endpoints:/,$d' "$2" >"$out/$1.yaml"
  $bin/eppd serve --config "$out/$1.yaml" "${endpoints[@]}" --extproc-port 0 \
    --health-port 0 --metrics-port 0 --admin-port 0 --ready-file "$out/$1.json" \
    >"$out/$1.log" 2>&1 &
  pids+=($!)
  wait_for "$out/$1.json" "eppd ($1)"
}
start_eppd flow-control configs/flow-control.yaml
start_eppd default configs/default.yaml
fc=$(json_port "$out/flow-control.json" extprocPort)
plain=$(json_port "$out/default.json" extprocPort)
sleep 1  # the first scrapes

mix="random:input=200..1000,output=50..300,classes=critical:0.2+sheddable:0.8,seed=1"
echo "== baseline: 16 requests/s for ${seconds}s through flow control"
$bin/eppd-bench --no-progress --fleet "$fleet" \
  --workload "$mix,rate=poisson:16,duration=${seconds}s" \
  --run "name=flow-control,target=127.0.0.1:$fc" --json "$out/baseline.json"
echo
echo "== overload: 160 requests/s for ${seconds}s, flow control then no admission"
$bin/eppd-bench --no-progress --fleet "$fleet" \
  --workload "$mix,rate=poisson:160,duration=${seconds}s" \
  --run "name=flow-control,target=127.0.0.1:$fc" --run "name=no-admission,target=127.0.0.1:$plain" \
  --json "$out/overload.json"
echo
echo "Reports and logs: $out"
