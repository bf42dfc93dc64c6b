#!/usr/bin/env bash
# t_admin_api.sh: the admin API on its own TLS listener: bearer token, filters and cursors, retry and
# cancel journaled as admin events, sources with refusal reasons, the onboarding list (a person
# activated through hookd goes stuck at its first follow-up and is listed before a later one), the
# overview's stuck count and Okta rate windows, sessions with CSRF, sign-in throttle; every answer validated against docs/admin-api.yaml (tests/sdk-node/admin-check.js, ajv).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
NODE_DIR=$T_SRC/tests/sdk-node
command -v node >/dev/null || { echo "SKIP: no node"; exit 77; }
[ -d "$NODE_DIR/node_modules/ajv" ] || { echo "SKIP: tests/sdk-node has no node_modules (scripts/setup.sh --test)"; exit 77; }

start_sim || { fail "okta-sim starts"; t_done; exit 1; }
APORT=$(free_port)
ADMIN_TOKEN=admin-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s' "$ADMIN_TOKEN" >"$T_DIR/admin.token"
printf 'whsec_%s' "$(head -c 24 /dev/urandom | base64)" >"$T_DIR/hr.secret"
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
[activation]
# the first follow-up 3 s after the link went out, and no resend before a person is stuck
link_ttl = 1h
resend_before = 3597s
max_resends = 0
[rule leaver]
on = okta:user.lifecycle.deactivate
do = deactivate_user
[rule later]
on = okta:user.account.update_profile
do = update_profile
delay = 1h
[source people]
scheme = standard-webhooks
secret_file = $T_DIR/hr.secret
map.type = /type
map.employee_id = /data/id
map.email = /data/work_email
map.first_name = /data/first_name
map.last_name = /data/last_name
INI
check "hookd check-config accepts [admin]" "$HOOKD_BIN" check-config -c "$HOOKD_CONFIG" >/dev/null
start_hookd || { fail "hookd starts"; t_done; exit 1; }
ADMIN_URL=https://127.0.0.1:$APORT
wait_url "$ADMIN_URL/healthz"
check "the admin listener is not the hook port" test "$APORT" != "$HOOKD_PORT"
code=$(tls_curl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN_TOKEN" "$HOOKD_URL/api/overview")
check_eq "the hook port does not serve the admin API" "$code" 404

# Every job dies at its first Okta call (500, max_attempts = 1).
tls_curl "$SIM_URL/sim/faults" -X POST -H 'Content-Type: application/json' -d '{"error_rate":1.0,"status":500}' >/dev/null
okta_event() { # uuid type login
	printf '{"data":{"events":[{"uuid":"%s","eventType":"%s","published":"2026-01-01T00:00:00Z","actor":{"id":"00uadmin"},"target":[{"type":"User","id":"00u%s","alternateId":"%s","displayName":"Test"}]}]}}' "$1" "$2" "$RANDOM" "$3"
}
for e in "e1 user.lifecycle.create ann@example.com" "e2 user.lifecycle.deactivate carol@example.com" "e3 user.account.update_profile bob@example.com"; do
	set -- $e
	code=$(tls_curl -o /dev/null -w '%{http_code}' -H "Authorization: $HOOK_SECRET" -H 'Content-Type: application/json' \
		"$HOOKD_URL/hooks/okta" -d "$(okta_event "$1" "$2" "$3")")
	check_eq "delivery $1 accepted" "$code" 200
done
code=$(tls_curl -o /dev/null -w '%{http_code}' -H 'Authorization: wrong-secret' -H 'Content-Type: application/json' \
	"$HOOKD_URL/hooks/okta" -d "$(okta_event e9 user.lifecycle.create x@example.com)")
check_eq "a delivery with a wrong secret is refused" "$code" 401
dead() { "$HOOKD_BIN" jobs -c "$HOOKD_CONFIG" --state dead --json | grep -q deactivate_user; }
check "the leaver's job dies under the faults" eventually dead 15
tls_curl "$SIM_URL/sim/faults" -X DELETE >/dev/null

# The onboarding list: one person stuck (activated, never clicked), then one who clicked, activated later.
STUCK_LOGIN=stuck.$RANDOM@example.com
FRESH_LOGIN=fresh.$RANDOM@example.com
mk_user() { sim_api POST "/api/v1/users?activate=false" "{\"profile\":{\"login\":\"$1\",\"email\":\"$1\",\"firstName\":\"N\",\"lastName\":\"H\"}}" | jq_py 'd["id"]'; }
person_state() {
	tls_curl -H "Authorization: Bearer $ADMIN_TOKEN" "$ADMIN_URL/api/people?login=$1" |
		python3 -c "import json,sys; p=json.load(sys.stdin)['people']; print(p[0]['state'] if p else '')"
}
mk_user "$STUCK_LOGIN" >/dev/null
"$HOOKD_BIN" user activate "$STUCK_LOGIN" -c "$HOOKD_CONFIG" --wait 20 >/dev/null
check "an activated person who never clicks is stuck at the first follow-up" eventually '[ "$(person_state "$STUCK_LOGIN")" = stuck ]' 15
fresh_id=$(mk_user "$FRESH_LOGIN")
"$HOOKD_BIN" user activate "$FRESH_LOGIN" -c "$HOOKD_CONFIG" --wait 20 >/dev/null
token=$(sim_last_token "$fresh_id")
tls_curl "$SIM_URL/sim/activate/$token" -X POST >/dev/null
check "the later person is listed, not stuck" grep -Eqx 'pending|active' <<<"$(person_state "$FRESH_LOGIN")"

out=$(cd "$NODE_DIR" && STUCK_LOGIN=$STUCK_LOGIN FRESH_LOGIN=$FRESH_LOGIN ADMIN_URL=$ADMIN_URL ADMIN_TOKEN=$ADMIN_TOKEN ADMIN_SPEC=$T_SRC/docs/admin-api.yaml \
	NODE_EXTRA_CA_CERTS=$T_DIR/certs/ca.crt node admin-check.js 2>&1)
rc=$?
echo "$out"
check "every admin API answer matches docs/admin-api.yaml and the checks pass" test "$rc" = 0
check "the admin events name who made them in the journal" sh -c "'$HOOKD_BIN' events -c '$HOOKD_CONFIG' --source admin --json | grep -q '\"actor_id\":\"api\"'"
check "the admin token is never logged" sh -c "! grep -q '$ADMIN_TOKEN' '$T_DIR/hookd.log'"
t_done
