/* http.c: request parsing (segments, query, bounded body) and every response okta-sim sends. */
#include "core/hex.h"
#include "sim/http.h"

#include <civetweb.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/sim.h"

int http_pct_decode(const char *src, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = src[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			int hi = hex_value(src[i + 1]), lo = hex_value(src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0')
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

void http_pct_encode(struct jbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~') {
			jbuf_putc(b, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			jbuf_put(b, e, 3);
		}
	}
}

static int is_api_path(const char *path)
{
	return strncmp(path, "/api/", 5) == 0 || strncmp(path, "/oauth2/", 8) == 0;
}

static int split_path(struct http_req *r)
{
	const char *p = r->path;
	size_t used = 0;
	r->nseg = 0;
	if (*p == '/')
		p++;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (r->nseg == HTTP_MAX_SEG || used + n + 1 > sizeof(r->segbuf))
			return -1;
		char *dst = r->segbuf + used;
		if (http_pct_decode(p, n, dst) < 0)
			return -1;
		r->seg[r->nseg++] = dst;
		used += strlen(dst) + 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

int http_req_init(struct http_req *r, struct mg_connection *conn, struct sim *sim)
{
	memset(r, 0, sizeof(*r));
	r->conn = conn;
	r->sim = sim;
	r->ri = mg_get_request_info(conn);
	r->method = r->ri->request_method;
	r->query = r->ri->query_string ? r->ri->query_string : "";
	sim_random_alnum(r->request_id, 20);
	const char *uri = r->ri->local_uri ? r->ri->local_uri : "/";
	if (strlen(uri) >= sizeof(r->path)) {
		snprintf(r->path, sizeof(r->path), "/");
		http_fail(r, 414, "uri_too_long", "request path exceeds 1023 bytes");
		return -1;
	}
	snprintf(r->path, sizeof(r->path), "%s", uri);
	if (split_path(r) < 0) {
		if (is_api_path(r->path))
			http_okta_error(r, 404, "E0000007", "Not found: Resource not found: path", NULL);
		else
			http_fail(r, 404, "not_found", "no such path");
		return -1;
	}
	return 0;
}

void http_req_free(struct http_req *r)
{
	free(r->body);
	r->body = NULL;
}

int http_read_body(struct http_req *r)
{
	long long cl = r->ri->content_length;
	if (cl > SIM_BODY_MAX)
		goto too_large;
	size_t cap = SIM_BODY_MAX + 1, n = 0;
	char *buf = sim_xcalloc(1, cl >= 0 ? (size_t)cl + 1 : 8192);
	size_t have = cl >= 0 ? (size_t)cl + 1 : 8192;
	for (;;) {
		if (n + 1 >= have) {
			if (have >= cap) {
				free(buf);
				goto too_large;
			}
			have = have * 2 > cap ? cap : have * 2;
			buf = sim_xrealloc(buf, have);
		}
		int got = mg_read(r->conn, buf + n, have - 1 - n);
		if (got <= 0)
			break;
		n += (size_t)got;
		if (n > SIM_BODY_MAX) {
			free(buf);
			goto too_large;
		}
	}
	buf[n] = '\0';
	r->body = buf;
	r->body_len = n;
	return 0;
too_large:
	if (is_api_path(r->path))
		http_okta_error(r, 413, "E0000003", "The request body was not well-formed.",
				"request body exceeds 1 MiB");
	else
		http_fail(r, 413, "body_too_large", "request body exceeds 1 MiB");
	return -1;
}

int http_seg_is(const struct http_req *r, int i, const char *s)
{
	return i >= 0 && i < r->nseg && strcmp(r->seg[i], s) == 0;
}

const char *http_header_in(const struct http_req *r, const char *name)
{
	return mg_get_header(r->conn, name);
}

int http_form(const char *body, size_t n, const char *name, char *out, size_t outn)
{
	if (!body)
		return 0;
	int rc = mg_get_var(body, n, name, out, outn);
	if (rc == -1)
		return 0;
	if (rc < 0)
		return -1;
	return 1;
}

int http_query(const struct http_req *r, const char *name, char *out, size_t n)
{
	return http_form(r->query, strlen(r->query), name, out, n);
}

int http_query_bool(const struct http_req *r, const char *name, int dflt, int *out)
{
	char v[16];
	int rc = http_query(r, name, v, sizeof(v));
	if (rc < 0)
		return -1;
	if (rc == 0) {
		*out = dflt;
		return 0;
	}
	if (strcasecmp(v, "true") == 0)
		*out = 1;
	else if (strcasecmp(v, "false") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

void http_add_header(struct http_req *r, const char *name, const char *value)
{
	if (r->nhdr == HTTP_MAX_HDR)
		return;
	snprintf(r->hdr[r->nhdr].name, sizeof(r->hdr[0].name), "%s", name);
	snprintf(r->hdr[r->nhdr].value, sizeof(r->hdr[0].value), "%s", value);
	r->nhdr++;
}

void http_reply(struct http_req *r, int status, const char *body, size_t n)
{
	if (r->lose_reply) {
		r->lost_status = status;
		http_drop(r);
		return;
	}
	char len[24];
	snprintf(len, sizeof(len), "%zu", n);
	mg_response_header_start(r->conn, status);
	if (n)
		mg_response_header_add(r->conn, "Content-Type", "application/json", -1);
	mg_response_header_add(r->conn, "Content-Length", len, -1);
	mg_response_header_add(r->conn, "X-Okta-Request-Id", r->request_id, -1);
	for (int i = 0; i < r->nhdr; i++)
		mg_response_header_add(r->conn, r->hdr[i].name, r->hdr[i].value, -1);
	mg_response_header_send(r->conn);
	if (n && strcmp(r->method, "HEAD") != 0)
		mg_write(r->conn, body, n);
	r->status = status;
}

void http_reply_jbuf(struct http_req *r, int status, struct jbuf *b)
{
	if (b->err) {
		jbuf_free(b);
		http_fail(r, 500, "out_of_memory", "response too large");
		return;
	}
	http_reply(r, status, b->p, b->n);
	jbuf_free(b);
}

void http_okta_error(struct http_req *r, int status, const char *code, const char *summary, const char *cause)
{
	char eid[32] = "oae";
	sim_random_alnum(eid + 3, 22);
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "errorCode", code);
	jbuf_key_str(&b, "errorSummary", summary);
	jbuf_key_str(&b, "errorLink", code);
	jbuf_key_str(&b, "errorId", eid);
	jbuf_key(&b, "errorCauses");
	jbuf_arr_open(&b);
	if (cause) {
		jbuf_elem(&b);
		jbuf_obj_open(&b);
		jbuf_key_str(&b, "errorSummary", cause);
		jbuf_obj_close(&b);
	}
	jbuf_arr_close(&b);
	jbuf_obj_close(&b);
	http_reply_jbuf(r, status, &b);
}

void http_fail(struct http_req *r, int status, const char *code, const char *message)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "error", code);
	jbuf_key_str(&b, "message", message);
	jbuf_obj_close(&b);
	http_reply_jbuf(r, status, &b);
}

void http_oauth_error(struct http_req *r, int status, const char *error, const char *desc)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "error", error);
	jbuf_key_str(&b, "error_description", desc);
	jbuf_obj_close(&b);
	http_add_header(r, "Cache-Control", "no-store");
	http_add_header(r, "Pragma", "no-cache");
	http_reply_jbuf(r, status, &b);
}

static int sock_port(int fd, int peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) : getsockname(fd, (struct sockaddr *)&ss, &len);
	if (rc != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

/*
 * civetweb has no call to abort a server connection, so the drop finds this connection's socket
 * among the process's descriptors by its (local port, peer port) pair and shuts it down; civetweb
 * then sees EOF and closes it. The client gets no response bytes at all.
 */
void http_drop(struct http_req *r)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		struct stat st;
		if (fd <= 2 || fd == dirfd(d) || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
			continue;
		if (sock_port(fd, 0) == r->ri->server_port && sock_port(fd, 1) == r->ri->remote_port) {
			shutdown(fd, SHUT_RDWR);
			break;
		}
	}
	closedir(d);
	r->status = 499;
}
