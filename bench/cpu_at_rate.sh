#!/usr/bin/env bash
# cpu_at_rate.sh: two hookd builds, alternated, under the same open-loop load (tests/drills/loadgen.c,
# 16 connections, Okta's sample delivery with a fresh event each): hookd's CPU per delivery (and
# PostgreSQL's, with PGDATA), p50 and p99 from each request's due time, hookd's context switches
# per delivery and the journal's events per group commit; and for the committer thread (hookd-commit)
# its CPU per delivery and, per commit, its time writing, on a CPU, runnable waiting for one and
# asleep (its /proc schedstat; builds that do not name their threads say so). At a fixed rate both
# builds get the same offered load, so the CPU figure moves far less with the machine's noise than a
# closed-loop rate does; the groups can still differ between builds (printed); compare only rows of
# one run.
# Usage: bench/cpu_at_rate.sh BUILD_A BUILD_B [rate] [seconds] [rounds]
# Environment: HOOKD_TEST_PG_URL: journal on PostgreSQL (a database per run, dropped after); PGDATA:
# that cluster's data directory, to count its processes' CPU too; PERF_DIR: keep a `perf record -F 999`
# profile of each measured run there and print it by thread (bench/perf_threads.py); its sampling
# adds to the CPU figures of those rounds. Not run in CI.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
[ $# -ge 2 ] || { echo "usage: bench/cpu_at_rate.sh BUILD_A BUILD_B [rate] [seconds] [rounds]"; exit 2; }
A=$1 B=$2 RATE=${3:-4000} SECS=${4:-8} ROUNDS=${5:-5}
for b in "$A" "$B"; do
	[ -x "$b/hookd" ] || { echo "cpu_at_rate: no hookd in $b"; exit 1; }
done
export HOOKD_BIN=$ROOT/$A/hookd
. tests/drills/lib.sh
LG=$(drill_loadgen) || exit 1
DELIVERY=$ROOT/tests/fuzz/corpus/okta_delivery/docs-sample.json
PGURL=${HOOKD_TEST_PG_URL:-}
commits() { echo "$(hookd_metric hookd_journal_commit_seconds_count) $(hookd_metric hookd_journal_committed_events_total) $(hookd_metric hookd_journal_commit_seconds_sum)"; }
pg_ticks() { # every process of the cluster in PGDATA, 0 without it
	local pm
	[ -n "${PGDATA:-}" ] && [ -s "$PGDATA/postmaster.pid" ] || { echo 0; return; }
	pm=$(head -1 "$PGDATA/postmaster.pid")
	for p in $pm $(pgrep -P "$pm"); do proc_cpu_ticks "$p"; done | awk '{s += $1} END {print s + 0}'
}
db_url() { python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$1" "$2"; }

one() { # one BUILD ROUND a|b: a fresh hookd and journal, a 2 s warm-up, then the measured run
	local build=$1 d=$T_DIR/r$2$3-$(basename "$1") db=""
	mkdir -p "$d/certs"
	make_certs "$d/certs" ec >/dev/null 2>&1 || make_certs "$d/certs" >/dev/null || return 1
	export HOOKD_BIN=$ROOT/$build/hookd
	unset T_STORE
	if [ -n "$PGURL" ]; then
		db=hookd_rate_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
		psql -q "$PGURL" -c "create database $db" >/dev/null || return 1
		export T_STORE
		T_STORE=$(printf 'backend = postgres\nurl = %s' "$(db_url "$PGURL" "$db")")
	fi
	write_hookd_config "$(free_port)" "$d" </dev/null
	T_LOG_LEVEL=warn start_hookd "$d/hookd.ini" "$d/hookd.log" || return 1
	"$LG" --port "$HOOKD_PORT" --auth "$HOOK_SECRET" --body "$DELIVERY" --connections 16 --rate "$RATE" \
		--duration 2 >/dev/null
	local t0 p0 t1 p1 s0 s1 c0 c1 k0 k1 m0 m1 res ct
	ct=$(proc_thread "$HOOKD_PID" hookd-commit)
	t0=$(proc_cpu_ticks "$HOOKD_PID") p0=$(pg_ticks) s0=$(proc_ctxt_switches "$HOOKD_PID") c0=$(commits)
	k0=$(proc_thread_sched "$HOOKD_PID" "$ct") m0=$(date +%s%N)
	local perf_pid="" perf_out=""
	if [ -n "${PERF_DIR:-}" ] && mkdir -p "$PERF_DIR"; then
		perf_out=$PERF_DIR/r$2-$3-$(basename "$build").data
		perf record -q -e cpu-clock -g -F 999 -p "$HOOKD_PID" -o "$perf_out" 2>/dev/null &
		perf_pid=$!
	fi
	res=$("$LG" --port "$HOOKD_PORT" --auth "$HOOK_SECRET" --body "$DELIVERY" --connections 16 --rate "$RATE" \
		--duration "$SECS")
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid" 2>/dev/null
		wait "$perf_pid" 2>/dev/null
	fi
	t1=$(proc_cpu_ticks "$HOOKD_PID") p1=$(pg_ticks) s1=$(proc_ctxt_switches "$HOOKD_PID") c1=$(commits)
	k1=$(proc_thread_sched "$HOOKD_PID" "$ct") m1=$(date +%s%N)
	kill "$HOOKD_PID" 2>/dev/null
	wait "$HOOKD_PID" 2>/dev/null
	[ -n "$db" ] && psql -q "$PGURL" -c "drop database $db" >/dev/null
	python3 - "$res" "$((t1 - t0))" "$((p1 - p0))" "$(getconf CLK_TCK)" "$build" "${PGDATA:+1}" \
		"$((s1 - s0))" $c0 $c1 "$((m1 - m0))" $k0 $k1 <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
sw, g0, e0, w0, g1, e1, w1 = (float(x) for x in sys.argv[7:14])
ticks, pg, tck = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
n = r.get("ok_2xx", 0)
line = "%-24s %6d 2xx, %d not  hookd %.4f ms CPU per delivery" % (sys.argv[5], n, r.get("requests", 0) - n, ticks / tck * 1000 / max(n, 1))
if sys.argv[6]:
    line += ", postgres %.4f" % (pg / tck * 1000 / max(n, 1))
line += "  p50 %s ms  p99 %s ms" % (r.get("p50_ms"), r.get("p99_ms"))
line += "  %.2f switches per delivery" % (sw / max(n, 1))
wall, run0, rq0, run1, rq1 = (float(x) / 1e6 for x in sys.argv[14:19])  # ms
if g1 > g0:
    g = g1 - g0
    line += ", %.1f events per commit" % ((e1 - e0) / g)
    run, rq = run1 - run0, rq1 - rq0
    if run1 == 0:
        line += "\n%-24s committer: no thread named hookd-commit (a build from before 2026-12-08)" % ""
    else:
        line += "\n%-24s committer: %.4f ms CPU per delivery; per commit %.3f ms writing, and %.3f ms on a CPU, %.3f ms runnable waiting for one, %.3f ms asleep" % (
            "", run / max(n, 1), (w1 - w0) * 1000 / g, run / g, rq / g, (wall - run - rq) / g)
print(line)
EOF
	if [ -n "$perf_out" ] && [ -s "$perf_out" ]; then
		echo "  profile kept at $perf_out; by thread:"
		perf script -i "$perf_out" -F comm,ip,sym,dso 2>/dev/null | bench/perf_threads.py | sed 's/^/  /'
	fi
}

echo "# $RATE deliveries/s for $SECS s on 16 connections, $ROUNDS rounds, journal: $([ -n "$PGURL" ] && echo PostgreSQL || echo SQLite)"
for r in $(seq "$ROUNDS"); do
	one "$A" "$r" a || exit 1
	one "$B" "$r" b || exit 1
done
