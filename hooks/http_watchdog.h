/* http_watchdog.h: the body-deadline watchdog (one thread per process) for hooks/http.c and the server. */
#ifndef HOOKD_HTTP_WATCHDOG_H
#define HOOKD_HTTP_WATCHDOG_H

#include <stdint.h>

/*
 * Started by the server with one slot per request thread (and some for closing connections),
 * stopped after it. Without it a client trickling its body keeps a request thread past
 * request_timeout.
 */
void http_watchdog_start(int slots);
void http_watchdog_stop(void);

/*
 * Watches the connection (peer addr and port, our local port) until http_watch_end: once
 * deadline_ns (monotonic) passes, the socket's read side is shut, which ends a blocked read. A
 * linger watch (a closing connection) frees its slot itself when it fires; never end it. Returns
 * the slot, or -1 when the watchdog is not running or every slot is taken (the deadline is then not
 * enforced). addr is copied.
 */
int http_watch_begin(const char *addr, int peer_port, int local_port, int64_t deadline_ns, int linger);
/* Frees a slot from http_watch_begin; -1 is ignored. */
void http_watch_end(int slot);

#endif
