#!/usr/bin/env bash
# t_check_config.sh: check-config reports every mistake in one run, in line order, with hints: keys,
# values and their formats, actions, Okta event types, HOOKD_* variables, listen, certificate and key;
# the deploy/examples fragments are refused alone and pass with --fragment; serve fails on the same.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
command -v openssl >/dev/null || { echo "SKIP: openssl missing"; exit 77; }
D=$T_DIR
write_hookd_config "$(free_port)" </dev/null
cfg() { "$HOOKD_BIN" check-config -c "$@" 2>&1; }

# One file with a mistake of every kind.
sed -e 's/^listen = .*/listen = 127.0.0.1:99999/' "$D/hookd.ini" >"$D/bad.ini"
cat >>"$D/bad.ini" <<'INI'
[worker]
poll = 5 minutes
[rule typo]
on = okta:user.lifecycle.created
do = send_activaton
colour = blue
[source hr]
scheme = hmac
secret = s
signature_header = X-Sig
max_events = 1MB
[source hr2]
scheme = hmac
secret = s
signature_header = X-Sig
max_events = 0
INI
out=$(HOOKD_SERVER_MAXBODY=1 cfg "$D/bad.ini"; echo "rc=$?")
echo "$out" | sed 's/^/     /'
check "exit status 2" grep -q '^rc=2$' <<<"$out"
check "listen out of range" grep -q "listen: '127.0.0.1:99999' is not host:port with a port from 1 to 65535" <<<"$out"
check "duration with an example" grep -q "poll: '5 minutes' is not a valid duration: use e.g. 5m, 300s" <<<"$out"
check "closest event type" grep -q "on: 'user.lifecycle.created' is not an event type Okta's event hooks deliver (did you mean user.lifecycle.create?)" <<<"$out"
check "the action typo in the same run as the key typo" grep -q "do: 'send_activaton' is not an action (did you mean send_activation?)" <<<"$out"
check "the unknown key" grep -q "unknown key 'colour' in \[rule typo\]" <<<"$out"
check "size with an example" grep -q "max_events: '1MB' is not a valid integer" <<<"$out"
check "an HR source's max_events bound is the schema's, reported once" \
	test "$(grep -c '\[source hr2\] max_events: must be at least 1$' <<<"$out")" = 1
check "unknown HOOKD_ variable" grep -q "HOOKD_SERVER_MAXBODY sets no configuration key (did you mean HOOKD_SERVER_MAX_BODY?)" <<<"$out"
in_order() { grep -o "bad.ini:[0-9]*:" <<<"$out" | cut -d: -f2 | sort -n -c; }
check "in line order" in_order

# Certificate and key: missing, not PEM, not matching, expired.
tls_case() { # DESC CERT KEY PATTERN
	sed -e "s|^tls_cert = .*|tls_cert = $2|" -e "s|^tls_key = .*|tls_key = $3|" "$D/hookd.ini" >"$D/tls.ini"
	local o
	o=$(cfg "$D/tls.ini")
	grep -q -- "$4" <<<"$o" || { echo "     $o"; return 1; }
}
make_certs "$D/other"
printf 'not a certificate\n' >"$D/junk.pem"
mkdir -p "$D/ca" && : >"$D/ca/index.txt" && echo 01 >"$D/ca/serial"
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/ca/index.txt\nnew_certs_dir = %s/ca\nserial = %s/ca/serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n' \
	"$D" "$D" "$D" >"$D/ca/ca.cnf"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/old.key" -out "$D/old.csr" -subj /CN=localhost 2>/dev/null
openssl ca -batch -config "$D/ca/ca.cnf" -selfsign -keyfile "$D/old.key" -in "$D/old.csr" -out "$D/old.crt" \
	-startdate 20200101000000Z -enddate 20200201000000Z >/dev/null 2>&1
check "missing certificate" tls_case x "$D/none.crt" "$D/certs/server.key" "tls_cert: $D/none.crt: no such file"
check "certificate not PEM" tls_case x "$D/junk.pem" "$D/certs/server.key" "tls_cert: $D/junk.pem: not a PEM certificate"
check "key not PEM" tls_case x "$D/certs/server.crt" "$D/junk.pem" "tls_key: $D/junk.pem: not a PEM private key"
check "key of another certificate" tls_case x "$D/certs/server.crt" "$D/other/server.key" "tls_key: .*this key does not belong to the certificate"
check "expired certificate" tls_case x "$D/old.crt" "$D/old.key" "tls_cert: $D/old.crt: the certificate expired at 2020-02-01T00:00:00Z"
check "a good file passes" "$HOOKD_BIN" check-config -c "$D/hookd.ini"

# serve fails on the certificate in plain words.
sed -e "s|^tls_cert = .*|tls_cert = $D/none.crt|" "$D/hookd.ini" >"$D/nocert.ini"
"$HOOKD_BIN" serve -c "$D/nocert.ini" >/dev/null 2>"$D/nocert.log"
check_eq "serve exits 1 on the missing certificate" "$?" 1
check_eq "and its last line says why" "$(tail -1 "$D/nocert.log" | grep -c "tls_cert: $D/none.crt: no such file")" 1
check_eq "with nothing unrelated before it" "$(wc -l <"$D/nocert.log")" 1

# serve on a taken port: the address and the reason in plain words, as the last and only line.
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(30)' "$HOOKD_PORT" &
T_PIDS+=($!)
eventually "(exec 3<>/dev/tcp/127.0.0.1/$HOOKD_PORT) 2>/dev/null" 5
"$HOOKD_BIN" serve -c "$D/hookd.ini" >/dev/null 2>"$D/taken.log"
check_eq "serve exits 1 on a taken port" "$?" 1
check "and says so in plain words" grep -q "\"127.0.0.1:$HOOKD_PORT: address already in use" "$D/taken.log"
check_eq "in its only line" "$(wc -l <"$D/taken.log")" 1

# The examples are fragments: refused alone with a reason, checked with --fragment.
for f in "$T_SRC"/deploy/examples/*.ini; do
	sed -E "s#^([a-z_.]*_file) *=.*#\1 = $D/stub#" "$f" >"$D/frag.ini"
	printf 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' >"$D/stub"
	o=$(cfg "$D/frag.ini")
	check "$(basename "$f") alone says it is a fragment" grep -q "this file is a fragment" <<<"$o"
	check "$(basename "$f") passes with --fragment" "$HOOKD_BIN" check-config --fragment -c "$D/frag.ini"
done
t_done
