#!/usr/bin/env bash
# t_drill_crash.sh: CI size of the crash drill: 20 x kill -9 under 400 deliveries/s; every 200 journaled.
# (PostgreSQL too when HOOKD_TEST_PG_URL is set.) Larger: tests/drills/crash.sh --large
set -uo pipefail
here=$(cd "$(dirname "$0")/../drills" && pwd)
bash "$here/crash.sh" --cycles 20 --rate 400 || exit $?
if [ -n "${HOOKD_TEST_PG_URL:-}" ]; then
	bash "$here/crash.sh" --cycles 10 --rate 400 --pg || exit $?
fi
