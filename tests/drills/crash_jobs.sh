#!/usr/bin/env bash
# crash_jobs.sh: kill -9 hookd at random moments while it both takes deliveries and runs their jobs
# against okta-sim, restart it, and check at the end that every event answered 200 is journaled once
# and that its job ran exactly once in effect: one job per user, done, one activate call that took
# effect, one activation email, the user PROVISIONED.
# Usage: tests/drills/crash_jobs.sh [--users N] [--cycles C] [--large] [--pg]
#   CI size: 400 users, 20 kills;  --large: 3000 users, 100 kills;  --pg: a PostgreSQL journal in a new
#   database on HOOKD_TEST_PG_URL (skipped without it).
# okta-sim stalls every call 100 ms, so a kill often lands between an Okta call and the record of its
# outcome: the job then runs again after its lease (12 s here, above the 10 s call timeout) and must find nothing left to do.
set -uo pipefail
. "$(dirname "$0")/jobs_lib.sh"
N=400 CYCLES=20 PGMODE=0
while [ $# -gt 0 ]; do
	case $1 in
	--users) N=$2; shift ;;
	--cycles) CYCLES=$2; shift ;;
	--large) N=3000 CYCLES=100 ;;
	--pg) PGMODE=1 ;;
	*) echo "usage: crash_jobs.sh [--users N] [--cycles C] [--large] [--pg]"; exit 2 ;;
	esac
	shift
done
if [ $PGMODE = 1 ] && [ -z "${HOOKD_TEST_PG_URL:-}" ]; then
	echo "SKIP: --pg needs HOOKD_TEST_PG_URL"
	exit 77
fi
STORE=SQLite
if [ $PGMODE = 1 ]; then
	STORE=PostgreSQL
	db=hookd_crashjobs_$$_$RANDOM
	psql -q "$HOOKD_TEST_PG_URL" -c "create database $db" >/dev/null || { fail "database created"; t_done; exit 1; }
	python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])), end="")' \
		"$HOOKD_TEST_PG_URL" "$db" >"$T_DIR/db.url"
	trap 't_cleanup; psql -q "$HOOKD_TEST_PG_URL" -c "drop database if exists $db" >/dev/null 2>&1' EXIT
fi
echo "# crash drill with jobs: $CYCLES x kill -9 while $N users' events are delivered and their jobs run ($STORE journal)"
jobs_sim --rate-limit off || { fail "okta-sim starts"; t_done; exit 1; }
jobs_config "lease = 12s"
# write_hookd_config wrote [store] path for SQLite; a second [store] section switches the backend.
[ $PGMODE = 1 ] && printf '[store]\nbackend = postgres\nurl_file = %s\n' "$T_DIR/db.url" >>"$T_DIR/hookd.ini"
python3 "$JOBS_PY" users "$SIM_URL" "$SIM_TOKEN" "$T_DIR/certs/ca.crt" "$N" "$T_DIR/users.json" ||
	{ fail "$N STAGED users created"; t_done; exit 1; }
tls_curl "$SIM_URL/sim/requests" -X DELETE >/dev/null
tls_curl "$SIM_URL/sim/faults" -X POST -H 'Content-Type: application/json' -d '{"latency_ms":100,"latency_rate":1}' >/dev/null
start_hookd || { fail "hookd starts"; t_done; exit 1; }

# Deliveries spread over about as long as the kills take; the sender retries until each is answered 200.
SECS=$((CYCLES * 7 / 10 + 2))
python3 "$JOBS_PY" send "$HOOKD_URL" "$HOOK_SECRET" "$T_DIR/certs/ca.crt" "$T_DIR/users.json" "$SECS" "$T_DIR/send.json" &
SENDER=$!
restarts=()
for i in $(seq "$CYCLES"); do
	sleep "$(python3 -c 'import random; print(round(random.uniform(0.2, 1.2), 3))')"
	kill -KILL "$HOOKD_PID"
	wait "$HOOKD_PID" 2>/dev/null
	t0=$(date +%s%N)
	start_hookd || { fail "hookd comes back after kill $i"; t_done; exit 1; }
	restarts+=($((($(date +%s%N) - t0) / 1000000)))
done
wait "$SENDER"
echo "  sender: $(cat "$T_DIR/send.json"); restart to /healthz: $(printf '%s\n' "${restarts[@]}" | sort -n |
	awk '{a[NR]=$1} END {printf "median %d ms, max %d ms", a[int((NR+1)/2)], a[NR]}')"
check_eq "every delivery was answered 200 in the end" "$(jq_py 'd.get("gave_up", 0)' <"$T_DIR/send.json")" 0
check "every job ends done or dead after the last restart" eventually "jobs_settled $N" 120
tls_curl "$SIM_URL/sim/faults" -X DELETE >/dev/null
stop_hookd
jobs_judge "$ADMIN"
"$HOOKD_BIN" events -c "$T_DIR/hookd.ini" --json --limit 100000 --source okta >"$T_DIR/events.json"
events=$(python3 -c "
import json, collections
ev = [json.loads(l) for l in open('$T_DIR/events.json')]
keys = collections.Counter(e['dedupe_key'] for e in ev)
subs = collections.Counter(e['subject_id'] for e in ev)
print(len(ev), sum(1 for k in keys.values() if k > 1), len(subs), sum(e['duplicates'] for e in ev))")
read -r nev dupkeys nsubs redelivered <<<"$events"
echo "  journal: $nev events for $nsubs users, $redelivered redeliveries answered as duplicates"
echo "  jobs: $(v done) done, $(v dead) dead, $(v retried_jobs) ran more than once (claimed again after a kill or a failure; most attempts $(v max_job_attempts)); $(v activate_calls) activate calls for $N users"
check_eq "every user's event is journaled exactly once" "$nev $dupkeys $nsubs" "$N 0 $N"
check_eq "one job per user" "$(v users_without_one_job)" 0
check_eq "every job done" "$(v done)" "$N"
echo "  $(v rerun_after_effect) jobs were killed after their activate took effect and, run again, found nothing to do"
check "some jobs were interrupted by a kill and ran again ($(v retried_jobs))" test "$(v retried_jobs)" -gt 0
check "hookd's activate calls are in okta-sim's request log ($(v activate_calls))" test "$(v activate_calls)" -ge "$N"
check_eq "no activate call took effect twice for a user" "$(v users_activated_twice)" 0
check_eq "no user got two activation emails" "$(v users_with_two_emails)" 0
check_eq "every user PROVISIONED with exactly one email" "$(v done_not_provisioned_once)" 0
if [ $PGMODE = 0 ]; then
	ic=$(sqlite3 "$T_DIR/hookd.db" 'PRAGMA integrity_check' 2>&1)
	check_eq "the SQLite journal passes integrity_check" "$ic" ok
fi
t_done
