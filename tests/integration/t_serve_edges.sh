#!/usr/bin/env bash
# Small edges of hookd serve (issue 12, section 6): SIGHUP is logged and never stops the server;
# /metrics needs admin_token unless every listener is on loopback (the listening address decides,
# not the client's: a 0.0.0.0 listener reached over 127.0.0.1 is still locked); a flood of
# unauthenticated requests is counted in metrics and logged once per reason plus a summary per
# interval, not one line each; [server] allow refuses other addresses at accept, before TLS; a
# route's allow ([okta_hook], [source NAME]) refuses them per request with 403, before the body.
. "$(dirname "$0")/../lib.sh"

port=$(free_port)
write_hookd_config "$port" </dev/null
start_hookd || { fail "hookd starts"; cat "$T_DIR/hookd.log"; t_done; exit 1; }
kill -HUP "$HOOKD_PID"
sleep 0.5
check "after SIGHUP hookd is still running" kill -0 "$HOOKD_PID"
check_eq "...and serving" "$(tls_curl "$HOOKD_URL/healthz" -o /dev/null -w '%{http_code}')" 200
check "...and it logged the reload" grep -q 'configuration reloaded' "$T_DIR/hookd.log"
check_eq "/metrics on a loopback listener without admin_token is open" \
	"$(tls_curl "$HOOKD_URL/metrics" -o /dev/null -w '%{http_code}')" 200

# 300 unauthenticated deliveries over a few keep-alive connections.
for i in $(seq 300); do printf 'url = "%s/hooks/okta"\noutput = "/dev/null"\n' "$HOOKD_URL"; done >"$T_DIR/flood.curl"
tls_curl -K "$T_DIR/flood.curl" -X POST -H 'Content-Type: application/json' --data-binary '{}' \
	-w '%{http_code}\n' >"$T_DIR/flood.codes"
check_eq "300 unauthenticated deliveries are refused 401" "$(grep -c '^401$' "$T_DIR/flood.codes")" 300
tls_curl "$HOOKD_URL/metrics" -o "$T_DIR/metrics"
check "...counted by reason in /metrics" grep -q 'hookd_http_refusals_total{error="unauthorized"} 300' "$T_DIR/metrics"
lines=$(grep -c '"msg":"request refused".*"error":"unauthorized"' "$T_DIR/hookd.log")
check_eq "...and logged once, not once each" "$lines" 1
stop_hookd

# The summary line: the interval is 10 s; refusals after it are summed up on one line.
start_hookd || { fail "hookd restarts"; t_done; exit 1; }
tls_curl -K <(head -10 "$T_DIR/flood.curl") -X POST --data-binary '{}' -w '%{http_code}\n' >/dev/null
sleep 10.5
tls_curl -K <(head -6 "$T_DIR/flood.curl") -X POST --data-binary '{}' -w '%{http_code}\n' >/dev/null
check "after the interval one summary line counts the refusals since the first" \
	grep -q '"msg":"requests refused since the last summary".*"counts":"unauthorized=5"' "$T_DIR/hookd.log"
stop_hookd

# Not on loopback: listen on every address, reach it over 127.0.0.1; the client's address must not open it.
T_SERVER_EXTRA="listen = 0.0.0.0:$port" write_hookd_config "$port" </dev/null
sed -i "0,/^listen = 127.0.0.1:$port\$/{/^listen = 127.0.0.1:$port\$/d}" "$T_DIR/hookd.ini"
start_hookd || { fail "hookd starts on 0.0.0.0"; cat "$T_DIR/hookd.log"; t_done; exit 1; }
check_eq "/metrics on a 0.0.0.0 listener without admin_token is locked, even from 127.0.0.1" \
	"$(tls_curl "$HOOKD_URL/metrics" -o "$T_DIR/m.body" -w '%{http_code}')" 403
check_eq "...with the reason" "$(jq_py 'd["error"]' <"$T_DIR/m.body")" admin_token_required
stop_hookd
printf 'adm1n-%s' "$RANDOM" >"$T_DIR/admin.token"
T_SERVER_EXTRA="listen = 0.0.0.0:$port
admin_token_file = $T_DIR/admin.token" write_hookd_config "$port" </dev/null
sed -i "0,/^listen = 127.0.0.1:$port\$/{/^listen = 127.0.0.1:$port\$/d}" "$T_DIR/hookd.ini"
start_hookd || { fail "hookd starts with admin_token"; t_done; exit 1; }
check_eq "with admin_token: no token is 401" "$(tls_curl "$HOOKD_URL/metrics" -o /dev/null -w '%{http_code}')" 401
check_eq "with admin_token: the token opens it" \
	"$(tls_curl "$HOOKD_URL/metrics" -H "Authorization: Bearer $(cat "$T_DIR/admin.token")" -o /dev/null -w '%{http_code}')" 200
stop_hookd

# [server] allow: 127.0.0.1 is outside 10.0.0.0/8, so the connection is closed at accept, before TLS.
T_SERVER_EXTRA="allow = 10.0.0.0/8, 192.0.2.7" write_hookd_config "$port" </dev/null
"$HOOKD_BIN" serve -c "$T_DIR/hookd.ini" 2>>"$T_DIR/hookd.log" &
HOOKD_PID=$!
T_PIDS+=($HOOKD_PID)
sleep 1
for i in 1 2 3; do timeout 5 openssl s_client -connect 127.0.0.1:$port -servername localhost </dev/null >"$T_DIR/s_client.$i" 2>&1; done
check "an address outside allow gets no TLS handshake (no certificate sent)" grep -q 'no peer certificate available' "$T_DIR/s_client.1"
check_eq "...and three refusals write one log line, not one each" \
	"$(grep -c '"error":"address_not_allowed"' "$T_DIR/hookd.log")" 1
stop_hookd
# An entry with host bits set means its network, as a route's allow reads it (civetweb alone would admit nobody).
T_SERVER_EXTRA="allow = 10.0.0.0/8, 127.0.0.9/8" write_hookd_config "$port" </dev/null
start_hookd || { fail "hookd starts with allow including loopback"; t_done; exit 1; }
check_eq "an address inside allow (127.0.0.9/8: 127.0.0.0/8) is served" \
	"$(tls_curl "$HOOKD_URL/healthz" -o /dev/null -w '%{http_code}')" 200
stop_hookd

# Route allowlists: 127.0.0.1 passes [server] allow but not the routes' 10.0.0.0/8.
printf 'people-%s' "$RANDOM" >"$T_DIR/people.secret"
route_config() {
	T_SERVER_EXTRA="allow = 10.0.0.0/8, 127.0.0.0/8" write_hookd_config "$port" <<INI
[okta_hook]
allow = $1
[source people]
allow = $1
scheme = header-secret
signature_header = X-People-Secret
secret_file = $T_DIR/people.secret
map.type = /action
map.employee_id = /id
INI
}
route_config 10.0.0.0/8
start_hookd || { fail "hookd starts with route allowlists"; t_done; exit 1; }
delivery='{"eventType":"com.okta.event_hook","data":{"events":[{"uuid":"allow-1","eventType":"user.lifecycle.create"}]}}'
okta_post() { tls_curl "$HOOKD_URL/hooks/okta" -D "$T_DIR/r.head" -o "$T_DIR/r.body" -w '%{http_code}' \
	-H "Authorization: $HOOK_SECRET" -H 'Content-Type: application/json' --data-binary "$delivery"; }
check_eq "a delivery from outside [okta_hook] allow is refused 403" "$(okta_post)" 403
check_eq "...with the reason" "$(jq_py 'd["error"]' <"$T_DIR/r.body")" address_not_allowed
check "...and Connection: close" grep -qi '^connection: close' "$T_DIR/r.head"
check_eq "an HR delivery from outside [source people] allow is refused 403" \
	"$(tls_curl "$HOOKD_URL/hooks/hr/people" -o "$T_DIR/r.body" -w '%{http_code}' -H "X-People-Secret: $(cat "$T_DIR/people.secret")" \
		-H 'Content-Type: application/json' --data-binary '{"action":"employee.hired","id":"1"}')" 403
check_eq "...with the reason" "$(jq_py 'd["error"]' <"$T_DIR/r.body")" address_not_allowed
# Refused before the body is read: a head announcing 100 bytes that never come is answered at once.
check_eq "the refusal does not wait for the body" "$(python3 - "$port" "$T_DIR/certs/ca.crt" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3), server_hostname="localhost")
s.sendall(b"POST /hooks/okta HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
try:
    print(s.recv(4096).split(b" ")[1].decode())
except (socket.timeout, IndexError):
    print("none")
PY
)" 403
tls_curl "$HOOKD_URL/metrics" -o "$T_DIR/metrics"
check "the refusals are counted by reason" grep -q 'hookd_http_refusals_total{error="address_not_allowed"} 3' "$T_DIR/metrics"
check_eq "...logged once" "$(grep -c '"msg":"request refused".*"error":"address_not_allowed"' "$T_DIR/hookd.log")" 1
check_eq "nothing was journaled" "$("$HOOKD_BIN" events -c "$T_DIR/hookd.ini" --json | wc -l)" 0
stop_hookd
route_config "10.0.0.0/8, 127.0.0.1/32"
start_hookd || { fail "hookd starts with route allowlists including 127.0.0.1"; t_done; exit 1; }
check_eq "with 127.0.0.1/32 in [okta_hook] allow the delivery is taken" "$(okta_post)" 200
stop_hookd
route_config 10.0.0.0/33
out=$("$HOOKD_BIN" check-config -c "$T_DIR/hookd.ini" 2>&1)
check "check-config refuses a bad [okta_hook] allow entry" grep -qF "[okta_hook] allow: '10.0.0.0/33' is not an address or CIDR" <<<"$out"
check "...and a bad [source people] allow entry" grep -qF "[source people] allow: '10.0.0.0/33' is not an address or CIDR" <<<"$out"
T_SERVER_EXTRA="allow = 10.0.0.0/33" write_hookd_config "$port" </dev/null
check "check-config refuses a bad allow entry" sh -c "! '$HOOKD_BIN' check-config -c '$T_DIR/hookd.ini' 2>&1 | grep -q OK"
t_done
