/* pg_listen.c: the LISTEN thread: new jobs from any instance (NOTIFY) wake this instance's idle workers. */
#include "store/pg_internal.h"

#include "core/clock.h"

#include <poll.h>
#include <stdio.h>
#include <unistd.h>

static int is_stopping(struct pg *p)
{
	pthread_mutex_lock(&p->mu);
	int s = p->stopping;
	pthread_mutex_unlock(&p->mu);
	return s;
}

static void notify_bump(struct pg *p)
{
	pthread_mutex_lock(&p->mu);
	p->notify_seq++;
	pthread_cond_broadcast(&p->notify_cv);
	pthread_mutex_unlock(&p->mu);
}

/* Connects and LISTENs; on failure doubles *delay_ms (capped). A new connection wakes the waiters. */
static PGconn *listener_connect(struct pg *p, int64_t *delay_ms)
{
	char err[256];
	PGconn *c = pg_connect_raw(p, err, sizeof(err));
	if (c && pg_exec_ok(c, "LISTEN " NOTIFY_CHANNEL, "listen", err, sizeof(err)) < 0) {
		PQfinish(c);
		c = NULL;
	}
	if (!c) {
		*delay_ms = *delay_ms ? *delay_ms * 2 : RECONNECT_MIN_MS;
		if (*delay_ms > RECONNECT_MAX_MS)
			*delay_ms = RECONNECT_MAX_MS;
		return NULL;
	}
	*delay_ms = 0;
	notify_bump(p); /* what was committed while we were not listening */
	return c;
}

/* Reads what arrived; 0 when the connection broke. */
static int listener_read(struct pg *p, PGconn *c)
{
	if (!PQconsumeInput(c))
		return 0;
	int got = 0;
	PGnotify *n;
	while ((n = PQnotifies(c)) != NULL) {
		got = 1;
		PQfreemem(n);
	}
	if (got)
		notify_bump(p);
	return PQstatus(c) == CONNECTION_OK;
}

/* The thread: owns its connection (none from the pool), reconnects with backoff, runs until p->stopping. */
static void *listener_main(void *arg)
{
	pthread_setname_np(pthread_self(), "hookd-pglisten");
	struct pg *p = arg;
	PGconn *c = NULL;
	int64_t delay_ms = 0;
	while (!is_stopping(p)) {
		struct pollfd fds[2] = { { .fd = -1, .events = POLLIN }, { .fd = p->wake_pipe[0], .events = POLLIN } };
		if (!c && !(c = listener_connect(p, &delay_ms))) {
			poll(&fds[1], 1, (int)delay_ms);
			continue;
		}
		fds[0].fd = PQsocket(c);
		if (poll(fds, 2, 30000) <= 0 || fds[1].revents)
			continue;
		if (!listener_read(p, c)) {
			PQfinish(c);
			c = NULL;
		}
	}
	PQfinish(c);
	return NULL;
}

/* Starts listener_main; a thread start failure is the caller's to clean up (p->listener_started stays 0). */
int pg_listen_start(struct pg *p, char *err, size_t errlen)
{
	if (pthread_create(&p->listener, NULL, listener_main, p) != 0) {
		snprintf(err, errlen, "postgres: cannot start the LISTEN thread");
		return -1;
	}
	p->listener_started = 1;
	return 0;
}

/* Wakes the thread out of its poll through the pipe, then joins it (it sees p->stopping). */
void pg_listen_stop(struct pg *p)
{
	if (!p->listener_started)
		return;
	ssize_t w = write(p->wake_pipe[1], "x", 1);
	(void)w;
	pthread_join(p->listener, NULL);
	p->listener_started = 0;
}

/* The notify_seq this thread last returned with, per backend (so a wake between waits is not lost). */
static _Thread_local const void *tl_pg;
static _Thread_local uint64_t tl_seen;

/* Blocks until notify_seq moves past what this thread last saw, the timeout, or stopping; 1 when woken. */
int pg_wait_remote(void *b, int64_t timeout_ms)
{
	struct pg *p = b;
	struct timespec ts;
	clock_mono_deadline(timeout_ms, &ts);
	pthread_mutex_lock(&p->mu);
	if (tl_pg != p) {
		tl_pg = p;
		tl_seen = p->notify_seq;
	}
	int rc = 0;
	while (p->notify_seq == tl_seen && !p->stopping && rc == 0)
		rc = pthread_cond_timedwait(&p->notify_cv, &p->mu, &ts);
	int woken = p->notify_seq != tl_seen || p->stopping;
	tl_seen = p->notify_seq;
	pthread_mutex_unlock(&p->mu);
	return woken;
}

/* Wakes every pg_wait_remote caller, as a NOTIFY would. */
void pg_wake(void *b)
{
	notify_bump(b);
}
