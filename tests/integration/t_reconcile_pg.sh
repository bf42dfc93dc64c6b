#!/usr/bin/env bash
# Two hookd instances on one PostgreSQL journal read okta-sim's System Log (no event hook at all):
# only the lease holder polls; after it is killed with SIGKILL the other takes over; every joiner
# gets exactly one activation email; and at every sample the cursor has not passed an event the
# journal lacks. Needs the PostgreSQL server binaries (starts a private cluster).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$pgbin" ] || [ "$(id -u)" != 0 ] || ! command -v psql >/dev/null; then
	echo "SKIP: needs PostgreSQL server binaries, psql and root (scripts/pg-cluster.sh runs the server as postgres)"
	exit 77
fi
chmod 755 "$T_DIR"
PGDIR=$T_DIR/pg
pg_stop() { "$T_SRC/scripts/pg-cluster.sh" stop "$PGDIR" >/dev/null 2>&1 || true; }
trap 't_cleanup; pg_stop' EXIT
admin=$("$T_SRC/scripts/pg-cluster.sh" start "$PGDIR" "$(free_port)") || { fail "PostgreSQL starts"; t_done; exit 1; }
psql -q "$admin" -c "CREATE DATABASE hookd" || { fail "create database"; t_done; exit 1; }
DB=${admin%/postgres}/hookd
printf '%s' "$DB" >"$T_DIR/db.url"
q() { psql -X -At "$DB" -c "$1"; }

start_sim --rate-limit off || { fail "okta-sim starts"; t_done; exit 1; }
port_a=$(free_port)
port_b=$(free_port)
write_hookd_config "$port_a" <<INI
[store]
backend = postgres
url_file = $T_DIR/db.url
[okta]
org_url = $SIM_URL
api_token = $SIM_TOKEN
ca_file = $T_DIR/certs/ca.crt
reconcile_every = 500ms
reconcile_grace = 500ms
reconcile_overlap = 1m
reconcile_lease = 3s
[worker]
threads = 2
poll = 200ms
backoff_base = 200ms
backoff_max = 1s
[rule okta-created]
on = okta:user.lifecycle.create
do = send_activation
INI
sed "s/^listen = 127.0.0.1:$port_a/listen = 127.0.0.1:$port_b/" "$T_DIR/hookd.ini" >"$T_DIR/hookd-b.ini"
"$HOOKD_BIN" serve -c "$T_DIR/hookd.ini" 2>>"$T_DIR/hookd-a.log" &
PID_A=$!
T_PIDS+=($PID_A)
wait_url "https://127.0.0.1:$port_a/readyz" || { fail "instance A starts"; t_done; exit 1; }
"$HOOKD_BIN" serve -c "$T_DIR/hookd-b.ini" 2>>"$T_DIR/hookd-b.log" &
PID_B=$!
T_PIDS+=($PID_B)
wait_url "https://127.0.0.1:$port_b/readyz" || { fail "instance B starts"; t_done; exit 1; }

holder() { q "SELECT lease_owner FROM reconcile_state WHERE name = 'okta_logs'" | sed 's/.*://'; }
create() {
	sim_api POST "/api/v1/users?activate=false" \
		"{\"profile\":{\"login\":\"$1\",\"email\":\"$1\",\"firstName\":\"P\",\"lastName\":\"G\"}}" | jq_py 'd["id"]'
}
seen() { metric_at "https://127.0.0.1:$1" hookd_reconcile_events_seen_total; }
# cursor_sound: every System Log event published before the cursor is in the journal.
VIOLATIONS=0
SAMPLES=0
cursor_sound() {
	local cur
	cur=$(q "SELECT coalesce(cursor_ms, -1) FROM reconcile_state WHERE name = 'okta_logs'")
	[ -z "$cur" ] || [ "$cur" -lt 0 ] && return 0
	SAMPLES=$((SAMPLES + 1))
	q "SELECT dedupe_key FROM events WHERE source = 'okta'" >"$T_DIR/journal.txt"
	sim_api GET "/api/v1/logs?since=$(date -u -d '-10 min' +%Y-%m-%dT%H:%M:%SZ)&limit=1000" >"$T_DIR/logs.json"
	python3 - "$cur" "$T_DIR/journal.txt" "$T_DIR/logs.json" <<'PY'
import datetime, json, sys
cur = int(sys.argv[1])
have = set(open(sys.argv[2]).read().split())
def ms(t): return int(datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1000)
lost = [e["uuid"] for e in json.load(open(sys.argv[3])) if ms(e["published"]) < cur and e["uuid"] not in have]
print("\n".join(lost))
sys.exit(1 if lost else 0)
PY
}

check "one instance holds the reconciler's lease" eventually '[ -n "$(holder)" ]' 10
first=$(holder)
if [ "$first" = "$PID_A" ]; then other=$PID_B other_port=$port_b kill_port=$port_a; else other=$PID_A other_port=$port_a kill_port=$port_b; fi
check "the holder is one of the two" test "$first" = "$PID_A" -o "$first" = "$PID_B"
check_eq "its reconciler, job workers and PostgreSQL listener run in threads named for them" \
	"$(grep -hxE 'hookd-(reconcile|worker|pglisten)' /proc/"$first"/task/*/comm | sort -u | paste -sd ' ')" \
	"hookd-pglisten hookd-reconcile hookd-worker"
u=()
for i in 1 2 3 4 5; do u+=("$(create "pg.a$i.$RANDOM@example.com")"); done
check "the first five joiners get their email from the System Log" eventually "sim_one_activation_each ${u[*]}" 15
check "the holder read them" test "$(seen "$kill_port")" -ge 5
check_eq "the standby read nothing" "$(seen "$other_port")" 0
cursor_sound || VIOLATIONS=$((VIOLATIONS + 1))

kill -KILL "$first"
wait "$first" 2>/dev/null
for i in 1 2 3 4 5; do
	u+=("$(create "pg.b$i.$RANDOM@example.com")")
	cursor_sound || VIOLATIONS=$((VIOLATIONS + 1))
	sleep 0.3
done
check "the other instance takes the lease over once it runs out" eventually '[ "$(holder)" = "$other" ]' 10
check "every joiner gets an email" eventually "sim_one_activation_each ${u[*]}" 15
for _ in 1 2 3; do
	cursor_sound || VIOLATIONS=$((VIOLATIONS + 1))
	sleep 0.5
done
check "still exactly one email each" sim_one_activation_each "${u[@]}"
check "the cursor was sampled with a value at least 5 times ($SAMPLES)" test "$SAMPLES" -ge 5
check_eq "the cursor never passed an event the journal lacked" "$VIOLATIONS" 0
check_eq "each creation is journaled once" \
	"$(q "SELECT count(*) FROM events WHERE type = 'user.lifecycle.create'") $(q "SELECT count(DISTINCT dedupe_key) FROM events WHERE type = 'user.lifecycle.create'")" "10 10"
found=$(q "SELECT found FROM reconcile_state WHERE name = 'okta_logs'")
fromlog=$(q "SELECT count(*) FROM events WHERE delivery_id = 'system-log'")
check "the journal counts what only the System Log had (at least the first five; at most $fromlog): $found" \
	test "$found" -ge 5 -a "$found" -le "$fromlog"
check "the cursor is recent" test "$(q "SELECT (extract(epoch from now()) * 1000)::bigint - cursor_ms FROM reconcile_state")" -lt 10000
t_done
