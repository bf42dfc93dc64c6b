#!/usr/bin/env bash
# docs/config.md is what `hookd config-reference` prints, and the shipped configs pass check-config
# (with their secret files stubbed).
. "$(dirname "$0")/../lib.sh"
"$HOOKD_BIN" config-reference >"$T_DIR/ref.md"
check "docs/config.md matches hookd config-reference (regenerate it when the schema changes)" \
	diff <(tail -n +4 "$T_SRC/docs/config.md") "$T_DIR/ref.md"
check "every schema section appears in the reference" grep -q '### \[rule \*\]' "$T_DIR/ref.md"
for f in hookd.dev.ini examples/bamboohr.ini examples/standard-webhooks.ini examples/github-style.ini; do
	# Point every *_file at a stub so the check is about the keys and values, not this machine.
	sed -E "s#^([a-z_.]*_file) *=.*#\1 = $T_DIR/stub#" "$T_SRC/deploy/$f" >"$T_DIR/c.ini"
	printf 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' >"$T_DIR/stub" # valid for every scheme
	grep -q '^\[okta_hook\]' "$T_DIR/c.ini" || printf '[okta_hook]\nauth_value = x\n' >>"$T_DIR/c.ini"
	check "deploy/$f passes check-config" "$HOOKD_BIN" check-config -c "$T_DIR/c.ini"
done
t_done
