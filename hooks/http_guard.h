/* http_guard.h: keeps request threads for honest clients while others hold connections open. */
#ifndef HOOKD_HTTP_GUARD_H
#define HOOKD_HTTP_GUARD_H

#include <stdint.h>

/*
 * civetweb gives each connection a request thread for its whole life, so a client that holds a
 * connection and sends nothing (or a byte a second) holds a thread. The guard knows what each
 * request thread is doing (TLS handshake, waiting for a request head, reading a body, idle on
 * keep-alive) and, while few threads are free, closes the connections that are not making
 * progress: a handshake whose ClientHello has not come, a head or a body that is late, the
 * keep-alive connections idle longest. Under no pressure civetweb's own deadlines apply.
 */
struct http_guard_opts {
	int threads;	     /* civetweb's num_threads */
	int max_per_address; /* connections one client address may hold; 0: no cap */
};

/* Starts the guard's thread. Call once before the server accepts. Returns 0 or -1. */
int http_guard_start(const struct http_guard_opts *o);
void http_guard_stop(void);

/* The phases of a request thread's connection, told by the server's callbacks (same thread). */
void http_guard_handshake_start(int fd);
void http_guard_handshake_done(void);
void http_guard_request_start(void);
void http_guard_body_start(void);
void http_guard_body_end(void);
void http_guard_request_end(void);
void http_guard_closing(void);
/* The request thread ends (an idle worker retires): its slot is free for the next thread. */
void http_guard_thread_end(void);
/* Called on a request thread of another listener: the guard ignores this thread from now on. */
void http_guard_exempt_thread(void);

/* 1 while few request threads are free: answers then say Connection: close. */
int http_guard_busy(void);

/*
 * Delays accept() on the listening sockets of port until the client has sent data (Linux
 * TCP_DEFER_ACCEPT): a TCP connection that never starts TLS then costs no request thread.
 */
void http_guard_defer_accept(int port);

#endif
