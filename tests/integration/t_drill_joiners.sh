#!/usr/bin/env bash
# t_drill_joiners.sh: CI size of the joiners-under-attack drill: 24 joiners created while 300 hostile
# connections per mode hold a 64-thread hookd and hookd is killed and restarted; every joiner ends
# with exactly one activation email (the System Log reconciler finds what the hook missed).
# Larger: tests/drills/joiners_under_attack.sh --joiners 300 --conns 1000 --seconds 20
set -uo pipefail
here=$(cd "$(dirname "$0")/../drills" && pwd)
exec bash "$here/joiners_under_attack.sh" --joiners 24 --conns 300 --seconds 5
