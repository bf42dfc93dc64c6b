#!/usr/bin/env bash
# Scale-out on one PostgreSQL journal, with real processes and TLS: two hookd instances (different
# ports, the same database) and okta-sim behind both. N Okta event-hook events (user.lifecycle.create
# for STAGED users) are delivered across the instances, some deliveries to both at once; instance A
# is killed with SIGKILL a third of the way in, PostgreSQL is restarted two thirds of the way in. The
# sender retries anything not answered 200 (as Okta would), on whichever instance is up. Afterwards:
# every event answered 200 is journaled exactly once, every user got exactly one job, that job is
# done, the user is PROVISIONED and has exactly one activation email.
# Needs the PostgreSQL server binaries (starts a private cluster: it restarts it). SCALEOUT_EVENTS=N.
. "$(dirname "$0")/../lib.sh"
N=${SCALEOUT_EVENTS:-2000}
PER=5 # events per delivery
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$pgbin" ] || [ "$(id -u)" != 0 ] || ! command -v psql >/dev/null; then
	echo "SKIP: needs PostgreSQL server binaries, psql and root (scripts/pg-cluster.sh runs the server as postgres)"
	exit 77
fi
chmod 755 "$T_DIR"
PGDIR=$T_DIR/pg
pg_stop() { "$T_SRC/scripts/pg-cluster.sh" stop "$PGDIR" >/dev/null 2>&1 || true; }
trap 't_cleanup; pg_stop' EXIT

pgport=$(free_port)
admin=$("$T_SRC/scripts/pg-cluster.sh" start "$PGDIR" "$pgport") || { fail "PostgreSQL starts"; t_done; exit 1; }
psql -q "$admin" -c "CREATE DATABASE hookd" || { fail "create database"; t_done; exit 1; }
DB=${admin%/postgres}/hookd
printf '%s' "$DB" >"$T_DIR/db.url"
q() { psql -X -At "$DB" -c "$1"; }
ok "PostgreSQL at $admin"

start_sim --rate-limit off || { fail "okta-sim starts"; t_done; exit 1; }
ok "okta-sim at $SIM_URL"

# Two instances: the same config but the port and the log.
port_a=$(free_port)
port_b=$(free_port)
write_hookd_config "$port_a" <<INI
[store]
backend = postgres
url_file = $T_DIR/db.url
pool_size = 4
[okta]
org_url = $SIM_URL
api_token = $SIM_TOKEN
ca_file = $T_DIR/certs/ca.crt
[worker]
threads = 4
lease = 5s
poll = 200ms
backoff_base = 200ms
backoff_max = 1s
# These runs count every job settled: no follow-ups 6 days out.
[activation]
follow_up = false
[rule okta-created]
on = okta:user.lifecycle.create
do = send_activation
INI
# write_hookd_config set [store] path for SQLite; the second [store] section overrides backend and adds url.
sed "s/^listen = 127.0.0.1:$port_a/listen = 127.0.0.1:$port_b/" "$T_DIR/hookd.ini" >"$T_DIR/hookd-b.ini"
check "check-config accepts the postgres config" "$HOOKD_BIN" check-config -c "$T_DIR/hookd.ini"

"$HOOKD_BIN" serve -c "$T_DIR/hookd.ini" 2>>"$T_DIR/hookd-a.log" &
PID_A=$!
T_PIDS+=($PID_A)
"$HOOKD_BIN" serve -c "$T_DIR/hookd-b.ini" 2>>"$T_DIR/hookd-b.log" &
PID_B=$!
T_PIDS+=($PID_B)
URL_A=https://127.0.0.1:$port_a
URL_B=https://127.0.0.1:$port_b
wait_url "$URL_A/readyz" && wait_url "$URL_B/readyz" || {
	fail "both instances start"
	tail -5 "$T_DIR"/hookd-*.log
	t_done
	exit 1
}
check_eq "instance A is ready" "$(tls_curl -o /dev/null -w '%{http_code}' "$URL_A/readyz")" 200
check_eq "instance B is ready" "$(tls_curl -o /dev/null -w '%{http_code}' "$URL_B/readyz")" 200
# every version from 1 up exactly once, whatever the newest is (two instances started on one database)
check_eq "the schema was migrated once (versions $(q "SELECT string_agg(version::text, ',' ORDER BY version) FROM hookd_schema"))" \
	"$(q "SELECT count(*) = count(DISTINCT version) AND min(version) = 1 AND max(version) = count(*) AND count(*) >= 6 FROM hookd_schema")" t

# N STAGED users in okta-sim; the sender below delivers their user.lifecycle.create events.
python3 - "$SIM_URL" "$SIM_TOKEN" "$T_DIR/certs/ca.crt" "$N" "$T_DIR/users.json" <<'EOF' || fail "users created in okta-sim"
import http.client, json, ssl, sys, urllib.parse
url, token, ca, n, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
u = urllib.parse.urlsplit(url)
c = http.client.HTTPSConnection(u.hostname, u.port, context=ssl.create_default_context(cafile=ca))
users = []
for i in range(n):
    login = "scale.%05d@example.com" % i
    body = json.dumps({"profile": {"login": login, "email": login, "firstName": "S", "lastName": "U%d" % i}})
    c.request("POST", "/api/v1/users?activate=false", body,
              {"Authorization": "SSWS " + token, "Content-Type": "application/json"})
    r = c.getresponse()
    d = json.loads(r.read())
    assert r.status == 200 and d["status"] == "STAGED", (r.status, d)
    users.append({"id": d["id"], "login": login})
json.dump(users, open(out, "w"))
EOF
check_eq "okta-sim holds $N STAGED users" "$(tls_curl "$SIM_URL/sim/users" | python3 -c 'import json,sys; print(sum(1 for u in json.load(sys.stdin) if u["status"]=="STAGED"))')" "$N"

# The sender: 4 threads, deliveries alternate between A and B, every tenth goes to both at once.
# At a third of the way it SIGKILLs A, at two thirds it restarts PostgreSQL. Anything not answered
# 200 is retried (on the other instance, then either) until it is, for up to 90 s per delivery.
python3 - "$T_DIR" "$URL_A" "$URL_B" "$PID_A" "$T_SRC/scripts/pg-cluster.sh" "$PGDIR" "$PER" <<'EOF' >"$T_DIR/sender.out" 2>&1
import http.client, json, os, queue, signal, ssl, subprocess, sys, threading, time, urllib.parse, uuid
d, url_a, url_b, pid_a, pgctl, pgdir, per = sys.argv[1:8]
per = int(per)
secret = open(d + "/hook.secret").read()
ctx = ssl.create_default_context(cafile=d + "/certs/ca.crt")
users = json.load(open(d + "/users.json"))
deliveries = []
for k in range(0, len(users), per):
    evs = []
    for u in users[k:k + per]:
        evs.append({"uuid": str(uuid.uuid4()), "published": "2026-11-27T05:00:00.000Z",
                    "eventType": "user.lifecycle.create", "version": "0", "severity": "INFO",
                    "displayMessage": "Create Okta user",
                    "actor": {"id": "00uadminscale", "type": "User", "alternateId": "admin@example.com",
                              "displayName": "Admin"},
                    "target": [{"id": u["id"], "type": "User", "alternateId": u["login"], "displayName": u["login"]}]})
    body = {"eventType": "com.okta.event_hook", "eventTypeVersion": "1.0", "cloudEventsVersion": "0.1",
            "source": "https://sim/api/v1/eventHooks/whoscale", "eventId": str(uuid.uuid4()),
            "eventTime": "2026-11-27T05:00:00.000Z", "contentType": "application/json", "data": {"events": evs}}
    deliveries.append((len(deliveries), json.dumps(body).encode(), [e["uuid"] for e in evs]))
lock = threading.Lock()
stats = {"200": 0, "503": 0, "other": 0, "neterr": 0, "gave_up": 0, "both": 0}
acked = set()
done_count = [0]
dead_a = threading.Event()
local = threading.local()

def conn(url):
    cs = getattr(local, "conns", None)
    if cs is None:
        cs = local.conns = {}
    if url not in cs:
        u = urllib.parse.urlsplit(url)
        cs[url] = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=10)
    return cs[url]

def post(url, body):
    try:
        c = conn(url)
        c.request("POST", "/hooks/okta", body, {"Authorization": secret, "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            local.conns.pop(url).close()
        return r.status
    except Exception:
        c = local.conns.pop(url, None)
        if c:
            c.close()
        return None

def count(st):
    with lock:
        stats["200" if st == 200 else "503" if st == 503 else "neterr" if st is None else "other"] += 1

def deliver(url, body, keys):
    first, t0 = url, time.time()
    while time.time() - t0 < 90:
        st = post(url, body)
        count(st)
        if st == 200:
            with lock:
                acked.update(keys)
            return True
        time.sleep(0.05)
        url = url_b if url == url_a or dead_a.is_set() else url_a
    with lock:
        stats["gave_up"] += 1
    return False

def chaos(n_done, total):
    if n_done == total // 3:
        os.kill(int(pid_a), signal.SIGKILL)
        dead_a.set()
        print("chaos: SIGKILL instance A after %d deliveries" % n_done, flush=True)
    if n_done == 2 * total // 3:
        t = time.time()
        subprocess.run([pgctl, "restart", pgdir], check=True)
        print("chaos: PostgreSQL restarted after %d deliveries (%.1f s)" % (n_done, time.time() - t), flush=True)

q = queue.Queue()
for dl in deliveries:
    q.put(dl)

def worker():
    while True:
        try:
            i, body, keys = q.get_nowait()
        except queue.Empty:
            return
        url = url_a if i % 2 == 0 and not dead_a.is_set() else url_b
        if i % 10 == 5:
            with lock:
                stats["both"] += 1
            other = url_b if url == url_a else url_a
            t = threading.Thread(target=deliver, args=(other, body, keys))
            t.start()
            deliver(url, body, keys)
            t.join()
        else:
            deliver(url, body, keys)
        with lock:
            done_count[0] += 1
            n = done_count[0]
        chaos(n, len(deliveries))

t0 = time.time()
ts = [threading.Thread(target=worker) for _ in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
el = time.time() - t0
with open(d + "/acked.txt", "w") as f:
    for k in sorted(acked):
        f.write(k + "\n")
print("sender: %d deliveries (%d events, %d sent to both) in %.1f s; answers: %s" %
      (len(deliveries), sum(len(x[2]) for x in deliveries), stats["both"], el, json.dumps(stats)), flush=True)
sys.exit(1 if stats["gave_up"] else 0)
EOF
src=$?
sed 's/^/    /' "$T_DIR/sender.out"
check_eq "every delivery was eventually answered 200" "$src" 0
check "the kill happened" grep -q "SIGKILL instance A" "$T_DIR/sender.out"
check "the PostgreSQL restart happened" grep -q "PostgreSQL restarted" "$T_DIR/sender.out"
check "instance A is gone" eval '! kill -0 $PID_A 2>/dev/null'
check "instance B survived the restart and is ready again" eventually \
	'[ "$(tls_curl -o /dev/null -w "%{http_code}" "$URL_B/readyz")" = 200 ]' 20

# The journal: every acknowledged event exactly once (the unique key makes "more than once" impossible
# to store; this checks that nothing answered 200 is missing).
check_eq "$N events acknowledged" "$(wc -l <"$T_DIR/acked.txt")" "$N"
q "SELECT dedupe_key FROM events WHERE source = 'okta' ORDER BY 1" >"$T_DIR/journal.txt"
check_eq "the journal holds $N events" "$(wc -l <"$T_DIR/journal.txt")" "$N"
check "every acknowledged event is journaled" cmp -s "$T_DIR/acked.txt" "$T_DIR/journal.txt"
check_eq "no event is journaled twice" "$(q "SELECT count(*) - count(DISTINCT (source, dedupe_key)) FROM events")" 0
dups=$(q "SELECT sum(duplicates) FROM events")
# Redeliveries of an event already durable are answered from memory and their count reaches the row
# up to 20 ms later ([store] dedupe_cache): the SIGKILLed instance loses what it had not yet written.
check "deliveries to both instances were counted as duplicates, but for the killed instance's last moment ($dups)" \
	test "$dups" -ge $((N / 10 * 3 / 4))

# The jobs: one per user, all done (A's leased jobs were taken over by B after the lease).
check "every job is done within 120 s" eventually \
	'[ "$(q "SELECT count(*) FROM jobs WHERE state <> \$\$done\$\$")" = 0 ]' 120
check_eq "one send_activation job per user" "$(q "SELECT count(DISTINCT subject) || '/' || count(*) FROM jobs WHERE action = 'send_activation'")" "$N/$N"
echo "    jobs claimed more than once (taken over after the kill or retried): $(q 'SELECT count(*) FROM jobs WHERE attempts > 1')"

# okta-sim: every user once, PROVISIONED, with exactly one activation email.
tls_curl "$SIM_URL/sim/users" >"$T_DIR/sim-users.json"
tls_curl "$SIM_URL/sim/outbox" >"$T_DIR/outbox.json"
verdict=$(python3 - "$T_DIR/sim-users.json" "$T_DIR/outbox.json" "$T_DIR/users.json" <<'EOF'
import collections, json, sys
users = [u for u in json.load(open(sys.argv[1])) if u.get("profile", {}).get("login", u.get("login", "")).startswith("scale.")]
mails = json.load(open(sys.argv[2]))
want = {u["id"] for u in json.load(open(sys.argv[3]))}
ids = collections.Counter(u["id"] for u in users)
act = collections.Counter(m["user_id"] for m in mails if m["kind"] == "activation")
print("users=%d distinct=%d provisioned=%d one_email=%d more=%d none=%d" % (
    len(users), len(ids), sum(1 for u in users if u["status"] == "PROVISIONED"),
    sum(1 for i in want if act[i] == 1), sum(1 for i in want if act[i] > 1), sum(1 for i in want if act[i] == 0)))
EOF
)
echo "    okta-sim: $verdict"
check_eq "okta-sim: every user once, all PROVISIONED, exactly one activation email each" "$verdict" \
	"users=$N distinct=$N provisioned=$N one_email=$N more=0 none=0"
check "instance B logged the PostgreSQL outage and its recovery" grep -q "postgres reachable again" "$T_DIR/hookd-b.log"
t_done
