#!/usr/bin/env bash
# journal_ingest.sh: journal throughput without HTTP: events/s committed (SQLite; PostgreSQL with 1 and
# 2 instances) and jobs/s claimed and finished (no Okta calls, no rate limits). Starts a private
# PostgreSQL cluster (as the postgres user: run as root) and prints one figure per line and a table.
#
# Usage: bench/journal_ingest.sh [BUILD_DIR]   (default build/release; needs libhookd_lib.a built there)
# Environment: EVENTS (default 20000 per run), THREADS (committing threads per instance, default 16,
# like request threads), WORKERS (claiming threads per instance, default 4), BATCH (jobs per claim: 1
# like hookd's workers, and this one too; default 16), ONE_SUBJECT (default 2000; 0 skips): that many jobs
# of one subject, which run one at a time in order while every other claim passes them over.
# An "instance" is one process with its own journal (pool, committer, LISTEN connection), as a hookd.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build/release}
EVENTS=${EVENTS:-20000}
THREADS=${THREADS:-16}
WORKERS=${WORKERS:-4}
BATCH=${BATCH:-16}
ONE_SUBJECT=${ONE_SUBJECT:-2000}
for lib in libhookd_lib.a libcivetweb.a; do
	[ -f "$build/$lib" ] || { echo "journal_ingest: $build/$lib missing: build first (scripts/build.sh $build)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/hookd-jbench.XXXXXX)
chmod 755 "$tmp"
cleanup() { "$src/scripts/pg-cluster.sh" stop "$tmp/pg" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT

cc -O2 -std=c11 -D_GNU_SOURCE -I"$src" -I"$(pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)" \
	"$src/bench/journal_bench.c" "$build/libhookd_lib.a" "$build/libcivetweb.a" \
	-lsqlite3 -lpq -lcurl -linih -lssl -lcrypto -lpthread -lm -ldl -o "$tmp/journal_bench"
B=$tmp/journal_bench

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
admin=$("$src/scripts/pg-cluster.sh" start "$tmp/pg" "$port")
newdb() { psql -qX "$admin" -c "CREATE DATABASE $1" && echo "${admin%/postgres}/$1"; }

results=()
# run LABEL CMD...: one process; prints its line; keeps "LABEL rate".
run() {
	local label=$1 line
	shift
	line=$("$@")
	echo "  $label: $line"
	results+=("$label|$(sed -E 's/.*rate=([0-9]+).*/\1/' <<<"$line")|$(sed -E 's/.*p50_ms=([0-9.]+) p99_ms=([0-9.]+).*/\1 \/ \2/' <<<"$line")")
}
# run2 LABEL CMD...: the same command in two processes started at the same instant; the rate is the
# sum of both processes' work over the slower one's time.
run2() {
	local label=$1 at
	shift
	at=$(($(date +%s%3N) + 1500))
	"$@" --prefix i1 --start-at "$at" >"$tmp/o1" &
	local p1=$!
	"$@" --prefix i2 --start-at "$at" >"$tmp/o2" &
	local p2=$!
	wait $p1 $p2
	echo "  $label: instance 1: $(cat "$tmp/o1")"
	echo "  $label: instance 2: $(cat "$tmp/o2")"
	local rate
	rate=$(cat "$tmp/o1" "$tmp/o2" | python3 -c '
import re, sys
ls = [dict(re.findall(r"(\w+)=([0-9.]+)", l)) for l in sys.stdin if l.strip()]
print("%.0f" % (sum(float(l["n"]) for l in ls) / max(float(l["seconds"]) for l in ls)))')
	results+=("$label|$rate|$(sed -E 's/.*p50_ms=([0-9.]+) p99_ms=([0-9.]+).*/\1 \/ \2/' "$tmp/o1")")
}

echo "journal_ingest: $EVENTS events per run, $THREADS committing threads and $WORKERS claiming workers per instance, $(nproc) CPUs"
echo "SQLite (WAL, synchronous=FULL) in $tmp"
run "sqlite ingest, 1 instance" "$B" ingest --backend sqlite --path "$tmp/j.db" --threads "$THREADS" --events "$EVENTS"
run "sqlite claim, batch 1" "$B" claim --backend sqlite --path "$tmp/j.db" --threads "$WORKERS" --events "$EVENTS" --batch 1
run "sqlite ingest, again" "$B" ingest --backend sqlite --path "$tmp/j.db" --threads "$THREADS" --events "$EVENTS" --prefix again
run "sqlite claim, batch $BATCH" "$B" claim --backend sqlite --path "$tmp/j.db" --threads "$WORKERS" --events "$EVENTS" --batch "$BATCH"

if [ "$ONE_SUBJECT" -gt 0 ]; then
	run "sqlite ingest, $ONE_SUBJECT jobs of 1 subject" "$B" ingest --backend sqlite --path "$tmp/s.db" --threads "$THREADS" --events "$ONE_SUBJECT" --subjects 1
	run "sqlite claim, 1 subject, batch 1" "$B" claim --backend sqlite --path "$tmp/s.db" --threads "$WORKERS" --events "$ONE_SUBJECT" --batch 1 --subjects 1
fi

echo "PostgreSQL $(psql -XAt "$admin" -c 'SHOW server_version') (fsync on, synchronous_commit on) at $admin"
db1=$(newdb bench1)
run "postgres ingest, 1 instance" "$B" ingest --backend postgres --url "$db1" --threads "$THREADS" --events "$EVENTS"
run "postgres claim, 1 instance, batch 1" "$B" claim --backend postgres --url "$db1" --threads "$WORKERS" --events "$EVENTS" --batch 1
run "postgres ingest, 1 instance, again" "$B" ingest --backend postgres --url "$db1" --threads "$THREADS" --events "$EVENTS" --prefix again
run "postgres claim, 1 instance, batch $BATCH" "$B" claim --backend postgres --url "$db1" --threads "$WORKERS" --events "$EVENTS" --batch "$BATCH"
db2=$(newdb bench2)
run2 "postgres ingest, 2 instances" "$B" ingest --backend postgres --url "$db2" --threads "$THREADS" --events $((EVENTS / 2))
run2 "postgres claim, 2 instances, batch 1" "$B" claim --backend postgres --url "$db2" --threads "$WORKERS" --events "$EVENTS" --batch 1
if [ "$ONE_SUBJECT" -gt 0 ]; then
	db3=$(newdb bench3)
	run "postgres ingest, $ONE_SUBJECT jobs of 1 subject" "$B" ingest --backend postgres --url "$db3" --threads "$THREADS" --events "$ONE_SUBJECT" --subjects 1
	run "postgres claim, 1 subject, batch 1" "$B" claim --backend postgres --url "$db3" --threads "$WORKERS" --events "$ONE_SUBJECT" --batch 1 --subjects 1
fi
check=$(psql -XAt "$db2" -c "SELECT count(*) || ' events, ' || (SELECT count(*) FROM jobs WHERE state = 'done') || ' jobs done' FROM events")
echo "  check: the 2-instance database holds $check"

echo
printf '%-42s %12s   %s\n' "run" "rate (/s)" "p50 / p99 ms (commit; claim+finish per job)"
for r in "${results[@]}"; do
	IFS='|' read -r label rate lat <<<"$r"
	printf '%-42s %12s   %s\n' "$label" "$rate" "$lat"
done
