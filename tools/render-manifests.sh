#!/usr/bin/env bash
# Renders the Helm chart deploy/helm/eppd with its default values into
# deploy/manifests/eppd.yaml (what `helm template eppd deploy/helm/eppd` prints), with
# eppd-chart-render, so no helm is needed. The deploy test fails when the two differ: run
# this after editing the chart.
#   EPP_BUILD_DIR  build directory holding bin/eppd-chart-render (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${EPP_BUILD_DIR:-build}
cmake --build "$build" --target eppd-chart-render >/dev/null
"$build/bin/eppd-chart-render" deploy/helm/eppd --release eppd --namespace default \
  >deploy/manifests/eppd.yaml
echo "render-manifests: wrote deploy/manifests/eppd.yaml"
