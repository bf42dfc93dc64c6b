#!/usr/bin/env bash
# `hookd doctor` against okta-sim: a healthy deployment passes every check (exit 0, valid --json);
# each broken one fails with the line naming the fix: wrong API token, no hook for public_url, a rule
# on an event type the hook does not deliver, an expired certificate, a key that does not match, an
# unwritable journal. And an HR-only deployment (no [okta_hook]) serves HR, answers /hooks/okta 404
# JSON, and `register-hook` says why it will not register.
. "$(dirname "$0")/../lib.sh"

make_oauth_app
start_sim --rate-limit off --oauth-client-id "$APP_ID" --oauth-public-key "$T_DIR/app.pub" --oauth-dpop ||
	{ fail "okta-sim starts"; t_done; exit 1; }
port=$(free_port)
T_SERVER_EXTRA="public_url = https://127.0.0.1:$port" write_hookd_config "$port" <<INI
[okta]
org_url = $SIM_URL
api_token = $SIM_TOKEN
ca_file = $T_DIR/certs/ca.crt
[worker]
threads = 1
[rule okta-created]
on = okta:user.lifecycle.create
do = send_activation
INI
start_hookd || { fail "hookd starts"; cat "$T_DIR/hookd.log"; t_done; exit 1; }
out=$("$HOOKD_BIN" okta register-hook -c "$T_DIR/hookd.ini" 2>&1)
check_eq "register-hook without --url registers public_url + path" $? 0
check "  and names that URL" grep -q "https://127.0.0.1:$port/hooks/okta" <<<"$out"
# one refused delivery, so the source line has a refusal to show
tls_curl -o /dev/null "$HOOKD_URL/hooks/okta" -X POST -H 'Authorization: wrong' -d '{}'

doctor() { "$HOOKD_BIN" doctor -c "$T_DIR/hookd.ini" --ca "$T_DIR/certs/ca.crt" "$@"; }
out=$(doctor)
rc=$?
echo "$out" | sed 's/^/    /'
check_eq "doctor on a healthy deployment exits 0" "$rc" 0
check "every line is ok" bash -c '! grep -q "^FAIL" <<<"$1"' _ "$out"
check "it says how echoes are told" grep -q "^ok   echoes .*request id" <<<"$out"
check "it shows the rate-limit headroom" grep -qE "^ok   okta_rate .*users [0-9]+/[0-9]+" <<<"$out"
check "it shows the okta source's last refusal" grep -q "^ok   source okta .*last refusal: 20.*(unauthorized" <<<"$out"
json=$(doctor --json)
check_eq "--json is valid JSON with ok true" "$(jq_py 'd["ok"] and all(c["ok"] for c in d["checks"])' <<<"$json")" True

# fails: the failing line, and its fix ("-- fix: ...")
fails() { # NAME PATTERN ENV...: doctor exits 1 and the NAME line FAILs with PATTERN in it
	local name=$1 pat=$2
	shift 2
	local o r
	o=$(env "$@" "$HOOKD_BIN" doctor -c "$T_DIR/hookd.ini" ${DOCTOR_CA---ca "$T_DIR/certs/ca.crt"} 2>&1)
	r=$?
	grep "^FAIL" <<<"$o" | sed 's/^/    /'
	check "$name: doctor exits 1 and the line names the fix" \
		bash -c '[ "$1" = 1 ] && grep "^FAIL" <<<"$2" | grep -qE -- "$3"' _ "$r" "$o" "$pat"
}
fails "wrong API token" "okta_credentials .*E0000011.*fix: put a valid API token" HOOKD_OKTA_API_TOKEN=wrong$RANDOM
oauth=(HOOKD_OKTA_AUTH_MODE=private_key HOOKD_OKTA_CLIENT_ID="$APP_ID" HOOKD_OKTA_PRIVATE_KEY_FILE="$T_DIR/app.key")
out=$(env "${oauth[@]}" "$HOOKD_BIN" doctor -c "$T_DIR/hookd.ini" --ca "$T_DIR/certs/ca.crt")
check_eq "doctor as the OAuth service app (the org requires DPoP) passes too" $? 0
check "  and its token request line says so" grep -q "^ok   okta_token " <<<"$out"
check "  and says echoes are also told by the app" grep -q "^ok   echoes .*OAuth service app $APP_ID" <<<"$out"
fails "OAuth scopes that do not cover the rules" "okta_scopes .*lack okta.users.manage okta.eventHooks.read.*fix: grant" \
	"${oauth[@]}" HOOKD_OKTA_SCOPES=okta.users.read
fails "an OAuth key the app does not have" "okta_token .*fix: check \[okta\] client_id" \
	"${oauth[@]}" HOOKD_OKTA_PRIVATE_KEY_FILE="$T_DIR/certs/server.key"
fails "DPoP turned off for an app that requires it" "okta_token .*DPoP.*fix: check \[okta\] client_id" \
	"${oauth[@]}" HOOKD_OKTA_DPOP=off
fails "no hook for public_url" "okta_hook .*no event hook .*fix: run hookd okta register-hook" \
	HOOKD_SERVER_PUBLIC_URL=https://127.0.0.1:1
cp "$T_DIR/hookd.ini" "$T_DIR/hookd.ini.good"
printf '[rule suspended]\non = okta:user.lifecycle.suspend\ndo = deactivate_user\n' >>"$T_DIR/hookd.ini"
fails "a rule on a type the hook does not deliver" \
	"okta_hook_events .*user.lifecycle.suspend \(rule suspended\).*fix: add the missing event types"
cp "$T_DIR/hookd.ini.good" "$T_DIR/hookd.ini"
python3 - "$T_DIR/certs" <<'PY'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
d = sys.argv[1]
ca_key = serialization.load_pem_private_key(open(d + "/ca.key", "rb").read(), None)
ca = x509.load_pem_x509_certificate(open(d + "/ca.crt", "rb").read())
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "localhost")])
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(ca.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.datetime(2020, 1, 1)).not_valid_after(datetime.datetime(2020, 2, 1))
        .sign(ca_key, hashes.SHA256()))
open(d + "/expired.crt", "wb").write(cert.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
open(d + "/expired.key", "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
open(d + "/other.key", "wb").write(ec.generate_private_key(ec.SECP256R1()).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
PY
fails "an expired certificate" "tls_expiry .*expired [0-9]+ day.*fix: renew the certificate" \
	HOOKD_SERVER_TLS_CERT="$T_DIR/certs/expired.crt" HOOKD_SERVER_TLS_KEY="$T_DIR/certs/expired.key"
fails "a key that does not match the certificate" "tls_key .*does not match.*fix: use the private key" \
	HOOKD_SERVER_TLS_KEY="$T_DIR/certs/other.key"
DOCTOR_CA="" fails "a chain that does not reach a trusted root (the private CA not given)" \
	"tls_chain .*does not verify: .*fix: append the intermediate" HOOKD_LOG_LEVEL=info
fails "an unwritable journal" "journal .*cannot take a write.*fix: make \[store\] path" \
	HOOKD_STORE_PATH="$T_DIR/no-such-dir/hookd.db"
stop_hookd

# HR only: no [okta_hook] at all.
sed "s#/etc/hookd/bamboohr.secret#$T_DIR/bamboohr.secret#" "$HOOKD_SRC/deploy/examples/bamboohr.ini" >"$T_DIR/bamboohr.ini"
printf 'bamboo-%s' "$RANDOM$RANDOM" >"$T_DIR/bamboohr.secret"
port=$(free_port)
write_hookd_config "$port" <<INI
[okta]
org_url = $SIM_URL
api_token = $SIM_TOKEN
ca_file = $T_DIR/certs/ca.crt
[worker]
threads = 1
poll = 100ms
$(cat "$T_DIR/bamboohr.ini")
INI
sed -i '/^\[okta_hook\]/,+1d' "$T_DIR/hookd.ini"
check "check-config accepts an HR-only config without [okta_hook]" "$HOOKD_BIN" check-config -c "$T_DIR/hookd.ini"
start_hookd || { fail "hookd starts HR-only"; cat "$T_DIR/hookd.log"; t_done; exit 1; }
code=$(tls_curl -o "$T_DIR/last.body" -w '%{http_code}' "$HOOKD_URL/hooks/okta" -X POST -H 'Content-Type: application/json' -d '{}')
check_eq "/hooks/okta answers 404" "$code" 404
check_eq "with a JSON error that says why" "$(jq_py 'd["error"] + ":" + str("auth_value" in d["message"])' <"$T_DIR/last.body")" "not_found:True"
body='{"employees":[{"action":"Updated","id":"77","timestamp":"2026-01-01T00:00:00Z","changedFields":["Status"],"fields":{"Work Email":"hr.only@example.com","First Name":"H","Last Name":"R","Hire Date":"2027-01-04","Status":"Active","Department":"Engineering","Termination Date":""}}]}'
ts=$(date +%s)
sig=$(printf '%s%s' "$body" "$ts" | openssl dgst -sha256 -hmac "$(cat "$T_DIR/bamboohr.secret")" -r | cut -d' ' -f1)
code=$(tls_curl -o /dev/null -w '%{http_code}' "$HOOKD_URL/hooks/hr/bamboohr" -H 'Content-Type: application/json' \
	-H "X-BambooHR-Signature: $sig" -H "X-BambooHR-Timestamp: $ts" --data-binary "$body")
check_eq "a signed HR delivery is taken" "$code" 200
out=$("$HOOKD_BIN" okta register-hook -c "$T_DIR/hookd.ini" --url "$HOOKD_URL/hooks/okta" 2>&1)
check_eq "register-hook refuses (exit 2)" $? 2
check "  and says why" grep -q "no Okta event hook (\[okta_hook\] auth_value" <<<"$out"
out=$("$HOOKD_BIN" doctor -c "$T_DIR/hookd.ini" --ca "$T_DIR/certs/ca.crt")
echo "$out" | sed 's/^/    /'
check "doctor: no Okta hook is fine for HR only" grep -q "^ok   okta_hook .*HR-only" <<<"$out"
check "doctor: the HR source's last accepted delivery" grep -q "^ok   source hr:bamboohr .*last accepted delivery: 20" <<<"$out"
t_done
