#!/usr/bin/env bash
# okta_faults.sh: Okta misbehaves for the length of a run while hookd works through new hires.
# Usage: tests/drills/okta_faults.sh [--users N] [--seconds S] [--large]
#   CI size: 150 users delivered over 30 s;  --large: 2000 users over 300 s.
# okta-sim answers 20% of hookd's calls with 500, drops 3% of connections before the call runs, loses
# the answer of 5% after it ran (the client cannot tell the two apart), stalls 5% of calls for 2 s, and
# answers every call with 429 for 1 s out of every 15 s (first 5 s in) (each 429 carries the real window's
# X-Rate-Limit-Reset), on top of real rate limits over 10 s windows. hookd runs on its
# client defaults (5 retries per call, 30 s call timeout) with OAuth (private_key_jwt, so the token
# endpoint meets the faults too); one user.lifecycle.create event per STAGED user is delivered to it over
# the run (rule: send_activation). Checked from hookd's journal, okta-sim's users and outbox, and
# okta-sim's timestamped request log (GET /sim/requests):
#   every job ends done or dead; each user has exactly one job; no user got two activation emails and
#   no activate call took effect twice; every done user is PROVISIONED (never ACTIVE) with one email;
#   after each 429, no call in that bucket arrived before its X-Rate-Limit-Reset; the faults were
#   really injected (latency spikes of 2 s, drops, lost answers, 500s, 429s all seen).
set -uo pipefail
. "$(dirname "$0")/jobs_lib.sh"
N=150 SECS=30
while [ $# -gt 0 ]; do
	case $1 in
	--users) N=$2; shift ;;
	--seconds) SECS=$2; shift ;;
	--large) N=2000 SECS=300 ;;
	*) echo "usage: okta_faults.sh [--users N] [--seconds S] [--large]"; exit 2 ;;
	esac
	shift
done
echo "# Okta-fault drill: $N users over $SECS s"

# Real limits over 10 s windows (the client must live within them), high enough that the run is not
# only waiting: user reads and lifecycle writes 300 per window, the token endpoint 100.
jobs_sim --rate-limit all=100000,user=300,user_write=300,token=100,window=10 || { fail "okta-sim starts"; t_done; exit 1; }
jobs_config
start_hookd || { fail "hookd starts"; t_done; exit 1; }

python3 "$JOBS_PY" users "$SIM_URL" "$SIM_TOKEN" "$T_DIR/certs/ca.crt" "$N" "$T_DIR/users.json" ||
	{ fail "$N STAGED users created"; t_done; exit 1; }
ok "$N STAGED users in okta-sim"
tls_curl "$SIM_URL/sim/requests" -X DELETE >/dev/null

FAULTS='"error_rate":0.2,"status":500,"drop_rate":0.03,"lost_rate":0.05,"latency_ms":2000,"latency_rate":0.05'
faults() { tls_curl "$SIM_URL/sim/faults" -X POST -H 'Content-Type: application/json' -d "{$FAULTS$1}" >/dev/null; }
faults ""
# A second of 429s 5 s in, then every 15 s for as long as the faults are on.
(
	sleep 5
	while [ ! -e "$T_DIR/calm" ]; do
		faults ',"burst_429_ms":1000'
		sleep 15
	done
) &
T_PIDS+=($!)
t0=$(date +%s)
python3 "$JOBS_PY" send "$HOOKD_URL" "$HOOK_SECRET" "$T_DIR/certs/ca.crt" "$T_DIR/users.json" "$SECS" "$T_DIR/send.json"
echo "  sender: $(cat "$T_DIR/send.json")"
check_eq "every delivery was answered 200 in the end" "$(jq_py 'd.get("gave_up", 0)' <"$T_DIR/send.json")" 0

# The faults stay on until every job has settled (or 240 s more have passed).
check "every job ends done or dead while the faults go on" eventually "jobs_settled $N" 240
t1=$(date +%s)
touch "$T_DIR/calm"
tls_curl "$SIM_URL/sim/faults" -X DELETE >/dev/null
echo "  faults on for $((t1 - t0)) s"
jobs_judge "$ADMIN"
echo "  hookd's calls: $(v requests) ($(v activate_calls) activates); injected: $(v fault_error) x 500, $(v fault_drop) drops," \
	"$(v fault_lost) lost answers, $(v fault_latency) x 2 s stalls (longest $(v spike_ms_max) ms), $(v fault_429) x 429 in bursts" \
	"($(v answers_429) 429 answers in all)"
echo "  jobs: $(v done) done, $(v dead) dead, $(v retried_jobs) needed more than one attempt (most: $(v max_job_attempts))"
echo "  after a 429 the bucket's next call came $(v after_reset_ms_min) ms (min) / $(v after_reset_ms_median) ms (median) after X-Rate-Limit-Reset"
check_eq "one job per user" "$(v users_without_one_job)" 0
check_eq "no job left pending or running" "$(v unsettled)" 0
check_eq "no user got two activation emails" "$(v users_with_two_emails)" 0
check_eq "no activate call took effect twice for a user" "$(v users_activated_twice)" 0
check_eq "every done job's user is PROVISIONED with exactly one email" "$(v done_not_provisioned_once)" 0
check_eq "no user became ACTIVE" "$(v users_active)" 0
check_eq "no call arrived in a bucket before the X-Rate-Limit-Reset of its 429 ($(v reset_violation_example))" \
	"$(v reset_violations)" 0
check "429 answers were met and waited out ($(v answers_429))" test "$(v answers_429)" -gt 0
check "2 s latency spikes were injected ($(v fault_latency), longest $(v spike_ms_max) ms)" \
	test "$(v fault_latency)" -gt 0 -a "$(v spike_ms_max)" -ge 2000
check "connections were dropped and answers lost ($(v fault_drop) + $(v fault_lost))" \
	test "$(v fault_drop)" -gt 0 -a "$(v fault_lost)" -gt 0
check "500s were injected ($(v fault_error))" test "$(v fault_error)" -gt 0
check "most jobs end done, not dead ($(v done) of $(v jobs))" test "$(( $(v done) * 10 ))" -ge "$(( $(v jobs) * 9 ))"
check_eq "hookd is still serving" "$(tls_curl -o /dev/null -w '%{http_code}' "$HOOKD_URL/readyz")" 200
t_done
