#!/usr/bin/env bash
# t_admin_console.sh: the admin console in Debian's chromium (headless, puppeteer-core, axe-core):
# sign-in, a delivery appearing, its detail, a dead job retried to done (a job held behind it shown, then
# released), the people list, resend, hostile text, CSP,
# accessibility, sign-out (tests/sdk-node/console-check.js). Screenshots go to build/.../admin-console/.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
NODE_DIR=$T_SRC/tests/sdk-node
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
command -v node >/dev/null || { echo "SKIP: no node"; exit 77; }
[ -x "$CHROMIUM" ] || { echo "SKIP: no chromium at $CHROMIUM (scripts/setup.sh --test installs it)"; exit 77; }
[ -d "$NODE_DIR/node_modules/puppeteer-core" ] || { echo "SKIP: no puppeteer-core in tests/sdk-node (scripts/setup.sh --test)"; exit 77; }

start_sim || { fail "okta-sim starts"; t_done; exit 1; }
APORT=$(free_port)
ADMIN_TOKEN=admin-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s' "$ADMIN_TOKEN" >"$T_DIR/admin.token"
write_hookd_config "$(free_port)" <<INI
[admin]
listen = 127.0.0.1:$APORT
token_file = $T_DIR/admin.token
[okta]
org_url = $SIM_URL
api_token = $SIM_TOKEN
ca_file = $T_DIR/certs/ca.crt
max_retries = 0
timeout = 3s
[worker]
threads = 1
poll = 100ms
max_attempts = 1
[rule leaver]
on = okta:user.lifecycle.deactivate
do = deactivate_user
INI
start_hookd || { fail "hookd starts"; t_done; exit 1; }
ADMIN_URL=https://127.0.0.1:$APORT
wait_url "$ADMIN_URL/healthz"
carol=$(sim_api POST "/api/v1/users?activate=true" \
	'{"profile":{"login":"carol@example.com","email":"carol@example.com","firstName":"Carol","lastName":"Leaver"}}' | jq_py 'd["id"]')
check "okta-sim has the leaver" test -n "$carol"
# a person hookd activated, for the people list (before the faults: the activation must go through)
PERSON_LOGIN=ann.$RANDOM@example.com
sim_api POST "/api/v1/users?activate=false" \
	"{\"profile\":{\"login\":\"$PERSON_LOGIN\",\"email\":\"$PERSON_LOGIN\",\"firstName\":\"Ann\",\"lastName\":\"New\"}}" >/dev/null
check "hookd user activate sends the person's activation" "$HOOKD_BIN" user activate "$PERSON_LOGIN" -c "$HOOKD_CONFIG" --wait 20
tls_curl "$SIM_URL/sim/faults" -X POST -H 'Content-Type: application/json' -d '{"error_rate":1.0,"status":500}' >/dev/null
tls_curl -o /dev/null -H "Authorization: $HOOK_SECRET" -H 'Content-Type: application/json' "$HOOKD_URL/hooks/okta" \
	-d '{"data":{"events":[{"uuid":"leaver-1","eventType":"user.lifecycle.deactivate","published":"2026-01-01T00:00:00Z","actor":{"id":"00uadmin"},"target":[{"type":"User","id":"'"$carol"'","alternateId":"carol@example.com"}]}]}}'
tls_curl -o /dev/null -H 'Authorization: wrong-secret' -H 'Content-Type: application/json' "$HOOKD_URL/hooks/okta" -d '{}'
dead() { "$HOOKD_BIN" jobs -c "$HOOKD_CONFIG" --state dead --json | grep -q deactivate_user; }
check "the leaver's job dies under the faults" eventually dead 15
# a pending job a claim found waiting behind the dead one (far ahead, so the worker leaves it): the
# console says so, and retrying the dead job changes it, which clears the mark (migration 8's trigger)
DEAD_ID=$("$HOOKD_BIN" jobs -c "$HOOKD_CONFIG" --state dead --json | jsonl_py 'd[0]["id"]')
HELD_ID=$(python3 - "$T_DIR/hookd.db" "$DEAD_ID" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
c = db.execute("INSERT INTO jobs (action, subject, person, state, run_at_ms, created_ms, updated_ms, held_by, params)"
               " VALUES ('update_profile', 'carol@example.com', 'carol@example.com', 'pending', 9000000000000, 1, 1, ?,"
               " '{}')", (int(sys.argv[2]),))
db.commit()
print(c.lastrowid)
EOF
)
check "a held job is added behind the dead one" test -n "$HELD_ID" -a -n "$DEAD_ID"

SHOT_DIR=${HOOKD_BUILD:-$T_SRC/build/release}/admin-console
out=$(cd "$NODE_DIR" && HELD_ID=$HELD_ID PERSON_LOGIN=$PERSON_LOGIN ADMIN_URL=$ADMIN_URL ADMIN_TOKEN=$ADMIN_TOKEN HOOK_URL=$HOOKD_URL/hooks/okta HOOK_SECRET=$HOOK_SECRET \
	SIM_URL=$SIM_URL SHOT_DIR=$SHOT_DIR CHROMIUM=$CHROMIUM NODE_EXTRA_CA_CERTS=$T_DIR/certs/ca.crt \
	timeout 180 node console-check.js 2>&1)
rc=$?
echo "$out"
check "the console passes every browser check (screenshots in $SHOT_DIR)" test "$rc" = 0
check_eq "the retried leaver is DEPROVISIONED in okta-sim" "$(sim_api GET "/api/v1/users/$carol" | jq_py 'd["status"]')" DEPROVISIONED
check "the console's changes are journaled as admin events naming the signed-in person" \
	sh -c "'$HOOKD_BIN' events -c '$HOOKD_CONFIG' --source admin --json | grep -q '\"actor_id\":\"console:Console Tester\"'"
t_done
