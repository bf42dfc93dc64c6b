/* test_framing.c: framing_check on each ambiguity RFC 9112 names, and on the heads it must pass. */
#include "check.h"
#include "hooks/civetweb_ext.h"
#include "hooks/framing.h"

#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const once[] = { "X-Okta-Secret", "Cookie", NULL };
static const struct framing_rules rules = { FRAMING_MAX_HEADERS, once };

/* The verdict's status for head (0: accepted), with the code in *code. */
static int status_of(const char *head, const char **code, struct framing_verdict *out)
{
	struct framing_verdict v;
	int rc = framing_check(head, strlen(head), &rules, &v);
	if (code)
		*code = rc == 0 ? "ok" : v.code;
	if (out)
		*out = v;
	return rc == 0 ? 0 : v.status;
}

#define REFUSED(head, st, cd)                                \
	do {                                                 \
		const char *c_;                              \
		CHECK(status_of((head), &c_, NULL) == (st)); \
		CHECK_STR(c_, (cd));                         \
	} while (0)

#define POST "POST /hooks/okta HTTP/1.1\r\nHost: h\r\n"

static void accepted(void)
{
	struct framing_verdict v;
	CHECK(status_of(POST "Content-Length: 338\r\n\r\n", NULL, &v) == 0);
	CHECK(v.body == FRAMING_LENGTH && v.length == 338 && v.http11 && !v.expect_continue);
	CHECK(status_of(POST "Transfer-Encoding: chunked\r\n\r\n", NULL, &v) == 0);
	CHECK(v.body == FRAMING_CHUNKED);
	CHECK(status_of(POST "Transfer-Encoding: Chunked \r\n\r\n", NULL, &v) == 0);
	CHECK(status_of("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n", NULL, &v) == 0);
	CHECK(v.body == FRAMING_NO_BODY);
	CHECK(status_of("GET /healthz HTTP/1.0\r\n\r\n", NULL, &v) == 0 && !v.http11);
	CHECK(status_of(POST "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", NULL, &v) == 0);
	CHECK(v.length == 5);
	CHECK(status_of(POST "Expect: 100-Continue\r\nContent-Length: 5\r\n\r\n", NULL, &v) == 0);
	CHECK(v.expect_continue);
	CHECK(status_of("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", NULL, &v) == 0);
	CHECK(!v.expect_continue); /* RFC 9110 10.1.1: ignored on HTTP/1.0 */
	CHECK(status_of("GET https://hookd.example:8443/healthz HTTP/1.1\r\nHost: h\r\n\r\n", NULL, &v) == 0);
	CHECK(v.absolute_form);
	CHECK(status_of("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", NULL, NULL) == 0);
	CHECK(status_of(POST "Accept: a\r\nAccept: b\r\nX-Forwarded-For: 1\r\nx-forwarded-for: 2\r\n\r\n", NULL,
			NULL) == 0);
	CHECK(status_of(POST "Empty:\r\nSpaced:   v  \r\nObs: caf\xc3\xa9\r\n\r\n", NULL, NULL) == 0);
}

static void length_and_codings(void)
{
	REFUSED(POST "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "length_and_chunked");
	REFUSED(POST "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400, "length_and_chunked");
	REFUSED(POST "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400, "conflicting_content_length");
	REFUSED(POST "Content-Length: 0x10\r\n\r\n", 400, "bad_content_length");
	REFUSED(POST "Content-Length: 338abc\r\n\r\n", 400, "bad_content_length");
	REFUSED(POST "Content-Length: 338, 999\r\n\r\n", 400, "bad_content_length");
	REFUSED(POST "Content-Length: 338, 338\r\n\r\n", 400, "bad_content_length");
	REFUSED(POST "Content-Length: +338\r\n\r\n", 400, "bad_content_length");
	REFUSED(POST "Content-Length: -1\r\n\r\n", 400, "bad_content_length");
	REFUSED(POST "Content-Length:\r\n\r\n", 400, "bad_content_length");
	REFUSED(POST "Content-Length: 1234567890123456789\r\n\r\n", 400, "bad_content_length");
	REFUSED(POST "Transfer-Encoding: gzip\r\n\r\n", 400, "bad_transfer_encoding");
	REFUSED(POST "Transfer-Encoding: chunked, gzip\r\n\r\n", 400, "bad_transfer_encoding");
	REFUSED(POST "Transfer-Encoding: identity\r\n\r\n", 400, "bad_transfer_encoding");
	REFUSED(POST "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "bad_transfer_encoding");
	REFUSED(POST "Transfer-Encoding:\r\n\r\n", 400, "bad_transfer_encoding");
	REFUSED(POST "Transfer-Encoding: gzip, chunked\r\n\r\n", 501, "unsupported_transfer_coding");
	REFUSED(POST "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 501,
		"unsupported_transfer_coding");
	REFUSED("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "te_on_http10");
}

static void field_syntax(void)
{
	REFUSED(POST "Transfer-Encoding : chunked\r\n\r\n", 400, "space_before_colon");
	REFUSED(POST "Content-Length\t: 5\r\n\r\n", 400, "space_before_colon");
	REFUSED(POST "X-A: 1\r\n folded\r\n\r\n", 400, "obs_fold");
	REFUSED(POST "X-A: 1\r\n\tfolded\r\n\r\n", 400, "obs_fold");
	REFUSED("POST / HTTP/1.1\r\n Host: h\r\n\r\n", 400, "obs_fold");
	REFUSED(POST "X-A: 1\n\r\n", 400, "bare_lf");
	REFUSED(POST "X-A: 1\r\n\n", 400, "bare_lf");
	REFUSED("GET / HTTP/1.1\nHost: h\r\n\r\n", 400, "bare_lf");
	REFUSED(POST ": x\r\n\r\n", 400, "bad_header");
	REFUSED(POST "No colon\r\n\r\n", 400, "space_before_colon");
	REFUSED(POST "Nocolon\r\n\r\n", 400, "bad_header");
	REFUSED(POST "X-A: a\rb\r\n\r\n", 400, "bad_header_value");
	REFUSED(POST "X-A: a\x01"
		     "b\r\n\r\n",
		400, "bad_header_value");
	REFUSED(POST "X-A: 1\r\n", 400, "unterminated_head");
	REFUSED(POST "\r\nextra", 400, "bad_header");
	struct framing_verdict v;
	const char nul[] = POST "X-A: a\0b\r\n\r\n";
	CHECK(framing_check(nul, sizeof(nul) - 1, &rules, &v) < 0 && v.status == 400);
}

static void request_line(void)
{
	REFUSED("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "bad_request_line");
	REFUSED("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400, "bad_request_line");
	REFUSED("GET /\r\n\r\n", 400, "bad_request_line");
	REFUSED("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, "http_version_not_supported");
	REFUSED("GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505, "http_version_not_supported");
	REFUSED("GET hookd.example:443 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "bad_target");
	REFUSED("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400, "bad_target");
	REFUSED("", 400, "bad_request_line");
}

static void repeats_and_limits(void)
{
	REFUSED("GET / HTTP/1.1\r\n\r\n", 400, "bad_host");
	REFUSED("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "duplicate_header");
	REFUSED(POST "Authorization: a\r\nauthorization: b\r\n\r\n", 400, "duplicate_header");
	REFUSED(POST "X-Okta-Secret: a\r\nX-Okta-Secret: a\r\n\r\n", 400, "duplicate_header");
	REFUSED(POST "Content-Type: a\r\nContent-Type: a\r\n\r\n", 400, "duplicate_header");
	/* A list-valued name made single by the rules (a configured auth header): refused twice. */
	REFUSED(POST "Cookie: a\r\ncookie: b\r\n\r\n", 400, "duplicate_header");
	REFUSED(POST "Expect: 100-continue\r\nExpect: 100-continue\r\n\r\n", 400, "duplicate_header");
	REFUSED(POST "Expect: something-else\r\n\r\n", 417, "expectation_failed");
	char head[8192];
	for (int fields = 62; fields <= 64; fields++) {
		size_t n = (size_t)snprintf(head, sizeof(head), POST);
		for (int i = 1; i < fields; i++) /* Host is the first of them */
			n += (size_t)snprintf(head + n, sizeof(head) - n, "X-H%d: v\r\n", i);
		snprintf(head + n, sizeof(head) - n, "\r\n");
		const char *code;
		int st = status_of(head, &code, NULL);
		if (fields <= FRAMING_MAX_HEADERS)
			CHECK(st == 0);
		else {
			CHECK(st == 431);
			CHECK_STR(code, "too_many_headers");
		}
	}
}

/*
 * The status framing_check gives the head civetweb parses out of bytes[0..n), which sit at the
 * very end of a block of exactly n bytes: under ASan a one-byte read past the head is a crash.
 * *code gets the refusal's code; -1 when civetweb itself refuses the bytes.
 */
static int rebuilt_status(const char *bytes, size_t n, const char **code)
{
	char *buf = malloc(n);
	char out[FRAMING_HEAD_MAX];
	struct mg_request_info ri;
	struct framing_verdict v;
	if (!buf)
		return -1;
	memcpy(buf, bytes, n);
	struct slice head = civetweb_ext_parse(buf, n, &ri);
	size_t len = head.p ? framing_head_rebuild(&ri, head, out, sizeof(out)) : 0;
	int rc = len ? framing_check(out, len, &rules, &v) : -1;
	free(buf);
	*code = !len ? "none" : rc == 0 ? "ok" : v.code;
	return !len ? -1 : rc == 0 ? 0 : v.status;
}

#define REBUILT(bytes, st, cd)                                                  \
	do {                                                                    \
		const char *c_;                                                 \
		CHECK(rebuilt_status((bytes), sizeof(bytes) - 1, &c_) == (st)); \
		CHECK_STR(c_, (cd));                                            \
	} while (0)

/* Heads as civetweb leaves them, rebuilt: every ending, each at the very end of its buffer. */
static void rebuilt_heads(void)
{
	REBUILT(POST "Content-Length: 5\r\n\r\n", 0, "ok");
	REBUILT("GET /healthz HTTP/1.0\r\n\r\n", 0, "ok");
	REBUILT("\r\nGET /healthz HTTP/1.0\r\n\r\n", 0, "ok"); /* RFC 9112 2.2: a leading empty line */
	/* Two leading empty lines end civetweb's head before the request line: refused, not parsed past. */
	REBUILT("\r\n\r\nGET /healthz HTTP/1.0\r\n\r\n", 400, "bad_request_line");
	REBUILT("\n\nGET /healthz HTTP/1.0\r\n\r\n", 400, "bad_request_line");
	REBUILT(POST "X-A: 1\n\n", 400, "bare_lf"); /* the head fills its buffer: no byte after */
	REBUILT(POST "X-A: 1\r\n\n", 400, "bare_lf");
	REBUILT(POST "X-A: 1\n\r\n\r\n", 400, "bare_lf");
	REBUILT("GET /healthz HTTP/1.0\n\n", 400, "bare_lf");
	REBUILT("GET /healthz HTTP/1.0\r\n\n", 400, "bare_lf");
	REBUILT(POST "X-A: 1\r\n folded\r\n\r\n", 400, "obs_fold");
	REBUILT(POST "X-A : 1\r\n\r\n", 400, "space_before_colon");
	REBUILT(POST "X-A: 1\r\n: x\r\n\r\n", 400, "bad_header");
	/* Body bytes that look like the rest of a CRLF head are not read as part of it. */
	REBUILT(POST "X-A: 1\n\n\r\0", 400, "bare_lf");
	REBUILT(POST "X-A: 1\n\n\0", 400, "bare_lf");
	/* Every length of a bare-LF head cut short: civetweb refuses or hookd does, never a read past. */
	const char full[] = POST "X-A: 1\n\n";
	int refused = 0;
	for (size_t n = 1; n < sizeof(full); n++) {
		const char *c;
		refused += rebuilt_status(full, n, &c) != 0;
	}
	CHECK(refused == (int)sizeof(full) - 1);
}

int main(void)
{
	rebuilt_heads();
	accepted();
	length_and_codings();
	field_syntax();
	request_line();
	repeats_and_limits();
	return check_report("test_framing");
}
