#!/usr/bin/env bash
# diskfull.sh: the journal's filesystem fills up, then turns read-only: deliveries get 503 (never a 200
# for an event that is not stored), /readyz says so, and hookd recovers by itself when space returns.
# Usage: tests/drills/diskfull.sh [--large]   (needs root to mount a small tmpfs; skips otherwise)
# The journal lives on its own tmpfs; "full" is another file filling it (then deleted), "read-only"
# is a remount (then back to rw). hookd is never restarted.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
N=300
[ "${1:-}" = --large ] && N=3000
D=$T_DIR
MNT=$D/mnt
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=16m,mode=0700 tmpfs "$MNT" 2>"$D/mount.err"; then
	echo "SKIP: cannot mount a tmpfs for the journal ($(cat "$D/mount.err")); this drill needs root and mount rights"
	exit 77
fi
cleanup_mnt() { umount -l "$MNT" 2>/dev/null || true; }
trap 'drill_cleanup_all' EXIT
drill_cleanup_all() { for p in "${T_PIDS[@]}"; do t_ours "$p" && kill -KILL "$p" 2>/dev/null; done; wait 2>/dev/null; cleanup_mnt; t_cleanup; }
T_STORE="backend = sqlite
path = $MNT/hookd.db" write_hookd_config "$(free_port)" "$D" </dev/null
LG=$(drill_loadgen) || exit 1
start_hookd "$D/hookd.ini" "$D/hookd.log" || exit 1
URL=https://127.0.0.1:$HOOKD_PORT
echo "# journal on a 16 MiB tmpfs at $MNT"

# phase NAME REQUESTS: sends deliveries one connection at a time so each answer is attributable
phase() {
	"$LG" --port "$HOOKD_PORT" --auth "$HOOK_SECRET" --body "$DRILL_SAMPLE" --connections 2 --requests "$2" --reconnect \
		--log "$D/$1.log" >"$D/$1.json" 2>/dev/null
	echo "     $1: $(python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print("answers", r["status"], "connection errors", r["conn_errors"])' "$D/$1.json")"
}
count() { awk -v s="$2" '$2 == s' "$D/$1.log" | wc -l; }
readyz() { curl -sk -o /dev/null -w '%{http_code}' --max-time 10 "$URL/readyz"; }

phase before "$N"
check "with space: every delivery answered 200 ($(count before 200)/$N)" test "$(count before 200)" = "$N"
check "with space: /readyz 200" test "$(readyz)" = 200

echo "# filling the filesystem with another file"
dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
sync
echo "     free now: $(df -k --output=avail "$MNT" | tail -1 | tr -d ' ') KiB"
phase full "$N"
n503=$(count full 503)
check "disk full: deliveries answered 503 ($n503/$N; 200s: $(count full 200))" test "$n503" -gt 0
# One refused delivery's body (new events each time: a write that still fits in pages SQLite owns passes).
for i in $(seq 20); do
	sed "s/\"uuid\": *\"[^\"]*\"/\"uuid\": \"full-$i-$RANDOM\"/" "$DRILL_SAMPLE" >"$D/full-delivery.json"
	code=$(curl -sk --max-time 10 -o "$D/full-body.json" -w '%{http_code}' -H "Authorization: $HOOK_SECRET" \
		-H 'Content-Type: application/json' --data-binary @"$D/full-delivery.json" "$URL/hooks/okta")
	[ "$code" = 503 ] && break
done
check "disk full: the 503 carries {\"error\":\"journal_unavailable\",...}" grep -q '"error":"journal_unavailable"' "$D/full-body.json"
check "disk full: /readyz answers 503 ($(readyz))" test "$(readyz)" = 503
check "disk full: hookd is still running" kill -0 "$HOOKD_PID"

echo "# space returns (the filler is deleted)"
rm -f "$MNT/filler"
sleep 0.5
phase after "$N"
check "space back: deliveries answered 200 again without a restart ($(count after 200)/$N)" test "$(count after 200)" = "$N"
check "space back: /readyz 200" test "$(readyz)" = 200

echo "# the filesystem turns read-only (a mounted filesystem with an open writer cannot be remounted"
echo "# read-only, so hookd is stopped, the filesystem remounted ro, and hookd started on it)"
stop_hookd TERM
mount -o remount,ro "$MNT" || { fail "cannot remount read-only"; t_done; exit 1; }
"$HOOKD_BIN" serve -c "$D/hookd.ini" 2>>"$D/hookd.log" &
HOOKD_PID=$!
T_PIDS+=("$HOOKD_PID")
up=0
for _ in $(seq 50); do
	curl -sk -o /dev/null --max-time 1 "$URL/healthz" && { up=1; break; }
	kill -0 "$HOOKD_PID" 2>/dev/null || break
	sleep 0.1
done
if [ $up = 1 ]; then
	echo "     hookd started on the read-only journal"
	phase ro "$N"
	check "read-only: deliveries answered 503 ($(count ro 503)/$N; 200s: $(count ro 200))" test "$(count ro 503)" = "$N"
	check "read-only: /readyz 503" test "$(readyz)" = 503
	mount -o remount,rw "$MNT"
	sleep 0.5
	phase rw "$N"
	check "read-write again: deliveries answered 200 without a restart ($(count rw 200)/$N)" test "$(count rw 200)" = "$N"
	check "read-write again: /readyz 200" test "$(readyz)" = 200
else
	wait "$HOOKD_PID"
	rc=$?
	HOOKD_PID=
	echo "     hookd refused to start on the read-only journal (exit $rc): $(grep 'cannot open the journal' "$D/hookd.log" | tail -1 | cut -c1-240)"
	check "read-only: hookd refuses to start with a non-zero exit" test "$rc" -ne 0
	check "read-only: ... and logs why (cannot open the journal)" grep -q 'cannot open the journal' "$D/hookd.log"
	: >"$D/ro.log"
	mount -o remount,rw "$MNT"
	start_hookd "$D/hookd.ini" "$D/hookd.log" || exit 1
	phase rw "$N"
	check "read-write again: deliveries answered 200 after the restart ($(count rw 200)/$N)" test "$(count rw 200)" = "$N"
fi

stop_hookd TERM
check "hookd stops cleanly (exit 0)" test $? = 0
cat "$D"/before.log "$D"/full.log "$D"/after.log "$D"/ro.log "$D"/rw.log | awk '$2 == 200 {print $1}' | sort >"$D/acked"
cat "$D"/full.log "$D"/ro.log | awk '$2 == 503 {print $1}' | sort >"$D/refused"
drill_journal_keys "$D/hookd.ini" "$D/journal"
missing=$(comm -23 "$D/acked" "$D/journal" | wc -l)
refused_stored=$(comm -12 "$D/refused" "$D/journal" | wc -l)
check "every delivery answered 200 is in the journal ($(wc -l <"$D/acked") answered, $missing missing)" test "$missing" = 0
check "no delivery answered 503 was stored ($refused_stored stored)" test "$refused_stored" = 0
ic=$(sqlite3 "$MNT/hookd.db" 'PRAGMA integrity_check' 2>&1)
check "the journal passes integrity_check ($ic)" test "$ic" = ok
grep -q '"journal commit failed"' "$D/hookd.log" && echo "     log: $(grep -m1 '"journal commit failed"' "$D/hookd.log" | cut -c1-220)"
t_done
