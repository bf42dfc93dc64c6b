#!/usr/bin/env bash
# run.sh: side-by-side benchmarks of hookd against nginx (`return 204`, the TLS+HTTP ceiling) and an
# Express receiver like Okta's samples, all with the same certificate, on this machine.
# Usage: bench/run.sh [--quick] [--no-pg] [--no-express]
#   ingest: HTTPS keep-alive POSTs of Okta deliveries (wrk + bench/wrk-delivery.lua), 16 and 64
#           connections, unique events and re-sent duplicates; req/s, p50/p99/p99.9, CPU s per 1,000
#           deliveries, peak RSS; then an open-loop pass at half of hookd's best rate (PostgreSQL: of its own) (tests/drills/
#           loadgen.c, latency from each request's due time) with the journal count checked against
#           the 200s.
#   handshakes: new TLS connections per second (ECDSA P-256 and RSA-2048), hookd vs nginx.
#   backlog: bench/backlog.sh (needs okta-sim and the workers; run separately).
# Writes bench/RESULTS.md. Not run in CI. Environment: BUILD (build dir, default build-bench),
# HOOKD_TEST_PG_URL (else a throwaway cluster is started when PostgreSQL is installed), DUR (seconds
# per wrk run), REPEAT (wrk runs per ingest row, median kept; default 3, --quick 1), WAIT_FOR_IDLE=0 to
# skip waiting for compilers to finish. --quick also measures handshakes at 16 connections only.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
QUICK=0 PG=1 EXPRESS=1
for a in "$@"; do
	case $a in
	--quick) QUICK=1 ;;
	--no-pg) PG=0 ;;
	--no-express) EXPRESS=0 ;;
	*) echo "usage: bench/run.sh [--quick] [--no-pg] [--no-express]"; exit 2 ;;
	esac
done
DUR=${DUR:-$([ $QUICK = 1 ] && echo 6 || echo 20)}
REPEAT=${REPEAT:-$([ $QUICK = 1 ] && echo 1 || echo 3)} # wrk runs per row; the median is reported
HS_DUR=$([ $QUICK = 1 ] && echo 4 || echo 10)
RATE_DUR=$([ $QUICK = 1 ] && echo 10 || echo 30)
BUILD=${BUILD:-build-bench}
for t in wrk nginx openssl curl python3 cc; do
	command -v $t >/dev/null || { echo "bench: $t is missing (scripts/setup.sh --test)"; exit 1; }
done
if [ ! -x "$BUILD/hookd" ]; then
	echo "bench: building hookd in $BUILD"
	scripts/build.sh "$BUILD" >/dev/null || exit 1
fi
export HOOKD_BIN=$ROOT/$BUILD/hookd
DRILL_LOADGEN_DIR=$ROOT/$BUILD
. tests/drills/lib.sh
LG=$(drill_loadgen) || exit 1
OUT=$T_DIR
# Okta's documented sample delivery: the copy in the fuzz corpus (the same bytes as ../shared's).
DELIVERY=$ROOT/tests/fuzz/corpus/okta_delivery/docs-sample.json
[ -s "$DELIVERY" ] || DELIVERY=$ROOT/../shared/okta/examples/delivery-docs-sample.json
new_run_id() { od -An -N4 -tx1 /dev/urandom | tr -d ' \n'; }
RUN_ID=$(new_run_id)
TCK=$(getconf CLK_TCK)
ROWS=$OUT/rows.tsv
: >"$ROWS"
NOISE=$OUT/noise.txt
: >"$NOISE"
: >"$OUT/repeats.txt"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

wait_idle() {
	[ "${WAIT_FOR_IDLE:-1}" = 0 ] && return
	local i
	for i in $(seq 120); do
		pgrep -x cc1 >/dev/null || return 0
		[ "$i" = 1 ] && echo "bench: a compiler is running; waiting up to 4 min for it to finish"
		sleep 2
	done
	echo "bench: compilers still running; results will be noisy" | tee -a "$NOISE"
}
NOISE_PID=
noise_start() { # counts the seconds during a run in which a compiler (cc1) was running
	(while :; do pgrep -x cc1 >/dev/null && echo x; sleep 1; done) >"$OUT/cc.txt" &
	NOISE_PID=$!
}
note_noise() { # records compilers seen during a run
	[ -n "$NOISE_PID" ] && kill "$NOISE_PID" 2>/dev/null && wait "$NOISE_PID" 2>/dev/null
	NOISE_PID=
	local n
	n=$(wc -l <"$OUT/cc.txt" 2>/dev/null || echo 0)
	[ "${n:-0}" -gt 0 ] && echo "$1: a compiler ran during ${n} s of the run (load $(cut -d' ' -f1-3 /proc/loadavg))" >>"$NOISE"
	return 0
}

# ---------- servers ----------
make_certs "$OUT/ec" ec
make_certs "$OUT/rsa" rsa
printf '%s' "$HOOK_SECRET" >"$OUT/secret"
SRV_PIDS=() # processes whose CPU and peak RSS are the server's
SRV_PORT=

nginx_start() { # nginx_start CERTDIR
	local d=$OUT/nginx port
	port=$(free_port)
	mkdir -p "$d"
	cat >"$d/nginx.conf" <<EOF
worker_processes 2;
pid $d/nginx.pid;
error_log $d/error.log warn;
daemon off;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  keepalive_timeout 65s;
  keepalive_requests 100000000;
  client_max_body_size 1m;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $1/server.crt;
    ssl_certificate_key $1/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
    ssl_prefer_server_ciphers on;
    ssl_ecdh_curve X25519:prime256v1:secp384r1;
    location / { return 204; }
  }
}
EOF
	nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" &
	local master=$!
	T_PIDS+=("$master")
	SRV_PORT=$port
	wait_up "$port" || { cat "$d/error.log"; return 1; }
	SRV_PIDS=("$master" $(pgrep -P "$master"))
}
express_start() {
	local port
	port=$(free_port)
	node "$ROOT/bench/express-receiver.js" "$port" "$OUT/ec/server.crt" "$OUT/ec/server.key" "$OUT/secret" \
		>"$OUT/express.out" 2>"$OUT/express.err" &
	SRV_PIDS=($!)
	T_PIDS+=("$!")
	SRV_PORT=$port
	wait_up "$port" /healthz
}
hookd_start() { # hookd_start NAME CERTDIR [pg]
	local d=$OUT/$1
	mkdir -p "$d/certs"
	cp "$2"/server.crt "$2"/server.key "$2"/ca.crt "$d/certs/"
	if [ "${3:-}" = pg ]; then
		T_STORE=$(printf 'backend = postgres\nurl = %s' "$PGURL") write_hookd_config "$(free_port)" "$d" </dev/null
	else
		write_hookd_config "$(free_port)" "$d" </dev/null
	fi
	T_LOG_LEVEL=warn start_hookd "$d/hookd.ini" "$d/hookd.log" || return 1
	SRV_PIDS=("$HOOKD_PID")
	SRV_PORT=$HOOKD_PORT
}
srv_stop() {
	local p
	for p in "${SRV_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${SRV_PIDS[@]}"; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
	HOOKD_PID=
	SRV_PIDS=()
}
wait_up() {
	for _ in $(seq 100); do
		curl -sk -o /dev/null --max-time 1 "https://127.0.0.1:$1${2:-/}" && return 0
		sleep 0.1
	done
	echo "bench: server on port $1 did not come up"
	return 1
}
cpu_ticks() { local t=0 p; for p in "${SRV_PIDS[@]}" "$@"; do t=$((t + $(proc_cpu_ticks "$p"))); done; echo $t; }
peak_rss_mb() { local t=0 p; for p in "${SRV_PIDS[@]}"; do t=$((t + $(proc_hwm_kb "$p"))); done; echo $((t / 1024)); }
pg_pids() { # our throwaway cluster's postmaster and its children (backends, WAL writer, checkpointer)
	[ -n "${PGDIR:-}" ] && [ -s "$PGDIR/postmaster.pid" ] || return 0
	local pm
	pm=$(head -1 "$PGDIR/postmaster.pid")
	echo "$pm $(pgrep -P "$pm" | tr '\n' ' ')"
}
journal_count() { # journal_count NAME
	local d=$OUT/$1
	if grep -q '^backend = postgres' "$d/hookd.ini" 2>/dev/null; then
		psql -qtA "$PGURL" -c "select count(*) from events" 2>/dev/null
	else
		sqlite3 "$d/hookd.db" "select count(*) from events" 2>/dev/null
	fi
}

# ---------- one wrk run ----------
# wrk_run SERVER MODE CONNS [EXTRA_PIDS...]: REPEAT runs; appends the median one (by req/s) to rows.tsv
wrk_run() {
	local k rep=$OUT/rep.tsv
	: >"$rep"
	for k in $(seq "$REPEAT"); do ROWS=$rep wrk_once "$@" || return 1; done
	sort -t$'\t' -k4,4n "$rep" | sed -n "$(((REPEAT + 1) / 2))p" >>"$ROWS"
	if [ "$REPEAT" -gt 1 ]; then
		echo "    (req/s of the $REPEAT runs: $(cut -f4 "$rep" | tr '\n' ' ')- the median row is kept)"
		printf '%s %s c=%s: req/s of %s runs: %s (median kept)\n' "$1" "$2" "$3" "$REPEAT" "$(cut -f4 "$rep" | tr '\n' ' ')" >>"$OUT/repeats.txt"
	fi
}
wrk_once() {
	local srv=$1 mode=$2 conns=$3
	shift 3
	local extra=("$@")
	wait_idle
	DELIVERY=$DELIVERY SECRET=$HOOK_SECRET MODE=$mode RUN_ID=$(new_run_id) wrk -t2 -c"$conns" -d2s \
		-s bench/wrk-delivery.lua "https://127.0.0.1:$SRV_PORT/hooks/okta" >/dev/null 2>&1 # warm-up
	local c0 t0 j0 j1
	j0=$(journal_count "$srv")
	noise_start
	c0=$(cpu_ticks "${extra[@]}")
	# a fresh run id per wrk process: its uuids must not repeat the warm-up's or an earlier run's
	DELIVERY=$DELIVERY SECRET=$HOOK_SECRET MODE=$mode RUN_ID=$(new_run_id) wrk -t2 -c"$conns" -d"${DUR}s" --latency \
		-s bench/wrk-delivery.lua "https://127.0.0.1:$SRV_PORT/hooks/okta" >"$OUT/wrk.txt" 2>&1
	local c1
	c1=$(cpu_ticks "${extra[@]}")
	note_noise "$srv $mode c$conns"
	sleep 0.3
	j1=$(journal_count "$srv")
	local js
	js=$(sed -n 's/^WRKJSON //p' "$OUT/wrk.txt")
	if [ -z "$js" ]; then
		echo "bench: wrk failed for $srv $mode c$conns:"
		cat "$OUT/wrk.txt"
		return 1
	fi
	python3 - "$js" "$srv" "$mode" "$conns" "$((c1 - c0))" "$TCK" "$(peak_rss_mb)" "${j0:-}" "${j1:-}" >>"$ROWS" <<'EOF'
import json, sys
w = json.loads(sys.argv[1])
srv, mode, conns, ticks, tck, rss, j0, j1 = sys.argv[2:10]
secs = w["duration_us"] / 1e6
ok = w["requests"] - w["non2xx3xx"]
rate = w["requests"] / secs
cpu_per_k = (int(ticks) / int(tck)) / (w["requests"] / 1000) if w["requests"] else 0
journaled = (int(j1) - int(j0)) if j0 and j1 else ""
errs = w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"]
print("\t".join(str(x) for x in [srv, mode, conns, "%.0f" % rate, "%.2f" % (w["p50_us"] / 1000),
      "%.2f" % (w["p99_us"] / 1000), "%.2f" % (w["p999_us"] / 1000), "%.3f" % cpu_per_k, rss, w["requests"], ok,
      w["non2xx3xx"], errs, journaled]))
EOF
	tail -1 "$ROWS" | awk -F'\t' '{printf "  %-14s %-6s c=%-3s %8s req/s  p50 %6s ms  p99 %6s ms  p99.9 %6s ms  %6s CPU-s/1k  %4s MB  2xx %s  non-2xx %s  sock-err %s  journaled %s\n", $1,$2,$3,$4,$5,$6,$7,$8,$9,$11,$12,$13,$14}'
}

echo "bench: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), kernel $(uname -r); $DUR s per run"
echo "bench: delivery $(basename "$DELIVERY") ($(wc -c <"$DELIVERY") bytes), run id $RUN_ID"

# ---------- PostgreSQL ----------
PGURL=${HOOKD_TEST_PG_URL:-}
PGDIR=
if [ $PG = 1 ] && [ -z "$PGURL" ] && ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
	PGDIR=$(mktemp -d /tmp/hookd-bench-pg.XXXXXX)
	PGURL=$(scripts/pg-cluster.sh start "$PGDIR" "$(free_port)") || PGURL=
	trap 'scripts/pg-cluster.sh stop "$PGDIR" >/dev/null 2>&1; rm -rf "$PGDIR"; t_cleanup' EXIT
	# A new cluster has no WAL segments to recycle: it creates (and zero-fills) a 16 MB one every
	# second or two under this load, and each creation held a commit 50-100 ms here. A cluster in
	# service recycles the segments its checkpoints free (deploy/SCALE-OUT.md): keep them, as it does.
	[ -n "$PGURL" ] && psql -q "$PGURL" -c "alter system set min_wal_size = '1GB'" -c "select pg_reload_conf()" >/dev/null
fi
[ $PG = 0 ] && PGURL=
if [ -n "$PGURL" ]; then # a database of our own in whatever cluster, dropped at the end
	PGDB=hookd_bench_$RUN_ID
	psql -q "$PGURL" -c "create database $PGDB" >/dev/null || PGURL=
	PGADMIN=$PGURL
	PGURL=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$PGURL" "$PGDB")
	trap 'psql -q "$PGADMIN" -c "drop database if exists $PGDB" >/dev/null 2>&1; [ -n "$PGDIR" ] && { scripts/pg-cluster.sh stop "$PGDIR" >/dev/null 2>&1; rm -rf "$PGDIR"; }; t_cleanup' EXIT
fi

# ---------- ingest ----------
CONNS="16 64"
echo "== ingest (keep-alive POSTs of Okta deliveries)"
nginx_start "$OUT/ec" || exit 1
for c in $CONNS; do wrk_run nginx unique "$c"; done
srv_stop
if [ $EXPRESS = 1 ] && command -v node >/dev/null && command -v npm >/dev/null; then
	if [ ! -d bench/node/node_modules/express ]; then
		echo "bench: npm install express into bench/node"
		mkdir -p bench/node && (cd bench/node && npm init -y >/dev/null && npm install --no-audit --no-fund express@4 >/dev/null) ||
			echo "bench: npm install failed; Express skipped"
	fi
	if [ -d bench/node/node_modules/express ]; then
		express_start && for c in $CONNS; do wrk_run express unique "$c"; done
		srv_stop
	fi
else
	echo "bench: node/npm missing or --no-express: Express receiver skipped"
fi
hookd_start hookd-sqlite "$OUT/ec" || exit 1
for c in $CONNS; do wrk_run hookd-sqlite unique "$c"; done
for c in $CONNS; do wrk_run hookd-sqlite dup "$c"; done
srv_stop
if [ -n "$PGURL" ]; then
	hookd_start hookd-pg "$OUT/ec" pg || exit 1
	for c in $CONNS; do wrk_run hookd-pg unique "$c" $(pg_pids); done
	for c in $CONNS; do wrk_run hookd-pg dup "$c" $(pg_pids); done
	srv_stop
else
	echo "bench: no PostgreSQL (set HOOKD_TEST_PG_URL or install postgresql): hookd-pg skipped"
fi

# ---------- half load, open loop ----------
best=$(awk -F'\t' '$1 == "hookd-sqlite" && $2 == "unique" && $3 == 16 {print $4}' "$ROWS")
HALF=$(( ${best:-1000} / 2 ))
echo "== open-loop pass at half of hookd's best rate: $HALF req/s, 16 connections, ${RATE_DUR}s (latency from due time)"
RATEROWS=$OUT/rate.tsv
: >"$RATEROWS"
rate_run() { # rate_run NAME [EXTRA_PIDS...]
	local name=$1
	shift
	wait_idle
	local j0 j1 res c0 c1 m0=$OUT/$name.metrics0 m1=$OUT/$name.metrics1
	j0=$(journal_count "$name")
	: >"$m0"
	: >"$m1"
	# hookd's own view, to tell its stalls from the machine's: its request and commit histograms
	case $name in hookd*) curl -sk "https://127.0.0.1:$SRV_PORT/metrics" >"$m0" ;; esac
	noise_start
	c0=$(cpu_ticks "$@")
	local rate=${RATE_NOW:-$HALF}
	res=$("$LG" --port "$SRV_PORT" --auth "$HOOK_SECRET" --body "$DELIVERY" --connections 16 --rate "$rate" \
		--duration "$RATE_DUR")
	c1=$(cpu_ticks "$@")
	note_noise "$name rate $rate"
	case $name in hookd*) curl -sk "https://127.0.0.1:$SRV_PORT/metrics" >"$m1" ;; esac
	sleep 0.3
	j1=$(journal_count "$name")
	python3 - "$res" "$name" "${j0:-}" "${j1:-}" "$((c1 - c0))" "$TCK" "$m0" "$m1" >>"$RATEROWS" <<'EOF'
import json, re, sys
r = json.loads(sys.argv[1])
name, j0, j1, ticks, tck, m0, m1 = sys.argv[2:9]
journaled = int(j1) - int(j0) if j0 and j1 else ""
cpu = (int(ticks) / int(tck)) / (r["answered"] / 1000) if r["answered"] else 0

def buckets(path, metric):
    out = {}
    for line in open(path):
        m = re.match(r'%s_bucket\{(?:[^}]*,)?le="([^"]+)"\} (\S+)' % metric, line)
        if m:
            out[float(m.group(1))] = float(m.group(2))
    return out

def delta(metric):
    a, b = buckets(m0, metric), buckets(m1, metric)
    return sorted((le, b[le] - a.get(le, 0)) for le in b)

def ms(le):
    return "inf" if le == float("inf") else "%g" % (le * 1000)

def p99_bound(d):  # the histogram's bucket that holds the 99th percentile, as "<= X"
    total = d[-1][1] if d else 0
    for le, n in d:
        if total and n >= 0.99 * total:
            return "<= " + ms(le)
    return ""

def slowest(d):  # the bucket of the slowest one, as "A-B"; "" when there was none
    prev = 0.0
    for le, n in d:
        if d[-1][1] > 0 and n >= d[-1][1]:
            return "%s-%s" % (ms(prev), ms(le))
        prev = le
    return ""

req, com = delta("hookd_http_request_seconds"), delta("hookd_journal_commit_seconds")
print("\t".join(str(x) for x in [name, "%.0f" % r["target_rate"], "%.0f" % r["rate"], "%.2f" % r["p50_ms"],
      "%.2f" % r["p99_ms"], "%.2f" % r["p999_ms"], "%.2f" % r["max_ms"], r["ok_2xx"], r["requests"] - r["ok_2xx"],
      r["unsent"], journaled, "%.3f" % cpu, p99_bound(req), slowest(com)]))
EOF
	tail -1 "$RATEROWS" | awk -F'\t' '{printf "  %-14s target %s/s achieved %s/s  p50 %s ms  p99 %s ms  p99.9 %s ms  max %s ms  200s %s  other %s  unsent %s  journaled %s", $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11; if ($13 != "") printf "  in hookd: p99 %s ms, slowest commit %s ms", $13, $14; printf "\n"}'
}
nginx_start "$OUT/ec" && rate_run nginx
srv_stop
if [ -d bench/node/node_modules/express ] && [ $EXPRESS = 1 ]; then
	express_start && rate_run express
	srv_stop
fi
hookd_start hookd-sqlite2 "$OUT/ec" && rate_run hookd-sqlite2
srv_stop
if [ -n "$PGURL" ]; then
	# PostgreSQL at half of its own best rate (half of SQLite's may be more than it can take at all)
	pgbest=$(awk -F'\t' '$1 == "hookd-pg" && $2 == "unique" && $3 == 16 {print $4}' "$ROWS")
	PGHALF=$(( ${pgbest:-1000} / 2 ))
	echo "   (hookd-pg: half of its own best rate, $PGHALF req/s)"
	# our own cluster: a checkpoint now frees the closed-loop passes' segments for recycling
	[ -n "$PGDIR" ] && psql -q "$PGADMIN" -c checkpoint
	hookd_start hookd-pg2 "$OUT/ec" pg && RATE_NOW=$PGHALF rate_run hookd-pg2 $(pg_pids)
	srv_stop
fi

# ---------- handshakes ----------
echo "== new TLS connections per second (client closes after each answer; no resumption; TLS 1.3, X25519)"
HSROWS=$OUT/hs.tsv
: >"$HSROWS"
hs_run() { # hs_run NAME KIND CONNS
	wait_idle
	local res c0 c1
	noise_start
	c0=$(cpu_ticks)
	res=$("$LG" --port "$SRV_PORT" --method GET --path /healthz --new-conn --reconnect --connections "$3" --duration "$HS_DUR")
	c1=$(cpu_ticks)
	note_noise "$1 handshakes $2 c$3"
	python3 - "$res" "$1" "$2" "$3" "$((c1 - c0))" "$TCK" >>"$HSROWS" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
name, kind, conns, ticks, tck = sys.argv[2:7]
cpu = (int(ticks) / int(tck)) / (r["answered"] / 1000) if r["answered"] else 0
print("\t".join(str(x) for x in [name, kind, conns, "%.0f" % r["rate"], "%.2f" % r["p50_ms"], "%.2f" % r["p99_ms"],
      r["conn_errors"], "%.3f" % cpu]))
EOF
	tail -1 "$HSROWS" | awk -F'\t' '{printf "  %-8s %-4s c=%-3s %7s handshakes/s  p50 %s ms  p99 %s ms  errors %s  %s CPU-s/1k\n", $1,$2,$3,$4,$5,$6,$7,$8}'
}
HS_CONNS=$([ $QUICK = 1 ] && echo 16 || echo "16 64")
for kind in ec rsa; do
	for c in $HS_CONNS; do
		nginx_start "$OUT/$kind" && hs_run nginx "$kind" "$c"
		srv_stop
		hookd_start "hs-$kind-$c" "$OUT/$kind" && hs_run hookd "$kind" "$c"
		srv_stop
	done
done

# ---------- report ----------
python3 bench/report.py "$ROWS" "$RATEROWS" "$HSROWS" "$NOISE" "$QUICK" "$DUR" "$RATE_DUR" "$HS_DUR" \
	"$(basename "$DELIVERY") ($(wc -c <"$DELIVERY") bytes)" "$(git rev-parse --short HEAD 2>/dev/null)" \
	"$(nginx -v 2>&1 | sed 's/.*: //')" "$(node -v 2>/dev/null || echo -)" "$(wrk -v 2>&1 | head -1 | cut -d' ' -f2)" \
	"$OUT/repeats.txt" "$LOAD0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end" >bench/RESULTS.md.new && mv bench/RESULTS.md.new bench/RESULTS.md
echo
sed -n '/^## Summary/,/^## Ingest/p' bench/RESULTS.md | head -n -1
echo "bench: results in bench/RESULTS.md"
