#!/usr/bin/env bash
# reload.sh: ingest at a fixed rate across SIGHUP reloads (new certificate and rules each time),
# against the same rate without reloads: failed requests and latency percentiles of both runs.
# Usage: bench/reload.sh   (RATE=events/s, default 300; RELOADS during the 10 s run, default 5)
set -uo pipefail
. "$(dirname "$0")/../tests/drills/lib.sh"
RATE=${RATE:-300} RELOADS=${RELOADS:-5}
LOADGEN=$(drill_loadgen) || exit 1
write_hookd_config "$(free_port)" <<<"$(printf '[rule r]\non = okta:user.lifecycle.deactivate\ndo = deactivate_user\n')"
start_hookd || exit 1
for i in 1 2; do mkdir -p "$T_DIR/c$i" && cp "$T_DIR/certs/ca.crt" "$T_DIR/certs/ca.key" "$T_DIR/c$i/" && make_certs "$T_DIR/c$i"; done
load() { "$LOADGEN" --port "$HOOKD_PORT" --body "$DRILL_SAMPLE" --auth "$HOOK_SECRET" --connections 8 --rate "$RATE" --duration 10; }
echo "no reload: $(load)"
load >"$T_DIR/with.json" &
lp=$!
for i in $(seq "$RELOADS"); do
	sleep $((10 / (RELOADS + 1)))
	c=c$((i % 2 + 1)) act=$([ $((i % 2)) = 0 ] && echo deactivate_user || echo resend_activation)
	sed -i -e "s|^tls_cert = .*|tls_cert = $T_DIR/$c/server.crt|" -e "s|^tls_key = .*|tls_key = $T_DIR/$c/server.key|" \
		-e "s|^do = .*|do = $act|" "$HOOKD_CONFIG"
	kill -HUP "$HOOKD_PID"
done
wait "$lp"
echo "$RELOADS reloads: $(cat "$T_DIR/with.json")"
echo "reloads applied: $(grep -c '"msg":"configuration reloaded"' "$T_DIR/hookd.log")"
