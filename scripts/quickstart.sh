#!/usr/bin/env bash
# Installs the dependencies, builds sigsynth, and runs the flagship scenario
# with no external services: OTLP JSON files, a run summary, and an offline
# alert check of the example rules (promtool evaluates them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
scenario=scenarios/checkout-db-pool-exhaustion.yaml
./build/sigsynth lint "$scenario"
./build/sigsynth explain --samples 20000 "$scenario" | sed -n '1,/^call graph/p'
./build/sigsynth run "$scenario" --start 2026-01-01T00:00:00Z \
  --output out/flagship --summary out/flagship/summary.json
./build/sigsynth check "$scenario" --rules examples/rules/checkout-db-pool-exhaustion.rules.yml \
  --report out/flagship/report
echo
echo "Spans, logs and metrics (OTLP JSON) are in out/flagship/, the run summary in"
echo "out/flagship/summary.json, the alert report in out/flagship/report/ (report.md,"
echo "timeline.svg). Try: head -c 600 out/flagship/logs.jsonl"
