#!/usr/bin/env bash
# Configures and builds hookd and okta-sim. Usage: scripts/build.sh [BUILD_DIR] [cmake -D options...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/release}
shift || true
cmake -S . -B "$dir" -DCIVETWEB_DIR="$PWD/build/_deps/civetweb" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
