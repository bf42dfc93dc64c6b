# lib.sh (drills): tests/lib.sh plus what only the drills and the benchmarks use. Source it instead of
# tests/lib.sh: hookd runs at its default thread count here (T_THREADS sets it), and it adds
#   drill_loadgen                  builds tests/drills/loadgen.c once (in DRILL_LOADGEN_DIR, else T_DIR); prints its path
#   drill_journal_keys CONFIG OUT  writes every journaled okta dedupe_key (one per line, sorted) to OUT
#   proc_cpu_ticks PID, proc_hwm_kb PID, proc_rss_kb PID   CPU ticks (utime+stime), peak and current RSS
# and DRILL_SAMPLE, a delivery with one user event.
T_THREADS=${T_THREADS-}
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
DRILL_SAMPLE=$T_SRC/tests/drills/delivery-user.json

drill_loadgen() {
	local out=${DRILL_LOADGEN_DIR:-$T_DIR}/loadgen
	if [ ! -x "$out" ] || [ "$T_SRC/tests/drills/loadgen.c" -nt "$out" ]; then
		cc -O2 -o "$out" "$T_SRC/tests/drills/loadgen.c" -lssl -lcrypto || return 1
	fi
	echo "$out"
}

# Pages through `hookd events --json` (the stable interface, JSON Lines) and writes the sorted dedupe keys.
drill_journal_keys() {
	local cfg=$1 out=$2 before=0 page
	: >"$out.all"
	while :; do
		page=$T_DIR/page.json
		if [ "$before" = 0 ]; then
			"$HOOKD_BIN" events -c "$cfg" --json --source okta --limit 100000 >"$page" || return 1
		else
			"$HOOKD_BIN" events -c "$cfg" --json --source okta --limit 100000 --before "$before" >"$page" || return 1
		fi
		before=$(python3 - "$page" "$out.all" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
with open(sys.argv[2], "a") as f:
    for r in rows:
        f.write(r["dedupe_key"] + "\n")
print(min(r["id"] for r in rows) if len(rows) == 100000 else 0)
PY
) || return 1
		[ "$before" = 0 ] && break
	done
	sort "$out.all" >"$out"
	rm -f "$out.all" "$page"
}

proc_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
proc_hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
proc_rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# context switches, voluntary and not, summed over the threads of PID alive now
proc_ctxt_switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s + 0}'; }
# PID NAME: the ID of PID's first thread named NAME (hookd names its own: hookd-commit, ...), empty if none
proc_thread() { grep -lx "$2" /proc/"$1"/task/*/comm 2>/dev/null | head -1 | awk -F/ '{print $5}'; }
# PID TID: nanoseconds that thread ran and waited runnable for a CPU (/proc schedstat), "0 0" if gone
proc_thread_sched() { awk '{print $1, $2}' /proc/"$1"/task/"$2"/schedstat 2>/dev/null || echo 0 0; }
# SERIES: metric_at for the hookd on HOOKD_PORT, its certificate unchecked (the benchmarks make a CA per run)
hookd_metric() { metric_at "https://127.0.0.1:$HOOKD_PORT" "$1" -k; }
