#!/usr/bin/env bash
# t_text_output.sh: hostile text end to end (issue 12, sections 3 and 4). Okta deliveries with NUL,
# lone surrogates or repeated fields are refused with 400; HR bodies that are not text get 422 and a
# rejected row; `hookd events --json` and `hookd jobs --json` are JSON Lines that python3 parses line
# by line whatever the journal holds (bodies that are not JSON, empty bodies, a body crafted to look
# accepted, logins with newlines and ESC, and old rows written before this check with bytes that are
# not UTF-8); the text tables carry no raw control byte.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

port=$(free_port)
printf 'people-%s' "$RANDOM$RANDOM" >"$T_DIR/people.secret"
write_hookd_config "$port" <<INI
[source people]
scheme = hmac
secret_file = $T_DIR/people.secret
signature_header = X-Hub-Signature-256
prefix = sha256=
algorithm = sha256
encoding = hex
signed = {body}
id_header = X-Delivery-Id
content = json
map.type = /action
map.employee_id = /employee/id
map.email = ?/employee/email
INI
start_hookd || { fail "hookd starts"; t_done; exit 1; }

# okta BODY: posts an Okta delivery; prints the status, the answer in $T_DIR/last.body.
okta() {
	tls_curl "$HOOKD_URL/hooks/okta" -o "$T_DIR/last.body" -w '%{http_code}' -H "Authorization: $HOOK_SECRET" \
		-H 'Content-Type: application/json' --data-binary "$1"
}
# hr ID FILE: posts the bytes of FILE as a signed HR delivery with delivery id ID; prints the status.
hr() {
	local sig
	sig=$(openssl dgst -sha256 -hmac "$(cat "$T_DIR/people.secret")" -r <"$2" | cut -d' ' -f1)
	tls_curl "$HOOKD_URL/hooks/hr/people" -o "$T_DIR/last.body" -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "X-Hub-Signature-256: sha256=$sig" -H "X-Delivery-Id: $1" --data-binary "@$2"
}
error_is() { python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); assert b["error"]==sys.argv[2] and sys.argv[3] in b["message"], b' \
	"$T_DIR/last.body" "$1" "$2"; }
events_jsonl() { "$HOOKD_BIN" events -c "$T_DIR/hookd.ini" --json --limit 1000; }

echo "# Okta deliveries that are not text, or name a field twice, are refused"
env_of() { printf '{"eventId":"%s","data":{"events":[%s]}}' "$1" "$2"; }
check_eq "two uuids that differ after a \\u0000 are refused" \
	"$(okta "$(env_of n1 '{"uuid":"X\u0000one","eventType":"user.lifecycle.create"},{"uuid":"X\u0000two","eventType":"user.lifecycle.create"}')")" 400
check "... with a JSON error naming the field" error_is bad_delivery "data.events[0].uuid contains U+0000"
check_eq "a login with a \\u0000 is refused" \
	"$(okta "$(env_of n2 '{"uuid":"n2-0","eventType":"user.lifecycle.create","target":[{"type":"User","id":"00u1","alternateId":"ceo@example.com\u0000@evil.example"}]}')")" 400
check_eq "a lone surrogate is refused" "$(okta "$(env_of n3 '{"uuid":"\ud800","eventType":"t"}')")" 400
check "... and named" error_is bad_delivery "lone UTF-16 surrogate"
check_eq "bytes that are not UTF-8 are refused" "$(okta "$(env_of n4 "$(printf '{"uuid":"n4-0","eventType":"t","target":[{"type":"User","displayName":"\xff"}]}')")")" 400
check_eq "a uuid given twice is refused" "$(okta "$(env_of n5 '{"uuid":"a","uuid":"b","eventType":"t"}')")" 400
check "... and named" error_is bad_delivery "uuid appears twice"
check_eq "nothing of them was journaled" "$(events_jsonl | wc -l)" 0

echo "# hostile text that is text is kept, and printed safely"
login='evil\n99       2026-01-01T00:00:00Z     okta           user.lifecycle.create          ceo@example.com\u001b[2J\u001b]0;pwned\u0007\u009b31m'
check_eq "an Okta login with newlines and ESC is accepted" \
	"$(okta "$(env_of h1 "{\"uuid\":\"h1-0\",\"eventType\":\"user.lifecycle.create\",\"target\":[{\"type\":\"User\",\"id\":\"00uH\",\"alternateId\":\"$login\"}]}")")" 200
check_eq "an explicit uuid E#0 and eventId E's first uuid-less event are two events" \
	"$(okta "$(env_of E '{"eventType":"user.lifecycle.create"},{"uuid":"E#0","eventType":"user.lifecycle.create"}')")" 200
printf 'x","status":"accepted' >"$T_DIR/notjson"
check_eq "a signed HR body that is not JSON gets 422" "$(hr d-notjson "$T_DIR/notjson")" 422
: >"$T_DIR/empty"
check_eq "an empty signed HR body gets 422" "$(hr d-empty "$T_DIR/empty")" 422
printf '{"action":"employee.hired","employee":{"id":"7","email":"a@example.com\\u0000@evil.example"}}' >"$T_DIR/nul"
check_eq "an HR email with a \\u0000 gets 422" "$(hr d-nul "$T_DIR/nul")" 422
check "... naming the field" error_is unmappable_payload "map.email: /employee/email contains U+0000"
printf '{"action":"employee.hired","employee":{"id":"7","id":"8"}}' >"$T_DIR/dup"
check_eq "an HR employee id given twice gets 422" "$(hr d-dup "$T_DIR/dup")" 422
printf '{"action":"employee.hired","employee":{"id":"9","email":"b@example.com\\n10 forged row\\u001b[31m"}}\n\n' >"$T_DIR/hostile"
check_eq "an HR email with a newline and ESC is accepted" "$(hr d-hostile "$T_DIR/hostile")" 200
printf '{"action":"employee.hired","employee":{"id":"10"}}' >"$T_DIR/plain"
check_eq "an HR delivery whose id is literally rejected:d-notjson is accepted" "$(hr rejected:d-notjson "$T_DIR/plain")" 200
check_eq "one whose id is ~rejected:d-empty (hookd's own key space) is accepted" "$(hr '~rejected:d-empty' "$T_DIR/plain")" 200

# Rows written before these checks existed: bytes that are not UTF-8, raw controls, a body cut at a NUL.
python3 - "$T_DIR/hookd.db" <<'EOF' || fail "old rows can be written"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ins = ("INSERT INTO events (source, dedupe_key, type, received_ms, subject_login, status, reason, raw) "
       "VALUES (?, ?, ?, 1, CAST(? AS TEXT), ?, CAST(? AS TEXT), CAST(? AS TEXT))")
db.execute(ins, ("okta", "old-1", "user.lifecycle.create", b"old\xff\x1b[2J\r\nrow", "accepted", None,
                 b'{"a":"\xff\x1b"}'))
db.execute(ins, ("hr:people", "rejected:old-2", "unmapped", b"\xc2\x9b31m", "rejected", b"bad\x07\n",
                 b"}, \"status\": \"accepted\", {"))
db.execute("INSERT INTO jobs (action, subject, state, run_at_ms, last_error, created_ms, updated_ms, params) "
           "VALUES ('create_user', CAST(? AS TEXT), 'dead', 1, CAST(? AS TEXT), 1, 1, CAST(? AS TEXT))",
           (b"x\x1b[2J\n00 forged", b"E0000001: \x1b]0;t\x07\xff", b"{\"login\":\"a\"} junk"))
# a pending job a claim found waiting behind another (far ahead, so the workers leave it)
db.execute("INSERT INTO jobs (action, subject, state, run_at_ms, created_ms, updated_ms, held_by) "
           "VALUES ('update_profile', 'held@example.com', 'pending', 9000000000000, 1, 1, 4242)")
db.commit()
EOF

echo "# --json is JSON Lines"
events_jsonl >"$T_DIR/events.jsonl"
"$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --json >"$T_DIR/jobs.jsonl"
check "every events line and jobs line parses as one JSON object (strict UTF-8)" python3 - "$T_DIR/events.jsonl" "$T_DIR/jobs.jsonl" <<'EOF'
import json, sys
for path in sys.argv[1:]:
    for n, line in enumerate(open(path, "rb").read().decode("utf-8").split("\n")[:-1]):
        assert isinstance(json.loads(line), dict), (path, n, line)
EOF
py_events() { python3 -c "import json,sys; ev=[json.loads(l) for l in open('$T_DIR/events.jsonl')]; by={e['dedupe_key']:e for e in ev}; $1"; }
check_eq "one line per stored event" "$(wc -l <"$T_DIR/events.jsonl")" 12
check_eq "the E#0 events have two keys" "$(py_events "print(sorted(k for k in by if k.endswith('E#0')))")" "['E#0', '~E#0']"
check_eq "a body that is not JSON is a JSON string, and its row stays rejected" \
	"$(py_events "e=by['~rejected:d-notjson']; print(e['status'], e['raw'])")" 'rejected x","status":"accepted'
check_eq "the HR deliveries that were not text, or named a field twice, are rejected rows with the reason" \
	"$(py_events "print([(by[k]['status'], by[k]['reason']) for k in ('~rejected:d-nul', '~rejected:d-dup')])")" \
	"[('rejected', 'map.email: /employee/email contains U+0000 (NUL)'), ('rejected', 'map.employee_id: /employee/id names a key that appears twice in one object')]"
check_eq "an empty body is the empty string" "$(py_events "print(repr(by['~rejected:d-empty']['raw']))")" "''"
check_eq "an accepted delivery with id rejected:X and the rejected delivery X are two events" \
	"$(py_events "print(by['rejected:d-notjson']['status'], by['~rejected:d-notjson']['status'])")" "accepted rejected"
check_eq "an id that starts with ~ is not taken as the key: it is hashed, and the rejected row keeps its own" \
	"$(py_events "print(by[__import__('hashlib').sha256(b'~rejected:d-empty').hexdigest()]['status'], by['~rejected:d-empty']['status'])")" \
	"accepted rejected"
check_eq "a JSON body is embedded as JSON" "$(py_events "print(by['d-hostile']['raw']['employee']['id'])")" 9
check_eq "the hostile login comes back exactly" \
	"$(py_events "print(repr(by['h1-0']['subject_login']))")" "'evil\\n99       2026-01-01T00:00:00Z     okta           user.lifecycle.create          ceo@example.com\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m'"
check_eq "an old row crafted to look accepted stays rejected, its body a string" \
	"$(py_events "e=by['rejected:old-2']; print(e['status'], type(e['raw']).__name__)")" "rejected str"
check_eq "an old row's bytes that are not UTF-8 come back as U+FFFD, its body that is no longer JSON as a string" \
	"$(py_events "print(ascii(by['old-1']['subject_login']), ascii(by['old-1']['raw']))")" "'old\\ufffd\\x1b[2J\\r\\nrow' '{\"a\":\"\\ufffd\\x1b\"}'"
check_eq "a job's stored params that are not JSON are a string" \
	"$(python3 -c "import json; print([json.loads(l).get('params') for l in open('$T_DIR/jobs.jsonl')])")" "[None, '{\"login\":\"a\"} junk']"
check_eq "a job found waiting says behind which job (held_by), the others null" \
	"$(python3 -c "import json; print([json.loads(l)['held_by'] for l in open('$T_DIR/jobs.jsonl')])")" "[4242, None]"

echo "# text tables escape control characters"
"$HOOKD_BIN" events -c "$T_DIR/hookd.ini" --limit 1000 >"$T_DIR/events.txt"
"$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" >"$T_DIR/jobs.txt"
# no_controls FILE ROWS: no control byte but the line ends, no C1 control, and ROWS lines after the header.
no_controls() {
	python3 - "$1" "$2" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
bad = [c for c in b if (c < 0x20 and c != 0x0a) or c == 0x7f]
assert not bad, bad
t = b.decode("utf-8")
assert not any(0x80 <= ord(c) <= 0x9f or 0x202a <= ord(c) <= 0x202e for c in t), t
assert t.count("\n") == int(sys.argv[2]) + 1, t
EOF
}
check "hookd events prints no raw control byte and one line per event" no_controls "$T_DIR/events.txt" 12
check "... the login's escapes are visible instead" grep -qF 'evil\n99' "$T_DIR/events.txt"
check "hookd jobs prints no raw control byte and one line per job" no_controls "$T_DIR/jobs.txt" 2
check "... the error's ESC is shown as \\x1b" grep -qF 'E0000001: \x1b]0;t\x07\xff' "$T_DIR/jobs.txt"
check "... a job found waiting says behind which job" grep -qE 'held@example.com +held behind job 4242$' "$T_DIR/jobs.txt"
check "hookd events --help documents JSON Lines" bash -c "'$HOOKD_BIN' events --help | grep -q 'JSON Lines'"

t_done
