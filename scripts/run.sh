#!/usr/bin/env bash
# Installs, builds and runs hookd on its embedded defaults: SQLite journal in data/, a development
# certificate from certs/, and (when no Okta org is configured) a local okta-sim standing in for Okta.
# Usage: scripts/run.sh   (Ctrl-C stops everything)
# To use a real org instead: export OKTA_CLIENT_ORGURL=https://example.okta.com OKTA_CLIENT_TOKEN=...
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build/release
data=$PWD/data
mkdir -p "$data"
certs/gen-dev-cert.sh "$data/certs" >/dev/null
umask 077
[ -s "$data/okta-hook.secret" ] || openssl rand -hex 24 > "$data/okta-hook.secret"
[ -s "$data/okta-sim.token" ] || openssl rand -hex 20 > "$data/okta-sim.token"
umask 022

pids=()
stop() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait || true; }
trap stop EXIT INT TERM

if [ -z "${OKTA_CLIENT_ORGURL:-}${HOOKD_OKTA_ORG_URL:-}" ] && [ -x build/release/okta-sim ]; then
  build/release/okta-sim --listen 127.0.0.1:8444 --token "$(cat "$data/okta-sim.token")" \
    --cert "$data/certs/server.crt" --key "$data/certs/server.key" --hook-ca "$data/certs/ca.crt" \
    > "$data/okta-sim.url" 2> "$data/okta-sim.log" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$data/okta-sim.url" ] && break; sleep 0.1; done
  export HOOKD_OKTA_ORG_URL=$(head -1 "$data/okta-sim.url")
  export HOOKD_OKTA_API_TOKEN_FILE=$data/okta-sim.token
  export HOOKD_OKTA_CA_FILE=$data/certs/ca.crt
  echo "run: okta-sim (a local Okta org) at $HOOKD_OKTA_ORG_URL, log in data/okta-sim.log"
fi

echo "run: hookd at https://127.0.0.1:8443 (CA: data/certs/ca.crt)"
echo "run: Okta event hook https://127.0.0.1:8443/hooks/okta, header Authorization: \$(cat data/okta-hook.secret)"
build/release/hookd serve -c deploy/hookd.dev.ini &
pids+=($!)
wait -n "${pids[@]}" || true
