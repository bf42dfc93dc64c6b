#!/usr/bin/env bash
# t_okta_dpop.sh: DPoP service apps (RFC 9449) end to end, okta-sim by hand and hookd against it.
# okta-sim --oauth-dpop --oauth-dpop-api-nonce plays an app
# that requires DPoP, with a nonce on the token endpoint and on API calls. First the test drives it by
# hand (curl, proofs signed by openssl) through Okta's refusals; then hookd, with the default
# [okta] dpop = auto, switches to DPoP, answers both nonce challenges, registers its hook, runs a job
# to PROVISIONED and resends by login (ann@example.com, percent-encoded in the path, proven decoded);
# then each misconfiguration gives its own clear error: wrong client key, dpop = off, clock skew,
# a nonce loop, DPoP key equal to the client key.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

# The app's client-assertion key is RSA so that openssl alone can sign for the test; hookd signs with it too.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_DIR/app.key" 2>/dev/null
openssl pkey -in "$T_DIR/app.key" -pubout -out "$T_DIR/app.pub" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_DIR/proof.key" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_DIR/wrong.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T_DIR/dpop-ec.key" 2>/dev/null
APP_ID=0oadpop$RANDOM
start_sim --rate-limit off --oauth-client-id "$APP_ID" --oauth-public-key "$T_DIR/app.pub" --oauth-dpop \
	--oauth-dpop-api-nonce || { fail "okta-sim starts"; t_done; exit 1; }
ok "okta-sim listening at $SIM_URL"
check_eq "/sim/config: the app requires DPoP, with a nonce on API calls" \
	"$(tls_curl "$SIM_URL/sim/config" | jq_py 'd["oauth_dpop"]')" api_nonce
TOKEN_URL=$SIM_URL/oauth2/v1/token

# mint assertion | mint proof METHOD URL [TOKEN] [NONCE]: RS256 JWTs signed with openssl.
cat >"$T_DIR/mint.py" <<'PY'
import base64, hashlib, json, os, subprocess, sys, time
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def sign(key, hdr, claims):
    si = b64(json.dumps(hdr, separators=(",", ":")).encode()) + "." + b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=si.encode(), capture_output=True, check=True).stdout
    return si + "." + b64(sig)
d, kind, now = os.environ["T_DIR"], sys.argv[1], int(time.time())
jti = b64(os.urandom(12))
if kind == "assertion":
    aud = sys.argv[2]
    print(sign(d + "/app.key", {"alg": "RS256"}, {"aud": aud, "iss": os.environ["APP_ID"], "sub": os.environ["APP_ID"], "iat": now, "exp": now + 300, "jti": jti}))
else:
    mod = subprocess.run(["openssl", "rsa", "-in", d + "/proof.key", "-noout", "-modulus"], capture_output=True, text=True, check=True).stdout
    jwk = {"e": "AQAB", "kty": "RSA", "n": b64(bytes.fromhex(mod.strip().split("=")[1]))}
    c = {"htm": sys.argv[2], "htu": sys.argv[3], "iat": now, "jti": jti}
    if len(sys.argv) > 4 and sys.argv[4]: c["ath"] = b64(hashlib.sha256(sys.argv[4].encode()).digest())
    if len(sys.argv) > 5 and sys.argv[5]: c["nonce"] = sys.argv[5]
    print(sign(d + "/proof.key", {"typ": "dpop+jwt", "alg": "RS256", "jwk": jwk}, c))
PY
mint() { T_DIR=$T_DIR APP_ID=$APP_ID python3 "$T_DIR/mint.py" "$@"; }
# token_req [DPOP-PROOF]: the token request; body in $T_DIR/body, headers in $T_DIR/hdrs, prints the status.
token_req() {
	local dpop=()
	[ $# -ge 1 ] && dpop=(-H "DPoP: $1")
	tls_curl -o "$T_DIR/body" -D "$T_DIR/hdrs" -w '%{http_code}' "${dpop[@]}" --data-urlencode grant_type=client_credentials \
		--data-urlencode "scope=okta.users.manage okta.eventHooks.manage" \
		--data-urlencode client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
		--data-urlencode "client_assertion=$(mint assertion "$TOKEN_URL")" "$TOKEN_URL"
}
# api_get PATH AUTH [DPOP-PROOF]: a GET; body and headers as above, prints the status.
api_get() {
	local dpop=()
	[ $# -ge 3 ] && dpop=(-H "DPoP: $3")
	tls_curl -o "$T_DIR/body" -D "$T_DIR/hdrs" -w '%{http_code}' -H "Authorization: $2" "${dpop[@]}" "$SIM_URL$1"
}
header() { tr -d '\r' <"$T_DIR/hdrs" | sed -n "s/^$1: //Ip" | tail -1; }
body() { jq_py "$1" <"$T_DIR/body"; }

echo "-- okta-sim by hand"
check_eq "token request without a proof: 400" "$(token_req)" 400
check_eq "...invalid_dpop_proof, as Okta words it" "$(body 'd["error"]+": "+d["error_description"]')" \
	"invalid_dpop_proof: The DPoP proof JWT header is missing."
check_eq "a proof without a nonce: 400" "$(token_req "$(mint proof POST "$TOKEN_URL")")" 400
check_eq "...use_dpop_nonce" "$(body 'd["error"]')" use_dpop_nonce
nonce=$(header DPoP-Nonce)
check "...with a DPoP-Nonce header" test -n "$nonce"
check_eq "a proof with the nonce: 200" "$(token_req "$(mint proof POST "$TOKEN_URL" "" "$nonce")")" 200
check_eq "...token_type DPoP" "$(body 'd["token_type"]')" DPoP
tok=$(body 'd["access_token"]')
login=ann@example.com
sim_api POST "/api/v1/users?activate=false" "{\"profile\":{\"login\":\"$login\",\"email\":\"$login\",\"firstName\":\"Ann\",\"lastName\":\"Lee\"}}" >/dev/null
path=/api/v1/users/ann%40example.com
check_eq "the DPoP token as a Bearer token: 401" "$(api_get "$path" "Bearer $tok")" 401
check "...WWW-Authenticate: DPoP error=invalid_token" grep -q 'DPoP algs=.*error="invalid_token"' <<<"$(header WWW-Authenticate)"
check_eq "DPoP scheme without a proof: 401" "$(api_get "$path" "DPoP $tok")" 401
check "...invalid_dpop_proof: header is missing" grep -q 'error="invalid_dpop_proof", error_description="The DPoP proof JWT header is missing."' <<<"$(header WWW-Authenticate)"
check_eq "a proof without the API nonce: 401" "$(api_get "$path" "DPoP $tok" "$(mint proof GET "$SIM_URL/api/v1/users/$login" "$tok")")" 401
check "...error=use_dpop_nonce" grep -q 'error="use_dpop_nonce"' <<<"$(header WWW-Authenticate)"
anonce=$(header DPoP-Nonce)
check "...with a DPoP-Nonce header" test -n "$anonce"
proof=$(mint proof GET "$SIM_URL/api/v1/users/ann%40example.com" "$tok" "$anonce")
check_eq "htu as sent (percent-encoded login): 401" "$(api_get "$path" "DPoP $tok" "$proof")" 401
check "...the htu does not match" grep -q "'htu' claim does not match" <<<"$(header WWW-Authenticate)"
proof=$(mint proof GET "$SIM_URL/api/v1/users/$login" "$tok" "$anonce")
check_eq "htu with the decoded path, ath and nonce: 200" "$(api_get "$path" "DPoP $tok" "$proof")" 200
check_eq "...the user by login" "$(body 'd["profile"]["login"]')" "$login"
check_eq "the same proof again: 401" "$(api_get "$path" "DPoP $tok" "$proof")" 401
check "...jti replayed" grep -q "'jti' has already been used" <<<"$(header WWW-Authenticate)"
check_eq "a proof for another token (ath): 401" "$(api_get "$path" "DPoP $tok" "$(mint proof GET "$SIM_URL/api/v1/users/$login" "x$tok" "$anonce")")" 401

echo "-- hookd with [okta] dpop = auto (the default)"
port=$(free_port)
# The System Log reconciler off: the checks below count this process's and register-hook's exact calls.
write_hookd_config "$port" <<INI
$(okta_app_ini)
reconcile_every = off
[worker]
threads = 2
poll = 100ms
[rule okta-created]
on = okta:user.lifecycle.create
do = send_activation
INI
tls_curl "$SIM_URL/sim/requests" -X DELETE >/dev/null
start_hookd || { fail "hookd starts"; cat "$T_DIR/hookd.log"; t_done; exit 1; }
out=$("$HOOKD_BIN" okta register-hook -c "$T_DIR/hookd.ini" --url "$HOOKD_URL/hooks/okta" 2>&1)
rc=$?
echo "$out" | sed 's/^/    /'
check_eq "register-hook through DPoP exits 0 (hook VERIFIED)" "$rc" 0
requests() { tls_curl "$SIM_URL/sim/requests" | python3 -c "import json,sys; print(' '.join('%s:%d' % (r['path'].split('/')[-1], r['status']) for r in json.load(sys.stdin)['requests'] if r['path'].startswith('$1')))"; }
check_eq "token requests: no proof, proof without nonce, proof with nonce" "$(requests /oauth2/)" "token:400 token:400 token:200"
check "the first API call met the nonce challenge (401), the retry passed" grep -qE '^eventHooks:401 eventHooks:200' <<<"$(requests /api/)"
check "register-hook's log says it switched to DPoP" grep -q "requires DPoP; sending DPoP proofs" <<<"$out"

login2=bo@example.com
user=$(sim_api POST "/api/v1/users?activate=false" "{\"profile\":{\"login\":\"$login2\",\"email\":\"$login2\",\"firstName\":\"Bo\",\"lastName\":\"Ek\"}}")
uid=$(jq_py 'd["id"]' <<<"$user")
status_of() { sim_api GET "/api/v1/users/$uid" | jq_py 'd["status"]'; }
check "the rule's send_activation job brings the user to PROVISIONED through DPoP" eventually '[ "$(status_of)" = PROVISIONED ]' 15
metrics=$(tls_curl "$HOOKD_URL/metrics")
check "hookd serve counted its nonce retries on the token endpoint and the API" bash -c \
	'grep -qE "^hookd_okta_dpop_nonce_retries_total\{server=\"token\"\} [1-9]" <<<"$1" && grep -qE "^hookd_okta_dpop_nonce_retries_total\{server=\"api\"\} [1-9]" <<<"$1"' _ "$metrics"
check_eq "no dead jobs" "$("$HOOKD_BIN" jobs -c "$T_DIR/hookd.ini" --state dead --json | jsonl_py 'len(d)')" 0
sim_api POST "/api/v1/users/ann%40example.com/lifecycle/activate?sendEmail=true" >/dev/null
out=$("$HOOKD_BIN" user resend "$login" -c "$T_DIR/hookd.ini" --wait 20 2>&1)
echo "    $out"
check "hookd user resend ann@example.com: GET /api/v1/users/ann%40example.com proven decoded, then reactivate" \
	grep -q "reactivate?sendEmail=true" <<<"$out"
all_logs=$(cat "$T_DIR/hookd.log"; echo "$out")
# a JWT is header.payload.signature, each part base64url of JSON ("eyJ"); okta-sim ids may start with eyJ too
check "hookd's logs hold no JWT (proof or assertion)" bash -c '! grep -qE "eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]*\." <<<"$1"' _ "$all_logs"
check "hookd's logs hold no access token" bash -c '! grep -qE "sim\.[A-Za-z0-9]{40}" <<<"$1"' _ "$all_logs"
check "hookd's logs hold no nonce" bash -c '! grep -qF -e "$2" -e "$3" <<<"$1"' _ "$all_logs" "$nonce" "$anonce"

echo "-- each failure with its error"
variant() { # variant NAME "key = value"...: $T_DIR/NAME.ini, the running config's [okta] with those keys replaced
	local name=$1 kv ini
	shift
	ini=$(okta_app_ini)
	for kv in "$@"; do ini=$(grep -v "^${kv%% = *} = " <<<"$ini"); ini+=$'\n'$kv; done
	{ sed '/^\[okta\]/,$d' "$T_DIR/hookd.ini"; echo "$ini"; } >"$T_DIR/$name.ini"
}
okta_hooks() { "$HOOKD_BIN" okta hooks -c "$T_DIR/$1.ini" 2>&1; }
variant wrongkey "private_key_file = $T_DIR/wrong.key"
out=$(okta_hooks wrongkey); rc=$?
echo "    $out" | tail -1
check "a client key the app does not know: fails with invalid_client and names the key" \
	bash -c '[ "$1" != 0 ] && grep -q "invalid_client" <<<"$2" && grep -q "public key registered for client_id" <<<"$2"' _ "$rc" "$out"
variant off "dpop = off"
out=$(okta_hooks off); rc=$?
echo "    $out" | tail -1
check "dpop = off against a DPoP app: says to set dpop = auto or on" \
	bash -c '[ "$1" != 0 ] && grep -q "requires DPoP.*set \[okta\] dpop = auto or on" <<<"$2"' _ "$rc" "$out"
tls_curl "$SIM_URL/sim/clock" -X POST -H 'Content-Type: application/json' -d '{"offset_s":900}' >/dev/null
variant on "dpop = on"
out=$(okta_hooks on); rc=$?
echo "    $out" | tail -1
check "15 minutes of clock skew: the proof's iat is refused, and hookd says to check the clock" \
	bash -c '[ "$1" != 0 ] && grep -q "refused hookd.s DPoP proof.*iat.*check this host.s clock" <<<"$2"' _ "$rc" "$out"
tls_curl "$SIM_URL/sim/clock" -X POST -H 'Content-Type: application/json' -d '{"offset_s":0}' >/dev/null
check "dpop = on with the clock right again: hooks listed" grep -q VERIFIED <<<"$(okta_hooks on)"
variant eckey "dpop = on" "dpop_key_file = $T_DIR/dpop-ec.key"
check "dpop = on with an EC P-256 dpop_key_file: hooks listed" grep -q VERIFIED <<<"$(okta_hooks eckey)"
# A second sim whose nonces are stale as soon as issued (its nodes disagree): hookd gives up and says so.
port2=$(free_port)
"$SIM_BIN" --listen "127.0.0.1:$port2" --token "x$SIM_TOKEN" --cert "$T_DIR/certs/server.crt" --key "$T_DIR/certs/server.key" \
	--oauth-client-id "$APP_ID" --oauth-public-key "$T_DIR/app.pub" --oauth-dpop --oauth-dpop-nonce-ttl 0 \
	>"$T_DIR/sim2.url" 2>"$T_DIR/sim2.log" &
T_PIDS+=($!)
eventually '[ -s "$T_DIR/sim2.url" ]' 10
variant loop "dpop = on" "org_url = $(head -1 "$T_DIR/sim2.url")"
out=$(okta_hooks loop); rc=$?
echo "    $out" | tail -1
check "nonces that never hold: 'DPoP nonce loop', after a bounded number of token requests" \
	bash -c '[ "$1" != 0 ] && grep -q "DPoP nonce loop" <<<"$2"' _ "$rc" "$out"
check_eq "...three token requests: no nonce, the nonce, the next nonce" \
	"$(tls_curl "$(head -1 "$T_DIR/sim2.url")/sim/requests" | jq_py 'len(d["requests"])')" 3
variant samekey "dpop_key_file = $T_DIR/app.key"
out=$("$HOOKD_BIN" check-config -c "$T_DIR/samekey.ini" 2>&1); rc=$?
check "check-config refuses the client-assertion key as DPoP key" bash -c '[ "$1" != 0 ] && grep -q "own key pair" <<<"$2"' _ "$rc" "$out"
variant badmode "dpop = maybe"
out=$("$HOOKD_BIN" check-config -c "$T_DIR/badmode.ini" 2>&1); rc=$?
check "check-config refuses dpop = maybe" bash -c '[ "$1" != 0 ] && grep -q "auto, on or off" <<<"$2"' _ "$rc" "$out"
t_done
