#!/usr/bin/env bash
# Installs, builds and runs hookd on its embedded defaults: SQLite journal in data/, a development
# certificate from certs/, and (when no Okta org is configured) a local okta-sim standing in for Okta.
# Usage: scripts/run.sh   (Ctrl-C stops everything)
# To use a real org instead: export OKTA_CLIENT_ORGURL=https://example.okta.com OKTA_CLIENT_TOKEN=...
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_TARGETS="hookd okta-sim" scripts/build.sh build/release
data=$PWD/data
mkdir -p "$data"
certs/gen-dev-cert.sh "$data/certs" >/dev/null
umask 077
[ -s "$data/okta-hook.secret" ] || openssl rand -hex 24 > "$data/okta-hook.secret"
[ -s "$data/okta-sim.token" ] || openssl rand -hex 20 > "$data/okta-sim.token"
# hookd talks to okta-sim as an OAuth service app (private_key_jwt), as Okta recommends; people and
# scripts play the Okta admin with the SSWS token, so hookd can tell its own events from theirs.
[ -s "$data/okta-app.key" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$data/okta-app.key" 2>/dev/null
openssl pkey -in "$data/okta-app.key" -pubout -out "$data/okta-app.pub" 2>/dev/null
umask 022

pids=()
stop() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait || true; }
trap stop EXIT INT TERM

if [ -z "${OKTA_CLIENT_ORGURL:-}${HOOKD_OKTA_ORG_URL:-}" ] && [ -x build/release/okta-sim ]; then
  build/release/okta-sim --listen 127.0.0.1:8444 --token-file "$data/okta-sim.token" \
    --cert "$data/certs/server.crt" --key "$data/certs/server.key" --hook-ca "$data/certs/ca.crt" \
    --oauth-client-id 0oahookddev --oauth-public-key "$data/okta-app.pub" \
    > "$data/okta-sim.url" 2> "$data/okta-sim.log" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$data/okta-sim.url" ] && break; sleep 0.1; done
  export HOOKD_OKTA_ORG_URL=$(head -1 "$data/okta-sim.url")
  export HOOKD_OKTA_AUTH_MODE=private_key HOOKD_OKTA_CLIENT_ID=0oahookddev
  export HOOKD_OKTA_PRIVATE_KEY_FILE=$data/okta-app.key HOOKD_OKTA_CA_FILE=$data/certs/ca.crt
  sim=1
  echo "run: okta-sim (a local Okta org) at $HOOKD_OKTA_ORG_URL; admin API token in data/okta-sim.token"
fi

echo "run: hookd at https://127.0.0.1:8443 (CA: data/certs/ca.crt)"
echo "run: Okta event hook https://127.0.0.1:8443/hooks/okta, header Authorization: \$(cat data/okta-hook.secret)"
build/release/hookd serve -c deploy/hookd.dev.ini &
pids+=($!)
if [ -n "${sim:-}" ]; then
  # Register hookd as okta-sim's event hook; okta-sim verifies it with the GET challenge.
  for _ in $(seq 50); do curl -s -o /dev/null --cacert "$data/certs/ca.crt" https://127.0.0.1:8443/healthz && break; sleep 0.1; done
  build/release/hookd okta register-hook -c deploy/hookd.dev.ini --url https://127.0.0.1:8443/hooks/okta || true
  cat <<HELP
run: try it: create a STAGED user in okta-sim as the admin; hookd sends the activation email:
  curl --cacert data/certs/ca.crt -H "Authorization: SSWS \$(cat data/okta-sim.token)" -H 'Content-Type: application/json' \\
    -d '{"profile":{"login":"ann@example.com","email":"ann@example.com","firstName":"Ann","lastName":"Lee"}}' \\
    '$HOOKD_OKTA_ORG_URL/api/v1/users?activate=false'
  curl --cacert data/certs/ca.crt $HOOKD_OKTA_ORG_URL/sim/outbox
  build/release/hookd jobs -c deploy/hookd.dev.ini
HELP
fi
wait -n "${pids[@]}" || true
