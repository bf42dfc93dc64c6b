# lib.sh: shared helpers for the integration tests: temp dirs, ports, processes, TLS curl, assertions.
# Source it; call it_init first. Every assertion prints what it checks; it_done prints the closing line.
set -u

it_init() {
	IT_NAME=$1
	IT_PASS=0
	IT_FAIL=0
	IT_PIDS=()
	IT_DIR=$(mktemp -d "/tmp/hookd-it-$IT_NAME.XXXXXX")
	HOOKD_BIN=${HOOKD_BIN:-$HOOKD_BUILD/hookd}
	SIM_BIN=${SIM_BIN:-$(dirname "$HOOKD_BIN")/okta-sim}
	trap it_cleanup EXIT
	"$HOOKD_SRC/certs/gen-dev-cert.sh" "$IT_DIR/certs" >/dev/null
}

it_cleanup() {
	for p in "${IT_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${IT_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [ "${IT_FAIL:-1}" = 0 ] && [ -z "${IT_KEEP:-}" ]; then rm -rf "$IT_DIR"; else echo "kept $IT_DIR"; fi
}

# A free TCP port on loopback.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

ok() { IT_PASS=$((IT_PASS + 1)); echo "  ok: $*"; }
fail() { IT_FAIL=$((IT_FAIL + 1)); echo "  FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
check_eq() { if [ "$2" = "$3" ]; then ok "$1 ($2)"; else fail "$1: got '$2', want '$3'"; fi; }

it_done() {
	echo "$IT_NAME: $IT_PASS passed, $IT_FAIL failed"
	[ "$IT_FAIL" = 0 ] && [ "$IT_PASS" -gt 0 ]
}

# curl over TLS to a local service, trusting the test CA. Usage: tls_curl URL [curl args...]
tls_curl() { curl -sS --cacert "$IT_DIR/certs/ca.crt" --max-time 20 "$@"; }

# JSON field from stdin with a Python expression over `d`, e.g. jq_py 'd["status"]'.
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); v=$1; print(v if not isinstance(v,(dict,list)) else json.dumps(v))"; }

# Waits until URL answers (any HTTP status), up to 10 s.
wait_url() {
	for _ in $(seq 100); do
		curl -s -o /dev/null --cacert "$IT_DIR/certs/ca.crt" --max-time 1 "$1" && return 0
		sleep 0.1
	done
	return 1
}

# Starts okta-sim over TLS; sets SIM_URL, SIM_TOKEN. Extra args are passed on.
start_sim() {
	SIM_PORT=$(free_port)
	SIM_TOKEN=simtoken$RANDOM$RANDOM
	"$SIM_BIN" --listen "127.0.0.1:$SIM_PORT" --token "$SIM_TOKEN" --cert "$IT_DIR/certs/server.crt" \
		--key "$IT_DIR/certs/server.key" --hook-ca "$IT_DIR/certs/ca.crt" "$@" \
		>"$IT_DIR/sim.url" 2>"$IT_DIR/sim.log" &
	IT_PIDS+=($!)
	SIM_PID=$!
	for _ in $(seq 100); do [ -s "$IT_DIR/sim.url" ] && break; sleep 0.1; done
	SIM_URL=$(head -1 "$IT_DIR/sim.url")
	[ -n "$SIM_URL" ] && wait_url "$SIM_URL/sim/config"
}

# An OAuth service app for hookd (private_key_jwt, ES256): $IT_DIR/app.key and app.pub; sets APP_ID.
# With it hookd's own calls carry the app's identity, while the test plays the admin with SSWS.
make_oauth_app() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$IT_DIR/app.key" 2>/dev/null
	openssl pkey -in "$IT_DIR/app.key" -pubout -out "$IT_DIR/app.pub" 2>/dev/null
	APP_ID=${1:-0oahookdtest$RANDOM}
}

# The [okta] section for hookd as that OAuth app against the running okta-sim.
okta_app_ini() {
	cat <<INI
[okta]
org_url = $SIM_URL
auth_mode = private_key
client_id = $APP_ID
private_key_file = $IT_DIR/app.key
ca_file = $IT_DIR/certs/ca.crt
INI
}

# okta-sim API call with the SSWS token: sim_api METHOD PATH [JSON]
sim_api() {
	if [ $# -ge 3 ]; then
		tls_curl "$SIM_URL$2" -X "$1" -H "Authorization: SSWS $SIM_TOKEN" -H 'Content-Type: application/json' -d "$3"
	else
		tls_curl "$SIM_URL$2" -X "$1" -H "Authorization: SSWS $SIM_TOKEN"
	fi
}

# Writes a hookd config to $IT_DIR/hookd.ini: port $1, extra sections from stdin appended,
# extra [server] lines from $IT_SERVER_EXTRA.
write_hookd_config() {
	HOOKD_PORT=$1
	HOOK_SECRET=hooksecret$RANDOM$RANDOM
	printf '%s' "$HOOK_SECRET" >"$IT_DIR/hook.secret"
	cat >"$IT_DIR/hookd.ini" <<INI
[server]
listen = 127.0.0.1:$HOOKD_PORT
tls_cert = $IT_DIR/certs/server.crt
tls_key = $IT_DIR/certs/server.key
threads = 8
${IT_SERVER_EXTRA:-}
[store]
path = $IT_DIR/hookd.db
[okta_hook]
auth_value_file = $IT_DIR/hook.secret
INI
	cat >>"$IT_DIR/hookd.ini"
}

# Starts hookd serve with $IT_DIR/hookd.ini; sets HOOKD_URL, HOOKD_PID.
start_hookd() {
	"$HOOKD_BIN" serve -c "$IT_DIR/hookd.ini" 2>>"$IT_DIR/hookd.log" &
	HOOKD_PID=$!
	IT_PIDS+=($HOOKD_PID)
	HOOKD_URL=https://127.0.0.1:$HOOKD_PORT
	wait_url "$HOOKD_URL/healthz"
}

stop_hookd() {
	kill -TERM "$HOOKD_PID" 2>/dev/null
	wait "$HOOKD_PID" 2>/dev/null
}

# Polls a shell condition (string) up to $2 seconds (default 10).
eventually() {
	local cond=$1 secs=${2:-10}
	for _ in $(seq $((secs * 10))); do
		eval "$cond" && return 0
		sleep 0.1
	done
	return 1
}
