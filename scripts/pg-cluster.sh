#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL cluster for the tests (PostgreSQL refuses root: runs as postgres).
# Usage: scripts/pg-cluster.sh start DIR PORT   -> prints the connection URL
#        scripts/pg-cluster.sh stop DIR
#        scripts/pg-cluster.sh restart DIR
set -euo pipefail
cmd=${1:?start|stop|restart}
dir=${2:?DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/pg_ctl" ] || { echo "pg-cluster: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_pg() { runuser -u postgres -- "$@"; }
case "$cmd" in
start)
  port=${3:?PORT}
  if [ ! -s "$dir/PG_VERSION" ]; then
    mkdir -p "$dir" && chown postgres:postgres "$dir" && chmod 700 "$dir"
    as_pg "$bin/initdb" -D "$dir" -A trust -U postgres --no-sync >/dev/null
    cat >> "$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = on
synchronous_commit = on
CONF
  fi
  as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null
  echo "postgresql://postgres@127.0.0.1:$port/postgres"
  ;;
stop)
  [ -s "$dir/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
  ;;
restart)
  as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null
  ;;
*) echo "usage: pg-cluster.sh start DIR PORT | stop DIR | restart DIR" >&2; exit 2;;
esac
