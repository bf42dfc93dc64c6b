#!/usr/bin/env bash
# t_okta_client.sh: the Okta client against okta-sim over TLS with a fresh dev CA (the unit run uses plain http).
set -euo pipefail
src=${HOOKD_SRC:?HOOKD_SRC not set}
build=${HOOKD_BUILD:?HOOKD_BUILD not set}
sim="$build/okta-sim"
probe="$build/tests/test_okta_client_live"
if [ ! -x "$sim" ]; then echo "skip: okta-sim not built at $sim"; exit 77; fi
if [ ! -x "$probe" ]; then echo "skip: $probe not built"; exit 77; fi
if ! command -v openssl >/dev/null; then echo "skip: openssl CLI missing (needed for the dev CA)"; exit 77; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$src/certs/gen-dev-cert.sh" "$tmp/certs" ec >/dev/null
export OKTA_SIM_CERT="$tmp/certs/server.crt" OKTA_SIM_KEY="$tmp/certs/server.key" OKTA_SIM_CA="$tmp/certs/ca.crt"
# The probe starts (and stops) its own okta-sim processes on free loopback ports.
"$probe" "$sim"
