#!/usr/bin/env bash
# CI's host part: debootstrap (to make the fresh root) and everything the
# build and tests need (scripts/install-deps.sh), on the CI machine itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v debootstrap >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends debootstrap
fi
bash scripts/install-deps.sh
