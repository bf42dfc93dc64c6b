#!/usr/bin/env bash
# t_drill_diskfull.sh: the journal's tmpfs fills up and turns read-only; 503s, nothing lost, recovery.
# Skips (77) where mounting a tmpfs is not permitted. Larger: tests/drills/diskfull.sh --large
set -uo pipefail
here=$(cd "$(dirname "$0")/../drills" && pwd)
exec bash "$here/diskfull.sh"
