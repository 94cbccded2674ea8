#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and shows eppd at work.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
echo
echo "== eppd plugins list (the built-in plugins and the SDK's loader at work)"
build/bin/eppd plugins list
echo
echo "The simulated fleet + workload demo (eppd against round-robin) is not yet in this"
echo "build: it arrives with the simulator issue. The test suite runs with tools/test.sh."
