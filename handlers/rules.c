/* rules.c: [rule NAME] sections matched against events to derive jobs. */
#include "handlers/rules.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/jbuf.h"
#include "core/json.h"
#include "core/list.h"
#include "core/str.h"
#include "core/tz.h"
#include "handlers/actions.h"
#include "okta/event_types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest event subject (normalized fields) that filters and params read. */
#define SUBJECT_MAX_TOKENS 4096

struct filter {
	char *field;
	char *values; /* comma separated, matched whole */
};

struct rule {
	char *name, *source, *type, *action;
	struct filter *f;
	size_t nf;
	int include_self, send_email, allow_reactivate;
	int64_t delay_ms, days_before;
	char *groups;	  /* comma separated Okta group ids */
	char *date_field; /* subject field holding a date */
	int at_min;	  /* minutes after local midnight */
};

struct rules {
	struct rule *r;
	size_t n;
	const struct echo *echo;
};

static void rule_clear(struct rule *r)
{
	free(r->name);
	free(r->source);
	free(r->type);
	free(r->action);
	for (size_t i = 0; i < r->nf; i++) {
		free(r->f[i].field);
		free(r->f[i].values);
	}
	free(r->f);
	free(r->groups);
	free(r->date_field);
}

void rules_free(struct rules *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		rule_clear(&rs->r[i]);
	free(rs->r);
	free(rs);
}

size_t rules_count(const struct rules *rs)
{
	return rs ? rs->n : 0;
}

size_t rules_types(const struct rules *rs, const char *source, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; rs && i < rs->n && n < max; i++) {
		const struct rule *r = &rs->r[i];
		int seen = strcmp(r->source, source) != 0 || strcmp(r->type, "*") == 0;
		for (size_t k = 0; k < n && !seen; k++)
			seen = strcmp(out[k], r->type) == 0;
		if (!seen)
			out[n++] = r->type;
	}
	return n;
}

const struct echo *rules_echo(const struct rules *rs)
{
	return rs ? rs->echo : NULL;
}

const char *rules_source(const struct rules *rs, size_t i)
{
	return rs->r[i].source;
}

const char *rules_type(const struct rules *rs, size_t i)
{
	return rs->r[i].type;
}

const char *rules_name(const struct rules *rs, size_t i)
{
	return rs->r[i].name;
}

const char *rules_action(const struct rules *rs, size_t i)
{
	return rs->r[i].action;
}

static int valid_action(const char *a)
{
	enum action_id id;
	return action_parse(a, &id) == 0;
}

/* "okta:user.lifecycle.create" or "hr:bamboohr:employee.created": source, then type after the last ':'. */
static int parse_on(const char *on, struct rule *r)
{
	const char *colon = strrchr(on, ':');
	if (!colon || colon == on || !colon[1])
		return -1;
	r->source = strndup(on, (size_t)(colon - on));
	r->type = strdup(colon + 1);
	return r->source && r->type ? 0 : -1;
}

static int parse_at(const char *at, int *min)
{
	int h, m;
	char extra;
	if (sscanf(at, "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	*min = h * 60 + m;
	return 0;
}

static int load_filters(struct config *c, const char *name, struct rule *r)
{
	size_t n = config_prefixed_count(c, "rule", name, "when.");
	r->f = calloc(n ? n : 1, sizeof(*r->f));
	if (!r->f)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *k, *v;
		config_prefixed_at(c, "rule", name, "when.", i, &k, &v);
		r->f[i].field = strdup(k + 5);
		r->f[i].values = strdup(v);
		r->nf++;
		if (!r->f[i].field || !r->f[i].values)
			return -1;
	}
	return 0;
}

/* The action name closest to a (a misspelt do =), or NULL. */
static const char *action_closest(const char *a)
{
	const char *names[ACTION_COUNT];
	for (int i = 0; i < ACTION_COUNT; i++)
		names[i] = action_name((enum action_id)i);
	return str_closest(a, names, ACTION_COUNT);
}

static int load_rule(struct config *c, const char *name, struct rule *r)
{
	int rc = 0;
	r->name = strdup(name);
	const char *on = config_get(c, "rule", name, "on");
	const char *act = config_get(c, "rule", name, "do");
	if (!on) {
		config_report(c, "rule", name, NULL, "needs on = source:event.type");
		rc = -1;
	} else if (parse_on(on, r) < 0) {
		config_report(c, "rule", name, "on", "'%s' is not source:event.type (e.g. okta:user.lifecycle.create)",
			      on);
		rc = -1;
	} else if (strcmp(r->source, "okta") == 0 && strcmp(r->type, "*") != 0 && !okta_event_type_eligible(r->type)) {
		const char *near = okta_event_type_closest(r->type);
		config_report(c, "rule", name, "on", "'%s' is not an event type Okta's event hooks deliver%s%s%s",
			      r->type, near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
		rc = -1;
	}
	if (!act) {
		config_report(c, "rule", name, NULL, "needs do = an action");
		rc = -1;
	} else if (!valid_action(act)) {
		char names[256];
		action_list(names, sizeof(names), ", ", 0);
		const char *near = action_closest(act);
		config_report(c, "rule", name, "do", "'%s' is not an action%s%s%s: %s", act,
			      near ? " (did you mean " : "", near ? near : "", near ? "?)" : "", names);
		rc = -1;
	}
	r->action = str_dup(act);
	config_bool(c, "rule", name, "include_self", &r->include_self);
	config_bool(c, "rule", name, "send_email", &r->send_email);
	config_bool(c, "rule", name, "allow_reactivate", &r->allow_reactivate);
	config_ms(c, "rule", name, "delay", &r->delay_ms);
	if (config_int(c, "rule", name, "days_before", &r->days_before) < 0) /* range: the schema's */
		rc = -1;
	r->groups = str_dup(config_get(c, "rule", name, "groups"));
	r->date_field = str_dup(config_get(c, "rule", name, "date_field"));
	const char *at = config_get(c, "rule", name, "at");
	r->at_min = 9 * 60;
	if (at && parse_at(at, &r->at_min) < 0) {
		config_report(c, "rule", name, "at", "'%s' is not a time of day HH:MM", at);
		rc = -1;
	}
	if (at && !r->date_field) {
		config_report(c, "rule", name, "at", "needs date_field (the event field holding the date)");
		rc = -1;
	}
	if (load_filters(c, name, r) < 0 || !r->name)
		rc = -1;
	return rc;
}

struct rules *rules_from_config(struct config *c, const struct echo *echo)
{
	struct rules *rs = calloc(1, sizeof(*rs));
	if (!rs)
		return NULL;
	size_t n = config_section_count(c, "rule");
	rs->r = calloc(n ? n : 1, sizeof(*rs->r));
	rs->echo = echo;
	if (!rs->r)
		goto fail;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		rs->n++;
		if (load_rule(c, config_section_name(c, "rule", i), &rs->r[i]) < 0)
			rc = -1;
	}
	if (rc == 0)
		return rs;
fail:
	rules_free(rs);
	return NULL;
}

/* A field of the event: its own columns first, then a top-level member of subject_json. */
static char *event_field(const struct journal_event *ev, const struct json *subject, const char *field)
{
	struct {
		const char *name, *value;
	} cols[] = {
		{ "source", ev->source },
		{ "type", ev->type },
		{ "subject_id", ev->subject_id },
		{ "subject_login", ev->subject_login },
		{ "subject_name", ev->subject_name },
		{ "actor_id", ev->actor_id },
	};
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		if (strcmp(field, cols[i].name) == 0)
			return str_dup(cols[i].value);
	if (subject && subject->ntok)
		return json_strdup(subject, json_get(subject, 0, field));
	return NULL;
}

static int in_list(const char *value, const char *list)
{
	struct slice item;
	while (list_next(&list, ",", &item))
		if (slice_eq_cstr(item, value))
			return 1;
	return 0;
}

/* when.changed: the event's changed attributes (a comma list) meet the rule's values. */
static int any_in_list(const char *items, const char *list)
{
	struct slice item;
	while (list_next(&items, ", ", &item)) {
		char name[128];
		if (item.n < sizeof(name)) {
			memcpy(name, item.p, item.n);
			name[item.n] = '\0';
			if (in_list(name, list))
				return 1;
		}
	}
	return 0;
}

static int matches(const struct rule *r, const struct journal_event *ev, const struct json *subject)
{
	if (!ev->source || !ev->type || strcmp(r->source, ev->source) != 0)
		return 0;
	if (strcmp(r->type, "*") != 0 && strcmp(r->type, ev->type) != 0)
		return 0;
	if (ev->status && strcmp(ev->status, "accepted") != 0)
		return 0;
	if (!r->include_self && ev->echo)
		return 0;
	for (size_t i = 0; i < r->nf; i++) {
		char *v = event_field(ev, subject, r->f[i].field);
		int ok = v && (strcmp(r->f[i].field, "changed") == 0 ? any_in_list(v, r->f[i].values)
								     : in_list(v, r->f[i].values));
		free(v);
		if (!ok)
			return 0;
	}
	return 1;
}

static char *keep(struct rule_jobs *out, char *s)
{
	if (!s)
		return NULL;
	char **ns = realloc(out->strings, (out->nstrings + 1) * sizeof(*ns));
	if (!ns) {
		free(s);
		return NULL;
	}
	out->strings = ns;
	out->strings[out->nstrings++] = s;
	return s;
}

static char *make_params(const struct rule *r, const struct journal_event *ev)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_bool(&b, "send_email", r->send_email);
	jbuf_key_bool(&b, "allow_reactivate", r->allow_reactivate);
	if (r->groups) {
		jbuf_key(&b, "groups");
		jbuf_arr_open(&b);
		const char *p = r->groups;
		struct slice id;
		while (list_next(&p, ", ", &id)) {
			jbuf_elem(&b);
			jbuf_strn(&b, id.p, id.n);
		}
		jbuf_arr_close(&b);
	}
	if (ev->subject_json)
		jbuf_key_raw(&b, "subject", ev->subject_json, strlen(ev->subject_json));
	if (ev->subject_login)
		jbuf_key_str(&b, "login", ev->subject_login);
	if (ev->subject_id)
		jbuf_key_str(&b, "subject_id", ev->subject_id);
	if (ev->source)
		jbuf_key_str(&b, "source", ev->source);
	jbuf_obj_close(&b);
	return jbuf_take(&b, NULL);
}

/* run_at for a date-driven rule: at r->at_min local time, days_before the date, in the subject's zone. */
static int64_t scheduled_at(const struct rule *r, const struct journal_event *ev, const struct json *subject,
			    int64_t now_ms)
{
	char *date = event_field(ev, subject, r->date_field);
	char *zone = event_field(ev, subject, "time_zone");
	int64_t at = now_ms;
	int y, m, d;
	if (date && sscanf(date, "%4d-%2d-%2d", &y, &m, &d) == 3) {
		int64_t t;
		if (tz_local_to_utc_ms(zone ? zone : "UTC", y, m, d, r->at_min / 60, r->at_min % 60, &t) == 0)
			at = t - r->days_before * 86400000LL;
	}
	free(date);
	free(zone);
	return at;
}

static int add_job(struct rule_jobs *out, const struct rule *r, const struct journal_event *ev,
		   const struct json *subject, int64_t now_ms)
{
	struct job_spec *nj = realloc(out->jobs, (out->n + 1) * sizeof(*nj));
	if (!nj)
		return -1;
	out->jobs = nj;
	struct job_spec *js = &out->jobs[out->n];
	memset(js, 0, sizeof(*js));
	js->action = r->action;
	js->rule = r->name;
	js->unless_echo = !r->include_self;
	const char *subj = strcmp(ev->source, "okta") == 0 && ev->subject_id ? ev->subject_id
			   : ev->subject_login				     ? ev->subject_login
									     : ev->subject_id;
	js->subject = subj;
	js->params = keep(out, make_params(r, ev));
	js->run_at_ms = r->date_field ? scheduled_at(r, ev, subject, now_ms) : now_ms + r->delay_ms;
	if (r->date_field && subj) {
		char key[512];
		snprintf(key, sizeof(key), "%s:%s:%s", r->action, ev->source, ev->subject_id ? ev->subject_id : subj);
		js->job_key = keep(out, strdup(key));
		if (!js->job_key)
			return -1;
	}
	if (!js->params)
		return -1;
	out->n++;
	return 0;
}

int rules_apply(const struct rules *rs, const struct journal_event *ev, int64_t now_ms, struct rule_jobs *out)
{
	memset(out, 0, sizeof(*out));
	if (!rs || rs->n == 0)
		return 0;
	struct json subject = { 0 };
	if (ev->subject_json)
		json_parse(&subject, ev->subject_json, strlen(ev->subject_json), SUBJECT_MAX_TOKENS, NULL, 0);
	int rc = 0;
	for (size_t i = 0; i < rs->n && rc == 0; i++)
		if (matches(&rs->r[i], ev, &subject))
			rc = add_job(out, &rs->r[i], ev, &subject, now_ms);
	json_free(&subject);
	if (rc < 0)
		rule_jobs_free(out);
	return rc;
}

void rule_jobs_free(struct rule_jobs *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->nstrings; i++)
		free(j->strings[i]);
	free(j->strings);
	free(j->jobs);
	memset(j, 0, sizeof(*j));
}
