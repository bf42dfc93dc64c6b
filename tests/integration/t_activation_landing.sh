#!/usr/bin/env bash
# Scanner-safe links: with [activation] landing = on, the link hookd mails is
# <public_url>/activate/<sealed token>. A scanner's GET gets a page (no script, CSP) and leaves
# okta-sim's token unused; only the page's POST redirects (303) to Okta's activationUrl, which
# activates the user. A tampered link gets 400, and the mail, job record and log hold no Okta link.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

openssl rand -hex 32 >"$T_DIR/link.key"
chmod 600 "$T_DIR/link.key"
port=$(free_port)
T_SERVER_EXTRA="public_url = https://127.0.0.1:$port/" start_activation_stack "$port" --mail <<INI
[activation]
landing = on
link_key_file = $T_DIR/link.key
[worker]
threads = 2
poll = 100ms
backoff_base = 200ms
[rule okta-created]
on = okta:user.lifecycle.create
do = send_activation
send_email = false
INI

login=lee.$RANDOM@example.com
uid=$(sim_api POST "/api/v1/users?activate=false" "{\"profile\":{\"login\":\"$login\",\"email\":\"$login\",\"secondEmail\":\"lee@home.example.net\",\"firstName\":\"Lee\",\"lastName\":\"Ro\"}}" | jq_py 'd["id"]')
status_of() { sim_api GET "/api/v1/users/$uid" | jq_py 'd["status"]'; }
check "hookd mailed a link to the personal address" eventually 'grep -q "^RCPT lee@home.example.net" "$T_DIR/mail.txt" 2>/dev/null' 15
link=$(grep -oE "https://127.0.0.1:$port/activate/[A-Za-z0-9_-]+" "$T_DIR/mail.txt" | head -1)
check "the mail carries a landing link on hookd's public_url" [ -n "$link" ]
check "the mail carries no Okta link" bash -c "! grep -q '/tokens/' '$T_DIR/mail.txt'"
check_eq "the user is PROVISIONED" "$(status_of)" PROVISIONED

code=$(tls_curl -o "$T_DIR/page.html" -D "$T_DIR/page.h" -w '%{http_code}' "$link")
check_eq "a scanner's GET gets the page" "$code" 200
check "the page has one button and no script" bash -c "grep -c '<button' '$T_DIR/page.html' | grep -qx 1 && ! grep -qi '<script' '$T_DIR/page.html'"
check "the page is served with a CSP" grep -qi "^Content-Security-Policy: default-src 'none'.*form-action 'self' $SIM_URL" "$T_DIR/page.h"
tls_curl -o /dev/null "$link"
check_eq "two GETs later the user is still PROVISIONED (okta-sim's token unused)" "$(status_of)" PROVISIONED

i=$((${#link} - 12))
c=${link:$i:1}
bad=${link:0:$i}$([ "$c" = A ] && echo B || echo A)${link:$((i + 1))}
code=$(tls_curl -o "$T_DIR/bad.html" -w '%{http_code}' "$bad")
check_eq "a tampered link is refused" "$code" 400
check "... with a page that says so" grep -q "not valid" "$T_DIR/bad.html"
code=$(tls_curl -o /dev/null -w '%{http_code}' -X POST "$bad")
check_eq "... and its POST too" "$code" 400
check_eq "still PROVISIONED" "$(status_of)" PROVISIONED
code=$(tls_curl -o "$T_DIR/bad.json" -w '%{http_code}' -H 'Accept: application/json' "$HOOKD_URL/activate/nonsense")
check_eq "a client asking for JSON gets the error as JSON" "$code:$(jq_py 'd["error"]' <"$T_DIR/bad.json")" 400:link_invalid
code=$(tls_curl -o /dev/null -w '%{http_code}' -X PUT "$link")
check_eq "other methods: 405" "$code" 405

loc=$(tls_curl -o /dev/null -D - -X POST "$link" | tr -d '\r' | sed -n 's/^Location: //Ip')
code=$(tls_curl -o /dev/null -w '%{http_code}' -X POST "$link")
check_eq "the page's POST answers 303" "$code" 303
check "... to okta-sim's activationUrl" grep -q "^$SIM_URL/tokens/.*/verify$" <<<"$loc"
tls_curl -o /dev/null "$loc"
check_eq "following it activates the user" "$(status_of)" ACTIVE
check "the job record holds no link" bash -c "! '$HOOKD_BIN' jobs -c '$HOOKD_CONFIG' --json | grep -q '/activate/\|/tokens/'"
check "the log holds no link" bash -c "! grep -q '/activate/[A-Za-z0-9_-]\{20\}\|/tokens/' '$T_DIR/hookd.log'"
t_done
