#!/usr/bin/env bash
# Installs what hookd needs from Debian 12 and fetches civetweb's patched source (outside git).
# Usage: scripts/setup.sh [--test]   (--test adds PostgreSQL, clang, nginx, wrk, testssl.sh ...)
set -euo pipefail
cd "$(dirname "$0")/.."
build_pkgs=(cmake make gcc pkg-config libssl-dev libcurl4-openssl-dev libjsmn-dev libsqlite3-dev libpq-dev
  libinih-dev openssl curl ca-certificates xz-utils patch tzdata sqlite3 dpkg-dev procps)
test_pkgs=(postgresql clang clang-format-14 libclang-rt-14-dev python3 nginx wrk nghttp2-client testssl.sh iproute2 psmisc adduser nodejs)
pkgs=("${build_pkgs[@]}")
[ "${1:-}" = "--test" ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts a PostgreSQL cluster on install; the tests run their own clusters instead.
if [ "${1:-}" = "--test" ] && command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q online; then
  pg_ctlcluster 15 main stop 2>/dev/null || true
fi
scripts/fetch-civetweb.sh "$PWD/build/_deps"
# Okta's official Node SDK and a JSON-schema validator for t_okta_sdk_node.sh (versions pinned by the lock file)
if [ "${1:-}" = "--test" ]; then
  # Debian's nodejs comes without npm (a NodeSource nodejs has it built in)
  command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
  (cd tests/sdk-node && npm ci --no-audit --no-fund --loglevel=error)
fi
