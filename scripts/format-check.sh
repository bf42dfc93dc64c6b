#!/usr/bin/env bash
# format-check.sh: fails (exit 1, naming the files) when a tracked .c/.h file differs from what
# clang-format makes of it under .clang-format. Usage: scripts/format-check.sh [--fix]  (--fix rewrites the drifted files)
set -euo pipefail
cd "$(dirname "$0")/.."
cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
	for c in clang-format-14 clang-format; do command -v "$c" >/dev/null && cf=$c && break; done
fi
[ -n "$cf" ] || { echo "format-check: FAILED, clang-format not found (apt-get install clang-format-14)"; exit 1; }
drift=() checked=0
while read -r f; do
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
echo "format-check: ok, $checked files match .clang-format"
