#!/usr/bin/env bash
# The reconciler inside Okta's rate limits: okta-sim allows 2 System Log calls per 3 s window while
# hookd wants one every 300 ms and no event hook exists. The System Log calls wait for their own
# bucket (never a call before a 429's reset), the lifecycle calls are never held up by them (no 429
# in the user buckets), and every joiner still gets exactly one email.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
start_sim --rate-limit logs=2,window=3 || { fail "okta-sim starts"; t_done; exit 1; }
port=$(free_port)
write_hookd_config "$port" <<INI
[okta]
org_url = $SIM_URL
api_token = $SIM_TOKEN
ca_file = $T_DIR/certs/ca.crt
reconcile_every = 300ms
reconcile_grace = 200ms
[worker]
threads = 2
poll = 100ms
[rule okta-created]
on = okta:user.lifecycle.create
do = send_activation
INI
start_hookd || { fail "hookd starts"; cat "$T_DIR/hookd.log"; t_done; exit 1; }
u=()
for i in 1 2 3 4; do
	u+=("$(sim_api POST "/api/v1/users?activate=false" "{\"profile\":{\"login\":\"lim$i.$RANDOM@example.com\",\"email\":\"lim$i.$RANDOM@example.com\",\"firstName\":\"L\",\"lastName\":\"M\"}}" | jq_py 'd["id"]')")
	sleep 1
done
check "every joiner gets an email from the System Log" eventually "sim_one_activation_each ${u[*]}" 20
check "still exactly one each" sim_one_activation_each "${u[@]}"
tls_curl "$SIM_URL/sim/requests" >"$T_DIR/requests.json"
verdict=$(python3 - "$T_DIR/requests.json" <<'PY'
import json, sys
reqs = json.load(open(sys.argv[1]))["requests"]
logs = [r for r in reqs if r["bucket"] == "logs"]
early = 0
for a, b in zip(logs, logs[1:]):
    if a["status"] == 429 and b["start_ms"] < a["reset_s"] * 1000 - 1000:
        early += 1
gaps = [b["start_ms"] - a["start_ms"] for a, b in zip(logs, logs[1:])]
life429 = sum(1 for r in reqs if r["bucket"] in ("users", "user", "user_write") and r["status"] == 429)
print(len(logs), early, int(max(gaps) >= 1500) if gaps else 0, life429)
PY
)
read -r nlogs early waited life429 <<<"$verdict"
echo "    System Log calls: $nlogs"
check "the reconciler made System Log calls" test "$nlogs" -ge 3
check_eq "no System Log call before a 429's reset" "$early" 0
check_eq "the reconciler waited for its bucket (a gap of 1.5 s or more at a 300 ms interval)" "$waited" 1
check_eq "no lifecycle call was rate limited" "$life429" 0
t_done
