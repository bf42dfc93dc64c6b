#!/usr/bin/env bash
# t_okta_hook.sh: the Okta event-hook receiver end to end: real hookd, real TLS, real SQLite journal, curl.
# Checks verification, deliveries and their journal rows, duplicates, every refusal status, health and
# metrics endpoints, check-config errors, and that SIGTERM during a burst loses no 200-answered event.
set -uo pipefail
. "$(dirname "$0")/../drills/lib.sh"
command -v curl >/dev/null || { echo "SKIP: curl missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

D=$T_DIR
CFG=$D/hookd.ini
# A second [server] section adds to the first (INI); a small max_body keeps the 413 checks quick.
write_hookd_config "$(free_port)" "$D" <<<"$(printf '[server]\nmax_body = 65536\n')"
start_hookd "$CFG" "$D/hookd.log" || exit 1
URL=https://127.0.0.1:$HOOKD_PORT
HOOK=$URL/hooks/okta
AUTH="Authorization: $HOOK_SECRET"
JSON="Content-Type: application/json"

# req OUTPREFIX curl-args...: writes OUTPREFIX.code, OUTPREFIX.body, OUTPREFIX.hdr
req() {
	local o=$1
	shift
	tls_curl -o "$o.body" -D "$o.hdr" -w '%{http_code}' "$@" >"$o.code" 2>/dev/null || true
}
code_is() { [ "$(cat "$1.code")" = "$2" ] || { echo "     got $(cat "$1.code"): $(head -c 300 "$1.body")"; return 1; }; }
body_empty() { [ ! -s "$1.body" ] || { echo "     body: $(head -c 200 "$1.body")"; return 1; }; }
body_is() { [ "$(cat "$1.body")" = "$2" ] || { echo "     body: $(head -c 300 "$1.body")"; return 1; }; }
# error_json PREFIX CODE: body is {"error": CODE, "message": non-empty}
error_json() {
	python3 - "$1.body" "$2" <<'EOF' || { echo "     body: $(head -c 300 "$1.body")"; return 1; }
import json, sys
b = json.load(open(sys.argv[1]))
assert b.get("error") == sys.argv[2], b
assert isinstance(b.get("message"), str) and b["message"], b
EOF
}
events_json() { "$HOOKD_BIN" events -c "$CFG" --json --source okta --limit 100000; }
event_count() { events_json | wc -l; }
metric() { metric_at "$URL" "$1"; }

# A delivery with N events, uuids PREFIX-0..N-1, targets User 00uTEST<i>.
mkdelivery() {
	python3 - "$DRILL_SAMPLE" "$1" "$2" <<'EOF'
import copy, json, sys
d = json.load(open(sys.argv[1]))
n, prefix = int(sys.argv[2]), sys.argv[3]
ev = d["data"]["events"][0]
d["eventId"] = prefix + "-delivery"
d["data"]["events"] = []
for i in range(n):
    e = copy.deepcopy(ev)
    e["uuid"] = "%s-%d" % (prefix, i)
    e["eventType"] = "user.lifecycle.create"
    e["published"] = "2024-05-01T10:00:0%d.000Z" % (i % 10)
    e["target"][0].update(id="00uTEST%d" % i, alternateId="new.hire%d@example.com" % i, displayName="New Hire %d" % i)
    d["data"]["events"].append(e)
print(json.dumps(d))
EOF
}

echo "# verification GET"
req $D/v -H "$AUTH" -H "x-okta-verification-challenge: abc-123_XYZ" "$HOOK"
check "verification GET answers 200" code_is $D/v 200
check "verification body is exactly {\"verification\":\"abc-123_XYZ\"}" body_is $D/v '{"verification":"abc-123_XYZ"}'
check "verification answer is application/json" grep -qi '^content-type: application/json' $D/v.hdr
req $D/v2 -H "$AUTH" "$HOOK"
check "verification GET without the challenge header answers 400" code_is $D/v2 400
check "... with a JSON error missing_challenge" error_json $D/v2 missing_challenge
req $D/v3 -H "Authorization: wrong-$HOOK_SECRET" -H "x-okta-verification-challenge: abc" "$HOOK"
check "verification GET with a wrong secret answers 401" code_is $D/v3 401
check "... with a JSON error unauthorized" error_json $D/v3 unauthorized
check "... and does not echo the challenge" bash -c "! grep -q verification $D/v3.body"
req $D/v4 -H "x-okta-verification-challenge: abc" "$HOOK"
check "verification GET without Authorization answers 401" code_is $D/v4 401
req $D/v5 -H "Authorization: ${HOOK_SECRET:0:-1}" -H "x-okta-verification-challenge: abc" "$HOOK"
check "a secret one character short answers 401" code_is $D/v5 401

echo "# a delivery"
mkdelivery 1 one >$D/one.json
req $D/d1 -H "$AUTH" -H "$JSON" --data-binary @$D/one.json "$HOOK"
check "delivery answers 200" code_is $D/d1 200
check "... with an empty body" body_empty $D/d1
events_json >$D/ev1.json
check "the event is journaled with its fields" python3 - $D/ev1.json <<'EOF'
import json, sys
rows = [r for r in map(json.loads, open(sys.argv[1])) if r["dedupe_key"] == "one-0"]
assert len(rows) == 1, rows
r = rows[0]
want = dict(source="okta", delivery_id="one-delivery", type="user.lifecycle.create",
            occurred_at="2024-05-01T10:00:00.000Z", subject_id="00uTEST0",
            subject_login="new.hire0@example.com", subject_name="New Hire 0",
            actor_id="00u2di94bAMSEPvAY1d6", status="accepted", duplicates=0)
for k, v in want.items():
    assert r[k] == v, (k, r[k], v)
assert r["raw"]["uuid"] == "one-0" and r["raw"]["target"][0]["id"] == "00uTEST0", r["raw"]
assert r["received_at"].endswith("Z"), r["received_at"]
EOF

echo "# a delivery of several events"
mkdelivery 5 multi >$D/multi.json
req $D/d2 -H "$AUTH" -H "$JSON" --data-binary @$D/multi.json "$HOOK"
check "multi-event delivery answers 200" code_is $D/d2 200
check "all 5 events are journaled, each with its target" python3 - <(events_json) <<'EOF'
import json, sys
rows = {r["dedupe_key"]: r for r in map(json.loads, open(sys.argv[1])) if r["dedupe_key"].startswith("multi-")}
assert sorted(rows) == ["multi-%d" % i for i in range(5)], sorted(rows)
for i in range(5):
    assert rows["multi-%d" % i]["subject_id"] == "00uTEST%d" % i
    assert rows["multi-%d" % i]["delivery_id"] == "multi-delivery"
EOF

echo "# duplicates"
dup0=$(metric 'hookd_events_duplicate_total{source="okta"}')
n0=$(event_count)
req $D/d3 -H "$AUTH" -H "$JSON" --data-binary @$D/one.json "$HOOK"
check "a redelivery answers 200" code_is $D/d3 200
check "... with an empty body" body_empty $D/d3
dup1=$(metric 'hookd_events_duplicate_total{source="okta"}')
check "hookd_events_duplicate_total rose by 1 (${dup0:-0} -> ${dup1:-?})" test "$((${dup1:-0} - ${dup0:-0}))" = 1
stored_once() {
	python3 - <(events_json) "$n0" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == int(sys.argv[2]), (len(rows), sys.argv[2])
one = [r for r in rows if r["dedupe_key"] == "one-0"]
assert len(one) == 1 and one[0]["duplicates"] == 1, one
EOF
}
# A redelivery of an event known durable is answered from the journal's cache; its count reaches
# the row just after the 200 (within a second), so give it that second.
for _ in $(seq 30); do stored_once 2>/dev/null && break; sleep 0.1; done
check "the event is stored once (count unchanged, duplicates = 1)" stored_once

echo "# refusals (nothing is journaled for any of them)"
n0=$(event_count)
journaled0=$(metric 'hookd_events_journaled_total{source="okta"}')
mkdelivery 1 refused >$D/refused.json
req $D/r1 -H "$AUTH" -H "Content-Type: text/plain" --data-binary @$D/refused.json "$HOOK"
check "text/plain answers 415" code_is $D/r1 415
check "... with a JSON error" error_json $D/r1 unsupported_media_type
req $D/r1b -H "$AUTH" -H "Content-Type: application/jsonx" --data-binary @$D/refused.json "$HOOK"
check "application/jsonx answers 415" code_is $D/r1b 415
req $D/r1c -H "$AUTH" -H "Content-Type: application/json; charset=utf-8" --data-binary @$D/one.json "$HOOK"
check "application/json; charset=utf-8 is accepted (200)" code_is $D/r1c 200
req $D/r2 -H "$AUTH" -H "$JSON" --data-binary '{"eventType": "com.okta.event_hook", "data": {"events": [' "$HOOK"
check "malformed JSON answers 400" code_is $D/r2 400
check "... with a JSON reason (bad_delivery)" error_json $D/r2 bad_delivery
req $D/r3 -H "$AUTH" -H "$JSON" --data-binary '{"eventType":"com.okta.event_hook","eventId":"x","data":{}}' "$HOOK"
check "a delivery without data.events answers 400" code_is $D/r3 400
check "... with a JSON reason" error_json $D/r3 bad_delivery
check "... that names data.events" grep -q 'events' $D/r3.body
req $D/r3b -H "$AUTH" -H "$JSON" --data-binary '[1,2,3]' "$HOOK"
check "a JSON array body answers 400" code_is $D/r3b 400
req $D/r3c -H "$AUTH" -H "$JSON" "$HOOK" -X POST
check "an empty body answers 400" code_is $D/r3c 400
req $D/r3d -H "Authorization: nope" -H "$JSON" --data-binary @$D/refused.json "$HOOK"
check "a delivery with a wrong secret answers 401" code_is $D/r3d 401
req $D/r3e -H "$JSON" --data-binary @$D/refused.json "$HOOK"
check "a delivery without Authorization answers 401" code_is $D/r3e 401
python3 -c 'import sys; sys.stdout.write("{\"pad\":\"" + "x" * 70000 + "\"}")' >$D/big.json
req $D/r4 -H "$AUTH" -H "$JSON" --data-binary @$D/big.json "$HOOK"
check "a body over max_body with Content-Length answers 413" code_is $D/r4 413
check "... with a JSON error body_too_large" error_json $D/r4 body_too_large
req $D/r5 -H "$AUTH" -H "$JSON" -H "Transfer-Encoding: chunked" --data-binary @$D/big.json "$HOOK"
check "a chunked body over max_body answers 413" code_is $D/r5 413
check "... with a JSON error body_too_large" error_json $D/r5 body_too_large
req $D/r5b -H "$AUTH" -H "$JSON" -H "Transfer-Encoding: chunked" --data-binary @$D/one.json "$HOOK"
check "a chunked body under the limit is accepted (200)" code_is $D/r5b 200
for m in PUT DELETE PATCH; do
	req $D/r6 -X $m -H "$AUTH" -H "$JSON" --data-binary @$D/refused.json "$HOOK"
	check "$m answers 405" code_is $D/r6 405
	check "... with Allow: GET, POST" grep -qi '^allow: GET, POST' $D/r6.hdr
done
req $D/r7 -H "$AUTH" -H "$JSON" --data-binary @$D/refused.json "$URL/hooks/okta2"
check "POST to an unknown path answers 404" code_is $D/r7 404
check "... with a JSON error" error_json $D/r7 not_found
req $D/r7b -H "$AUTH" -H "$JSON" --data-binary @$D/refused.json "$URL/hooks/okta/extra"
check "POST to a path below the hook answers 404" code_is $D/r7b 404
req $D/r7c "$URL/nothing-here"
check "GET of an unknown path answers 404" code_is $D/r7c 404
check "no refused request was journaled (count $n0 -> $(event_count))" test "$(event_count)" = "$n0"
check "hookd_events_journaled_total did not move" test "$(metric 'hookd_events_journaled_total{source="okta"}')" = "$journaled0"
check "the refused uuid is nowhere in the journal" bash -c "! $HOOKD_BIN events -c $CFG --json --limit 100000 | grep -q refused-0"

echo "# health, readiness, metrics"
req $D/h "$URL/healthz"
check "/healthz answers 200 {\"status\":\"ok\"}" body_is $D/h '{"status":"ok"}'
req $D/rd "$URL/readyz"
check "/readyz answers 200 (journal writable)" code_is $D/rd 200
check "... {\"status\":\"ready\"}" body_is $D/rd '{"status":"ready"}'
req $D/m "$URL/metrics"
check "/metrics answers 200" code_is $D/m 200
check "... as Prometheus text" grep -qi '^content-type: text/plain' $D/m.hdr
# Sent so far: one-0 (new), multi-0..4 (new), one-0 three more times (redelivery, charset, chunked).
check "... with hookd_events_journaled_total{source=\"okta\"} = 6" grep -qx 'hookd_events_journaled_total{source="okta"} 6' $D/m.body
check "... with hookd_events_duplicate_total{source=\"okta\"} = 3" grep -qx 'hookd_events_duplicate_total{source="okta"} 3' $D/m.body
check "... with per-route request counts (200s on /hooks/okta)" grep -q '^hookd_http_requests_total{route="/hooks/okta",code="200"}' $D/m.body
check "... with 415/413/405 counted" bash -c "grep -q 'code=\"415\"' $D/m.body && grep -q 'code=\"413\"' $D/m.body && grep -q 'code=\"405\"' $D/m.body"
check "... with the request latency histogram" grep -q '^hookd_http_request_seconds_bucket' $D/m.body
check "... with job gauges" grep -q '^hookd_jobs{state="pending"}' $D/m.body
check "... and never the secret" bash -c "! grep -qF '$HOOK_SECRET' $D/m.body"
check "the log never holds the secret" bash -c "! grep -qF '$HOOK_SECRET' $D/hookd.log"

echo "# check-config"
cp "$CFG" $D/bad.ini
printf '[okta_hook]\nbogus_key = 1\n' >>$D/bad.ini
badline=$(grep -n '^bogus_key' $D/bad.ini | cut -d: -f1)
"$HOOKD_BIN" check-config -c $D/bad.ini >$D/cc.out 2>&1
ccrc=$?
check "check-config exits non-zero on an unknown key (rc $ccrc)" test "$ccrc" -ne 0
check "... and names the key and its line $badline" bash -c "grep -q 'bogus_key' $D/cc.out && grep -q '$badline' $D/cc.out"
"$HOOKD_BIN" check-config -c "$CFG" >$D/cc2.out 2>&1
check "check-config accepts the good file (rc 0)" test $? = 0

echo "# SIGTERM during a burst of deliveries"
LG=$(drill_loadgen) || exit 1
"$LG" --port "$HOOKD_PORT" --auth "$HOOK_SECRET" --body "$DRILL_SAMPLE" --connections 8 --duration 3 --reconnect \
	--log $D/burst.log >$D/burst.json 2>$D/burst.err &
lgpid=$!
T_PIDS+=("$lgpid")
sleep 1.2
stop_hookd TERM
termrc=$?
wait $lgpid
check "hookd exits 0 on SIGTERM (rc $termrc)" test "$termrc" = 0
check "the log says it stopped" grep -q '"hookd stopped"' $D/hookd.log
awk '$2 == 200 {print $1}' $D/burst.log | sort >$D/burst.200
drill_journal_keys "$CFG" $D/journal.keys
n200=$(wc -l <$D/burst.200)
missing=$(comm -23 $D/burst.200 $D/journal.keys | wc -l)
echo "     $n200 deliveries answered 200 before the stop; $(cat $D/burst.json)"
check "the burst got answers before the stop ($n200 x 200)" test "$n200" -gt 100
check "every 200-answered delivery is in the journal ($missing missing)" test "$missing" = 0

t_done
