#!/usr/bin/env bash
# t_okta_sim.sh: starts the real okta-sim (plain HTTP and TLS) and checks its Okta behaviour with curl,
# openssl-made JWTs (RS256, ES256) and a small python3 HTTPS receiver for event hooks.
set -u

SIM=${OKTA_SIM_BIN:-${HOOKD_BUILD:-}/okta-sim}
if [ ! -x "$SIM" ]; then
	echo "SKIP: okta-sim not built (looked for $SIM; set HOOKD_BUILD or OKTA_SIM_BIN)"
	exit 77
fi
for tool in curl openssl python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool not installed"
		exit 77
	fi
done

TMP=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

passes=0
fails=0
ok() { echo "ok   - $1"; passes=$((passes + 1)); }
bad() { echo "FAIL - $1"; fails=$((fails + 1)); }
eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got '$2', want '$3')"; fi; }
matches() { if [[ "$2" =~ $3 ]]; then ok "$1"; else bad "$1 ('$2' does not match /$3/)"; fi; }
section() { echo "# $*"; }

# jv EXPR [FILE]: a python expression over d, the JSON in FILE (default: the last response body).
jv() {
	python3 - "$1" "${2:-$TMP/body}" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[2]))
    v = eval(sys.argv[1])
except Exception as e:
    print("<jv error: %s>" % e)
    sys.exit(0)
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
EOF
}

CURL_TLS=()
# req METHOD URL [DATA [curl args...]]: sets CODE; body in $TMP/body, headers in $TMP/hdrs.
req() {
	local m=$1 u=$2 d=${3-}
	shift 2
	[ $# -gt 0 ] && shift
	local args=(-s -o "$TMP/body" -D "$TMP/hdrs" -w '%{http_code}' -X "$m" "${CURL_TLS[@]}")
	[ -n "$d" ] && args+=(-H 'Content-Type: application/json' --data-binary "$d")
	CODE=$(curl "${args[@]}" "$@" "$u")
}
api() { # api METHOD PATH [DATA [curl args...]] with the SSWS token
	local m=$1 p=$2 d=${3-}
	shift 2
	[ $# -gt 0 ] && shift
	req "$m" "$BASE$p" "$d" -H "Authorization: SSWS $TOKEN" "$@"
}
hdr() { grep -i "^$1:" "$TMP/hdrs" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# start_sim NAME ARGS...: runs okta-sim in the background; sets BASE from its first stdout line.
start_sim() {
	local name=$1
	shift
	"$SIM" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	PIDS+=($!)
	SIM_PID=$!
	for _ in $(seq 100); do
		BASE=$(head -1 "$TMP/$name.out" 2>/dev/null)
		[ -n "$BASE" ] && return 0
		sleep 0.05
	done
	echo "okta-sim $name did not start:"
	cat "$TMP/$name.err"
	exit 1
}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# jwt ALG KEY CLAIMS_JSON: a compact JWS signed by openssl (ES256: DER signature turned into raw r||s).
jwt() {
	local alg=$1 key=$2 claims=$3 h p
	h=$(printf '{"alg":"%s","typ":"JWT"}' "$alg" | b64url)
	p=$(printf '%s' "$claims" | b64url)
	printf '%s.%s' "$h" "$p" >"$TMP/signing_input"
	openssl dgst -sha256 -sign "$key" -binary -out "$TMP/sig.der" "$TMP/signing_input"
	if [ "$alg" = ES256 ]; then
		python3 - "$TMP/sig.der" "$TMP/sig.bin" <<'EOF'
import sys
der = open(sys.argv[1], "rb").read()
assert der[0] == 0x30
i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7f)
out = b""
for _ in range(2):
    assert der[i] == 0x02
    n = der[i + 1]
    v = der[i + 2:i + 2 + n].lstrip(b"\x00")
    out += v.rjust(32, b"\x00")
    i += 2 + n
open(sys.argv[2], "wb").write(out)
EOF
	else
		cp "$TMP/sig.der" "$TMP/sig.bin"
	fi
	printf '%s.%s.%s' "$h" "$p" "$(b64url <"$TMP/sig.bin")"
}

# token_req ASSERTION SCOPE: POST /oauth2/v1/token.
token_req() {
	CODE=$(curl -s -o "$TMP/body" -D "$TMP/hdrs" -w '%{http_code}' "${CURL_TLS[@]}" \
		--data-urlencode grant_type=client_credentials --data-urlencode "scope=$2" \
		--data-urlencode client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
		--data-urlencode "client_assertion=$1" "$BASE/oauth2/v1/token")
}

claims() { # claims AUD EXP_OFFSET [JTI]
	local now
	now=$(date +%s)
	printf '{"iss":"%s","sub":"%s","aud":"%s","iat":%d,"exp":%d,"jti":"%s"}' "$CLIENT" "$CLIENT" "$1" "$now" \
		$((now + $2)) "${3:-$(openssl rand -hex 12)}"
}

wait_deliveries() { # wait_deliveries N: until N deliveries are finished (delivered or failed)
	for _ in $(seq 100); do
		req GET "$BASE/sim/deliveries"
		local done
		done=$(jv "len([x for x in d if x['state'] in ('delivered','failed')])")
		[ "$done" -ge "$1" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

section "keys, certificates and the HTTPS hook receiver"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=okta-sim test CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
	-keyout "$TMP/ca.key" -out "$TMP/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$TMP/recv.key" -out "$TMP/recv.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$TMP/san.ext"
openssl x509 -req -in "$TMP/recv.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial -days 2 \
	-extfile "$TMP/san.ext" -out "$TMP/recv.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=127.0.0.1" \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$TMP/sim.key" -out "$TMP/sim.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP/rsa.key" 2>/dev/null
openssl pkey -in "$TMP/rsa.key" -pubout -out "$TMP/rsa.pub"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP/other.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/ec.key" 2>/dev/null
openssl pkey -in "$TMP/ec.key" -pubout -out "$TMP/ec.pub"
for f in ca.pem recv.pem sim.pem rsa.pub ec.pub; do
	[ -s "$TMP/$f" ] || { echo "could not make $f with openssl"; exit 1; }
done

cat >"$TMP/receiver.py" <<'EOF'
import http.server, json, ssl, sys, threading
log_path, port_path, cert, key = sys.argv[1:5]
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def record(self, body):
        with lock, open(log_path, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "headers": {k.lower(): v for k, v in self.headers.items()},
                                "body": body}) + "\n")
    def answer(self, code, data=b""):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self.record(None)
        ch = self.headers.get("x-okta-verification-challenge", "")
        if self.path == "/badverify":
            self.answer(200, json.dumps({"verification": "wrong"}).encode())
        else:
            self.answer(200, json.dumps({"verification": ch}).encode())
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.record(self.rfile.read(n).decode())
        self.answer({"/fail500": 500, "/fail400": 400}.get(self.path, 200))
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(port_path, "w").write(str(srv.server_address[1]))
srv.serve_forever()
EOF
python3 "$TMP/receiver.py" "$TMP/recv.log" "$TMP/recv.port" "$TMP/recv.pem" "$TMP/recv.key" 2>"$TMP/recv.err" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$TMP/recv.port" ] && break; sleep 0.05; done
RECV="https://127.0.0.1:$(cat "$TMP/recv.port")"
touch "$TMP/recv.log"
curl -s --cacert "$TMP/ca.pem" -o /dev/null -w '%{http_code}' "$RECV/ping" | grep -q 200 ||
	{ echo "the python HTTPS receiver did not start"; cat "$TMP/recv.err"; exit 1; }

TOKEN=test-token-$(openssl rand -hex 8)
CLIENT=0oasimclient$(openssl rand -hex 4)
# --search-lag-ms 0: these checks read filter results right after writes (the lag: t_okta_sim_strict.sh)
start_sim http --listen 127.0.0.1:0 --token "$TOKEN" --token-ttl 1h --hook-ca "$TMP/ca.pem" \
	--oauth-client-id "$CLIENT" --oauth-public-key "$TMP/rsa.pub" --search-lag-ms 0
HTTP_PID=$SIM_PID
matches "okta-sim prints its base URL" "$BASE" '^http://127\.0\.0\.1:[0-9]+$'

section "whoami"
req GET "$BASE/sim/whoami"
ACTOR=$(jv "d['ssws']['id']")
matches "SSWS principal has an Okta user id" "$ACTOR" '^00u[A-Za-z0-9]{17}$'
eq "OAuth principal is the client id" "$(jv "d['oauth']['id']")" "$CLIENT"

section "createUser"
NEW='{"profile":{"login":"new.hire+t@example.com","email":"new.hire+t@example.com","firstName":"New","lastName":"Hire","employeeNumber":"E42"}}'
api POST "/api/v1/users?activate=false" "$NEW"
eq "create activate=false: 200" "$CODE" 200
eq "create activate=false: STAGED" "$(jv "d['status']")" STAGED
U1=$(jv "d['id']")
matches "user id is 00u + 17 alphanumerics" "$U1" '^00u[A-Za-z0-9]{17}$'
eq "extra profile attribute kept" "$(jv "d['profile']['employeeNumber']")" E42
eq "credentials.provider.type" "$(jv "d['credentials']['provider']['type']")" OKTA
eq "activated is null" "$(jv "d['activated']")" null
eq "_links.self" "$(jv "d['_links']['self']['href']")" "$BASE/api/v1/users/$U1"
matches "created is RFC 3339" "$(jv "d['created']")" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z$'
matches "X-Rate-Limit-Limit on the response" "$(hdr X-Rate-Limit-Limit)" '^[0-9]+$'

api POST "/api/v1/users?activate=false" "$NEW"
eq "duplicate login: 400" "$CODE" 400
eq "duplicate login: E0000001" "$(jv "d['errorCode']")" E0000001
eq "duplicate login: summary" "$(jv "d['errorSummary']")" "Api validation failed: login"
eq "duplicate login: errorCauses[0]" "$(jv "d['errorCauses'][0]['errorSummary']")" \
	"login: An object with this field already exists in the current organization"
api POST "/api/v1/users?activate=false" '{"profile":{"login":"NEW.HIRE+T@example.com","email":"x@example.com","firstName":"N","lastName":"H"}}'
eq "duplicate login differing in case: 400 E0000001" "$CODE $(jv "d['errorCode']")" "400 E0000001"
api POST "/api/v1/users" '{"profile":{"login":"noemail@example.com","firstName":"N","lastName":"E"}}'
eq "missing email: 400 E0000001" "$CODE $(jv "d['errorCode']")" "400 E0000001"
eq "missing email: cause" "$(jv "d['errorCauses'][0]['errorSummary']")" "email: The field cannot be left blank"
api POST "/api/v1/users" '{"profile":'
eq "malformed JSON: 400 E0000003" "$CODE $(jv "d['errorCode']")" "400 E0000003"
api POST "/api/v1/users?activate=maybe" "$NEW"
eq "activate=maybe: 400" "$CODE" 400

section "getUser and listUsers"
api GET "/api/v1/users/$U1"
eq "get by id" "$CODE $(jv "d['profile']['login']")" "200 new.hire+t@example.com"
api GET "/api/v1/users/new.hire%2Bt%40example.com"
eq "get by URL-encoded login" "$CODE $(jv "d['id']")" "200 $U1"
api GET "/api/v1/users/00uNOPENOPENOPENOPE"
eq "unknown user: 404 E0000007" "$CODE $(jv "d['errorCode']")" "404 E0000007"
eq "unknown user: summary" "$(jv "d['errorSummary']")" "Not found: Resource not found: 00uNOPENOPENOPENOPE (User)"
api POST "/api/v1/users?activate=false" '{"profile":{"login":"second@example.com","email":"second@example.com","firstName":"Sec","lastName":"Ond"}}'
U2=$(jv "d['id']")
api GET "/api/v1/users" "" -G --data-urlencode 'filter=profile.login eq "new.hire+t@example.com"'
eq "filter profile.login eq: one match" "$CODE $(jv "len(d)") $(jv "d[0]['id']")" "200 1 $U1"
api GET "/api/v1/users" "" -G --data-urlencode 'filter=profile.login eq "NEW.HIRE+T@example.com"'
eq "filter values are case-sensitive" "$(jv "len(d)")" 0
api GET "/api/v1/users" "" -G --data-urlencode 'search=profile.login eq "NEW.HIRE+T@example.com"'
eq "search eq is case-insensitive" "$(jv "len(d)") $(jv "d[0]['id']")" "1 $U1"
api GET "/api/v1/users" "" -G --data-urlencode 'filter=status eq "STAGED" and profile.lastName eq "Ond"'
eq "filter with and" "$(jv "len(d)") $(jv "d[0]['id']")" "1 $U2"
api GET "/api/v1/users" "" -G --data-urlencode 'filter=profile.login sw "new"'
eq "filter with sw: 400 E0000031" "$CODE $(jv "d['errorCode']")" "400 E0000031"
api GET "/api/v1/users?limit=1"
eq "limit=1: one user" "$CODE $(jv "len(d)")" "200 1"
NEXT=$(grep -i '^link:.*rel="next"' "$TMP/hdrs" | sed 's/^[^<]*<\([^>]*\)>.*/\1/')
matches "Link rel=next with after=" "$NEXT" "^$BASE/api/v1/users\\?limit=1&after=00u"
req GET "$NEXT" "" -H "Authorization: SSWS $TOKEN"
eq "next page holds the second user" "$(jv "d[0]['id']")" "$U2"

section "lifecycle: activate, reactivate, the welcome flow"
api POST "/api/v1/users/$U1/lifecycle/activate"
eq "activate (sendEmail defaults to true): 200 {}" "$CODE $(cat "$TMP/body")" "200 {}"
api GET "/api/v1/users/$U1"
eq "activated user without password is PROVISIONED" "$(jv "d['status']")" PROVISIONED
req GET "$BASE/sim/outbox"
eq "one email in the outbox" "$(jv "len(d)")" 1
eq "email kind activation to profile.email" "$(jv "d[0]['kind']") $(jv "d[0]['to']") $(jv "d[0]['user_id']")" \
	"activation new.hire+t@example.com $U1"
URL1=$(jv "d[0]['url']")
TOK1=$(jv "d[0]['token']")
matches "activation URL is <base>/tokens/<token>/verify" "$URL1" "^$BASE/tokens/[A-Za-z0-9]{20}/verify$"
api POST "/api/v1/users/$U1/lifecycle/activate"
eq "activate on PROVISIONED: 403 E0000016" "$CODE $(jv "d['errorCode']")" "403 E0000016"
api POST "/api/v1/users/$U1/lifecycle/reactivate"
eq "reactivate (sendEmail defaults to false): 200" "$CODE" 200
matches "reactivate returns activationToken" "$(jv "d['activationToken']")" '^[A-Za-z0-9]{20}$'
eq "reactivate returns activationUrl" "$(jv "d['activationUrl']")" "$BASE/tokens/$(jv "d['activationToken']")/verify"
req GET "$BASE/sim/outbox"
eq "reactivate without sendEmail sends no email" "$(jv "len(d)")" 1
api POST "/api/v1/users/$U1/lifecycle/reactivate?sendEmail=true"
eq "reactivate sendEmail=true: 200 {}" "$CODE $(cat "$TMP/body")" "200 {}"
req GET "$BASE/sim/outbox"
eq "reactivation email recorded" "$(jv "len(d)") $(jv "d[1]['kind']")" "2 reactivation"
TOK2=$(jv "d[1]['token']")
req POST "$BASE/sim/activate/$TOK1"
eq "older token after a reactivation: 410 token_revoked" "$CODE $(jv "d['error']")" "410 token_revoked"
req POST "$BASE/sim/activate/$TOK2"
eq "click on the newest link: 200 ACTIVE" "$CODE $(jv "d['status']")" "200 ACTIVE"
api GET "/api/v1/users/$U1"
eq "user is ACTIVE with activated and passwordChanged set" \
	"$(jv "d['status']") $(jv "d['activated'] is not None") $(jv "'password' in d['credentials']")" "ACTIVE true true"
req POST "$BASE/sim/activate/$TOK2"
eq "a used link: 410 token_used" "$CODE $(jv "d['error']")" "410 token_used"
req POST "$BASE/sim/activate/AAAAAAAAAAAAAAAAAAAA"
eq "an unknown link: 404 token_unknown" "$CODE $(jv "d['error']")" "404 token_unknown"
api POST "/api/v1/users/$U1/lifecycle/reactivate"
eq "reactivate on ACTIVE: 403 E0000038" "$CODE $(jv "d['errorCode']")" "403 E0000038"
eq "E0000038 summary" "$(jv "d['errorSummary']")" "This operation is not allowed in the user's current status."
api POST "/api/v1/users/$U1/lifecycle/activate"
eq "activate on ACTIVE: 403 E0000016" "$CODE $(jv "d['errorSummary']")" \
	"403 Activation failed because the user is already active"

section "updateUser"
api POST "/api/v1/users/$U1" '{"status":"STAGED","profile":{"title":"x"}}'
eq "status in an update body: 400 E0000003" "$CODE $(jv "d['errorCode']")" "400 E0000003"
matches "the cause names status as read-only" "$(jv "d['errorCauses'][0]['errorSummary']")" '^status: read-only'
api POST "/api/v1/users/$U1" '{"profile":{"title":"Engineer"}}'
eq "partial update keeps other attributes" "$CODE $(jv "d['profile']['title']") $(jv "d['profile']['firstName']")" \
	"200 Engineer New"
eq "status unchanged by updates" "$(jv "d['status']")" ACTIVE
api PUT "/api/v1/users/$U1" '{"profile":{"login":"new.hire+t@example.com","email":"new.hire+t@example.com","firstName":"New","lastName":"Hire"}}'
eq "PUT replaces the profile (title unset: null)" "$CODE $(jv "d['profile'].get('title')")" "200 null"
api POST "/api/v1/users/$U1" '{"profile":{"login":"second@example.com"}}'
eq "update to another user's login: 400 E0000001" "$CODE $(jv "d['errorCode']")" "400 E0000001"

section "reset_password and deactivate"
api POST "/api/v1/users/$U1/lifecycle/reset_password"
eq "reset_password without sendEmail: 400" "$CODE" 400
api POST "/api/v1/users/$U1/lifecycle/reset_password?sendEmail=false"
matches "reset_password sendEmail=false returns resetPasswordUrl" "$(jv "d['resetPasswordUrl']")" \
	"^$BASE/signin/reset-password/[A-Za-z0-9]{20}$"
api GET "/api/v1/users/$U1"
eq "reset_password: RECOVERY" "$(jv "d['status']")" RECOVERY
api POST "/api/v1/users/$U1/lifecycle/deactivate"
eq "deactivate: 200, empty body" "$CODE $(wc -c <"$TMP/body")" "200 0"
api GET "/api/v1/users/$U1"
eq "deactivated: DEPROVISIONED" "$(jv "d['status']")" DEPROVISIONED
api POST "/api/v1/users/$U1/lifecycle/deactivate"
eq "deactivate twice: 403 E0000038" "$CODE $(jv "d['errorCode']")" "403 E0000038"
api GET "/api/v1/users"
eq "plain list omits DEPROVISIONED users" "$(jv "[u['id'] for u in d]")" "[\"$U2\"]"
api GET "/api/v1/users" "" -G --data-urlencode 'filter=status eq "DEPROVISIONED"'
eq "filter finds DEPROVISIONED users" "$(jv "[u['id'] for u in d]")" "[\"$U1\"]"
api POST "/api/v1/users/$U1/lifecycle/activate?sendEmail=false"
eq "activate DEPROVISIONED user with a password: 200 with a token" "$CODE $(jv "'activationToken' in d")" "200 true"
api GET "/api/v1/users/$U1"
eq "...and the user is ACTIVE at once" "$(jv "d['status']")" ACTIVE

section "create with activation"
req POST "$BASE/sim/groups" '{"id":"00g1"}'
api POST "/api/v1/users" '{"profile":{"login":"pw@example.com","email":"pw@example.com","firstName":"P","lastName":"W"},"credentials":{"password":{"value":"Sup3r-secret!"}},"groupIds":["00g1"]}'
eq "create with password (activate default true): ACTIVE" "$CODE $(jv "d['status']")" "200 ACTIVE"
eq "password is never returned" "$(jv "d['credentials']['password']")" "{}"
api POST "/api/v1/users" '{"profile":{"login":"prov@example.com","email":"prov@example.com","firstName":"P","lastName":"V"}}'
eq "create without password, activate default: PROVISIONED" "$CODE $(jv "d['status']")" "200 PROVISIONED"
U3=$(jv "d['id']")
req GET "$BASE/sim/outbox"
eq "...with an activation email" "$(jv "[m['kind'] for m in d if m['user_id'] == '$U3']")" '["activation"]'
TOK3=$(jv "[m['token'] for m in d if m['user_id'] == '$U3'][0]")

section "clock and link expiry (--token-ttl 1h)"
req POST "$BASE/sim/clock" '{"offset_s":7200}'
eq "clock moved 2 h ahead" "$CODE $(jv "d['offset_s']")" "200 7200"
req GET "$BASE/tokens/$TOK3/verify"
eq "expired link: 410 token_expired" "$CODE $(jv "d['error']")" "410 token_expired"
req POST "$BASE/sim/clock" '{"offset_s":0}'
api POST "/api/v1/users/$U3/lifecycle/reactivate?sendEmail=false"
TOK4=$(jv "d['activationToken']")
req GET "$BASE/tokens/$TOK4/verify"
eq "a fresh link opened with GET /tokens/<t>/verify activates" "$CODE $(jv "d['status']")" "200 ACTIVE"

section "authentication"
req GET "$BASE/api/v1/users"
eq "no Authorization: 403 E0000005 (Okta's missing session)" "$CODE $(jv "d['errorCode']") $(jv "d['errorSummary']")" \
	"403 E0000005 Invalid session"
matches "401 carries rate-limit headers too" "$(hdr X-Rate-Limit-Remaining)" '^[0-9]+$'
req GET "$BASE/api/v1/users" "" -H "Authorization: SSWS wrong-$TOKEN"
eq "wrong SSWS token: 401" "$CODE" 401
req GET "$BASE/api/v1/users" "" -H "Authorization: Bearer nope"
eq "unknown Bearer token: 401 E0000011" "$CODE $(jv "d['errorCode']")" "401 E0000011"
api PATCH "/api/v1/users/$U2"
eq "unsupported method: 405" "$CODE" 405
api GET "/api/v1/groups"
eq "unknown API path: 404 E0000007" "$CODE $(jv "d['errorCode']")" "404 E0000007"

section "OAuth 2.0 private_key_jwt (RS256)"
AUD="$BASE/oauth2/v1/token"
A=$(jwt RS256 "$TMP/rsa.key" "$(claims "$AUD" 300)")
token_req "$A" "okta.users.read"
eq "token request: 200 Bearer" "$CODE $(jv "d['token_type']") $(jv "d['expires_in']")" "200 Bearer 3600"
eq "granted scope" "$(jv "d['scope']")" "okta.users.read"
eq "Cache-Control: no-store" "$(hdr Cache-Control)" "no-store"
READ_TOKEN=$(jv "d['access_token']")
req GET "$BASE/api/v1/users/$U2" "" -H "Authorization: Bearer $READ_TOKEN"
eq "Bearer with okta.users.read can getUser" "$CODE $(jv "d['id']")" "200 $U2"
req POST "$BASE/api/v1/users" '{"profile":{"login":"o@example.com","email":"o@example.com","firstName":"O","lastName":"A"}}' \
	-H "Authorization: Bearer $READ_TOKEN"
eq "okta.users.read cannot createUser: 403 E0000006" "$CODE $(jv "d['errorCode']")" "403 E0000006"
eq "E0000006 summary" "$(jv "d['errorSummary']")" "You do not have permission to perform the requested action"
req GET "$BASE/api/v1/eventHooks" "" -H "Authorization: Bearer $READ_TOKEN"
eq "okta.users.read cannot list event hooks: 403" "$CODE" 403
token_req "$A" "okta.users.read"
eq "replayed assertion (same jti): 401 invalid_client" "$CODE $(jv "d['error']")" "401 invalid_client"
matches "replay is explained" "$(jv "d['error_description']")" 'already been used'
token_req "$(jwt RS256 "$TMP/rsa.key" "$(claims "$AUD" -60)")" "okta.users.read"
eq "expired assertion: 401 invalid_client" "$CODE $(jv "d['error']")" "401 invalid_client"
matches "expiry is explained" "$(jv "d['error_description']")" 'expired'
token_req "$(jwt RS256 "$TMP/rsa.key" "$(claims "$AUD" 7200)")" "okta.users.read"
eq "exp more than 1 h ahead: 401" "$CODE" 401
token_req "$(jwt RS256 "$TMP/rsa.key" "$(claims "$BASE/oauth2/default/v1/token" 300)")" "okta.users.read"
eq "wrong aud: 401 invalid_client" "$CODE $(jv "d['error']")" "401 invalid_client"
token_req "$(jwt RS256 "$TMP/other.key" "$(claims "$AUD" 300)")" "okta.users.read"
eq "signed by another key: 401 invalid_client" "$CODE $(jv "d['error']")" "401 invalid_client"
token_req "$(jwt RS256 "$TMP/rsa.key" "$(claims "$AUD" 300)")" "okta.groups.manage"
eq "unknown scope: 400 invalid_scope" "$CODE $(jv "d['error']")" "400 invalid_scope"
token_req "$(jwt RS256 "$TMP/rsa.key" "$(claims "$AUD" 300)")" "okta.users.manage okta.eventHooks.manage"
eq "two scopes granted" "$CODE $(jv "d['scope']")" "200 okta.users.manage okta.eventHooks.manage"
MANAGE_TOKEN=$(jv "d['access_token']")
req POST "$BASE/api/v1/users?activate=false" '{"profile":{"login":"oauth@example.com","email":"oauth@example.com","firstName":"O","lastName":"Auth"}}' \
	-H "Authorization: Bearer $MANAGE_TOKEN"
eq "Bearer with okta.users.manage can createUser" "$CODE $(jv "d['status']")" "200 STAGED"
req GET "$BASE/sim/events"
eq "the event's actor is the OAuth client" "$(jv "d[-1]['actor']['id']") $(jv "d[-1]['actor']['type']")" \
	"$CLIENT PublicClientApp"
CODE=$(curl -s -o "$TMP/body" -w '%{http_code}' --data-urlencode grant_type=password "$BASE/oauth2/v1/token")
eq "grant_type=password: 400 unsupported_grant_type" "$CODE $(jv "d['error']")" "400 unsupported_grant_type"

section "event hooks"
HOOK_BODY() { # HOOK_BODY URI
	printf '{"name":"t","events":{"type":"EVENT_TYPE","items":["user.lifecycle.create","user.lifecycle.activate","user.lifecycle.deactivate"]},"channel":{"type":"HTTP","version":"1.0.0","config":{"uri":"%s","headers":[{"key":"X-Custom","value":"c1"}],"authScheme":{"type":"HEADER","key":"Authorization","value":"hook-secret"}}}}' "$1"
}
api POST /api/v1/eventHooks "$(HOOK_BODY http://127.0.0.1:1/hook)"
eq "http:// hook URI: 400 E0000001" "$CODE $(jv "d['errorCode']")" "400 E0000001"
api POST /api/v1/eventHooks '{"name":"t","events":{"type":"EVENT_TYPE","items":[]},"channel":{"type":"HTTP","version":"1.0.0","config":{"uri":"https://x.example/h"}}}'
eq "empty events.items: 400 E0000001" "$CODE $(jv "d['errorCode']")" "400 E0000001"
api POST /api/v1/eventHooks "$(HOOK_BODY "$RECV/hook")"
eq "createEventHook: 200 ACTIVE UNVERIFIED" "$CODE $(jv "d['status']") $(jv "d['verificationStatus']")" \
	"200 ACTIVE UNVERIFIED"
H1=$(jv "d['id']")
matches "hook id" "$H1" '^who[A-Za-z0-9]{17}$'
eq "authScheme value is write-only" "$(jv "d['channel']['config']['authScheme']")" '{"type": "HEADER", "key": "Authorization"}'
api GET /api/v1/eventHooks
eq "listEventHooks" "$(jv "[h['id'] for h in d]")" "[\"$H1\"]"
api GET "/api/v1/eventHooks/$H1"
eq "getEventHook" "$CODE $(jv "d['channel']['config']['uri']")" "200 $RECV/hook"
api GET "/api/v1/eventHooks/whoNOPE"
eq "unknown hook: 404 E0000007" "$CODE $(jv "d['errorCode']")" "404 E0000007"
api POST "/api/v1/users?activate=false" '{"profile":{"login":"before@example.com","email":"before@example.com","firstName":"B","lastName":"V"}}'
sleep 0.3
req GET "$BASE/sim/deliveries"
eq "an UNVERIFIED hook gets no deliveries" "$(jv "len(d)")" 0
api POST "/api/v1/eventHooks/$H1/lifecycle/verify"
eq "verifyEventHook: 200 VERIFIED" "$CODE $(jv "d['verificationStatus']")" "200 VERIFIED"
VGET=$(grep '"method": "GET", "path": "/hook"' "$TMP/recv.log" | tail -1)
printf '%s' "$VGET" >"$TMP/vget.json"
matches "verification GET carried a challenge" "$(jv "d['headers'].get('x-okta-verification-challenge','')" "$TMP/vget.json")" '^.{20,}$'
eq "verification GET carried the auth header" "$(jv "d['headers'].get('authorization')" "$TMP/vget.json")" hook-secret

api POST "/api/v1/users" '{"profile":{"login":"hooked@example.com","email":"hooked@example.com","firstName":"Hoo","lastName":"Ked"}}'
U4=$(jv "d['id']")
if wait_deliveries 1; then ok "delivery finished"; else bad "no delivery within 10 s"; fi
eq "one delivery, delivered with 200" "$(jv "len(d)") $(jv "d[0]['state']") $(jv "d[0]['status']")" "1 delivered 200"
eq "create and activate share one delivery" "$(jv "d[0]['event_types']")" '["user.lifecycle.create", "user.lifecycle.activate"]'
EVID=$(jv "d[0]['event_id']")
grep '"method": "POST", "path": "/hook"' "$TMP/recv.log" | tail -1 >"$TMP/post.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); open(sys.argv[2],"w").write(r["body"])' "$TMP/post.json" "$TMP/env.json"
eq "delivery Authorization header" "$(jv "d['headers'].get('authorization')" "$TMP/post.json")" hook-secret
eq "delivery custom header" "$(jv "d['headers'].get('x-custom')" "$TMP/post.json")" c1
eq "delivery Content-Type" "$(jv "d['headers'].get('content-type')" "$TMP/post.json")" application/json
eq "envelope eventType/versions/contentType" \
	"$(jv "' '.join([d['eventType'], d['eventTypeVersion'], d['cloudEventsVersion'], d['contentType']])" "$TMP/env.json")" \
	"com.okta.event_hook 1.0 0.1 application/json"
eq "envelope eventId" "$(jv "d['eventId']" "$TMP/env.json")" "$EVID"
matches "eventId is a UUID" "$EVID" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
eq "envelope source" "$(jv "d['source']" "$TMP/env.json")" "$BASE/api/v1/eventHooks/$H1"
matches "eventTime" "$(jv "d['eventTime']" "$TMP/env.json")" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T'
eq "LogEvent types" "$(jv "[e['eventType'] for e in d['data']['events']]" "$TMP/env.json")" \
	'["user.lifecycle.create", "user.lifecycle.activate"]'
eq "LogEvent target is the user" \
	"$(jv "[d['data']['events'][0]['target'][0][k] for k in ('id','type','alternateId','displayName')]" "$TMP/env.json")" \
	"[\"$U4\", \"User\", \"hooked@example.com\", \"Hoo Ked\"]"
eq "LogEvent actor is the SSWS principal" "$(jv "d['data']['events'][0]['actor']['id']" "$TMP/env.json")" "$ACTOR"
eq "LogEvent outcome and severity" \
	"$(jv "d['data']['events'][1]['outcome']['result'] + ' ' + d['data']['events'][1]['severity']" "$TMP/env.json")" \
	"SUCCESS INFO"
matches "LogEvent uuid and published" \
	"$(jv "d['data']['events'][1]['uuid'] + ' ' + d['data']['events'][1]['published']" "$TMP/env.json")" \
	'^[0-9a-f-]{36} 20[0-9]{2}-'
api POST "/api/v1/users/$U4/lifecycle/reactivate"
api POST "/api/v1/users/$U4" '{"profile":{"title":"t"}}'
sleep 0.3
req GET "$BASE/sim/deliveries"
eq "unsubscribed event types are not delivered" "$(jv "len(d)")" 1
req POST "$BASE/sim/hooks/redeliver" '{}'
eq "redeliver: 202" "$CODE $(jv "d['redelivery_of']")" "202 1"
wait_deliveries 2 || bad "redelivery did not finish"
eq "redelivery logged" "$(jv "d[1]['redelivery_of']") $(jv "d[1]['event_id']") $(jv "d[1]['state']")" "1 $EVID delivered"
eq "receiver got the same eventId twice" \
	"$(grep -c "$EVID" "$TMP/recv.log")" 2

api POST /api/v1/eventHooks "$(HOOK_BODY "$RECV/badverify")"
api POST "/api/v1/eventHooks/$(jv "d['id']")/lifecycle/verify"
eq "verification with a wrong answer: 400 E0000001" "$CODE $(jv "d['errorCode']")" "400 E0000001"
api POST /api/v1/eventHooks "$(HOOK_BODY "$RECV/fail500")"
H500=$(jv "d['id']")
api POST "/api/v1/eventHooks/$H500/lifecycle/verify"
eq "verify the 500 hook (GET answers fine)" "$CODE" 200
api POST /api/v1/eventHooks "$(HOOK_BODY "$RECV/fail400")"
H400=$(jv "d['id']")
api POST "/api/v1/eventHooks/$H400/lifecycle/verify"
api POST "/api/v1/users/$U4/lifecycle/deactivate"
wait_deliveries 5 || bad "deliveries after deactivate did not finish"
eq "deactivate delivered to all three verified hooks" "$(jv "sorted(x['hook_id'] for x in d[2:])")" \
	"$(python3 -c 'import json,sys; print(json.dumps(sorted(sys.argv[1:])))' "$H1" "$H500" "$H400")"
eq "5xx is retried once" "$(jv "[(x['state'], x['attempts'], x['status']) for x in d if x['hook_id'] == '$H500']")" \
	'[["failed", 2, 500]]'
eq "4xx is not retried" "$(jv "[(x['state'], x['attempts'], x['status']) for x in d if x['hook_id'] == '$H400']")" \
	'[["failed", 1, 400]]'
eq "event type in the deactivate delivery" "$(jv "[x['event_types'] for x in d if x['hook_id'] == '$H1'][-1]")" \
	'["user.lifecycle.deactivate"]'

section "faults"
req POST "$BASE/sim/faults" '{"burst_429":2}'
eq "set burst_429" "$CODE $(jv "d['burst_429']")" "200 2"
api GET "/api/v1/users/$U2"
eq "burst: 429 E0000047" "$CODE $(jv "d['errorCode']")" "429 E0000047"
eq "E0000047 summary" "$(jv "d['errorSummary']")" "API call exceeded rate limit due to too many requests."
eq "burst 429 says Remaining 0" "$(hdr X-Rate-Limit-Remaining)" 0
matches "burst 429 has Reset" "$(hdr X-Rate-Limit-Reset)" '^[0-9]{10}$'
api GET "/api/v1/users/$U2"
eq "burst: second 429" "$CODE" 429
api GET "/api/v1/users/$U2"
eq "after the burst: 200" "$CODE" 200
req POST "$BASE/sim/faults" '{"burst_429_ms":800}'
api GET "/api/v1/users/$U2"
eq "burst_429_ms: 429 within the burst" "$CODE" 429
api GET "/api/v1/users/$U2"
eq "...every call within it" "$CODE" 429
sleep 0.9
api GET "/api/v1/users/$U2"
eq "after burst_429_ms: 200" "$CODE" 200
req POST "$BASE/sim/faults" '{"error_rate":1,"status":503}'
api GET "/api/v1/users/$U2"
eq "error_rate 1 status 503: 503 E0000009" "$CODE $(jv "d['errorCode']")" "503 E0000009"
req GET "$BASE/sim/faults"
eq "GET /sim/faults reads the settings" "$(jv "d['error_rate']") $(jv "d['status']")" "1 503"
req POST "$BASE/sim/faults" '{"drop_rate":1}'
curl -s -o /dev/null -H "Authorization: SSWS $TOKEN" "$BASE/api/v1/users/$U2"
eq "drop_rate 1: connection closed without an answer (curl 52)" "$?" 52
req POST "$BASE/sim/faults" '{"latency_ms":600,"latency_rate":1}'
T=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: SSWS $TOKEN" "$BASE/api/v1/users/$U2")
if python3 -c "import sys; sys.exit(0 if float('$T') >= 0.6 else 1)"; then ok "latency_ms 600 delays ($T s)"; else bad "latency not applied ($T s)"; fi
req POST "$BASE/sim/faults" '{"lost_rate":1}'
curl -s -o /dev/null -H "Authorization: SSWS $TOKEN" -H 'Content-Type: application/json' -X POST \
	--data-binary '{"profile":{"nickName":"lost-answer"}}' "$BASE/api/v1/users/$U2"
eq "lost_rate 1: the update's answer is lost (curl 52)" "$?" 52
req DELETE "$BASE/sim/faults"
api GET "/api/v1/users/$U2"
eq "faults cleared: 200" "$CODE" 200
eq "...and the update whose answer was lost took effect" "$(jv "d['profile'].get('nickName')")" lost-answer

section "request log"
req GET "$BASE/sim/requests"
eq "GET /sim/requests: 200" "$CODE" 200
eq "every /api request of the fault section is logged with its outcome" \
	"$(jv "[[x['status'], x['fault']] for x in d['requests'][-4:]]")" \
	'[[499, "drop"], [200, "latency"], [499, "lost"], [200, ""]]'
eq "the lost call is logged as a user write that succeeded" "$(jv "[[x['bucket'], x['lost_status']] for x in d['requests'] if x['fault'] == 'lost']")" '[["user_write", 200]]'
eq "a 429 is logged with its bucket, Remaining 0 and the Reset sent" \
	"$(jv "[[x['bucket'], x['remaining'], x['reset_s'] > 1700000000] for x in d['requests'] if x['status'] == 429][0]")" \
	'["user", 0, true]'
eq "the injected latency shows in start/end" "$(jv "[x['end_ms'] - x['start_ms'] >= 600 for x in d['requests'] if x['fault'] == 'latency']")" '[true]'
eq "the actor is the token's principal" "$(jv "d['requests'][-1]['actor'][:3]")" 00u
SEQ=$(jv "d['next_seq']")
api GET "/api/v1/users/$U2"
req GET "$BASE/sim/requests?since=$((SEQ - 1))"
eq "?since returns only newer requests" "$(jv "[x['seq'] for x in d['requests']]")" "[$SEQ]"
req GET "$BASE/sim/requests?since=x"
eq "?since=x: 400" "$CODE" 400
req DELETE "$BASE/sim/requests"
req GET "$BASE/sim/requests"
eq "DELETE /sim/requests forgets them" "$(jv "len(d['requests'])")" 0
req POST "$BASE/sim/faults" '{"error_rate":2}'
eq "invalid fault settings: 400" "$CODE" 400

section "bounded bodies"
head -c 1100000 /dev/zero | tr '\0' 'a' >"$TMP/big"
CODE=$(curl -s -o "$TMP/body" -w '%{http_code}' -H "Authorization: SSWS $TOKEN" -H 'Content-Type: application/json' \
	--data-binary @"$TMP/big" "$BASE/api/v1/users")
eq "body over 1 MiB: 413" "$CODE" 413

section "reset"
req POST "$BASE/sim/reset"
api GET "/api/v1/users/$U2"
eq "after /sim/reset users are gone" "$CODE" 404
req GET "$BASE/sim/outbox"
eq "after /sim/reset the outbox is empty" "$(jv "len(d)")" 0

section "rate limits"
start_sim rl --token "$TOKEN" --rate-limit users=3,user=5
api GET /api/v1/users
eq "limit 3: first request Remaining 2" "$(hdr X-Rate-Limit-Limit) $(hdr X-Rate-Limit-Remaining)" "3 2"
RESET=$(hdr X-Rate-Limit-Reset)
NOW=$(date +%s)
if [ "$RESET" -gt "$NOW" ] && [ "$RESET" -le $((NOW + 61)) ]; then ok "Reset is the window end in epoch seconds"; else bad "Reset $RESET vs now $NOW"; fi
api POST "/api/v1/users?activate=false" '{"profile":{"login":"r@example.com","email":"r@example.com","firstName":"R","lastName":"L"}}'
eq "create shares the users bucket" "$CODE $(hdr X-Rate-Limit-Remaining)" "200 1"
api GET /api/v1/users
api GET /api/v1/users
eq "past the limit: 429 E0000047" "$CODE $(jv "d['errorCode']") $(hdr X-Rate-Limit-Remaining)" "429 E0000047 0"
api GET /api/v1/users/r%40example.com
eq "another bucket is unaffected" "$CODE $(hdr X-Rate-Limit-Limit)" "200 5"
kill -TERM "$SIM_PID"
wait "$SIM_PID"
eq "SIGTERM: exit 0" "$?" 0
api GET /api/v1/users/r%40example.com
eq "...and the port is closed" "$CODE" 000
start_sim rloff --token "$TOKEN" --rate-limit off
for _ in 1 2 3 4 5; do api GET /api/v1/users; done
eq "--rate-limit off: no 429" "$CODE $(hdr X-Rate-Limit-Limit)" "200 1000000"

section "TLS and ES256"
start_sim tls --token "$TOKEN" --cert "$TMP/sim.pem" --key "$TMP/sim.key" \
	--oauth-client-id "$CLIENT" --oauth-public-key "$TMP/ec.pub"
matches "TLS base URL" "$BASE" '^https://127\.0\.0\.1:[0-9]+$'
CURL_TLS=(--cacert "$TMP/sim.pem")
api POST "/api/v1/users?activate=false" '{"profile":{"login":"tls@example.com","email":"tls@example.com","firstName":"T","lastName":"S"}}'
eq "createUser over TLS" "$CODE $(jv "d['status']")" "200 STAGED"
CODE=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/sim.pem" --tls-max 1.1 "$BASE/sim/config")
eq "TLS 1.1 is refused" "$CODE" 000
CODE=$(curl -s -o /dev/null -w '%{http_code}' "${BASE/https/http}/sim/config")
if [ "$CODE" != 200 ]; then ok "plain HTTP to the TLS port gets no answer ($CODE)"; else bad "plain HTTP answered 200"; fi
AUD="$BASE/oauth2/v1/token"
token_req "$(jwt ES256 "$TMP/ec.key" "$(claims "$AUD" 300)")" "okta.users.manage"
eq "ES256 assertion: 200" "$CODE $(jv "d['token_type']")" "200 Bearer"
ES_TOKEN=$(jv "d['access_token']")
req GET "$BASE/api/v1/users/tls%40example.com" "" -H "Authorization: Bearer $ES_TOKEN"
eq "ES256-issued token works" "$CODE $(jv "d['profile']['login']")" "200 tls@example.com"
token_req "$(jwt RS256 "$TMP/rsa.key" "$(claims "$AUD" 300)")" "okta.users.manage"
eq "RS256 assertion against an EC key: 401 invalid_client" "$CODE $(jv "d['error']")" "401 invalid_client"

section "System Log (listLogEvents)"
# on the TLS sim: SSWS and ES256-issued tokens
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
link() { grep -i '^link:' "$TMP/hdrs" | grep "rel=\"$1\"" | sed 's/^[^<]*<\([^>]*\)>.*/\1/' | head -1; }
T0=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) # to the millisecond: the TLS section's create may share this second
LOGIDS=()
for n in 1 2 3; do
	api POST "/api/v1/users?activate=false" "{\"profile\":{\"login\":\"log$n@example.com\",\"email\":\"log$n@example.com\",\"firstName\":\"L\",\"lastName\":\"$n\"}}"
	LOGIDS+=("$(jv "d['id']")")
done
api POST "/api/v1/users/${LOGIDS[0]}/lifecycle/activate?sendEmail=false"
UNTIL=$(date -u -d '+1 min' +%Y-%m-%dT%H:%M:%S.000Z)
api GET "/api/v1/logs?since=$(enc "$T0")&until=$(enc "$UNTIL")"
eq "bounded query: 200, the 4 events oldest first" "$CODE $(jv "[e['eventType'] for e in d]")" \
	'200 ["user.lifecycle.create", "user.lifecycle.create", "user.lifecycle.create", "user.lifecycle.activate"]'
eq "a bounded query that is done has no next link" "$(link next)" ""
matches "self link" "$(link self)" '/api/v1/logs\?since='
cp "$TMP/body" "$TMP/logs_all"
req GET "$BASE/sim/events"
eq "the System Log holds the very LogEvents the hooks get" \
	"$(jv "[e for e in d if e['uuid'] in [x['uuid'] for x in json.load(open('$TMP/logs_all'))]] == json.load(open('$TMP/logs_all'))")" true
api GET "/api/v1/logs?since=$(enc "$T0")&until=$(enc "$UNTIL")&filter=$(enc 'eventType eq "user.lifecycle.activate"')"
eq "filter eventType eq" "$CODE $(jv "[e['target'][0]['id'] for e in d]")" "200 [\"${LOGIDS[0]}\"]"
api GET "/api/v1/logs?since=$(enc "$T0")&until=$(enc "$UNTIL")&filter=$(enc "target.id eq \"${LOGIDS[1]}\" or target.id eq \"${LOGIDS[2]}\"")"
eq "filter target.id eq ... or ..." "$(jv "len(d)")" 2
api GET "/api/v1/logs?since=$(enc "$T0")&until=$(enc "$UNTIL")&filter=$(enc "actor.id eq \"$ACTOR\" and eventType sw \"user.lifecycle\"")"
eq "filter actor.id and eventType sw" "$(jv "len(d)")" 4
api GET "/api/v1/logs?since=$(enc "$T0")&until=$(enc "$UNTIL")&filter=$(enc 'eventType eq')"
eq "bad filter: 400 E0000001" "$CODE $(jv "d['errorCode']")" "400 E0000001"
api GET "/api/v1/logs?since=$(enc "$T0")&until=$(enc "$UNTIL")&q=LOG2%40EXAMPLE.COM"
eq "q: case-insensitive keyword" "$(jv "[e['target'][0]['alternateId'] for e in d]")" '["log2@example.com"]'
api GET "/api/v1/logs?since=$(enc "$T0")&until=$(enc "$UNTIL")&q=$(enc "a b c d e f g h i j k")"
eq "q: more than 10 keywords: 400" "$CODE" 400
api GET "/api/v1/logs?since=$(enc "$T0")&until=$(enc "$UNTIL")&sortOrder=DESCENDING&limit=1"
eq "sortOrder=DESCENDING: newest first" "$(jv "d[0]['eventType']")" user.lifecycle.activate
api GET "/api/v1/logs?sortOrder=UP"
eq "sortOrder other than ASCENDING/DESCENDING: 400" "$CODE" 400
for l in -1 1001 x; do
	api GET "/api/v1/logs?limit=$l"
	eq "limit=$l: 400" "$CODE" 400
done
api GET "/api/v1/logs?since=not-a-time"
eq "since not a timestamp: 400" "$CODE $(jv "d['errorCode']")" "400 E0000001"
api GET "/api/v1/logs?after=garbage"
eq "after not a cursor: 400" "$CODE" 400
api GET "/api/v1/logs?since=$(enc "$UNTIL")&until=$(enc "$T0")"
eq "since after until: 400" "$CODE" 400
api GET "/api/v1/logs?since=$(enc "$T0")&until=$(enc "$UNTIL")&limit=0"
eq "limit=0: an empty page" "$CODE $(jv "len(d)")" "200 0"
# paging a bounded query two at a time
api GET "/api/v1/logs?since=$(enc "$T0")&until=$(enc "$UNTIL")&limit=2"
PAGE1=$(jv "[e['uuid'] for e in d]")
NEXT=$(link next)
matches "limit=2 of 4: a next link with an after cursor" "$NEXT" 'after=[0-9]+_[0-9]+'
req GET "$NEXT" "" -H "Authorization: SSWS $TOKEN"
eq "next page: the other two, then no next link" "$(jv "len(d)") $(link next)" "2 "
eq "pages neither overlap nor skip" "$(python3 -c "import json; a=$PAGE1; b=json.load(open('$TMP/body')); c=json.load(open('$TMP/logs_all')); print([e['uuid'] for e in c] == a + [e['uuid'] for e in b])")" True
# polling: without until the next link is always there and keeps returning new events
api GET "/api/v1/logs?since=$(enc "$T0")&limit=1000"
eq "polling query: all 4 and a next link" "$(jv "len(d)") $([ -n "$(link next)" ] && echo next)" "4 next"
POLL=$(link next)
req GET "$POLL" "" -H "Authorization: SSWS $TOKEN"
eq "polling: nothing new yet, still a next link" "$(jv "len(d)") $([ "$(link next)" = "$POLL" ] && echo same)" "0 same"
api POST "/api/v1/users?activate=false" '{"profile":{"login":"log4@example.com","email":"log4@example.com","firstName":"L","lastName":"4"}}'
req GET "$POLL" "" -H "Authorization: SSWS $TOKEN"
eq "polling: the next link returns the new event" "$(jv "[e['target'][0]['alternateId'] for e in d]")" '["log4@example.com"]'
# publication lag
POLL=$(link next)
req POST "$BASE/sim/logs" '{"lag_ms":1500}'
eq "POST /sim/logs sets the lag" "$CODE $(jv "d['lag_ms']")" "200 1500"
api POST "/api/v1/users?activate=false" '{"profile":{"login":"log5@example.com","email":"log5@example.com","firstName":"L","lastName":"5"}}'
api GET "/api/v1/users/log5%40example.com"
req GET "$POLL" "" -H "Authorization: SSWS $TOKEN"
eq "lag: a fresh event is not visible yet" "$(jv "len(d)")" 0
sleep 1.7
req GET "$POLL" "" -H "Authorization: SSWS $TOKEN"
eq "lag: visible once the lag has passed" "$(jv "[e['target'][0]['alternateId'] for e in d]")" '["log5@example.com"]'
req POST "$BASE/sim/logs" '{"lag_ms":-1}'
eq "a negative lag: 400" "$CODE" 400
req POST "$BASE/sim/logs" '{"lag_ms":0}'
# its own rate-limit bucket and scope
api GET "/api/v1/logs?limit=1"
R1=$(hdr X-Rate-Limit-Remaining)
eq "the logs bucket: 120 a minute" "$(hdr X-Rate-Limit-Limit)" 120
api GET "/api/v1/users?limit=1"
api GET "/api/v1/logs?limit=1"
eq "a users call does not spend from the logs bucket" "$(hdr X-Rate-Limit-Remaining)" "$((R1 - 1))"
req GET "$BASE/api/v1/logs" "" -H "Authorization: Bearer $ES_TOKEN"
eq "a token without okta.logs.read: 403 E0000006" "$CODE $(jv "d['errorCode']")" "403 E0000006"
token_req "$(jwt ES256 "$TMP/ec.key" "$(claims "$AUD" 300)")" "okta.logs.read"
eq "okta.logs.read is granted" "$CODE $(jv "d['scope']")" "200 okta.logs.read"
LOG_TOKEN=$(jv "d['access_token']")
req GET "$BASE/api/v1/logs?limit=1" "" -H "Authorization: Bearer $LOG_TOKEN"
eq "okta.logs.read lists the System Log" "$CODE" 200
req GET "$BASE/api/v1/users/log1%40example.com" "" -H "Authorization: Bearer $LOG_TOKEN"
eq "okta.logs.read alone cannot read users" "$CODE" 403

kill -TERM "$HTTP_PID"
wait "$HTTP_PID"
eq "first sim exits 0 on SIGTERM" "$?" 0

echo "# $passes passed, $fails failed"
[ "$fails" -eq 0 ]
