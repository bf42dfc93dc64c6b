/* error.c: turns Okta error bodies, OAuth errors and curl failures into one small struct okta_error. */
#include "okta/error.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

/* JSON tokens in an Okta error object: errorCode, errorSummary, errorCauses, OAuth error fields. */
#define ERROR_MAX_TOKENS 256

void okta_error_clear(struct okta_error *e)
{
	memset(e, 0, sizeof(*e));
}

/* Copies string member key of obj into out (unescaped, truncated); leaves out alone when absent. */
static int copy_member(const struct json *j, int obj, const char *key, char *out, size_t n)
{
	int t = json_get(j, obj, key);
	char *s = json_is_string(j, t) ? json_strdup(j, t) : NULL;
	if (!s)
		return -1;
	snprintf(out, n, "%s", s);
	free(s);
	return 0;
}

static int parse_okta_object(struct okta_error *e, const struct json *j)
{
	if (copy_member(j, 0, "errorCode", e->code, sizeof(e->code)) < 0)
		return -1;
	copy_member(j, 0, "errorSummary", e->summary, sizeof(e->summary));
	copy_member(j, 0, "errorId", e->id, sizeof(e->id));
	int causes = json_get(j, 0, "errorCauses");
	if (json_is_array(j, causes) && json_size(j, causes) > 0)
		copy_member(j, json_at(j, causes, 0), "errorSummary", e->cause, sizeof(e->cause));
	return 0;
}

static int parse_oauth_object(struct okta_error *e, const struct json *j)
{
	if (copy_member(j, 0, "error", e->code, sizeof(e->code)) < 0)
		return -1;
	copy_member(j, 0, "error_description", e->summary, sizeof(e->summary));
	e->kind = OKTA_ERR_OAUTH;
	return 0;
}

void okta_error_from_http(struct okta_error *e, int http_status, const char *body, size_t len)
{
	okta_error_clear(e);
	e->kind = OKTA_ERR_API;
	e->http_status = http_status;
	e->retryable = http_status == 429 || http_status >= 500;
	e->rate_limited = http_status == 429;
	struct json j;
	if (body && len && json_parse(&j, body, len, ERROR_MAX_TOKENS, NULL, 0) == 0) {
		if (json_is_object(&j, 0) && parse_okta_object(e, &j) < 0)
			parse_oauth_object(e, &j);
		json_free(&j);
	}
	if (!e->summary[0])
		snprintf(e->summary, sizeof(e->summary), "HTTP %d", http_status);
}

static int transient_curl(int code)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM: return 1;
	default: return 0;
	}
}

void okta_error_transport(struct okta_error *e, int curl_code, const char *msg)
{
	okta_error_clear(e);
	e->kind = OKTA_ERR_TRANSPORT;
	e->transport = curl_code;
	e->retryable = transient_curl(curl_code);
	snprintf(e->summary, sizeof(e->summary), "%s", msg && *msg ? msg : curl_easy_strerror((CURLcode)curl_code));
}

void okta_error_local(struct okta_error *e, const char *fmt, ...)
{
	okta_error_clear(e);
	e->kind = OKTA_ERR_LOCAL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->summary, sizeof(e->summary), fmt, ap);
	va_end(ap);
}

int okta_error_is_not_found(const struct okta_error *e)
{
	return strcmp(e->code, "E0000007") == 0 || (e->kind == OKTA_ERR_API && e->http_status == 404);
}

int okta_error_is_duplicate_login(const struct okta_error *e)
{
	return e->kind == OKTA_ERR_API && e->http_status == 400 && strcmp(e->code, "E0000001") == 0 &&
	       strncmp(e->cause, "login:", 6) == 0 && strstr(e->cause, "already exists") != NULL;
}

int okta_error_is_unauthorized(const struct okta_error *e)
{
	return e->http_status == 401;
}

int okta_error_is_status_conflict(const struct okta_error *e)
{
	return e->kind == OKTA_ERR_API && e->http_status == 403 &&
	       (strcmp(e->code, "E0000016") == 0 || strcmp(e->code, "E0000038") == 0);
}

static const char *kind_name(enum okta_err_kind k)
{
	switch (k) {
	case OKTA_ERR_OAUTH: return "oauth";
	case OKTA_ERR_TRANSPORT: return "transport";
	case OKTA_ERR_LOCAL: return "local";
	default: return "api";
	}
}

const char *okta_error_format(const struct okta_error *e, char *out, size_t n)
{
	char head[48];
	if (e->http_status)
		snprintf(head, sizeof(head), "HTTP %d", e->http_status);
	else
		snprintf(head, sizeof(head), "%s error", kind_name(e->kind));
	snprintf(out, n, "%s%s%s: %s%s%s%s", head, e->code[0] ? " " : "", e->code, e->summary, e->cause[0] ? " (" : "",
		 e->cause, e->cause[0] ? ")" : "");
	return out;
}
