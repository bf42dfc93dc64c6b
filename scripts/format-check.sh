#!/usr/bin/env bash
# format-check.sh: fails (exit 1, naming the files) when a tracked .c/.h file differs from what
# clang-format makes of it under .clang-format. Files listed in .clang-format-pending (one path a
# line, # comments allowed) are skipped: they predate .clang-format and are formatted once, then
# removed from that list. Usage: scripts/format-check.sh [--fix]  (--fix rewrites the drifted files)
set -euo pipefail
cd "$(dirname "$0")/.."
cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
	for c in clang-format-14 clang-format; do command -v "$c" >/dev/null && cf=$c && break; done
fi
[ -n "$cf" ] || { echo "format-check: FAILED, clang-format not found (apt-get install clang-format-14)"; exit 1; }
declare -A pending=()
if [ -f .clang-format-pending ]; then
	while read -r p; do
		[ -n "$p" ] && [ "${p#\#}" = "$p" ] && pending[$p]=1
	done <.clang-format-pending
fi
drift=() checked=0
while read -r f; do
	[ -n "${pending[$f]:-}" ] && continue
	checked=$((checked + 1))
	if ! "$cf" --style=file "$f" | cmp -s - "$f"; then
		drift+=("$f")
		[ "${1:-}" = "--fix" ] && "$cf" -i --style=file "$f"
	fi
done < <(git ls-files '*.c' '*.h')
if [ ${#drift[@]} -gt 0 ]; then
	echo "format-check: FAILED, ${#drift[@]} of $checked files differ from clang-format (scripts/format-check.sh --fix): ${drift[*]}"
	exit 1
fi
echo "format-check: ok, $checked files match .clang-format (${#pending[@]} pending in .clang-format-pending)"
