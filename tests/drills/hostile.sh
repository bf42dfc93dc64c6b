#!/usr/bin/env bash
# hostile.sh: hostile clients against hookd while honest Okta-like clients keep delivering.
# Usage: tests/drills/hostile.sh [--large] [--conns N] [--idle-conns N] [--seconds S] [--threads N] [--strict]
#   CI size: 2000 idle connections (idle TCP, idle after the TLS handshake), 64 for the trickling
#   attacks (slow headers, slow body, endless chunked body), 10 s per attack.
#   --large: 3000 connections for every attack, 30 s per attack.
#   --threads N: hookd's [server] threads (as T_THREADS); `--threads 64 --conns 1000 --idle-conns 1000`
#   is the few-threads run of bench/HOSTILE.md.
#   --strict: the known weaknesses (listed in the output as KNOWN) fail the drill too.
# For every attack, measured: the honest clients' answers and latency (open loop, from each request's
# due time: one client on fresh connections, one on keep-alive), how long the server held the hostile
# connections, what it answered them, hookd's RSS and thread count. Hard checks: hookd survives and
# answers /healthz after every attack, memory stays bounded (peak RSS < 256 MiB), every oversized or
# unending request is refused or cut off, plain HTTP gets no HTTP answer. The latency target (honest
# p99 <= 20 ms, no honest request lost) is checked too. Whatever threads is, the target is honest
# p99 under 1 s with none lost (hookd's connection guard sheds hostile connections that make no
# progress while threads run low); the hard check is Okta's 3 s with at most one loss per client. civetweb holds a thread per open connection,
# so hookd meets it only while hostile connections stay below [server] threads (4096 by default);
# checks of such limits are reported as KNOWN when they miss (see bench/HOSTILE.md).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
CONNS=64 IDLE_CONNS=2000 SECS=10 STRICT=0
while [ $# -gt 0 ]; do
	case $1 in
	--large) CONNS=3000 IDLE_CONNS=3000 SECS=30 ;;
	--conns) CONNS=$2; shift ;;
	--idle-conns) IDLE_CONNS=$2; shift ;;
	--seconds) SECS=$2; shift ;;
	--threads) export T_THREADS=$2; shift ;;
	--strict) STRICT=1 ;;
	*) echo "usage: hostile.sh [--large] [--conns N] [--idle-conns N] [--seconds S] [--threads N] [--strict]"; exit 2 ;;
	esac
	shift
done
ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true
D=$T_DIR
HP=$T_SRC/tests/drills/hostile.py
write_hookd_config "$(free_port)" "$D" <<<"$(printf '[server]\nmax_body = 65536\n')"
LG=$(drill_loadgen) || exit 1
start_hookd "$D/hookd.ini" "$D/hookd.log" || exit 1
THREADS=$(sed -n 's/^threads = //p' "$D/hookd.ini" | head -1)
THREADS_NOTE=
if [ -z "$THREADS" ]; then
	THREADS=$("$HOOKD_BIN" config-reference 2>/dev/null | grep -m1 -o '`threads`[^|]*|[^|]*|[^|]*' | grep -o '[0-9][0-9]*' | head -1)
	THREADS_NOTE=" (the default)"
fi
# Memory is bounded per connection thread: 64 MiB for the process plus 96 KiB per thread (measured:
# ~20 KiB a thread idle; 2000 hostile connections per attack at 4096 threads peaked at 259 MiB; see
# bench/HOSTILE.md). An AddressSanitizer build gives every thread its own allocator cache, 8 MiB
# stack and shadow, and keeps 256 MiB of freed memory in quarantine (measured: 534 MiB idle, 2.9 GiB
# with 2000 idle TLS connections, at 4096 threads): its RSS says nothing about hookd's own bound, so
# there the figure is printed and the bound is only checked in a release build.
RSS_LIMIT_MB=$((64 + ${THREADS:-64} * 96 / 1024))
if grep -q __asan_init "$HOOKD_BIN" 2>/dev/null; then
	RSS_LIMIT_MB=1048576
	echo "# ASan build: hookd's RSS is printed, not bounded (a release build checks the bound)"
fi
echo "# hostile clients: $IDLE_CONNS idle and $CONNS trickling connections per attack, ${SECS} s each; hookd has $THREADS request threads$THREADS_NOTE (T_THREADS sets them), max_body 64 KiB; RSS bound $RSS_LIMIT_MB MiB"
KNOWN=0
known() { # known DESC CMD...: a check of a documented weakness
	local desc=$1
	shift
	if "$@"; then
		echo "  ok: $desc"
	elif [ $STRICT = 1 ]; then
		check "$desc" false
	else
		echo "  KNOWN: $desc"
		KNOWN=$((KNOWN + 1))
	fi
}
RESULTS=$D/results.tsv
: >"$RESULTS"

# honest NAME SECONDS: the two honest clients, in the background; results in $D/NAME.{fresh,ka}.json
honest() {
	"$LG" --port "$HOOKD_PORT" --auth "$HOOK_SECRET" --body "$DRILL_SAMPLE" --new-conn --reconnect --connections 2 \
		--rate 10 --duration "$2" >"$D/$1.fresh.json" 2>/dev/null &
	T_PIDS+=($!)
	"$LG" --port "$HOOKD_PORT" --auth "$HOOK_SECRET" --body "$DRILL_SAMPLE" --reconnect --connections 2 \
		--rate 50 --duration "$2" >"$D/$1.ka.json" 2>/dev/null &
	T_PIDS+=($!)
}
# sampler NAME: RSS and threads of hookd every 0.25 s until $D/stop-sampler exists
sampler() {
	local max_rss=0 max_thr=0 r t
	while [ ! -e "$D/stop-sampler" ]; do
		r=$(proc_rss_kb "$HOOKD_PID")
		t=$(awk '/^Threads/ {print $2}' "/proc/$HOOKD_PID/status" 2>/dev/null || echo 0)
		[ "${r:-0}" -gt "$max_rss" ] && max_rss=$r
		[ "${t:-0}" -gt "$max_thr" ] && max_thr=$t
		sleep 0.25
	done
	echo "$max_rss $max_thr" >"$D/$1.mem"
}
# honest_ok NAME [P99_MS [MAX_FAILED]]: honest requests answered 200 within P99_MS (20) at p99, none
# unsent and none failed; with MAX_FAILED, up to that many sent requests may fail and unsent ones
# (due, but the client's connections were still reconnecting) are not counted.
honest_ok() {
	local f
	for f in "$D/$1.fresh.json" "$D/$1.ka.json"; do
		python3 - "$f" "${2:-20.001}" "${3:-}" <<'EOF' || return 1
import json, sys
r = json.load(open(sys.argv[1]))
failed = r["requests"] - r["ok_2xx"]
lost = failed + r["unsent"] if sys.argv[3] == "" else failed
limit = 0 if sys.argv[3] == "" else int(sys.argv[3])
sys.exit(0 if lost <= limit and r["p99_ms"] < float(sys.argv[2]) and r["ok_2xx"] > 0 else 1)
EOF
	done
}

all_closed() { # all_closed FILE: hookd closed every hostile connection it was sent (before the attacker gave up)
	python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
sys.exit(0 if a["opened"] and a["closed_by_server"] == a["opened"] else 1)' "$1"
}

# attack NAME MODE [hostile.py args...]
attack() {
	local name=$1 mode=$2
	shift 2
	rm -f "$D/stop-sampler"
	sampler "$name" &
	local sp=$!
	python3 "$HP" "$mode" --port "$HOOKD_PORT" --secret "$HOOK_SECRET" "$@" >"$D/$name.attack.json" 2>"$D/$name.attack.err" &
	local ap=$!
	T_PIDS+=("$ap")
	sleep 2 # the hostile connections first, as an attacker would
	honest "$name" "$((SECS - 3))"
	wait "$ap"
	wait "${T_PIDS[@]: -2}" 2>/dev/null
	touch "$D/stop-sampler"
	wait "$sp"
	local mem
	mem=$(cat "$D/$name.mem")
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$(cat "$D/$name.attack.json")" "$(cat "$D/$name.fresh.json")" \
		"$(cat "$D/$name.ka.json")" "$mem" >>"$RESULTS"
	echo "  [$name] hostile: $(cat "$D/$name.attack.json")"
	for k in fresh ka; do
		echo "  [$name] honest ($([ $k = fresh ] && echo 'new connection per request, 10/s' || echo 'keep-alive, 50/s')): $(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("%d due, %d answered 200, %d unsent, %d connection errors; p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (
    r["requests"] + r["unsent"], r["ok_2xx"], r["unsent"], r["conn_errors"], r["p50_ms"], r["p99_ms"], r["max_ms"]))' "$D/$name.$k.json")"
	done
	echo "  [$name] hookd: peak RSS $((${mem% *} / 1024)) MiB, peak threads ${mem#* }"
	# The target: p99 < 1 s and none lost (bench/HOSTILE.md). The hard check is Okta's own deadline,
	# 3 s, with at most one failed request per client (unsent ones not counted): on a shared machine a trivial attack has shown p99 1.1 s
	# from load alone, and a connection the guard closes while idle can race the client's next
	# request. KNOWN (--strict: failure) reports the target itself. Under ASan: printed only.
	if [ "$RSS_LIMIT_MB" = 1048576 ]; then
		honest_ok "$name" 1000 && echo "ok   - $name: honest p99 < 1 s, none lost (ASan: not checked)" ||
			echo "note - $name: honest p99 >= 1 s or a loss under ASan (not checked)"
	else
		check "$name: honest deliveries answered within Okta's 3 s at p99, at most 1 failed per client" \
			honest_ok "$name" 3000 1
		known "$name: honest deliveries answered with p99 < 1 s, none lost" honest_ok "$name" 1000
	fi
	check "$name: hookd still answers /healthz" bash -c "curl -sk --max-time 10 https://127.0.0.1:$HOOKD_PORT/healthz | grep -q ok"
	check "$name: hookd RSS stayed under $RSS_LIMIT_MB MiB ($((${mem% *} / 1024)) MiB)" test "${mem% *}" -lt $((RSS_LIMIT_MB * 1024))
}

echo "# baseline (no attack)"
honest baseline 5
wait "${T_PIDS[@]: -2}"
for k in fresh ka; do echo "  [baseline] $k: $(cat "$D/baseline.$k.json")"; done
check "baseline: honest clients all answered within p99 3 s" honest_ok baseline 3000
known "baseline: honest clients all answered within p99 20 ms" honest_ok baseline

echo "# idle TCP connections (never start TLS)"
attack idle-tcp idle-tcp --conns "$IDLE_CONNS" --seconds "$SECS"
known "idle-tcp: honest clients unaffected (all 200, p99 <= 20 ms)" honest_ok idle-tcp
known "idle-tcp: hookd closed every hostile connection" all_closed "$D/idle-tcp.attack.json"

echo "# idle TLS connections (handshake done, no request)"
attack idle-tls idle-tls --conns "$IDLE_CONNS" --seconds "$SECS"
known "idle-tls: honest clients unaffected (all 200, p99 <= 20 ms)" honest_ok idle-tls
known "idle-tls: hookd closed every hostile connection" all_closed "$D/idle-tls.attack.json"

echo "# one request, then idle on keep-alive"
attack keep-alive keep-alive --conns "$IDLE_CONNS" --seconds "$SECS"
known "keep-alive: honest clients unaffected (all 200, p99 <= 20 ms)" honest_ok keep-alive
known "keep-alive: hookd closed every hostile connection" all_closed "$D/keep-alive.attack.json"

echo "# new TLS connections as fast as 64 loops can open them"
attack connect-flood connect-flood --conns 64 --seconds "$SECS"
known "connect-flood: honest clients unaffected (all 200, p99 <= 20 ms)" honest_ok connect-flood

echo "# slowloris: headers trickled one byte a second"
attack slow-headers slow-headers --conns "$CONNS" --seconds "$SECS" --interval 1
known "slow-headers: honest clients unaffected (all 200, p99 <= 20 ms)" honest_ok slow-headers
known "slow-headers: hookd closed every hostile connection" all_closed "$D/slow-headers.attack.json"

echo "# slow body: complete headers, then one body byte a second"
LONG=$((SECS > 17 ? SECS : 17)) # long enough to see the 10 s body deadline act
attack slow-body slow-body --conns "$CONNS" --seconds "$LONG" --interval 1
known "slow-body: honest clients unaffected (all 200, p99 <= 20 ms)" honest_ok slow-body
known "slow-body: hookd closed every trickled body by its deadline" all_closed "$D/slow-body.attack.json"

echo "# chunked bodies that never end (a 16-byte chunk a second)"
attack chunked chunked-forever --conns "$CONNS" --seconds "$LONG" --interval 1
known "chunked: honest clients unaffected (all 200, p99 <= 20 ms)" honest_ok chunked
known "chunked: hookd closed every endless chunked body by its deadline" all_closed "$D/chunked.attack.json"

echo "# oversized requests and plain HTTP (sequential, honest clients alongside)"
attack big-headers big-headers --conns 50
check "big-headers: every 100 KiB header refused with 4xx or cut off, none accepted" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["answers"]
sys.exit(0 if not any(k.startswith("2") for k in a) else 1)' "$D/big-headers.attack.json"
attack big-body big-body --conns 50
check "big-body: Content-Length 1 GB answered 413 every time" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["answers"]
sys.exit(0 if a.get("413") == 50 else 1)' "$D/big-body.attack.json"
python3 "$HP" big-body-stream --port "$HOOKD_PORT" --secret "$HOOK_SECRET" --conns 40 >"$D/big-body-stream.json"
echo "  [big-body-stream] $(cat "$D/big-body-stream.json")"
known "big-body-stream: a client still sending an oversized body sees its 413 (not a reset)" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["answers"]
sys.exit(0 if a.get("413") == 40 else 1)' "$D/big-body-stream.json"
attack big-chunked big-chunked --conns 20
check "big-chunked: a 4 MiB chunked stream answered 413 or cut off, never 2xx" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["answers"]
sys.exit(0 if not any(k.startswith("2") for k in a) and a.get("413", 0) > 0 else 1)' "$D/big-chunked.attack.json"
attack plain-http plain-http --conns 200
check "plain-http: no HTTP answer on the TLS port" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["answers"]
sys.exit(0 if not any(k.isdigit() for k in a) else 1)' "$D/plain-http.attack.json"
for a in big-headers big-body big-chunked plain-http; do
	known "$a: honest clients unaffected (all 200, p99 <= 20 ms)" honest_ok "$a"
done

echo "# the body deadline alone: 4 slow bodies and 4 endless chunked bodies (fewer than the threads), 20 s"
cut_off() { python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
print("     %s: %d of %d closed by hookd, last after %s s" % (a["mode"], a["closed_by_server"], a["opened"], a["max_close_s"]))
sys.exit(0 if a["opened"] and a["closed_by_server"] == a["opened"] and a["max_close_s"] <= 15.5 else 1)' "$1"; }
python3 "$HP" slow-body --port "$HOOKD_PORT" --secret "$HOOK_SECRET" --conns 4 --seconds 20 --interval 1 --ramp 0.1 >"$D/deadline-body.json" &
dl1=$!
python3 "$HP" chunked-forever --port "$HOOKD_PORT" --secret "$HOOK_SECRET" --conns 4 --seconds 20 --interval 1 --ramp 0.1 >"$D/deadline-chunked.json" &
dl2=$!
T_PIDS+=("$dl1" "$dl2")
wait "$dl1" "$dl2"
known "a body trickled 1 byte/s is cut off by the 10 s body deadline (<= 15.5 s)" cut_off "$D/deadline-body.json"
known "a chunked body that never ends is cut off by the 10 s body deadline (<= 15.5 s)" cut_off "$D/deadline-chunked.json"
stop_hookd TERM
check "hookd stops cleanly after all attacks (SIGTERM, exit 0)" test $? = 0
[ -n "${HOSTILE_RESULTS:-}" ] && cp "$RESULTS" "$HOSTILE_RESULTS"
echo "$KNOWN known weakness(es) observed (see bench/HOSTILE.md; --strict makes them failures)"
t_done
