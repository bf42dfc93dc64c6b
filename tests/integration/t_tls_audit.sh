#!/usr/bin/env bash
# t_tls_audit.sh: testssl.sh against a real hookd (ECDSA P-256 certificate; RSA too with
# HOOKD_TLS_AUDIT_FULL=1): protocols, cipher classes, forward secrecy, server defaults and chain,
# each cipher per protocol, and the known vulnerabilities. The JSON report is judged by
# tests/drills/testssl_verdict.py: fails on a protocol below TLS 1.2, a cipher without forward
# secrecy, a weak cipher, a missing or unverifiable chain, or any MEDIUM+ finding not explained.
# About 30 s per certificate.
set -uo pipefail
. "$(dirname "$0")/../drills/lib.sh"
TESTSSL=$(command -v testssl || command -v testssl.sh || true)
[ -n "$TESTSSL" ] || { echo "SKIP: testssl.sh not installed (apt-get install testssl.sh)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
VERDICT=$T_SRC/tests/drills/testssl_verdict.py

check "the verdict itself rejects a crafted bad report (TLS 1.0, RSA key exchange, CBC, no chain)" \
	python3 "$VERDICT" --self-test

kinds="ec"
[ -n "${HOOKD_TLS_AUDIT_FULL:-}" ] && kinds="ec rsa"
for kind in $kinds; do
	dir=$T_DIR/$kind
	mkdir -p "$dir"
	make_certs "$dir/certs" "$kind"
	write_hookd_config "$(free_port)" "$dir" </dev/null
	start_hookd "$dir/hookd.ini" "$dir/hookd.log" || exit 1
	echo "# testssl.sh on hookd ($kind certificate), port $HOOKD_PORT"
	start=$(date +%s)
	# -p protocols, -s cipher classes, -f forward secrecy, -S server defaults (chain), -E ciphers per
	# protocol, -U vulnerabilities. --add-ca: trust the dev CA so the chain check means something.
	timeout 300 "$TESTSSL" --quiet --warnings off --color 0 --ip one --add-ca "$dir/certs/ca.crt" \
		--jsonfile "$dir/report.json" -p -s -f -S -E -U "127.0.0.1:$HOOKD_PORT" >"$dir/report.txt" 2>&1
	rc=$?
	echo "     testssl finished in $(($(date +%s) - start)) s (exit $rc; its exit code counts findings, not failures)"
	check "$kind: testssl wrote a JSON report" test -s "$dir/report.json"
	python3 "$VERDICT" "$dir/report.json" | sed 's/^/     /'
	check "$kind: the report passes hookd's TLS policy" python3 "$VERDICT" "$dir/report.json" >/dev/null
	check "$kind: hookd still answers after the scan" bash -c "curl -sk --max-time 5 https://127.0.0.1:$HOOKD_PORT/healthz | grep -q ok"
	[ -n "${HOOKD_TLS_AUDIT_OUT:-}" ] && cp "$dir/report.json" "$HOOKD_TLS_AUDIT_OUT.$kind.json" && cp "$dir/report.txt" "$HOOKD_TLS_AUDIT_OUT.$kind.txt"
	stop_hookd
done
t_done
