#!/usr/bin/env bash
# t_drill_crash.sh: CI size of the crash drills: 20 x kill -9 under 400 deliveries/s, every 200 journaled;
# 20 x kill -9 while 400 users' jobs run, each job's Okta effect exactly once.
# (PostgreSQL too when HOOKD_TEST_PG_URL is set.) Larger: tests/drills/crash.sh --large
set -uo pipefail
here=$(cd "$(dirname "$0")/../drills" && pwd)
bash "$here/crash.sh" --cycles 20 --rate 400 || exit $?
# The same with jobs running against okta-sim: every job's effect exactly once.
bash "$here/crash_jobs.sh" --users 400 --cycles 20 || exit $?
if [ -n "${HOOKD_TEST_PG_URL:-}" ]; then
	bash "$here/crash.sh" --cycles 10 --rate 400 --pg || exit $?
	bash "$here/crash_jobs.sh" --users 200 --cycles 10 --pg || exit $?
fi
