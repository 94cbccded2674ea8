#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and shows eppd at work: the plugins it
# loads, every example config validated, and eppd serving the default profile (its
# config, endpoints and metrics read back from the admin and metrics ports).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
eppd=build/bin/eppd

echo
echo "== eppd plugins list: the built-in plugins, loaded through the C ABI"
$eppd plugins list

echo
echo "== eppd validate configs/*.yaml"
$eppd validate configs/*.yaml

echo
echo "== eppd serve --config configs/default.yaml (free ports)"
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
$eppd serve --config configs/default.yaml --extproc-port 0 --health-port 0 --metrics-port 0 \
  --admin-port 0 --ready-file "$work/ready.json" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$work/ready.json" ] && break; sleep 0.1; done
cat "$work/ready.json"
port() { sed -E "s/.*\"$1\":([0-9]+).*/\\1/" "$work/ready.json"; }
admin=$(port adminPort)
metrics=$(port metricsPort)
echo "-- GET /config (admin :$admin)"
curl -s "http://127.0.0.1:$admin/config" | head -20
echo "-- POST /endpoints/state: 127.0.0.1:8002 reports a queue of 5"
curl -s -X POST "http://127.0.0.1:$admin/endpoints/state" \
  -d '{"endpoint":"127.0.0.1:8002","waiting":5,"kvCacheUsage":0.4}'
echo "-- GET /endpoints (pool summary)"
curl -s "http://127.0.0.1:$admin/endpoints" | tail -25
echo "-- /metrics (eppd_*)"
curl -s "http://127.0.0.1:$metrics/metrics" | grep '^eppd_' || true
kill -TERM "$pid"
wait "$pid" || true
echo
echo "eppd stopped. The simulated fleet and workload demo (eppd against round-robin)"
echo "arrives with the simulator; the test suite runs with tools/test.sh."
