#!/usr/bin/env bash
# Fetches civetweb 1.16 from Debian trixie's source package, checks its sha256, applies Debian's patches,
# then hookd's own (hooks/civetweb/*.patch). The tree is remade when hookd's patches change: its
# .hookd-patched marker holds their sha256, which CMakeLists.txt checks too.
# Usage: scripts/fetch-civetweb.sh DESTDIR   (DESTDIR/civetweb holds the patched tree; nothing enters git)
set -euo pipefail
dest=${1:?usage: fetch-civetweb.sh DESTDIR}
mkdir -p "$dest" && dest=$(cd "$dest" && pwd) # the steps below change directory
repo=$(cd "$(dirname "$0")/.." && pwd)
ours=$(cat "$repo"/hooks/civetweb/*.patch | sha256sum | cut -d' ' -f1)
want_orig=41dbfd68cd3b914ce440a5813f21058813b61a972600cc04fb8233a0d2d04fe4
want_deb=1e5f56ab5592026dc5cd90302cfaa5a66b889f8959440e64dc0e373d18165ebb
orig=civetweb_1.16+dfsg.orig.tar.xz
deb=civetweb_1.16+dfsg-2+deb13u1.debian.tar.xz

if [ "$(cat "$dest/civetweb/.hookd-patched" 2>/dev/null)" = "$ours" ]; then exit 0; fi
mkdir -p "$dest/dl"
cd "$dest/dl"

ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

if ! ok "$orig" "$want_orig" || ! ok "$deb" "$want_deb"; then
  # A private apt configuration: a deb-src entry for trixie built from this machine's own
  # Debian URIs, with its own lists directory, so the system's apt state is untouched.
  uris=$( { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{for(i=2;i<=NF;i++)print $i}' || true;
            grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list 2>/dev/null | sed -E 's/\[[^]]*\]//' | awk '{print $2}' || true; } |
          grep -v -- '-security' | grep -iE 'debian' | sort -u || true)
  [ -n "$uris" ] || { echo "fetch-civetweb: no Debian URI in this machine's apt sources" >&2; exit 1; }
  apt_dir=$PWD/apt
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
  : > "$apt_dir/sources.list"
  for u in $uris; do
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $u trixie main" >> "$apt_dir/sources.list"
  done
  aptopts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
           -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives"
           -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
  apt-get "${aptopts[@]}" -qq update || true
  # Exit status is ignored on purpose: the .dsc may be missing on the mirror; the sha256 checks below decide.
  apt-get "${aptopts[@]}" -qq source --download-only civetweb=1.16+dfsg-2+deb13u1 >/dev/null 2>&1 || true
fi
ok "$orig" "$want_orig" || { echo "fetch-civetweb: $orig missing or sha256 mismatch" >&2; exit 1; }
ok "$deb" "$want_deb" || { echo "fetch-civetweb: $deb missing or sha256 mismatch" >&2; exit 1; }

rm -rf "$dest/civetweb.tmp"
mkdir -p "$dest/civetweb.tmp"
tar -xJf "$orig" -C "$dest/civetweb.tmp" --strip-components=1
tar -xJf "$deb" -C "$dest/civetweb.tmp"
cd "$dest/civetweb.tmp"
while read -r p; do
  case "$p" in ''|'#'*) continue;; esac
  patch -p1 -s < "debian/patches/$p"
done < debian/patches/series
for p in "$repo"/hooks/civetweb/*.patch; do
  patch -p1 -s --no-backup-if-mismatch < "$p"
done
echo "$ours" > .hookd-patched
rm -rf "$dest/civetweb"
mv "$dest/civetweb.tmp" "$dest/civetweb"
echo "fetch-civetweb: civetweb 1.16+dfsg-2+deb13u1 with hookd's patches ready in $dest/civetweb"
