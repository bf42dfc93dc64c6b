#!/usr/bin/env bash
# backlog.sh: a journaled backlog drained through okta-sim by hookd's job workers.
# Usage: bench/backlog.sh [--events N] [--quick] [--limit-minutes M] [--users U]
#   1. drain: N events (default 1,000,000; --quick 20,000) are journaled with the workers off
#      ([worker] threads = 0), then hookd restarts with 4 workers against okta-sim with rate limits
#      off; jobs/s and hookd's RSS are sampled every 5 s until no job is pending (RSS must stay flat).
#   2. limits: okta-sim with Okta's default buckets (600/min writes, 2000/min user reads); a fresh
#      backlog is drained for M minutes (default 3; --quick 1.5); from okta-sim's request log: calls
#      per 60 s window against each bucket's limit (share used) and 429s received.
# Every job is send_activation for user.lifecycle.create of a STAGED okta-sim user: the first job of
# a user activates it (GET + POST), every later one reads it, finds it PROVISIONED and is done (one
# GET). --users U (default 1) spreads the events evenly over U users, journaled at once (16
# connections shared): one person's jobs run one at a time in order, so with one user the drain
# measures one worker's serial rate, and with U >= 4 what the 4 workers do side by side.
# Results replace the block between bench/RESULTS.md's backlog markers. Not run in CI.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=1000000 MINUTES=3 USERS=1
while [ $# -gt 0 ]; do
	case $1 in
	--events) N=$2; shift ;;
	--quick) N=20000 MINUTES=1.5 ;;
	--limit-minutes) MINUTES=$2; shift ;;
	--users) USERS=$2; shift ;;
	*) echo "usage: bench/backlog.sh [--events N] [--quick] [--limit-minutes M] [--users U]"; exit 2 ;;
	esac
	shift
done
case $USERS in '' | *[!0-9]* | 0) echo "backlog: --users takes a positive number"; exit 2 ;; esac
BUILD=${BUILD:-build-bench}
[ -x "$BUILD/hookd" ] && [ -x "$BUILD/okta-sim" ] || scripts/build.sh "$BUILD" >/dev/null || exit 1
export HOOKD_BIN=$ROOT/$BUILD/hookd
SIM=$ROOT/$BUILD/okta-sim
DRILL_LOADGEN_DIR=$ROOT/$BUILD
. tests/drills/lib.sh
LG=$(drill_loadgen) || exit 1
D=$T_DIR
make_certs "$D/certs"
TOKEN=simtoken$RANDOM$RANDOM

sim_start() { # sim_start RATE-LIMIT-SPEC
	"$SIM" --listen 127.0.0.1:0 --token "$TOKEN" --cert "$D/certs/server.crt" --key "$D/certs/server.key" \
		--hook-ca "$D/certs/ca.crt" --rate-limit "$1" >"$D/sim.url" 2>"$D/sim.log" &
	SIM_PID=$!
	T_PIDS+=("$SIM_PID")
	for _ in $(seq 100); do [ -s "$D/sim.url" ] && break; sleep 0.1; done
	SIM_URL=$(head -1 "$D/sim.url")
	[ -n "$SIM_URL" ] || { echo "backlog: okta-sim did not start"; cat "$D/sim.log"; exit 1; }
}
sim_stop() { kill -TERM "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; }
sim_user() { # a STAGED user; prints its id
	curl -s --cacert "$D/certs/ca.crt" -X POST "$SIM_URL/api/v1/users?activate=false" \
		-H "Authorization: SSWS $TOKEN" -H 'Content-Type: application/json' \
		-d "{\"profile\":{\"login\":\"$1@example.com\",\"email\":\"$1@example.com\",\"firstName\":\"Back\",\"lastName\":\"Log\"}}" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}
template() { # template USER_ID > file: a user.lifecycle.create delivery targeting the user
	python3 - "$DRILL_SAMPLE" "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
e = d["data"]["events"][0]
e["eventType"] = "user.lifecycle.create"
e["target"][0]["id"] = sys.argv[2]
print(json.dumps(d, separators=(",", ":")))
EOF
}
config() { # config WORKERS
	printf '%s' "$TOKEN" >"$D/token"
	write_hookd_config "${HOOKD_PORT:-$(free_port)}" "$D" <<INI
[okta]
org_url = $SIM_URL
api_token_file = $D/token
ca_file = $D/certs/ca.crt
[worker]
threads = $1
poll = 100ms
# These runs count every job settled: no follow-ups 6 days out.
[activation]
follow_up = false
[rule okta-created]
on = okta:user.lifecycle.create
do = send_activation
INI
}
jobs_state() { # prints "pending running done dead" from /metrics
	curl -sk --max-time 5 "https://127.0.0.1:$HOOKD_PORT/metrics" | awk '
		/^hookd_jobs\{state="pending"\}/ {p=$2} /^hookd_jobs\{state="running"\}/ {r=$2}
		/^hookd_jobs\{state="done"\}/ {d=$2} /^hookd_jobs\{state="dead"\}/ {x=$2}
		END {print p+0, r+0, d+0, x+0}'
}
users() { # users PREFIX: U STAGED users, a delivery template for each (delivery-K.json)
	local k uid
	for k in $(seq "$USERS"); do
		uid=$(sim_user "$1-$k") || exit 1
		template "$uid" >"$D/delivery-$k.json"
	done
}
journal() { # journal N: N deliveries spread over the users, closed loop, 16 connections in all (one per user past 16)
	local t0=$SECONDS k per conns pids=()
	per=$(($1 / USERS)) conns=$((16 / USERS > 0 ? 16 / USERS : 1))
	for k in $(seq "$USERS"); do
		"$LG" --port "$HOOKD_PORT" --auth "$HOOK_SECRET" --body "$D/delivery-$k.json" --connections "$conns" \
			--requests $((k == 1 ? $1 - per * (USERS - 1) : per)) --reconnect >"$D/journal-$k.json" &
		pids+=($!)
	done
	wait "${pids[@]}"
	echo "     journaled $1 events for $USERS user(s) in $((SECONDS - t0)) s: $(python3 -c '
import json, sys
rs = [json.load(open(f)) for f in sys.argv[1:]]
st = {}
for r in rs:
    for k, v in r["status"].items():
        st[k] = st.get(k, 0) + v
print(st, "%.0f/s" % sum(r["rate"] for r in rs))' "$D"/journal-*.json)"
}
OUTMD=$D/backlog.md
: >"$OUTMD"

echo "== drain: $N jobs of $USERS user(s), okta-sim rate limits off, 4 workers"
sim_start off
users backlog1
config 0
start_hookd "$D/hookd.ini" "$D/hookd.log" || exit 1
journal "$N"
stop_hookd TERM
config 4
start_hookd "$D/hookd.ini" "$D/hookd.log" || exit 1
t0=$(date +%s.%N)
: >"$D/drain.tsv"
while :; do
	read -r p r d x < <(jobs_state)
	now=$(date +%s.%N)
	printf '%.1f\t%s\t%s\t%s\t%s\t%s\n' "$(awk -v a="$now" -v b="$t0" 'BEGIN {print a - b}')" "$p" "$r" "$d" "$x" "$(proc_rss_kb "$HOOKD_PID")" >>"$D/drain.tsv"
	tail -1 "$D/drain.tsv" | awk -F'\t' '{printf "     t=%6ss pending %8s running %3s done %8s dead %5s RSS %6d KiB\n", $1, $2, $3, $4, $5, $6}'
	[ "$p" = 0 ] && [ "$r" = 0 ] && break
	kill -0 "$HOOKD_PID" 2>/dev/null || { echo "backlog: hookd died"; tail "$D/hookd.log"; exit 1; }
	sleep 5
done
"$HOOKD_BIN" jobs -c "$D/hookd.ini" --state dead --json --limit 5 >"$D/dead.json" 2>/dev/null
stop_hookd TERM
sim_stop
python3 - "$D/drain.tsv" "$N" "$D/dead.json" "$USERS" >>"$OUTMD" <<'EOF'
import json, sys
rows = [l.split("\t") for l in open(sys.argv[1]) if l.strip()]
n, users = int(sys.argv[2]), int(sys.argv[4])
t = float(rows[-1][0])
done, dead = int(rows[-1][3]), int(rows[-1][4])
rss = [int(r[5]) for r in rows]
print("### Drain: %d jobs of %d user(s), okta-sim limits off, 4 workers\n" % (n, users))
print("- %d done, %d dead in %.0f s: **%.0f jobs/s**" % (done, dead, t, (done + dead) / t if t else 0))
print("- hookd RSS: first sample %d KiB, min %d, max %d, last %d KiB (%s)" % (
    rss[0], min(rss), max(rss), rss[-1], "flat" if max(rss) <= 1.5 * min(rss) + 8192 else "GROWING"))
try:
    for j in map(json.loads, open(sys.argv[3])):
        print("- dead job %s (%s, %d attempts): %s" % (j["id"], j["action"], j["attempts"], (j.get("last_error") or "")[:200]))
except (OSError, ValueError):
    pass
print("\n| t (s) | pending | running | done | dead | RSS KiB |\n|---|---|---|---|---|---|")
step = max(1, len(rows) // 20)
for r in rows[::step] + ([rows[-1]] if (len(rows) - 1) % step else []):
    print("| " + " | ".join(x.strip() for x in r) + " |")
print()
EOF

echo "== limits: okta-sim with Okta's default buckets, drained for $MINUTES min"
rm -f "$D/hookd.db" "$D/hookd.db-wal" "$D/hookd.db-shm"
sim_start "users=600,user=2000,user_write=600,window=60"
rm -f "$D"/journal-*.json
users backlog2
config 0
start_hookd "$D/hookd.ini" "$D/hookd.log" || exit 1
LN=$(python3 -c "print(int(float('$MINUTES') * 60 * 2000 * 1.5))") # more than the read bucket allows
journal "$LN"
stop_hookd TERM
config 4
start_hookd "$D/hookd.ini" "$D/hookd.log" || exit 1
sleep "$(python3 -c "print(float('$MINUTES') * 60)")"
read -r p r d x < <(jobs_state)
stop_hookd TERM
sim_stop
python3 - "$D/sim.log" "$MINUTES" "$p" "$d" "$x" "$USERS" >>"$OUTMD" <<'EOF'
import collections, json, re, sys
from datetime import datetime
rows = []
for line in open(sys.argv[1]):
    try:
        j = json.loads(line)
    except ValueError:
        continue
    if j.get("msg") != "request" or not j.get("path", "").startswith("/api/v1/users"):
        continue
    t = datetime.strptime(j["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
    bucket = "user_write" if j["method"] == "POST" and "/lifecycle/" in j["path"] else \
        "user" if j["method"] == "GET" and re.match(r"^/api/v1/users/[^/?]+$", j["path"]) else "users"
    rows.append((t, bucket, str(j["status"])))
limits = {"users": 600, "user": 2000, "user_write": 600}
print("### Rate limits: Okta's default buckets, %s min of draining, %s user(s), 4 workers\n" % (sys.argv[2], sys.argv[6]))
if not rows:
    print("okta-sim logged no API calls.\n")
    sys.exit(0)
t0 = rows[0][0]
win = collections.defaultdict(lambda: collections.Counter())
for t, b, s in rows:
    w = int((t - t0) // 60)
    win[(w, b)]["calls"] += 1
    if s == "429":
        win[(w, b)]["429"] += 1
print("| 60 s window | bucket | calls | limit | share used | 429s |\n|---|---|---|---|---|---|")
for (w, b), c in sorted(win.items()):
    print("| %d | %s | %d | %d | %.0f%% | %d |" % (w, b, c["calls"], limits[b], 100.0 * (c["calls"] - c["429"]) / limits[b], c["429"]))
total429 = sum(c["429"] for c in win.values())
print("\n- %d API calls, %d answered 429 (%.2f%%); jobs at the end: %s pending, %s done, %s dead" % (
    len(rows), total429, 100.0 * total429 / len(rows), sys.argv[3], sys.argv[4], sys.argv[5]))
print("- windows are 60 s slices from the first call, not okta-sim's own window boundaries (which the governor follows), so a slice may straddle two sim windows; share used counts calls that were not refused; the last slice is partial.\n")
EOF
cat "$OUTMD"
# The run replaces what is between the markers (the rest of the file is other benchmarks' record).
{
	echo "Backlog run of $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), \`bench/backlog.sh --events $N --users $USERS\`:"
	echo
	cat "$OUTMD"
} >"$D/block.md"
python3 - bench/RESULTS.md "$D/block.md" <<'EOF'
import sys
path, block = sys.argv[1], open(sys.argv[2]).read()
try:
    s = open(path).read()
except OSError:
    s = ""
a, b = "<!-- backlog -->\n", "<!-- /backlog -->\n"
if a in s and b in s and s.index(a) < s.index(b):
    s = s[:s.index(a) + len(a)] + block + s[s.index(b):]
else:
    s += "\n" + a + block + b
open(path, "w").write(s)
EOF
echo "backlog: written to bench/RESULTS.md (between its backlog markers)"
