/* echo.c: which Okta events hookd's own calls caused (request id, API token id, service app). */
#include "handlers/echo.h"

#include "core/config.h"
#include "core/str.h"
#include "store/journal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct echo {
	char *api_token_id;
	char *service_app_id;
};

/* Okta token ids: "00T" and alphanumerics (20 characters in practice). */
static int valid_token_id(const char *s)
{
	size_t n = strlen(s);
	if (n < 4 || n > 64 || strncmp(s, "00T", 3) != 0)
		return 0;
	for (size_t i = 3; i < n; i++)
		if (!isalnum((unsigned char)s[i]))
			return 0;
	return 1;
}

struct echo *echo_from_config(struct config *c, const char *service_app_id)
{
	int rc = 0;
	if (config_get(c, "okta", NULL, "self_actor_id")) {
		config_report(c, "okta", NULL, "self_actor_id",
			      "is no longer read: an actor id cannot tell hookd's calls from the token owner's own "
			      "work in the Admin Console. hookd now tells its echoes by request id (recorded for "
			      "every call it makes); remove the key, and with an API token set api_token_id "
			      "(Security > API, 00T...) to also match its token");
		rc = -1;
	}
	const char *tok = config_get(c, "okta", NULL, "api_token_id");
	if (tok && !valid_token_id(tok)) {
		config_report(c, "okta", NULL, "api_token_id",
			      "'%s' is not an Okta API token id (00T followed by letters and digits, "
			      "as Security > API shows it; not the token itself)",
			      tok);
		rc = -1;
	}
	struct echo *e = calloc(1, sizeof(*e));
	if (!e || rc < 0) {
		free(e);
		return NULL;
	}
	e->api_token_id = str_dup(tok);
	e->service_app_id = str_dup(service_app_id);
	if ((tok && !e->api_token_id) || (service_app_id && !e->service_app_id)) {
		echo_free(e);
		return NULL;
	}
	return e;
}

void echo_free(struct echo *e)
{
	if (!e)
		return;
	free(e->api_token_id);
	free(e->service_app_id);
	free(e);
}

static int is_okta(const struct journal_event *ev)
{
	return ev->source && strcmp(ev->source, "okta") == 0;
}

static int same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The echo reason that needs no lookup: hookd's API token or its service app as the actor. */
static const char *by_identity(const struct echo *e, const struct journal_event *ev)
{
	if (!e)
		return NULL;
	if (same(e->api_token_id, ev->api_token_id))
		return ECHO_API_TOKEN;
	if (same(e->service_app_id, ev->actor_id) && ev->actor_type && strcmp(ev->actor_type, "User") != 0)
		return ECHO_SERVICE_APP;
	return NULL;
}

void echo_mark(const struct echo *e, struct journal_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int okta = is_okta(&ev[i]);
		ev[i].echo = okta ? by_identity(e, &ev[i]) : NULL;
		ev[i].echo_lookup = okta && !ev[i].echo && (ev[i].request_id || ev[i].debug_request_id);
	}
}

void echo_describe(const struct echo *e, char *out, size_t outlen)
{
	int w = snprintf(out, outlen, "by the request id of every Okta call hookd makes (transaction.id)");
	if (w < 0 || (size_t)w >= outlen)
		return;
	if (e && e->api_token_id)
		w += snprintf(out + w, outlen - (size_t)w, ", by its API token %s (requestApiTokenId)",
			      e->api_token_id);
	if (w > 0 && (size_t)w < outlen && e && e->service_app_id)
		snprintf(out + w, outlen - (size_t)w, ", by its OAuth service app %s as actor", e->service_app_id);
}
