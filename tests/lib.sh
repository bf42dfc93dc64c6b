# lib.sh: the one shell library of the integration tests and drills: temp dir, ports, certificates,
# hookd's config, hookd and okta-sim processes, TLS curl, and the checks with their output.
#
# Writing a test (tests/integration/t_NAME.sh; tests/CMakeLists.txt registers every t_*.sh):
#   #!/usr/bin/env bash
#   # t_NAME.sh: what it checks, in one line.
#   set -uo pipefail
#   . "$(dirname "$0")/../lib.sh"      # exits 77 (skip) when there is no hookd binary
#   write_hookd_config "$(free_port)" <<INI   # sections added to the config (</dev/null for none)
#   [rule r]
#   on = okta:user.lifecycle.create
#   do = send_activation
#   INI
#   start_hookd || { fail "hookd starts"; t_done; exit 1; }
#   check "healthz answers" tls_curl -o /dev/null "$HOOKD_URL/healthz"
#   check_eq "events journaled" "$(count_them)" 3
#   t_done                             # last line: "NAME: P passed, F failed"; non-zero on a failure or no check
# Every check prints "  ok: DESC" or "  FAIL: DESC". Everything started here is stopped on exit and
# T_DIR is removed, or kept (and named) when a check failed or T_KEEP is set.
#
# Set on sourcing: T_SRC (repo root), T_NAME (script name), T_DIR (temp dir, certs in T_DIR/certs),
# HOOKD_BIN, SIM_BIN, HOOK_SECRET (the Okta hook's shared secret), T_PIDS (killed on exit).
# Knobs for write_hookd_config: T_THREADS ([server] threads, 8 unless set; empty: hookd's default),
# T_SERVER_EXTRA (more [server] lines), T_STORE (replaces the [store] lines: SQLite at DIR/hookd.db
# by default; a key may not be set twice, so a test that appends [store] backend = postgres keeps
# path and adds only new keys), T_LOG_LEVEL (info).
# Drills add tests/drills/lib.sh on top (loadgen, journal keys, /proc figures).
set -u
T_SRC=${HOOKD_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
if [ -z "${HOOKD_BIN:-}" ]; then
	for b in "${HOOKD_BUILD:-$T_SRC/build/release}/hookd" "$T_SRC/build/release/hookd" "$T_SRC/build-evidence/hookd" "$T_SRC/build/hookd"; do
		[ -x "$b" ] && HOOKD_BIN=$b && break
	done
fi
if [ -z "${HOOKD_BIN:-}" ] || [ ! -x "$HOOKD_BIN" ]; then
	echo "SKIP: no hookd binary (set HOOKD_BIN)"
	exit 77
fi
SIM_BIN=${SIM_BIN:-$(dirname "$HOOKD_BIN")/okta-sim}
T_NAME=${T_NAME:-$(basename "$0" .sh)}
T_DIR=$(mktemp -d "/tmp/hookd-$T_NAME.XXXXXX")
T_PIDS=()
T_PASS=0
T_FAIL=0
T_THREADS=${T_THREADS-8}
HOOKD_PID=
HOOKD_PORT=
HOOK_SECRET=hooksecret-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')

# Stops everything started here (TERM, KILL after 5 s), then removes T_DIR unless kept.
# t_ours PID: PID is still a child of this shell. A pid the kernel gave to someone else since (with
# hookd's thousands of threads, pids wrap in seconds, and kill(TID) reaches that thread's process)
# must never be signalled: that would kill another test's hookd.
t_ours() { [ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$$" ]; }

t_stop_all() {
	local p i ours=()
	for p in "${T_PIDS[@]}"; do t_ours "$p" && ours+=("$p"); done
	for p in "${ours[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for i in $(seq 50); do
		for p in "${ours[@]}"; do t_ours "$p" && break; p=; done
		[ -z "${p:-}" ] && break
		sleep 0.1
	done
	for p in "${ours[@]}"; do t_ours "$p" && kill -KILL "$p" 2>/dev/null; done
	for p in "${T_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	T_PIDS=()
}
t_cleanup() {
	t_stop_all
	if [ "$T_FAIL" = 0 ] && [ -z "${T_KEEP:-}" ]; then rm -rf "$T_DIR"; else echo "kept $T_DIR"; fi
}
trap t_cleanup EXIT

ok() { T_PASS=$((T_PASS + 1)); echo "  ok: $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "  FAIL: $*"; }
# check DESC CMD...: runs CMD; ok when it succeeds.
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
# check_eq DESC GOT WANT
check_eq() { if [ "$2" = "$3" ]; then ok "$1 ($2)"; else fail "$1: got '$2', want '$3'"; fi; }
# The closing line; 0 when no check failed and at least one passed.
# It stops what the test started first: a sanitizer reports leaks at exit, into the process's log,
# and a report anywhere in T_DIR's logs fails the test (an abort at exit is a failure too).
t_done() {
	t_stop_all
	local f
	for f in $(grep -rlE 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error: ' "$T_DIR" --include='*.log' 2>/dev/null); do
		fail "no sanitizer report in ${f#"$T_DIR"/}: $(grep -m1 -E 'ERROR: |runtime error: ' "$f" | cut -c1-200)"
	done
	echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" = 0 ] && [ "$T_PASS" -gt 0 ]
}

# A free TCP port on loopback.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# make_certs DIR [ec|rsa]: a dev CA and server certificate (certs/gen-dev-cert.sh).
make_certs() { "$T_SRC/certs/gen-dev-cert.sh" "$1" "${2:-ec}" >/dev/null; }
make_certs "$T_DIR/certs"

# curl over TLS to a local service, trusting the test CA. Usage: tls_curl URL [curl args...]
tls_curl() { curl -sS --cacert "$T_DIR/certs/ca.crt" --max-time 20 "$@"; }
# metric_at BASE_URL SERIES [curl args...]: a value in the /metrics of the hookd at BASE_URL, 0 when
# absent. A SERIES with labels is matched exactly as /metrics prints it
# ('hookd_events_echo_total{reason="api_token"}'); a bare name gives its first sample, labelled or not.
metric_at() {
	tls_curl "$1/metrics" "${@:3}" | awk -v m="$2" '!f && ($1 == m || (index(m, "{") == 0 && index($1, m "{") == 1)) {
		v = $2; f = 1 } END { print f ? v : 0 }'
}

# JSON field from stdin with a Python expression over `d`, e.g. jq_py 'd["status"]'.
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); v=$1; print(v if not isinstance(v,(dict,list)) else json.dumps(v))"; }
# The same over JSON Lines (`hookd events --json`, `hookd jobs --json`): d is the list of the lines' objects.
jsonl_py() { python3 -c "import json,sys; d=[json.loads(l) for l in sys.stdin if l.strip()]; v=$1; print(v if not isinstance(v,(dict,list)) else json.dumps(v))"; }

# Waits until URL answers (any HTTP status), up to 10 s.
wait_url() {
	for _ in $(seq 100); do
		curl -s -o /dev/null --cacert "$T_DIR/certs/ca.crt" --max-time 1 "$1" && return 0
		sleep 0.1
	done
	return 1
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

# write_hookd_config PORT [DIR]: writes DIR/hookd.ini (DIR defaults to T_DIR): TLS on 127.0.0.1:PORT
# with DIR/certs (made when missing), SQLite journal DIR/hookd.db, the hook secret in DIR/hook.secret;
# INI text from stdin is appended (a repeated section adds to the first). Sets HOOKD_PORT, HOOKD_CONFIG.
write_hookd_config() {
	local port=$1 dir=${2:-$T_DIR}
	[ -s "$dir/certs/server.crt" ] || make_certs "$dir/certs"
	printf '%s' "$HOOK_SECRET" >"$dir/hook.secret"
	chmod 600 "$dir/hook.secret"
	cat >"$dir/hookd.ini" <<INI
[server]
listen = 127.0.0.1:$port
tls_cert = $dir/certs/server.crt
tls_key = $dir/certs/server.key
${T_THREADS:+threads = $T_THREADS}
${T_SERVER_EXTRA:-}
[store]
${T_STORE:-path = $dir/hookd.db}
[okta_hook]
auth_value_file = $dir/hook.secret
[log]
level = ${T_LOG_LEVEL:-info}
INI
	cat >>"$dir/hookd.ini"
	HOOKD_PORT=$port
	HOOKD_CONFIG=$dir/hookd.ini
}

# start_hookd [CONFIG [LOG]]: hookd serve (CONFIG defaults to HOOKD_CONFIG, LOG to hookd.log beside
# it); waits up to 15 s for /healthz and fails early, with the log's tail, when hookd exits.
# Sets HOOKD_PID, HOOKD_PORT (from the config's listen line) and HOOKD_URL.
start_hookd() {
	local cfg=${1:-${HOOKD_CONFIG:-$T_DIR/hookd.ini}} port
	local log=${2:-$(dirname "$cfg")/hookd.log}
	port=$(sed -n 's/^listen = 127.0.0.1:\([0-9]*\).*/\1/p' "$cfg" | head -1)
	[ -n "$port" ] && HOOKD_PORT=$port
	HOOKD_URL=https://127.0.0.1:$HOOKD_PORT
	"$HOOKD_BIN" serve -c "$cfg" 2>>"$log" &
	HOOKD_PID=$!
	T_PIDS+=("$HOOKD_PID")
	for _ in $(seq 150); do
		curl -sk -o /dev/null --max-time 1 "$HOOKD_URL/healthz" 2>/dev/null && return 0
		kill -0 "$HOOKD_PID" 2>/dev/null || { echo "hookd exited at start; log:"; tail -20 "$log"; return 1; }
		sleep 0.1
	done
	echo "hookd did not answer /healthz within 15 s"
	return 1
}

# stop_hookd [SIGNAL]: signals the last hookd started (TERM by default), waits, returns its status.
stop_hookd() {
	local rc=0
	[ -n "$HOOKD_PID" ] || return 0
	kill -"${1:-TERM}" "$HOOKD_PID" 2>/dev/null || true
	wait "$HOOKD_PID" 2>/dev/null || rc=$?
	HOOKD_PID=
	return $rc
}

# Starts okta-sim over TLS; sets SIM_URL, SIM_TOKEN, SIM_PID. Extra args are passed on.
start_sim() {
	SIM_PORT=$(free_port)
	SIM_TOKEN=simtoken$RANDOM$RANDOM
	"$SIM_BIN" --listen "127.0.0.1:$SIM_PORT" --token "$SIM_TOKEN" --cert "$T_DIR/certs/server.crt" \
		--key "$T_DIR/certs/server.key" --hook-ca "$T_DIR/certs/ca.crt" "$@" \
		>"$T_DIR/sim.url" 2>"$T_DIR/sim.log" &
	T_PIDS+=($!)
	SIM_PID=$!
	for _ in $(seq 100); do [ -s "$T_DIR/sim.url" ] && break; sleep 0.1; done
	SIM_URL=$(head -1 "$T_DIR/sim.url")
	[ -n "$SIM_URL" ] && wait_url "$SIM_URL/sim/config"
}

# An OAuth service app for hookd (private_key_jwt, ES256): $T_DIR/app.key and app.pub; sets APP_ID.
# With it hookd's own calls carry the app's identity, while the test plays the admin with SSWS.
make_oauth_app() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T_DIR/app.key" 2>/dev/null
	openssl pkey -in "$T_DIR/app.key" -pubout -out "$T_DIR/app.pub" 2>/dev/null
	APP_ID=${1:-0oahookdtest$RANDOM}
}

# The [okta] section for hookd as that OAuth app against the running okta-sim.
okta_app_ini() {
	cat <<INI
[okta]
org_url = $SIM_URL
auth_mode = private_key
client_id = $APP_ID
private_key_file = $T_DIR/app.key
ca_file = $T_DIR/certs/ca.crt
INI
}

# start_activation_stack PORT [--mail] [--no-hook] <<INI: what the t_activation_* tests share.
# okta-sim (rate limit off) with an OAuth service app for hookd (make_oauth_app); with --mail, an
# SMTP sink that appends each message to $T_DIR/mail.txt ("RCPT <to>", the message, ".") and a
# [mail] section for it. Writes hookd's config on PORT (write_hookd_config: okta_app_ini, [mail],
# then stdin), starts hookd and, unless --no-hook, registers its event hook and checks it VERIFIED.
# Ends the test when okta-sim or hookd does not start.
start_activation_stack() {
	local port=$1 mail=0 hook=1 smtp_port= a
	shift
	for a in "$@"; do
		case $a in
		--mail) mail=1 ;;
		--no-hook) hook=0 ;;
		*) echo "start_activation_stack: unknown option $a" >&2; return 2 ;;
		esac
	done
	if [ "$mail" = 1 ]; then
		smtp_port=$(free_port)
		cat >"$T_DIR/smtp.py" <<'PY'
import smtpd, asyncore, sys, warnings
warnings.simplefilter("ignore")
class Keep(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        with open(sys.argv[2], "a") as f:
            f.write("RCPT %s\n%s\n.\n" % (",".join(rcpttos), data.decode() if isinstance(data, bytes) else data))
Keep(("127.0.0.1", int(sys.argv[1])), None, decode_data=False)
asyncore.loop()
PY
		python3 "$T_DIR/smtp.py" "$smtp_port" "$T_DIR/mail.txt" 2>"$T_DIR/smtp.log" &
		T_PIDS+=($!)
	fi
	make_oauth_app
	start_sim --rate-limit off --oauth-client-id "$APP_ID" --oauth-public-key "$T_DIR/app.pub" ||
		{ fail "okta-sim starts"; t_done; exit 1; }
	local rest mail_ini=
	rest=$(cat)
	[ "$mail" = 1 ] && mail_ini="[mail]
smtp_url = smtp://127.0.0.1:$smtp_port
from = hookd@example.com
starttls = false"
	write_hookd_config "$port" <<INI
$(okta_app_ini)
${mail_ini}
$rest
INI
	start_hookd || { fail "hookd starts"; t_done; exit 1; }
	[ "$hook" = 1 ] || return 0
	"$HOOKD_BIN" okta register-hook -c "$HOOKD_CONFIG" --url "$HOOKD_URL/hooks/okta" >/dev/null 2>&1
	check_eq "event hook verified" $? 0
}

# okta-sim's outbox, the emails Okta would have sent. sim_mails FIELD=VALUE...: how many match every
# pair given (fields: user_id, login, to, kind); the values are passed as arguments, not as code.
sim_mails() {
	tls_curl "$SIM_URL/sim/outbox" | python3 -c '
import json, sys
want = [a.split("=", 1) for a in sys.argv[1:]]
print(sum(1 for m in json.load(sys.stdin) if all(str(m.get(k)) == v for k, v in want)))' "$@"
}
# sim_one_activation_each USER_ID...: true when each user has exactly one activation email.
sim_one_activation_each() {
	local u
	for u in "$@"; do [ "$(sim_mails user_id="$u" kind=activation)" = 1 ] || return 1; done
}
# sim_last_token USER_ID: the activation token of the user's newest email (for POST /sim/activate/TOKEN).
sim_last_token() {
	tls_curl "$SIM_URL/sim/outbox" | python3 -c '
import json, sys
print([m["token"] for m in json.load(sys.stdin) if m["user_id"] == sys.argv[1]][-1])' "$1"
}

# okta-sim API call with the SSWS token: sim_api METHOD PATH [JSON]
sim_api() {
	if [ $# -ge 3 ]; then
		tls_curl "$SIM_URL$2" -X "$1" -H "Authorization: SSWS $SIM_TOKEN" -H 'Content-Type: application/json' -d "$3"
	else
		tls_curl "$SIM_URL$2" -X "$1" -H "Authorization: SSWS $SIM_TOKEN"
	fi
}
