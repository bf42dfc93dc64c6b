#!/usr/bin/env bash
# reconcile_catchup.sh: how fast hookd catches up from the System Log after an outage.
# Usage: bench/reconcile_catchup.sh [--events N]   (default 5,000)
# N users are created in okta-sim (rate limits off, no event hook: every event is missed by the hook),
# then hookd starts ([worker] threads = 0, so only the reading and journaling is measured) and the
# time until hookd_events_reconciled_total reaches N is taken from its /metrics. Prints events/s and
# System Log pages. Results go to stdout; copy them into bench/RESULTS.md. Not run in CI.
set -uo pipefail
cd "$(dirname "$0")/.."
N=5000
[ "${1:-}" = --events ] && N=$2
BUILD=${BUILD:-build/release}
export HOOKD_BIN=$PWD/$BUILD/hookd
. tests/lib.sh
start_sim --rate-limit off || { echo "okta-sim did not start"; exit 1; }
python3 - "$SIM_URL" "$SIM_TOKEN" "$T_DIR/certs/ca.crt" "$N" <<'PY'
import http.client, json, ssl, sys, urllib.parse
url, token, ca, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
u = urllib.parse.urlparse(url)
c = http.client.HTTPSConnection(u.hostname, u.port, context=ssl.create_default_context(cafile=ca))
for i in range(n):
    body = json.dumps({"profile": {"login": f"bench{i}@example.com", "email": f"bench{i}@example.com",
                                   "firstName": "B", "lastName": str(i)}})
    c.request("POST", "/api/v1/users?activate=false", body,
              {"Authorization": "SSWS " + token, "Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
PY
sleep 1
write_hookd_config "$(free_port)" <<INI
[okta]
org_url = $SIM_URL
api_token = $SIM_TOKEN
ca_file = $T_DIR/certs/ca.crt
reconcile_every = 1s
reconcile_grace = 0
[worker]
threads = 0
[rule created]
on = okta:user.lifecycle.create
do = send_activation
INI
t0=$(date +%s.%N)
start_hookd || exit 1
got=0
for _ in $(seq 1200); do
	got=$(tls_curl "$HOOKD_URL/metrics" | awk '$1 == "hookd_events_reconciled_total{type=\"user.lifecycle.create\"}" { v = $2 } END { print v + 0 }')
	[ "$got" -ge "$N" ] && break
	sleep 0.1
done
t1=$(date +%s.%N)
pages=$(tls_curl "$SIM_URL/sim/requests" | python3 -c "import json,sys; print(sum(1 for r in json.load(sys.stdin)['requests'] if r['bucket']=='logs'))")
python3 -c "import sys; n=$got; s=$t1-$t0; print(f'reconcile catch-up: {n} of $N events journaled from the System Log in {s:.2f} s (hookd start included) = {n/s:.0f} events/s, {$pages} System Log calls (pages of 1000)')"
[ "$got" -ge "$N" ]
