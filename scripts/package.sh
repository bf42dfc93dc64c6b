#!/usr/bin/env bash
# Builds hookd's Debian package from a build tree. Usage: scripts/package.sh [BUILD_DIR]  (default build/release)
# Prints the path of the .deb. The package installs /usr/bin/hookd, the systemd unit, /etc/hookd/hookd.ini
# (a conffile: an edited one is never overwritten) and the examples; its postinst makes the hookd user.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/release}
[ -f "$dir/CPackConfig.cmake" ] || { echo "package: $dir is not a configured build (scripts/build.sh $dir)" >&2; exit 1; }
BUILD_TARGETS=hookd scripts/build.sh "$dir" >/dev/null
out="$dir/package"
rm -rf "$out" && mkdir -p "$out"
cpack -G DEB --config "$dir/CPackConfig.cmake" -B "$out" >"$out/cpack.log" 2>&1 || { cat "$out/cpack.log" >&2; exit 1; }
ls "$out"/hookd_*.deb
