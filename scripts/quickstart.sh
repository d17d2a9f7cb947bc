#!/usr/bin/env bash
# Installs the dependencies, builds sigsynth, and runs the flagship scenario
# with no external services: OTLP JSON files plus a run summary.
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
echo
echo "Spans, logs and metrics (OTLP JSON) are in out/flagship/; the run summary is"
echo "out/flagship/summary.json. Try: head -c 600 out/flagship/logs.jsonl"
