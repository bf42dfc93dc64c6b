/* users.c: Users API calls: getUser, listUsers by login, createUser, lifecycle transitions, updateUser. */
#include "okta/users.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/jbuf.h"
#include "core/json.h"
#include "okta/http.h"

#define USER_MAX_TOKENS 200000
/* JSON tokens in an activation response: activationUrl, activationToken. */
#define ACTIVATION_MAX_TOKENS 64

void okta_user_free(struct okta_user *u)
{
	if (!u)
		return;
	free(u->id);
	free(u->status);
	free(u->transitioning);
	free(u->login);
	free(u->email);
	free(u->first_name);
	free(u->last_name);
	free(u->raw);
	memset(u, 0, sizeof(*u));
}

void okta_activation_free(struct okta_activation *a)
{
	if (!a)
		return;
	free(a->url);
	free(a->token);
	memset(a, 0, sizeof(*a));
}

int okta_user_from_json(const struct json *j, int tok, struct okta_user *out)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(j, tok))
		return -1;
	int prof = json_get(j, tok, "profile");
	struct slice raw = json_raw_value(j, tok);
	out->id = json_strdup(j, json_get(j, tok, "id"));
	out->status = json_strdup(j, json_get(j, tok, "status"));
	out->transitioning = json_strdup(j, json_get(j, tok, "transitioningToStatus"));
	out->login = json_strdup(j, json_get(j, prof, "login"));
	out->email = json_strdup(j, json_get(j, prof, "email"));
	out->first_name = json_strdup(j, json_get(j, prof, "firstName"));
	out->last_name = json_strdup(j, json_get(j, prof, "lastName"));
	out->raw = strndup(raw.p, raw.n);
	out->raw_len = raw.n;
	if (!out->id || !out->status || !out->raw) {
		okta_user_free(out);
		return -1;
	}
	return 0;
}

/* Parses a response holding one user object. */
static int user_from_resp(const struct okta_resp *r, struct okta_user *out, struct okta_error *e)
{
	struct json j;
	char why[64];
	if (json_parse(&j, r->body, r->len, USER_MAX_TOKENS, why, sizeof(why)) < 0) {
		okta_error_local(e, "user response: %s", why);
		return -1;
	}
	int rc = okta_user_from_json(&j, 0, out);
	json_free(&j);
	if (rc < 0)
		okta_error_local(e, "user response lacks id or status");
	return rc;
}

/* Builds a path with printf; NULL (e filled) when out of memory. */
static char *path_fmt(struct okta_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *path_fmt(struct okta_error *e, const char *fmt, ...)
{
	char *p = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		p = NULL;
	va_end(ap);
	if (!p)
		okta_error_local(e, "out of memory");
	return p;
}

/* Sends method path body and parses a user when out is not NULL. */
static int call_user(struct okta_client *c, const char *method, char *path, const char *body, struct okta_user *out,
		     struct okta_error *e)
{
	struct okta_resp r;
	if (!path)
		return -1;
	int rc = okta_client_request(c, method, path, body, &r, e);
	free(path);
	if (rc == 0 && out)
		rc = user_from_resp(&r, out, e);
	okta_resp_free(&r);
	return rc;
}

static char *escape_or_fail(const char *s, const char *what, struct okta_error *e)
{
	if (!s || !*s) {
		okta_error_local(e, "%s is empty", what);
		return NULL;
	}
	char *x = okta_http_escape(s);
	if (!x)
		okta_error_local(e, "out of memory");
	return x;
}

int okta_user_get(struct okta_client *c, const char *id_or_login, struct okta_user *out, struct okta_error *e)
{
	char *id = escape_or_fail(id_or_login, "user id or login", e);
	if (!id)
		return -1;
	char *path = path_fmt(e, "/api/v1/users/%s", id);
	free(id);
	return call_user(c, "GET", path, NULL, out, e);
}

char *okta_user_login_filter(const char *login)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_puts(&b, "profile.login eq \"");
	for (const char *p = login; *p; p++) {
		if (*p == '"' || *p == '\\')
			jbuf_putc(&b, '\\');
		jbuf_putc(&b, *p);
	}
	jbuf_putc(&b, '"');
	return jbuf_take(&b, NULL);
}

/* Picks the element of array arr whose profile.login equals login (case-insensitively, as Okta does). */
static int pick_login(const struct json *j, const char *login)
{
	for (int i = 0, t; (t = json_at(j, 0, i)) >= 0; i++) {
		char *l = json_strdup(j, json_pointer(j, t, "/profile/login"));
		int eq = l && strcasecmp(l, login) == 0;
		free(l);
		if (eq)
			return t;
	}
	return -1;
}

static int user_from_list(const struct okta_resp *r, const char *login, struct okta_user *out, struct okta_error *e)
{
	struct json j;
	char why[64];
	if (json_parse(&j, r->body, r->len, USER_MAX_TOKENS, why, sizeof(why)) < 0 || !json_is_array(&j, 0)) {
		if (j.tok)
			json_free(&j);
		okta_error_local(e, "listUsers response is not a JSON array");
		return -1;
	}
	int t = pick_login(&j, login);
	int rc = t >= 0 ? okta_user_from_json(&j, t, out) : -1;
	json_free(&j);
	if (t < 0) {
		okta_error_local(e, "Not found: no user with login %s", login);
		snprintf(e->code, sizeof(e->code), "E0000007");
	} else if (rc < 0) {
		okta_error_local(e, "listUsers returned a user without id or status");
	}
	return rc;
}

int okta_user_find_by_login(struct okta_client *c, const char *login, struct okta_user *out, struct okta_error *e)
{
	if (!login || !*login) {
		okta_error_local(e, "login is empty");
		return -1;
	}
	char *filter = okta_user_login_filter(login);
	char *q = filter ? okta_http_escape(filter) : NULL;
	char *path = q ? path_fmt(e, "/api/v1/users?filter=%s&limit=10", q) : NULL;
	free(filter);
	free(q);
	if (!path) {
		okta_error_local(e, "out of memory");
		return -1;
	}
	struct okta_resp r;
	int rc = okta_client_request(c, "GET", path, NULL, &r, e);
	free(path);
	if (rc == 0)
		rc = user_from_list(&r, login, out, e);
	okta_resp_free(&r);
	return rc;
}

/* 0 when s parses as one JSON object. */
static int check_object(const char *s, const char *what, struct okta_error *e)
{
	struct json j;
	char why[64];
	if (!s || json_parse(&j, s, strlen(s), USER_MAX_TOKENS, why, sizeof(why)) < 0) {
		okta_error_local(e, "%s is not JSON%s%s", what, s ? ": " : "", s ? why : "");
		return -1;
	}
	int ok = json_is_object(&j, 0);
	json_free(&j);
	if (!ok)
		okta_error_local(e, "%s is not a JSON object", what);
	return ok ? 0 : -1;
}

static char *create_body(const char *profile_json, const char *const *group_ids, size_t ngroups)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_raw(&b, "profile", profile_json, strlen(profile_json));
	if (ngroups) {
		jbuf_key(&b, "groupIds");
		jbuf_arr_open(&b);
		for (size_t i = 0; i < ngroups; i++) {
			jbuf_elem(&b);
			jbuf_str(&b, group_ids[i]);
		}
		jbuf_arr_close(&b);
	}
	jbuf_obj_close(&b);
	return jbuf_take(&b, NULL);
}

int okta_user_create(struct okta_client *c, const char *profile_json, const char *const *group_ids, size_t ngroups,
		     int activate, struct okta_user *out, struct okta_error *e)
{
	if (check_object(profile_json, "profile", e) < 0)
		return -1;
	for (size_t i = 0; i < ngroups; i++) {
		if (!group_ids[i] || !*group_ids[i]) {
			okta_error_local(e, "group id %zu is empty", i);
			return -1;
		}
	}
	char *body = create_body(profile_json, group_ids, ngroups);
	if (!body) {
		okta_error_local(e, "out of memory");
		return -1;
	}
	char *path = path_fmt(e, "/api/v1/users?activate=%s", activate ? "true" : "false");
	int rc = call_user(c, "POST", path, body, out, e);
	free(body);
	return rc;
}

static int activation_from_resp(const struct okta_resp *r, struct okta_activation *out, struct okta_error *e)
{
	struct json j;
	memset(out, 0, sizeof(*out));
	if (r->len == 0)
		return 0;
	if (json_parse(&j, r->body, r->len, ACTIVATION_MAX_TOKENS, NULL, 0) < 0) {
		okta_error_local(e, "activation response is not JSON");
		return -1;
	}
	out->url = json_strdup(&j, json_get(&j, 0, "activationUrl"));
	out->token = json_strdup(&j, json_get(&j, 0, "activationToken"));
	json_free(&j);
	return 0;
}

/* POST /api/v1/users/{id}/lifecycle/<op>?sendEmail=..., reading an activation token when out is set. */
static int lifecycle(struct okta_client *c, const char *id, const char *op, int send_email, struct okta_activation *out,
		     struct okta_error *e)
{
	char *eid = escape_or_fail(id, "user id", e);
	if (!eid)
		return -1;
	char *path = path_fmt(e, "/api/v1/users/%s/lifecycle/%s?sendEmail=%s", eid, op, send_email ? "true" : "false");
	free(eid);
	if (!path)
		return -1;
	struct okta_resp r;
	int rc = okta_client_request(c, "POST", path, NULL, &r, e);
	free(path);
	if (rc == 0 && out)
		rc = activation_from_resp(&r, out, e);
	okta_resp_free(&r);
	return rc;
}

int okta_user_activate(struct okta_client *c, const char *id, int send_email, struct okta_activation *out,
		       struct okta_error *e)
{
	return lifecycle(c, id, "activate", send_email, out, e);
}

int okta_user_reactivate(struct okta_client *c, const char *id, int send_email, struct okta_activation *out,
			 struct okta_error *e)
{
	return lifecycle(c, id, "reactivate", send_email, out, e);
}

int okta_user_deactivate(struct okta_client *c, const char *id, int send_email, struct okta_error *e)
{
	return lifecycle(c, id, "deactivate", send_email, NULL, e);
}

int okta_user_update_profile(struct okta_client *c, const char *id, const char *partial_profile_json,
			     struct okta_user *out, struct okta_error *e)
{
	if (check_object(partial_profile_json, "profile", e) < 0)
		return -1;
	char *eid = escape_or_fail(id, "user id", e);
	if (!eid)
		return -1;
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_raw(&b, "profile", partial_profile_json, strlen(partial_profile_json));
	jbuf_obj_close(&b);
	char *body = jbuf_take(&b, NULL);
	char *path = body ? path_fmt(e, "/api/v1/users/%s", eid) : NULL;
	free(eid);
	if (!body)
		okta_error_local(e, "out of memory");
	int rc = body ? call_user(c, "POST", path, body, out, e) : -1;
	free(body);
	return rc;
}
