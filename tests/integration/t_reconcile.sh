#!/usr/bin/env bash
# The System Log reconciler end to end (real okta-sim over TLS, real hookd): events the hook never
# got (hookd stopped; hookd answering 401 to every delivery) are journaled from GET /api/v1/logs,
# each joiner gets exactly one activation email, events that came both ways are stored once, and
# hookd_events_reconciled_total equals what the hook missed.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

make_oauth_app
start_sim --rate-limit off --oauth-client-id "$APP_ID" --oauth-public-key "$T_DIR/app.pub" ||
	{ fail "okta-sim starts"; t_done; exit 1; }
port=$(free_port)
write_hookd_config "$port" <<INI
$(okta_app_ini)
reconcile_every = 1s
reconcile_grace = 1s
reconcile_overlap = 1m
reconcile_lookback = 10m
[worker]
threads = 2
poll = 100ms
backoff_base = 200ms
backoff_max = 1s
[rule okta-created]
on = okta:user.lifecycle.create
do = send_activation
INI
start_hookd || { fail "hookd starts"; cat "$T_DIR/hookd.log"; t_done; exit 1; }
"$HOOKD_BIN" okta register-hook -c "$T_DIR/hookd.ini" --url "$HOOKD_URL/hooks/okta" >/dev/null 2>&1
check "the hook is VERIFIED" grep -q VERIFIED <<<"$("$HOOKD_BIN" okta hooks -c "$T_DIR/hookd.ini")"

create() { # create LOGIN: prints the new user's id
	sim_api POST "/api/v1/users?activate=false" \
		"{\"profile\":{\"login\":\"$1\",\"email\":\"$1\",\"firstName\":\"R\",\"lastName\":\"C\"}}" | jq_py 'd["id"]'
}
stored() { # stored UID: journal events of user.lifecycle.create about UID
	"$HOOKD_BIN" events -c "$T_DIR/hookd.ini" --json --source okta --limit 1000 |
		jsonl_py "sum(1 for e in d if e['type']=='user.lifecycle.create' and e['subject_id']=='$1')"
}
metric() { metric_at "$HOOKD_URL" "$1"; }
RC='hookd_events_reconciled_total{type="user.lifecycle.create"}'

echo "# hook working: the reconciler sees the event and stores nothing twice"
a=$(create "rc.a.$RANDOM@example.com")
check "the joiner gets an activation email" eventually "sim_one_activation_each $a" 10
check "the reconciler has read the event from the System Log too" \
	eventually '[ "$(metric hookd_reconcile_events_seen_total)" -ge 1 ]' 10
check_eq "the event is stored once" "$(stored "$a")" 1
check_eq "nothing was found only by the reconciler" "$(metric "$RC")" 0
check "the cursor's age is exported" eventually \
	'tls_curl "$HOOKD_URL/metrics" | grep -qE "^hookd_reconcile_cursor_age_seconds [0-9]+$"' 5

echo "# hookd stopped while joiners are created; the System Log shows events 5 s late (the overlap catches them)"
stop_hookd
tls_curl "$SIM_URL/sim/logs" -X POST -H 'Content-Type: application/json' -d '{"lag_ms":5000}' >/dev/null
b=()
for i in 1 2 3; do b+=("$(create "rc.b$i.$RANDOM@example.com")"); done
failed() { tls_curl "$SIM_URL/sim/deliveries" | python3 -c "import json,sys; print(sum(1 for d in json.load(sys.stdin) if d['state']=='failed'))"; }
check "okta-sim gives up delivering the three creations" eventually '[ "$(failed)" = 3 ]' 10
start_hookd || { fail "hookd restarts"; t_done; exit 1; }
check "each of them gets its activation email within a few reconcile intervals" eventually "sim_one_activation_each ${b[*]}" 15
sleep 2
check "still exactly one email each" sim_one_activation_each "${b[@]}" "$a"
check_eq "the reconciler found the 3 creations the hook missed" "$(metric "$RC")" 3
for u in "${b[@]}"; do check_eq "user $u: its event is stored once" "$(stored "$u")" 1; done
check "each is logged with its lateness" grep -q '"lateness_ms"' "$T_DIR/hookd.log"
doc=$("$HOOKD_BIN" doctor -c "$T_DIR/hookd.ini" 2>&1 | grep system_log)
echo "    $doc"
check "hookd doctor says the System Log had 3 events the hook missed" grep -qE "^ok +system_log .*System Log: 3 \(the hook has missed" <<<"$doc"
tls_curl "$SIM_URL/sim/logs" -X POST -H 'Content-Type: application/json' -d '{"lag_ms":0}' >/dev/null

echo "# hookd answering 401 to every delivery (the hook's secret changed under it)"
stop_hookd
good=$(cat "$T_DIR/hook.secret")
printf 'wrong%s' "$RANDOM" >"$T_DIR/hook.secret"
before=$(tls_curl "$SIM_URL/sim/deliveries" | jq_py 'max([d["seq"] for d in d])')
start_hookd || { fail "hookd restarts"; t_done; exit 1; }
c=()
for i in 1 2; do c+=("$(create "rc.c$i.$RANDOM@example.com")"); done
check "those joiners get their email too" eventually "sim_one_activation_each ${c[*]}" 15
missed() {
	tls_curl "$SIM_URL/sim/deliveries" | python3 -c "import json,sys
print(sum(len(d['event_types']) for d in json.load(sys.stdin) if d['seq'] > $before and d['state']=='failed'))"
}
reconciled_all() { tls_curl "$HOOKD_URL/metrics" | awk '$1 ~ /^hookd_events_reconciled_total/ { s += $2 } END { print s + 0 }'; }
# the activations hookd made are missed by the hook as well; wait until the reconciler caught them all
check "every missed event is found" eventually '[ "$(missed)" -ge 4 ] && [ "$(reconciled_all)" = "$(missed)" ]' 15
echo "    missed by the hook: $(missed), reconciled: $(reconciled_all)"
check_eq "creations reconciled by this run" "$(metric "$RC")" 2
printf '%s' "$good" >"$T_DIR/hook.secret"

echo "# hookd okta backfill"
stop_hookd
since=$(date -u -d '-5 min' +%Y-%m-%dT%H:%M:%SZ)
d=$(create "rc.d.$RANDOM@example.com")
sleep 1
out=$("$HOOKD_BIN" okta backfill -c "$T_DIR/hookd.ini" --since "$since" --dry-run)
check "--dry-run prints the new joiner's event" grep -q "^would .*user.lifecycle.create" <<<"$out"
check "--dry-run prints the job its rule would make" grep -q -- "-> send_activation $d (rule okta-created)" <<<"$out"
check_eq "--dry-run journals nothing" "$(stored "$d")" 0
out=$("$HOOKD_BIN" okta backfill -c "$T_DIR/hookd.ini" --since "$since")
echo "    $(tail -1 <<<"$out")"
check "backfill journals just the one event the journal lacked" grep -q ": 1 journaled, " <<<"$out"
check_eq "the event is stored once" "$(stored "$d")" 1
out=$("$HOOKD_BIN" okta backfill -c "$T_DIR/hookd.ini" --since "$since")
check "a second backfill journals nothing" grep -q ": 0 journaled, " <<<"$out"
"$HOOKD_BIN" okta backfill -c "$T_DIR/hookd.ini" --since yesterday >/dev/null 2>&1
check_eq "a bad --since is a usage error" "$?" 2
start_hookd || { fail "hookd restarts"; t_done; exit 1; }
check "the backfilled joiner gets one activation email" eventually "sim_one_activation_each $d" 10

echo "# a reload's rules reach the reconciler: its filter and its rules"
# the same reload changes the hook's secret, so every delivery is refused: events come through the System Log
printf '[rule okta-left]\non = okta:user.lifecycle.deactivate\ndo = deactivate_user\n' >>"$T_DIR/hookd.ini"
printf 'wrong%s' "$RANDOM" >"$T_DIR/hook.secret"
printf '[okta_hook]\nprevious_secret_grace = 0s\n' >>"$T_DIR/hookd.ini"
kill -HUP "$HOOKD_PID"
check "the reload is applied" eventually 'grep -q "\"msg\":\"configuration reloaded\"" "$T_DIR/hookd.log"' 10
e=$(create "rc.e.$RANDOM@example.com")
sim_api POST "/api/v1/users/$e/lifecycle/deactivate" >/dev/null
left_job() { "$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --json --limit 1000 | jsonl_py "sum(1 for j in d if j['action']=='deactivate_user' and j['subject']=='$e')"; }
check "the deactivation is read from the System Log and fires the reloaded rule" eventually '[ "$(left_job)" = 1 ]' 15
check_eq "it came through the reconciler" "$(metric 'hookd_events_reconciled_total{type="user.lifecycle.deactivate"}')" 1

t_done
