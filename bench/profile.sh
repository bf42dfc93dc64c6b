#!/usr/bin/env bash
# profile.sh: one hookd (SQLite journal, default thread count) under wrk -t2 with Okta's sample
# delivery, and what each delivery cost it. Prints the rate, p99, hookd's CPU and context switches
# per delivery, its peak RSS, the journal's events per group commit and time per commit; with
# --perf, also a `perf record -e cpu-clock -g` profile of hookd (by library, by thread; the kernel's share in
# futex, poll, fdatasync and pwrite; the top symbols). bench/PROFILE.md says what the figures meant.
# Usage: bench/profile.sh [--perf] [unique|dup] [connections] [seconds]
# Environment: BUILD (build dir, default build-bench); PERF_OUT (a path to keep perf.data at).
# Not run in CI; compare only figures from the same run (these machines are noisy).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PERF=0
[ "${1:-}" = --perf ] && PERF=1 && shift
MODE=${1:-unique} CONNS=${2:-16} SECS=${3:-8}
case $MODE in unique | dup) ;; *) echo "usage: bench/profile.sh [--perf] [unique|dup] [connections] [seconds]"; exit 2 ;; esac
BUILD=${BUILD:-build-bench}
for t in wrk curl python3; do
	command -v $t >/dev/null || { echo "profile: $t is missing (scripts/setup.sh --test)"; exit 1; }
done
[ $PERF = 1 ] && ! command -v perf >/dev/null && { echo "profile: perf is missing (apt-get install linux-perf)"; exit 1; }
if [ ! -x "$BUILD/hookd" ]; then
	echo "profile: building hookd in $BUILD"
	scripts/build.sh "$BUILD" >/dev/null || exit 1
fi
export HOOKD_BIN=$ROOT/$BUILD/hookd
. tests/drills/lib.sh
DELIVERY=$ROOT/tests/fuzz/corpus/okta_delivery/docs-sample.json
d=$T_DIR/h
mkdir -p "$d/certs"
make_certs "$d/certs" ec >/dev/null 2>&1 || make_certs "$d/certs" >/dev/null || exit 1
write_hookd_config "$(free_port)" "$d" </dev/null
T_LOG_LEVEL=warn start_hookd "$d/hookd.ini" "$d/hookd.log" || exit 1
run_id() { od -An -N4 -tx1 /dev/urandom | tr -d ' \n'; }
wrk_run() { # seconds, extra wrk options
	DELIVERY=$DELIVERY SECRET=$HOOK_SECRET MODE=$MODE RUN_ID=$(run_id) wrk -t2 -c"$CONNS" -d"$1s" \
		"${@:2}" -s bench/wrk-delivery.lua "https://127.0.0.1:$HOOKD_PORT/hooks/okta"
}
wrk_run 2 >/dev/null 2>&1 # warm-up (for dup: makes the events durable)
t0=$(proc_cpu_ticks "$HOOKD_PID") s0=$(proc_ctxt_switches "$HOOKD_PID") c0=$(hookd_metric hookd_journal_commit_seconds_count) e0=$(hookd_metric hookd_journal_committed_events_total)
w0=$(hookd_metric hookd_journal_commit_seconds_sum)
if [ $PERF = 1 ]; then
	perf record -e cpu-clock -g -F 999 -p "$HOOKD_PID" -o "$T_DIR/perf.data" -- sleep $((SECS - 1)) >/dev/null 2>&1 &
	pp=$!
fi
wrk_run "$SECS" --latency >"$T_DIR/wrk.txt" 2>&1
[ $PERF = 1 ] && wait $pp
t1=$(proc_cpu_ticks "$HOOKD_PID") s1=$(proc_ctxt_switches "$HOOKD_PID") c1=$(hookd_metric hookd_journal_commit_seconds_count) e1=$(hookd_metric hookd_journal_committed_events_total)
w1=$(hookd_metric hookd_journal_commit_seconds_sum)
js=$(sed -n 's/^WRKJSON //p' "$T_DIR/wrk.txt")
[ -n "$js" ] || { echo "profile: wrk failed:"; cat "$T_DIR/wrk.txt"; exit 1; }
python3 - "$js" "$((t1 - t0))" "$(getconf CLK_TCK)" "$((s1 - s0))" "$(awk '/VmHWM/ {print $2}' /proc/$HOOKD_PID/status)" \
	"${c0:-0}" "${c1:-0}" "${e0:-0}" "${e1:-0}" "${w0:-0}" "${w1:-0}" "$MODE" "$CONNS" <<'EOF'
import json, sys
w = json.loads(sys.argv[1])
ticks, tck, sw, hwm = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
c0, c1, e0, e1 = (float(x) for x in sys.argv[6:10])
w0, w1 = float(sys.argv[10]), float(sys.argv[11])
n = w["requests"]
rate = n / (w["duration_us"] / 1e6)
print("%s deliveries, %d connections: %.0f/s, p99 %.2f ms, non-2xx %d" % (sys.argv[12], int(sys.argv[13]), rate, w["p99_us"] / 1000, w["non2xx3xx"]))
print("hookd: %.4f ms CPU and %.2f context switches per delivery, peak RSS %d MiB" % (ticks / tck * 1000 / max(n, 1), sw / max(n, 1), hwm // 1024))
if c1 > c0:
    print("journal: %d group commits, %.1f events each, %.3f ms each" % (c1 - c0, (e1 - e0) / (c1 - c0), (w1 - w0) / (c1 - c0) * 1000))
else:
    print("journal: no commit during the run (every delivery answered from the cache of durable events)")
EOF
if [ $PERF = 1 ]; then
	echo "== profile: share of hookd's CPU by library"
	perf report -i "$T_DIR/perf.data" --no-children --sort dso -g none 2>/dev/null | grep -E '^ +[0-9]' | head -8
	echo "== kernel paths (time inside them, callees included)"
	perf report -i "$T_DIR/perf.data" --children --sort sym -g none 2>/dev/null |
		grep -E '\] (__x64_sys_futex|__x64_sys_poll|__x64_sys_fdatasync|__x64_sys_pwrite64|__x64_sys_pread64|__GI___lll_lock_wait|finish_task_switch[.a-z0-9]*)$'
	echo "== by thread: shares of each thread's own samples (bench/perf_threads.py)"
	perf script -i "$T_DIR/perf.data" -F comm,ip,sym,dso 2>/dev/null | bench/perf_threads.py
	echo "== top symbols"
	perf report -i "$T_DIR/perf.data" --no-children --sort dso,sym -g none 2>/dev/null | grep -E '^ +[0-9]' | head -15
	[ -n "${PERF_OUT:-}" ] && cp "$T_DIR/perf.data" "$PERF_OUT" && echo "== perf.data kept at $PERF_OUT"
fi
kill "$HOOKD_PID" 2>/dev/null
wait "$HOOKD_PID" 2>/dev/null
exit 0
