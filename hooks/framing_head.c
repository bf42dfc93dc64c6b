/* framing_head.c: the request head civetweb parsed in place, rebuilt for framing_check. */
#include "hooks/framing.h"

#include <civetweb.h>
#include <string.h>

/*
 * What civetweb 1.16 leaves in its request buffer (parse_http_request, parse_http_headers; pinned
 * by scripts/fetch-civetweb.sh, checked end to end by t_http_framing). The head it accepted holds
 * no NUL of its own (get_http_header_len refuses control bytes but CR and LF), so every NUL below
 * is one civetweb wrote:
 *   METHOD\0+TARGET\0+HTTP/1.1\0+ ... every whitespace byte after the version is NUL, up to the
 *                                   first field name (CRLF gives exactly 2, a folded line more)
 *   NAME\0+ OWS VALUE               \0 per space before the colon, then \0 for the colon itself,
 *                                   then the spaces after it as they were
 *   VALUE\0\0NAME                   CRLF between fields (a bare LF gives one \0)
 *   VALUE\0\0\r\0                   the end of the head after the last field it read; anything
 *                                   else there is a line it stopped at (obs-fold, ':' first)
 */

struct out {
	char *p;
	size_t n, cap;
	int full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->n) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* The line end(s) civetweb zeroed between a and b (all NUL): CRLF for two, else what shows it. */
static void put_gap(struct out *o, const char *a, const char *b)
{
	size_t k = (size_t)(b - a);
	if (k == 1) {
		puts_(o, "\n");
		return;
	}
	puts_(o, "\r\n");
	for (size_t i = 2; i < k; i++)
		puts_(o, " "); /* whitespace that civetweb folded away: framing_check sees obs-fold */
}

/* NAME, then the colon and whatever civetweb zeroed before it, then the OWS it kept. */
static void put_field(struct out *o, const struct mg_header *h)
{
	size_t nl = strlen(h->name);
	put(o, h->name, nl);
	const char *q = h->name + nl + 1;
	while (q < h->value && *q == '\0') {
		puts_(o, " ");
		q++;
	}
	puts_(o, ":");
	put(o, q, (size_t)(h->value - q));
	puts_(o, h->value);
}

/*
 * After the last field civetweb read (its value ends at e): the end of the head, or the first
 * bytes of the line it stopped at. e[0] and e[1] are the zeroed line end inside the head; e[2]
 * and e[3] are read only after a CRLF (e[1] NUL), where the head goes on to its empty line.
 * Known limit: a last field line ending in a bare LF followed by the empty line ("v\n\n") leaves
 * the same two NULs, and then e[2] is the first byte after the head: a body byte, a stale byte of
 * civetweb's buffer, or, only when such a head fills civetweb's whole 16 KiB buffer exactly, one
 * byte past it. civetweb does not publish the head's length, which would close this.
 */
static void put_tail(struct out *o, const char *e)
{
	if (e[1] != '\0') {
		puts_(o, "\n\r\n");
		return;
	}
	puts_(o, "\r\n");
	if (e[2] == '\r' && e[3] == '\0')
		puts_(o, "\r\n");
	else if (e[2] == '\0')
		puts_(o, "\n");
	else {
		put(o, e + 2, 1); /* a folded or unreadable line: framing_check names it */
		puts_(o, "x\r\n\r\n");
	}
}

size_t framing_head_rebuild(const struct mg_request_info *ri, char *buf, size_t cap)
{
	struct out o = { buf, 0, cap, 0 };
	if (!ri->request_method || !ri->request_uri || !ri->http_version)
		return 0;
	const char *version = ri->http_version - 5; /* civetweb skips "HTTP/" */
	puts_(&o, ri->request_method);
	puts_(&o, " ");
	puts_(&o, ri->request_uri);
	puts_(&o, " ");
	puts_(&o, version);
	const char *e = version + strlen(version);
	if (ri->num_headers <= 0) {
		puts_(&o, "\r\n\r\n");
		return o.full ? 0 : o.n;
	}
	for (int i = 0; i < ri->num_headers; i++) {
		put_gap(&o, e, ri->http_headers[i].name);
		put_field(&o, &ri->http_headers[i]);
		e = ri->http_headers[i].value + strlen(ri->http_headers[i].value);
	}
	if (ri->num_headers >= MG_MAX_HEADERS)
		puts_(&o, "\r\nX-Unread: civetweb holds no more\r\n\r\n");
	else
		put_tail(&o, e);
	return o.full ? 0 : o.n;
}
