# shellcheck shell=bash disable=SC2034  # start_* set globals for the scripts sourcing this
# Shared by faults.sh and soak.sh (sourced, not run): the binaries of this build tree,
# starting eppd-sim and eppd on free ports, reading eppd's /metrics and admin views, and
# stopping every process the script started (by pid) however it ends.
#   EPP_BUILD_DIR       build directory (default: build)
#   EPPD_START_SECONDS  how long eppd may take to start (default 30)

soak_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
soak_build=${EPP_BUILD_DIR:-build}
[[ $soak_build = /* ]] || soak_build="$soak_root/$soak_build"
EPPD="$soak_build/bin/eppd"
EPPD_SIM="$soak_build/bin/eppd-sim"
EPPD_BENCH="$soak_build/bin/eppd-bench"

soak_pids=()

# Prints why and exits 1: every failed check ends the script this way.
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

note() { echo "[$(date +%H:%M:%S)] $*"; }

# Seconds since the epoch, with nanoseconds.
now() { date +%s.%N; }

# A process this script ended and reaped itself: its pid may be reused, never signal it again.
forget_pid() {
  local keep=() pid
  for pid in "${soak_pids[@]}"; do [[ $pid == "$1" ]] || keep+=("$pid"); done
  soak_pids=("${keep[@]}")
}

soak_cleanup() {
  local pid
  for pid in "${soak_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${soak_pids[@]}"; do
    # eppd drains for up to --drain-seconds; then it is killed.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# Checks the tools and binaries, makes the output directory $1, and arranges the cleanup.
soak_setup() {
  local out=$1
  local tool
  for tool in curl jq awk; do
    command -v "$tool" >/dev/null || fail "$tool is needed (tools/install-deps.sh installs it)"
  done
  for tool in "$EPPD" "$EPPD_SIM" "$EPPD_BENCH"; do
    [[ -x $tool ]] || fail "$tool is not built: EPP_BUILD_DIR=${soak_build} tools/build.sh"
  done
  mkdir -p "$out" || fail "cannot create $out"
  trap soak_cleanup EXIT
  trap 'exit 130' INT TERM
}

# Waits up to $1 seconds for the command "${@:2}" to succeed.
wait_for() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# start_sim NAME DIR [--port P] FLAGS...: one eppd-sim process; sets SIM_PID and SIM_PORT.
# Its log is DIR/NAME.log (appended to, so a restart keeps the first life's lines).
start_sim() {
  local name=$1 dir=$2
  shift 2
  local ready="$dir/$name.ready.json"
  rm -f "$ready"
  nice "$EPPD_SIM" --ready-file "$ready" "$@" >>"$dir/$name.log" 2>&1 &
  SIM_PID=$!
  soak_pids+=("$SIM_PID")
  wait_for 10 test -s "$ready" || fail "$name did not start; its log ($dir/$name.log):
$(tail -5 "$dir/$name.log")"
  SIM_PORT=$(jq -r '.ports[0]' "$ready")
}

# start_eppd DIR CONFIG ARGS...: eppd serve on free ports with its log in DIR/eppd.log; sets
# EPPD_PID, EXTPROC_PORT, METRICS_PORT and ADMIN_PORT.
start_eppd() {
  local dir=$1 config=$2
  shift 2
  local ready="$dir/eppd.ready.json"
  rm -f "$ready"
  nice "$EPPD" serve --config "$config" --extproc-port 0 --health-port 0 --metrics-port 0 \
    --admin-port 0 --ready-file "$ready" "$@" >"$dir/eppd.log" 2>&1 &
  EPPD_PID=$!
  soak_pids+=("$EPPD_PID")
  wait_for "${EPPD_START_SECONDS:-30}" test -s "$ready" || fail "eppd did not start; its log ($dir/eppd.log):
$(tail -5 "$dir/eppd.log")"
  EXTPROC_PORT=$(jq -r .extprocPort "$ready")
  METRICS_PORT=$(jq -r .metricsPort "$ready")
  ADMIN_PORT=$(jq -r .adminPort "$ready")
}

# GET on eppd's admin port.
admin() { curl -sf --max-time 5 "http://127.0.0.1:$ADMIN_PORT$1"; }

# The value of one eppd /metrics sample, "name{labels}" exactly as eppd prints it (0 when
# absent: counters with labels appear at their first increment).
metric() {
  curl -sf --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" |
    awk -v want="$1" '$1 == want { printf "%.10g\n", $2; found = 1 } END { if (!found) print 0 }'
}

# The sum of every sample of a metric family whose labels contain $2 (e.g. result="success").
metric_sum() {
  curl -sf --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" |
    awk -v name="$1" -v label="$2" '
      index($1, name "{") == 1 && index($1, label) > 0 { sum += $2 }
      END { printf "%.0f\n", sum }'
}

# True when eppd lists $1 endpoints, every one healthy with metrics.
endpoints_ready() {
  admin /endpoints | jq -e --argjson n "$1" \
    '[.endpoints[] | select(.health == "healthy" and .metrics != null)] | length == $n' >/dev/null
}

# POST a fault state to a simulator (tools/sim/fault_options.h).
sim_fault() {
  curl -sf --max-time 5 -X POST -d "$2" "http://127.0.0.1:$1/sim/fault" >/dev/null ||
    fail "POST /sim/fault $2 to port $1 failed"
}

# VmRSS of a process in kB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# Open file descriptors of a process.
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }
