#!/usr/bin/env bash
# check-container.sh: checks deploy/Containerfile's runtime stage without a container engine: every
# library that `ldd hookd` names comes from a package the stage installs (or from one every
# debian:12-slim image has: Priority required), every file it copies exists, it runs as a non-root
# uid and checks its health without a shell. Builds the image too when podman or docker is here.
# Usage: scripts/check-container.sh [HOOKD_BINARY]   (default build/release/hookd)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/release/hookd}
cf=${CONTAINERFILE:-deploy/Containerfile}
fail=0
bad() { echo "check-container: $*"; fail=1; }
[ -x "$bin" ] || { echo "check-container: no binary at $bin (scripts/build.sh)"; exit 2; }
runtime=$(awk '/^FROM .* AS runtime/{on=1} on' "$cf")
[ -n "$runtime" ] || { echo "check-container: $cf has no 'AS runtime' stage"; exit 1; }
# The packages of the runtime stage's `apt-get install`: its words up to the next &&, less options.
pkgs=$(printf '%s\n' "$runtime" | tr '\\\n' '  ' | grep -oE 'apt-get install [^&]*' | head -1 |
	tr ' ' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vxE 'apt-get|install' | sort -u)
# What the runtime image holds: the packages the stage installs, every package they depend on
# (followed through this machine's dpkg database, which has the same Debian 12 packages) and the
# base image's Essential and required packages with their dependencies.
closure=$(python3 - "$pkgs" <<'PY'
import subprocess, sys, re
out = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Essential}\t${Priority}\t${Depends}, ${Pre-Depends}\t${Provides}\n"],
                     capture_output=True, text=True).stdout
deps, provides, base = {}, {}, []
for line in out.splitlines():
    name, ess, prio, dep, prov = (line.split("\t") + [""] * 5)[:5]
    deps[name] = [re.split(r"[ (:]", alt.strip())[0] for d in dep.split(",") if d.strip()
                  for alt in [d.split("|")[0]] if alt.strip()]
    for p in prov.split(","):
        if p.strip():
            provides.setdefault(re.split(r"[ (]", p.strip())[0], []).append(name)
    if ess == "yes" or prio == "required":
        base.append(name)
todo, seen = sys.argv[1].split() + base, set()
while todo:
    p = todo.pop()
    if p in seen:
        continue
    seen.add(p)
    todo += deps.get(p, []) + provides.get(p, [])
print("\n".join(sorted(seen)))
PY
)
# One dpkg -S for every library (by the path ldd gives and by its real path): path -> package.
mapfile -t lines < <(ldd "$bin" | awk '/=>/ && $3 ~ /^\// {print $1, $3}')
paths=()
for l in "${lines[@]}"; do
	p=${l#* }
	paths+=("$p" "$(readlink -f "$p")")
done
owners=$(dpkg -S "${paths[@]}" 2>/dev/null || true)
libs=0
for l in "${lines[@]}"; do
	lib=${l%% *} path=${l#* }
	libs=$((libs + 1))
	real=$(readlink -f "$path")
	owner=$(awk -F': ' -v a="$path" -v b="$real" '$2 == a || $2 == b {print $1; exit}' <<<"$owners")
	owner=${owner%%:*}
	[ -n "$owner" ] || { bad "$lib ($path) belongs to no Debian package"; continue; }
	grep -qx "$owner" <<<"$closure" ||
		bad "$lib comes from $owner, which neither the runtime stage's packages nor debian:12-slim bring"
done
[ $libs -gt 0 ] || bad "ldd named no library for $bin"
while read -r src; do
	[ -e "$src" ] || bad "COPY source $src does not exist"
done < <(printf '%s\n' "$runtime" | awk '/^COPY / && !/--from=/ {print $2}')
grep -qE '^USER [1-9][0-9]*' <<<"$runtime" || bad "the runtime stage does not set a non-root USER"
grep -qE '^HEALTHCHECK .*CMD \["/usr/bin/hookd", "healthcheck"' <<<"$runtime" ||
	bad "the health check is not the exec form of hookd healthcheck"
if [ $fail = 0 ]; then
	echo "check-container: ok, $libs libraries from $(printf '%s\n' "$pkgs" | wc -l) runtime packages or the base image"
fi
engine=
for e in podman docker; do
	command -v "$e" >/dev/null && "$e" info >/dev/null 2>&1 && engine=$e && break
done
if [ -n "$engine" ] && [ "${CHECK_CONTAINER_BUILD:-1}" = 1 ]; then
	"$engine" build -f "$cf" -t hookd:check . || bad "the image does not build with $engine"
else
	echo "check-container: image not built: no running podman or docker on this machine"
fi
exit $fail
