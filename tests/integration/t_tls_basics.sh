#!/usr/bin/env bash
# t_tls_basics.sh: hookd's TLS policy seen from openssl s_client, for an ECDSA and an RSA certificate:
# TLS 1.0/1.1 refused, 1.2 and 1.3 accepted, the chain verifies against the dev CA, only ECDHE+AEAD
# suites negotiate on 1.2, and plain HTTP on the TLS port gets no HTTP answer.
# A control server (openssl s_server that allows everything) proves each probe can see a failure.
set -uo pipefail
. "$(dirname "$0")/../drills/lib.sh"
command -v openssl >/dev/null || { echo "SKIP: openssl missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

LEGACY='DEFAULT:@SECLEVEL=0' # lets our client offer what Debian's OpenSSL would otherwise refuse itself

# probe PORT ARGS...: one handshake; prints the negotiated "PROTO CIPHER" or "FAIL"
probe() {
	local port=$1
	shift
	local out
	out=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername localhost "$@" 2>&1)
	# "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" or "New, (NONE), Cipher is (NONE)"
	local line
	line=$(grep -m1 '^New, ' <<<"$out")
	if [ -z "$line" ] || grep -q '(NONE)' <<<"$line"; then
		echo FAIL
	else
		# TLS 1.2 prints "Protocol : TLSv1.2"; TLS 1.3 closes before that part (forced by -tls1_3 anyway)
		local proto
		proto=$(sed -n 's/^ *Protocol *: *//p' <<<"$out" | head -1)
		[ -n "$proto" ] || proto=$(sed 's/^New, \([^,]*\),.*/\1/' <<<"$line")
		echo "$proto $(sed 's/.*Cipher is //' <<<"$line")"
	fi
}
refused() { [ "$(probe "$@")" = FAIL ]; }
accepted() {
	local r
	r=$(probe "$@")
	echo "     negotiated: $r"
	[ "$r" != FAIL ]
}
# Every TLS 1.2 suite this OpenSSL knows, tried one at a time; prints the ones the server accepts.
tls12_accepted() {
	local port=$1 c
	for c in $(openssl ciphers -s -tls1_2 "ALL:COMPLEMENTOFALL:$LEGACY" 2>/dev/null | tr ':' ' '); do
		case $c in TLS_*) continue ;; esac # TLS 1.3 names
		[ "$(probe "$port" -tls1_2 -cipher "$c:@SECLEVEL=0")" != FAIL ] && echo "$c"
	done
}
http_answer() { plain_http_answer "$1" | grep -q '^HTTP/'; }
no_http_answer() { ! http_answer "$1"; }
plain_http_answer() { # prints what the port answers to a plain HTTP request (empty: nothing)
	python3 - "$1" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
data = b""
try:
    while len(data) < 4096:
        d = s.recv(4096)
        if not d:
            break
        data += d
except OSError:
    pass
sys.stdout.write(data[:80].decode("latin-1"))
EOF
}

# Control: a server that allows TLS 1.0 and weak suites must make the probes see them.
make_certs $T_DIR/ctl rsa
cport=$(free_port)
openssl s_server -accept "127.0.0.1:$cport" -cert $T_DIR/ctl/server.crt -key $T_DIR/ctl/server.key \
	-cipher "ALL:$LEGACY" -www -quiet >/dev/null 2>&1 &
T_PIDS+=($!)
for _ in $(seq 50); do probe "$cport" >/dev/null && [ "$(probe "$cport")" != FAIL ] && break; sleep 0.1; done
echo "# control: openssl s_server allowing everything"
check "control: the probe negotiates TLS 1.0 when the server allows it" accepted "$cport" -tls1 -cipher "$LEGACY"
check "control: the probe negotiates a non-ECDHE 1.2 suite (AES128-SHA) when allowed" \
	accepted "$cport" -tls1_2 -cipher "AES128-SHA:@SECLEVEL=0"
hport=$(free_port)
(cd $T_DIR && exec python3 -m http.server --bind 127.0.0.1 "$hport" >/dev/null 2>&1) &
T_PIDS+=($!)
for _ in $(seq 50); do plain_http_answer "$hport" 2>/dev/null | grep -q '^HTTP/' && break; sleep 0.1; done
check "control: the plain-HTTP probe sees the answer of a plain HTTP server" http_answer "$hport"

for kind in ec rsa; do
	dir=$T_DIR/$kind
	mkdir -p "$dir"
	make_certs "$dir/certs" "$kind"
	write_hookd_config "$(free_port)" "$dir" </dev/null
	start_hookd "$dir/hookd.ini" "$dir/hookd.log" || exit 1
	p=$HOOKD_PORT
	echo "# hookd with a $kind certificate on port $p"
	check "$kind: TLS 1.0 refused" refused "$p" -tls1 -cipher "$LEGACY"
	check "$kind: TLS 1.1 refused" refused "$p" -tls1_1 -cipher "$LEGACY"
	check "$kind: TLS 1.2 accepted" accepted "$p" -tls1_2
	check "$kind: TLS 1.3 accepted" accepted "$p" -tls1_3
	check "$kind: the chain verifies against the dev CA (leaf + CA sent)" bash -c \
		"echo | openssl s_client -connect 127.0.0.1:$p -servername localhost -tls1_2 -CAfile $dir/certs/ca.crt \
		 -verify_return_error -showcerts 2>&1 | tee $dir/chain.txt | grep -q 'Verify return code: 0 (ok)' &&
		 [ \$(grep -c 'BEGIN CERTIFICATE' $dir/chain.txt) -ge 2 ]"
	check "$kind: TLS compression is off" bash -c \
		"echo | openssl s_client -connect 127.0.0.1:$p -tls1_2 2>&1 | grep -q 'Compression: NONE'"
	tls12_accepted "$p" >"$dir/tls12.txt"
	echo "     TLS 1.2 suites accepted: $(tr '\n' ' ' <"$dir/tls12.txt")"
	check "$kind: some TLS 1.2 suites are accepted" test -s "$dir/tls12.txt"
	check "$kind: every accepted TLS 1.2 suite is ECDHE with AEAD (GCM or ChaCha20-Poly1305)" \
		bash -c "! grep -vE '^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$' $dir/tls12.txt"
	check "$kind: AES128-SHA (RSA key exchange, CBC) refused" refused "$p" -tls1_2 -cipher "AES128-SHA:@SECLEVEL=0"
	check "$kind: DHE-RSA-AES128-GCM-SHA256 (finite-field DHE) refused" refused "$p" -tls1_2 -cipher "DHE-RSA-AES128-GCM-SHA256"
	check "$kind: ECDHE CBC suites refused" refused "$p" -tls1_2 -cipher "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:@SECLEVEL=0"
	check "$kind: plain HTTP on the TLS port gets no HTTP answer" no_http_answer "$p"
	check "$kind: hookd still serves TLS after the plain-HTTP attempt" \
		bash -c "curl -sk --max-time 5 https://127.0.0.1:$p/healthz | grep -q ok"
	stop_hookd
done
t_done
