/* framing.h: one request head checked strictly against RFC 9112 before any handler trusts it. */
#ifndef HOOKD_FRAMING_H
#define HOOKD_FRAMING_H

#include "core/slice.h"

#include <stddef.h>

struct mg_request_info;

/* Field lines one head may carry: civetweb holds 64, and a 64th hides whether a 65th was dropped. */
#define FRAMING_MAX_HEADERS 63
/* Bytes framing_head_rebuild writes at most (civetweb's default max_request_size, plus the ending). */
#define FRAMING_HEAD_MAX (16384 + 16)

struct framing_rules {
	size_t max_headers;	 /* more field lines answer 431; at most FRAMING_MAX_HEADERS + 1 */
	const char *const *once; /* NULL-terminated names that may appear only once, even if list-valued */
};

enum framing_body { FRAMING_NO_BODY, FRAMING_LENGTH, FRAMING_CHUNKED };

/* What framing_check found: status 0, or the answer to give (then code and why say it). */
struct framing_verdict {
	int status;	  /* 0, 400, 417, 431, 501 or 505 */
	const char *code; /* static: the JSON error code */
	char why[160];
	enum framing_body body;
	unsigned long long length; /* body == FRAMING_LENGTH */
	int http11;		   /* HTTP/1.1 (else 1.0) */
	int expect_continue;	   /* Expect: 100-continue on HTTP/1.1: send 100 before reading the body */
	int absolute_form;	   /* the target is http(s)://authority/path */
};

/*
 * Checks the request head p[0..n) (request line through the empty line) byte by byte: one SP
 * between request-line words, CRLF line ends only (a bare LF is refused), field names that are
 * tokens directly followed by ':', no obs-fold, no control bytes in values, at most
 * r->max_headers field lines (431), one Host on HTTP/1.1, a Content-Length that is 1*DIGIT and
 * the same on every line, Transfer-Encoding only without Content-Length and with chunked last
 * (other codings: 501), an Expect that is 100-continue (else 417), and no second copy of a field
 * that is not list-valued or is named in r->once. Pure: reads only p[0..n), allocates nothing.
 * Returns 0 with v filled, or -1 with v->status, v->code and v->why saying the refusal.
 */
int framing_check(const char *p, size_t n, const struct framing_rules *r, struct framing_verdict *v);

/*
 * Rebuilds the head civetweb parsed, from its parsed request (ri) and the bytes between the
 * pointers it holds, all inside head (civetweb_ext_head: no byte outside it is read), into out (cap bytes, at least FRAMING_HEAD_MAX). civetweb parses in place:
 * it writes NUL over each request-line space, each ':' and any space before it, each CR and LF,
 * and it stops reading field lines at the first it cannot take (obs-fold, a line starting with
 * ':', the 65th) while still skipping all of the head. The rebuilt head keeps every difference
 * that matters to framing_check (a space before a colon, a bare LF, a folded or unread line after
 * the last field); it is not the client's bytes where those do not matter (the target is cut at
 * '?', request-line spacing is one SP). Valid only inside civetweb's request callback, before
 * anything reads the body. Returns the rebuilt length, or 0 when the head does not fit. A head whose
 * pointers leave head is rebuilt as a line framing_check refuses.
 */
size_t framing_head_rebuild(const struct mg_request_info *ri, struct slice head, char *out, size_t cap);

#endif
