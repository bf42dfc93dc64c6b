/* listen_probe.c: binds each listen address once before civetweb does, to say why one cannot be used. */
#include "hooks/listen_probe.h"

#include "core/list.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* "host:port", "[v6]:port" or "port" into host (NULL: any) and port. -1 when it is none of those. */
static int split(struct slice a, char *host, size_t hn, char *port, size_t pn, int *any)
{
	const char *colon = memrchr(a.p, ':', a.n);
	*any = colon == NULL;
	const char *h = a.p, *p = colon ? colon + 1 : a.p;
	size_t hl = colon ? (size_t)(colon - a.p) : 0, pl = a.n - (size_t)(p - a.p);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
		h++, hl -= 2;
	if (hl >= hn || pl == 0 || pl >= pn)
		return -1;
	snprintf(host, hn, "%.*s", (int)hl, h);
	snprintf(port, pn, "%.*s", (int)pl, p);
	return 0;
}

static const char *why(int e)
{
	switch (e) {
	case EADDRINUSE: return "address already in use (another hookd, or another program, listens there)";
	case EACCES: return "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)";
	case EADDRNOTAVAIL: return "cannot assign requested address (not an address of this host)";
	default: return strerror(e);
	}
}

/* Binds one address; 0, or -1 with err filled. */
static int probe_one(struct slice a, char *err, size_t errlen)
{
	char host[256], port[16];
	int any;
	if (split(a, host, sizeof(host), port, sizeof(port), &any) < 0) {
		snprintf(err, errlen, "%.*s: not host:port", (int)a.n, a.p);
		return -1;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV | (any ? 0 : AI_NUMERICHOST) };
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(any ? NULL : host, port, &hints, &res);
	if (gai != 0) {
		snprintf(err, errlen, "%.*s: %s (listen takes IP addresses)", (int)a.n, a.p, gai_strerror(gai));
		return -1;
	}
	int rc = 0;
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0) {
		int e = errno;
		if (any)
			snprintf(err, errlen, "%s%s: %s", res->ai_family == AF_INET6 ? "[::]:" : "0.0.0.0:", port,
				 why(e));
		else
			snprintf(err, errlen, "%.*s: %s", (int)a.n, a.p, why(e));
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return rc;
}

int listen_probe(const char *listen, char *err, size_t errlen)
{
	const char *p = listen;
	struct slice a;
	while (list_next(&p, ", ", &a))
		if (probe_one(a, err, errlen) < 0)
			return -1;
	return 0;
}
