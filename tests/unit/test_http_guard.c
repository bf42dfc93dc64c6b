/*
 * test_http_guard.c: the connection guard's per-thread slots outlive the threads that held them.
 * Request threads now end when idle (hooks/civetweb/on-demand-workers.patch) and new ones start, far
 * more over a process's life than the guard has slots: a thread that ends must give its slot back,
 * or every thread past the table would go unguarded (no address cap, no shedding).
 */
#include "check.h"
#include "core/metrics.h"
#include "hooks/http_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

static int listener = -1;
static struct sockaddr_in addr;

/* A loopback TCP connection: the accepted end in *srv, the client's in *cli. 0, or -1. */
static int tcp_pair(int *srv, int *cli)
{
	*cli = socket(AF_INET, SOCK_STREAM, 0);
	if (*cli < 0 || connect(*cli, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return -1;
	*srv = accept(listener, NULL, NULL);
	return *srv < 0 ? -1 : 0;
}

/* 1 when the guard shut fd down: a read on the client's end sees the end of the stream. */
static int was_shut(int cli)
{
	struct pollfd p = { .fd = cli, .events = POLLIN };
	char c;
	return poll(&p, 1, 1000) == 1 && read(cli, &c, 1) == 0;
}

struct conn_arg {
	int srv, cli, shut, hold, started;
	pthread_mutex_t *mu;
	pthread_cond_t *cv;
	int *release;
};

/* One request thread's life: a connection's handshake starts (the cap is checked), it closes, the thread ends. */
static void *request_thread(void *p)
{
	struct conn_arg *a = p;
	http_guard_handshake_start(a->srv);
	a->shut = was_shut(a->cli);
	if (a->hold) { /* the first connection stays open until told */
		pthread_mutex_lock(a->mu);
		a->started = 1; /* its handshake is counted: the others may come */
		pthread_cond_broadcast(a->cv);
		while (!*a->release)
			pthread_cond_wait(a->cv, a->mu);
		pthread_mutex_unlock(a->mu);
	}
	http_guard_closing();
	http_guard_thread_end();
	return NULL;
}

int main(void)
{
	listener = socket(AF_INET, SOCK_STREAM, 0);
	addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(addr);
	CHECK(listener >= 0 && bind(listener, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
	      listen(listener, 16) == 0 && getsockname(listener, (struct sockaddr *)&addr, &al) == 0);
	/* 64 threads: 128 slots, and threads are never short, so only the address cap shuts connections */
	struct http_guard_opts o = { .threads = 64, .max_per_address = 1 };
	CHECK(http_guard_start(&o) == 0);

	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	int release = 0;
	struct conn_arg first = { .hold = 1, .mu = &mu, .cv = &cv, .release = &release };
	pthread_t t0;
	CHECK(tcp_pair(&first.srv, &first.cli) == 0);
	CHECK(pthread_create(&t0, NULL, request_thread, &first) == 0);
	/* the first must be counted before the others start: two at once would both be over the cap */
	pthread_mutex_lock(&mu);
	while (!first.started)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);

	/* 300 threads one after another, each while the first holds 127.0.0.1's one connection: every one is capped */
	int capped = 0, failed = 0;
	for (int i = 0; i < 300; i++) {
		struct conn_arg a = { 0 };
		pthread_t t;
		if (tcp_pair(&a.srv, &a.cli) < 0 || pthread_create(&t, NULL, request_thread, &a) != 0) {
			failed++;
			continue;
		}
		pthread_join(t, NULL);
		capped += a.shut;
		close(a.srv);
		close(a.cli);
	}
	CHECK(failed == 0);
	CHECK(capped == 300);
	CHECK(metric_value(metrics_counter("hookd_http_address_cap_total", NULL, "")) == 300);

	pthread_mutex_lock(&mu);
	release = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(t0, NULL);
	CHECK(first.shut == 0); /* the first was alone on its address */
	close(first.srv);
	close(first.cli);

	/* once the first has closed too, a new thread's connection is alone again: not capped */
	struct conn_arg last = { 0 };
	pthread_t t;
	CHECK(tcp_pair(&last.srv, &last.cli) == 0 && pthread_create(&t, NULL, request_thread, &last) == 0);
	pthread_join(t, NULL);
	CHECK(last.shut == 0);
	close(last.srv);
	close(last.cli);
	http_guard_stop();
	close(listener);
	return check_report("test_http_guard");
}
