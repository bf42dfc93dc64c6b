#!/usr/bin/env bash
# Generates a development CA and a server certificate signed by it (ECDSA P-256 by default).
# Usage: certs/gen-dev-cert.sh OUTDIR [ec|rsa] [extra SAN, e.g. DNS:hookd.internal]
# Writes OUTDIR/ca.crt, OUTDIR/ca.key, OUTDIR/server.crt (leaf + CA chain), OUTDIR/server.key.
# Existing files are kept, so restarts reuse the same CA. Keys are mode 0600 and never committed.
set -euo pipefail
out=${1:?usage: gen-dev-cert.sh OUTDIR [ec|rsa] [SAN]}
kind=${2:-ec}
extra_san=${3:-}
mkdir -p "$out"
umask 077
keyopt() {
  if [ "$kind" = rsa ]; then echo "-newkey rsa:2048"; else echo "-newkey ec -pkeyopt ec_paramgen_curve:P-256"; fi
}
if [ ! -s "$out/ca.key" ] || [ ! -s "$out/ca.crt" ]; then
  openssl req -x509 -new -nodes $(keyopt) -keyout "$out/ca.key" -out "$out/ca.crt" -days 825 \
    -subj "/CN=hookd development CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
if [ ! -s "$out/server.key" ] || [ ! -s "$out/server.crt" ]; then
  san="DNS:localhost,IP:127.0.0.1,IP:::1"
  [ -n "$extra_san" ] && san="$san,$extra_san"
  openssl req -new -nodes $(keyopt) -keyout "$out/server.key" -out "$out/server.csr" \
    -subj "/CN=localhost" 2>/dev/null
  printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature%s\nextendedKeyUsage=serverAuth\n' \
    "$san" "$([ "$kind" = rsa ] && echo ,keyEncipherment)" > "$out/server.ext"
  openssl x509 -req -in "$out/server.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
    -out "$out/server.leaf.crt" -days 397 -extfile "$out/server.ext" 2>/dev/null
  cat "$out/server.leaf.crt" "$out/ca.crt" > "$out/server.crt"
  rm -f "$out/server.csr" "$out/server.ext" "$out/server.leaf.crt" "$out/ca.srl"
fi
chmod 600 "$out"/*.key
chmod 644 "$out"/*.crt
echo "certs: $out/server.crt ($kind), CA $out/ca.crt"
