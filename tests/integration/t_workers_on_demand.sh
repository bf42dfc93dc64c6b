#!/usr/bin/env bash
# civetweb's worker threads start as connections need them (hooks/civetweb/on-demand-workers.patch):
# at the default 4096 threads an idle hookd has 16 request threads, not 4096; 60 connections held
# open at once are each served (a connection whose worker was never started would wait forever);
# when the kernel refuses new threads (a pids cgroup), the failure is logged at most once a second
# and every connection is still answered once running workers free up;
# with thread_idle_timeout, the workers past 16 end once idle and their slots serve again;
# with threads = 20, 30 connections asked one after another start more workers than 16, never more
# than 20, and all 30 are answered (the guard closes idle keep-alive connections while threads run
# short, so the last worker may not be needed). hookd's own threads are named (hookd-commit, ...).
. "$(dirname "$0")/../lib.sh"

workers() { grep -lx 'civetweb-worker' /proc/"$1"/task/*/comm 2>/dev/null | wc -l; }

# hold N ORDER: N TLS connections to hookd and GET /healthz on each, each answer awaited up to 10 s.
# ORDER "reverse": all handshaken and open before the first request, the newest asked first;
# "serial": each asked right after its handshake. Prints "answered K", keeps them open until stdin closes.
hold() {
	python3 - "$HOOKD_PORT" "$T_DIR/certs/ca.crt" "$1" "$2" <<'EOF'
import socket, ssl, sys, time
port, ca, n, order = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
deadline = time.monotonic() + 30  # a worker never started would make each ask wait its 10 s
def ask(c):
    if time.monotonic() > deadline:
        return False
    try:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        return c.recv(4096).startswith(b"HTTP/1.1 200")
    except OSError:
        return False
conns, answered = [], 0
for _ in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        conns.append(ctx.wrap_socket(s, server_hostname="localhost"))
    except OSError:
        continue
    if order == "serial":
        answered += ask(conns[-1])
if order == "reverse":
    answered = sum(ask(c) for c in reversed(conns))
print("answered", answered, flush=True)
sys.stdin.read()
EOF
}

# hold_bg N ORDER: hold in the background on fd 3 (closing fd 3 ends it); waits up to 30 s for its line.
hold_bg() {
	exec 3> >(hold "$1" "$2" >"$T_DIR/hold$1.out")
	for _ in $(seq 300); do [ -s "$T_DIR/hold$1.out" ] && break; sleep 0.1; done
}

port=$(free_port)
T_THREADS= write_hookd_config "$port" </dev/null
start_hookd || { fail "hookd starts with the default threads"; t_done; exit 1; }
check_eq "idle at the default 4096 threads: 16 request threads started" "$(workers "$HOOKD_PID")" 16
# hookd names its own threads (top -H, ps -L, perf --sort comm, gdb): one each, beside civetweb's
check_eq "hookd's own threads carry their names" \
	"$(grep -h '^hookd-' /proc/"$HOOKD_PID"/task/*/comm | sort | uniq -c | awk '{printf "%s%s=%s", (NR > 1 ? " " : ""), $2, $1}')" \
	"hookd-ckpt=1 hookd-commit=1 hookd-dups=1 hookd-guard=1 hookd-watchdog=1"

hold_bg 60 reverse
check_eq "60 connections open at once, the newest asked first: all answered" "$(cat "$T_DIR/hold60.out")" "answered 60"
n=$(workers "$HOOKD_PID")
check "...by a worker each: at least 60 started (got $n), far fewer than 4096" test "$n" -ge 60 -a "$n" -lt 200
exec 3>&-
check_eq "...and /healthz still answers after they close" \
	"$(tls_curl "$HOOKD_URL/healthz" -o /dev/null -w '%{http_code}')" 200
stop_hookd

# Threads run out (a pids cgroup caps hookd at 8 more tasks): 30 connections at once, each asking as
# soon as its handshake is done. Workers that cannot start are logged (at most once a second), the
# sockets wait for running workers, and when the first connections close every one is answered.
pids_root=/sys/fs/cgroup/pids
if [ -w "$pids_root" ] && mkdir "$pids_root/hookd-t-$$" 2>/dev/null; then
	cg=$pids_root/hookd-t-$$
	T_THREADS= write_hookd_config "$port" </dev/null
	start_hookd || { fail "hookd starts for the thread limit"; t_done; exit 1; }
	base=$(awk '/^Threads/ {print $2}' /proc/"$HOOKD_PID"/status)
	echo $((base + 8)) >"$cg/pids.max"
	echo "$HOOKD_PID" >"$cg/cgroup.procs"
	python3 - "$HOOKD_PORT" "$T_DIR/certs/ca.crt" >"$T_DIR/limit.out" <<'EOF2'
import socket, ssl, sys, threading, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
held, lock, answered = [], threading.Lock(), [0]
def one():
    try:
        c = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20), server_hostname="localhost")
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        ok = c.recv(4096).startswith(b"HTTP/1.1 200")
        with lock:
            answered[0] += ok
            held.append(c)
    except OSError:
        pass
ts = [threading.Thread(target=one) for _ in range(30)]
for t in ts:
    t.start()
time.sleep(3)
with lock:
    print("answered while held", answered[0])
    for c in held:  # frees their workers for the sockets still queued
        c.close()
    held.clear()
for t in ts:
    t.join()
print("answered", answered[0])
EOF2
	n=$(workers "$HOOKD_PID")
	echo "  (workers $n, thread limit $((base + 8)); $(grep -c 'Cannot start worker thread' "$T_DIR/hookd.log") start failures logged)"
	check "with 8 more threads allowed, fewer than 30 connections were answered while all were held" \
		grep -q 'answered while held \([0-9]\|1[0-9]\|2[0-9]\)$' "$T_DIR/limit.out"
	check "...the workers that could not start were logged" grep -q 'Cannot start worker thread' "$T_DIR/hookd.log"
	check "...at most once a second, not once a connection" \
		test "$(grep -c 'Cannot start worker thread' "$T_DIR/hookd.log")" -le 6
	check_eq "...and once the first ones closed, all 30 were answered" "$(tail -1 "$T_DIR/limit.out")" "answered 30"
	check_eq "...by a hookd still serving" "$(tls_curl "$HOOKD_URL/healthz" -o /dev/null -w '%{http_code}')" 200
	stop_hookd
	rmdir "$cg" 2>/dev/null || true
else
	echo "  SKIP: the thread-limit part needs a writable cgroup v1 pids hierarchy at $pids_root (root, not in a restricted container)"
fi

# Idle workers end ([server] thread_idle_timeout): after 60 connections close, the workers past the
# 16 started first end within the timeout (the master thread joins them within its 2 s poll), the
# metrics count them, and 60 connections held again are all answered in the slots they left.
T_THREADS= T_SERVER_EXTRA="thread_idle_timeout = 500ms" write_hookd_config "$port" </dev/null
start_hookd || { fail "hookd starts with thread_idle_timeout = 500ms"; t_done; exit 1; }
rm -f "$T_DIR/hold60.out"
hold_bg 60 reverse
check_eq "thread_idle_timeout = 500ms: 60 connections open at once, all answered" "$(cat "$T_DIR/hold60.out")" "answered 60"
n=$(workers "$HOOKD_PID")
check "...by at least 60 workers (got $n)" test "$n" -ge 60
exec 3>&-
for _ in $(seq 100); do [ "$(workers "$HOOKD_PID")" -le 16 ] && break; sleep 0.1; done
check_eq "...and once they closed, the idle workers ended: 16 run again" "$(workers "$HOOKD_PID")" 16
# the 16 left wait period after period; none spins on a deadline already past (a spin of 16 threads
# takes both cores: ~400 ticks in 2 s; idle hookd takes a few)
t0=$(awk '{print $14 + $15}' /proc/"$HOOKD_PID"/stat)
sleep 2
t1=$(awk '{print $14 + $15}' /proc/"$HOOKD_PID"/stat)
check "...and they wait without spinning: $((t1 - t0)) ticks of CPU in 2 s idle (at most 50)" test $((t1 - t0)) -le 50
metrics=$(tls_curl "$HOOKD_URL/metrics")
check "...hookd_http_threads says 16" grep -qx 'hookd_http_threads 16' <<<"$metrics"
retired=$(sed -n 's/^hookd_http_threads_retired_total //p' <<<"$metrics")
check "...hookd_http_threads_retired_total counts the rest (got ${retired:-none}, want >= 44)" test "${retired:-0}" -ge 44
rm -f "$T_DIR/hold60.out"
hold_bg 60 reverse
check_eq "...60 connections held again: all answered, by workers in the slots the others left" \
	"$(cat "$T_DIR/hold60.out")" "answered 60"
exec 3>&-
check_eq "...and hookd still serves" "$(tls_curl "$HOOKD_URL/healthz" -o /dev/null -w '%{http_code}')" 200
stop_hookd

T_THREADS=20 write_hookd_config "$port" </dev/null
start_hookd || { fail "hookd starts with threads = 20"; t_done; exit 1; }
hold_bg 30 serial
check_eq "threads = 20 and 30 connections, one after another: all answered" "$(cat "$T_DIR/hold30.out")" "answered 30"
n=$(workers "$HOOKD_PID")
check "...by more workers than the 16 started at first, never more than 20 (got $n)" test "$n" -gt 16 -a "$n" -le 20
exec 3>&-
stop_hookd
t_done
