#!/usr/bin/env bash
# HR webhooks end to end against okta-sim, with the shipped BambooHR example config: a signed hire
# creates the user STAGED with the mapped profile and schedules the activation email for 09:00 on the
# start date; with hookd's clock moved to the start date the email is sent and the user is
# PROVISIONED; a leaver is deactivated and a rehire activated again; tampered, stale or unsigned
# deliveries create nothing.
. "$(dirname "$0")/../lib.sh"

start_sim --rate-limit off || { fail "okta-sim starts"; t_done; exit 1; }
port=$(free_port)
printf 'bamboo-%s' "$RANDOM$RANDOM" >"$T_DIR/bamboohr.secret"
# The example's sections, with the secret file moved into the test directory.
sed "s#/etc/hookd/bamboohr.secret#$T_DIR/bamboohr.secret#" "$T_SRC/deploy/examples/bamboohr.ini" >"$T_DIR/bamboohr.ini"
write_hookd_config "$port" <<INI
[okta]
org_url = $SIM_URL
api_token = $SIM_TOKEN
ca_file = $T_DIR/certs/ca.crt
[worker]
threads = 2
poll = 100ms
backoff_base = 200ms
backoff_max = 1s
$(cat "$T_DIR/bamboohr.ini")
INI
check "check-config accepts the BambooHR example" "$HOOKD_BIN" check-config -c "$T_DIR/hookd.ini"
start_hookd || { fail "hookd starts"; cat "$T_DIR/hookd.log"; t_done; exit 1; }

OFFSET=0
# post_bamboo BODY [TIMESTAMP] [SIGNATURE]: sends a BambooHR-signed delivery; prints the HTTP status.
post_bamboo() {
	local body=$1 ts=${2:-$(($(date +%s) + OFFSET))} sig=${3:-}
	[ -n "$sig" ] || sig=$(printf '%s%s' "$body" "$ts" | openssl dgst -sha256 -hmac "$(cat "$T_DIR/bamboohr.secret")" -r | cut -d' ' -f1)
	tls_curl "$HOOKD_URL/hooks/hr/bamboohr" -o "$T_DIR/last.body" -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "X-BambooHR-Signature: $sig" -H "X-BambooHR-Timestamp: $ts" --data-binary "$body"
}
start=$(date -u -d '+14 days' +%F)
login=new.hire.$RANDOM@example.com
hire() {
	printf '{"employees":[{"action":"Updated","id":"4242","timestamp":"%s","changedFields":["Status"],"fields":{"Work Email":"%s","First Name":"Nia","Last Name":"Okafor","Hire Date":"%s","Status":"%s","Department":"Engineering","Termination Date":"%s"}}]}' \
		"$(date -u +%FT%TZ)" "$login" "$start" "$1" "$2"
}
body=$(hire Active "")
tampered=${body/Engineering/Finance}
stale_ts=$(($(date +%s) - 3600))
check_eq "a delivery signed over other bytes is refused" \
	"$(post_bamboo "$tampered" "$(date +%s)" "$(printf '%s%s' "$body" "$(date +%s)" | openssl dgst -sha256 -hmac "$(cat "$T_DIR/bamboohr.secret")" -r | cut -d' ' -f1)")" 401
check_eq "a stale delivery (one hour old) is refused" "$(post_bamboo "$body" "$stale_ts")" 401
check "and the refusal names the failed check" grep -q "timestamp" "$T_DIR/last.body"
check_eq "an unsigned delivery is refused" \
	"$(tls_curl "$HOOKD_URL/hooks/hr/bamboohr" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$body")" 401
check_eq "nothing was journaled for them" "$("$HOOKD_BIN" events -c "$T_DIR/hookd.ini" --json | wc -l)" 0

# Paths that are not a configured source, unauthenticated: a 404 with a JSON error, never a read past
# the path (the old handler added strlen("/hooks/hr/") to "/hooks/hr"; the ASan build caught it).
for p in /hooks/hr /hooks/hr/ /hooks/hrx /hooks/hr/bamboo /hooks/hr/bamboohrx /hooks/hr/bamboohr/x; do
	code=$(tls_curl "$HOOKD_URL$p" -o "$T_DIR/last.body" -w '%{http_code}' -X POST --data-binary '{}')
	check_eq "POST $p is answered 404" "$code" 404
	check_eq "with a JSON error" "$(jq_py '"error" in d and "message" in d' <"$T_DIR/last.body")" True
done
check_eq "and hookd is still up" "$(tls_curl "$HOOKD_URL/healthz" -o /dev/null -w '%{http_code}')" 200

check_eq "the signed hire is accepted" "$(post_bamboo "$body")" 200
user_json() { sim_api GET "/api/v1/users/$login"; }
check "the user is created in Okta" eventually 'user_json | grep -q "\"id\""' 15
check_eq "STAGED, not yet activated" "$(user_json | jq_py 'd["status"]')" STAGED
check_eq "with the mapped first name" "$(user_json | jq_py 'd["profile"]["firstName"]')" Nia
check_eq "and last name" "$(user_json | jq_py 'd["profile"]["lastName"]')" Okafor
check_eq "and department" "$(user_json | jq_py 'd["profile"]["department"]')" Engineering
run_at=$("$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --json | python3 -c "import json,sys; print([j['run_at'] for j in map(json.loads, sys.stdin) if j['action']=='send_activation'][0])")
check_eq "the activation email is scheduled for 09:00 on the start date" "$run_at" "${start}T09:00:00.000Z"
check_eq "no email yet" "$(tls_curl "$SIM_URL/sim/outbox" | jq_py 'len(d)')" 0
check_eq "a redelivery of the hire is acknowledged" "$(post_bamboo "$body")" 200
check_eq "and moves the pending job instead of adding one" \
	"$("$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --state pending --json | python3 -c "import json,sys; print(sum(1 for j in map(json.loads, sys.stdin) if j['action']=='send_activation'))")" 1

# Two weeks later: hookd restarts with its clock on the start date at 10:00 UTC.
stop_hookd
OFFSET=$(($(date -u -d "$start 10:00" +%s) - $(date +%s)))
HOOKD_CLOCK_OFFSET=$OFFSET start_hookd || fail "hookd restarts with its clock on the start date"
export -n HOOKD_CLOCK_OFFSET
check "on the start date the user becomes PROVISIONED" eventually '[ "$(user_json | jq_py "d[\"status\"]")" = PROVISIONED ]' 15
check_eq "with exactly one activation email" "$(sim_mails login="$login" kind=activation)" 1

# The leaver (an offer withdrawn): Status Inactive, a termination date that has passed (18:00 the day
# before, by hookd's clock): deactivated at once.
check_eq "the leaver delivery is accepted" "$(post_bamboo "$(hire Inactive "$(date -u -d "$start -1 day" +%F)")")" 200
check "the user is deactivated" eventually '[ "$(user_json | jq_py "d[\"status\"]")" = DEPROVISIONED ]' 15

# The rehire: Active again. The login is reused (no second user) and activated again.
check_eq "the rehire delivery is accepted" "$(post_bamboo "$(hire Active "")")" 200
check "the rehired user is PROVISIONED again" eventually '[ "$(user_json | jq_py "d[\"status\"]")" = PROVISIONED ]' 15
check_eq "with a second activation email" "$(sim_mails login="$login" kind=activation)" 2
check_eq "and still one user with that login" "$(sim_api GET "/api/v1/users?limit=200" | python3 -c "import json,sys; print(sum(1 for u in json.load(sys.stdin) if u['profile']['login']=='$login'))")" 1

# A payload the mapping cannot read: 422, kept as rejected, no job.
check_eq "an unmappable payload is answered 422" "$(post_bamboo '{"employees":[{"action":"Updated"}]}')" 422
check "the 422 names the missing field" grep -q "map.employee_id" "$T_DIR/last.body"
check_eq "it is journaled as rejected" \
	"$("$HOOKD_BIN" events -c "$T_DIR/hookd.ini" --json | python3 -c "import json,sys; print(sum(1 for e in map(json.loads, sys.stdin) if e['status']=='rejected'))")" 1
check_eq "no job is dead" "$("$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --state dead --json | wc -l)" 0
t_done
