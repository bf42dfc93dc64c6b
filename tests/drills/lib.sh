# lib.sh: shared helpers for the drills, the receiver's integration tests and the benchmarks (source it).
#
# Sets HK_SRC (repo root), HK_BIN (hookd), HK_TMP (a temp dir removed on exit, with everything started
# here stopped first). Functions:
#   hk_port                       a free TCP port on 127.0.0.1
#   hk_certs DIR [ec|rsa]         a dev CA and server certificate (certs/gen-dev-cert.sh)
#   hk_config FILE PORT DIR [INI] a hookd config: TLS on PORT, SQLite journal in DIR, secret in DIR/secret
#                                 (HK_STORE replaces the [store] lines; HK_THREADS sets [server] threads, else hookd's default)
#   hk_start CONFIG LOG           starts hookd serve; HK_PID; waits until /healthz answers (or fails)
#   hk_stop [SIGNAL]              stops hookd (TERM by default) and waits for it
#   hk_loadgen                    builds tests/drills/loadgen.c once; prints its path
#   hk_curl ARGS...               curl -sk against https://127.0.0.1:$HK_PORT
#   hk_journal_keys CONFIG OUT    writes every journaled okta dedupe_key (one per line, sorted) to OUT
#   check DESC CMD...             runs CMD, prints "ok"/"FAIL" with DESC, counts failures
#   hk_summary                    prints the tally; exits 1 when a check failed
set -u
HK_SRC=${HOOKD_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if [ -z "${HOOKD_BIN:-}" ]; then
	for b in "$HK_SRC/build/release/hookd" "$HK_SRC/build-evidence/hookd" "$HK_SRC/build/hookd"; do
		[ -x "$b" ] && HOOKD_BIN=$b && break
	done
fi
HK_BIN=${HOOKD_BIN:-}
HK_TMP=$(mktemp -d /tmp/hookd-drill.XXXXXX)
HK_PIDS=()
HK_PID=
HK_PORT=
HK_FAILS=0
HK_CHECKS=0
HK_SECRET=drill-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
HK_SAMPLE=$HK_SRC/tests/drills/delivery-user.json

hk_cleanup() {
	local p
	for p in "${HK_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "${HK_KEEP:-}" ]; then echo "kept $HK_TMP"; else rm -rf "$HK_TMP"; fi
}
trap hk_cleanup EXIT

hk_need_bin() {
	if [ -z "$HK_BIN" ] || [ ! -x "$HK_BIN" ]; then
		echo "SKIP: no hookd binary (set HOOKD_BIN)"
		exit 77
	fi
}

hk_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

hk_certs() {
	"$HK_SRC/certs/gen-dev-cert.sh" "$1" "${2:-ec}" >/dev/null
}

# hk_config FILE PORT DIR [extra INI text appended]
hk_config() {
	local f=$1 port=$2 dir=$3 extra=${4:-}
	[ -s "$dir/certs/server.crt" ] || hk_certs "$dir/certs"
	printf '%s' "$HK_SECRET" >"$dir/secret"
	chmod 600 "$dir/secret"
	cat >"$f" <<EOF
[server]
listen = 127.0.0.1:$port
tls_cert = $dir/certs/server.crt
tls_key = $dir/certs/server.key
${HK_THREADS:+threads = $HK_THREADS}

[store]
${HK_STORE:-backend = sqlite
path = $dir/hookd.db}

[okta_hook]
auth_value_file = $dir/secret

[log]
level = ${HK_LOG_LEVEL:-info}
$extra
EOF
	HK_PORT=$port
}

# hk_start CONFIG LOG: starts hookd, waits up to 15 s for /healthz.
hk_start() {
	local cfg=$1 log=$2 port
	port=$(sed -n 's/^listen = 127.0.0.1:\([0-9]*\).*/\1/p' "$cfg" | head -1)
	[ -n "$port" ] && HK_PORT=$port
	"$HK_BIN" serve -c "$cfg" 2>>"$log" &
	HK_PID=$!
	HK_PIDS+=("$HK_PID")
	local i
	for i in $(seq 150); do
		if curl -sk -o /dev/null --max-time 1 "https://127.0.0.1:$HK_PORT/healthz" 2>/dev/null; then
			return 0
		fi
		kill -0 "$HK_PID" 2>/dev/null || { echo "hookd exited at start; log:"; tail -20 "$log"; return 1; }
		sleep 0.1
	done
	echo "hookd did not answer /healthz within 15 s"
	return 1
}

hk_stop() {
	local sig=${1:-TERM}
	[ -n "$HK_PID" ] || return 0
	kill -"$sig" "$HK_PID" 2>/dev/null || true
	local rc=0
	wait "$HK_PID" 2>/dev/null || rc=$?
	HK_PID=
	return $rc
}

hk_loadgen() {
	local out=${HK_LOADGEN_DIR:-$HK_TMP}/loadgen
	if [ ! -x "$out" ] || [ "$HK_SRC/tests/drills/loadgen.c" -nt "$out" ]; then
		cc -O2 -o "$out" "$HK_SRC/tests/drills/loadgen.c" -lssl -lcrypto || return 1
	fi
	echo "$out"
}

hk_curl() {
	curl -sk --max-time 10 "$@"
}

# Pages through `hookd events --json` (the stable interface, JSON Lines) and writes the sorted dedupe keys.
hk_journal_keys() {
	local cfg=$1 out=$2 before=0 page
	: >"$out.all"
	while :; do
		page=$HK_TMP/page.json
		if [ "$before" = 0 ]; then
			"$HK_BIN" events -c "$cfg" --json --source okta --limit 100000 >"$page" || return 1
		else
			"$HK_BIN" events -c "$cfg" --json --source okta --limit 100000 --before "$before" >"$page" || return 1
		fi
		before=$(python3 - "$page" "$out.all" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
with open(sys.argv[2], "a") as f:
    for r in rows:
        f.write(r["dedupe_key"] + "\n")
print(min(r["id"] for r in rows) if len(rows) == 100000 else 0)
EOF
) || return 1
		[ "$before" = 0 ] && break
	done
	sort "$out.all" >"$out"
	rm -f "$out.all" "$page"
}

check() {
	local desc=$1
	shift
	HK_CHECKS=$((HK_CHECKS + 1))
	if "$@"; then
		echo "ok   - $desc"
	else
		echo "FAIL - $desc"
		HK_FAILS=$((HK_FAILS + 1))
	fi
}

hk_summary() {
	echo "$((HK_CHECKS - HK_FAILS))/$HK_CHECKS checks passed"
	[ "$HK_FAILS" = 0 ]
}

# CPU ticks (utime+stime) of a process, and its peak RSS in kB.
hk_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
hk_hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hk_rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
