#!/usr/bin/env bash
# code-stats.sh: code-shape figures for the C tree outside tests/ and build/ (issue 10's measurements).
# Usage: scripts/code-stats.sh [TREE]   (TREE defaults to this checkout; any unpacked tree works)
# Prints function length (lines from the signature to the closing brace, by ctags: median, p90, max,
# how many over 60), the ten longest files, and for each action name how many places (file:line)
# spell it inside a string literal (comments are not counted).
set -euo pipefail
TREE=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$TREE"
command -v ctags >/dev/null || { echo "code-stats: needs ctags (universal-ctags)" >&2; exit 1; }
mapfile -t FILES < <(find . -path ./build -prune -o -path './build*' -prune -o -path ./tests -prune \
	-o -path ./.git -prune -o -type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | sort)
[ "${#FILES[@]}" -gt 0 ] || { echo "code-stats: no C files under $TREE" >&2; exit 1; }
ctags -x --c-kinds=f --_xformat='%{line} %{end} %{input}' -o - "${FILES[@]}" | python3 -c '
import re, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
files = sys.argv[1:]
lens = []
for row in sys.stdin:
    line, end, _ = row.split(None, 2)
    if end.isdigit():
        lens.append(int(end) - int(line) + 1)
lens.sort()
def pct(p):
    return lens[min(len(lens) - 1, int(p * (len(lens) - 1) + 0.5))]
print("functions: %d  median %d  p90 %d  max %d  over 60 lines: %d" %
      (len(lens), pct(0.5), pct(0.9), lens[-1], sum(1 for n in lens if n > 60)))
sizes = sorted(((sum(1 for _ in open(f, errors="replace")), f) for f in files), reverse=True)
print("longest files:")
for n, f in sizes[:10]:
    print("  %6d  %s" % (n, f))
tok = re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|\x27(?:\\.|[^\x27\\\n])*\x27", re.S)
actions = ["create_user", "send_activation", "resend_activation", "deactivate_user", "update_profile"]
places = {a: [] for a in actions}
for f in files:
    text = open(f, errors="replace").read()
    for m in tok.finditer(text):
        s = m.group(0)
        if not s.startswith("\""):
            continue
        ln = text.count("\n", 0, m.start()) + 1
        for a in actions:
            if re.search(r"\b%s\b" % a, s) and "%s:%d" % (f, ln) not in places[a]:
                places[a].append("%s:%d" % (f, ln))
print("action names in string literals (places, files):")
for a in actions:
    fs = sorted({p.rsplit(":", 1)[0] for p in places[a]})
    print("  %-18s %3d  %d  (%s)" % (a, len(places[a]), len(fs), " ".join(fs)))
' "${FILES[@]}"
