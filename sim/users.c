/* users.c: the org's users: Okta user JSON, profile validation, lookups, listUsers, and the lifecycle table. */
#include "sim/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/utf8.h"
#include "sim/events.h"
#include "sim/filter.h"
#include "sim/http.h"
#include "sim/outbox.h"
#include "sim/schema.h"
#include "sim/sim.h"

#define MAX_PROFILE_KEYS 200
#define MAX_PROFILE_BYTES (64 * 1024)
#define LIST_MAX 200
#define GROUP_IDS_MAX 20 /* createUser: more is E0000093 */
#define GROUPS_MAX 1000
/* JSON tokens in a user create or update body. */
#define BODY_MAX_TOKENS 8192
/* JSON tokens in {"id": "00g..."}. */
#define ADD_MAX_TOKENS 16

enum ustatus {
	ST_STAGED,
	ST_PROVISIONED,
	ST_ACTIVE,
	ST_RECOVERY,
	ST_LOCKED_OUT,
	ST_PASSWORD_EXPIRED,
	ST_SUSPENDED,
	ST_DEPROVISIONED,
	ST_N,
};

static const char *const status_names[ST_N] = { "STAGED",     "PROVISIONED",	  "ACTIVE",    "RECOVERY",
						"LOCKED_OUT", "PASSWORD_EXPIRED", "SUSPENDED", "DEPROVISIONED" };

enum op {
	OP_ACTIVATE,
	OP_REACTIVATE,
	OP_DEACTIVATE,
	OP_RESET_PASSWORD,
	OP_CLICK,
};

#define B(st) (1u << (st))
#define ALL_ST ((1u << ST_N) - 1)
#define NOT_ALLOWED "This operation is not allowed in the user's current status."

/*
 * The user lifecycle as Okta runs it: the statuses each operation starts from; any other status
 * is refused with the HTTP status, code and summary given. Where each goes:
 *   activate        -> ACTIVE with a password, else PROVISIONED (new activation token)
 *   reactivate      -> status unchanged (new activation token, older ones stop working)
 *   deactivate      -> DEPROVISIONED (tokens stop working)
 *   reset_password  -> RECOVERY (new reset token)
 *   click           -> ACTIVE (the person opened the emailed link and set a password; okta-sim only)
 * Activation of an already activated account (any status but STAGED and DEPROVISIONED, so
 * PROVISIONED too) is Okta's E0000016.
 */
static const struct rule {
	enum op op;
	unsigned from;
	int http;
	const char *code;
	const char *summary;
} rules[] = {
	{ OP_ACTIVATE, B(ST_STAGED) | B(ST_DEPROVISIONED), 403, "E0000016",
	  "Activation failed because the user is already active" },
	{ OP_REACTIVATE, B(ST_PROVISIONED) | B(ST_RECOVERY), 403, "E0000038", NOT_ALLOWED },
	{ OP_DEACTIVATE, ALL_ST & ~B(ST_DEPROVISIONED), 403, "E0000038", NOT_ALLOWED },
	{ OP_RESET_PASSWORD, B(ST_ACTIVE) | B(ST_RECOVERY) | B(ST_PASSWORD_EXPIRED) | B(ST_LOCKED_OUT), 403, "E0000038",
	  NOT_ALLOWED },
	{ OP_CLICK, B(ST_PROVISIONED) | B(ST_RECOVERY), 409, "invalid_status",
	  "the user's status no longer allows finishing this flow" },
};

struct attr {
	char *key;
	char *json; /* the value as JSON text */
};

struct profile {
	struct attr *a;
	int n;
};

struct user {
	char id[24];
	enum ustatus status;
	long long created, activated, status_changed, last_login, last_updated, password_changed;
	struct profile prof;
	char *login; /* cached from prof */
	int has_password;
	char *recovery_question;
	char provider_type[24], provider_name[64];
	char type_id[24];
	/* what filter/search still see until changed_real_ms + search lag (wall clock); has_index 0: nothing yet */
	struct profile index_prof;
	enum ustatus index_status;
	int has_index;
	long long changed_real_ms;
	/* asynchronous activation/deactivation: until transition_until, status shows transition_from */
	enum ustatus transition_from;
	long long transition_until;
};

struct users {
	struct user **v;
	int n;
	char (*groups)[24]; /* group ids that exist (POST /sim/groups) */
	int ngroups;
};

/* ---- profiles ---- */

static void profile_free(struct profile *p)
{
	for (int i = 0; i < p->n; i++) {
		free(p->a[i].key);
		free(p->a[i].json);
	}
	free(p->a);
	memset(p, 0, sizeof(*p));
}

static void profile_clone(const struct profile *src, struct profile *dst)
{
	dst->n = src->n;
	dst->a = sim_xcalloc((size_t)src->n + 1, sizeof(struct attr));
	for (int i = 0; i < src->n; i++) {
		dst->a[i].key = sim_strdup(src->a[i].key);
		dst->a[i].json = sim_strdup(src->a[i].json);
	}
}

static struct attr *profile_find(const struct profile *p, const char *key)
{
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->a[i].key, key) == 0)
			return &p->a[i];
	return NULL;
}

static void profile_set(struct profile *p, char *key, struct slice val)
{
	struct attr *a = profile_find(p, key);
	if (a) {
		free(key);
		free(a->json);
	} else {
		p->a = sim_xrealloc(p->a, sizeof(struct attr) * (size_t)(p->n + 1));
		a = &p->a[p->n++];
		a->key = key;
	}
	a->json = sim_strndup(val.p, val.n);
}

/* Copies the members of object token obj into p (replacing same-named ones). -1 when obj is no object. */
static int profile_merge(struct profile *p, const struct json *j, int obj)
{
	if (!json_is_object(j, obj))
		return -1;
	int k = obj + 1;
	for (int m = 0; m < json_size(j, obj); m++) {
		char *key = json_strdup(j, k);
		if (!key)
			return -1;
		profile_set(p, key, json_raw_value(j, k + 1));
		k = json_next(j, k + 1);
	}
	size_t total = 0;
	for (int i = 0; i < p->n; i++)
		total += strlen(p->a[i].key) + strlen(p->a[i].json);
	return p->n > MAX_PROFILE_KEYS || total > MAX_PROFILE_BYTES ? -1 : 0;
}

/* The string value of key (unescaped into buf), NULL when absent, null or not a string. */
static const char *profile_str(const struct profile *p, const char *key, char *buf, size_t n)
{
	const struct attr *a = profile_find(p, key);
	size_t len = a ? strlen(a->json) : 0;
	if (!a || len < 2 || a->json[0] != '"' || len - 2 >= n)
		return NULL;
	return json_unescape(a->json + 1, len - 2, buf) < 0 ? NULL : buf;
}

/* Scalar value of key as text (strings unescaped, numbers/booleans verbatim); NULL for null/absent. */
static const char *profile_text(const struct profile *p, const char *key, char *buf, size_t n)
{
	const struct attr *a = profile_find(p, key);
	if (!a || strcmp(a->json, "null") == 0)
		return NULL;
	if (a->json[0] == '"')
		return profile_str(p, key, buf, n);
	snprintf(buf, n, "%s", a->json);
	return buf;
}

static int looks_like_email(const char *s)
{
	const char *at = strchr(s, '@');
	return at && at != s && at[1] && !strchr(at + 1, '@') && !strpbrk(s, " \t\r\n");
}

/* NULL when the profile satisfies the org's user schema, else the first bad field and a cause. */
static const char *profile_invalid(const struct schema *sc, const struct profile *p, char *cause, size_t n)
{
	char buf[1024];
	static const char *const required[] = { "login", "email", "firstName", "lastName" };
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		const char *v = profile_str(p, required[i], buf, sizeof(buf));
		if (!v || !v[0]) {
			snprintf(cause, n, "%s: The field cannot be left blank", required[i]);
			return required[i];
		}
	}
	const char *login = profile_str(p, "login", buf, sizeof(buf));
	if (strlen(login) > 100) {
		snprintf(cause, n, "login: The field cannot exceed 100 characters");
		return "login";
	}
	if (!looks_like_email(login)) {
		snprintf(cause, n, "login: Username must be in the form of an email address");
		return "login";
	}
	if (!looks_like_email(profile_str(p, "email", buf, sizeof(buf)))) {
		snprintf(cause, n, "email: Does not match required pattern");
		return "email";
	}
	for (int i = 0; i < p->n; i++)
		if (schema_check_attr(sc, p->a[i].key, p->a[i].json, cause, n) < 0)
			return p->a[i].key;
	return NULL;
}

/* ---- users ---- */

struct users *users_new(void)
{
	return sim_xcalloc(1, sizeof(struct users));
}

static void user_free(struct user *u)
{
	if (!u)
		return;
	profile_free(&u->prof);
	profile_free(&u->index_prof);
	free(u->login);
	free(u->recovery_question);
	free(u);
}

void users_reset(struct users *us)
{
	for (int i = 0; i < us->n; i++)
		user_free(us->v[i]);
	free(us->v);
	us->v = NULL;
	us->n = 0;
	free(us->groups);
	us->groups = NULL;
	us->ngroups = 0;
}

void users_free(struct users *us)
{
	if (!us)
		return;
	users_reset(us);
	free(us);
}

/* Takes p over as u's profile (the old one is freed) and refreshes the cached login. */
static void user_set_profile(struct user *u, struct profile *p)
{
	char buf[1024];
	profile_free(&u->prof);
	u->prof = *p;
	memset(p, 0, sizeof(*p));
	free(u->login);
	const char *login = profile_str(&u->prof, "login", buf, sizeof(buf));
	u->login = sim_strdup(login ? login : "");
}

static struct user *user_by_login(struct users *us, const char *login, const struct user *except)
{
	for (int i = 0; i < us->n; i++)
		if (us->v[i] != except && strcasecmp(us->v[i]->login, login) == 0)
			return us->v[i];
	return NULL;
}

static struct user *user_find(struct users *us, const char *id_or_login)
{
	for (int i = 0; i < us->n; i++)
		if (strcmp(us->v[i]->id, id_or_login) == 0)
			return us->v[i];
	return user_by_login(us, id_or_login, NULL);
}

static void user_principal(const struct user *u, struct principal *p)
{
	char f[256], l[256];
	const char *first = profile_str(&u->prof, "firstName", f, sizeof(f));
	const char *last = profile_str(&u->prof, "lastName", l, sizeof(l));
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", u->id);
	snprintf(p->type, sizeof(p->type), "User");
	snprintf(p->alternate_id, sizeof(p->alternate_id), "%s", u->login);
	snprintf(p->display_name, sizeof(p->display_name), "%s%s%s", first ? first : "", first && last ? " " : "",
		 last ? last : "");
}

static void emit(struct http_req *r, const char *type, const struct user *u, const struct principal *actor)
{
	struct principal target;
	user_principal(u, &target);
	events_emit(r->sim, r, type, actor ? actor : &r->who, &target);
}

static void time_key(struct jbuf *b, const char *key, long long ms)
{
	char t[40];
	if (!ms) {
		jbuf_key_raw(b, key, "null", 4);
		return;
	}
	clock_format_ms(ms, t, sizeof(t));
	jbuf_key_str(b, key, t);
}

static void link_key(struct jbuf *b, const char *rel, const char *base, const char *id, const char *tail)
{
	char href[512];
	snprintf(href, sizeof(href), "%s/api/v1/users/%s%s", base, id, tail);
	jbuf_key(b, rel);
	jbuf_obj_open(b);
	jbuf_key_str(b, "href", href);
	if (*tail)
		jbuf_key_raw(b, "method", "\"POST\"", 6);
	jbuf_obj_close(b);
}

static void links_json(struct jbuf *b, const struct user *u, const char *base, int full)
{
	char href[512];
	jbuf_key(b, "_links");
	jbuf_obj_open(b);
	link_key(b, "self", base, u->id, "");
	if (full) {
		unsigned bit = B(u->status);
		if (bit & rules[OP_ACTIVATE].from)
			link_key(b, "activate", base, u->id, "/lifecycle/activate");
		if (bit & rules[OP_REACTIVATE].from)
			link_key(b, "reactivate", base, u->id, "/lifecycle/reactivate");
		if (bit & rules[OP_DEACTIVATE].from)
			link_key(b, "deactivate", base, u->id, "/lifecycle/deactivate");
		if (bit & rules[OP_RESET_PASSWORD].from)
			link_key(b, "resetPassword", base, u->id, "/lifecycle/reset_password");
		snprintf(href, sizeof(href), "%s/api/v1/meta/types/user/%s", base, u->type_id);
		jbuf_key(b, "type");
		jbuf_obj_open(b);
		jbuf_key_str(b, "href", href);
		jbuf_obj_close(b);
	}
	jbuf_obj_close(b);
}

static void credentials_json(struct jbuf *b, const struct user *u)
{
	jbuf_key(b, "credentials");
	jbuf_obj_open(b);
	if (u->has_password)
		jbuf_key_raw(b, "password", "{}", 2);
	if (u->recovery_question) {
		jbuf_key(b, "recovery_question");
		jbuf_obj_open(b);
		jbuf_key_str(b, "question", u->recovery_question);
		jbuf_obj_close(b);
	}
	jbuf_key(b, "provider");
	jbuf_obj_open(b);
	jbuf_key_str(b, "type", u->provider_type);
	jbuf_key_str(b, "name", u->provider_name);
	jbuf_obj_close(b);
	jbuf_obj_close(b);
}

static void user_json(struct jbuf *b, const struct user *u, const char *base, int full_links)
{
	int moving = clock_now_ms() < u->transition_until;
	jbuf_obj_open(b);
	jbuf_key_str(b, "id", u->id);
	jbuf_key_str(b, "status", status_names[moving ? u->transition_from : u->status]);
	if (moving)
		jbuf_key_str(b, "transitioningToStatus", status_names[u->status]);
	time_key(b, "created", u->created);
	time_key(b, "activated", u->activated);
	time_key(b, "statusChanged", u->status_changed);
	time_key(b, "lastLogin", u->last_login);
	time_key(b, "lastUpdated", u->last_updated);
	time_key(b, "passwordChanged", u->password_changed);
	jbuf_key(b, "type");
	jbuf_obj_open(b);
	jbuf_key_str(b, "id", u->type_id);
	jbuf_obj_close(b);
	jbuf_key(b, "profile");
	jbuf_obj_open(b);
	for (int i = 0; i < u->prof.n; i++)
		jbuf_key_raw(b, u->prof.a[i].key, u->prof.a[i].json, strlen(u->prof.a[i].json));
	const char *unset;
	for (int i = 0; (unset = schema_nullable_base(i)); i++)
		if (!profile_find(&u->prof, unset))
			jbuf_key_raw(b, unset, "null", 4);
	jbuf_obj_close(b);
	credentials_json(b, u);
	links_json(b, u, base, full_links);
	jbuf_obj_close(b);
}

static void reply_user(struct http_req *r, const struct user *u)
{
	struct jbuf b;
	jbuf_init(&b);
	user_json(&b, u, r->sim->base_url, 1);
	http_reply_jbuf(r, 200, &b);
}

static void not_found(struct http_req *r, const char *id)
{
	char msg[400];
	snprintf(msg, sizeof(msg), "Not found: Resource not found: %.*s (User)", utf8_prefix(id, 300), id);
	http_okta_error(r, 404, "E0000007", msg, NULL);
}

static void invalid(struct http_req *r, const char *field, const char *cause)
{
	char summary[160];
	snprintf(summary, sizeof(summary), "Api validation failed: %s", field);
	http_okta_error(r, 400, "E0000001", summary, cause);
}

static void malformed(struct http_req *r, const char *cause)
{
	http_okta_error(r, 400, "E0000003", "The request body was not well-formed.", cause);
}

static int parse_body(struct http_req *r, struct json *j)
{
	char err[128];
	if (json_parse(j, r->body ? r->body : "", r->body_len, BODY_MAX_TOKENS, err, sizeof(err)) < 0) {
		malformed(r, err);
		return -1;
	}
	if (!json_is_object(j, 0)) {
		json_free(j);
		malformed(r, "the body must be a JSON object");
		return -1;
	}
	return 0;
}

/* Reads credentials {password: {value}|{hash}, recovery_question, provider}; -1 after answering 400. */
static int read_credentials(struct http_req *r, const struct json *j, int cred, struct user *u)
{
	if (cred < 0 || json_is_null(j, cred))
		return 0;
	if (!json_is_object(j, cred)) {
		invalid(r, "credentials", "credentials: The field must be an object");
		return -1;
	}
	int pw = json_get(j, cred, "password"), rq = json_get(j, cred, "recovery_question");
	int prov = json_get(j, cred, "provider");
	if (pw >= 0 && !json_is_null(j, pw)) {
		int v = json_get(j, pw, "value"), h = json_get(j, pw, "hash");
		if (!json_is_object(j, pw) || (!json_is_string(j, v) && !json_is_object(j, h)) ||
		    (json_is_string(j, v) && json_raw(j, v).n == 0)) {
			invalid(r, "password", "password: A password value or hash is required");
			return -1;
		}
		u->has_password = 1;
	}
	int q = json_get(j, rq, "question");
	if (json_is_string(j, q)) {
		free(u->recovery_question);
		u->recovery_question = json_strdup(j, q);
	}
	char *pt = json_strdup(j, json_get(j, prov, "type")), *pn = json_strdup(j, json_get(j, prov, "name"));
	if (pt && strlen(pt) < sizeof(u->provider_type))
		snprintf(u->provider_type, sizeof(u->provider_type), "%s", pt);
	if (pn && strlen(pn) < sizeof(u->provider_name))
		snprintf(u->provider_name, sizeof(u->provider_name), "%s", pn);
	free(pt);
	free(pn);
	return 0;
}

/* type {id} must name the org's one user type. -1 after answering 400. */
static int read_type(struct http_req *r, const struct json *j, const char *org_type)
{
	int t = json_get(j, 0, "type");
	if (t < 0 || json_is_null(j, t))
		return 0;
	int id = json_get(j, t, "id");
	if (!json_is_object(j, t) || (id >= 0 && !json_str_eq(j, id, org_type))) {
		invalid(r, "type", "type: Invalid user type id");
		return -1;
	}
	return 0;
}

static int group_known(const struct users *us, const char *id)
{
	for (int i = 0; i < us->ngroups; i++)
		if (strcmp(us->groups[i], id) == 0)
			return 1;
	return 0;
}

/* groupIds: strings naming groups that exist, at most 20 (Okta's E0000093). -1 after answering. */
static int read_group_ids(struct http_req *r, const struct json *j)
{
	int g = json_get(j, 0, "groupIds");
	if (g < 0 || json_is_null(j, g))
		return 0;
	if (!json_is_array(j, g))
		goto bad;
	for (int i = 0; i < json_size(j, g); i++)
		if (!json_is_string(j, json_at(j, g, i)))
			goto bad;
	if (json_size(j, g) > GROUP_IDS_MAX) {
		http_okta_error(r, 400, "E0000093", "Target count limit exceeded",
				"The number of group targets is too large");
		return -1;
	}
	for (int i = 0; i < json_size(j, g); i++) {
		char *id = json_strdup(j, json_at(j, g, i));
		int known = id && group_known(r->sim->users, id);
		if (!known) {
			char msg[200];
			snprintf(msg, sizeof(msg), "Not found: Resource not found: %.*s (UserGroup)",
				 utf8_prefix(id ? id : "", 100), id ? id : "");
			http_okta_error(r, 404, "E0000007", msg, NULL);
		}
		free(id);
		if (!known)
			return -1;
	}
	return 0;
bad:
	invalid(r, "groupIds", "groupIds: A list of group id strings is required");
	return -1;
}

/* ---- lifecycle ---- */

static int rule_allows(struct http_req *r, const struct user *u, enum op op)
{
	const struct rule *ru = &rules[op];
	if (ru->from & B(u->status))
		return 1;
	if (op == OP_CLICK)
		http_fail(r, ru->http, ru->code, ru->summary);
	else
		http_okta_error(r, ru->http, ru->code, ru->summary, NULL);
	return 0;
}

/*
 * Called before u changes. filter/search (Okta's search index) see a change search_lag_ms after
 * it: the index keeps the last state that is at least that old, and a user created within the lag
 * is not in it yet.
 */
static void index_touch(struct sim *s, struct user *u)
{
	long long now = clock_now_ms();
	if (now >= u->changed_real_ms + s->cfg.search_lag_ms) {
		profile_free(&u->index_prof);
		profile_clone(&u->prof, &u->index_prof);
		u->index_status = u->status;
		u->has_index = 1;
	}
	u->changed_real_ms = now;
}

static void set_status(struct sim *s, struct user *u, enum ustatus st)
{
	long long now = sim_now_ms(s);
	index_touch(s, u);
	if (u->status != st)
		u->status_changed = now;
	u->status = st;
	u->last_updated = now;
}

/* Activation and deactivation run asynchronously in Okta: for transition_ms, readers see from. */
static void start_transition(struct sim *s, struct user *u, enum ustatus from)
{
	if (s->cfg.transition_ms <= 0)
		return;
	u->transition_from = from;
	u->transition_until = clock_now_ms() + s->cfg.transition_ms;
}

/*
 * Issues a one-time link for u (older ones stop working) into url, emailing it when send.
 * kind picks /tokens/<t>/verify (activation) or /signin/reset-password/<t> (reset).
 */
static void issue_link(struct sim *s, struct user *u, enum link_kind lk, enum mail_kind mk, int send, char tok[24],
		       char *url, size_t n)
{
	char buf[1024];
	long long now = sim_now_ms(s);
	outbox_token_issue(s->outbox, u->id, lk, now, s->cfg.token_ttl_ms, tok);
	if (lk == LINK_ACTIVATION)
		snprintf(url, n, "%s/tokens/%s/verify", s->base_url, tok);
	else
		snprintf(url, n, "%s/signin/reset-password/%s", s->base_url, tok);
	if (send)
		outbox_send(s->outbox, profile_str(&u->prof, "email", buf, sizeof(buf)), mk, u->id, u->login, url, now);
}

/* activate from STAGED/DEPROVISIONED: ACTIVE with a password, else PROVISIONED pending the welcome flow. */
static void do_activate(struct http_req *r, struct user *u, int send_email, char tok[24], char *url, size_t n)
{
	struct sim *s = r->sim;
	enum ustatus from = u->status;
	issue_link(s, u, LINK_ACTIVATION, MAIL_ACTIVATION, send_email && !u->has_password, tok, url, n);
	set_status(s, u, u->has_password ? ST_ACTIVE : ST_PROVISIONED);
	start_transition(s, u, from);
	u->activated = sim_now_ms(s); /* Okta sets it when activation starts, PROVISIONED included */
	emit(r, "user.lifecycle.activate", u, NULL);
}

static void do_deactivate(struct http_req *r, struct user *u)
{
	enum ustatus from = u->status;
	outbox_tokens_revoke(r->sim->outbox, u->id);
	set_status(r->sim, u, ST_DEPROVISIONED);
	start_transition(r->sim, u, from);
	emit(r, "user.lifecycle.deactivate", u, NULL);
}

static void reply_token(struct http_req *r, int send_email, const char *tok, const char *url)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	if (!send_email) {
		jbuf_key_str(&b, "activationToken", tok);
		jbuf_key_str(&b, "activationUrl", url);
	}
	jbuf_obj_close(&b);
	http_reply_jbuf(r, 200, &b);
}

/* sendEmail query parameter; answers 400 and returns -1 when it is not a boolean. */
static int send_email_param(struct http_req *r, int dflt, int *out)
{
	if (http_query_bool(r, "sendEmail", dflt, out) == 0)
		return 0;
	invalid(r, "sendEmail", "sendEmail: The value must be true or false");
	return -1;
}

/* Runs one lifecycle op on the user named by segment 3, with sim->mu held around it. */
static void lifecycle(struct http_req *r, enum op op, int send_email)
{
	struct sim *s = r->sim;
	char tok[24], url[512];
	pthread_mutex_lock(&s->mu);
	struct user *u = user_find(s->users, r->seg[3]);
	if (!u) {
		not_found(r, r->seg[3]);
	} else if (rule_allows(r, u, op)) {
		switch (op) {
		case OP_ACTIVATE:
			do_activate(r, u, send_email, tok, url, sizeof(url));
			reply_token(r, send_email, tok, url);
			break;
		case OP_REACTIVATE:
			issue_link(s, u, LINK_ACTIVATION, MAIL_REACTIVATION, send_email, tok, url, sizeof(url));
			u->last_updated = sim_now_ms(s);
			emit(r, "user.lifecycle.reactivate", u, NULL);
			reply_token(r, send_email, tok, url);
			break;
		case OP_DEACTIVATE:
			do_deactivate(r, u);
			http_reply(r, 200, NULL, 0);
			break;
		case OP_RESET_PASSWORD: {
			issue_link(s, u, LINK_RESET, MAIL_RESET, send_email, tok, url, sizeof(url));
			set_status(s, u, ST_RECOVERY);
			emit(r, "user.account.reset_password", u, NULL);
			struct jbuf b;
			jbuf_init(&b);
			jbuf_obj_open(&b);
			if (!send_email)
				jbuf_key_str(&b, "resetPasswordUrl", url);
			jbuf_obj_close(&b);
			http_reply_jbuf(r, 200, &b);
			break;
		}
		case OP_CLICK: break;
		}
	}
	events_flush(s);
	pthread_mutex_unlock(&s->mu);
}

void users_activate(struct http_req *r)
{
	int send;
	if (send_email_param(r, 1, &send) == 0)
		lifecycle(r, OP_ACTIVATE, send);
}

void users_reactivate(struct http_req *r)
{
	int send;
	if (send_email_param(r, 0, &send) == 0)
		lifecycle(r, OP_REACTIVATE, send);
}

void users_deactivate(struct http_req *r)
{
	int send;
	if (send_email_param(r, 0, &send) == 0)
		lifecycle(r, OP_DEACTIVATE, send);
}

void users_reset_password(struct http_req *r)
{
	int send;
	if (send_email_param(r, -1, &send) < 0)
		return;
	if (send < 0) {
		http_okta_error(r, 400, "E0000028", "The request is missing a required parameter.",
				"sendEmail: The parameter is required");
		return;
	}
	lifecycle(r, OP_RESET_PASSWORD, send);
}

void users_click(struct http_req *r, const char *tok)
{
	struct sim *s = r->sim;
	char uid[24], msg[200];
	enum link_kind kind;
	pthread_mutex_lock(&s->mu);
	long long now = sim_now_ms(s);
	enum token_check c = outbox_token_check(s->outbox, tok, now, uid, &kind);
	struct user *u = c == TOKEN_OK ? user_find(s->users, uid) : NULL;
	if (c != TOKEN_OK || !u) {
		char code[32];
		snprintf(code, sizeof(code), "token_%s", outbox_token_check_name(c == TOKEN_OK ? TOKEN_UNKNOWN : c));
		snprintf(msg, sizeof(msg), "this one-time link is %s",
			 c == TOKEN_EXPIRED   ? "expired"
			 : c == TOKEN_USED    ? "already used"
			 : c == TOKEN_REVOKED ? "superseded by a newer one or revoked"
					      : "unknown");
		http_fail(r, c == TOKEN_OK || c == TOKEN_UNKNOWN ? 404 : 410, code, msg);
	} else if (rule_allows(r, u, OP_CLICK)) {
		outbox_token_use(s->outbox, tok, now);
		set_status(s, u, ST_ACTIVE);
		if (!u->activated)
			u->activated = now;
		u->has_password = 1;
		u->password_changed = u->last_login = now;
		struct principal self;
		user_principal(u, &self);
		emit(r, "user.account.update_password", u, &self);
		struct jbuf b;
		jbuf_init(&b);
		jbuf_obj_open(&b);
		jbuf_key_str(&b, "user_id", u->id);
		jbuf_key_str(&b, "login", u->login);
		jbuf_key_str(&b, "status", status_names[u->status]);
		jbuf_key_str(&b, "flow", kind == LINK_RESET ? "reset" : "activation");
		jbuf_obj_close(&b);
		http_reply_jbuf(r, 200, &b);
	}
	events_flush(s);
	pthread_mutex_unlock(&s->mu);
}

/* ---- create, get, update ---- */

/* Fills a new user from the body; -1 after answering 400. */
static int user_from_body(struct http_req *r, const struct json *j, struct user *u)
{
	char cause[200];
	struct profile p = { 0 };
	int prof = json_get(j, 0, "profile");
	if (prof < 0 || profile_merge(&p, j, prof) < 0) {
		profile_free(&p);
		invalid(r, "profile", "profile: An object with at most 200 attributes and 64 KiB is required");
		return -1;
	}
	user_set_profile(u, &p);
	const char *bad = profile_invalid(r->sim->schema, &u->prof, cause, sizeof(cause));
	if (bad) {
		invalid(r, bad, cause);
		return -1;
	}
	if (read_credentials(r, j, json_get(j, 0, "credentials"), u) < 0 || read_type(r, j, r->sim->user_type_id) < 0 ||
	    read_group_ids(r, j) < 0)
		return -1;
	return 0;
}

static void duplicate_login(struct http_req *r)
{
	invalid(r, "login", "login: An object with this field already exists in the current organization");
}

void users_create(struct http_req *r)
{
	struct sim *s = r->sim;
	struct json j;
	int activate;
	if (http_query_bool(r, "activate", 1, &activate) < 0) {
		invalid(r, "activate", "activate: The value must be true or false");
		return;
	}
	if (parse_body(r, &j) < 0)
		return;
	struct user *u = sim_xcalloc(1, sizeof(*u));
	snprintf(u->provider_type, sizeof(u->provider_type), "OKTA");
	snprintf(u->provider_name, sizeof(u->provider_name), "OKTA");
	pthread_mutex_lock(&s->mu);
	int rc = user_from_body(r, &j, u);
	json_free(&j);
	if (rc < 0) {
		user_free(u);
	} else if (user_by_login(s->users, u->login, NULL)) {
		duplicate_login(r);
		user_free(u);
	} else {
		sim_new_id(u->id, "00u");
		snprintf(u->type_id, sizeof(u->type_id), "%s", s->user_type_id);
		u->created = u->last_updated = sim_now_ms(s);
		u->status = ST_STAGED;
		u->changed_real_ms = clock_now_ms();
		if (u->has_password)
			u->password_changed = u->created;
		s->users->v = sim_xrealloc(s->users->v, sizeof(struct user *) * (size_t)(s->users->n + 1));
		s->users->v[s->users->n++] = u;
		emit(r, "user.lifecycle.create", u, NULL);
		if (activate) {
			char tok[24], url[512];
			do_activate(r, u, 1, tok, url, sizeof(url));
		}
		reply_user(r, u);
	}
	events_flush(s);
	pthread_mutex_unlock(&s->mu);
}

/* Sets key to the JSON string val in p. */
static void profile_set_str(struct profile *p, const char *key, const char *val)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_str(&b, val);
	if (!b.err)
		profile_set(p, sim_strdup(key), (struct slice){ b.p, b.n });
	jbuf_free(&b);
}

/*
 * GET /api/v1/users/me: the user behind an SSWS token (Okta answers the token owner), also for a
 * console call. The sim's token owner is its fixed principal, not a stored user (so listUsers does
 * not count it): an ACTIVE user with a password is made up from it. OAuth service apps have no
 * user: Okta answers 404 there, and so does the sim.
 */
static int reply_me(struct http_req *r)
{
	if (!r->authed || strcmp(r->who.type, "User") != 0)
		return -1;
	static const long long since = 1577836800000LL; /* 2020-01-01: the org's (made-up) first day */
	struct user me;
	memset(&me, 0, sizeof(me));
	snprintf(me.id, sizeof(me.id), "%.20s", r->who.id);
	snprintf(me.type_id, sizeof(me.type_id), "%s", r->sim->user_type_id);
	snprintf(me.provider_type, sizeof(me.provider_type), "OKTA");
	snprintf(me.provider_name, sizeof(me.provider_name), "OKTA");
	me.status = ST_ACTIVE;
	me.has_password = 1;
	me.created = me.activated = me.status_changed = me.last_updated = me.password_changed = since;
	me.last_login = sim_now_ms(r->sim);
	profile_set_str(&me.prof, "login", r->who.alternate_id);
	profile_set_str(&me.prof, "email", r->who.alternate_id);
	profile_set_str(&me.prof, "firstName", "okta-sim");
	profile_set_str(&me.prof, "lastName", "Admin");
	profile_set_str(&me.prof, "displayName", r->who.display_name);
	struct jbuf b;
	jbuf_init(&b);
	user_json(&b, &me, r->sim->base_url, 1);
	profile_free(&me.prof);
	http_reply_jbuf(r, 200, &b);
	return 0;
}

void users_get(struct http_req *r)
{
	struct sim *s = r->sim;
	if (strcmp(r->seg[3], "me") == 0 && reply_me(r) == 0)
		return;
	pthread_mutex_lock(&s->mu);
	struct user *u = user_find(s->users, r->seg[3]);
	if (u)
		reply_user(r, u);
	else
		not_found(r, r->seg[3]);
	pthread_mutex_unlock(&s->mu);
}

/*
 * UpdateUserRequest has only profile, credentials, type and realmId; status is a read-only
 * UserStatus. A body carrying status (or transitioningToStatus) is refused as not fitting the
 * schema (E0000003) so that a client never believes it changed a status that way.
 */
static int refuse_status(struct http_req *r, const struct json *j)
{
	static const char *const keys[] = { "status", "transitioningToStatus" };
	char cause[300];
	for (size_t i = 0; i < 2; i++) {
		if (json_get(j, 0, keys[i]) < 0)
			continue;
		snprintf(cause, sizeof(cause),
			 "%s: read-only property; change a user's status with the lifecycle operations "
			 "(activate, reactivate, deactivate, reset_password)",
			 keys[i]);
		malformed(r, cause);
		return -1;
	}
	return 0;
}

/* Applies an update body to u (profile merged, or replaced when replace); -1 after answering. */
static int apply_update(struct http_req *r, const struct json *j, struct user *u, int replace, int *profile_changed)
{
	char cause[200];
	struct profile p = { 0 };
	int prof = json_get(j, 0, "profile");
	*profile_changed = prof >= 0;
	if (!replace)
		profile_clone(&u->prof, &p);
	if (prof >= 0 && profile_merge(&p, j, prof) < 0) {
		profile_free(&p);
		invalid(r, "profile", "profile: An object with at most 200 attributes and 64 KiB is required");
		return -1;
	}
	const char *bad = profile_invalid(r->sim->schema, &p, cause, sizeof(cause));
	char login[1024];
	if (!bad && user_by_login(r->sim->users, profile_str(&p, "login", login, sizeof(login)), u)) {
		profile_free(&p);
		duplicate_login(r);
		return -1;
	}
	if (bad) {
		char field[128];
		snprintf(field, sizeof(field), "%.*s", utf8_prefix(bad, 100), bad); /* bad may point into p */
		profile_free(&p);
		invalid(r, field, cause);
		return -1;
	}
	struct user scratch = *u;
	scratch.recovery_question = NULL;
	if (read_credentials(r, j, json_get(j, 0, "credentials"), &scratch) < 0 ||
	    read_type(r, j, r->sim->user_type_id) < 0) {
		free(scratch.recovery_question);
		profile_free(&p);
		return -1;
	}
	long long now = sim_now_ms(r->sim);
	if (scratch.has_password && json_get(j, json_get(j, 0, "credentials"), "password") >= 0)
		u->password_changed = now;
	u->has_password = scratch.has_password;
	if (scratch.recovery_question) {
		free(u->recovery_question);
		u->recovery_question = scratch.recovery_question;
	}
	memcpy(u->provider_type, scratch.provider_type, sizeof(u->provider_type));
	memcpy(u->provider_name, scratch.provider_name, sizeof(u->provider_name));
	index_touch(r->sim, u);
	user_set_profile(u, &p);
	u->last_updated = now;
	return 0;
}

/* The attributes whose value differs between a and b, comma separated, into out (n bytes). */
static void changed_attributes(const struct profile *a, const struct profile *b, char *out, size_t n)
{
	size_t used = 0;
	out[0] = '\0';
	for (int pass = 0; pass < 2; pass++) {
		const struct profile *x = pass ? b : a, *y = pass ? a : b;
		for (int i = 0; i < x->n; i++) {
			const struct attr *o = profile_find(y, x->a[i].key);
			if ((o && strcmp(o->json, x->a[i].json) == 0) || (pass && o))
				continue;
			int w = snprintf(out + used, n - used, "%s%s", used ? "," : "", x->a[i].key);
			if (w < 0 || (size_t)w >= n - used)
				return;
			used += (size_t)w;
		}
	}
}

/* user.account.update_profile with debugData.changedAttributes (a comma-separated list). */
static void emit_profile_update(struct http_req *r, const struct user *u, const struct profile *before)
{
	char changed[1024], members[1200];
	struct jbuf b;
	changed_attributes(before, &u->prof, changed, sizeof(changed));
	jbuf_init(&b);
	jbuf_str(&b, changed);
	snprintf(members, sizeof(members), "\"changedAttributes\":%s", b.err ? "\"\"" : b.p);
	jbuf_free(&b);
	struct principal target;
	user_principal(u, &target);
	struct event_extra x = { .debug_members = members };
	events_emit_extra(r->sim, r, "user.account.update_profile", &r->who, &target, &x);
}

static void update(struct http_req *r, int replace)
{
	struct sim *s = r->sim;
	struct json j;
	int changed;
	if (parse_body(r, &j) < 0)
		return;
	if (refuse_status(r, &j) < 0) {
		json_free(&j);
		return;
	}
	pthread_mutex_lock(&s->mu);
	struct user *u = user_find(s->users, r->seg[3]);
	struct profile before = { 0 };
	if (u)
		profile_clone(&u->prof, &before);
	if (!u) {
		not_found(r, r->seg[3]);
	} else if (u->status == ST_DEPROVISIONED) {
		http_okta_error(r, 403, "E0000038", NOT_ALLOWED, NULL); /* Okta's default: no profile edits then */
	} else if (apply_update(r, &j, u, replace, &changed) == 0) {
		if (changed)
			emit_profile_update(r, u, &before);
		reply_user(r, u);
	}
	profile_free(&before);
	events_flush(s);
	pthread_mutex_unlock(&s->mu);
	json_free(&j);
}

/*
 * POST /sim/email/bounce {"address", "reason"}: the mail provider could not deliver to address.
 * Emits system.email.delivery (outcome FAILURE, the reason, default "Bounce") for the user whose
 * email or secondEmail it is; 404 when no user has it.
 */
void users_bounce(struct http_req *r)
{
	struct sim *s = r->sim;
	struct json j;
	if (parse_body(r, &j) < 0)
		return;
	char *addr = json_strdup(&j, json_get(&j, 0, "address"));
	char *reason = json_strdup(&j, json_get(&j, 0, "reason"));
	json_free(&j);
	pthread_mutex_lock(&s->mu);
	struct user *hit = NULL;
	char buf[1024];
	for (int i = 0; addr && !hit && i < s->users->n; i++) {
		const char *e = profile_str(&s->users->v[i]->prof, "email", buf, sizeof(buf));
		const char *e2 = e && strcasecmp(e, addr) == 0
					 ? e
					 : profile_str(&s->users->v[i]->prof, "secondEmail", buf, sizeof(buf));
		if (e2 && strcasecmp(e2, addr) == 0)
			hit = s->users->v[i];
	}
	if (!hit) {
		http_fail(r, 404, "no_user", "no user has this email address");
	} else {
		struct principal target, okta = { .id = "0oa1oktasystem00000000",
						  .type = "SystemPrincipal",
						  .alternate_id = "system@okta.com",
						  .display_name = "Okta System" };
		user_principal(hit, &target);
		char members[1400];
		struct jbuf b;
		jbuf_init(&b);
		jbuf_key_str(&b, "emailAddress", addr);
		snprintf(members, sizeof(members), "%s", b.err ? "\"emailAddress\":null" : b.p);
		jbuf_free(&b);
		struct event_extra x = { .result = "FAILURE",
					 .reason = reason && *reason ? reason : "Bounce",
					 .severity = "WARN",
					 .debug_members = members };
		events_emit_extra(s, r, "system.email.delivery", &okta, &target, &x);
		jbuf_init(&b);
		jbuf_obj_open(&b);
		jbuf_key_str(&b, "user_id", hit->id);
		jbuf_key_str(&b, "eventType", "system.email.delivery");
		jbuf_obj_close(&b);
		http_reply_jbuf(r, 200, &b);
	}
	events_flush(s);
	pthread_mutex_unlock(&s->mu);
	free(addr);
	free(reason);
}

void users_update(struct http_req *r)
{
	update(r, 0);
}

void users_replace(struct http_req *r)
{
	update(r, 1);
}

/*
 * DELETE /api/v1/users/{id} (deleteUser): a user not yet DEPROVISIONED is deactivated (as the
 * deactivate call would); a DEPROVISIONED one is deleted for good. Both answer 204.
 */
void users_delete(struct http_req *r)
{
	struct sim *s = r->sim;
	int send;
	if (send_email_param(r, 0, &send) < 0)
		return;
	pthread_mutex_lock(&s->mu);
	struct user *u = user_find(s->users, r->seg[3]);
	int i = 0;
	while (u && s->users->v[i] != u)
		i++;
	if (!u) {
		not_found(r, r->seg[3]);
	} else if (u->status != ST_DEPROVISIONED) {
		do_deactivate(r, u);
		http_reply(r, 204, NULL, 0);
	} else {
		emit(r, "user.lifecycle.delete.initiated", u, NULL);
		outbox_tokens_revoke(s->outbox, u->id);
		user_free(u);
		memmove(&s->users->v[i], &s->users->v[i + 1], sizeof(struct user *) * (size_t)(s->users->n - i - 1));
		s->users->n--;
		http_reply(r, 204, NULL, 0);
	}
	events_flush(s);
	pthread_mutex_unlock(&s->mu);
}

/* ---- groups (only their ids: createUser's groupIds must name existing ones) ---- */

static void groups_json(struct jbuf *b, const struct users *us)
{
	jbuf_arr_open(b);
	for (int i = 0; i < us->ngroups; i++) {
		jbuf_elem(b);
		jbuf_obj_open(b);
		jbuf_key_str(b, "id", us->groups[i]);
		jbuf_obj_close(b);
	}
	jbuf_arr_close(b);
}

void users_groups_get(struct http_req *r)
{
	struct jbuf b;
	jbuf_init(&b);
	pthread_mutex_lock(&r->sim->mu);
	groups_json(&b, r->sim->users);
	pthread_mutex_unlock(&r->sim->mu);
	http_reply_jbuf(r, 200, &b);
}

static int group_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 20)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
		      (id[i] >= '0' && id[i] <= '9')))
			return 0;
	return 1;
}

void users_groups_add(struct http_req *r)
{
	struct users *us = r->sim->users;
	struct json j;
	char id[24] = "";
	if (json_parse(&j, r->body ? r->body : "{}", r->body_len ? r->body_len : 2, ADD_MAX_TOKENS, NULL, 0) < 0 ||
	    !json_is_object(&j, 0)) {
		http_fail(r, 400, "invalid_json", "the body must be a JSON object, optionally {\"id\": \"00g...\"}");
		return;
	}
	char *want = json_strdup(&j, json_get(&j, 0, "id"));
	json_free(&j);
	if (want && !group_id_ok(want)) {
		free(want);
		http_fail(r, 400, "invalid_group_id", "a group id has 1 to 20 letters and digits");
		return;
	}
	if (want)
		snprintf(id, sizeof(id), "%s", want);
	else
		sim_new_id(id, "00g");
	free(want);
	pthread_mutex_lock(&r->sim->mu);
	if (us->ngroups == GROUPS_MAX) {
		pthread_mutex_unlock(&r->sim->mu);
		http_fail(r, 409, "too_many_groups", "okta-sim holds at most 1000 groups");
		return;
	}
	if (!group_known(us, id)) {
		us->groups = sim_xrealloc(us->groups, sizeof(us->groups[0]) * (size_t)(us->ngroups + 1));
		snprintf(us->groups[us->ngroups++], sizeof(us->groups[0]), "%s", id);
	}
	pthread_mutex_unlock(&r->sim->mu);
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "id", id);
	jbuf_obj_close(&b);
	http_reply_jbuf(r, 201, &b);
}

/* ---- listing ---- */

static const char *user_attr(const void *obj, const char *attr, char *buf, size_t n)
{
	const struct user *u = obj;
	static const struct {
		const char *name;
		size_t off;
	} times[] = {
		{ "created", offsetof(struct user, created) },
		{ "activated", offsetof(struct user, activated) },
		{ "statusChanged", offsetof(struct user, status_changed) },
		{ "lastUpdated", offsetof(struct user, last_updated) },
		{ "passwordChanged", offsetof(struct user, password_changed) },
		{ "lastLogin", offsetof(struct user, last_login) },
	};
	if (strcmp(attr, "id") == 0)
		return u->id;
	if (strcmp(attr, "status") == 0)
		return status_names[u->status];
	if (strcmp(attr, "type.id") == 0)
		return u->type_id;
	if (strncmp(attr, "profile.", 8) == 0)
		return profile_text(&u->prof, attr + 8, buf, n);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		if (strcmp(attr, times[i].name) != 0)
			continue;
		long long ms = *(const long long *)(const void *)((const char *)u + times[i].off);
		if (!ms)
			return NULL;
		clock_format_ms(ms, buf, n);
		return buf;
	}
	return NULL;
}

/* q: startsWith on firstName, lastName or email, case-insensitively. */
static int q_match(const struct user *u, const char *q)
{
	static const char *const keys[] = { "firstName", "lastName", "email" };
	char buf[1024];
	for (size_t i = 0; i < 3; i++) {
		const char *v = profile_str(&u->prof, keys[i], buf, sizeof(buf));
		if (v && strncasecmp(v, q, strlen(q)) == 0)
			return 1;
	}
	return 0;
}

struct list_query {
	char expr[4200];
	enum filter_mode mode;
	int has_expr;
	char q[256];
	int has_q;
	char after[64];
	int has_after;
	long limit;
};

/* Reads the listUsers parameters; -1 after answering 400. */
static int list_params(struct http_req *r, struct list_query *lq)
{
	char lim[24], why[200];
	memset(lq, 0, sizeof(*lq));
	int s = http_query(r, "search", lq->expr, sizeof(lq->expr));
	int f = s ? 0 : http_query(r, "filter", lq->expr, sizeof(lq->expr));
	lq->has_q = http_query(r, "q", lq->q, sizeof(lq->q)) > 0;
	lq->has_after = http_query(r, "after", lq->after, sizeof(lq->after)) > 0;
	lq->has_expr = s > 0 || f > 0;
	lq->mode = s > 0 ? FILTER_SEARCH : FILTER_FILTER;
	lq->limit = lq->has_q && !lq->has_expr ? 10 : LIST_MAX;
	if (s < 0 || f < 0 || (lq->has_expr && filter_check(lq->expr, lq->mode, why, sizeof(why)) < 0)) {
		http_okta_error(r, 400, "E0000031", "Invalid search criteria.", s < 0 || f < 0 ? "too long" : why);
		return -1;
	}
	if (http_query(r, "limit", lim, sizeof(lim)) > 0) {
		char *end;
		lq->limit = strtol(lim, &end, 10);
		if (*end || lq->limit < 1) {
			invalid(r, "limit", "limit: The value must be a positive integer");
			return -1;
		}
		if (lq->limit > LIST_MAX)
			lq->limit = LIST_MAX;
	}
	return 0;
}

static int list_match(const struct sim *s, const struct user *u, const struct list_query *lq)
{
	if (lq->has_expr && clock_now_ms() < u->changed_real_ms + s->cfg.search_lag_ms) {
		if (!u->has_index)
			return 0;
		struct user view = *u;
		view.prof = u->index_prof;
		view.status = u->index_status;
		return filter_match(lq->expr, lq->mode, user_attr, &view);
	}
	if (lq->has_expr)
		return filter_match(lq->expr, lq->mode, user_attr, u);
	if (u->status == ST_DEPROVISIONED)
		return 0;
	return !lq->has_q || q_match(u, lq->q);
}

/* Link headers: self, and next (with after=<last id>) when more users match. */
static void list_links(struct http_req *r, const char *last_id)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_printf(&b, "<%s/api/v1/users%s%s>; rel=\"self\"", r->sim->base_url, r->query[0] ? "?" : "", r->query);
	if (!b.err)
		http_add_header(r, "Link", b.p);
	jbuf_free(&b);
	if (!last_id)
		return;
	jbuf_init(&b);
	jbuf_printf(&b, "<%s/api/v1/users?", r->sim->base_url);
	const char *p = r->query;
	while (*p) {
		size_t n = strcspn(p, "&");
		if (n && strncmp(p, "after=", 6) != 0) {
			jbuf_put(&b, p, n);
			jbuf_putc(&b, '&');
		}
		p += n + (p[n] == '&');
	}
	jbuf_puts(&b, "after=");
	http_pct_encode(&b, last_id);
	jbuf_puts(&b, ">; rel=\"next\"");
	if (!b.err)
		http_add_header(r, "Link", b.p);
	jbuf_free(&b);
}

void users_list(struct http_req *r)
{
	struct sim *s = r->sim;
	struct list_query *lq = sim_xcalloc(1, sizeof(*lq));
	if (list_params(r, lq) < 0) {
		free(lq);
		return;
	}
	struct jbuf b;
	char last[24] = "";
	int i = 0, count = 0, more = 0;
	jbuf_init(&b);
	jbuf_arr_open(&b);
	pthread_mutex_lock(&s->mu);
	if (lq->has_after) {
		while (i < s->users->n && strcmp(s->users->v[i]->id, lq->after) != 0)
			i++;
		i++;
	}
	for (; i < s->users->n; i++) {
		const struct user *u = s->users->v[i];
		if (!list_match(s, u, lq))
			continue;
		if (count == lq->limit) {
			more = 1;
			break;
		}
		jbuf_elem(&b);
		user_json(&b, u, s->base_url, 0);
		snprintf(last, sizeof(last), "%s", u->id);
		count++;
	}
	pthread_mutex_unlock(&s->mu);
	jbuf_arr_close(&b);
	list_links(r, more && !lq->has_q ? last : NULL);
	free(lq);
	http_reply_jbuf(r, 200, &b);
}

void users_sim_list(struct http_req *r)
{
	struct sim *s = r->sim;
	struct jbuf b;
	jbuf_init(&b);
	jbuf_arr_open(&b);
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < s->users->n; i++) {
		jbuf_elem(&b);
		user_json(&b, s->users->v[i], s->base_url, 1);
	}
	pthread_mutex_unlock(&s->mu);
	jbuf_arr_close(&b);
	http_reply_jbuf(r, 200, &b);
}
