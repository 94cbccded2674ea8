#!/usr/bin/env bash
# What deciding costs on top of the ext_proc transport (docs/performance.md §2).
#
# 64 model servers (eppd-sim, one process; eppd scrapes them, nothing is forwarded), eppd on
# configs/default.yaml over them, and the null ext_proc server (tests/bench: eppd's own
# transport routing every request to one fixed endpoint). `eppd-bench transport` then plays
# Envoy against both with the same client, bodies and load, alternating phase by phase, and
# prints eppd's throughput, routing latency and CPU per stream as ratios to the null server.
# With two or more CPUs the two servers share CPU 0 and everything else runs on the others,
# so the client and the simulators do not steal the servers' time.
#   TRANSPORT_OUT         logs (default: a new temporary directory)
#   TRANSPORT_SECONDS     length of each phase (default 5)
#   TRANSPORT_ROUNDS      rounds (default 3)
#   TRANSPORT_BODY        request body bytes (default 4096)
#   TRANSPORT_CONCURRENCY streams in flight at saturation (default 64)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${EPP_BUILD_DIR:-build}
bin=$build/bin
out=${TRANSPORT_OUT:-$(mktemp -d -t eppd-transport-XXXXXX)}
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

server_cpus="" others=""
if [ "$(nproc)" -ge 2 ]; then
  server_cpus="taskset -c 0"
  others="taskset -c 1-$(($(nproc) - 1))"
fi

wait_for() {  # file, what
  for _ in $(seq 300); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "transport: $2 did not start; its log is in $out" >&2
  exit 1
}

$others $bin/eppd-sim --count 64 --port 0 --ready-file "$out/sim.json" >"$out/sim.log" 2>&1 &
pids+=($!)
wait_for "$out/sim.json" eppd-sim
endpoints=()
for p in $(sed -E 's/.*\[([0-9,]+)\].*/\1/' "$out/sim.json" | tr ',' ' '); do
  endpoints+=(--endpoint "127.0.0.1:$p")
done

sed '/^endpoints:/,$d' configs/default.yaml >"$out/default.yaml"
$server_cpus $bin/eppd serve --config "$out/default.yaml" "${endpoints[@]}" --extproc-port 0 \
  --health-port 0 --metrics-port 0 --admin-port 0 --ready-file "$out/eppd.json" \
  >"$out/eppd.log" 2>&1 &
eppd=$!
pids+=($eppd)
wait_for "$out/eppd.json" eppd
eppd_port=$(sed -E 's/.*"extprocPort":([0-9]+).*/\1/' "$out/eppd.json")

null_port=$((20000 + RANDOM % 20000))
$server_cpus $build/tests/bench/eppd-null-extproc --address "127.0.0.1:$null_port" \
  >"$out/null.log" 2>&1 &
null=$!
pids+=($null)
wait_for "$out/null.log" eppd-null-extproc
sleep 1  # eppd's first scrapes

$others $bin/eppd-bench transport \
  --run "name=null,target=127.0.0.1:$null_port,pid=$null" \
  --run "name=eppd,target=127.0.0.1:$eppd_port,pid=$eppd" \
  --seconds "${TRANSPORT_SECONDS:-5}" --rounds "${TRANSPORT_ROUNDS:-3}" \
  --body-bytes "${TRANSPORT_BODY:-4096}" --concurrency "${TRANSPORT_CONCURRENCY:-64}"
echo "Logs: $out"
