#!/usr/bin/env bash
# The activation-email flow end to end, with real processes and TLS: okta-sim creates a STAGED user
# and delivers user.lifecycle.create to hookd (an event hook registered and verified by
# `hookd okta register-hook`); hookd's worker sends the activation email; the user is PROVISIONED,
# never ACTIVE; `hookd user resend` sends a second; after the simulated click the user is ACTIVE and
# a further resend sends nothing; duplicate deliveries send one email. hookd talks to the org as an
# OAuth service app (private_key_jwt, ES256); the test plays the Okta admin with an SSWS token, so
# the events hookd's own calls cause carry hookd's identity and fire no rule.
. "$(dirname "$0")/../lib.sh"

port=$(free_port)
start_activation_stack "$port" --no-hook <<INI
[worker]
threads = 2
poll = 100ms
backoff_base = 200ms
backoff_max = 1s
[rule okta-created]
on = okta:user.lifecycle.create
do = send_activation
INI
client_id=$APP_ID
ok "okta-sim listening at $SIM_URL"
ok "hookd listening at $HOOKD_URL"

out=$("$HOOKD_BIN" okta register-hook -c "$T_DIR/hookd.ini" --url "$HOOKD_URL/hooks/okta" 2>&1)
rc=$?
echo "$out" | sed 's/^/    /'
check_eq "register-hook exits 0 (hook VERIFIED through the GET challenge)" "$rc" 0
check "the hook is listed as VERIFIED" grep -q VERIFIED <<<"$("$HOOKD_BIN" okta hooks -c "$T_DIR/hookd.ini")"

login=ann.lee.$RANDOM@example.com
user=$(sim_api POST "/api/v1/users?activate=false" "{\"profile\":{\"login\":\"$login\",\"email\":\"$login\",\"firstName\":\"Ann\",\"lastName\":\"Lee\"}}")
uid=$(jq_py 'd["id"]' <<<"$user")
check_eq "okta-sim created the user STAGED" "$(jq_py 'd["status"]' <<<"$user")" STAGED

status_of() { sim_api GET "/api/v1/users/$uid" | jq_py 'd["status"]'; }
emails() { sim_mails user_id="$uid" kind="$1"; }
check "the user becomes PROVISIONED within 10 s" eventually '[ "$(status_of)" = PROVISIONED ]' 10
check_eq "one activation email in the outbox" "$(emails activation)" 1
check_eq "the user is not ACTIVE" "$(status_of)" PROVISIONED
check "the journal holds the user.lifecycle.create event" \
	grep -q "\"subject_id\": *\"$uid\"" <<<"$("$HOOKD_BIN" events -c "$T_DIR/hookd.ini" --json --source okta | python3 -c 'import json,sys; [print(json.dumps({"type":e["type"],"subject_id":e["subject_id"]})) for e in map(json.loads, sys.stdin) if e["type"]=="user.lifecycle.create"]')"

# Duplicate deliveries: the sim re-sends the same body (same eventId and uuid).
seq=$(tls_curl "$SIM_URL/sim/deliveries" | python3 -c "import json,sys; print([d['seq'] for d in json.load(sys.stdin) if 'user.lifecycle.create' in d['event_types']][-1])")
tls_curl "$SIM_URL/sim/hooks/redeliver" -X POST -d "{\"seq\":$seq}" -H 'Content-Type: application/json' >/dev/null
tls_curl "$SIM_URL/sim/hooks/redeliver" -X POST -d "{\"seq\":$seq}" -H 'Content-Type: application/json' >/dev/null
check "the redeliveries are acknowledged as duplicates" eventually \
	'tls_curl "$HOOKD_URL/metrics" | grep -qE "^hookd_events_duplicate_total\{source=\"okta\"\} [2-9]"' 10
sleep 1
check_eq "still one activation email after the duplicates" "$(emails activation)" 1

# Operator resend: reactivate?sendEmail=true.
out=$("$HOOKD_BIN" user resend "$login" -c "$T_DIR/hookd.ini" --wait 20)
echo "    $out"
check "hookd user resend reports reactivate?sendEmail=true" grep -q "reactivate?sendEmail=true" <<<"$out"
check_eq "a reactivation email was sent" "$(emails reactivation)" 1
check_eq "the user is still PROVISIONED" "$(status_of)" PROVISIONED

# The person clicks the newest link: ACTIVE.
token=$(sim_last_token "$uid")
tls_curl "$SIM_URL/sim/activate/$token" -X POST >/dev/null
check_eq "after the click the user is ACTIVE" "$(status_of)" ACTIVE
out=$("$HOOKD_BIN" user resend "$login" -c "$T_DIR/hookd.ini" --wait 20)
echo "    $out"
check "a resend to an ACTIVE user does nothing, and says so" grep -q "nothing to do" <<<"$out"
check_eq "no further email" "$(sim_mails user_id="$uid")" 2

# Operator create + activate through the journal: STAGED, then PROVISIONED.
login2=bo.$RANDOM@example.com
out=$("$HOOKD_BIN" user create "$login2" --first-name Bo --last-name Ek -c "$T_DIR/hookd.ini" --wait 20)
echo "    $out"
check "hookd user create creates the user STAGED" grep -q "created: .* STAGED" <<<"$out"
out=$("$HOOKD_BIN" user create "$login2" --first-name Bo --last-name Ek -c "$T_DIR/hookd.ini" --wait 20)
check "creating it again reuses the existing login" grep -q "exists: " <<<"$out"
self_events() {
	"$HOOKD_BIN" events -c "$T_DIR/hookd.ini" --json --limit 1000 | python3 -c "import json,sys; print(sum(1 for e in map(json.loads, sys.stdin) if e['type']=='user.lifecycle.create' and e['subject_login']=='$login2' and e['actor_id']=='$client_id'))"
}
check "hookd's own create came back as an event carrying its identity" eventually '[ "$(self_events)" = 1 ]' 10
check_eq "and fired no rule: no job from rule okta-created for it" \
	"$("$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --json --limit 1000 | python3 -c "import json,sys; print(sum(1 for j in map(json.loads, sys.stdin) if j['rule']=='okta-created' and j['subject']!='$uid'))")" 0
out=$("$HOOKD_BIN" user activate "$login2" -c "$T_DIR/hookd.ini" --wait 20)
echo "    $out"
check "hookd user activate: STAGED -> PROVISIONED with sendEmail=true" grep -q "activate?sendEmail=true: .* STAGED -> PROVISIONED" <<<"$out"

# The rate limits okta-sim announced, per bucket, as /metrics last saw them.
tls_curl "$HOOKD_URL/metrics" >"$T_DIR/metrics.txt"
check "Okta rate-limit limit per bucket in /metrics" grep -qE '^hookd_okta_rate_limit\{bucket="[a-z_]+"\} [1-9]' "$T_DIR/metrics.txt"
check "Okta rate-limit remaining per bucket in /metrics" grep -qE '^hookd_okta_rate_limit_remaining\{bucket="[a-z_]+"\} [0-9]' "$T_DIR/metrics.txt"

# Nothing is left pending or dead.
check_eq "no dead jobs" "$("$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --state dead --json | wc -l)" 0
t_done
