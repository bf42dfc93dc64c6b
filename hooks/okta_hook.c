/* okta_hook.c: answers Okta's verification GET and journals authenticated deliveries before the 200. */
#include "hooks/okta_hook.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/jbuf.h"
#include "core/log.h"
#include "core/secure.h"
#include "hooks/allowlist.h"
#include "hooks/intake.h"
#include "hooks/okta_delivery.h"
#include "store/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_CHALLENGE 1024

struct okta_hook {
	char *path, *header, *secret; /* secret NULL: disabled (no [okta_hook] section: HR only) */
	char *prev_secret;	      /* the secret before a reload, accepted until prev_until_ms */
	int64_t prev_until_ms;
	size_t max_events;
	struct intake *intake;
	struct allowlist *allow; /* [okta_hook] allow; NULL: every address */
};

struct okta_hook *okta_hook_from_config(struct config *c, struct journal *j, const struct rules *rules)
{
	struct okta_hook *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	int rc = 0;
	const char *path = config_get(c, "okta_hook", NULL, "path");
	if (path[0] != '/' || strchr(path, '?') || strchr(path, ' ')) {
		config_report(c, "okta_hook", NULL, "path", "'%s' is not a URL path starting with /", path);
		rc = -1;
	}
	const char *header = config_get(c, "okta_hook", NULL, "auth_header");
	if (!header[0] || strpbrk(header, " :\r\n")) {
		config_report(c, "okta_hook", NULL, "auth_header", "'%s' is not a header name", header);
		rc = -1;
	}
	int s = config_secret(c, "okta_hook", NULL, "auth_value", &h->secret);
	static const char *const keys[] = { "path", "auth_header", "max_events" };
	int configured = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		configured |= config_is_set(c, "okta_hook", NULL, keys[i]);
	if (s == 1 && configured) {
		config_report(c, "okta_hook", NULL, NULL,
			      "needs auth_value or auth_value_file: the secret Okta sends in %s "
			      "(or remove [okta_hook] for a deployment without an Okta event hook)",
			      header);
		rc = -1;
	} else if (s < 0) {
		rc = -1;
	}
	int64_t max = 0;
	if (config_int(c, "okta_hook", NULL, "max_events", &max) < 0)
		rc = -1; /* type and declared range reported when the config was loaded */
	h->max_events = (size_t)max;
	if (allowlist_from_config(c, "okta_hook", NULL, &h->allow) < 0)
		rc = -1;
	h->path = strdup(path);
	h->header = strdup(header);
	h->intake = intake_new(j, rules, "okta");
	const char *sr = config_get(c, "okta_hook", NULL, "store_raw");
	int mode = intake_store_raw_parse(sr);
	if (mode < 0) {
		config_report(c, "okta_hook", NULL, "store_raw", "'%s' is not full, mapped or none", sr);
		rc = -1;
	} else if (h->intake) {
		intake_set_store_raw(h->intake, (enum intake_store_raw)mode);
	}
	if (rc < 0 || !h->path || !h->header || !h->intake) {
		okta_hook_free(h);
		return NULL;
	}
	return h;
}

void okta_hook_free(struct okta_hook *h)
{
	if (!h)
		return;
	free(h->path);
	free(h->header);
	secure_free(h->secret);
	secure_free(h->prev_secret);
	intake_free(h->intake);
	allowlist_free(h->allow);
	free(h);
}

const char *okta_hook_path(const struct okta_hook *h)
{
	return h->path;
}

int okta_hook_keep_previous(struct okta_hook *h, const struct okta_hook *old, int64_t until_ms)
{
	if (!old || !old->secret || !h->secret)
		return 0; /* no hook before or now: no secret to carry over */
	if (strcmp(old->secret, h->secret) == 0) {
		/* unchanged: a rotation still in its grace period carries on */
		if (old->prev_secret && !(h->prev_secret = strdup(old->prev_secret)))
			return -1;
		h->prev_until_ms = old->prev_until_ms;
		return 0;
	}
	if (!(h->prev_secret = strdup(old->secret)))
		return -1;
	h->prev_until_ms = until_ms;
	return 0;
}

const char *okta_hook_header(const struct okta_hook *h)
{
	return h->header;
}

int okta_hook_enabled(const struct okta_hook *h)
{
	return h && h->secret;
}

static int authenticated(const struct okta_hook *h, struct http_req *r)
{
	const char *v = http_header(r, h->header);
	const char *got = v ? v : "";
	/* Compare even when absent, so that timing does not tell the two apart. */
	int ok = secure_equal(got, strlen(got), h->secret, strlen(h->secret));
	if (h->prev_secret && clock_now_ms() < h->prev_until_ms)
		ok |= secure_equal(got, strlen(got), h->prev_secret, strlen(h->prev_secret));
	return v && ok;
}

static void verify_challenge(struct okta_hook *h, struct http_req *r)
{
	(void)h;
	const char *ch = http_header(r, "x-okta-verification-challenge");
	if (!ch || !ch[0]) {
		http_fail(r, 400, "missing_challenge",
			  "a verification GET needs the x-okta-verification-challenge header");
		return;
	}
	if (strlen(ch) > MAX_CHALLENGE) {
		http_fail(r, 400, "challenge_too_long", "the challenge exceeds %d bytes", MAX_CHALLENGE);
		return;
	}
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "verification", ch);
	jbuf_obj_close(&b);
	if (b.err)
		http_fail(r, 503, "out_of_memory", "cannot build the answer");
	else
		http_reply(r, 200, "application/json", b.p, b.n);
	jbuf_free(&b);
	log_info("okta event hook verified", "req", http_req_id(r));
}

static int json_content_type(const char *ct)
{
	if (!ct)
		return 0;
	while (*ct == ' ')
		ct++;
	size_t n = strlen("application/json");
	return strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Journals the parsed delivery (rules and commit through the intake) and answers. */
static void commit(struct okta_hook *h, struct http_req *r, const struct okta_delivery *d)
{
	char err[256];
	struct journal_event *ev = calloc(d->n ? d->n : 1, sizeof(*ev));
	enum intake_outcome rc = INTAKE_NO_MEMORY;
	if (ev) {
		okta_delivery_to_journal(d, NULL, ev);
		rc = intake_commit(h->intake, ev, d->n, clock_now_ms(), NULL, err, sizeof(err));
	}
	free(ev);
	if (rc == INTAKE_NO_MEMORY) {
		http_fail(r, 503, "out_of_memory", "cannot prepare the delivery");
	} else if (rc == INTAKE_JOURNAL_DOWN) {
		/* Nothing was stored: a 5xx makes Okta deliver again. */
		http_fail(r, 503, "journal_unavailable", "the delivery could not be stored; retry");
		log_error("journal commit failed", "req", http_req_id(r), "detail", err);
	} else {
		http_reply(r, 200, NULL, NULL, 0);
		if (d->n)
			log_debug("okta delivery journaled", "req", http_req_id(r), "event_id", d->event_id);
	}
}

static void deliver(struct okta_hook *h, struct http_req *r)
{
	if (!json_content_type(http_header(r, "Content-Type"))) {
		intake_refused(h->intake, "unsupported_media_type", clock_now_ms());
		http_fail(r, 415, "unsupported_media_type", "deliveries must be Content-Type: application/json");
		return;
	}
	if (http_read_body(r) < 0)
		return;
	struct okta_delivery d;
	char err[256];
	struct slice body = http_body(r);
	int prc = okta_delivery_parse(body.p, body.n, h->max_events, &d, err, sizeof(err));
	if (prc < 0) {
		intake_refused(h->intake, prc == -2 ? "too_many_events" : "bad_delivery", clock_now_ms());
		http_fail(r, prc == -2 ? 413 : 400, prc == -2 ? "too_many_events" : "bad_delivery", "%s", err);
		return;
	}
	commit(h, r, &d);
	okta_delivery_free(&d);
}

void okta_hook_handle(struct http_req *r, void *arg)
{
	struct okta_hook *h = arg;
	if (!allowlist_admits(h->allow, http_remote_addr(r))) {
		intake_refused(h->intake, "address_not_allowed", clock_now_ms());
		http_fail(r, 403, "address_not_allowed", "the client address is not in [okta_hook] allow");
		return;
	}
	const char *m = http_method(r);
	int get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;
	if (!get && !post) {
		http_fail_method(r, "GET, POST");
		return;
	}
	if (!h->secret) {
		http_fail(r, 404, "not_found",
			  "this hookd serves no Okta event hook: [okta_hook] auth_value is not set");
		return;
	}
	if (!authenticated(h, r)) {
		intake_refused(h->intake, "unauthorized: missing or wrong auth header", clock_now_ms());
		http_fail(r, 401, "unauthorized", "missing or wrong %s header", h->header);
		return;
	}
	if (get)
		verify_challenge(h, r);
	else
		deliver(h, r);
}
