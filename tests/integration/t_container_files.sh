#!/usr/bin/env bash
# t_container_files.sh: deploy/Containerfile's runtime stage holds every library hookd links (scripts/check-container.sh).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
export CHECK_CONTAINER_BUILD=0
check "the runtime stage is complete for this hookd" "$T_SRC/scripts/check-container.sh" "$HOOKD_BIN"
sed 's/ libpq5 / /' "$T_SRC/deploy/Containerfile" >"$T_DIR/no-libpq"
out=$(CONTAINERFILE=$T_DIR/no-libpq "$T_SRC/scripts/check-container.sh" "$HOOKD_BIN" 2>&1)
check "a stage without libpq5 is refused" [ $? -ne 0 ]
check "naming libpq.so.5 and its package" grep -q 'libpq.so.5 comes from libpq5' <<<"$out"
sed 's/^USER .*//' "$T_SRC/deploy/Containerfile" >"$T_DIR/root"
check "a stage that runs as root is refused" sh -c "! CONTAINERFILE='$T_DIR/root' '$T_SRC/scripts/check-container.sh' '$HOOKD_BIN' >/dev/null 2>&1"
sed 's|^COPY deploy/hookd.ini|COPY deploy/missing.ini|' "$T_SRC/deploy/Containerfile" >"$T_DIR/copy"
check "a COPY of a missing file is refused" sh -c "! CONTAINERFILE='$T_DIR/copy' '$T_SRC/scripts/check-container.sh' '$HOOKD_BIN' >/dev/null 2>&1"
t_done
