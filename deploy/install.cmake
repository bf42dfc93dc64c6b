# install.cmake: run by `cmake --install` and by cpack: the systemd unit and the configuration.
# Paths are decided at install time from the prefix in force then: /usr (the Debian package) puts
# the configuration in /etc/hookd, any other prefix in PREFIX/etc/hookd. An existing hookd.ini is
# never overwritten (the package marks it a conffile, so dpkg keeps an edited one too).
# HOOKD_SRC and HOOKD_BIN_DIR are set by the install(CODE) line before this script; file(INSTALL)
# adds $DESTDIR itself.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(etc "/etc/hookd")
else()
  set(etc "${CMAKE_INSTALL_PREFIX}/etc/hookd")
endif()
set(bin "${CMAKE_INSTALL_PREFIX}/bin")
set(dest "$ENV{DESTDIR}")

file(READ "${HOOKD_SRC}/deploy/hookd.service" unit)
string(REPLACE "/usr/local/bin/hookd" "${bin}/hookd" unit "${unit}")
string(REPLACE "/etc/hookd/" "${etc}/" unit "${unit}")
string(REGEX REPLACE "^# systemd unit for hookd[^\n]*\n#[^\n]*\n" "# systemd unit for hookd, installed by its package or cmake --install.\n" unit "${unit}")
file(WRITE "${HOOKD_BIN_DIR}/hookd.service.installed" "${unit}")
file(INSTALL "${HOOKD_BIN_DIR}/hookd.service.installed" DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system"
     RENAME hookd.service PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

if(EXISTS "${dest}${etc}/hookd.ini")
  message(STATUS "Kept: ${dest}${etc}/hookd.ini (already there; the shipped one is in the examples)")
else()
  file(READ "${HOOKD_SRC}/deploy/hookd.ini" ini)
  string(REPLACE "/etc/hookd/" "${etc}/" ini "${ini}")
  file(WRITE "${HOOKD_BIN_DIR}/hookd.ini.installed" "${ini}")
  file(INSTALL "${HOOKD_BIN_DIR}/hookd.ini.installed" DESTINATION "${etc}" RENAME hookd.ini
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
endif()
