#!/usr/bin/env bash
# Strict request framing on the wire (issue 12, section 1): every ambiguity RFC 9112 names is refused
# with 400 (431, 417, 501 where those fit) and a JSON reason, the connection closes, and the request
# smuggled behind it is never run; nothing is journaled. HEAD answers carry no body, Expect:
# 100-continue gets its interim answer after auth and size checks, absolute-form targets are served.
# Raw bytes over TLS (python3 ssl): curl and every library would refuse to send most of these.
. "$(dirname "$0")/../lib.sh"

port=$(free_port)
write_hookd_config "$port" </dev/null
start_hookd || { fail "hookd starts"; cat "$T_DIR/hookd.log"; t_done; exit 1; }

cat >"$T_DIR/raw.py" <<'PY'
# raw.py PORT CA SECRET CASE: sends one crafted request, prints "<codes> <closed|open> <error codes>".
import json, socket, ssl, sys, time, uuid
port, ca, secret, case = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def delivery():
    ev = {"uuid": str(uuid.uuid4()), "eventType": "user.lifecycle.create", "published": "2026-11-27T05:00:00.000Z",
          "target": [{"id": "00uframing", "type": "User", "alternateId": "f@example.com"}]}
    return json.dumps({"eventType": "com.okta.event_hook", "data": {"events": [ev]}}).encode()

body = delivery()
auth = "Authorization: %s\r\n" % secret
inner = (("POST /hooks/okta HTTP/1.1\r\nHost: h\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
          % (auth, len(body))).encode() + body)
pre = "POST /hooks/okta HTTP/1.1\r\nHost: h\r\n" + auth + "Content-Type: application/json\r\n"

def chunked(b):
    return b"%x\r\n" % len(b) + b + b"\r\n0\r\n\r\n"

cases = {
    # CL with TE: civetweb reads chunked, the rest would run as the next request
    "cl_te": (pre + "Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % (len(chunked(b"{}")) + len(inner))).encode()
             + chunked(b"{}") + inner,
    "cl_cl": (pre + "Content-Length: 2\r\nContent-Length: %d\r\n\r\n" % (2 + len(inner))).encode() + b"{}" + inner,
    "cl_hex": (pre + "Content-Length: 0x10\r\n\r\n").encode() + inner,
    "cl_suffix": (pre + "Content-Length: %dabc\r\n\r\n" % len(body)).encode() + body,
    "cl_list": (pre + "Content-Length: %d, 999\r\n\r\n" % len(body)).encode() + body,
    "cl_plus": (pre + "Content-Length: +%d\r\n\r\n" % len(body)).encode() + body,
    "te_space": (pre + "Transfer-Encoding : chunked\r\n\r\n").encode() + chunked(body),
    "te_gzip": (pre + "Transfer-Encoding: gzip\r\n\r\n").encode() + body,
    "te_identity": (pre + "Transfer-Encoding: identity\r\nContent-Length: %d\r\n\r\n" % len(body)).encode() + body,
    "fold": (pre + "X-Note: a\r\n folded\r\nContent-Length: %d\r\n\r\n" % len(body)).encode() + body,
    "fold_cl": (pre + "Content-Length: %d\r\n 999\r\n\r\n" % len(body)).encode() + body,
    "colon_first": (pre + "Content-Length: %d\r\n: x\r\n\r\n" % len(body)).encode() + body,
    "two_auth": ("POST /hooks/okta HTTP/1.1\r\nHost: h\r\n%s%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                 % (auth, "Authorization: wrong\r\n", len(body))).encode() + body,
    "headers64": (pre + "".join("X-H%d: v\r\n" % i for i in range(61)) + "Content-Length: %d\r\n\r\n" % len(body)).encode() + body,
    "headers70": (pre + "".join("X-H%d: v\r\n" % i for i in range(67)) + "Content-Length: %d\r\n\r\n" % len(body)).encode() + body,
    "expect_other": (pre + "Expect: 200-ok\r\nContent-Length: %d\r\n\r\n" % len(body)).encode() + body,
    "bare_lf": ("GET /healthz HTTP/1.1\r\nHost: h\nX-A: 1\r\n\r\n").encode(),
    "no_host": b"GET /healthz HTTP/1.1\r\n\r\n",
    # a bare-LF head that fills civetweb's 16 KiB request buffer to its last byte
    "lf_full": b"GET /healthz HTTP/1.1\r\nHost: h\r\nX-Pad: " + b"a" * (16384 - 41) + b"\n\n",
    # a bare-LF head whose body's first bytes look like the rest of a CRLF head
    "lf_body": (pre + "Content-Length: 2\r\nX-A: 1\n\n").encode() + b"\r\0",
    "honest": inner,
}

def read_all(s, idle=1.5, total=5.0):
    s.settimeout(0.2); got = b""; closed = False; t0 = last = time.time()
    while time.time() - last < idle and time.time() - t0 < total:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, ssl.SSLError, OSError):
            closed = True; break
        if not d:
            closed = True; break
        got += d; last = time.time()
    return got, closed

def responses(got, head=False):
    """[(status, body)] of the responses in got, bodies by Content-Length (none after HEAD)."""
    out = []
    while got.startswith(b"HTTP/1.1 "):
        end = got.find(b"\r\n\r\n")
        if end < 0: break
        hdr = got[:end].decode("latin-1"); got = got[end + 4:]
        st = int(hdr.split(" ")[1]); n = 0
        for line in hdr.split("\r\n")[1:]:
            k, _, v = line.partition(":")
            if k.lower() == "content-length": n = int(v)
        if st == 100 or head: n = 0
        out.append((st, got[:n])); got = got[n:]
    return out, got

def connect():
    ctx = ssl.create_default_context(cafile=ca)
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")

def codes(rs):
    errs = []
    for st, b in rs:
        try: errs.append(json.loads(b)["error"])
        except Exception: pass
    return ",".join(str(st) for st, _ in rs) or "none", ",".join(errs) or "-"

s = connect()
if case in cases:
    s.sendall(cases[case]); got, closed = read_all(s)
    rs, rest = responses(got)
    c, e = codes(rs)
    print(c, "closed" if closed else "open", e)
elif case == "head":
    # HEAD then GET on one connection: a body after HEAD would be read as the GET's answer
    s.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: h\r\n\r\n"); time.sleep(0.3)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n")
    got, closed = read_all(s, idle=1.0)
    end = got.find(b"\r\n\r\n")
    second = got[end + 4:] if end >= 0 else b""
    print("head_then_get", "ok" if second.startswith(b"HTTP/1.1 200") else "body_leaked:%r" % second[:20], "-")
elif case in ("continue", "continue_noauth", "continue_big"):
    a = auth if case != "continue_noauth" else ""
    n = len(body) if case != "continue_big" else 10 * 1048576
    s.sendall(("POST /hooks/okta HTTP/1.1\r\nHost: h\r\n%sContent-Type: application/json\r\nExpect: 100-continue\r\n"
               "Content-Length: %d\r\n\r\n" % (a, n)).encode())
    first, closed = read_all(s, idle=1.0, total=2.0)
    if first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n") and not closed:
        s.sendall(body); more, closed = read_all(s)
        rs, _ = responses(first + more)
    else:
        rs, _ = responses(first)
    c, e = codes(rs)
    print(c, "closed" if closed else "open", e)
elif case == "absolute_other":
    s.sendall(b"GET https://elsewhere.example/healthz HTTP/1.1\r\nHost: elsewhere.example\r\n\r\n")
    got, closed = read_all(s, idle=1.0)
    rs, _ = responses(got); c, e = codes(rs)
    print(c, "closed" if closed else "open", e)
elif case == "absolute":
    s.sendall(("GET https://localhost:%d/healthz HTTP/1.1\r\nHost: localhost:%d\r\n\r\n" % (port, port)).encode())
    got, closed = read_all(s, idle=1.0)
    rs, _ = responses(got); c, e = codes(rs)
    print(c, "closed" if closed else "open", e)
PY
raw() { python3 "$T_DIR/raw.py" "$HOOKD_PORT" "$T_DIR/certs/ca.crt" "$HOOK_SECRET" "$1"; }
count_events() { "$HOOKD_BIN" events -c "$T_DIR/hookd.ini" --json | jsonl_py 'len(d)'; }

expect_refused() { # case status error
	read -r st conn err < <(raw "$1")
	check_eq "$1: refused with $2" "$st" "$2"
	check_eq "$1: the reason" "$err" "$3"
	check_eq "$1: the connection is closed (what follows never runs)" "$conn" closed
}
expect_refused cl_te 400 length_and_chunked
expect_refused cl_cl 400 conflicting_content_length
expect_refused cl_hex 400 bad_content_length
expect_refused cl_suffix 400 bad_content_length
expect_refused cl_list 400 bad_content_length
expect_refused cl_plus 400 bad_content_length
expect_refused te_space 400 space_before_colon
expect_refused te_gzip 400 bad_request # civetweb refuses it first, now with a JSON body
expect_refused te_identity 400 length_and_chunked
expect_refused fold 400 obs_fold
expect_refused fold_cl 400 obs_fold
expect_refused colon_first 400 bad_header
expect_refused two_auth 400 duplicate_header
expect_refused headers64 431 too_many_headers
expect_refused headers70 431 too_many_headers
expect_refused expect_other 417 expectation_failed
expect_refused bare_lf 400 bare_lf
expect_refused no_host 400 bad_host
expect_refused lf_full 400 bare_lf
expect_refused lf_body 400 bare_lf
check_eq "no refused request, nor anything smuggled behind one, was journaled" "$(count_events)" 0

read -r st conn err < <(raw head)
check_eq "HEAD: headers only, the next request on the connection is answered cleanly" "$st $conn" "head_then_get ok"
read -r st conn err < <(raw continue)
check_eq "Expect: 100-continue with the secret: 100 Continue, then the delivery's 200" "$st" "100,200"
read -r st conn err < <(raw continue_noauth)
check_eq "Expect: 100-continue without the secret: 401 and no 100" "$st $err" "401 unauthorized"
check_eq "...and the connection closes (the body was never asked for)" "$conn" closed
read -r st conn err < <(raw continue_big)
check_eq "Expect: 100-continue over max_body: 413 and no 100" "$st $err" "413 body_too_large"
read -r st conn err < <(raw absolute)
check_eq "an absolute-form target on hookd's port is served" "$st" 200
read -r st conn err < <(raw absolute_other)
check_eq "an absolute-form target for another host and port is refused with a reason, not a silent close" "$st $err" "400 target_not_served"
check_eq "...and the connection closes" "$conn" closed
read -r st conn err < <(raw honest)
check_eq "an honest delivery over the same raw client is taken" "$st" 200
check_eq "...and only it and the 100-continue delivery are journaled" "$(count_events)" 2
tls_curl "$HOOKD_URL/metrics" -o "$T_DIR/metrics"
check "the refusals are counted in /metrics" grep -q 'hookd_http_requests_total{route="(framing)",code="400"}' "$T_DIR/metrics"
check "...by reason" grep -q 'hookd_http_refusals_total{error="obs_fold"} 2' "$T_DIR/metrics"
check "the first refusal of a reason is logged in full" grep -q '"error":"obs_fold"' "$T_DIR/hookd.log"
check_eq "...and later ones of that reason are not (one line, not two)" "$(grep -c '"error":"obs_fold"' "$T_DIR/hookd.log")" 1
stop_hookd
t_done
