#!/usr/bin/env bash
# An on-call runbook drill: replays the flagship incident live into a local
# Prometheus + Alertmanager (see examples/prometheus/) and reports, at the
# end, whether each alert fired and resolved when the scenario expects.
#   bash examples/drill.sh [PROMETHEUS_URL] [ALERTMANAGER_URL]
set -euo pipefail
cd "$(dirname "$0")/.."
prom=${1:-http://127.0.0.1:9090}
am=${2:-http://127.0.0.1:9093}
./build/sigsynth run scenarios/checkout-db-pool-exhaustion.yaml --mode live \
  --remote-write-url "$prom/api/v1/write" \
  --verify-prometheus "$prom" --verify-alertmanager "$am" \
  --verify-report out/drill --summary out/drill-summary.json
