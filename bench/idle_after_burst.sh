#!/usr/bin/env bash
# idle_after_burst.sh: what a burst of connections leaves behind. One hookd (SQLite, default thread
# count) per [server] thread_idle_timeout given; N TLS connections are opened and each asks
# /healthz once, all held at once, then closed. Prints hookd's request threads and RSS at idle
# before, with the burst held, and after the timeout has passed (plus 3 s for the master thread's
# join), with the retired count from /metrics.
# Usage: bench/idle_after_burst.sh [connections] [timeout...]   (default: 1000 0 1s)
# Environment: BUILD (build dir, default build/release). Not run in CI.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-1000}
shift || true
TIMEOUTS=("$@")
[ ${#TIMEOUTS[@]} -gt 0 ] || TIMEOUTS=(0 1s)
BUILD=${BUILD:-build/release}
[ -x "$BUILD/hookd" ] || { echo "idle_after_burst: no hookd in $BUILD (scripts/build.sh $BUILD)"; exit 1; }
export HOOKD_BIN=$ROOT/$BUILD/hookd
ulimit -n $((N + 1024)) 2>/dev/null || { echo "idle_after_burst: cannot raise the open-file limit for $N connections"; exit 1; }
. tests/drills/lib.sh
workers() { grep -lx 'civetweb-worker' /proc/"$HOOKD_PID"/task/*/comm 2>/dev/null | wc -l; }
state() { echo "$(workers) threads, RSS $(($(proc_rss_kb "$HOOKD_PID") / 1024)) MiB"; }
secs() { # a config duration (0, 500ms, 1s, 2m) in whole seconds, rounded up
	case $1 in *ms) echo $(((${1%ms} + 999) / 1000)) ;; *s) echo "${1%s}" ;; *m) echo $((${1%m} * 60)) ;; *) echo "$1" ;; esac
}
echo "# $N connections held at once, then closed; hookd at its default thread count (SQLite)"
for t in "${TIMEOUTS[@]}"; do
	d=$T_DIR/h-$t
	mkdir -p "$d/certs"
	make_certs "$d/certs" ec >/dev/null 2>&1 || make_certs "$d/certs" >/dev/null || exit 1
	T_SERVER_EXTRA="thread_idle_timeout = $t" write_hookd_config "$(free_port)" "$d" </dev/null
	T_LOG_LEVEL=warn start_hookd "$d/hookd.ini" "$d/hookd.log" || exit 1
	sleep 1
	idle=$(state)
	fifo=$d/go
	mkfifo "$fifo"
	python3 - "$HOOKD_PORT" "$d/certs/ca.crt" "$N" "$fifo" >"$d/hold.out" <<'EOF' &
import socket, ssl, sys
port, ca, n, fifo = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
conns, answered = [], 0
for _ in range(n):
    try:
        c = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answered += c.recv(4096).startswith(b"HTTP/1.1 200")
        conns.append(c)
    except OSError:
        pass
print("answered", answered, flush=True)
open(fifo).read()
for c in conns:
    c.close()
EOF
	holder=$!
	for _ in $(seq 600); do [ -s "$d/hold.out" ] && break; sleep 0.1; done
	held=$(state)
	: >"$fifo"
	wait "$holder"
	sleep $(($(secs "$t") + 3))
	after=$(state)
	retired=$(curl -sk --max-time 20 "$HOOKD_URL/metrics" | sed -n 's/^hookd_http_threads_retired_total //p')
	printf 'thread_idle_timeout %-5s %s | idle %s | held %s | after %s, %s retired\n' \
		"$t" "$(cat "$d/hold.out")" "$idle" "$held" "$after" "${retired:-?}"
	stop_hookd
done
