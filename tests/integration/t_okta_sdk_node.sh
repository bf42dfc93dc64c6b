#!/usr/bin/env bash
# t_okta_sdk_node.sh: Okta's official Node SDK (@okta/okta-sdk-nodejs, pinned in tests/sdk-node) against
# the real okta-sim through every call hookd makes; every raw body is validated against the schema the
# spec (../shared/okta/management-openapi.yaml) gives for its operation and status (tests/sdk-node/check.js).
set -u

SRC=${HOOKD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
SIM=${OKTA_SIM_BIN:-${HOOKD_BUILD:-}/okta-sim}
SPEC=${HOOKD_OKTA_SPEC:-$SRC/../shared/okta/management-openapi.yaml}
if [ ! -x "$SIM" ]; then
	echo "SKIP: okta-sim not built (looked for $SIM; set HOOKD_BUILD or OKTA_SIM_BIN)"
	exit 77
fi
if ! command -v node >/dev/null; then
	echo "SKIP: node is not installed (scripts/setup.sh --test installs it)"
	exit 77
fi
if [ ! -d "$SRC/tests/sdk-node/node_modules/@okta/okta-sdk-nodejs" ]; then
	echo "SKIP: the Node SDK is not installed (run scripts/setup.sh --test, or npm ci in tests/sdk-node)"
	exit 77
fi
if [ ! -f "$SPEC" ]; then
	echo "SKIP: Okta's spec not found at $SPEC (set HOOKD_OKTA_SPEC)"
	exit 77
fi

TMP=$(mktemp -d)
SIM_PID=
cleanup() {
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# a CA and the hook receiver's certificate (127.0.0.1), trusted by okta-sim through --hook-ca
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sdk test CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
	-keyout "$TMP/ca.key" -out "$TMP/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$TMP/recv.key" -out "$TMP/recv.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$TMP/san.ext"
openssl x509 -req -in "$TMP/recv.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial -days 2 \
	-extfile "$TMP/san.ext" -out "$TMP/recv.pem" 2>/dev/null

TOKEN=sdk-$(openssl rand -hex 12)
"$SIM" --listen 127.0.0.1:0 --token "$TOKEN" --hook-ca "$TMP/ca.pem" --log-level warn >"$TMP/sim.out" 2>"$TMP/sim.err" &
SIM_PID=$!
BASE=
for _ in $(seq 100); do
	BASE=$(head -1 "$TMP/sim.out" 2>/dev/null)
	[ -n "$BASE" ] && break
	sleep 0.05
done
if [ -z "$BASE" ]; then
	echo "FAIL - okta-sim did not start"
	cat "$TMP/sim.err"
	exit 1
fi

SIM_BASE=$BASE SIM_TOKEN=$TOKEN SPEC=$SPEC RECV_KEY=$TMP/recv.key RECV_CERT=$TMP/recv.pem \
	node "$SRC/tests/sdk-node/check.js"
