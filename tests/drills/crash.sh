#!/usr/bin/env bash
# crash.sh: kill -9 hookd at random moments under continuous delivery load, restart it, and check at
# the end that every delivery answered 2xx is in the journal (and that the journal is intact).
# Usage: tests/drills/crash.sh [--cycles N] [--rate R] [--conns C] [--large] [--pg]
#   --large: 200 cycles at 1500 deliveries/s on 16 connections (as many as hookd's threads: each
#            restart then waits for a thread, see bench/HOSTILE.md);  --pg: PostgreSQL journal (HOOKD_TEST_PG_URL, else skipped)
# The client (tests/drills/loadgen.c) writes "uuid status" for every request as its answer arrives;
# status 0 means the connection died first (the event may or may not be stored: Okta would resend).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
CYCLES=20 RATE=400 PGMODE=0 CONNS=8
while [ $# -gt 0 ]; do
	case $1 in
	--cycles) CYCLES=$2; shift ;;
	--rate) RATE=$2; shift ;;
	--conns) CONNS=$2; shift ;;
	--large) CYCLES=200 RATE=1500 CONNS=16 ;;
	--pg) PGMODE=1 ;;
	*) echo "usage: crash.sh [--cycles N] [--rate R] [--conns C] [--large] [--pg]"; exit 2 ;;
	esac
	shift
done
D=$T_DIR
if [ $PGMODE = 1 ]; then
	[ -n "${HOOKD_TEST_PG_URL:-}" ] || { echo "SKIP: --pg needs HOOKD_TEST_PG_URL"; exit 77; }
	db=hookd_crash_$$_$RANDOM
	psql -q "$HOOKD_TEST_PG_URL" -c "create database $db" >/dev/null || exit 1
	url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$HOOKD_TEST_PG_URL" "$db")
	export T_STORE="backend = postgres
url = $url"
fi
write_hookd_config "$(free_port)" "$D" </dev/null
LG=$(drill_loadgen) || exit 1
start_hookd "$D/hookd.ini" "$D/hookd.log" || exit 1
echo "# crash drill: $CYCLES x kill -9 under $RATE deliveries/s on $CONNS connections ($([ $PGMODE = 1 ] && echo PostgreSQL || echo SQLite) journal)"
"$LG" --port "$HOOKD_PORT" --auth "$HOOK_SECRET" --body "$DRILL_SAMPLE" --connections "$CONNS" --rate "$RATE" --duration 100000 \
	--reconnect --log "$D/client.log" >"$D/client.json" 2>"$D/client.err" &
lgpid=$!
T_PIDS+=("$lgpid")
restart_ms=()
for i in $(seq "$CYCLES"); do
	sleep "$(python3 -c 'import random; print(round(random.uniform(0.2, 1.2), 3))')"
	before=$(awk '$2 == 200' "$D/client.log" | wc -l)
	kill -KILL "$HOOKD_PID"
	wait "$HOOKD_PID" 2>/dev/null
	t0=$(date +%s%N)
	start_hookd "$D/hookd.ini" "$D/hookd.log" || { fail "hookd did not come back after kill $i"; t_done; exit 1; }
	restart_ms+=($((($(date +%s%N) - t0) / 1000000)))
	[ $((i % 5)) = 0 ] && echo "     cycle $i: $before deliveries answered 200 so far"
done
sleep 1
kill -TERM "$lgpid"
wait "$lgpid"
stop_hookd TERM
echo "     client: $(cat "$D/client.json")"
awk '$2 == 200 {print $1}' "$D/client.log" | sort >"$D/acked"
awk '$2 == 0 {print $1}' "$D/client.log" | sort >"$D/unanswered"
drill_journal_keys "$D/hookd.ini" "$D/journal" || { fail "cannot read the journal"; t_done; exit 1; }
nacked=$(wc -l <"$D/acked")
missing=$(comm -23 "$D/acked" "$D/journal" | wc -l)
unans_stored=$(comm -12 "$D/unanswered" "$D/journal" | wc -l)
dups=$(uniq -d "$D/journal" | wc -l)
non2xx=$(awk '$2 != 200 && $2 != 0' "$D/client.log" | wc -l)
echo "     $nacked deliveries answered 200; $(wc -l <"$D/journal") events journaled; $(wc -l <"$D/unanswered") requests cut off by a kill ($unans_stored of them stored anyway); $non2xx other answers"
echo "     restart to /healthz: $(printf '%s\n' "${restart_ms[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median %d ms, max %d ms", a[int((NR+1)/2)], a[NR]}')"
check "$CYCLES kill -9 cycles ran under load ($nacked deliveries answered 200)" test "$nacked" -gt "$((CYCLES * 10))"
check "every delivery answered 200 is in the journal ($missing missing)" test "$missing" = 0
check "no event is stored twice ($dups duplicate keys)" test "$dups" = 0
check "no delivery was answered with an error ($non2xx non-200 answers)" test "$non2xx" = 0
if [ $PGMODE = 0 ]; then
	ic=$(sqlite3 "$D/hookd.db" 'PRAGMA integrity_check' 2>&1)
	check "the SQLite journal passes integrity_check ($ic)" test "$ic" = ok
else
	psql -q "$HOOKD_TEST_PG_URL" -c "drop database $db" >/dev/null 2>&1
fi
if grep -q '"worker' "$D/hookd.log" 2>/dev/null; then
	echo "     (workers ran: job exactly-once checks are in tests/drills/crash_jobs.sh)"
fi
t_done
