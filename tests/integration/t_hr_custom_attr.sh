#!/usr/bin/env bash
# An HR mapping to a custom Okta attribute (map.okta.<attr>): while the attribute is not in Okta's user
# schema the create job dies at once with Okta's cause naming it (no retries); once the schema has it
# the next hire is created with the value. update_profile reads the status first: a DEPROVISIONED user
# gets no update call (Okta would refuse it), and the job, done, says why. Two sources hiring the same
# person at once race their creates: the loser's E0000001 meets okta-sim's search lag (its find sees
# nothing yet) and retries instead of failing, and both jobs end done with one user.
. "$(dirname "$0")/../lib.sh"

# a search lag (3 s) far longer than the race below takes, even on a busy machine
start_sim --rate-limit off --search-lag-ms 3000 || { fail "okta-sim starts"; t_done; exit 1; }
port=$(free_port)
printf 'people-%s' "$RANDOM$RANDOM" >"$T_DIR/people.secret"
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
[source people]
scheme = hmac
secret_file = $T_DIR/people.secret
signature_header = X-Signature
algorithm = sha256
encoding = hex
signed = {body}
content = json
map.type = /type
map.employee_id = /id
map.email = /email
map.first_name = /first
map.last_name = /last
map.okta.costCentre = ?/cost_centre
[source people2]
scheme = hmac
secret_file = $T_DIR/people.secret
signature_header = X-Signature
algorithm = sha256
encoding = hex
signed = {body}
content = json
map.type = /type
map.employee_id = /id
map.email = /email
map.first_name = /first
map.last_name = /last
[rule people2-create]
on = hr:people2:hire
do = create_user
[rule people-create]
on = hr:people:hire
do = create_user
[rule people-update]
on = hr:people:change
do = update_profile
INI
check "check-config accepts map.okta.<attr>" "$HOOKD_BIN" check-config -c "$T_DIR/hookd.ini"
start_hookd || { fail "hookd starts"; cat "$T_DIR/hookd.log"; t_done; exit 1; }

post() {
	local sig
	sig=$(printf '%s' "$1" | openssl dgst -sha256 -hmac "$(cat "$T_DIR/people.secret")" -r | cut -d' ' -f1)
	tls_curl "$HOOKD_URL/hooks/hr/${2:-people}" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "X-Signature: $sig" --data-binary "$1"
}
person() { printf '{"type":"%s","id":"%s","email":"%s","first":"Ada","last":"Byron","cost_centre":"%s"}' "$@"; }
jobs_json() { "$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --json; }
job() { jobs_json | jsonl_py "[j for j in d if j['action'] == '$1' and j['state'] in ('done', 'dead')][${2:-0}]$3"; }

check_eq "the hire is accepted" "$(post "$(person hire e1 ada1@example.com CC-7)")" 200
check "its create job settles" eventually '[ -n "$(job create_user 0 "['\''state'\'']" 2>/dev/null)" ]' 15
check_eq "dead: Okta refuses an attribute its schema lacks" "$(job create_user 0 "['state']")" dead
check_eq "after one attempt (a schema refusal is final)" "$(job create_user 0 "['attempts']")" 1
err=$(jobs_json | jsonl_py "[j for j in d if j['action'] == 'create_user'][0]")
echo "  create job: $err"
check "the error names the attribute and Okta's cause" grep -q "Property name 'costCentre' is not defined in profile" <<<"$err"
check "and Okta's code" grep -q "E0000001" <<<"$err"
check_eq "no user was created" "$(sim_api GET /api/v1/users/ada1@example.com | jq_py 'd.get("errorCode")')" E0000007

sim_api POST /api/v1/meta/schemas/user/default \
	'{"definitions":{"custom":{"properties":{"costCentre":{"title":"Cost centre","type":"string"}}}}}' >/dev/null
check_eq "with the attribute in the schema, the next hire is accepted" "$(post "$(person hire e2 ada2@example.com CC-8)")" 200
check "and created with it" eventually \
	'[ "$(sim_api GET /api/v1/users/ada2@example.com | jq_py "d.get(\"profile\", {}).get(\"costCentre\")")" = CC-8 ]' 15

id=$(sim_api GET /api/v1/users/ada2@example.com | jq_py 'd["id"]')
sim_api POST "/api/v1/users/$id/lifecycle/deactivate" >/dev/null
tls_curl -X DELETE "$SIM_URL/sim/requests" >/dev/null
check_eq "a change for the deactivated user is accepted" "$(post "$(person change e2 ada2@example.com CC-9)")" 200
check "its update job settles" eventually '[ -n "$(job update_profile 0 "['\''state'\'']" 2>/dev/null)" ]' 15
check_eq "nothing to do for a DEPROVISIONED user: done" "$(job update_profile 0 "['state']")" done
check "the job says why" grep -q "nothing to do: DEPROVISIONED" <<<"$(jobs_json | jsonl_py "[j for j in d if j['action'] == 'update_profile'][0]")"
check_eq "hookd read the user and sent no update" \
	"$(tls_curl "$SIM_URL/sim/requests" | jq_py "[r['method'] for r in d['requests'] if r['path'].startswith('/api/v1/users/')]")" '["GET"]'
check_eq "the profile is unchanged" "$(sim_api GET "/api/v1/users/$id" | jq_py 'd["profile"]["costCentre"]')" CC-8

# The race: every Okta call takes 300 ms, so both jobs read "not found" before either creates.
tls_curl -X DELETE "$SIM_URL/sim/requests" >/dev/null
tls_curl -X POST "$SIM_URL/sim/faults" -d '{"latency_ms":300,"latency_rate":1}' >/dev/null
hire3='{"type":"hire","id":"e3","email":"race@example.com","first":"Rae","last":"Ce"}'
check_eq "the same hire from two sources is accepted twice" "$(post "$hire3") $(post "$hire3" people2)" "200 200"
race_jobs() { jobs_json | jsonl_py "[j for j in d if j['action'] == 'create_user' and j['subject'] == 'race@example.com']"; }
check "both create jobs settle" eventually '[ "$(race_jobs | jq_py "sum(j[\"state\"] in (\"done\", \"dead\") for j in d)")" = 2 ]' 20
check_eq "both done" "$(race_jobs | jq_py '[j["state"] for j in d]')" '["done", "done"]'
check_eq "one user" "$(sim_api GET /sim/users | jq_py "sum(u['profile']['login'] == 'race@example.com' for u in d)")" 1
creates=$(tls_curl "$SIM_URL/sim/requests" | jq_py "sorted(r['status'] for r in d['requests'] if r['method'] == 'POST' and r['path'] == '/api/v1/users')")
echo "  createUser answers: $creates; jobs: $(race_jobs | jq_py '[(j["attempts"], j["result"], j["last_error"]) for j in d]')"
if [ "$creates" = "[200, 400]" ]; then
	check "the loser's find met the lag and retried, not failed" grep -q "not searchable yet" <<<"$(race_jobs)"
else
	check_eq "no race this run (the jobs ran one after the other): one create" "$creates" "[200]"
fi
tls_curl -X DELETE "$SIM_URL/sim/faults" >/dev/null

t_done
