/* http_watchdog.c: the body-deadline watchdog: shuts the reads of connections past their deadline. */
#include "hooks/http_watchdog.h"

#include "core/clock.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * The body watchdog. civetweb's mg_read keeps reading as long as bytes keep coming, however slowly,
 * so a trickling client could hold a request thread far past any deadline. Every read of a body is
 * registered here; a thread checks the deadlines every 200 ms and shuts the reading side of an
 * overdue connection's socket, which ends the read at once (the handler then answers 408).
 */
struct watch {
	int used, fired;
	int linger; /* a closing connection: the slot is freed when it fires */
	int64_t deadline_ns;
	char addr[48];
	int peer_port, local_port;
};

/* Slots for every request thread (plus closing connections); free slots form a stack. */
static struct {
	pthread_mutex_t mu;
	struct watch *slot;
	int *free_ids;
	int nslots, nfree;
	pthread_t thread;
	atomic_int running;
	atomic_int started;
} wd = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* A socket's (local port, peer port, peer address); -1 when fd is not a connected IP socket. */
static int sock_tuple(int fd, int *lport, int *pport, char *addr, size_t addrlen)
{
	struct sockaddr_storage local, peer;
	socklen_t ll = sizeof(local), pl = sizeof(peer);
	if (getsockname(fd, (struct sockaddr *)&local, &ll) < 0 || getpeername(fd, (struct sockaddr *)&peer, &pl) < 0 ||
	    local.ss_family != peer.ss_family)
		return -1;
	if (peer.ss_family == AF_INET) {
		*lport = ntohs(((struct sockaddr_in *)&local)->sin_port);
		*pport = ntohs(((struct sockaddr_in *)&peer)->sin_port);
		inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr, addr, (socklen_t)addrlen);
		return 0;
	}
	if (peer.ss_family == AF_INET6) {
		*lport = ntohs(((struct sockaddr_in6 *)&local)->sin6_port);
		*pport = ntohs(((struct sockaddr_in6 *)&peer)->sin6_port);
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&peer)->sin6_addr, addr, (socklen_t)addrlen);
		return 0;
	}
	return -1;
}

/*
 * Shuts the read side of the sockets of the n overdue watches, found among our descriptors by
 * (local port, peer address and port). One pass over the descriptors serves every overdue watch of
 * a tick, so thousands of open connections cost one scan, not one per cut-off. Sets shut[i].
 */
static void shut_reads(const struct watch *w, int *shut, int n)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	int left = n;
	struct dirent *e;
	while (left > 0 && (e = readdir(d))) {
		int fd = atoi(e->d_name), lport, pport;
		char a[64];
		if (fd < 3 || fd == dirfd(d) || sock_tuple(fd, &lport, &pport, a, sizeof(a)) < 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (!shut[i] && lport == w[i].local_port && pport == w[i].peer_port &&
			    strcmp(a, w[i].addr) == 0) {
				shut[i] = shutdown(fd, SHUT_RD) == 0;
				left--;
				break;
			}
		}
	}
	closedir(d);
}

static void release_slot(int i)
{
	wd.slot[i].used = 0;
	wd.free_ids[wd.nfree++] = i;
}

static void *watchdog_main(void *arg)
{
	pthread_setname_np(pthread_self(), "hookd-watchdog");
	(void)arg;
	struct watch *due = calloc((size_t)wd.nslots, sizeof(*due));
	int *shut = calloc((size_t)wd.nslots, sizeof(*shut));
	if (!due || !shut) {
		log_error("body watchdog: out of memory; body deadlines are not enforced");
		free(due);
		free(shut);
		return NULL;
	}
	while (atomic_load(&wd.running)) {
		usleep(200000);
		int64_t now = clock_mono_ns();
		int n = 0;
		pthread_mutex_lock(&wd.mu);
		for (int i = 0; i < wd.nslots; i++) {
			struct watch *w = &wd.slot[i];
			if (!w->used || w->fired || now <= w->deadline_ns)
				continue;
			w->fired = 1;
			due[n++] = *w;
			if (w->linger)
				release_slot(i);
		}
		pthread_mutex_unlock(&wd.mu);
		if (n == 0)
			continue;
		memset(shut, 0, (size_t)n * sizeof(*shut));
		shut_reads(due, shut, n);
		for (int i = 0; i < n; i++)
			if (shut[i] && !due[i].linger)
				log_info("body deadline passed: connection's reads shut", "remote", due[i].addr);
	}
	free(due);
	free(shut);
	return NULL;
}

void http_watchdog_start(int slots)
{
	if (atomic_exchange(&wd.started, 1))
		return;
	wd.nslots = slots > 0 ? slots : 1;
	wd.slot = calloc((size_t)wd.nslots, sizeof(*wd.slot));
	wd.free_ids = calloc((size_t)wd.nslots, sizeof(*wd.free_ids));
	if (!wd.slot || !wd.free_ids)
		goto fail;
	wd.nfree = 0;
	for (int i = wd.nslots - 1; i >= 0; i--)
		wd.free_ids[wd.nfree++] = i;
	atomic_store(&wd.running, 1);
	if (pthread_create(&wd.thread, NULL, watchdog_main, NULL) == 0)
		return;
	atomic_store(&wd.running, 0);
fail:
	log_error("body watchdog did not start; body deadlines are not enforced");
	free(wd.slot);
	free(wd.free_ids);
	wd.slot = NULL;
	wd.free_ids = NULL;
	atomic_store(&wd.started, 0);
}

void http_watchdog_stop(void)
{
	if (!atomic_exchange(&wd.started, 0))
		return;
	atomic_store(&wd.running, 0);
	pthread_join(wd.thread, NULL);
	free(wd.slot);
	free(wd.free_ids);
	wd.slot = NULL;
	wd.free_ids = NULL;
	wd.nslots = wd.nfree = 0;
}

int http_watch_begin(const char *addr, int peer_port, int local_port, int64_t deadline_ns, int linger)
{
	if (!atomic_load(&wd.running))
		return -1;
	pthread_mutex_lock(&wd.mu);
	int slot = wd.nfree > 0 ? wd.free_ids[--wd.nfree] : -1;
	if (slot >= 0) {
		struct watch *w = &wd.slot[slot];
		w->used = 1;
		w->fired = 0;
		w->linger = linger;
		w->deadline_ns = deadline_ns;
		snprintf(w->addr, sizeof(w->addr), "%s", addr);
		w->peer_port = peer_port;
		w->local_port = local_port;
	}
	pthread_mutex_unlock(&wd.mu);
	if (slot < 0)
		log_warn("body watchdog: every slot is taken; this body's deadline is not enforced");
	return slot;
}

void http_watch_end(int slot)
{
	if (slot < 0)
		return;
	pthread_mutex_lock(&wd.mu);
	if (wd.slot && wd.slot[slot].used)
		release_slot(slot);
	pthread_mutex_unlock(&wd.mu);
}
