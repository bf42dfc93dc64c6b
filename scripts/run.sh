#!/usr/bin/env bash
# Installs, builds and runs hookd on its embedded defaults: SQLite journal in data/, a development
# certificate from certs/, and (when no Okta org is configured) a local okta-sim standing in for Okta.
# Usage: scripts/run.sh   (Ctrl-C stops everything)
# To use a real org instead: export OKTA_CLIENT_ORGURL=https://example.okta.com OKTA_CLIENT_TOKEN=...
# It writes data/hookd.local.ini (deploy/hookd.dev.ini with absolute paths and okta-sim's [okta]), so
# that every hookd command works from any shell: hookd okta hooks -c data/hookd.local.ini.
set -euo pipefail
cd "$(dirname "$0")/.."
# RUN_PORT, RUN_SIM_PORT and RUN_ADMIN_PORT move hookd (8443), okta-sim (8444) and the admin console (9443).
port_hookd=${RUN_PORT:-8443} port_sim=${RUN_SIM_PORT:-8444} port_admin=${RUN_ADMIN_PORT:-9443}
# Before anything is built or written: a second run must not touch the first one's files.
use_sim=
[ -z "${OKTA_CLIENT_ORGURL:-}${HOOKD_OKTA_ORG_URL:-}" ] && use_sim=1
for port in $port_hookd $port_admin ${use_sim:+$port_sim}; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "run: 127.0.0.1:$port is already in use (scripts/run.sh running in another shell? Ctrl-C it there); nothing was changed" >&2
    exit 1
  fi
done
scripts/setup.sh
BUILD_TARGETS="hookd okta-sim" scripts/build.sh build/release
data=$PWD/data
mkdir -p "$data"
certs/gen-dev-cert.sh "$data/certs" >/dev/null
umask 077
[ -s "$data/okta-hook.secret" ] || openssl rand -hex 24 > "$data/okta-hook.secret"
[ -s "$data/okta-sim.token" ] || openssl rand -hex 20 > "$data/okta-sim.token"
[ -s "$data/admin.token" ] || openssl rand -hex 24 > "$data/admin.token"
# hookd talks to okta-sim as an OAuth service app (private_key_jwt), as Okta recommends; people and
# scripts play the Okta admin with the SSWS token, so hookd can tell its own events from theirs.
[ -s "$data/okta-app.key" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$data/okta-app.key" 2>/dev/null
openssl pkey -in "$data/okta-app.key" -pubout -out "$data/okta-app.pub" 2>/dev/null
umask 022

pids=()
stop() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait || true; }
trap stop EXIT INT TERM

cfg=$data/hookd.local.ini
sed -e "s#= data/#= $data/#" -e "s#^listen = .*#listen = 127.0.0.1:$port_hookd#" deploy/hookd.dev.ini > "$cfg.tmp"
if [ -n "$use_sim" ] && [ -x build/release/okta-sim ]; then
  build/release/okta-sim --listen "127.0.0.1:$port_sim" --token-file "$data/okta-sim.token" \
    --cert "$data/certs/server.crt" --key "$data/certs/server.key" --hook-ca "$data/certs/ca.crt" \
    --oauth-client-id 0oahookddev --oauth-public-key "$data/okta-app.pub" \
    > "$data/okta-sim.url" 2> "$data/okta-sim.log" &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$data/okta-sim.url" ] && break; sleep 0.1; done
  org=$(head -1 "$data/okta-sim.url")
  [ -n "$org" ] || { echo "run: okta-sim did not start; see data/okta-sim.log" >&2; tail -3 "$data/okta-sim.log" >&2; exit 1; }
  cat >> "$cfg.tmp" <<INI

; written by scripts/run.sh: okta-sim stands in for Okta (hookd is its OAuth service app)
[okta]
org_url = $org
auth_mode = private_key
client_id = 0oahookddev
private_key_file = $data/okta-app.key
ca_file = $data/certs/ca.crt
INI
  sim=1
  echo "run: okta-sim (a local Okta org, kept in memory: gone when it stops) at $org"
  echo "run: okta-sim's admin API token in data/okta-sim.token, its log in data/okta-sim.log"
fi
cat >> "$cfg.tmp" <<INI

; written by scripts/run.sh: the admin API and console on loopback, signed in with data/admin.token
[admin]
listen = 127.0.0.1:$port_admin
token_file = $data/admin.token
INI
mv "$cfg.tmp" "$cfg"

echo "run: hookd at https://127.0.0.1:$port_hookd (CA: data/certs/ca.crt), config data/hookd.local.ini"
echo "run: admin console at https://127.0.0.1:$port_admin/ (sign in with the token in data/admin.token)"
echo "run: Okta event hook https://127.0.0.1:$port_hookd/hooks/okta, header Authorization: \$(cat data/okta-hook.secret)"
build/release/hookd serve -c "$cfg" &
pids+=($!)
if [ -n "${sim:-}" ]; then
  # Register hookd as okta-sim's event hook; okta-sim verifies it with the GET challenge.
  for _ in $(seq 50); do curl -s -o /dev/null --cacert "$data/certs/ca.crt" https://127.0.0.1:$port_hookd/healthz && break; sleep 0.1; done
  build/release/hookd okta register-hook -c "$cfg" --url https://127.0.0.1:$port_hookd/hooks/okta || true
  cat <<HELP
run: try it: create a STAGED user in okta-sim as the admin; hookd sends the activation email:
  curl --cacert data/certs/ca.crt -H "Authorization: SSWS \$(cat data/okta-sim.token)" -H 'Content-Type: application/json' \\
    -d '{"profile":{"login":"ann@example.com","email":"ann@example.com","firstName":"Ann","lastName":"Lee"}}' \\
    '$org/api/v1/users?activate=false'
  curl --cacert data/certs/ca.crt $org/sim/outbox
  build/release/hookd jobs -c data/hookd.local.ini
run: start over: Ctrl-C, then rm -rf data/hookd.db* (the journal); okta-sim starts empty every time
HELP
fi
wait -n "${pids[@]}" || true
