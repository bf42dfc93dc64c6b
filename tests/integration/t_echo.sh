#!/usr/bin/env bash
# hookd's own echoes told by request, with ONE API token shared by hookd and the admin (okta-sim's
# SSWS token): the admin's create in the Admin Console (X-Sim-Console: true) and by script fire the
# rule and the user gets one activation email; hookd's own create comes back as an event that is
# journaled, counted and logged as an echo (its transaction.id is a request id hookd recorded) and
# fires nothing; an echo that arrives before its request id is recorded fires the rule like anyone's
# event, and the user still gets exactly one email because each action reads the user's status
# first. With [okta] api_token_id the token's events are echoes too, and the console's still fire.
. "$(dirname "$0")/../lib.sh"

start_sim --rate-limit off --hook-delay-ms 300 || { fail "okta-sim starts"; t_done; exit 1; }
hookd_ini() {
	cat <<INI
[okta]
org_url = $SIM_URL
api_token = $SIM_TOKEN
ca_file = $T_DIR/certs/ca.crt
max_retries = 0
$1
[worker]
threads = 2
poll = 100ms
backoff_base = 200ms
backoff_max = 1s
[rule okta-created]
on = okta:user.lifecycle.create
do = send_activation
INI
}
port=$(free_port)
write_hookd_config "$port" <<<"$(hookd_ini "")"
start_hookd || { fail "hookd starts"; cat "$T_DIR/hookd.log"; t_done; exit 1; }
"$HOOKD_BIN" okta register-hook -c "$T_DIR/hookd.ini" --url "$HOOKD_URL/hooks/okta" >/dev/null 2>&1
check_eq "event hook registered and verified" $? 0

profile() { echo "{\"profile\":{\"login\":\"$1\",\"email\":\"$1\",\"firstName\":\"E\",\"lastName\":\"Cho\"}}"; }
console_create() {
	tls_curl "$SIM_URL/api/v1/users?activate=false" -X POST -H "Authorization: SSWS $SIM_TOKEN" \
		-H 'X-Sim-Console: true' -H 'Content-Type: application/json' -d "$(profile "$1")" | jq_py 'd["id"]'
}
id_of() { sim_api GET "/api/v1/users/$1" | jq_py 'd.get("id","")'; }
status_of() { sim_api GET "/api/v1/users/$1" | jq_py 'd["status"]'; }
emails() { sim_mails login="$1"; }
rule_jobs() {
	"$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --json --limit 1000 |
		python3 -c "import json,sys; print(sum(1 for j in map(json.loads, sys.stdin) if j['rule']=='okta-created' and j['subject']=='$1'))"
}
journaled() { # login, event type: 1 when hookd journaled it
	"$HOOKD_BIN" events -c "$T_DIR/hookd.ini" --json --source okta --limit 1000 |
		python3 -c "import json,sys; print(sum(1 for e in map(json.loads, sys.stdin) if e['subject_login']=='$1' and e['type']=='$2'))"
}
echo_count() { metric_at "$HOOKD_URL" "hookd_events_echo_total{reason=\"$1\"}"; }

# 1. The admin in the Admin Console, with the same user as the token's owner: the rule fires.
login1=console.$RANDOM@example.com
uid1=$(console_create "$login1")
check "the console create fires the rule: the user becomes PROVISIONED" eventually '[ "$(status_of "$uid1")" = PROVISIONED ]' 15
check_eq "one activation email for the console-created user" "$(emails "$login1")" 1
check "hookd's activate came back as an echo (user.lifecycle.activate journaled, counted)" \
	eventually '[ "$(journaled "$login1" user.lifecycle.activate)" = 1 ] && [ "$(echo_count request_id)" -ge 1 ]' 10

# 2. The admin's script with the same token (no console): the actor is hookd's token owner, still not an echo.
login2=script.$RANDOM@example.com
uid2=$(sim_api POST "/api/v1/users?activate=false" "$(profile "$login2")" | jq_py 'd["id"]')
check "a script create with the shared token fires the rule too" eventually '[ "$(status_of "$uid2")" = PROVISIONED ]' 15
check_eq "one activation email for it" "$(emails "$login2")" 1

# 3. hookd's own create: an echo, journaled, logged with its reason, no rule fired.
login3=hookd.$RANDOM@example.com
before=$(echo_count request_id)
out=$("$HOOKD_BIN" user create "$login3" --first-name E --last-name Cho -c "$T_DIR/hookd.ini" --wait 20)
echo "    $out"
check "hookd user create made the user STAGED" grep -q "created: .* STAGED" <<<"$out"
check "hookd's create came back as an event and was journaled" eventually '[ "$(journaled "$login3" user.lifecycle.create)" = 1 ]' 10
check "it was counted as an echo by request id" eventually '[ "$(echo_count request_id)" -gt "$before" ]' 5
check "and logged at info with the reason" grep -q "\"reason\":\"request_id\",\"type\":\"user.lifecycle.create\".*\"user\":\"$login3\"" "$T_DIR/hookd.log"
sleep 1
uid3=$(id_of "$login3")
check_eq "no job from the rule for hookd's own create" "$(rule_jobs "$uid3")" 0
check_eq "the user is still STAGED, no email" "$(status_of "$uid3"):$(emails "$login3")" "STAGED:0"

# 4. The race: an echo that arrives before hookd recorded its request id is, to hookd, anyone's
# event. Okta gives no order between a call's answer and its event's delivery, so the test makes that
# moment happen: right after hookd's own create, a delivery of user.lifecycle.create for that user
# whose transaction.id hookd has not recorded. It fires the rule; then hookd's own activate runs too.
# The user gets one email: each action reads the user's status first.
login4=race.$RANDOM@example.com
out=$("$HOOKD_BIN" user create "$login4" --first-name R --last-name Ace -c "$T_DIR/hookd.ini" --wait 20)
echo "    $out"
uid4=$(id_of "$login4")
race_delivery() {
	python3 - "$uid4" "$login4" <<'PY'
import json, sys, uuid
uid, login = sys.argv[1], sys.argv[2]
req = "notYetRecorded" + uuid.uuid4().hex[:8]
ev = {"uuid": str(uuid.uuid4()), "published": "2026-01-01T00:00:00.000Z", "eventType": "user.lifecycle.create",
      "actor": {"id": "00uADMIN", "type": "User"}, "transaction": {"type": "WEB", "id": req, "detail": {}},
      "debugContext": {"debugData": {"requestId": req}},
      "target": [{"id": uid, "type": "User", "alternateId": login, "displayName": "R Ace"}]}
print(json.dumps({"eventType": "com.okta.event_hook", "eventId": str(uuid.uuid4()), "data": {"events": [ev]}}))
PY
}
code=$(tls_curl -o /dev/null -w '%{http_code}' "$HOOKD_URL/hooks/okta" -X POST -H "Authorization: $HOOK_SECRET" \
	-H 'Content-Type: application/json' -d "$(race_delivery)")
check_eq "hookd takes the early echo" "$code" 200
check_eq "it fired the rule (it cannot be told from anyone's event)" "$(rule_jobs "$uid4")" 1
check "the rule's send_activation makes the user PROVISIONED" eventually '[ "$(status_of "$uid4")" = PROVISIONED ]' 15
out=$("$HOOKD_BIN" user activate "$login4" -c "$T_DIR/hookd.ini" --wait 20)
echo "    $out"
check_eq "exactly one activation email after the race and hookd's own activate" "$(emails "$login4")" 1
check_eq "no dead jobs" "$("$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --state dead --json | wc -l)" 0

# 5. [okta] api_token_id: the token's own events are echoes; the console's are not.
token_id=$(tls_curl "$SIM_URL/sim/config" | jq_py 'd.get("ssws_token_id") or ""')
if [ -z "$token_id" ]; then
	fail "okta-sim reports its token id (GET /sim/config ssws_token_id)"
else
	stop_hookd
	hookd_ini "api_token_id = $token_id" | sed -n '/^\[okta\]/,$p' >"$T_DIR/okta.part"
	sed -i '/^\[okta\]/,$d' "$T_DIR/hookd.ini"
	cat "$T_DIR/okta.part" >>"$T_DIR/hookd.ini"
	start_hookd || { fail "hookd restarts"; t_done; exit 1; }
	before=$(echo_count api_token)
	login5=script2.$RANDOM@example.com
	uid5=$(sim_api POST "/api/v1/users?activate=false" "$(profile "$login5")" | jq_py 'd["id"]')
	check "a script create with the token is now an echo (requestApiTokenId)" eventually '[ "$(echo_count api_token)" -gt "$before" ]' 10
	sleep 1
	check_eq "it fired no rule" "$(rule_jobs "$uid5")" 0
	login6=console2.$RANDOM@example.com
	uid6=$(console_create "$login6")
	check "a console create (no token) still fires the rule" eventually '[ "$(status_of "$uid6")" = PROVISIONED ]' 15
	check_eq "one activation email for it" "$(emails "$login6")" 1
fi
t_done
