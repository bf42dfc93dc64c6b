#!/usr/bin/env bash
# provision.sh: new hires provisioned through okta-sim: the share of Okta's create limit used.
# Usage: bench/provision.sh [N]   (default 1300 users; about 2.5 minutes)
# 1. limits on: okta-sim with Okta's default buckets (createUser shares the 600/min users bucket);
#    N `hookd user create` jobs, 4 workers; creates per 60 s window against the limit, and every 429.
# 2. limits off: the same N jobs again on a fresh org; jobs/s.
# Prints the figures; appends them to bench/RESULTS.md. Not run in CI.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-1300}
BUILD=${BUILD:-build/release}
[ -x "$BUILD/hookd" ] && [ -x "$BUILD/okta-sim" ] || BUILD_TARGETS="hookd okta-sim" scripts/build.sh "$BUILD" >/dev/null
D=$(mktemp -d /tmp/hookd-provision.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$D"' EXIT
certs/gen-dev-cert.sh "$D/certs" >/dev/null
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
TOKEN=tok$RANDOM$RANDOM

run() { # run NAME RATE-LIMIT-SPEC: prints "seconds created 429s"
	local name=$1 spec=$2 dir=$D/$1
	mkdir -p "$dir"
	"$BUILD/okta-sim" --listen 127.0.0.1:0 --token "$TOKEN" --cert "$D/certs/server.crt" --key "$D/certs/server.key" \
		--rate-limit "$spec" >"$dir/sim.url" 2>"$dir/sim.log" &
	PIDS+=($!)
	for _ in $(seq 100); do [ -s "$dir/sim.url" ] && break; sleep 0.1; done
	local sim=$(head -1 "$dir/sim.url")
	printf '%s' "$TOKEN" >"$dir/token"
	printf 'x' >"$dir/hook.secret"
	cat >"$dir/hookd.ini" <<INI
[server]
listen = 127.0.0.1:$(port)
tls_cert = $D/certs/server.crt
tls_key = $D/certs/server.key
[store]
path = $dir/hookd.db
[okta_hook]
auth_value_file = $dir/hook.secret
[okta]
org_url = $sim
api_token_file = $dir/token
ca_file = $D/certs/ca.crt
timeout = 120s
[worker]
threads = 4
poll = 100ms
[log]
level = warn
INI
	# Queue every job before the workers start, so the run measures the workers and the governor.
	for i in $(seq "$N"); do
		"$BUILD/hookd" user create "hire$i.$name@example.com" --first-name Hire --last-name "N$i" -c "$dir/hookd.ini" >/dev/null
	done
	local t0=$(date +%s.%N)
	"$BUILD/hookd" serve -c "$dir/hookd.ini" 2>"$dir/hookd.log" &
	local hp=$!
	PIDS+=($hp)
	local created=0
	for _ in $(seq 3000); do
		created=$(curl -s --cacert "$D/certs/ca.crt" "$sim/sim/users" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
		[ "$created" -ge "$N" ] && break
		sleep 0.2
	done
	local t1=$(date +%s.%N)
	kill -TERM "$hp"; wait "$hp" 2>/dev/null
	curl -s --cacert "$D/certs/ca.crt" "$sim/sim/users" >"$dir/users.json"
	local r429=$(grep -c '429' "$dir/hookd.log")
	echo "$(python3 -c "print('%.1f' % ($t1 - $t0))") $created $r429"
}

echo "provision: $N users, limits on (okta-sim defaults: users bucket 600 per 60 s window)"
read -r secs created r429 < <(run on "window=60")
# Creates per 60 s window, counted from the first create (the sim's windows start with a bucket's first call).
windows=$(python3 - "$D/on/users.json" <<'PY'
import json, sys
from datetime import datetime
ts = sorted(datetime.fromisoformat(u["created"].replace("Z", "+00:00")).timestamp() for u in json.load(open(sys.argv[1])))
t0 = ts[0]; counts = {}
for t in ts:
    counts[int((t - t0) // 60)] = counts.get(int((t - t0) // 60), 0) + 1
full = [counts[k] for k in sorted(counts)][:-1]
print(" ".join(str(counts[k]) for k in sorted(counts)), "|", "%.1f" % (100 * sum(full) / (600 * len(full))) if full else "n/a")
PY
)
echo "  created $created in ${secs}s; per 60 s window: ${windows% |*}; share of the limit in full windows: ${windows#*| }%; 429s logged by hookd: $r429"
echo "provision: $N users, limits off"
read -r secs2 created2 r4292 < <(run off "off")
rate=$(python3 -c "print('%.0f' % ($created2 / $secs2))")
echo "  created $created2 in ${secs2}s: $rate jobs/s"
{
	echo
	echo "## Provisioning through Okta's create limit (\`bench/provision.sh $N\`, $(date -u '+%F %H:%M') UTC)"
	echo
	echo "| run | users created | seconds | creates per 60 s window | share of 600/min in full windows | 429s | jobs/s |"
	echo "|---|---|---|---|---|---|---|"
	echo "| limits on (600/min) | $created | $secs | ${windows% |*} | ${windows#*| }% | $r429 | $(python3 -c "print('%.1f' % ($created / $secs))") |"
	echo "| limits off | $created2 | $secs2 | | | $r4292 | $rate |"
} >>bench/RESULTS.md
