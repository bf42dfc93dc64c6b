#!/usr/bin/env bash
# Step 4 of the activation flow: a rule with send_email = false activates with sendEmail=false,
# takes Okta's activationUrl and mails it itself (SMTP via libcurl) to the person's personal address
# (Okta's secondEmail here); Okta sends nothing; the mailed link completes the activation.
. "$(dirname "$0")/../lib.sh"

port=$(free_port)
start_activation_stack "$port" --mail <<INI
[worker]
threads = 2
poll = 100ms
backoff_base = 200ms
[rule okta-created]
on = okta:user.lifecycle.create
do = send_activation
send_email = false
INI

login=kim.$RANDOM@example.com
uid=$(sim_api POST "/api/v1/users?activate=false" "{\"profile\":{\"login\":\"$login\",\"email\":\"$login\",\"secondEmail\":\"kim@home.example.net\",\"firstName\":\"Kim\",\"lastName\":\"Ro\"}}" | jq_py 'd["id"]')
check "the user becomes PROVISIONED" eventually '[ "$(sim_api GET "/api/v1/users/$uid" | jq_py "d[\"status\"]")" = PROVISIONED ]' 15
check "hookd mailed the link to the personal address" eventually 'grep -q "^RCPT kim@home.example.net" "$T_DIR/mail.txt" 2>/dev/null' 10
check_eq "Okta itself sent nothing (sendEmail=false)" \
	"$(sim_mails user_id="$uid")" 0
url=$(grep -oE 'https://[^ ]+/tokens/[^ ]+' "$T_DIR/mail.txt" | head -1 | tr -d '\r')
check "the mail carries okta-sim's activation URL" [ -n "$url" ]
check "the mail names the person" grep -q "Hello Kim" "$T_DIR/mail.txt"
check "the job record names only the address's domain" \
	grep -q "link mailed to ...@home.example.net" <<<"$("$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini")"
check "the job record does not hold the link" bash -c "! grep -q tokens <<<\"\$('$HOOKD_BIN' jobs -c '$T_DIR/hookd.ini' --json)\""
check "the log does not hold the link" bash -c "! grep -q '/tokens/' '$T_DIR/hookd.log'"
tls_curl "$url" >/dev/null
check_eq "opening the mailed link activates the user" "$(sim_api GET "/api/v1/users/$uid" | jq_py 'd["status"]')" ACTIVE

# Without a personal address the job fails with a clear reason instead of losing the link.
login2=nopersonal.$RANDOM@example.com
sim_api POST "/api/v1/users?activate=false" "{\"profile\":{\"login\":\"$login2\",\"email\":\"$login2\",\"firstName\":\"N\",\"lastName\":\"P\"}}" >/dev/null
dead() { "$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --state dead --json | python3 -c "import json,sys; print(' '.join(j['last_error'] or '' for j in map(json.loads, sys.stdin)))"; }
check "a user without a personal address: the job is dead with the reason" eventually 'dead | grep -q "needs a personal_email"' 15
t_done
