/* listen_probe.h: can hookd bind its listen addresses? Asked before the server starts, in plain words. */
#ifndef HOOKD_LISTEN_PROBE_H
#define HOOKD_LISTEN_PROBE_H

#include <stddef.h>

/*
 * Binds each address of listen ("127.0.0.1:8443,[::1]:8443", or a bare port: every interface) and
 * lets go at once. Returns 0 when all could be bound, or -1 with err naming the first that could not
 * and why: "127.0.0.1:8443: address already in use", "0.0.0.0:443: permission denied (ports below
 * 1024 need CAP_NET_BIND_SERVICE)", "10.9.9.9:8443: cannot assign requested address (not an address
 * of this host)". Port 0 always binds.
 */
int listen_probe(const char *listen, char *err, size_t errlen);

#endif
