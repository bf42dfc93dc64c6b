#!/usr/bin/env bash
# Follow-ups before the activation link expires: with hookd's clock (HOOKD_CLOCK_OFFSET, hookd
# restarted) and okta-sim's (/sim/clock) moved together, a new hire gets the activation email, a
# second 6 days later, a third 6 days after that; then the person is stuck (hookd people --stuck,
# hookd_activations gauge, warn log) and a Standard Webhooks POST arrives, signed (checked here with
# python hmac), after one 503 that hookd retries; a click on the last link makes the user ACTIVE and
# the last follow-up sends nothing. A person who activated at once is finished, never stuck.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

notify_port=$(free_port)
cat >"$T_DIR/notify.py" <<'PY'
import http.server, json, ssl, sys
port, out, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
seen = [0]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        seen[0] += 1
        code = 503 if seen[0] == 1 else 204
        with open(out, "a") as f:
            f.write(json.dumps({"code": code, "id": self.headers.get("webhook-id"),
                                "ts": self.headers.get("webhook-timestamp"),
                                "sig": self.headers.get("webhook-signature"), "body": body.decode()}) + "\n")
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
s.socket = ctx.wrap_socket(s.socket, server_side=True)
s.serve_forever()
PY
python3 "$T_DIR/notify.py" "$notify_port" "$T_DIR/notify.jsonl" "$T_DIR/certs/server.crt" "$T_DIR/certs/server.key" \
	2>"$T_DIR/notify.log" &
T_PIDS+=($!)
secret_b64=$(head -c 24 /dev/urandom | base64)
printf 'whsec_%s' "$secret_b64" >"$T_DIR/notify.secret"

port=$(free_port)
start_activation_stack "$port" <<INI
[worker]
threads = 2
poll = 100ms
backoff_base = 200ms
backoff_max = 1s
[activation]
max_resends = 2
notify_url = https://127.0.0.1:$notify_port/notify
notify_secret_file = $T_DIR/notify.secret
notify_ca_file = $T_DIR/certs/ca.crt
[rule okta-created]
on = okta:user.lifecycle.create
do = send_activation
INI
DAY=86400
# at DAYS: hookd and okta-sim both DAYS days (plus a minute per step) ahead; hookd restarted.
at() {
	local off=$(($1 * DAY + $1 * 60))
	stop_hookd
	sim_api POST /sim/clock "{\"offset_s\": $off}" >/dev/null
	HOOKD_CLOCK_OFFSET=$off start_hookd || { fail "hookd starts at day $1"; t_done; exit 1; }
	export HOOKD_CLOCK_OFFSET=$off
}

mk() { sim_api POST "/api/v1/users?activate=false" "{\"profile\":{\"login\":\"$1\",\"email\":\"$1\",\"firstName\":\"N\",\"lastName\":\"H\"}}" | jq_py 'd["id"]'; }
status_of() { sim_api GET "/api/v1/users/$1" | jq_py 'd["status"]'; }
mails() { sim_mails user_id="$1"; }
people() { "$HOOKD_BIN" people -c "$HOOKD_CONFIG" --json "$@"; }
field() { people | python3 -c "import json,sys; print([p.get('$2') for p in [json.loads(l) for l in sys.stdin if l.strip()] if p['login']=='$1'][0])"; }

login=new.hire.$RANDOM@example.com
early=early.bird.$RANDOM@example.com
uid=$(mk "$login")
uid2=$(mk "$early")
check "the new hire becomes PROVISIONED" eventually '[ "$(status_of "$uid")" = PROVISIONED ]' 15
check "the early bird becomes PROVISIONED" eventually '[ "$(status_of "$uid2")" = PROVISIONED ]' 15
check "one activation email each" eventually '[ "$(mails "$uid")" = 1 ] && [ "$(mails "$uid2")" = 1 ]' 5
check "hookd people lists the new hire as pending" eventually '[ "$(field "$login" state)" = pending ]' 10
next=$(field "$login" next_follow_up)
sent=$(field "$login" activation_sent_at)
check_eq "the follow-up is due 6 days after the email (link_ttl 7d - resend_before 1d)" \
	"$(python3 -c "from datetime import datetime as D; f=lambda s: D.fromisoformat(s.replace('Z','+00:00')); print(round((f('$next')-f('$sent')).total_seconds()/3600))")" 144
check_eq "one pending follow-up job for the new hire" \
	"$("$HOOKD_BIN" jobs -c "$HOOKD_CONFIG" --state pending --action follow_up_activation --subject "$login" --json | jsonl_py 'len(d)')" 1
tls_curl "$SIM_URL/sim/activate/$(sim_last_token "$uid2")" -X POST >/dev/null
check_eq "the early bird clicks at once: ACTIVE" "$(status_of "$uid2")" ACTIVE

at 6
check "day 6: the second email goes out (reactivate?sendEmail=true)" eventually '[ "$(mails "$uid")" = 2 ]' 15
check "day 6: the early bird's follow-up finishes: ACTIVE" eventually '[ "$(field "$early" state)" = active ]' 10
check_eq "day 6: and sends the early bird nothing" "$(mails "$uid2")" 1
check_eq "day 6: resends counted" "$(field "$login" resends)" 1

at 12
check "day 12: the third email goes out" eventually '[ "$(mails "$uid")" = 3 ]' 15
check_eq "day 12: still no stuck person" "$(people --stuck | jsonl_py 'len(d)')" 0

at 18
check "day 18: the new hire is stuck" eventually '[ "$(field "$login" state)" = stuck ]' 15
check_eq "hookd people --stuck lists exactly the new hire" "$(people --stuck | jsonl_py '[p["login"] for p in d]')" "[\"$login\"]"
check_eq "no fourth email" "$(mails "$uid")" 3
check "the gauge counts one stuck person" eventually \
	'tls_curl "$HOOKD_URL/metrics" | grep -q "^hookd_activations{state=\"stuck\"} 1"' 5
check "a warn log names the login" grep -q "\"activation stuck.*$login" "$T_DIR/hookd.log"
check "the notify POST arrives after a retry" eventually '[ "$(grep -c "\"code\": 204" "$T_DIR/notify.jsonl" 2>/dev/null)" = 1 ]' 15
verdict=$(python3 - "$T_DIR/notify.jsonl" "$secret_b64" "$login" <<'PY'
import base64, hashlib, hmac, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
key = base64.b64decode(sys.argv[2])
bad = []
for r in rows:
    mac = base64.b64encode(hmac.new(key, ("%s.%s.%s" % (r["id"], r["ts"], r["body"])).encode(), hashlib.sha256).digest()).decode()
    if r["sig"] != "v1," + mac:
        bad.append("signature")
body = json.loads(rows[-1]["body"])
if body["type"] != "activation.stuck" or body["data"]["login"] != sys.argv[3] or body["data"]["resends"] != 2:
    bad.append("body")
if len({r["id"] for r in rows}) != 1 or len(rows) != 2:
    bad.append("ids")
print(" ".join(bad) or "ok")
PY
)
check_eq "both POSTs are signed (Standard Webhooks v1), one message id, the body names the person" "$verdict" ok

tls_curl "$SIM_URL/sim/activate/$(sim_last_token "$uid")" -X POST >/dev/null
check_eq "a click on the last link makes the user ACTIVE" "$(status_of "$uid")" ACTIVE
at 20
check "day 20: the last follow-up finds the user ACTIVE" eventually '[ "$(field "$login" state)" = active ]' 15
check_eq "and sent nothing" "$(mails "$uid")" 3
check_eq "nobody is stuck any more" "$(people --stuck | jsonl_py 'len(d)')" 0
check_eq "no pending follow-up left" \
	"$("$HOOKD_BIN" jobs -c "$HOOKD_CONFIG" --state pending --action follow_up_activation --json | jsonl_py 'len(d)')" 0
check_eq "no dead job" "$("$HOOKD_BIN" jobs -c "$HOOKD_CONFIG" --state dead --json | jsonl_py 'len(d)')" 0
show=$("$HOOKD_BIN" people show "$login" -c "$HOOKD_CONFIG")
echo "$show" | sed 's/^/    /'
check "people show: the timeline has every email and the stuck record" \
	bash -c "grep -c 'activation: \(sent\|resent\)' <<<\"\$1\" | grep -qx 3 && grep -q 'activation: stuck' <<<\"\$1\"" _ "$show"
check "people show never prints a link" bash -c "! grep -q '/tokens/' <<<\"\$1\"" _ "$show"
t_done
