#!/usr/bin/env bash
# t_run_twice.sh: scripts/run.sh with its ports taken fails at once with the reason and touches
# nothing (data/ files of a running instance stay as they were; nothing is built or written).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
P=$(free_port) Q=$(free_port)
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(60)' "$P" &
T_PIDS+=($!)
eventually "(exec 3<>/dev/tcp/127.0.0.1/$P) 2>/dev/null" 5
snap() { find "$T_SRC/data" -maxdepth 1 -type f -printf '%p %s %T@\n' 2>/dev/null | sort | md5sum; }
before=$(snap)
RUN_PORT=$P RUN_SIM_PORT=$Q timeout 20 bash "$T_SRC/scripts/run.sh" >"$T_DIR/out" 2>&1
check_eq "exits 1" "$?" 1
check "says which port is taken" grep -q "127.0.0.1:$P is already in use" "$T_DIR/out"
check_eq "prints nothing else" "$(wc -l <"$T_DIR/out")" 1
check_eq "data/ untouched" "$(snap)" "$before"
t_done
