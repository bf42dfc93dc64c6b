#!/usr/bin/env bash
# Jobs under Okta faults: okta-sim answers 20% of API calls with 500, throws 429 bursts and drops
# connections while 25 new STAGED users are delivered to hookd. Rate windows are 5 s long here so that
# waiting for X-Rate-Limit-Reset after a 429 burst fits the test's time. Every job must end done or dead,
# none may run its Okta call twice (no user gets two activation emails), and every done job's user
# must be PROVISIONED with exactly one email.
. "$(dirname "$0")/../lib.sh"
N=${FAULT_USERS:-25}

make_oauth_app
start_sim --rate-limit all=100000,window=5 --oauth-client-id "$APP_ID" --oauth-public-key "$T_DIR/app.pub" ||
	{ fail "okta-sim starts"; t_done; exit 1; }
port=$(free_port)
write_hookd_config "$port" <<INI
$(okta_app_ini)
timeout = 5s
; no retries inside the client: every fault it meets becomes a job retry, which is what is tested here
max_retries = 0
[worker]
threads = 4
poll = 100ms
max_attempts = 10
backoff_base = 100ms
backoff_max = 1s
[rule okta-created]
on = okta:user.lifecycle.create
do = send_activation
INI
start_hookd || { fail "hookd starts"; t_done; exit 1; }
"$HOOKD_BIN" okta register-hook -c "$T_DIR/hookd.ini" --url "$HOOKD_URL/hooks/okta" >/dev/null 2>&1
check_eq "event hook registered and verified" $? 0

# Faults on the API (not on /sim/ endpoints, not on hook deliveries).
tls_curl "$SIM_URL/sim/faults" -X POST -H 'Content-Type: application/json' \
	-d '{"error_rate":0.2,"status":500,"burst_429":6,"drop_rate":0.05,"latency_ms":500,"latency_rate":0.1}' >/dev/null
ids=()
for i in $(seq "$N"); do
	login=f$i.$RANDOM@example.com
	for _ in $(seq 30); do # the admin's own calls meet the faults too: retry until created
		id=$(sim_api POST "/api/v1/users?activate=false" \
			"{\"profile\":{\"login\":\"$login\",\"email\":\"$login\",\"firstName\":\"F\",\"lastName\":\"$i\"}}" 2>/dev/null |
			python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("id",""))
except Exception: print("")')
		[ -n "$id" ] && break
		id=$(sim_api GET "/api/v1/users/$login" 2>/dev/null | python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("id",""))
except Exception: print("")')
		[ -n "$id" ] && break
	done
	ids+=("$id")
done
check_eq "the admin created $N STAGED users" "$(printf '%s\n' "${ids[@]}" | grep -c .)" "$N"

settled() {
	"$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --json --limit 1000 | python3 -c "
import json,sys
jobs=[j for j in map(json.loads, sys.stdin) if j['rule']=='okta-created']
sys.exit(0 if len(jobs)>=$N and all(j['state'] in ('done','dead') for j in jobs) else 1)"
}
check "every job ends done or dead within 90 s" eventually settled 90
tls_curl "$SIM_URL/sim/faults" -X DELETE >/dev/null
"$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --json --limit 1000 >"$T_DIR/jobs.json"
tls_curl "$SIM_URL/sim/outbox" >"$T_DIR/outbox.json"
sim_api GET "/api/v1/users?limit=200" >"$T_DIR/users.json"
python3 - "$T_DIR" "$N" <<'PY' >"$T_DIR/verdict.txt"
import json, sys, collections
d, n = sys.argv[1], int(sys.argv[2])
jobs = [j for j in map(json.loads, open(d + "/jobs.json")) if j["rule"] == "okta-created"]
out = json.load(open(d + "/outbox.json"))
users = {u["id"]: u for u in json.load(open(d + "/users.json"))}
emails = collections.Counter(m["user_id"] for m in out if m["kind"] == "activation")
per_subject = collections.Counter(j["subject"] for j in jobs)
done = [j for j in jobs if j["state"] == "done"]
print("jobs", len(jobs))
print("one_job_per_user", int(len(per_subject) == n and max(per_subject.values()) == 1))
print("max_emails_per_user", max(emails.values()) if emails else 0)
print("done_ok", int(all(emails[j["subject"]] == 1 and users[j["subject"]]["status"] == "PROVISIONED" for j in done)))
print("done", len(done), "dead", len(jobs) - len(done))
print("retried", sum(1 for j in jobs if j["attempts"] > 1))
PY
cat "$T_DIR/verdict.txt" | sed 's/^/    /'
v() { awk -v k="$1" '$1 == k {print $2}' "$T_DIR/verdict.txt"; }
check_eq "one job per delivered user" "$(v one_job_per_user)" 1
check_eq "no user got two activation emails" "$(v max_emails_per_user)" 1
check_eq "every done job left its user PROVISIONED with one email" "$(v done_ok)" 1
check "faults were met and retried (some job needed more than one attempt)" [ "$(v retried)" -gt 0 ]
t_done
