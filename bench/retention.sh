#!/usr/bin/env bash
# retention.sh: the cost of retention on SQLite. Fills a journal through hookd (loadgen, closed loop),
# then measures (1) the prune rate of `hookd prune` (every row old: HOOKD_CLOCK_OFFSET moves prune's
# clock 100 days on) and (2) ingest latency at a fixed rate without and with a prune running beside it
# (a second hookd prune process on the same journal, batches of prune_batch rows, as serve's
# background pass does). Prints one JSON line per run and the p99 ratio.
# Usage: bench/retention.sh   (FILL=seconds of filling, default 20; RATE=events/s for the latency runs, 300)
set -uo pipefail
. "$(dirname "$0")/../tests/drills/lib.sh"
FILL=${FILL:-20} RATE=${RATE:-300}
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
python3 - "$base" "$during" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("p99 alone %.2f ms, while pruning %.2f ms: ratio %.2f; p50 %.2f -> %.2f ms" % (a["p99_ms"], b["p99_ms"], b["p99_ms"] / a["p99_ms"], a["p50_ms"], b["p50_ms"]))
PY
