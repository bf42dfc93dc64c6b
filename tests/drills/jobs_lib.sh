# jobs_lib.sh: shared by the drills that run hookd's jobs against okta-sim (okta_faults.sh, crash_jobs.sh).
# Source it instead of tests/lib.sh (which it sources; that exits 77 when there is no hookd), and it adds:
#   jobs_sim ARGS...  okta-sim with an OAuth app for hookd (so that hookd's calls are told from the
#                     drill's own admin calls in the request log); sets ADMIN, the admin's actor id
#   jobs_config [INI] hookd's config: that OAuth app, 4 workers with short backoff, the rule
#                     okta-created (okta:user.lifecycle.create -> send_activation); INI lines are
#                     added to [worker]
#   jobs_settled N    0 when hookd's journal holds N or more okta-created jobs, all done or dead
#   jobs_judge ADMIN  writes hookd's jobs and okta-sim's outbox, users and request log to $T_DIR, then the
#                     verdict (okta_faults.py verdict; ADMIN is the drill's own actor, left out) to
#                     $T_DIR/verdict.txt
#   v KEY             one value of that verdict
# JOBS_PY is the Python half (users, send, verdict).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
JOBS_PY=$T_SRC/tests/drills/okta_faults.py

jobs_sim() {
	make_oauth_app
	start_sim "$@" --oauth-client-id "$APP_ID" --oauth-public-key "$T_DIR/app.pub" || return 1
	ADMIN=$(tls_curl "$SIM_URL/sim/whoami" -H "Authorization: SSWS $SIM_TOKEN" | jq_py 'd["id"]')
}

jobs_config() {
	write_hookd_config "$(free_port)" <<INI
$(okta_app_ini)
[worker]
threads = 4
poll = 100ms
backoff_base = 200ms
backoff_max = 2s
${1:-}
# These runs count every job settled: no follow-ups 6 days out.
[activation]
follow_up = false
[rule okta-created]
on = okta:user.lifecycle.create
do = send_activation
INI
}

jobs_settled() {
	"$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --json --limit 100000 >"$T_DIR/jobs.json" 2>/dev/null &&
		python3 -c "
import json, sys
jobs = [j for j in map(json.loads, open(sys.argv[1])) if j['rule'] == 'okta-created']
sys.exit(0 if len(jobs) >= int(sys.argv[2]) and all(j['state'] in ('done', 'dead') for j in jobs) else 1)" \
			"$T_DIR/jobs.json" "$1"
}

jobs_judge() {
	"$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --json --limit 100000 >"$T_DIR/jobs.json"
	tls_curl "$SIM_URL/sim/outbox" >"$T_DIR/outbox.json"
	tls_curl "$SIM_URL/sim/users" >"$T_DIR/simusers.json"
	tls_curl "$SIM_URL/sim/requests" >"$T_DIR/requests.json"
	python3 "$JOBS_PY" verdict "$T_DIR" "$1" >"$T_DIR/verdict.txt" || fail "verdict computed"
}

v() { awk -v k="$1" '$1 == k {print $2}' "$T_DIR/verdict.txt"; }
