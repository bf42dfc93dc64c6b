#!/usr/bin/env bash
# Activation emails that do not reach the person: okta-sim bounces an address (POST /sim/email/bounce,
# a system.email.delivery FAILURE event); hookd mails a fresh link to the personal address once, or
# marks the person undeliverable when there is none. A PROVISIONED user whose email changes gets
# one new activation email at the new address (rule when.changed = email); other changes send none.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

start_activation_stack "$(free_port)" --mail <<INI
[worker]
threads = 2
poll = 100ms
backoff_base = 200ms
[rule okta-created]
on = okta:user.lifecycle.create
do = send_activation
[rule bounced]
on = okta:system.email.delivery
when.outcome = FAILURE
do = bounce_fallback
[rule moved]
on = okta:user.account.update_profile
when.changed = email
include_self = true
do = resend_if_pending
INI

mk() { # login [secondEmail]
	local second=${2:+,\"secondEmail\":\"$2\"}
	sim_api POST "/api/v1/users?activate=false" "{\"profile\":{\"login\":\"$1\",\"email\":\"$1\",\"firstName\":\"N\",\"lastName\":\"H\"$second}}" | jq_py 'd["id"]'
}
status_of() { sim_api GET "/api/v1/users/$1" | jq_py 'd["status"]'; }
okta_mails() { sim_mails user_id="$1" to="$2"; }
smtp_to() { grep -c "^RCPT $1\$" "$T_DIR/mail.txt" 2>/dev/null || echo 0; }
state_of() { "$HOOKD_BIN" people -c "$HOOKD_CONFIG" --json | python3 -c "import json,sys; print(([p['state'] for p in [json.loads(l) for l in sys.stdin if l.strip()] if p['login']=='$1'] or ['-'])[0])"; }
bounce() { sim_api POST /sim/email/bounce "{\"address\":\"$1\",\"reason\":\"Bounce\"}" | jq_py 'd["eventType"]'; }

a=amy.$RANDOM@example.com
ua=$(mk "$a" amy@home.example.net)
b=bob.$RANDOM@example.com
ub=$(mk "$b")
check "both become PROVISIONED" eventually '[ "$(status_of "$ua")" = PROVISIONED ] && [ "$(status_of "$ub")" = PROVISIONED ]' 15
check_eq "okta-sim bounces amy's work address" "$(bounce "$a")" system.email.delivery
check "hookd mails a fresh link to amy's personal address" eventually '[ "$(smtp_to amy@home.example.net)" = 1 ]' 15
check "the mail carries an activation link" grep -qE 'https://[^ ]+/tokens/[^ ]+' "$T_DIR/mail.txt"
check "hookd logs where to lift the suppression" grep -q "bounces/remove-list" "$T_DIR/hookd.log"
bounce "$a" >/dev/null
check "a second bounce: amy is undeliverable" eventually '[ "$(state_of "$a")" = undeliverable ]' 15
check_eq "and gets no second fallback mail" "$(smtp_to amy@home.example.net)" 1
bounce "$b" >/dev/null
check "bob, without a personal address, is undeliverable" eventually '[ "$(state_of "$b")" = undeliverable ]' 15
check "with Okta's reason" bash -c "'$HOOKD_BIN' people -c '$HOOKD_CONFIG' --json | grep -q 'Okta could not deliver the activation email (Bounce)'"
check_eq "nothing was mailed for bob" "$(grep -c "^RCPT" "$T_DIR/mail.txt")" 1

c=cy.$RANDOM@example.com
uc=$(mk "$c")
check "cy becomes PROVISIONED" eventually '[ "$(status_of "$uc")" = PROVISIONED ]' 15
new=cy.new.$RANDOM@example.org
sim_api POST "/api/v1/users/$uc" "{\"profile\":{\"email\":\"$new\"}}" >/dev/null
check "cy's changed email gets the activation again" eventually '[ "$(okta_mails "$uc" "$new")" = 1 ]' 15
sim_api POST "/api/v1/users/$uc" "{\"profile\":{\"firstName\":\"Cyrus\"}}" >/dev/null
sleep 2
check_eq "a change of another attribute sends nothing" "$(okta_mails "$uc" "$new")" 1
check_eq "one email at the old address, one at the new" "$(okta_mails "$uc" "$c")" 1
tls_curl "$SIM_URL/sim/activate/$(sim_last_token "$uc")" -X POST >/dev/null
newer=cy.newer.$RANDOM@example.org
sim_api POST "/api/v1/users/$uc" "{\"profile\":{\"email\":\"$newer\"}}" >/dev/null
sleep 2
check_eq "once ACTIVE, an email change sends nothing" "$(okta_mails "$uc" "$newer")" 0
check_eq "no dead job" "$("$HOOKD_BIN" jobs -c "$HOOKD_CONFIG" --state dead --json | jsonl_py 'len(d)')" 0
t_done
