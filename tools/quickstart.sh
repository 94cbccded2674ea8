#!/usr/bin/env bash
# Quick start: installs what is missing, builds, then shows eppd beating round-robin on a
# local fleet: four simulated vLLM servers (eppd-sim, on 127.0.0.1:8001-8004), eppd serving
# configs/default.yaml in front of them (scraping their /metrics), and eppd-bench playing
# Envoy with a one-minute shared-prefix workload, once through eppd and once round-robin.
# Prints the side-by-side table and where the TTFT plot is, then stops everything.
#   QUICKSTART_WORKLOAD  override the workload spec (tools/bench/README.md)
#   QUICKSTART_OUT       where the report and plot go (default: a new temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
bin=build/bin
out=${QUICKSTART_OUT:-$(mktemp -d -t eppd-quickstart-XXXXXX)}
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

wait_for() {  # file, what
  for _ in $(seq 300); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "quickstart: $2 did not start; its log is in $out" >&2
  exit 1
}

echo "== eppd-sim: four simulated vLLM servers on 127.0.0.1:8001-8004 (time scale 10)"
# A KV cache of 2,500 blocks (40k tokens) holds a few prefix groups per server: where a
# request lands decides whether its prompt is cached.
$bin/eppd-sim --count 4 --port 8001 --time-scale 10 --num-gpu-blocks 2500 \
  --ready-file "$out/sim.json" >"$out/sim.log" 2>&1 &
pids+=($!)
wait_for "$out/sim.json" eppd-sim

echo "== eppd serve --config configs/default.yaml"
$bin/eppd serve --config configs/default.yaml --extproc-port 0 --health-port 0 \
  --metrics-port 0 --admin-port 0 --ready-file "$out/eppd.json" >"$out/eppd.log" 2>&1 &
pids+=($!)
wait_for "$out/eppd.json" eppd
port() { sed -E "s/.*\"$1\":([0-9]+).*/\\1/" "$out/eppd.json"; }
extproc=$(port extprocPort)
admin=$(port adminPort)
# Ready once every simulator has been scraped.
for _ in $(seq 100); do
  scraped=$(curl -s "http://127.0.0.1:$admin/endpoints" | grep -o '"kvCacheUsage"' | wc -l)
  [ "$scraped" -ge 4 ] && break
  sleep 0.1
done

workload=${QUICKSTART_WORKLOAD:-shared-prefix:groups=24,users=8,system=4000,question=200,output=200,rate=poisson:100,duration=60s,seed=1}
echo "== eppd-bench: $workload"
echo "   through eppd (ext_proc 127.0.0.1:$extproc), then round-robin; about three minutes"
$bin/eppd-bench --workload "$workload" \
  --fleet 127.0.0.1:8001,127.0.0.1:8002,127.0.0.1:8003,127.0.0.1:8004 \
  --run "name=eppd,target=127.0.0.1:$extproc" --run name=round-robin,direct \
  --json "$out/report.json" --plot "$out"
echo
echo "Report: $out/report.json   TTFT CDF: $out/ttft_cdf.png (or $out/ttft_cdf.gp)"
echo "What eppd decided and why: curl -s 'http://127.0.0.1:$admin/decisions?n=1' (while it runs)"
echo "Try a config before it ships: $bin/eppd replay --config configs/default.yaml \\"
echo "  --compare configs/load-only.yaml configs/random.yaml --workload '$workload'"
