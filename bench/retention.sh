#!/usr/bin/env bash
# retention.sh: the cost of retention on SQLite. Fills a journal through hookd (loadgen, closed loop),
# then measures (1) the prune rate of `hookd prune` (every row old: HOOKD_CLOCK_OFFSET moves prune's
# clock 100 days on) and (2) ingest latency at a fixed rate without and with a prune running beside it
# (a second hookd prune process on the same journal, batches of prune_batch rows, as serve's
# background pass does), and (3) the same without and with serve's own background pass: hookd restarted
# with its clock 100 days on and HOOKD_RETENTION_TICK=TICK, ingest measured before its first pass and
# then across it. Prints one JSON line per run and the p99 ratios.
# Usage: bench/retention.sh   (FILL=seconds of filling, default 20; RATE=events/s for the latency runs,
# 300; TICK=seconds to serve's first background pass, 15; WINDOW=seconds of ingest from 0.5 s before
# it, 3: the pass (at most 100 batches a step) takes one or two seconds, so a longer window dilutes it)
set -uo pipefail
. "$(dirname "$0")/../tests/drills/lib.sh"
FILL=${FILL:-20} RATE=${RATE:-300} TICK=${TICK:-15} WINDOW=${WINDOW:-3}
LOADGEN=$(drill_loadgen) || exit 1
write_hookd_config "$(free_port)" </dev/null
start_hookd || exit 1
load() { "$LOADGEN" --port "$HOOKD_PORT" --body "$DRILL_SAMPLE" --auth "$HOOK_SECRET" "$@"; }
echo "fill: $(load --connections 16 --duration "$FILL")"
rows() { sqlite3 "$T_DIR/hookd.db" 'SELECT count(*) FROM events'; }
n=$(rows)
t0=$(date +%s.%N)
HOOKD_CLOCK_OFFSET=$((100 * 86400)) "$HOOKD_BIN" prune -c "$HOOKD_CONFIG"
t1=$(date +%s.%N)
python3 -c "import sys; n=$n; s=$t1-$t0; print('{\"prune_rows\":%d,\"seconds\":%.2f,\"rows_per_s\":%.0f}' % (n, s, n/s))"
echo "refill: $(load --connections 16 --duration "$FILL" | head -c 80)"
base=$(load --connections 8 --rate "$RATE" --duration 10)
echo "ingest alone: $base"
( HOOKD_CLOCK_OFFSET=$((100 * 86400)) "$HOOKD_BIN" prune -c "$HOOKD_CONFIG" >"$T_DIR/prune.out" ) &
pp=$!
during=$(load --connections 8 --rate "$RATE" --duration 10)
wait "$pp"
echo "ingest while pruning: $during (prune: $(cat "$T_DIR/prune.out"))"
ratio() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("%s: p99 alone %.2f ms, while pruning %.2f ms: ratio %.2f; p50 %.2f -> %.2f ms" % (sys.argv[3], a["p99_ms"], b["p99_ms"], b["p99_ms"] / a["p99_ms"], a["p50_ms"], b["p50_ms"]))
PY
}
ratio "$base" "$during" "hookd prune beside serve"

# (3) serve's own pass: every row written so far is 100 days old to the restarted hookd.
echo "refill: $(load --connections 16 --duration "$FILL" | head -c 80)"
stop_hookd
echo "rows: $(rows)"
: >"$T_DIR/hookd.log"
HOOKD_CLOCK_OFFSET=$((100 * 86400)) HOOKD_RETENTION_TICK=$TICK start_hookd || exit 1
t_up=$(date +%s.%N)
base=$(load --connections 8 --rate "$RATE" --duration $((TICK - 5)))
echo "ingest before serve's first pass: $base"
sleep "$(python3 -c "print(max(0, $t_up + $TICK - 0.5 - $(date +%s.%N)))")"
during=$(load --connections 8 --rate "$RATE" --duration "$WINDOW")
echo "ingest across serve's first pass: $during"
passes=$(grep '"retention pruned"' "$T_DIR/hookd.log")
echo "serve's passes: ${passes:-none}"
[ -n "$passes" ] || echo "no background pass ran: the second figure is not a prune's" >&2
ratio "$base" "$during" "serve's background pass"
