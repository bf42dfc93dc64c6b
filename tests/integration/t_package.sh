#!/usr/bin/env bash
# t_package.sh: cmake --install and the Debian package: files, hookd user, modes, conffile kept, serve as hookd.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
BUILD=$(dirname "$HOOKD_BIN")

# --- cmake --install into a staging root: the files, and an edited hookd.ini survives a second install.
stage=$T_DIR/stage
DESTDIR=$stage cmake --install "$BUILD" --prefix /usr/local >"$T_DIR/install.log" 2>&1
check "cmake --install succeeds" [ $? -eq 0 ]
for f in usr/local/bin/hookd usr/local/lib/systemd/system/hookd.service usr/local/etc/hookd/hookd.ini \
	usr/local/share/doc/hookd/examples/bamboohr.ini; do
	check "installs /$f" [ -s "$stage/$f" ]
done
check "the unit runs the installed binary with the installed config" \
	grep -q '^ExecStart=/usr/local/bin/hookd serve -c /usr/local/etc/hookd/hookd.ini$' \
	"$stage/usr/local/lib/systemd/system/hookd.service"
check "the installed hookd.ini names its own directory" grep -q '/usr/local/etc/hookd/okta-hook.secret' \
	"$stage/usr/local/etc/hookd/hookd.ini"
echo "; edited by the operator" >>"$stage/usr/local/etc/hookd/hookd.ini"
DESTDIR=$stage cmake --install "$BUILD" --prefix /usr/local >"$T_DIR/install2.log" 2>&1
check "a second cmake --install keeps an edited hookd.ini" grep -q 'edited by the operator' \
	"$stage/usr/local/etc/hookd/hookd.ini"

# --- the Debian package, installed for real with dpkg (root, and only when no hookd package is there).
if [ "$(id -u)" != 0 ] || ! command -v dpkg >/dev/null || ! command -v cpack >/dev/null; then
	echo "SKIP (package part): needs root, dpkg and cpack"
	t_done
	exit $?
fi
if grep -q '^HOOKD_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
	echo "SKIP (package part): $BUILD is a sanitizer build; the package is made and tried from the release tree"
	t_done
	exit $?
fi
if dpkg-query -W -f='${Status}' hookd 2>/dev/null | grep -q installed; then
	echo "SKIP (package part): a hookd package is already installed on this machine; not touching it"
	t_done
	exit $?
fi
had_user=0
getent passwd hookd >/dev/null && had_user=1
pkg_cleanup() {
	[ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null
	dpkg --purge hookd >/dev/null 2>&1
	rm -f /etc/hookd/t-package.* /var/lib/hookd/t-package.db*
	rmdir /etc/hookd /var/lib/hookd 2>/dev/null
	[ $had_user = 0 ] && getent passwd hookd >/dev/null && deluser --system hookd >/dev/null 2>&1
	t_cleanup
}
trap pkg_cleanup EXIT

cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$T_DIR/pkg" >"$T_DIR/cpack.log" 2>&1
deb=$(ls "$T_DIR"/pkg/hookd_*.deb 2>/dev/null | head -1)
check "cpack builds hookd_VERSION_ARCH.deb" [ -n "$deb" ]
[ -n "$deb" ] || { tail -20 "$T_DIR/cpack.log"; t_done; exit 1; }
check_eq "the package declares hookd.ini a conffile" "$(dpkg-deb -f "$deb" Package)/$(dpkg-deb --ctrl-tarfile "$deb" |
	tar -xO ./conffiles)" "hookd//etc/hookd/hookd.ini"
check "the package depends on the libraries hookd links" sh -c "dpkg-deb -f '$deb' Depends | grep -q 'libcurl4.*libpq5.*libssl3'"
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$T_DIR/dpkg.log" 2>&1
check "dpkg -i installs it" [ $? -eq 0 ]
check "/usr/bin/hookd runs" /usr/bin/hookd --version
check "the hookd system user exists" sh -c 'id -u hookd >/dev/null && [ "$(id -u hookd)" -lt 1000 ]'
check_eq "/etc/hookd is root:hookd 0750" "$(stat -c '%U:%G %a' /etc/hookd)" "root:hookd 750"
check_eq "/etc/hookd/hookd.ini is root:hookd 0640" "$(stat -c '%U:%G %a' /etc/hookd/hookd.ini)" "root:hookd 640"
check_eq "/var/lib/hookd is hookd's, 0750" "$(stat -c '%U:%G %a' /var/lib/hookd)" "hookd:hookd 750"
check "the unit is installed" grep -q '^ExecStart=/usr/bin/hookd serve -c /etc/hookd/hookd.ini$' \
	/usr/lib/systemd/system/hookd.service

# A real configuration in /etc/hookd, readable by hookd only through its group; serve as hookd.
port=$(free_port)
make_certs "$T_DIR/certs"
install -m 0640 -g hookd "$T_DIR/certs/server.crt" /etc/hookd/t-package.crt
install -m 0640 -g hookd "$T_DIR/certs/server.key" /etc/hookd/t-package.key
printf '%s' "$HOOK_SECRET" >/etc/hookd/t-package.secret
chgrp hookd /etc/hookd/t-package.secret && chmod 0640 /etc/hookd/t-package.secret
cat >/etc/hookd/t-package.ini <<INI
[server]
listen = 127.0.0.1:$port
tls_cert = /etc/hookd/t-package.crt
tls_key = /etc/hookd/t-package.key
threads = 8
[store]
path = /var/lib/hookd/t-package.db
[okta_hook]
auth_value_file = /etc/hookd/t-package.secret
INI
chgrp hookd /etc/hookd/t-package.ini && chmod 0640 /etc/hookd/t-package.ini
check "hookd check-config passes as the hookd user" runuser -u hookd -- /usr/bin/hookd check-config -c /etc/hookd/t-package.ini
check "hookd healthcheck fails while nothing listens" sh -c "! runuser -u hookd -- /usr/bin/hookd healthcheck -c /etc/hookd/t-package.ini 2>/dev/null"
# setpriv execs hookd itself (runuser would stay in between and take the signal)
setpriv --reuid hookd --regid hookd --init-groups /usr/bin/hookd serve -c /etc/hookd/t-package.ini 2>"$T_DIR/serve.log" &
SERVE_PID=$!
for _ in $(seq 100); do
	runuser -u hookd -- /usr/bin/hookd healthcheck -c /etc/hookd/t-package.ini >/dev/null 2>&1 && break
	sleep 0.1
done
check "hookd serve as the hookd user answers hookd healthcheck" runuser -u hookd -- /usr/bin/hookd healthcheck -c /etc/hookd/t-package.ini
code=$(curl -sS --cacert "$T_DIR/certs/ca.crt" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/hooks/okta" \
	-H "Authorization: $HOOK_SECRET" -H 'Content-Type: application/json' --data-binary @"$T_SRC/tests/drills/delivery-user.json")
check_eq "a delivery is journaled by the packaged hookd" "$code" 200
check_eq "the journal belongs to hookd" "$(stat -c %U /var/lib/hookd/t-package.db)" hookd
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
check_eq "SIGTERM stops it cleanly" "$?" 0
SERVE_PID=

# An edited conffile survives reinstalling the package.
echo "; edited by the operator" >>/etc/hookd/hookd.ini
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$T_DIR/dpkg2.log" 2>&1
check "dpkg -i again succeeds" [ $? -eq 0 ]
check "it keeps the edited /etc/hookd/hookd.ini" grep -q 'edited by the operator' /etc/hookd/hookd.ini
dpkg --purge hookd >"$T_DIR/purge.log" 2>&1
check "dpkg --purge removes it" sh -c '! command -v /usr/bin/hookd >/dev/null && [ ! -e /etc/hookd/hookd.ini ]'
t_done
