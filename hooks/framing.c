/* framing.c: strict RFC 9112 checks of a request head (message framing, field syntax, Expect). */
#include "hooks/framing.h"

#include "core/slice.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Fields a sender may repeat (list-valued, RFC 9110 5.3); every other name may appear once. */
static const char *const list_fields[] = {
	"accept",
	"accept-charset",
	"accept-encoding",
	"accept-language",
	"cache-control",
	"connection",
	"cookie",
	"forwarded",
	"pragma",
	"te",
	"trailer",
	"transfer-encoding",
	"upgrade",
	"via",
	"warning",
	"x-forwarded-for",
	"x-forwarded-proto",
	"x-forwarded-host",
	"x-forwarded-port",
	NULL,
};

struct field {
	struct slice name, value;
};

/* The head being read: fields seen so far and what they say about the body. */
struct head {
	const struct framing_rules *r;
	struct framing_verdict *v;
	struct field f[FRAMING_MAX_HEADERS + 1];
	size_t nf;
	int hosts, has_cl, has_te, te_chunked_last, te_other, te_chunked_count;
};

static int refuse(struct framing_verdict *v, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse(struct framing_verdict *v, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
	v->status = status;
	v->code = code;
	return -1;
}

/* tchar of RFC 9110 5.6.2. */
static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int name_is(struct slice s, const char *name)
{
	return strlen(name) == s.n && strncasecmp(s.p, name, s.n) == 0;
}

static int name_in(struct slice s, const char *const *names)
{
	for (size_t i = 0; names && names[i]; i++)
		if (name_is(s, names[i]))
			return 1;
	return 0;
}

/* Length of the line end at p[i]: 2 for CRLF, 0 when there is none; a bare LF is -1. */
static int line_end(const char *p, size_t n, size_t i)
{
	if (i < n && p[i] == '\n')
		return -1;
	return i + 1 < n && p[i] == '\r' && p[i + 1] == '\n' ? 2 : 0;
}

static int check_target(struct slice method, struct slice t, struct framing_verdict *v)
{
	if (t.p[0] == '/')
		return 0;
	if (t.n == 1 && t.p[0] == '*' && name_is(method, "OPTIONS"))
		return 0;
	if ((t.n > 8 && strncasecmp(t.p, "https://", 8) == 0) || (t.n > 7 && strncasecmp(t.p, "http://", 7) == 0)) {
		v->absolute_form = 1;
		return 0;
	}
	return refuse(v, 400, "bad_target", "the request target is not a path or an absolute http(s) URL");
}

/* method SP request-target SP HTTP-version CRLF; *at is left after the CRLF. */
static int request_line(const char *p, size_t n, size_t *at, struct framing_verdict *v)
{
	size_t i = 0;
	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	struct slice method = { p, i };
	if (!i || i >= n || p[i] != ' ')
		return refuse(v, 400, "bad_request_line", "the request line is not METHOD SP TARGET SP VERSION");
	size_t t0 = ++i;
	while (i < n && (unsigned char)p[i] > ' ' && p[i] != 0x7f)
		i++;
	struct slice target = { p + t0, i - t0 };
	if (!target.n || i >= n || p[i] != ' ')
		return refuse(v, 400, "bad_request_line", "the request line is not METHOD SP TARGET SP VERSION");
	i++;
	if (n - i < 8 || memcmp(p + i, "HTTP/1.", 7) != 0 || p[i + 7] < '0' || p[i + 7] > '9') {
		if (n - i >= 8 && memcmp(p + i, "HTTP/", 5) == 0)
			return refuse(v, 505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");
		return refuse(v, 400, "bad_request_line", "the request line does not end in HTTP/1.x");
	}
	if (p[i + 7] != '0' && p[i + 7] != '1')
		return refuse(v, 505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");
	v->http11 = p[i + 7] == '1';
	i += 8;
	int e = line_end(p, n, i);
	if (e <= 0)
		return refuse(v, 400, e < 0 ? "bare_lf" : "bad_request_line",
			      e < 0 ? "lines must end in CRLF" : "the request line does not end in HTTP/1.x CRLF");
	*at = i + 2;
	return check_target(method, target, v);
}

/* One field line at p[*at]: name ":" OWS value OWS CRLF. Returns 1 with *f, 0 at the empty line. */
static int field_line(const char *p, size_t n, size_t *at, struct field *f, struct framing_verdict *v)
{
	size_t i = *at;
	int e = line_end(p, n, i);
	if (e)
		return e < 0 ? refuse(v, 400, "bare_lf", "lines must end in CRLF") : (*at = i + 2, 0);
	if (i >= n)
		return refuse(v, 400, "unterminated_head", "the header block has no empty line");
	if (is_ows((unsigned char)p[i]))
		return refuse(v, 400, "obs_fold", "a header line continues the previous one (obs-fold)");
	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	f->name = (struct slice){ p + *at, i - *at };
	if (i < n && is_ows((unsigned char)p[i]) && f->name.n)
		return refuse(v, 400, "space_before_colon", "whitespace between a header name and its colon");
	if (!f->name.n || i >= n || p[i] != ':')
		return refuse(v, 400, "bad_header", "a header line is not NAME: VALUE");
	i++;
	while (i < n && is_ows((unsigned char)p[i]))
		i++;
	size_t v0 = i;
	while (i < n && ((unsigned char)p[i] >= ' ' || p[i] == '\t') && p[i] != 0x7f)
		i++;
	size_t v1 = i;
	while (v1 > v0 && is_ows((unsigned char)p[v1 - 1]))
		v1--;
	f->value = (struct slice){ p + v0, v1 - v0 };
	e = line_end(p, n, i);
	if (e <= 0)
		return refuse(v, 400, e < 0 ? "bare_lf" : "bad_header_value",
			      e < 0 ? "lines must end in CRLF" : "a header value holds a control byte");
	*at = i + 2;
	return 1;
}

/* Content-Length: 1*DIGIT, at most 18 digits, the same on every line. */
static int take_length(struct head *h, struct slice val)
{
	unsigned long long n = 0;
	if (!val.n || val.n > 18)
		return refuse(h->v, 400, "bad_content_length", "Content-Length is not a decimal number");
	for (size_t i = 0; i < val.n; i++) {
		if (val.p[i] < '0' || val.p[i] > '9')
			return refuse(h->v, 400, "bad_content_length", "Content-Length is not a decimal number");
		n = n * 10 + (unsigned)(val.p[i] - '0');
	}
	if (h->has_cl && n != h->v->length)
		return refuse(h->v, 400, "conflicting_content_length", "two Content-Length headers disagree");
	h->has_cl = 1;
	h->v->length = n;
	return 0;
}

/* Transfer-Encoding: a list of codings; what matters is whether chunked is last and alone. */
static void take_codings(struct head *h, struct slice val)
{
	size_t i = 0;
	while (i < val.n) {
		size_t j = i;
		while (j < val.n && val.p[j] != ',')
			j++;
		size_t a = i, b = j;
		while (a < b && is_ows((unsigned char)val.p[a]))
			a++;
		while (b > a && is_ows((unsigned char)val.p[b - 1]))
			b--;
		if (b > a) {
			int chunked = name_is((struct slice){ val.p + a, b - a }, "chunked");
			h->te_chunked_count += chunked;
			h->te_other += !chunked;
			h->te_chunked_last = chunked;
		}
		i = j + 1;
	}
	h->has_te = 1;
}

/* A second copy of a field that may appear once; Content-Length is compared by value instead. */
static int repeated(const struct head *h, const struct field *f)
{
	if (name_is(f->name, "content-length") || (name_in(f->name, list_fields) && !name_in(f->name, h->r->once)))
		return 0;
	for (size_t i = 0; i < h->nf; i++)
		if (h->f[i].name.n == f->name.n && strncasecmp(h->f[i].name.p, f->name.p, f->name.n) == 0)
			return 1;
	return 0;
}

static int take_field(struct head *h, const struct field *f)
{
	if (repeated(h, f))
		return refuse(h->v, 400, "duplicate_header", "the %.*s header appears more than once",
			      (int)(f->name.n > 64 ? 64 : f->name.n), f->name.p);
	if (name_is(f->name, "content-length") && take_length(h, f->value) < 0)
		return -1;
	if (name_is(f->name, "transfer-encoding"))
		take_codings(h, f->value);
	h->hosts += name_is(f->name, "host");
	if (name_is(f->name, "expect")) {
		if (!name_is(f->value, "100-continue"))
			return refuse(h->v, 417, "expectation_failed", "the only expectation served is 100-continue");
		h->v->expect_continue = h->v->http11;
	}
	h->f[h->nf++] = *f;
	return 0;
}

/* RFC 9112 6.1-6.3: how the body's length is known, or why it cannot be. */
static int settle_body(struct head *h)
{
	struct framing_verdict *v = h->v;
	if (h->has_te && h->has_cl)
		return refuse(v, 400, "length_and_chunked", "Content-Length and Transfer-Encoding together");
	if (h->has_te && !v->http11)
		return refuse(v, 400, "te_on_http10", "Transfer-Encoding on an HTTP/1.0 request");
	if (h->has_te && (!h->te_chunked_last || h->te_chunked_count != 1))
		return refuse(v, 400, "bad_transfer_encoding", "Transfer-Encoding must end in chunked, applied once");
	if (h->has_te && h->te_other)
		return refuse(v, 501, "unsupported_transfer_coding", "the only transfer coding served is chunked");
	v->body = h->has_te ? FRAMING_CHUNKED : h->has_cl && v->length ? FRAMING_LENGTH : FRAMING_NO_BODY;
	if (v->http11 ? h->hosts != 1 : h->hosts > 1)
		return refuse(v, 400, "bad_host", "an HTTP/1.1 request needs exactly one Host header");
	return 0;
}

int framing_check(const char *p, size_t n, const struct framing_rules *r, struct framing_verdict *v)
{
	memset(v, 0, sizeof(*v));
	struct head h = { .r = r, .v = v };
	size_t max = r->max_headers > FRAMING_MAX_HEADERS ? FRAMING_MAX_HEADERS : r->max_headers;
	size_t at = 0;
	if (request_line(p, n, &at, v) < 0)
		return -1;
	for (;;) {
		struct field f;
		int rc = field_line(p, n, &at, &f, v);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
		if (h.nf == max)
			return refuse(v, 431, "too_many_headers", "more than %zu header lines", max);
		if (take_field(&h, &f) < 0)
			return -1;
	}
	if (at != n)
		return refuse(v, 400, "bad_header", "bytes after the end of the header block");
	return settle_body(&h);
}
