#!/usr/bin/env bash
# Installs every build and test dependency of eppd from Debian 12 packages. Idempotent:
# does nothing when all are present. Uses sudo when not root.
set -euo pipefail
packages=(
  g++ cmake ninja-build ccache pkg-config git curl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libboost-dev libboost-filesystem-dev libboost-system-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev prometheus-cpp-dev
  libsimdjson-dev libxxhash-dev libssl-dev nlohmann-json3-dev libcli11-dev
  cppzmq-dev libzmq3-dev libmsgpack-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  gnuplot-nox  # eppd-bench renders its TTFT plot with it (about 1 MB)
  jq           # tests/soak/ reads eppd's admin views and eppd-bench's reports with it
  clang libclang-rt-14-dev  # tools/fuzz.sh: clang 14 and its libFuzzer and sanitizer runtimes
)
# The SDK's Rust example plugin (sdk/examples/rust) builds when cargo is there: Debian's
# cargo (and rustc 1.63) unless a cargo is already on the PATH (rustup's, say), never replaced.
command -v cargo >/dev/null 2>&1 || packages+=(cargo)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
