#!/usr/bin/env bash
# Configures and builds hookd, okta-sim and the tests. Usage: scripts/build.sh [BUILD_DIR] [cmake -D options...]
# BUILD_TARGETS="hookd okta-sim" builds only those.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/release}
shift || true
scripts/fetch-civetweb.sh "$PWD/build/_deps"
cmake -S . -B "$dir" -DCIVETWEB_DIR="$PWD/build/_deps/civetweb" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
targets=()
for t in ${BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$dir" -j"$(nproc)" "${targets[@]}"
