/* test_okta_http.c: the response header parser of okta/http.c (rate headers, X-Okta-Request-Id), statics included. */
#include "check.h"

#include "okta/http.c"

/* Feeds each line of text (CRLF-terminated header lines) to on_header as libcurl would. */
static void feed(struct hdr *st, const char *text)
{
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
		char *line = malloc(n); /* exact size: a read past the line is caught under ASan */
		memcpy(line, p, n);
		on_header(line, 1, n, st);
		free(line);
		p += n;
	}
}

static const char *request_id_of(const char *headers)
{
	static struct okta_http_resp rs;
	okta_http_resp_init(&rs);
	struct hdr st = { .rs = &rs };
	feed(&st, headers);
	return rs.request_id;
}

static void test_request_id(void)
{
	CHECK_STR(request_id_of("HTTP/1.1 200 OK\r\nX-Okta-Request-Id: reqABC123-_x\r\n\r\n"), "reqABC123-_x");
	CHECK_STR(request_id_of("HTTP/1.1 200 OK\r\nx-okta-request-id:\t  Zz9 \r\n"), "Zz9");
	CHECK_STR(request_id_of("HTTP/1.1 200 OK\r\n"), "");
	/* odd values are dropped, never half kept */
	CHECK_STR(request_id_of("HTTP/1.1 200 OK\r\nX-Okta-Request-Id: a b\r\n"), "");
	CHECK_STR(request_id_of("HTTP/1.1 200 OK\r\nX-Okta-Request-Id: a\x01z\r\n"), "");
	CHECK_STR(request_id_of("HTTP/1.1 200 OK\r\nX-Okta-Request-Id: \xc3\xa9\r\n"), "");
	CHECK_STR(request_id_of("HTTP/1.1 200 OK\r\nX-Okta-Request-Id:\r\n"), "");
	CHECK_STR(request_id_of("HTTP/1.1 200 OK\r\nX-Okta-Request-Id"), "");
	CHECK_STR(request_id_of("HTTP/1.1 200 OK\r\nX-Okta-Request-Idx: nope\r\n"), "");
	char big[400];
	snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nX-Okta-Request-Id: %0200d\r\n", 7);
	CHECK_STR(request_id_of(big), ""); /* longer than the field: dropped */
	snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nX-Okta-Request-Id: %0127d\r\n", 7);
	CHECK(strlen(request_id_of(big)) == 127); /* the longest kept */
	/* a new response (after 100 Continue or a redirect) forgets the old id */
	CHECK_STR(request_id_of("HTTP/1.1 100 Continue\r\nX-Okta-Request-Id: old\r\n\r\nHTTP/1.1 201 Created\r\n"), "");
	CHECK_STR(request_id_of("HTTP/1.1 100 Continue\r\nX-Okta-Request-Id: old\r\n\r\nHTTP/1.1 201 Created\r\n"
				"X-Okta-Request-Id: new\r\n"),
		  "new");
}

int main(void)
{
	test_request_id();
	return check_report("test_okta_http");
}
