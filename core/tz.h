/* tz.h: local wall-clock time in an IANA zone to UTC, read from the system's TZif files. */
#ifndef HOOKD_TZ_H
#define HOOKD_TZ_H

#include <stdint.h>

/*
 * Converts y-m-d hh:mm local time in zone (IANA name such as "Europe/Berlin"; "UTC" or "" for UTC)
 * to unix milliseconds, using /usr/share/zoneinfo (or $HOOKD_ZONEINFO). Thread-safe and does not
 * touch the environment. Returns -1 for an unknown or malformed zone. Times past the file's last
 * transition use the last offset (Debian ships "fat" files with transitions through 2037).
 */
int tz_local_to_utc_ms(const char *zone, int y, int m, int d, int hh, int mm, int64_t *out);

#endif
