/* loadgen.c: an open-loop (constant-rate) or closed-loop HTTPS/1.1 keep-alive load client for Okta deliveries. */
/*
 * Build: cc -O2 -o loadgen tests/drills/loadgen.c -lssl -lcrypto
 *
 * Each request POSTs the delivery template with every occurrence of --uuid-token (the sample's event
 * uuid) and --id-token (its eventId) replaced by a fresh uuid, so every request is a new event
 * (--dup keeps the template as is: every request after the first is a duplicate).
 *
 * With --rate R, request i is due at t0 + i/R whatever happened before (open loop); its latency is
 * measured from that due time, so a stalled server shows up in the percentiles (no coordinated
 * omission). Without --rate, every connection sends its next request as soon as the previous answer
 * arrived (closed loop). --log FILE writes "uuid status" per finished request (status 0: no answer,
 * the connection failed), which the drills compare with the journal. --reconnect keeps going when the
 * server goes away (crash drills); connection failures are counted, not fatal.
 *
 * The summary is one JSON object on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum cstate {
	C_DOWN,
	C_CONNECTING,
	C_HANDSHAKE,
	C_IDLE,
	C_WRITING,
	C_READING,
};

struct conn {
	int fd;
	SSL *ssl;
	enum cstate st;
	char *req;
	size_t req_len, req_off;
	char rbuf[65536];
	size_t rlen;
	int64_t due_ns;
	char uuid[40];
	int64_t retry_at_ns;
};

static struct {
	const char *host, *path, *auth, *ctype, *body_file, *log_file, *uuid_token, *id_token, *method;
	int port, conns, dup, reconnect, verbose, new_conn, close_hdr;
	double rate, duration;
	long long max_requests;
} opt;

static SSL_CTX *ctx;
static char *tmpl;
static size_t tmpl_len;
static int epfd;
static FILE *logf;
static int64_t t0;
static long long handshakes, unsent, issued, finished, ok2xx, conn_errors, idle_closed, by_status[600];
static int64_t *lat;
static size_t nlat, caplat;
static uint32_t run_id;
static volatile sig_atomic_t stop_now;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_now = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: loadgen --port P --body FILE --auth SECRET [--host H] [--path /hooks/okta]\n"
		"  [--connections C] [--rate R] [--duration S | --requests N] [--dup] [--log FILE]\n"
		"  [--reconnect] [--content-type T] [--method M] [--new-conn]\n"
		"  [--connection-close]\n"
		"  --method GET needs no --body; --new-conn: the client closes after each answer, so every\n"
		"  request pays a full TLS handshake (no resumption), and opens its connection only once the request\n"
		"  is due (its latency includes the handshake); --connection-close: ask the server to close\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	opt.host = "127.0.0.1";
	opt.path = "/hooks/okta";
	opt.ctype = "application/json";
	opt.method = "POST";
	opt.conns = 16;
	opt.duration = 10;
	opt.uuid_token = "f1d0b993-cc19-11ed-a688-db22c99ef6c4";
	opt.id_token = "85b60edb-4263-4e13-993b-818e26201052";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (strcmp(a, name) == 0 && v && ++i)
		if (ARG("--host"))
			opt.host = v;
		else if (ARG("--port"))
			opt.port = atoi(v);
		else if (ARG("--path"))
			opt.path = v;
		else if (ARG("--auth"))
			opt.auth = v;
		else if (ARG("--body"))
			opt.body_file = v;
		else if (ARG("--content-type"))
			opt.ctype = v;
		else if (ARG("--method"))
			opt.method = v;
		else if (ARG("--connections"))
			opt.conns = atoi(v);
		else if (ARG("--rate"))
			opt.rate = atof(v);
		else if (ARG("--duration"))
			opt.duration = atof(v);
		else if (ARG("--requests"))
			opt.max_requests = atoll(v);
		else if (ARG("--log"))
			opt.log_file = v;
		else if (ARG("--uuid-token"))
			opt.uuid_token = v;
		else if (ARG("--id-token"))
			opt.id_token = v;
		else if (strcmp(a, "--dup") == 0)
			opt.dup = 1;
		else if (strcmp(a, "--reconnect") == 0)
			opt.reconnect = 1;
		else if (strcmp(a, "--new-conn") == 0)
			opt.new_conn = 1;
		else if (strcmp(a, "--connection-close") == 0)
			opt.close_hdr = 1;
		else if (strcmp(a, "-v") == 0)
			opt.verbose = 1;
		else
			usage();
#undef ARG
	}
	if (!opt.port || (!opt.body_file && strcmp(opt.method, "GET") != 0) || opt.conns < 1 || opt.conns > 100000)
		usage();
}

static void load_template(void)
{
	if (!opt.body_file) {
		tmpl = calloc(1, 1);
		return;
	}
	FILE *f = fopen(opt.body_file, "rb");
	if (!f) {
		perror(opt.body_file);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	tmpl = malloc((size_t)n + 1);
	if (!tmpl || fread(tmpl, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "cannot read %s\n", opt.body_file);
		exit(2);
	}
	tmpl[n] = 0;
	tmpl_len = (size_t)n;
	fclose(f);
}

static void replace_all(char *buf, size_t n, const char *tok, const char *with)
{
	size_t tl = strlen(tok);
	if (strlen(with) != tl)
		return;
	for (char *p = memmem(buf, n, tok, tl); p; p = memmem(p + tl, n - (size_t)(p + tl - buf), tok, tl))
		memcpy(p, with, tl);
}

/* Builds the next request into c->req; c->uuid names the event it carries. */
static void build_request(struct conn *c)
{
	unsigned long long seq = (unsigned long long)issued;
	snprintf(c->uuid, sizeof(c->uuid), "%08x-%04x-4%03x-8%03x-%012llx", run_id, (unsigned)(seq >> 48) & 0xffff,
		 (unsigned)(seq >> 36) & 0xfff, (unsigned)(seq >> 24) & 0xfff, seq & 0xffffffffffffULL);
	char hdr[1024], ct[300] = "";
	if (opt.body_file)
		snprintf(ct, sizeof(ct), "Content-Type: %s\r\nContent-Length: %zu\r\n", opt.ctype, tmpl_len);
	int hn = snprintf(hdr, sizeof(hdr), "%s %s HTTP/1.1\r\nHost: %s:%d\r\n%s%s%s%s%s\r\n", opt.method, opt.path,
			  opt.host, opt.port, opt.auth ? "Authorization: " : "", opt.auth ? opt.auth : "",
			  opt.auth ? "\r\n" : "", opt.close_hdr ? "Connection: close\r\n" : "", ct);
	free(c->req);
	c->req = malloc((size_t)hn + tmpl_len);
	memcpy(c->req, hdr, (size_t)hn);
	memcpy(c->req + hn, tmpl, tmpl_len);
	if (!opt.dup) {
		replace_all(c->req + hn, tmpl_len, opt.uuid_token, c->uuid);
		char eid[40];
		snprintf(eid, sizeof(eid), "e%07x-%04x-4%03x-8%03x-%012llx", run_id & 0xfffffff,
			 (unsigned)(seq >> 48) & 0xffff, (unsigned)(seq >> 36) & 0xfff, (unsigned)(seq >> 24) & 0xfff,
			 seq & 0xffffffffffffULL);
		replace_all(c->req + hn, tmpl_len, opt.id_token, eid);
	} else {
		snprintf(c->uuid, sizeof(c->uuid), "%s", opt.uuid_token);
	}
	c->req_len = (size_t)hn + tmpl_len;
	c->req_off = 0;
	c->rlen = 0;
}

static void record(struct conn *c, int status)
{
	finished++;
	if (status >= 100 && status < 600)
		by_status[status]++;
	if (status >= 200 && status < 300)
		ok2xx++;
	if (logf)
		fprintf(logf, "%s %d\n", c->uuid, status);
	if (status > 0) {
		if (nlat == caplat) {
			caplat = caplat ? caplat * 2 : 65536;
			lat = realloc(lat, caplat * sizeof(*lat));
		}
		lat[nlat++] = now_ns() - c->due_ns;
	}
}

static void watch(struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void conn_close(struct conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->st = C_DOWN;
}

static void conn_fail(struct conn *c, const char *why)
{
	int busy = c->st == C_WRITING || c->st == C_READING;
	if (opt.verbose)
		fprintf(stderr, "loadgen: connection failed: %s\n", why);
	conn_errors++;
	if (busy)
		record(c, 0);
	conn_close(c);
	c->retry_at_ns = now_ns() + 20000000; /* 20 ms */
	if (!opt.reconnect) {
		fprintf(stderr, "loadgen: connection failed (%s); use --reconnect to keep going\n", why);
		stop_now = 1;
	}
}

static void conn_open(struct conn *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port) };
	inet_pton(AF_INET, opt.host, &sa.sin_addr);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->st = C_CONNECTING;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		conn_fail(c, strerror(errno));
		return;
	}
	watch(c, EPOLLOUT);
}

static void conn_handshake(struct conn *c)
{
	if (!c->ssl) {
		int err = 0;
		socklen_t el = sizeof(err);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			conn_fail(c, strerror(err));
			return;
		}
		c->ssl = SSL_new(ctx);
		SSL_set_fd(c->ssl, c->fd);
		SSL_set_tlsext_host_name(c->ssl, "localhost");
		c->st = C_HANDSHAKE;
	}
	int r = SSL_connect(c->ssl);
	if (r == 1) {
		c->st = C_IDLE;
		watch(c, EPOLLIN); /* notices a server close while idle */
		return;
	}
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ)
		watch(c, EPOLLIN);
	else if (e == SSL_ERROR_WANT_WRITE)
		watch(c, EPOLLOUT);
	else
		conn_fail(c, "TLS handshake failed");
}

static void conn_start(struct conn *c, int64_t due)
{
	build_request(c);
	issued++;
	c->due_ns = due;
	c->st = C_WRITING;
}

static void conn_write(struct conn *c)
{
	while (c->req_off < c->req_len) {
		int r = SSL_write(c->ssl, c->req + c->req_off, (int)(c->req_len - c->req_off));
		if (r > 0) {
			c->req_off += (size_t)r;
			continue;
		}
		int e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_WRITE) {
			watch(c, EPOLLOUT);
			return;
		}
		if (e == SSL_ERROR_WANT_READ) {
			watch(c, EPOLLIN);
			return;
		}
		conn_fail(c, "write failed");
		return;
	}
	c->st = C_READING;
	watch(c, EPOLLIN);
}

/* Returns the status when a whole response is in rbuf, 0 when more is needed, -1 when it is garbage. */
static int parse_response(struct conn *c, int *close_after)
{
	c->rbuf[c->rlen] = 0;
	char *end = strstr(c->rbuf, "\r\n\r\n");
	if (!end)
		return c->rlen >= sizeof(c->rbuf) - 1 ? -1 : 0;
	int status = 0;
	if (sscanf(c->rbuf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	long long clen = -1;
	int chunked = 0;
	*close_after = 0;
	for (char *l = strstr(c->rbuf, "\r\n") + 2; l < end; l = strstr(l, "\r\n") + 2) {
		if (strncasecmp(l, "Content-Length:", 15) == 0)
			clen = atoll(l + 15);
		else if (strncasecmp(l, "Transfer-Encoding:", 18) == 0 && strcasestr(l, "chunked"))
			chunked = 1;
		else if (strncasecmp(l, "Connection:", 11) == 0 && strcasestr(l, "close") &&
			 strcasestr(l, "close") < strstr(l, "\r\n"))
			*close_after = 1;
	}
	size_t hlen = (size_t)(end + 4 - c->rbuf);
	if (chunked)
		return memmem(c->rbuf + hlen, c->rlen - hlen, "0\r\n\r\n", 5) ? status : 0;
	if (clen < 0)
		clen = 0;
	return c->rlen >= hlen + (size_t)clen ? status : 0;
}

static void conn_read(struct conn *c)
{
	int eof = 0;
	for (;;) {
		if (c->rlen >= sizeof(c->rbuf) - 1) {
			conn_fail(c, "response too large");
			return;
		}
		int r = SSL_read(c->ssl, c->rbuf + c->rlen, (int)(sizeof(c->rbuf) - 1 - c->rlen));
		if (r > 0) {
			c->rlen += (size_t)r;
			continue;
		}
		int e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			break;
		if (e == SSL_ERROR_WANT_WRITE) {
			watch(c, EPOLLOUT);
			return;
		}
		if (c->st == C_IDLE) { /* the server closed an idle keep-alive connection */
			idle_closed++;
			conn_close(c);
			c->retry_at_ns = 0;
			return;
		}
		if (opt.verbose && c->st == C_READING)
			fprintf(stderr, "loadgen: read end: ssl error %d, errno %d (%s), %zu bytes\n", e, errno,
				strerror(errno), c->rlen);
		eof = 1;
		break;
	}
	if (c->st != C_READING) {
		c->rlen = 0;
		return;
	}
	int close_after = 0;
	int status = parse_response(c, &close_after);
	if (status < 0) {
		conn_fail(c, "unparsable answer");
		return;
	}
	if (status == 0) {
		if (eof) {
			if (opt.verbose)
				fprintf(stderr, "loadgen: eof after %zu bytes: %.60s\n", c->rlen, c->rbuf);
			conn_fail(c, "connection closed before the answer");
		}
		return;
	}
	if (eof)
		close_after = 1;
	record(c, status);
	c->rlen = 0;
	if (close_after || opt.new_conn) {
		conn_close(c);
		handshakes++;
		c->retry_at_ns = 0;
	} else {
		c->st = C_IDLE;
	}
}

static void conn_event(struct conn *c)
{
	switch (c->st) {
	case C_CONNECTING:
	case C_HANDSHAKE: conn_handshake(c); break;
	case C_WRITING: conn_write(c); break;
	case C_READING:
	case C_IDLE: conn_read(c); break;
	default: break;
	}
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(double p)
{
	if (!nlat)
		return 0;
	size_t i = (size_t)(p / 100.0 * (double)(nlat - 1) + 0.5);
	return (double)lat[i] / 1e6;
}

static void summary(int64_t elapsed)
{
	qsort(lat, nlat, sizeof(*lat), cmp64);
	double secs = (double)elapsed / 1e9;
	printf("{\"requests\":%lld,\"answered\":%zu,\"ok_2xx\":%lld,\"conn_errors\":%lld,\"seconds\":%.3f,"
	       "\"rate\":%.1f,\"target_rate\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
	       "\"max_ms\":%.3f,\"unsent\":%lld,\"closed_after_answer\":%lld,\"closed_while_idle\":%lld,\"status\":{",
	       finished, nlat, ok2xx, conn_errors, secs, secs > 0 ? (double)nlat / secs : 0, opt.rate, pct(50), pct(90),
	       pct(99), pct(99.9), nlat ? (double)lat[nlat - 1] / 1e6 : 0, unsent, handshakes, idle_closed);
	int first = 1;
	for (int s = 100; s < 600; s++)
		if (by_status[s]) {
			printf("%s\"%d\":%lld", first ? "" : ",", s, by_status[s]);
			first = 0;
		}
	printf("}}\n");
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	load_template();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	RAND_bytes((unsigned char *)&run_id, sizeof(run_id));
	if (opt.log_file && !(logf = fopen(opt.log_file, "w"))) {
		perror(opt.log_file);
		return 2;
	}
	if (logf)
		setvbuf(logf, NULL, _IOLBF, 0);
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	epfd = epoll_create1(0);
	struct conn *cs = calloc((size_t)opt.conns, sizeof(*cs));
	/*
	 * With --rate, a connection is (re)opened only for a request that is due, as a webhook sender
	 * does: one opened ahead and left idle after its handshake is what a hostile idle-TLS client
	 * looks like, and hookd rightly sheds it while threads run low, racing the request sent on it
	 * (1 failed of 420 in the hostile drill's connect-flood). Only a keep-alive pool opens first.
	 */
	for (int i = 0; i < opt.conns; i++) {
		cs[i].fd = -1;
		if (opt.rate <= 0 || !opt.new_conn)
			conn_open(&cs[i]);
	}
	t0 = now_ns();
	int64_t end = opt.max_requests ? INT64_MAX : t0 + (int64_t)(opt.duration * 1e9);
	long long pending = 0; /* open loop: due requests not yet on a connection */
	int64_t next_due = t0;
	struct epoll_event evs[256];
	while (!stop_now) {
		int64_t now = now_ns();
		int done_issuing = now >= end || (opt.max_requests && issued + pending >= opt.max_requests);
		if (now >= end && pending) { /* due but never sent: the server could not keep up */
			unsent += pending;
			pending = 0;
		}
		if (!done_issuing && opt.rate > 0) {
			while (next_due <= now && (!opt.max_requests || issued + pending < opt.max_requests)) {
				pending++;
				next_due = t0 + (int64_t)((double)(issued + pending) * 1e9 / opt.rate);
			}
		}
		int busy = 0, spare = 0; /* spare: connections opening or idle, each takes one due request */
		for (int i = 0; i < opt.conns; i++)
			spare += cs[i].st == C_CONNECTING || cs[i].st == C_HANDSHAKE || cs[i].st == C_IDLE;
		for (int i = 0; i < opt.conns; i++) {
			struct conn *c = &cs[i];
			if (c->st == C_DOWN && now >= c->retry_at_ns && !(done_issuing && !pending) &&
			    (opt.rate <= 0 || pending > spare)) {
				conn_open(c);
				spare++;
			}
			if (opt.max_requests && issued >= opt.max_requests)
				done_issuing = 1;
			if (c->st == C_IDLE && !done_issuing) {
				if (opt.rate > 0 && pending > 0) {
					int64_t due = t0 + (int64_t)((double)issued * 1e9 / opt.rate);
					pending--;
					conn_start(c, due);
					conn_write(c);
				} else if (opt.rate <= 0) {
					conn_start(c, now);
					conn_write(c);
				}
			} else if (c->st == C_IDLE && pending > 0) {
				int64_t due = t0 + (int64_t)((double)issued * 1e9 / opt.rate);
				pending--;
				conn_start(c, due);
				conn_write(c);
			}
			busy += c->st == C_WRITING || c->st == C_READING;
		}
		if (done_issuing && !busy && !pending)
			break;
		int timeout = 1;
		if (opt.rate <= 0 && !done_issuing)
			timeout = 10;
		int n = epoll_wait(epfd, evs, 256, timeout);
		for (int i = 0; i < n; i++)
			conn_event(evs[i].data.ptr);
	}
	int64_t elapsed = now_ns() - t0;
	if (stop_now)
		for (int i = 0; i < opt.conns; i++)
			if (cs[i].st == C_WRITING || cs[i].st == C_READING)
				record(&cs[i], 0);
	summary(elapsed);
	if (logf)
		fclose(logf);
	return 0;
}
