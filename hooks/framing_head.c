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
 * The head's last byte is always NUL (civetweb zeroes it before parsing). What follows the head in
 * the buffer (body bytes, stale bytes, or nothing: a head may fill the buffer exactly) is never read:
 * every look-ahead is bounded by the head's end, which civetweb_ext_head gives.
 */

/* The rebuilt head, and the head civetweb left ([lo, hi)): no read leaves it. */
struct out {
	char *p;
	size_t n, cap;
	int full, bad;
	const char *lo, *hi;
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

/* The length of the string civetweb terminated at p, inside the head; marks o bad when it is not. */
static size_t span(struct out *o, const char *p)
{
	const char *z = p && p >= o->lo && p < o->hi ? memchr(p, '\0', (size_t)(o->hi - p)) : NULL;
	if (!z) {
		o->bad = 1;
		return 0;
	}
	return (size_t)(z - p);
}

/* The line end(s) civetweb zeroed between a and b (all NUL): CRLF for two, else what shows it. */
static void put_gap(struct out *o, const char *a, const char *b)
{
	if (b <= a || b >= o->hi) {
		o->bad = 1;
		return;
	}
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
	size_t nl = span(o, h->name);
	const char *q = h->name + nl + 1;
	size_t vl = span(o, h->value);
	if (o->bad || h->value < q)
		return;
	put(o, h->name, nl);
	while (q < h->value && *q == '\0') {
		puts_(o, " ");
		q++;
	}
	puts_(o, ":");
	put(o, q, (size_t)(h->value - q));
	put(o, h->value, vl);
}

/*
 * The end of a head without field lines: civetweb zeroed every byte from the version's end (e) to
 * the head's end. Four are CRLF CRLF; fewer hold a bare LF; more, whitespace after the version.
 */
static void put_bare_end(struct out *o, const char *e)
{
	size_t k = (size_t)(o->hi - e);
	puts_(o, k == 4 ? "\r\n\r\n" : k < 4 ? "\n\n" : " \r\n\r\n");
}

/*
 * After the last field civetweb read (its value ends at e, the head at o->hi): the end of the
 * head, or the first bytes of the line civetweb stopped at. e[0] and e[1] are the zeroed line end;
 * the head's last byte is NUL too (civetweb zeroes it). "v\n\n" ends the head at e + 2;
 * "v\r\n\r\n" at e + 4 (e[2] is '\r'); "v\r\n\n" at e + 3; anything else is a line civetweb
 * stopped at (obs-fold, ':' first), whose first byte framing_check is shown.
 */
static void put_tail(struct out *o, const char *e)
{
	size_t left = e < o->hi ? (size_t)(o->hi - e) : 0;
	if (left < 2) {
		o->bad = 1;
		return;
	}
	if (e[1] != '\0') {
		puts_(o, "\n\r\n");
		return;
	}
	if (left == 2)
		puts_(o, "\n\n");
	else if (left == 4 && e[2] == '\r')
		puts_(o, "\r\n\r\n");
	else if (left == 3 && e[2] == '\0')
		puts_(o, "\r\n\n");
	else {
		puts_(o, "\r\n");
		put(o, e + 2, 1); /* a folded or unreadable line: framing_check names it */
		puts_(o, "x\r\n\r\n");
	}
}

/* A head whose pointers leave the bytes civetweb read: framing_check refuses its request line. */
static size_t finish(struct out *o)
{
	if (o->bad) {
		o->n = 0;
		o->full = 0;
		puts_(o, "\x7f\r\n\r\n");
	}
	return o->full ? 0 : o->n;
}

size_t framing_head_rebuild(const struct mg_request_info *ri, struct slice head, char *buf, size_t cap)
{
	struct out o = { buf, 0, cap, 0, 0, head.p, head.p ? head.p + head.n : NULL };
	if (!ri->request_method || !ri->request_uri || !ri->http_version || !head.p)
		return 0;
	const char *version = ri->http_version - 5; /* civetweb skips "HTTP/" */
	put(&o, ri->request_method, span(&o, ri->request_method));
	puts_(&o, " ");
	put(&o, ri->request_uri, span(&o, ri->request_uri));
	puts_(&o, " ");
	size_t vl = span(&o, version);
	put(&o, version, vl);
	const char *e = version + vl;
	if (o.bad || ri->num_headers <= 0) {
		if (!o.bad)
			put_bare_end(&o, e);
		return finish(&o);
	}
	for (int i = 0; i < ri->num_headers && !o.bad; i++) {
		put_gap(&o, e, ri->http_headers[i].name);
		put_field(&o, &ri->http_headers[i]);
		e = ri->http_headers[i].value + span(&o, ri->http_headers[i].value);
	}
	if (ri->num_headers >= MG_MAX_HEADERS)
		puts_(&o, "\r\nX-Unread: civetweb holds no more\r\n\r\n");
	else if (!o.bad)
		put_tail(&o, e);
	return finish(&o);
}
