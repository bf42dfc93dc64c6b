#!/usr/bin/env bash
# t_reload.sh: SIGHUP reload under load: new certificate for new handshakes, new rules for the next
# event, no failed request; a bad configuration is refused whole; the previous Okta secret's grace.
set -uo pipefail
. "$(dirname "$0")/../drills/lib.sh"
command -v openssl >/dev/null || { echo "SKIP: openssl missing"; exit 77; }
LOADGEN=$(drill_loadgen) || { echo "SKIP: cannot build loadgen"; exit 77; }

D=$T_DIR
CFG=$D/hookd.ini
T_THREADS=32
write_hookd_config "$(free_port)" "$D" <<INI
[rule off]
on = okta:user.lifecycle.deactivate
do = deactivate_user
INI
start_hookd "$CFG" "$D/hookd.log" || { fail "hookd starts"; t_done; exit 1; }
URL=https://127.0.0.1:$HOOKD_PORT

# The SHA-256 fingerprint of the certificate a new connection is served.
served_fp() {
	openssl s_client -connect "127.0.0.1:$HOOKD_PORT" -servername localhost </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 | cut -d= -f2
}
file_fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
metric() { metric_at "$URL" "$1"; }
# post_one UUID [SECRET]: one delivery with a fresh event; prints the status code.
post_one() {
	sed -e "s/\"uuid\":\"[^\"]*\"/\"uuid\":\"$1\"/" "$DRILL_SAMPLE" >"$D/one.json"
	tls_curl -o /dev/null -w '%{http_code}' -H "Authorization: ${2:-$HOOK_SECRET}" \
		-H 'Content-Type: application/json' --data-binary @"$D/one.json" "$URL/hooks/okta"
}
# The actions of the jobs the event with dedupe key UUID made.
job_action_of() {
	"$HOOKD_BIN" events -c "$CFG" --json --source okta --limit 100000 >"$D/ev.json"
	"$HOOKD_BIN" jobs -c "$CFG" --json --limit 100000 | python3 -c '
import json, sys
rows = lambda f: [json.loads(l) for l in f if l.strip()]  # JSON Lines
ids = {e["id"] for e in rows(open(sys.argv[2])) if e["dedupe_key"] == sys.argv[1]}
print(" ".join(sorted(j["action"] for j in rows(sys.stdin) if j["event_id"] in ids)))' "$1" "$D/ev.json"
}
reloads() { grep -c "\"msg\":\"configuration reloaded\"" "$D/hookd.log"; }
refusals() { grep -c "\"msg\":\"reload refused" "$D/hookd.log"; }

check_eq "first certificate served" "$(served_fp)" "$(file_fp "$D/certs/server.crt")"
check_eq "generation 1 at start" "$(metric hookd_config_generation)" 1

# A renewed leaf from the same CA, and a rule that does something else.
mkdir -p "$D/certs2" && cp "$D/certs/ca.crt" "$D/certs/ca.key" "$D/certs2/" && make_certs "$D/certs2"
"$LOADGEN" --port "$HOOKD_PORT" --body "$DRILL_SAMPLE" --auth "$HOOK_SECRET" --connections 8 \
	--duration 5 >"$D/load.json" 2>"$D/load.err" &
LOAD=$!
sleep 1.5
sed -i -e "s|$D/certs/server|$D/certs2/server|" -e 's/^do = deactivate_user/do = resend_activation/' "$CFG"
kill -HUP "$HOOKD_PID"
check "the reload is logged" eventually '[ "$(reloads)" = 1 ]' 10
check_eq "new connections get the new certificate" "$(served_fp)" "$(file_fp "$D/certs2/server.crt")"
check_eq "the next event follows the new rule" "$(post_one after-reload-1 && echo && job_action_of after-reload-1)" \
	"$(printf '200\nresend_activation')"
wait "$LOAD"
python3 - "$D/load.json" <<'PY' && ok "no failed request during the reload ($(cat "$D/load.json" | head -c 120))" || fail "requests failed: $(cat "$D/load.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["requests"] > 0 and s["conn_errors"] == 0 and s["ok_2xx"] == s["requests"], s
PY
check_eq "generation 2 after the reload" "$(metric hookd_config_generation)" 2
check_eq "the certificate's expiry in /metrics" "$(metric hookd_tls_cert_expiry_seconds)" \
	"$(date -d "$(openssl x509 -in "$D/certs2/server.crt" -noout -enddate | cut -d= -f2)" +%s)"
check "the log says the generation as a JSON number" grep -q '"msg":"configuration reloaded","generation":2,' "$D/hookd.log"
check "the oldest due job's age (no Okta here: jobs wait)" test "$(metric hookd_jobs_oldest_due_age_seconds)" -ge 1
tls_curl "$URL/metrics" >"$D/metrics.txt"
check "every metric has HELP text of its own" python3 - "$D/metrics.txt" <<'PY'
import sys
helps = [l.split(" ", 3) for l in open(sys.argv[1]) if l.startswith("# HELP ")]
bad = [h[2] for h in helps if len(h) < 4 or h[3].strip() in ("", h[2])]
assert helps and not bad, bad
PY
check_eq "reloads_total ok" "$(metric 'hookd_config_reloads_total{result="ok"}')" 1

# Everything wrong at once: refused whole, every problem logged, the running configuration stays.
cp "$CFG" "$D/good.ini"
sed -i -e 's/^do = resend_activation/do = send_activaton/' -e "s|$D/certs2/server.crt|$D/nope.crt|" "$CFG"
printf '[rule extra]\non = okta:user.lifecycle.create\ndo = create_user\n' >>"$CFG"
kill -HUP "$HOOKD_PID"
check "the refusal is logged" eventually '[ "$(refusals)" = 1 ]' 10
check "the unknown action is named" grep -q 'send_activaton' "$D/hookd.log"
check "the missing certificate is named" grep -q 'nope.crt: no such file' "$D/hookd.log"
check_eq "still generation 2" "$(metric hookd_config_generation)" 2
check_eq "reloads_total refused" "$(metric 'hookd_config_reloads_total{result="refused"}')" 1
check_eq "last reload status 0" "$(metric hookd_config_last_reload_ok)" 0
check_eq "still the second certificate" "$(served_fp)" "$(file_fp "$D/certs2/server.crt")"
check_eq "still the second rule" "$(post_one after-refusal && echo && job_action_of after-refusal)" \
	"$(printf '200\nresend_activation')"

# A new Okta secret: the previous one is accepted for previous_secret_grace, then refused.
cp "$D/good.ini" "$CFG"
OLD=$HOOK_SECRET NEW=rotated-$RANDOM$RANDOM
printf '%s' "$NEW" >"$D/hook.secret"
printf '[okta_hook]\nprevious_secret_grace = 3s\n' >>"$CFG"
kill -HUP "$HOOKD_PID"
check "the rotation reload is applied" eventually '[ "$(reloads)" = 2 ]' 10
check_eq "the new secret is accepted" "$(post_one rot-new "$NEW")" 200
check_eq "the old secret is accepted within the grace" "$(post_one rot-old "$OLD")" 200
check "the old secret is refused after the grace" eventually '[ "$(post_one rot-late "$OLD")" = 401 ]' 10
check_eq "the new secret still works" "$(post_one rot-new-2 "$NEW")" 200
check "hookd is still running" kill -0 "$HOOKD_PID"

# hookd prune beside the running serve: every event here still has a pending job (no Okta), so
# 100 days on nothing may go but what has no job; a dry run changes nothing.
out=$(HOOKD_CLOCK_OFFSET=$((100 * 86400)) "$HOOKD_BIN" prune -c "$CFG" --dry-run)
check "prune --dry-run counts" grep -q "^would prune 0 finished job(s), 0 event body(ies) scrubbed, 0 event row(s)$" <<<"$out"
"$HOOKD_BIN" jobs -c "$CFG" --json --limit 100000 | python3 -c '
import json, sys
ids = [json.loads(l)["id"] for l in sys.stdin if l.strip()]
print(ids[0])' >"$D/one.id"
check "a done job, 100 days on, is pruned with its event" bash -c "
	sqlite3 '$D/hookd.db' \"UPDATE jobs SET state = 'done' WHERE id = \$(cat '$D/one.id')\" &&
	HOOKD_CLOCK_OFFSET=$((100 * 86400)) '$HOOKD_BIN' prune -c '$CFG' | grep -q '^pruned 1 finished job(s), 0 event body(ies) scrubbed, 1 event row(s)$'"
t_done
