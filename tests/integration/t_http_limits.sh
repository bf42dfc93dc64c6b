#!/usr/bin/env bash
# Bounded bodies and deadlines on the wire: a body announced over max_body is refused with 413 and
# the connection closed at once (civetweb would otherwise read and discard it for as long as the
# client trickles it); a body trickled past request_timeout is cut off at the deadline (civetweb's
# read keeps going while bytes trickle in, so a watchdog shuts the socket's reads); an honest client
# on another connection is served meanwhile; max_conns_per_address closes an address's connection
# past its cap before any TLS work, and serves it again once one is freed.
. "$(dirname "$0")/../lib.sh"

port=$(free_port)
T_SERVER_EXTRA="request_timeout = 2s" write_hookd_config "$port" </dev/null
start_hookd || { fail "hookd starts"; cat "$T_DIR/hookd.log"; t_done; exit 1; }

cat >"$T_DIR/client.py" <<'PY'
import socket, ssl, sys, time
port, ca, secret, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
length = 100_000_000 if mode == "huge" else 5000
s.sendall(("POST /hooks/okta HTTP/1.1\r\nHost: localhost\r\nAuthorization: %s\r\n"
           "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n{" % (secret, length)).encode())
t0 = time.time(); got = b""; closed = None
s.settimeout(0.2)
while time.time() - t0 < 12:
    try:
        d = s.recv(65536)
        if not d:
            closed = time.time() - t0; break
        got += d
    except socket.timeout:
        pass
    except (ConnectionResetError, ssl.SSLError):
        closed = time.time() - t0; break
    try:
        s.send(b" ")  # the trickle: one byte per 200 ms
    except OSError:
        closed = time.time() - t0; break
status = got.split(b" ")[1].decode() if got.startswith(b"HTTP/1.1") else "none"
print(status, "%.1f" % closed if closed is not None else "open", "json" if b'"error"' in got else "nojson")
PY
read -r st closed js < <(python3 "$T_DIR/client.py" "$port" "$T_DIR/certs/ca.crt" "$HOOK_SECRET" huge)
check_eq "a body announced over max_body gets 413" "$st" 413
check_eq "with a JSON reason" "$js" json
check "and the connection is closed at once, not drained (closed after ${closed}s)" \
	python3 -c "import sys; sys.exit(0 if '$closed' != 'open' and float('$closed') < 2 else 1)"
read -r st closed js < <(python3 "$T_DIR/client.py" "$port" "$T_DIR/certs/ca.crt" "$HOOK_SECRET" trickle &
	sleep 1; tls_curl "$HOOKD_URL/healthz" -o /dev/null -w '%{http_code}\n' >"$T_DIR/honest"; wait)
# The watchdog shuts the socket's reading side at the deadline; once OpenSSL has seen that EOF it
# will not write any more, so the client sees the close and hookd records the 408 in its log.
check "a body trickled past request_timeout (2 s): the connection is closed at the deadline (after ${closed}s)" \
	python3 -c "import sys; sys.exit(0 if '$closed' != 'open' and float('$closed') < 4 else 1)"
check "hookd records it as a 408" grep -q '"status":408,"error":"request_timeout"' "$T_DIR/hookd.log"
check_eq "an honest client is served meanwhile" "$(cat "$T_DIR/honest")" 200
check_eq "nothing was journaled" "$("$HOOKD_BIN" events -c "$T_DIR/hookd.ini" --json | wc -l)" 0

# The budget for bodies buffered at once (body_memory): a trickling 5000-byte body holds 5001 bytes of
# 8192, so a 4000-byte delivery meanwhile is refused 503 overloaded; once the trickler is cut off, it
# is taken.
stop_hookd
T_SERVER_EXTRA="request_timeout = 2s
max_body = 8192
body_memory = 8192" write_hookd_config "$port" </dev/null
start_hookd || { fail "hookd restarts with body_memory = 8192"; t_done; exit 1; }
python3 - "$T_DIR/delivery.json" <<'PY'
import json, sys, uuid
ev = {"uuid": str(uuid.uuid4()), "eventType": "user.lifecycle.create", "published": "2026-11-27T05:00:00.000Z",
      "displayMessage": "x" * 3000, "target": [{"id": "00ubudget", "type": "User"}]}
json.dump({"eventType": "com.okta.event_hook", "data": {"events": [ev]}}, open(sys.argv[1], "w"))
PY
post() { tls_curl "$HOOKD_URL/hooks/okta" -o "$T_DIR/post.out" -w '%{http_code}' -H "Authorization: $HOOK_SECRET" \
	-H 'Content-Type: application/json' --data-binary @"$T_DIR/delivery.json"; }
python3 "$T_DIR/client.py" "$port" "$T_DIR/certs/ca.crt" "$HOOK_SECRET" trickle >/dev/null &
trickler=$!
sleep 0.7
check_eq "while a trickled body holds most of body_memory, another body gets 503" "$(post)" 503
check_eq "...with the reason" "$(jq_py 'd["error"]' <"$T_DIR/post.out")" overloaded
wait $trickler
check_eq "once the trickler is cut off, the same delivery is taken" "$(post)" 200
check_eq "...and journaled once" "$("$HOOKD_BIN" events -c "$T_DIR/hookd.ini" --json | wc -l)" 1

# max_conns_per_address = 2: two connections from 127.0.0.1 held open (handshake done, no request),
# a third is closed before its handshake and counted; once one is freed, a delivery is served.
stop_hookd
T_SERVER_EXTRA="max_conns_per_address = 2" write_hookd_config "$port" </dev/null
start_hookd || { fail "hookd restarts with max_conns_per_address = 2"; t_done; exit 1; }
cat >"$T_DIR/cap.py" <<'PY'
import json, socket, ssl, sys, time, uuid
port, ca, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
def tls():
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname="localhost")
def refused():
    try:
        c = tls()
    except (OSError, ssl.SSLError):
        return True
    c.close()
    return False
held = [tls(), tls()]
third = "refused" if refused() else "served"
held.pop().close()
body = json.dumps({"eventType": "com.okta.event_hook", "data": {"events": [
    {"uuid": str(uuid.uuid4()), "eventType": "user.lifecycle.create", "target": [{"id": "00ucap", "type": "User"}]}]}})
status, refusals, t0 = "none", 1 if third == "refused" else 0, time.time()
while status == "none" and time.time() - t0 < 10:  # until hookd has seen the freed connection close
    try:
        c = tls()
    except (OSError, ssl.SSLError):
        refusals += 1
        time.sleep(0.05)
        continue
    c.sendall(("POST /hooks/okta HTTP/1.1\r\nHost: localhost\r\nAuthorization: %s\r\nContent-Type: application/json\r\n"
               "Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (secret, len(body), body)).encode())
    got = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        got += d
    status = got.split(b" ")[1].decode() if got.startswith(b"HTTP/1.1") else "closed"
print(third, status, refusals)
PY
read -r third st refusals < <(python3 "$T_DIR/cap.py" "$port" "$T_DIR/certs/ca.crt" "$HOOK_SECRET")
check_eq "with two connections held, a third from the same address is closed" "$third" refused
check_eq "once one is freed, an honest delivery is served" "$st" 200
check_eq "hookd_http_address_cap_total counts each connection closed at the cap" \
	"$(metric_at "$HOOKD_URL" hookd_http_address_cap_total)" "$refusals"
stop_hookd
T_SERVER_EXTRA="max_body = 65536
body_memory = 4096" write_hookd_config "$port" </dev/null
out=$("$HOOKD_BIN" check-config -c "$T_DIR/hookd.ini" 2>&1)
rc=$?
check "check-config refuses body_memory below max_body (exit $rc)" test "$rc" -ne 0
check "...naming the key and the rule" grep -q 'body_memory: must be at least max_body' <<<"$out"
t_done
