/* actions.c: the action table (name, verb, handler, help) and each action's run against Okta. */
#include "handlers/actions.h"

#include "core/clock.h"
#include "core/jbuf.h"
#include "core/json.h"
#include "core/log.h"
#include "handlers/landing.h"
#include "handlers/lifecycle.h"
#include "handlers/mail.h"
#include "okta/users.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void result(struct action_result *r, enum action_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(struct action_result *r, enum action_status s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
	r->status = s;
}

/* Maps an Okta failure to retry or fail, with its text. */
static void from_error(struct action_result *r, const char *what, const struct okta_error *e)
{
	char msg[400];
	okta_error_format(e, msg, sizeof(msg));
	result(r, e->retryable ? ACTION_RETRY : ACTION_FAIL, "%s: %s", what, msg);
	r->retry_after_ms = e->retry_after_ms;
	r->rate_limited = e->retryable && e->rate_limited;
}

/* Normalized field (HR mapping names) -> Okta profile attribute. */
static const struct {
	const char *field, *attr;
} profile_map[] = {
	{ "login", "login" },
	{ "email", "email" },
	{ "first_name", "firstName" },
	{ "last_name", "lastName" },
	{ "personal_email", "secondEmail" },
	{ "employee_id", "employeeNumber" },
	{ "department", "department" },
	{ "manager", "manager" },
	{ "title", "title" },
	{ "display_name", "displayName" },
	{ "mobile_phone", "mobilePhone" },
	{ "locale", "locale" },
	{ "time_zone", "timezone" },
};

/* One run of one job: what every action gets, with the job's params parsed once. */
struct run {
	struct okta_client *c;
	struct mailer *mail;
	const struct activation_opts *act; /* NULL: [activation] defaults */
	struct journal *journal;	   /* NULL: none (bounce_fallback then cannot tell a second bounce) */
	const struct job *job;
	const struct json *params; /* NULL: the job has no params or they are not JSON */
	int lc;			   /* the action's lifecycle row (enum lc_action), -1: none */
};

/* Largest job params document (rules.c writes it from one event's subject and the rule's options). */
#define PARAMS_MAX_TOKENS 8192
/* Largest Okta user object read back for its profile.secondEmail. */
#define OKTA_USER_MAX_TOKENS 65536

/* The login an action works on: subject.login, else subject.email, else the params' login. */
static char *params_login(const struct json *p)
{
	int subj = json_get(p, 0, "subject");
	char *login = json_strdup(p, json_get(p, subj, "login"));
	if (!login)
		login = json_strdup(p, json_get(p, subj, "email"));
	if (!login)
		login = json_strdup(p, json_get(p, 0, "login"));
	return login;
}

/* The profile JSON for create/update from parsed params p (NULL: params missing or not JSON). */
static char *profile_json(const struct json *p, int for_create)
{
	if (!p)
		return NULL;
	int subj = json_get(p, 0, "subject");
	char *login = params_login(p);
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	if (login)
		jbuf_key_str(&b, "login", login);
	for (size_t i = 1; i < sizeof(profile_map) / sizeof(profile_map[0]); i++) {
		char *v = json_strdup(p, json_get(p, subj, profile_map[i].field));
		if (v && *v)
			jbuf_key_str(&b, profile_map[i].attr, v);
		free(v);
	}
	/* map.okta.<attr> (subject field "okta.<attr>"): sent as Okta profile attribute <attr> as it is */
	for (int m = 0, k = subj + 1; json_is_object(p, subj) && m < json_size(p, subj); m++, k = json_next(p, k + 1)) {
		char *key = json_strdup(p, k), *v = json_strdup(p, k + 1);
		if (key && v && strncmp(key, "okta.", 5) == 0 && key[5])
			jbuf_key_str(&b, key + 5, v);
		free(key);
		free(v);
	}
	/* Okta requires email, firstName and lastName on create; the login is the usual email. */
	if (for_create && login && json_get(p, subj, "email") < 0)
		jbuf_key_str(&b, "email", login);
	jbuf_obj_close(&b);
	char *out = login || !for_create ? jbuf_take(&b, NULL) : NULL;
	jbuf_free(&b);
	free(login);
	return out;
}

char *action_profile_json(const char *params_json, int for_create)
{
	struct json j;
	if (!params_json || json_parse(&j, params_json, strlen(params_json), PARAMS_MAX_TOKENS, NULL, 0) < 0)
		return NULL;
	char *out = profile_json(&j, for_create);
	json_free(&j);
	return out;
}

static int param_bool(const struct json *p, const char *key, int def)
{
	int t = p ? json_get(p, 0, key) : -1;
	return t < 0 ? def : slice_eq_cstr(json_raw(p, t), "true");
}

/* The groups array of params as a NULL-terminated list (malloc'd, free with free_list). */
static char **param_groups(const struct json *p, size_t *n)
{
	*n = 0;
	if (!p)
		return NULL;
	int g = json_get(p, 0, "groups");
	size_t cnt = (size_t)json_size(p, g);
	char **v = cnt && json_is_array(p, g) ? calloc(cnt + 1, sizeof(*v)) : NULL;
	int t = g + 1;
	for (size_t i = 0; v && i < cnt; i++, t = json_next(p, t))
		if ((v[*n] = json_strdup(p, t)))
			(*n)++;
	return v;
}

static void free_list(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void create_user(const struct run *x, struct action_result *r)
{
	struct okta_client *c = x->c;
	struct okta_error e;
	struct okta_user u = { 0 };
	char *profile = profile_json(x->params, 1);
	if (!profile) {
		result(r, ACTION_FAIL, "create_user: the event gives no login or email");
		return;
	}
	char *login = params_login(x->params);
	if (login && okta_user_get(c, login, &u, &e) == 0) {
		result(r, ACTION_DONE, "exists: %s %s (reused)", u.id, u.status);
		goto out;
	}
	if (login && !okta_error_is_not_found(&e)) {
		from_error(r, "create_user: reading the user", &e);
		goto out;
	}
	size_t ng;
	char **groups = param_groups(x->params, &ng);
	int rc = okta_user_create(c, profile, (const char *const *)groups, ng, 0, &u, &e);
	free_list(groups);
	int dup = rc < 0 && okta_error_is_duplicate_login(&e);
	if (rc == 0) {
		result(r, ACTION_DONE, "created: %s %s", u.id, u.status);
	} else if (dup && okta_user_find_by_login(c, login, &u, &e) == 0) {
		result(r, ACTION_DONE, "exists: %s %s (created concurrently)", u.id, u.status);
	} else if (dup && okta_error_is_not_found(&e)) {
		/* Okta's search index lags its writes: the user exists, the filter does not show it yet */
		result(r, ACTION_RETRY, "create_user: %s exists in Okta but is not searchable yet; retrying", login);
	} else {
		from_error(r, "create_user", &e);
	}
out:
	okta_user_free(&u);
	free(login);
	free(profile);
}

/* Where hookd mails a link itself: the mapped personal_email, else Okta's profile.secondEmail. */
static char *personal_address(const struct json *params, const struct okta_user *u)
{
	struct json j;
	char *to = params ? json_strdup(params, json_pointer(params, 0, "/subject/personal_email")) : NULL;
	if (!to && u->raw && json_parse(&j, u->raw, u->raw_len, OKTA_USER_MAX_TOKENS, NULL, 0) == 0) {
		to = json_strdup(&j, json_pointer(&j, 0, "/profile/secondEmail"));
		json_free(&j);
	}
	return to;
}

/*
 * With [activation] landing, the link Okta returned sealed into <public_url>/activate/<opaque>
 * (malloc'd; cleanse before freeing), else a copy of it. NULL when sealing fails.
 */
static char *mailed_link(const struct activation_opts *ao, const struct okta_user *u, const char *url)
{
	if (!ao || !ao->landing)
		return url ? strdup(url) : NULL;
	char opaque[LANDING_OPAQUE_MAX];
	size_t n = strlen(ao->public_url) + strlen("/activate/") + sizeof(opaque);
	char *out = malloc(n);
	if (!out || !url ||
	    landing_seal(ao->link_key, u->id, url, clock_now_ms() + ao->link_ttl_ms, opaque, sizeof(opaque)) < 0) {
		free(out);
		return NULL;
	}
	snprintf(out, n, "%s/activate/%s", ao->public_url, opaque);
	OPENSSL_cleanse(opaque, sizeof(opaque));
	return out;
}

/* Mails the link Okta returned; a failure is retried (a retry asks Okta for a fresh link). */
static void deliver_link(struct mailer *mail, const struct activation_opts *ao, const char *to,
			 const struct okta_user *u, const struct okta_activation *act, struct action_result *r)
{
	char err[256], name[200];
	snprintf(name, sizeof(name), "%s", u->first_name ? u->first_name : "");
	char *link = mailed_link(ao, u, act->url);
	int rc = link ? mailer_send_activation(mail, to, name[0] ? name : NULL, link, err, sizeof(err)) : -1;
	if (!link)
		snprintf(err, sizeof(err), "cannot seal the landing link");
	if (link) {
		OPENSSL_cleanse(link, strlen(link));
		free(link);
	}
	if (rc < 0) {
		result(r, ACTION_RETRY, "activation link for %s not delivered: %s", u->id, err);
		return;
	}
	/* The address is the person's; show only its domain in the job record. */
	const char *at = strchr(to, '@');
	size_t n = strlen(r->text);
	snprintf(r->text + n, sizeof(r->text) - n, "; link mailed to ...%s", at ? at : "");
}

/* A profile attribute of the Okta user object u (NULL when absent). */
static char *okta_profile_attr(const struct okta_user *u, const char *ptr)
{
	struct json j;
	char *v = NULL;
	if (u->raw && json_parse(&j, u->raw, u->raw_len, OKTA_USER_MAX_TOKENS, NULL, 0) == 0) {
		v = json_strdup(&j, json_pointer(&j, 0, ptr));
		json_free(&j);
	}
	return v;
}

/* Copies src (NULL: "") into dst[0..n), truncating. */
static void copy_str(char *dst, size_t n, const char *src)
{
	size_t k = src ? strnlen(src, n - 1) : 0;
	memcpy(dst, src ? src : "", k);
	dst[k] = '\0';
}

/* Where the person came from: a follow-up's origin, the operator, else the event's source. */
static void note_origin(const struct run *x, char *out, size_t n)
{
	char *o = x->params ? json_strdup(x->params, json_get(x->params, 0, "origin")) : NULL;
	if (!o && x->job->rule && strcmp(x->job->rule, "admin") == 0)
		o = strdup("operator");
	if (!o && x->params)
		o = json_strdup(x->params, json_get(x->params, 0, "source"));
	copy_str(out, n, o ? o : "okta");
	free(o);
}

/* Fills the note of an activation about user u (sent now, through via). */
static void note_fill(const struct run *x, const struct okta_user *u, enum activation_kind kind, const char *via,
		      const char *status, struct action_result *r)
{
	struct activation_note *n = &r->note;
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	copy_str(n->user_id, sizeof(n->user_id), u->id);
	copy_str(n->login, sizeof(n->login), u->login);
	copy_str(n->okta_status, sizeof(n->okta_status), status);
	copy_str(n->via, sizeof(n->via), via);
	note_origin(x, n->origin, sizeof(n->origin));
	char *zone = x->params ? json_strdup(x->params, json_pointer(x->params, 0, "/subject/time_zone")) : NULL;
	if (!zone && x->params)
		zone = json_strdup(x->params, json_get(x->params, 0, "time_zone"));
	if (!zone)
		zone = okta_profile_attr(u, "/profile/timezone");
	copy_str(n->zone, sizeof(n->zone), zone);
	free(zone);
	n->sent_ms = clock_now_ms();
}

/* One lifecycle run: the user as read, its status, and how an activation link travels. */
struct lc_run {
	struct okta_user u;
	enum lc_status st;
	enum lc_action a; /* the row looked up: the job's, or LC_ACTIVATE_NOW when hookd mails the link */
	struct lc_opts o;
	int self_mail;		    /* send_email = false: Okta sends nothing, hookd takes the link and mails it */
	char *to;		    /* where hookd mails it (NULL: user not found, or Okta mails) */
	struct okta_activation act; /* the link Okta returned for hookd to mail */
};

/* Reads the job's user and its status into l (LC_NOT_FOUND on a 404); -1 with r filled otherwise. */
static int lc_read(const struct run *x, struct lc_run *l, struct action_result *r)
{
	struct okta_error e;
	if (!x->job->subject) {
		result(r, ACTION_FAIL, "%s: the job names no user", x->job->action);
		return -1;
	}
	if (okta_user_get(x->c, x->job->subject, &l->u, &e) == 0)
		l->st = lifecycle_status_parse(l->u.transitioning ? l->u.transitioning : l->u.status);
	else if (okta_error_is_not_found(&e))
		l->st = LC_NOT_FOUND;
	else {
		from_error(r, "reading the user", &e);
		return -1;
	}
	return 0;
}

/* Decides whether hookd mails the link itself and to whom; -1 with r filled when it cannot. */
static int lc_plan_mail(const struct run *x, struct lc_run *l, struct action_result *r)
{
	l->o = (struct lc_opts){ .send_email = param_bool(x->params, "send_email", 1),
				 .allow_reactivate = param_bool(x->params, "allow_reactivate", 0) };
	/* resend_pending mails its own link only where its row would reactivate (PROVISIONED). */
	int pending_row = l->a == LC_RESEND_PENDING && lifecycle_decide(l->a, l->st, &l->o).verb == LC_REACTIVATE;
	l->self_mail = !l->o.send_email && (l->a == LC_SEND_ACTIVATION || l->a == LC_RESEND_ACTIVATION || pending_row);
	if (!l->self_mail)
		return 0;
	l->a = LC_ACTIVATE_NOW;
	if (!x->mail) {
		result(r, ACTION_FAIL, "send_email = false needs [mail] smtp_url: hookd must mail the link itself");
		return -1;
	}
	if (l->st != LC_NOT_FOUND && !(l->to = personal_address(x->params, &l->u))) {
		result(r, ACTION_FAIL,
		       "send_email = false needs a personal_email (or Okta secondEmail) to mail the link to");
		return -1;
	}
	return 0;
}

/* The table said LC_NOTHING or LC_REFUSE: record why, and whether a refusal is worth a retry. */
static void lc_no_call(const struct run *x, const struct lc_run *l, const struct lc_decision *d,
		       struct action_result *r)
{
	if (d->verb == LC_NOTHING) {
		result(r, ACTION_DONE, "nothing to do: %s", d->reason);
		/* PROVISIONED through someone else's activation (or this job's lost answer): follow it up. */
		if (l->st == LC_PROVISIONED && x->lc == LC_SEND_ACTIVATION)
			note_fill(x, &l->u, ACTIVATION_SEEN, l->o.send_email ? "okta" : "mail",
				  lifecycle_status_name(l->st), r);
		return;
	}
	/*
	 * A user not found may still be on its way (its create_user job): a rule's job retries, then
	 * gives up. An operator names a user that must exist: a 404 is final at once.
	 */
	if (l->st == LC_NOT_FOUND && x->job->rule && strcmp(x->job->rule, "admin") == 0)
		result(r, ACTION_FAIL, "no such user in Okta: %s (create it first: hookd user create)",
		       x->job->subject);
	else
		result(r, l->st == LC_NOT_FOUND ? ACTION_RETRY : ACTION_FAIL, "refused: %s", d->reason);
}

/* The one Okta call the table chose (activate, reactivate or deactivate). */
static int lc_call(struct okta_client *c, struct lc_run *l, const struct lc_decision *d, struct okta_error *e)
{
	struct okta_activation *act = l->self_mail ? &l->act : NULL;
	if (d->verb == LC_ACTIVATE)
		return okta_user_activate(c, l->u.id, d->send_email, act, e);
	if (d->verb == LC_REACTIVATE)
		return okta_user_reactivate(c, l->u.id, d->send_email, act, e);
	return okta_user_deactivate(c, l->u.id, 0, e);
}

/* The call succeeded: record it, mail hookd's link, and note an activation sent for its follow-up. */
static void lc_done(const struct run *x, const struct lc_run *l, const struct lc_decision *d, struct action_result *r)
{
	result(r, ACTION_DONE, "%s%s: %s %s -> %s", lifecycle_verb_name(d->verb),
	       d->verb == LC_DEACTIVATE ? ""
	       : d->send_email		? "?sendEmail=true"
					: "?sendEmail=false",
	       l->u.id, lifecycle_status_name(l->st), lifecycle_status_name(d->expect));
	if (l->self_mail && d->verb != LC_DEACTIVATE)
		deliver_link(x->mail, x->act, l->to, &l->u, &l->act, r);
	if (r->status != ACTION_DONE || d->verb == LC_DEACTIVATE || !(l->self_mail || d->send_email))
		return;
	note_fill(x, &l->u, ACTIVATION_SENT, l->self_mail ? "mail" : "okta", "PROVISIONED", r);
	if (l->to)
		copy_str(r->note.personal_email, sizeof(r->note.personal_email), l->to);
}

/* send_activation, resend_activation, deactivate_user: read the status, look up the table, call. */
static void lifecycle(const struct run *x, struct action_result *r)
{
	struct lc_run l = { .a = (enum lc_action)x->lc };
	struct okta_error e;
	if (lc_read(x, &l, r) == 0 && lc_plan_mail(x, &l, r) == 0) {
		struct lc_decision d = lifecycle_decide(l.a, l.st, &l.o);
		if (d.verb == LC_NOTHING || d.verb == LC_REFUSE) {
			lc_no_call(x, &l, &d, r);
		} else if (lc_call(x->c, &l, &d, &e) < 0) {
			from_error(r, lifecycle_verb_name(d.verb), &e);
			/*
			 * Refused for a status other than the one just read: the user moved meanwhile (often
			 * through this very call, retried after its answer was lost). Read again on the next
			 * attempt and let the table decide; a lost activate is then "nothing to do", not a
			 * second email.
			 */
			if (okta_error_is_status_conflict(&e))
				r->status = ACTION_RETRY;
		} else {
			lc_done(x, &l, &d, r);
		}
	}
	okta_activation_free(&l.act);
	free(l.to);
	okta_user_free(&l.u);
}

static void update_profile(const struct run *x, struct action_result *r)
{
	struct okta_client *c = x->c;
	const struct job *job = x->job;
	struct okta_error e;
	struct okta_user u = { 0 };
	char *profile = profile_json(x->params, 0);
	if (!profile || !job->subject) {
		result(r, ACTION_FAIL, "update_profile: nothing to update");
		free(profile);
		return;
	}
	if (okta_user_get(c, job->subject, &u, &e) < 0) {
		from_error(r, "reading the user", &e);
		if (okta_error_is_not_found(&e))
			r->status = ACTION_RETRY;
	} else if (lifecycle_status_parse(u.transitioning ? u.transitioning : u.status) == LC_DEPROVISIONED) {
		/* Okta refuses profile edits of deactivated users (403 E0000038): no call; a leaver's updates are normal */
		result(r, ACTION_DONE, "nothing to do: DEPROVISIONED: Okta does not update a deactivated user (%s)",
		       u.id);
	} else if (okta_user_update_profile(c, u.id, profile, NULL, &e) < 0) {
		from_error(r, "update_profile", &e);
	} else {
		result(r, ACTION_DONE, "profile updated: %s", u.id);
	}
	okta_user_free(&u);
	free(profile);
}

/* watch_activation: someone started an activation (or a rule says so); read the status, never infer it. */
static void watch_activation(const struct run *x, struct action_result *r)
{
	struct okta_error e;
	struct okta_user u = { 0 };
	if (!x->job->subject) {
		result(r, ACTION_FAIL, "watch_activation: the job names no user");
		return;
	}
	if (okta_user_get(x->c, x->job->subject, &u, &e) < 0) {
		from_error(r, "reading the user", &e);
		if (okta_error_is_not_found(&e))
			r->status = ACTION_FAIL;
		return;
	}
	const char *st = u.transitioning ? u.transitioning : u.status;
	if (lifecycle_status_parse(st) == LC_PROVISIONED) {
		result(r, ACTION_DONE, "PROVISIONED: activation pending, follow-up scheduled");
		note_fill(x, &u, ACTIVATION_SEEN, "okta", st, r);
	} else {
		result(r, ACTION_DONE, "%s: no activation pending, nothing to follow up", st ? st : "unknown status");
	}
	okta_user_free(&u);
}

static int64_t param_i64(const struct json *p, const char *key, int64_t def)
{
	int64_t v = def;
	if (p)
		json_int(p, json_get(p, 0, key), &v);
	return v;
}

static int param_int(const struct json *p, const char *key, int def)
{
	int64_t v = param_i64(p, key, def);
	return v >= 0 && v < 1000000 ? (int)v : def;
}

/* The follow-up's resend, the way the activation went: Okta's email, or a fresh link hookd mails. */
static void resend(const struct run *x, const struct okta_user *u, int via_mail, struct action_result *r)
{
	struct okta_error e;
	struct okta_activation act = { 0 };
	char *to = NULL;
	if (via_mail && !x->mail) {
		result(r, ACTION_FAIL, "follow-up: the link was mailed by hookd, but [mail] is not set now");
		return;
	}
	if (via_mail && !(to = x->params ? json_strdup(x->params, json_get(x->params, 0, "personal_email")) : NULL))
		to = personal_address(x->params, u);
	if (via_mail && !to) {
		result(r, ACTION_FAIL, "follow-up: no personal address to mail the new link to");
		return;
	}
	if (okta_user_reactivate(x->c, u->id, !via_mail, via_mail ? &act : NULL, &e) < 0) {
		from_error(r, "follow-up: reactivate", &e);
		if (okta_error_is_status_conflict(&e))
			r->status = ACTION_RETRY;
	} else {
		result(r, ACTION_DONE, "reactivate?sendEmail=%s: %s PROVISIONED, resend %d",
		       via_mail ? "false" : "true", u->id, param_int(x->params, "resends", 0) + 1);
		if (via_mail)
			deliver_link(x->mail, x->act, to, u, &act, r);
	}
	okta_activation_free(&act);
	if (r->status == ACTION_DONE && to)
		copy_str(r->note.personal_email, sizeof(r->note.personal_email), to);
	free(to);
}

/* follow_up_activation: due before the link expires; resend, report stuck, or finish. */
static void follow_up(const struct run *x, struct action_result *r)
{
	struct okta_error e;
	struct okta_user u = { 0 };
	int resends = param_int(x->params, "resends", 0);
	int max = x->act ? x->act->max_resends : 2;
	char via[8];
	char *v = x->params ? json_strdup(x->params, json_get(x->params, 0, "via")) : NULL;
	copy_str(via, sizeof(via), v && strcmp(v, "mail") == 0 ? "mail" : "okta");
	free(v);
	if (!x->job->subject) {
		result(r, ACTION_FAIL, "follow_up_activation: the job names no user");
		return;
	}
	if (okta_user_get(x->c, x->job->subject, &u, &e) < 0) {
		from_error(r, "reading the user", &e);
		if (okta_error_is_not_found(&e)) {
			result(r, ACTION_DONE, "finished: the user no longer exists in Okta");
			r->note.kind = ACTIVATION_NONE;
		}
		return;
	}
	const char *st = u.transitioning ? u.transitioning : u.status;
	if (lifecycle_status_parse(st) != LC_PROVISIONED) {
		result(r, ACTION_DONE, "finished: %s, nothing sent", st ? st : "unknown status");
		note_fill(x, &u, ACTIVATION_FINISHED, via, st, r);
		r->note.resends = resends;
		r->note.sent_ms = param_i64(x->params, "sent_ms", 0);
		copy_str(r->note.reason, sizeof(r->note.reason), r->text);
	} else if (param_bool(x->params, "stuck", 0)) {
		result(r, ACTION_DONE, "still PROVISIONED when the last link expired: stuck, nothing sent");
	} else if (resends >= max) {
		note_fill(x, &u, ACTIVATION_STUCK, via, st, r);
		r->note.resends = resends;
		r->note.sent_ms = param_i64(x->params, "sent_ms", r->note.sent_ms);
		snprintf(r->note.reason, sizeof(r->note.reason), "still PROVISIONED after %d resend%s", resends,
			 resends == 1 ? "" : "s");
		result(r, ACTION_DONE, "stuck: %s", r->note.reason);
	} else {
		resend(x, &u, strcmp(via, "mail") == 0, r);
		if (r->status == ACTION_DONE) {
			char pe[256];
			copy_str(pe, sizeof(pe), r->note.personal_email);
			note_fill(x, &u, ACTIVATION_RESENT, via, "PROVISIONED", r);
			copy_str(r->note.personal_email, sizeof(r->note.personal_email), pe);
			r->note.resends = resends + 1;
		}
	}
	okta_user_free(&u);
}

/* 1 when hookd already mailed a fallback link to this user (an activation.fallback record exists). */
static int fell_back_before(struct journal *j, const char *user_id)
{
	struct journal_query q = { .source = "hookd", .subject = user_id, .limit = 1000 };
	struct event_row *ev;
	size_t n;
	char err[128];
	int seen = 0;
	if (!j || journal_list_events(j, &q, &ev, &n, err, sizeof(err)) < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		seen |= ev[i].type && strcmp(ev[i].type, "activation.fallback") == 0;
	journal_events_free(ev, n);
	return seen;
}

/* The person cannot be reached: record Okta's reason, stop resending to the suppressed address. */
static void undeliverable(const struct run *x, const struct okta_user *u, const char *why, struct action_result *r)
{
	char *reason = x->params ? json_strdup(x->params, json_pointer(x->params, 0, "/subject/reason")) : NULL;
	note_fill(x, u, ACTIVATION_UNDELIVERABLE, "okta", u->status, r);
	snprintf(r->note.reason, sizeof(r->note.reason), "Okta could not deliver the activation email (%.60s); %s",
		 reason ? reason : "no reason given", why);
	result(r, ACTION_DONE, "undeliverable: %s", r->note.reason);
	log_kv(LOG_WARN,
	       "activation email undeliverable; Okta's mail provider suppresses the address until it is removed "
	       "(POST /api/v1/org/email/bounces/remove-list)",
	       "login", u->login, "user_id", u->id, "reason", reason ? reason : "", (const char *)0);
	free(reason);
}

/* bounce_fallback: Okta's activation email bounced: mail a fresh link to the personal address, once. */
static void bounce_fallback(const struct run *x, struct action_result *r)
{
	struct okta_error e;
	struct okta_user u = { 0 };
	char *outcome = x->params ? json_strdup(x->params, json_pointer(x->params, 0, "/subject/outcome")) : NULL;
	int failed = outcome && strcmp(outcome, "SUCCESS") != 0;
	free(outcome);
	if (!failed || !x->job->subject) {
		result(r, ACTION_DONE, "nothing to do: the event reports no failed delivery");
		return;
	}
	if (okta_user_get(x->c, x->job->subject, &u, &e) < 0) {
		from_error(r, "reading the user", &e);
		if (okta_error_is_not_found(&e))
			result(r, ACTION_DONE, "nothing to do: the user no longer exists");
		return;
	}
	const char *st = u.transitioning ? u.transitioning : u.status;
	char *to = personal_address(x->params, &u);
	int same = to && u.email && strcasecmp(to, u.email) == 0;
	if (lifecycle_status_parse(st) != LC_PROVISIONED) {
		result(r, ACTION_DONE, "nothing to do: %s, no activation pending", st ? st : "unknown status");
	} else if (!to || same || !x->mail) {
		undeliverable(x, &u, !x->mail ? "[mail] is not set" : "no personal address is known", r);
	} else if (fell_back_before(x->journal, u.id)) {
		undeliverable(x, &u, "the fallback was already mailed once", r);
	} else {
		struct okta_activation act = { 0 };
		if (okta_user_reactivate(x->c, u.id, 0, &act, &e) < 0) {
			from_error(r, "bounce fallback: reactivate", &e);
		} else {
			result(r, ACTION_DONE, "reactivate?sendEmail=false: %s PROVISIONED after a bounce", u.id);
			deliver_link(x->mail, x->act, to, &u, &act, r);
		}
		okta_activation_free(&act);
		if (r->status == ACTION_DONE) {
			note_fill(x, &u, ACTIVATION_FALLBACK, "mail", "PROVISIONED", r);
			copy_str(r->note.personal_email, sizeof(r->note.personal_email), to);
			copy_str(r->note.reason, sizeof(r->note.reason),
				 "Okta's email bounced; link mailed to the personal address");
		}
	}
	free(to);
	okta_user_free(&u);
}

/* notify_activation_stuck: the Standard Webhooks POST; a failure is retried like any job. */
static void notify_stuck(const struct run *x, struct action_result *r)
{
	char err[300];
	int rc = activation_notify_send(x->act, x->job->params, err, sizeof(err));
	result(r, rc == 0 ? ACTION_DONE : rc > 0 ? ACTION_RETRY : ACTION_FAIL, "%s", err);
}

/*
 * The actions, one row each: adding an action is one enum value in actions.h and one row here.
 * Every list, parser, dispatcher and help text (rules, `hookd user`, docs/config.md) reads this.
 */
static const struct action_def {
	const char *name; /* as rules, jobs and the journal spell it */
	const char *verb; /* `hookd user VERB`; NULL: not offered there */
	int lc;		  /* row of the lifecycle table (enum lc_action); -1: none */
	void (*run)(const struct run *x, struct action_result *r);
	const char *help;
} actions[ACTION_COUNT] = {
	[ACTION_CREATE_USER] = { "create_user", "create", -1, create_user,
				 "create the user from the event's fields, or reuse an existing login; adds the rule's groups" },
	[ACTION_SEND_ACTIVATION] = { "send_activation", "activate", LC_SEND_ACTIVATION, lifecycle,
				     "first activation email of a STAGED user (who becomes PROVISIONED); nothing for an ACTIVE user" },
	[ACTION_RESEND_ACTIVATION] = { "resend_activation", "resend", LC_RESEND_ACTIVATION, lifecycle,
				       "a new activation link for a user who has not finished activating" },
	[ACTION_DEACTIVATE_USER] = { "deactivate_user", "deactivate", LC_DEACTIVATE_USER, lifecycle,
				     "deactivate the user (offboarding); nothing when already DEPROVISIONED" },
	[ACTION_UPDATE_PROFILE] = { "update_profile", NULL, -1, update_profile,
				    "write the event's mapped fields (map.okta.<attr> too) to the user's Okta profile; nothing for a DEPROVISIONED user" },
	[ACTION_RESEND_IF_PENDING] = { "resend_if_pending", NULL, LC_RESEND_PENDING, lifecycle,
				       "a new activation link only while the user is PROVISIONED (rule on a changed email: when.changed = email)" },
	[ACTION_BOUNCE_FALLBACK] = { "bounce_fallback", NULL, -1, bounce_fallback,
				     "Okta's activation email failed (system.email.delivery): mail a fresh link to the personal address once, else mark the person undeliverable" },
	[ACTION_WATCH_ACTIVATION] = { "watch_activation", NULL, -1, watch_activation,
				      "read the user; when PROVISIONED (someone else's activation), follow it up like hookd's own" },
	[ACTION_FOLLOW_UP_ACTIVATION] = { "follow_up_activation", NULL, -1, follow_up,
					  "scheduled by hookd: still PROVISIONED before the link expires -> resend, after max_resends -> stuck" },
	[ACTION_NOTIFY_STUCK] = { "notify_activation_stuck", NULL, -1, notify_stuck,
				  "scheduled by hookd: POST activation.stuck to [activation] notify_url (Standard Webhooks)" },
};

int action_parse(const char *name, enum action_id *out)
{
	for (int a = 0; name && a < ACTION_COUNT; a++) {
		if (strcmp(name, actions[a].name) == 0) {
			*out = (enum action_id)a;
			return 0;
		}
	}
	return -1;
}

int action_parse_verb(const char *verb, enum action_id *out)
{
	for (int a = 0; verb && a < ACTION_COUNT; a++) {
		if (actions[a].verb && strcmp(verb, actions[a].verb) == 0) {
			*out = (enum action_id)a;
			return 0;
		}
	}
	return -1;
}

const char *action_name(enum action_id a)
{
	return (unsigned)a < ACTION_COUNT ? actions[a].name : NULL;
}

const char *action_help(enum action_id a)
{
	return (unsigned)a < ACTION_COUNT ? actions[a].help : NULL;
}

const char *action_verb(enum action_id a)
{
	return (unsigned)a < ACTION_COUNT ? actions[a].verb : NULL;
}

void action_list(char *buf, size_t n, const char *sep, int verbs)
{
	size_t used = 0;
	if (!n)
		return;
	buf[0] = '\0';
	for (int a = 0; a < ACTION_COUNT; a++) {
		const char *s = verbs ? actions[a].verb : actions[a].name;
		if (!s)
			continue;
		int w = snprintf(buf + used, n - used, "%s%s", used ? sep : "", s);
		if (w < 0 || (size_t)w >= n - used)
			return;
		used += (size_t)w;
	}
}

void action_print_reference(void)
{
	printf("\n### Actions (rule `do`)\n\n| action | `hookd user` | what it does |\n|---|---|---|\n");
	for (int a = 0; a < ACTION_COUNT; a++)
		printf("| `%s` | %s | %s |\n", actions[a].name, actions[a].verb ? actions[a].verb : "",
		       actions[a].help);
}

int action_sends_email(const char *name)
{
	enum action_id id;
	return action_parse(name, &id) == 0 &&
	       (id == ACTION_SEND_ACTIVATION || id == ACTION_RESEND_ACTIVATION || id == ACTION_RESEND_IF_PENDING ||
		id == ACTION_BOUNCE_FALLBACK || id == ACTION_FOLLOW_UP_ACTIVATION || id == ACTION_NOTIFY_STUCK);
}

void action_run(struct okta_client *c, struct mailer *mail, const struct job *job, struct action_result *out)
{
	struct action_env env = { c, mail, NULL, NULL };
	action_run_env(&env, job, out);
}

void action_run_env(const struct action_env *env, const struct job *job, struct action_result *out)
{
	struct okta_client *c = env->c;
	struct mailer *mail = env->mail;
	memset(out, 0, sizeof(*out));
	enum action_id id;
	if (action_parse(job->action, &id) < 0) {
		result(out, ACTION_FAIL, "unknown action '%s'", job->action ? job->action : "");
		return;
	}
	struct json pj;
	int parsed = job->params && json_parse(&pj, job->params, strlen(job->params), PARAMS_MAX_TOKENS, NULL, 0) == 0;
	struct run x = { c, mail, env->activation, env->journal, job, parsed ? &pj : NULL, actions[id].lc };
	actions[id].run(&x, out);
	if (parsed)
		json_free(&pj);
}
