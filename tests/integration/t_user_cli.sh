#!/usr/bin/env bash
# The operator CLI as a new user meets it: `hookd user --help` exits 0; `user create` checks Okta's
# required fields before queuing; `--wait` says when no `hookd serve` runs the job; `user activate`
# of a login Okta does not know is final at once; `jobs retry` tells a missing job from a pending
# one and wants --force to rerun a done job that emails the person. A user's one pending follow-up
# is moved, never doubled, by a rerun or an operator's resend; an activation an admin starts in Okta
# (rule do = watch_activation) is followed up too.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

make_oauth_app
start_sim --rate-limit off --oauth-client-id "$APP_ID" --oauth-public-key "$T_DIR/app.pub" ||
	{ fail "okta-sim starts"; t_done; exit 1; }
write_hookd_config "$(free_port)" <<INI
$(okta_app_ini)
[worker]
threads = 2
poll = 100ms
backoff_base = 200ms
[rule okta-activated]
on = okta:user.lifecycle.activate
do = watch_activation
INI
H() { "$HOOKD_BIN" "$@" -c "$HOOKD_CONFIG"; }
jobs_n() { H jobs --json | jsonl_py 'len(d)'; }

"$HOOKD_BIN" user --help >/dev/null
check_eq "hookd user --help exits 0" $? 0
"$HOOKD_BIN" people --help >/dev/null
check_eq "hookd people --help exits 0" $? 0
"$HOOKD_BIN" user >/dev/null 2>&1
check_eq "hookd user without a verb is a usage error" $? 2

out=$(H user create kim@example.com --first-name Kim 2>&1)
check_eq "user create without --last-name is refused" $? 2
check "... naming the missing field" grep -q "needs --last-name" <<<"$out"
out=$(H user create not-an-email --first-name A --last-name B 2>&1)
check_eq "user create with a login that is no email address is refused" $? 2
check_eq "nothing was queued" "$(jobs_n)" 0

out=$(H user activate early@example.com --wait 2 2>&1)
check "--wait without hookd serve says that no worker took the job" grep -q "still waiting for a worker" <<<"$out"

start_hookd || { fail "hookd starts"; t_done; exit 1; }
"$HOOKD_BIN" okta register-hook -c "$HOOKD_CONFIG" --url "$HOOKD_URL/hooks/okta" >/dev/null 2>&1
check_eq "event hook verified" $? 0
t0=$(date +%s)
out=$(H user activate nobody.$RANDOM@example.com --wait 20 2>&1)
rc=$?
echo "    $out"
check_eq "activate of a login Okta does not know fails" "$rc" 1
check "... at once, dead, with a clear message" grep -q "dead: no such user in Okta" <<<"$out"
check "... after one attempt, not eight" [ $(($(date +%s) - t0)) -lt 10 ]

login=ana.$RANDOM@example.com
H user create "$login" --first-name Ana --last-name Bo --wait 20 >/dev/null
out=$(H user activate "$login" --wait 20)
id=$(sed -n 's/^job \([0-9]*\) done.*/\1/p' <<<"$out" | tail -1)
check "the activation job is done" [ -n "$id" ]
out=$(H jobs retry 999999 2>&1)
check_eq "jobs retry of a missing job fails" $? 1
check "... saying no such job" grep -q "no such job: 999999" <<<"$out"
pending=$(H jobs --state pending --action follow_up_activation --json | jsonl_py 'd[0]["id"]')
out=$(H jobs retry "$pending" 2>&1)
check_eq "jobs retry of a pending job fails" $? 1
check "... saying it is pending" grep -q "is pending" <<<"$out"
out=$(H jobs retry "$id" 2>&1)
check_eq "jobs retry of a done send_activation wants --force" $? 2
check "... and says why" grep -q "may email the person again; add --force" <<<"$out"
out=$(H jobs retry "$id" --force 2>&1)
check_eq "with --force it is requeued" "$out" "job $id requeued"
check "the rerun finds the user PROVISIONED and sends nothing" eventually \
	'H jobs --id "$id" --json | jsonl_py "d[0][\"result\"]" | grep -q "nothing to do: already sent"' 10
follow_ups() { H jobs --state pending --action follow_up_activation --subject "$1" --json | jsonl_py "$2"; }
check_eq "the rerun moved the follow-up: still one pending" "$(follow_ups "$login" 'len(d)')" 1
before=$(follow_ups "$login" 'd[0]["run_at"]')
sleep 1
H user resend "$login" --wait 20 >/dev/null
check_eq "an operator's resend moves it again, never a second one" "$(follow_ups "$login" 'len(d)')" 1
check "... to a later time" [ "$(follow_ups "$login" 'd[0]["run_at"]')" \> "$before" ]

# An admin clicks Activate in Okta: hookd reads the user and follows the activation up.
other=admin.made.$RANDOM@example.com
oid=$(sim_api POST "/api/v1/users?activate=false" "{\"profile\":{\"login\":\"$other\",\"email\":\"$other\",\"firstName\":\"A\",\"lastName\":\"M\"}}" | jq_py 'd["id"]')
sim_api POST "/api/v1/users/$oid/lifecycle/activate?sendEmail=true" >/dev/null
check "an activation someone else started gets a follow-up" eventually '[ "$(follow_ups "$other" "len(d)")" = 1 ]' 15
check "hookd people shows it, from Okta" eventually \
	'"$HOOKD_BIN" people -c "$HOOKD_CONFIG" --json | grep -q "\"login\":\"$other\",\"user_id\":\"$oid\",\"origin\":\"okta\""' 5
t_done
