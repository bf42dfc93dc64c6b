#!/usr/bin/env bash
# t_okta_sim_strict.sh: okta-sim refuses what Okta refuses (user schema, lengths, groupIds, DEPROVISIONED
# updates, auth codes, hook types and limits), lags its search index, shows transitions, and ties every
# event to the request that caused it (X-Okta-Request-Id, requestApiTokenId, X-Sim-Console).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
if [ ! -x "$SIM_BIN" ]; then
	echo "SKIP: okta-sim not built at $SIM_BIN"
	exit 77
fi
# lag and transition long enough that a busy machine still reads inside them
start_sim --search-lag-ms 2500 --transition-ms 2500 || { fail "okta-sim did not start"; t_done; exit 1; }

# call METHOD PATH [JSON [curl args]]: SSWS call; sets CODE, BODY (file), HDRS (file)
call() {
	local m=$1 p=$2 d=${3-}
	shift 2
	[ $# -gt 0 ] && shift
	local a=(-o "$T_DIR/body" -D "$T_DIR/hdrs" -w '%{http_code}' -X "$m" -H "Authorization: SSWS $SIM_TOKEN")
	[ -n "$d" ] && a+=(-H 'Content-Type: application/json' --data-binary "$d")
	CODE=$(tls_curl "${a[@]}" "$@" "$SIM_URL$p")
}
j() { jq_py "$1" <"$T_DIR/body"; }
hdr() { grep -i "^$1:" "$T_DIR/hdrs" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
user() { printf '{"profile":{"login":"%s","email":"%s","firstName":"%s","lastName":"L"%s}%s}' "$1" "$1" "${2:-F}" "${3:-}" "${4:-}"; }

echo "# the user schema"
call GET /api/v1/meta/schemas/user/default
check_eq "getUserSchema: firstName maxLength" "$CODE $(j "d['definitions']['base']['properties']['firstName']['maxLength']")" "200 50"
check_eq "no custom properties yet" "$(j "d['definitions']['custom']['properties']")" "{}"
call GET /api/v1/meta/schemas/user/oty00000000000000000
check_eq "another schema id: 404 E0000007" "$CODE $(j "d['errorCode']")" "404 E0000007"
call POST "/api/v1/users?activate=false" "$(user a1@example.com F ',"costCentre":"CC1"')"
check_eq "unknown attribute: 400 E0000001" "$CODE $(j "d['errorCode']")" "400 E0000001"
check_eq "...the cause names it" "$(j "d['errorCauses'][0]['errorSummary']")" "Property name 'costCentre' is not defined in profile"
call GET "/sim/users"
check_eq "...and nothing was created" "$(tls_curl "$SIM_URL/sim/users" | jq_py 'len(d)')" 0
call POST "/api/v1/users?activate=false" "$(user a1@example.com "$(printf 'x%.0s' $(seq 51))")"
check_eq "firstName of 51 characters: 400 E0000001" "$CODE $(j "d['errorCauses'][0]['errorSummary']")" \
	"400 firstName: The field cannot exceed 50 characters"
call POST "/api/v1/users?activate=false" "$(user a1@example.com "$(printf 'é%.0s' $(seq 50))")"
check_eq "50 two-byte characters fit (characters, not bytes)" "$CODE" 200
call POST "/api/v1/users?activate=false" "$(user a2@example.com F ',"title":7')"
check_eq "a number for a string attribute: 400" "$CODE $(j "d['errorCauses'][0]['errorSummary']")" \
	"400 title: The value must be of type string"
call POST /api/v1/meta/schemas/user/default '{"definitions":{"custom":{"properties":{"costCentre":{"title":"Cost centre","type":"string","maxLength":6},"level":{"title":"Level","type":"integer"}}}}}'
check_eq "updateUserProfile adds custom properties" "$CODE $(j "sorted(d['definitions']['custom']['properties'])")" \
	'200 ["costCentre", "level"]'
call POST /api/v1/meta/schemas/user/default '{"definitions":{"custom":{"properties":{"9lives":{"title":"x","type":"string"}}}}}'
check_eq "a property name starting with a digit: 400 E0000001" "$CODE $(j "d['errorCode']")" "400 E0000001"
call POST /api/v1/meta/schemas/user/default '{"definitions":{"custom":{"properties":{"email":{"title":"x","type":"string"}}}}}'
check_eq "a base property redefined: 400" "$CODE" 400
call POST /api/v1/meta/schemas/user/default '{"definitions":{"custom":{"properties":{"x":{"title":"x","type":"date"}}}}}'
check_eq "an unknown type: 400" "$CODE" 400
call POST /api/v1/meta/schemas/user/default '{"definitions":'
check_eq "a malformed body: 400 E0000003" "$CODE $(j "d['errorCode']")" "400 E0000003"
call GET /api/v1/meta/schemas/user/default
check_eq "refused updates changed nothing" "$(j "sorted(d['definitions']['custom']['properties'])")" '["costCentre", "level"]'
call POST "/api/v1/users?activate=false" "$(user a3@example.com F ',"costCentre":"CC1","level":3')"
check_eq "custom attributes accepted once in the schema" "$CODE $(j "d['profile']['costCentre']") $(j "d['profile']['level']")" "200 CC1 3"
U3=$(j "d['id']")
check_eq "unset nullable base attributes are null" "$(j "d['profile']['mobilePhone']")" None
call POST "/api/v1/users/$U3" '{"profile":{"costCentre":"TOOLONG7"}}'
check_eq "update over a custom maxLength: 400" "$CODE $(j "d['errorCauses'][0]['errorSummary']")" \
	"400 costCentre: The field cannot exceed 6 characters"
call POST "/api/v1/users/$U3" '{"profile":{"level":"three"}}'
check_eq "update with the wrong type: 400" "$CODE" 400
call POST /api/v1/meta/schemas/user/default '{"definitions":{"custom":{"properties":{"level":null}}}}'
check_eq "null removes a custom property" "$CODE $(j "sorted(d['definitions']['custom']['properties'])")" '200 ["costCentre"]'

echo "# groupIds"
G21=$(python3 -c 'import json; print(json.dumps(["00g%017d" % i for i in range(21)]))')
call POST "/api/v1/users?activate=false" "$(user g1@example.com F '' ",\"groupIds\":$G21")"
check_eq "21 groupIds: 400 E0000093" "$CODE $(j "d['errorCode']") $(j "d['errorSummary']")" "400 E0000093 Target count limit exceeded"
call POST "/api/v1/users?activate=false" "$(user g1@example.com F '' ',"groupIds":["00gnosuchgroup0000001"]')"
check_eq "an unknown group id: 404 E0000007" "$CODE $(j "d['errorCode']")" "404 E0000007"
# 99 ASCII bytes, then an e-acute on bytes 100-101: the message's 100-byte cut falls inside it
call POST "/api/v1/users?activate=false" "$(user g1@example.com F '' ",\"groupIds\":[\"$(printf 'g%.0s' $(seq 99))\u00e9\"]")"
check_eq "a long non-ASCII group id is cut before the character, not inside it" \
	"$CODE $(j "d['errorSummary'] == 'Not found: Resource not found: ' + 'g' * 99 + ' (UserGroup)'")" "404 True"
GID=$(tls_curl -X POST "$SIM_URL/sim/groups" -d '{}' | jq_py "d['id']")
call POST "/api/v1/users?activate=false" "$(user g1@example.com F '' ",\"groupIds\":[\"$GID\"]")"
check_eq "an existing group id: 200" "$CODE" 200

echo "# the search index lags (--search-lag-ms 2500); getUser does not"
call POST "/api/v1/users?activate=false" "$(user lag@example.com)"
LAG_ID=$(j "d['id']")
call GET /api/v1/users "" -G --data-urlencode 'filter=profile.login eq "lag@example.com"'
check_eq "filter right after the create: not yet" "$CODE $(j 'len(d)')" "200 0"
call GET /api/v1/users/lag@example.com
check_eq "getUser by login at once" "$CODE $(j "d['id']")" "200 $LAG_ID"
check "filter finds it after the lag" eventually \
	"[ \"\$(tls_curl -H 'Authorization: SSWS $SIM_TOKEN' '$SIM_URL/api/v1/users?search=profile.login%20eq%20%22lag@example.com%22' | jq_py 'len(d)')\" = 1 ]" 15

echo "# transitions (--transition-ms 2500), activated, DEPROVISIONED"
call POST "/api/v1/users/$LAG_ID/lifecycle/activate?sendEmail=false"
call GET "/api/v1/users/$LAG_ID"
check_eq "during activation: STAGED, transitioningToStatus PROVISIONED" "$(j "d['status']") $(j "d.get('transitioningToStatus')")" \
	"STAGED PROVISIONED"
check "then PROVISIONED, without transitioningToStatus, activated set" eventually \
	"tls_curl -H 'Authorization: SSWS $SIM_TOKEN' '$SIM_URL/api/v1/users/$LAG_ID' | jq_py \"d['status'] == 'PROVISIONED' and 'transitioningToStatus' not in d and d['activated'] is not None\" | grep -q True" 15
call POST "/api/v1/users/$LAG_ID/lifecycle/deactivate"
call POST "/api/v1/users/$LAG_ID" '{"profile":{"title":"X"}}'
check_eq "updateUser on DEPROVISIONED: 403 E0000038" "$CODE $(j "d['errorCode']")" "403 E0000038"
call PUT "/api/v1/users/$LAG_ID" "$(user lag@example.com)"
check_eq "...PUT too" "$CODE" 403
call DELETE "/api/v1/users/$LAG_ID"
check_eq "deleteUser of a DEPROVISIONED user: 204" "$CODE" 204
call GET "/api/v1/users/$LAG_ID"
check_eq "...gone" "$CODE" 404
call DELETE "/api/v1/users/$U3"
call GET "/api/v1/users/$U3"
check_eq "deleteUser of an active user deactivates it first (asynchronously)" "$(j "d.get('transitioningToStatus')")" DEPROVISIONED

echo "# credentials"
CODE=$(tls_curl -o "$T_DIR/body" -w '%{http_code}' "$SIM_URL/api/v1/users")
check_eq "no Authorization: 403 E0000005 Invalid session" "$CODE $(j "d['errorCode']") $(j "d['errorSummary']")" \
	"403 E0000005 Invalid session"
CODE=$(tls_curl -o "$T_DIR/body" -w '%{http_code}' -H "Authorization: $SIM_TOKEN" "$SIM_URL/api/v1/users")
check_eq "a token without SSWS: 403 E0000005" "$CODE $(j "d['errorCode']")" "403 E0000005"
CODE=$(tls_curl -o "$T_DIR/body" -w '%{http_code}' -H "Authorization: SSWS x$SIM_TOKEN" "$SIM_URL/api/v1/users")
check_eq "a wrong SSWS token: 401 E0000011" "$CODE $(j "d['errorCode']")" "401 E0000011"
call GET /api/v1/users/me
check_eq "users/me: the token owner in full" "$CODE $(j "d['status']") $(j "d['profile']['firstName']") $(j "'_links' in d")" \
	"200 ACTIVE okta-sim True"

echo "# whose event: request ids, the token id, the console"
TOKEN_ID=$(tls_curl "$SIM_URL/sim/config" | jq_py "d['ssws_token_id']")
check "the token has an 00T id" test -n "$(echo "$TOKEN_ID" | grep -E '^00T[A-Za-z0-9]{17}$')"
call POST "/api/v1/users?activate=false" "$(user tok@example.com)"
RID_TOKEN=$(hdr X-Okta-Request-Id)
call POST "/api/v1/users?activate=false" "$(user console@example.com)" -H 'X-Sim-Console: true' -H 'Authorization:'
RID_CONSOLE=$(hdr X-Okta-Request-Id)
check_eq "a console call needs no token" "$CODE" 200
check "every /api answer has its own X-Okta-Request-Id" test -n "$RID_TOKEN" -a -n "$RID_CONSOLE" -a "$RID_TOKEN" != "$RID_CONSOLE"
tls_curl "$SIM_URL/sim/events" >"$T_DIR/body"
ev() { j "[[e['transaction']['id'], e['debugContext']['debugData']['requestId'], e['transaction']['detail'].get('requestApiTokenId'), e['actor']['id']] for e in d if e['target'][0]['alternateId'] == '$1'][0]"; }
ACTOR=$(tls_curl "$SIM_URL/sim/whoami" | jq_py "d['ssws']['id']")
check_eq "token call: transaction.id, requestId, requestApiTokenId, actor" "$(ev tok@example.com)" \
	"[\"$RID_TOKEN\", \"$RID_TOKEN\", \"$TOKEN_ID\", \"$ACTOR\"]"
check_eq "console call: its own request id, no token id, the same actor" "$(ev console@example.com)" \
	"[\"$RID_CONSOLE\", \"$RID_CONSOLE\", null, \"$ACTOR\"]"
check_eq "transaction.type WEB" "$(j "sorted(set(e['transaction']['type'] for e in d))")" '["WEB"]'

echo "# event hooks: eligible types, lifecycle, the 25-active limit"
hook() { printf '{"name":"h%s","events":{"type":"EVENT_TYPE","items":["%s"]},"channel":{"type":"HTTP","version":"1.0.0","config":{"uri":"https://127.0.0.1:9/h%s"}}}' "$1" "${2:-user.lifecycle.create}" "$1"; }
call POST /api/v1/eventHooks "$(hook 0 user.lifecycle.nonsense)"
check_eq "an event type hooks cannot take: 400 E0000001" "$CODE $(j "d['errorCode']")" "400 E0000001"
call POST /api/v1/eventHooks "$(hook 0 user.session.start)"
check_eq "an eligible non-user type is fine" "$CODE" 200
H0=$(j "d['id']")
for i in $(seq 1 24); do call POST /api/v1/eventHooks "$(hook "$i")"; done
check_eq "25 active hooks" "$CODE $(tls_curl -H "Authorization: SSWS $SIM_TOKEN" "$SIM_URL/api/v1/eventHooks" | jq_py 'len(d)')" "200 25"
call POST /api/v1/eventHooks "$(hook 25)"
check_eq "a 26th active hook: 400 E0000001" "$CODE $(j "d['errorCode']")" "400 E0000001"
call DELETE "/api/v1/eventHooks/$H0"
check_eq "deleting an ACTIVE hook: 403" "$CODE" 403
call POST "/api/v1/eventHooks/$H0/lifecycle/deactivate"
check_eq "deactivate: INACTIVE, an activate link" "$CODE $(j "d['status']") $(j "'activate' in d['_links']")" "200 INACTIVE True"
call POST /api/v1/eventHooks "$(hook 25)"
check_eq "with one inactive, a new one fits" "$CODE" 200
call POST "/api/v1/eventHooks/$H0/lifecycle/activate"
check_eq "activating a 26th: 400" "$CODE" 400
call PUT "/api/v1/eventHooks/$H0" "$(hook renamed user.lifecycle.deactivate)"
check_eq "replaceEventHook" "$CODE $(j "d['name']") $(j "d['events']['items']")" '200 hrenamed ["user.lifecycle.deactivate"]'
call PUT "/api/v1/eventHooks/$H0" '{"name":""}'
check_eq "replace with a bad body: 400, the hook unchanged" "$CODE $(tls_curl -H "Authorization: SSWS $SIM_TOKEN" "$SIM_URL/api/v1/eventHooks/$H0" | jq_py "d['name']")" "400 hrenamed"
call DELETE "/api/v1/eventHooks/$H0"
check_eq "deleting an INACTIVE hook: 204" "$CODE" 204
call GET "/api/v1/eventHooks/$H0"
check_eq "...gone" "$CODE" 404

echo "# --token-file: a token longer than okta-sim holds is refused, not cut"
head -c 1500 /dev/zero | tr '\0' a >"$T_DIR/long.token"
out=$(timeout 5 "$SIM_BIN" --listen 127.0.0.1:0 --token-file "$T_DIR/long.token" 2>&1)
check_eq "exit status 2 (a usage error), at once" "$?" 2
check "...and says why" grep -q "token in --token-file .* is longer than 1023 bytes" <<<"$out"

t_done
