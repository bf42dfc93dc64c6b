# jobs_lib.sh: shared by the drills that run hookd's jobs against okta-sim (okta_faults.sh, crash_jobs.sh).
# Source it first: it finds hookd (HOOKD_BIN, else build/release/hookd; exits 77 when there is none),
# sources tests/integration/lib.sh, and adds:
#   jobs_settled N    0 when hookd's journal holds N or more okta-created jobs, all done or dead
#   jobs_judge ADMIN  writes hookd's jobs and okta-sim's outbox, users and request log to $IT_DIR, then the
#                     verdict (okta_faults.py verdict; ADMIN is the drill's own actor, left out) to
#                     $IT_DIR/verdict.txt
#   v KEY             one value of that verdict
# JOBS_PY is the Python half (users, send, verdict).
HOOKD_SRC=${HOOKD_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if [ -z "${HOOKD_BIN:-}" ]; then
	for b in "$HOOKD_SRC/build/release/hookd" "$HOOKD_SRC/build/hookd"; do [ -x "$b" ] && HOOKD_BIN=$b && break; done
fi
if [ -z "${HOOKD_BIN:-}" ] || [ ! -x "$HOOKD_BIN" ]; then
	echo "SKIP: no hookd binary (set HOOKD_BIN)"
	exit 77
fi
. "$HOOKD_SRC/tests/integration/lib.sh"
JOBS_PY=$HOOKD_SRC/tests/drills/okta_faults.py

jobs_settled() {
	"$HOOKD_BIN" jobs -c "$IT_DIR/hookd.ini" --json --limit 100000 >"$IT_DIR/jobs.json" 2>/dev/null &&
		python3 -c "
import json, sys
jobs = [j for j in json.load(open(sys.argv[1])) if j['rule'] == 'okta-created']
sys.exit(0 if len(jobs) >= int(sys.argv[2]) and all(j['state'] in ('done', 'dead') for j in jobs) else 1)" \
			"$IT_DIR/jobs.json" "$1"
}

jobs_judge() {
	"$HOOKD_BIN" jobs -c "$IT_DIR/hookd.ini" --json --limit 100000 >"$IT_DIR/jobs.json"
	tls_curl "$SIM_URL/sim/outbox" >"$IT_DIR/outbox.json"
	tls_curl "$SIM_URL/sim/users" >"$IT_DIR/simusers.json"
	tls_curl "$SIM_URL/sim/requests" >"$IT_DIR/requests.json"
	python3 "$JOBS_PY" verdict "$IT_DIR" "$1" >"$IT_DIR/verdict.txt" || fail "verdict computed"
}

v() { awk -v k="$1" '$1 == k {print $2}' "$IT_DIR/verdict.txt"; }
