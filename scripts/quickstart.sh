#!/usr/bin/env bash
# Installs the dependencies, builds sigsynth, and runs the flagship scenario
# with no external services.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
scenario=scenarios/checkout-db-pool-exhaustion.yaml
./build/sigsynth lint "$scenario"
./build/sigsynth explain "$scenario"
