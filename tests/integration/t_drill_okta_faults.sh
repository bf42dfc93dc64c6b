#!/usr/bin/env bash
# t_drill_okta_faults.sh: CI size of the Okta-fault drill (150 users over 30 s under 500s, drops, lost
# answers, 2 s stalls and 429 bursts). Larger: tests/drills/okta_faults.sh --large
set -uo pipefail
exec bash "$(cd "$(dirname "$0")/../drills" && pwd)/okta_faults.sh"
