#!/usr/bin/env bash
# The operator CLI as a new user meets it: `hookd user --help` exits 0; `user create` checks Okta's
# required fields before queuing; `--wait` says when no `hookd serve` runs the job; `user activate`
# of a login Okta does not know is final at once; `jobs retry` tells a missing job from a pending
# one and wants --force to rerun a done job that emails the person. A user's one pending follow-up
# is moved, never doubled, by a rerun or an operator's resend; an activation an admin starts in Okta
# (rule do = watch_activation) is followed up too. `hookd people forget` erases one person (their HR
# record, Okta and operator events, activation records, jobs) and nobody else, refusing while a job of
# theirs is pending unless --include-pending; the PostgreSQL part runs when HOOKD_TEST_PG_URL is set.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

make_oauth_app
start_sim --rate-limit off --oauth-client-id "$APP_ID" --oauth-public-key "$T_DIR/app.pub" ||
	{ fail "okta-sim starts"; t_done; exit 1; }
printf 'people-%s' "$RANDOM$RANDOM" >"$T_DIR/people.secret"
write_hookd_config "$(free_port)" <<INI
$(okta_app_ini)
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

# hookd people forget: Ana (an HR record under her work email, Okta events under her Okta id, operator
# events, activation records, done jobs, a pending follow-up) is erased; the person made in Okta is not.
post_hr() {
	local sig
	sig=$(printf '%s' "$1" | openssl dgst -sha256 -hmac "$(cat "$T_DIR/people.secret")" -r | cut -d' ' -f1)
	tls_curl "$HOOKD_URL/hooks/hr/people" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "X-Signature: $sig" --data-binary "$1"
}
hire="{\"type\":\"hire\",\"id\":\"e-$RANDOM\",\"email\":\"$login\",\"first\":\"Ana\",\"last\":\"Bo\",\"home\":\"ana@home.example\"}"
check_eq "Ana's HR record is accepted" "$(post_hr "$hire")" 200
aid=$(sim_api GET "/api/v1/users/$login" | jq_py 'd["id"]')
H events --json --limit 10000 >"$T_DIR/ev0.jsonl"
H jobs --json --limit 10000 >"$T_DIR/jobs0.jsonl"
# Ana's rows before: by login (any case), her Okta id, her employee id (the HR record's subject_id).
ana_py="import json; rows=[json.loads(l) for l in open('$T_DIR/ev0.jsonl')]; L='$login'.lower(); \
ids={r['subject_id'] for r in rows if (r['subject_login'] or '').lower()==L and r['subject_id']}|{L,'$aid'}; \
ana={r['id'] for r in rows if (r['subject_login'] or '').lower()==L or r['subject_id'] in ids}"
check "Ana has HR, Okta, operator and activation rows" python3 -c "$ana_py
import sys; src={r['source'] for r in rows if r['id'] in ana}; sys.exit(not {'hr:people','okta','admin','hookd'} <= src)"
out=$(H people forget 2>&1)
check_eq "forget without a login is a usage error" $? 2
check "... saying what it wants" grep -q "usage: hookd people forget LOGIN" <<<"$out"
out=$(H people forget "$login" 2>&1)
check_eq "forget while Ana's follow-up is pending is refused" $? 1
check "... saying so and changing nothing" grep -q "nothing erased: the person has 1 pending and 0 running" <<<"$out"
check_eq "... (the events are as they were)" "$(H events --json --limit 10000 | cmp - "$T_DIR/ev0.jsonl" && echo same)" same
out=$(H people forget "$login" --dry-run --include-pending)
check "a dry run counts" grep -q "^would erase [1-9][0-9]* event(s), [1-9][0-9]* activation record(s), [1-9][0-9]* finished job(s), 1 pending job(s) cancelled" <<<"$out"
out=$(H people forget "$login" --include-pending)
check_eq "forget --include-pending exits 0" $? 0
echo "    $out"
H events --json --limit 10000 >"$T_DIR/ev1.jsonl"
H jobs --json --limit 10000 >"$T_DIR/jobs1.jsonl"
check "Ana's events: raw null, no login, id or profile; everyone else's rows as they were; no row lost" \
	python3 -c "$ana_py
import sys; after={r['id']: r for r in map(json.loads, open('$T_DIR/ev1.jsonl'))}; before={r['id']: r for r in rows}
new=[r for i, r in after.items() if i not in before]
ok=set(before) <= set(after) and len(new) == 1 and new[0]['type'] == 'admin.people.forget'
for i, r in before.items():
    a=after[i]
    if i in ana:
        ok = ok and a['raw'] is None and not any(a[k] for k in ('subject_login','subject_id','subject_name')) \
            and 'subject' not in a and (a['source'], a['type'], a['dedupe_key']) == (r['source'], r['type'], r['dedupe_key'])
    else:
        ok = ok and a == r
sys.exit(not ok)"
check "the erasure is journaled, naming the operator and not Ana" python3 -c "
import json, sys; r=[json.loads(l) for l in open('$T_DIR/ev1.jsonl') if 'admin.people.forget' in l][0]
sys.exit(not (r['actor_id'].startswith('cli:') and r['raw']['events'] > 0 and r['raw']['cancelled'] == 1 \
	and '$login'.split('@')[0] not in json.dumps(r) and '$aid' not in json.dumps(r)))"
check "Ana's jobs keep no subject, params or result; her follow-up ended dead, cancelled; the other's is pending" \
	python3 -c "$ana_py
import sys; b={j['id']: j for j in map(json.loads, open('$T_DIR/jobs0.jsonl'))}
a={j['id']: j for j in map(json.loads, open('$T_DIR/jobs1.jsonl'))}
L='$login'.split('@')[0]; mine=[i for i, j in b.items() if j['event_id'] in ana or L in json.dumps(j) or '$aid' in json.dumps(j)]
ok=len(mine) >= 3 and set(a) == set(b)
ok=ok and all(L not in json.dumps(a[i]) and '$aid' not in json.dumps(a[i]) and not a[i].get('params') for i in mine)
ok=ok and sum(1 for i in mine if a[i]['state'] == 'dead' and 'person was forgotten' in (a[i]['last_error'] or '')) == 1
ok=ok and any(j['login'] == '$other' and j['state'] == 'pending' for j in a.values())
ok=ok and all(a[i] == b[i] for i in b if i not in mine)
sys.exit(not ok)"
check_eq "hookd people no longer lists Ana" "$(H people --json | grep -c "$login")" 0
check_eq "forget again finds nothing" "$(H people forget "$login")" \
	"erased 0 event(s), 0 activation record(s), 0 finished job(s), 0 pending job(s) cancelled"

# The same command on a PostgreSQL journal (a database of its own on HOOKD_TEST_PG_URL's server).
if [ -z "${HOOKD_TEST_PG_URL:-}" ] || ! command -v psql >/dev/null; then
	echo "  SKIP: people forget on PostgreSQL (needs HOOKD_TEST_PG_URL and psql)"
else
	db=forget_$$_$RANDOM
	mkdir -p "$T_DIR/pg" && cp -r "$T_DIR/certs" "$T_DIR/pg/"
	psql -X -q "$HOOKD_TEST_PG_URL" -c "CREATE DATABASE $db" && pgurl="${HOOKD_TEST_PG_URL%/*}/$db"
	T_LOG_LEVEL=warn T_STORE="backend = postgres
url = $pgurl" write_hookd_config "$(free_port)" "$T_DIR/pg" </dev/null
	P() { "$HOOKD_BIN" "$@" -c "$T_DIR/pg/hookd.ini"; }
	P user create "$login" --first-name Ana --last-name Bo --personal-email ana@home.example >/dev/null
	P user create "$other" --first-name A --last-name M >/dev/null
	P people forget "$login" >/dev/null 2>&1
	check_eq "postgres: forget with a pending job is refused" $? 1
	check_eq "postgres: forget --include-pending" "$(P people forget "$login" --include-pending)" \
		"erased 1 event(s), 0 activation record(s), 0 finished job(s), 1 pending job(s) cancelled"
	check "postgres: Ana's event has raw null and no login; the other's is whole" python3 -c "
import json, sys, subprocess
rows=[json.loads(l) for l in subprocess.run(['$HOOKD_BIN','events','--json','-c','$T_DIR/pg/hookd.ini'], capture_output=True, text=True).stdout.splitlines()]
mine=[r for r in rows if r['type'] == 'admin.user.create' and r['raw'] is None and not r['subject_login']]
theirs=[r for r in rows if r['subject_login'] == '$other' and r['raw']]
sys.exit(not (len(rows) == 3 and len(mine) == 1 and len(theirs) == 1 and 'ana@home' not in json.dumps(rows)))"
	psql -X -q "$HOOKD_TEST_PG_URL" -c "DROP DATABASE $db" >/dev/null 2>&1
fi
t_done
