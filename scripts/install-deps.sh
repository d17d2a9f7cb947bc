#!/usr/bin/env bash
# Installs everything sigsynth needs to build and test, from Debian 12 packages.
# Idempotent; run as root (or with sudo) on a fresh machine.
set -euo pipefail

# Everything the build and every test needs on a minimal Debian 12
# (debootstrap --variant=minbase); CI proves it on such a root (.ci/run).
packages=(
  build-essential cmake pkg-config git
  libgrpc-dev libcurl4-openssl-dev zlib1g-dev libsnappy-dev libyaml-dev   # run-time libraries
  libcmocka-dev valgrind                                                 # unit tests
  protobuf-compiler prometheus prometheus-alertmanager                   # real peers in tests
  libprotobuf-dev              # google/protobuf/*.proto that protoc imports (wire goldens, receiver)
  python3 python3-grpcio python3-protobuf curl                           # independent OTLP receiver
  openssl                      # tests make their own CA and server certificates
  clang libclang-rt-14-dev     # libFuzzer targets (-DSX_FUZZ=ON): clang and its fuzzer runtime
  time procps                  # peak-RSS bounds (/usr/bin/time -v), process checks (ps) in tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The Debian services would start listening on the default ports; tests start
# their own instances on loopback ports instead.
for svc in prometheus prometheus-alertmanager prometheus-node-exporter; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $SUDO systemctl stop "$svc" || true
  fi
done
echo "install-deps: installed ${missing[*]}"
