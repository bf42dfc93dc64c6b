/* http_guard.c: sheds connections that hold request threads without progress while threads run low. */
#include "hooks/http_guard.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum phase { FREE, HANDSHAKE, WAIT_HEAD, REQUEST, BODY, IDLE, NPHASES };

static const char *const phase_names[NPHASES] = { "free", "handshake", "head", "request", "body", "keepalive" };

/*
 * How long a phase may last while threads run low: base ms plus that many of the connection's own
 * round trips (the kernel's estimate, TCP_INFO): a handshake is 1-2 round trips, a TLS 1.2
 * client's request comes one round trip after it, a TLS 1.3 client's with its Finished, a small
 * body with its head. A far client keeps its time; a trickle, wherever it comes from, does not.
 * base 0: never cut for its age (a request being answered).
 */
static const int64_t busy_base_ms[NPHASES] = { 0, 200, 30, 0, 50, 0 };
/* Idle keep-alive connections are closed longest-idle first, only as many as threads are short. */
#define IDLE_MIN_MS 100
static const int64_t busy_rtts[NPHASES] = { 0, 4, 3, 0, 3, 0 };

/* What the guard knows of one request thread's connection; mu orders the cut against the close. */
struct slot {
	pthread_mutex_t mu;
	int fd;
	_Atomic int shut;
	_Atomic int phase;
	_Atomic int64_t since_ns;
	char addr[48];
};

static struct {
	struct slot *slot;
	int nslots, threads, reserve, per_address;
	atomic_int next, active, running;
	/* slots of request threads that ended (idle workers retire), taken before new ones */
	pthread_mutex_t free_mu;
	int *free_slot, nfree;
	pthread_t thread;
	struct metric *shed[NPHASES], *capped;
} g;

static _Thread_local struct slot *mine;
static _Thread_local int mine_tried;

/*
 * This thread's slot, taken at its first connection: one an ended thread left, else the next
 * never used; NULL past the table (then it is not guarded).
 */
static struct slot *my_slot(void)
{
	if (!mine && !mine_tried && g.slot) {
		mine_tried = 1;
		int i = -1;
		pthread_mutex_lock(&g.free_mu);
		if (g.nfree > 0)
			i = g.free_slot[--g.nfree];
		pthread_mutex_unlock(&g.free_mu);
		if (i < 0)
			i = atomic_fetch_add(&g.next, 1);
		if (i < g.nslots)
			mine = &g.slot[i];
	}
	return mine;
}

static void enter(enum phase p)
{
	struct slot *s = my_slot();
	if (!s)
		return;
	atomic_store(&s->since_ns, clock_mono_ns());
	atomic_store(&s->phase, p);
}

void http_guard_thread_end(void)
{
	if (!mine)
		return;
	http_guard_closing();
	pthread_mutex_lock(&g.free_mu);
	g.free_slot[g.nfree++] = (int)(mine - g.slot);
	pthread_mutex_unlock(&g.free_mu);
	mine = NULL;
	mine_tried = 0;
}

void http_guard_exempt_thread(void)
{
	mine = NULL;
	mine_tried = 1;
}

int http_guard_busy(void)
{
	return g.slot && g.threads - atomic_load(&g.active) < g.reserve;
}

static void peer_of(int fd, char *out, size_t n)
{
	struct sockaddr_storage a;
	socklen_t al = sizeof(a);
	out[0] = '\0';
	if (getpeername(fd, (struct sockaddr *)&a, &al) < 0)
		return;
	if (a.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&a)->sin_addr, out, (socklen_t)n);
	else if (a.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&a)->sin6_addr, out, (socklen_t)n);
}

/* Connections this address holds now (other than s). */
static int held_by(const char *addr, const struct slot *s)
{
	int n = 0;
	for (int i = 0; i < g.nslots; i++)
		if (&g.slot[i] != s && atomic_load(&g.slot[i].phase) != FREE && strcmp(g.slot[i].addr, addr) == 0)
			n++;
	return n;
}

/* The connection's smoothed round-trip time in ns (0 when the kernel has none). */
static int64_t rtt_ns(int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0)
		return 0;
	return (int64_t)ti.tcpi_rtt * 1000;
}

void http_guard_handshake_start(int fd)
{
	struct slot *s = my_slot();
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->fd = fd;
	s->shut = 0;
	if (g.per_address)
		peer_of(fd, s->addr, sizeof(s->addr));
	pthread_mutex_unlock(&s->mu);
	atomic_fetch_add(&g.active, 1);
	enter(HANDSHAKE);
	/* Over the cap of its address, or silent while threads run low: closed before any handshake work. */
	if (g.per_address && s->addr[0] && held_by(s->addr, s) >= g.per_address) {
		metric_add(g.capped, 1);
		shutdown(fd, SHUT_RDWR);
		return;
	}
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (http_guard_busy() && poll(&p, 1, (int)(50 + 4 * rtt_ns(fd) / 1000000)) == 0) {
		metric_add(g.shed[HANDSHAKE], 1);
		shutdown(fd, SHUT_RDWR);
	}
}

void http_guard_handshake_done(void)
{
	enter(WAIT_HEAD);
}

void http_guard_request_start(void)
{
	enter(REQUEST);
}

void http_guard_body_start(void)
{
	enter(BODY);
}

void http_guard_body_end(void)
{
	enter(REQUEST);
}

void http_guard_request_end(void)
{
	enter(IDLE);
}

void http_guard_closing(void)
{
	struct slot *s = my_slot();
	if (!s || atomic_load(&s->phase) == FREE)
		return;
	pthread_mutex_lock(&s->mu);
	atomic_store(&s->phase, FREE);
	s->fd = -1;
	s->addr[0] = '\0';
	pthread_mutex_unlock(&s->mu);
	atomic_fetch_sub(&g.active, 1);
}

/* Bytes the client sent that hookd has not read yet: then hookd is the slow one, not the client. */
static int unread(int fd)
{
	int n = 0;
	return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

/*
 * Shuts s's socket when its phase has lasted past its limit and nothing it sent is waiting to be
 * read. Under s->mu: the fd is still s's.
 */
static void maybe_cut(struct slot *s, int64_t now)
{
	int p = atomic_load(&s->phase);
	int64_t age = now - atomic_load(&s->since_ns);
	if (!busy_base_ms[p] || age < busy_base_ms[p] * 1000000)
		return;
	pthread_mutex_lock(&s->mu);
	if (atomic_load(&s->phase) == p && s->fd >= 0 && !s->shut && !unread(s->fd) &&
	    age >= busy_base_ms[p] * 1000000 + busy_rtts[p] * rtt_ns(s->fd)) {
		shutdown(s->fd, SHUT_RDWR);
		s->shut = 1;
		metric_add(g.shed[p], 1);
	}
	pthread_mutex_unlock(&s->mu);
}

/* Closes the `need` connections idle on keep-alive longest (at least IDLE_MIN_MS). */
static void cut_idle(int n, int need, int64_t now)
{
	while (need-- > 0) {
		struct slot *oldest = NULL;
		int64_t age = IDLE_MIN_MS * 1000000LL;
		for (int i = 0; i < n; i++) {
			struct slot *s = &g.slot[i];
			int64_t a = now - atomic_load(&s->since_ns);
			if (atomic_load(&s->phase) == IDLE && !s->shut && a >= age) {
				oldest = s;
				age = a;
			}
		}
		if (!oldest)
			return;
		pthread_mutex_lock(&oldest->mu);
		if (atomic_load(&oldest->phase) == IDLE && oldest->fd >= 0 && !oldest->shut) {
			shutdown(oldest->fd, SHUT_RDWR);
			oldest->shut = 1;
			metric_add(g.shed[IDLE], 1);
		}
		pthread_mutex_unlock(&oldest->mu);
	}
}

static void *guard_main(void *arg)
{
	pthread_setname_np(pthread_self(), "hookd-guard");
	(void)arg;
	struct timespec tick = { 0, 10 * 1000000L };
	while (atomic_load(&g.running)) {
		nanosleep(&tick, NULL);
		if (!http_guard_busy())
			continue;
		int64_t now = clock_mono_ns();
		int n = atomic_load(&g.next);
		if (n > g.nslots)
			n = g.nslots;
		for (int i = 0; i < n; i++)
			maybe_cut(&g.slot[i], now);
		cut_idle(n, g.reserve - (g.threads - atomic_load(&g.active)), now);
	}
	return NULL;
}

int http_guard_start(const struct http_guard_opts *o)
{
	g.threads = o->threads;
	g.reserve = o->threads / 8 > 2 ? o->threads / 8 : 2;
	g.per_address = o->max_per_address;
	g.nslots = o->threads + 64;
	g.slot = calloc((size_t)g.nslots, sizeof(*g.slot));
	g.free_slot = calloc((size_t)g.nslots, sizeof(*g.free_slot));
	if (!g.slot || !g.free_slot) {
		free(g.slot);
		free(g.free_slot);
		g.slot = NULL;
		g.free_slot = NULL;
		return -1;
	}
	g.nfree = 0;
	pthread_mutex_init(&g.free_mu, NULL);
	for (int i = 0; i < g.nslots; i++) {
		pthread_mutex_init(&g.slot[i].mu, NULL);
		g.slot[i].fd = -1;
	}
	for (int p = HANDSHAKE; p < NPHASES; p++) {
		char labels[32];
		snprintf(labels, sizeof(labels), "phase=\"%s\"", phase_names[p]);
		g.shed[p] =
			metrics_counter("hookd_http_shed_total", labels,
					"Connections closed while request threads ran low, by what they were doing");
	}
	g.capped = metrics_counter("hookd_http_address_cap_total", NULL,
				   "Connections closed because their address held max_conns_per_address");
	atomic_store(&g.running, 1);
	if (pthread_create(&g.thread, NULL, guard_main, NULL) != 0) {
		atomic_store(&g.running, 0);
		return -1;
	}
	return 0;
}

void http_guard_stop(void)
{
	if (atomic_exchange(&g.running, 0))
		pthread_join(g.thread, NULL);
	for (int i = 0; g.slot && i < g.nslots; i++)
		pthread_mutex_destroy(&g.slot[i].mu);
	if (g.slot)
		pthread_mutex_destroy(&g.free_mu);
	free(g.slot);
	free(g.free_slot);
	g.slot = NULL;
	g.free_slot = NULL;
	g.nslots = 0;
}

void http_guard_defer_accept(int port)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name), listening = 0;
		socklen_t l = sizeof(listening);
		struct sockaddr_storage a;
		socklen_t al = sizeof(a);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &l) < 0 || !listening ||
		    getsockname(fd, (struct sockaddr *)&a, &al) < 0)
			continue;
		int p = a.ss_family == AF_INET	  ? ntohs(((struct sockaddr_in *)&a)->sin_port)
			: a.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&a)->sin6_port)
						  : -1;
		int secs = 10;
		if (p == port && setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs)) < 0)
			log_warn("cannot set TCP_DEFER_ACCEPT on a listener");
	}
	closedir(d);
}
