#!/usr/bin/env bash
# t_drill_hostile.sh: CI size of the hostile-clients drill: hookd on 64 request threads against 300
# hostile connections in every attack (far more than its threads: the connection guard must shed
# them), 8 s per attack; honest deliveries must be answered within Okta's 3 s at p99, at most one lost
# per client (release builds); the 1 s, none-lost target prints KNOWN when missed.
# Known weaknesses print KNOWN and do not fail; HOOKD_DRILL_STRICT=1 makes them fail.
# Larger: tests/drills/hostile.sh --threads 64 --conns 1000 --idle-conns 1000 (bench/HOSTILE.md), or --large
set -uo pipefail
here=$(cd "$(dirname "$0")/../drills" && pwd)
exec bash "$here/hostile.sh" --threads 64 --idle-conns 300 --conns 300 --seconds 8 ${HOOKD_DRILL_STRICT:+--strict}
