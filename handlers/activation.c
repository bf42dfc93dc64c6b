/* activation.c: the follow-up schedule of activations, their journal records, the stuck gauge and notify. */
#include "handlers/activation.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/jbuf.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/secure.h"
#include "core/str.h"
#include "core/tz.h"
#include "handlers/landing.h"
#include "hooks/sig.h"
#include "store/journal.h"
#include "store/people.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_MS 86400000LL

static const char *const kind_names[ACTIVATION_KIND_COUNT] = {
	[ACTIVATION_NONE] = "none",	    [ACTIVATION_SENT] = "sent",
	[ACTIVATION_SEEN] = "seen",	    [ACTIVATION_RESENT] = "resent",
	[ACTIVATION_STUCK] = "stuck",	    [ACTIVATION_FINISHED] = "finished",
	[ACTIVATION_FALLBACK] = "fallback", [ACTIVATION_UNDELIVERABLE] = "undeliverable",
};

const char *activation_kind_name(enum activation_kind k)
{
	return (unsigned)k < ACTIVATION_KIND_COUNT ? kind_names[k] : "unknown";
}

static int parse_hhmm(const char *at, int *min)
{
	int h, m;
	char extra;
	if (sscanf(at, "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	*min = h * 60 + m;
	return 0;
}

/* landing = on needs [server] public_url (https) and [activation] link_key (32 bytes, hex or base64). */
static int landing_opts(struct config *c, struct activation_opts *o)
{
	const char *pub = config_get(c, "server", NULL, "public_url");
	char *key = NULL;
	int rc = 0;
	config_bool(c, "activation", NULL, "landing", &o->landing);
	if (config_secret(c, "activation", NULL, "link_key", &key) < 0)
		return -1;
	/* [server] public_url itself is checked by serve (an https:// base URL). */
	if (key && landing_key_parse(key, o->link_key) < 0) {
		config_report(c, "activation", NULL, "link_key", "is not 32 bytes as 64 hex digits or base64");
		rc = -1;
	}
	if (o->landing && (!pub || !key)) {
		config_report(c, "activation", NULL, "landing",
			      "needs [server] public_url and [activation] link_key_file");
		rc = -1;
	}
	if (pub) {
		o->public_url = strdup(pub);
		size_t n = o->public_url ? strlen(o->public_url) : 0;
		while (n > 8 && o->public_url[n - 1] == '/')
			o->public_url[--n] = '\0';
	}
	secure_free(key);
	return rc;
}

int activation_opts_from_config(struct config *c, struct activation_opts *o)
{
	memset(o, 0, sizeof(*o));
	int rc = 0;
	int64_t v = 0;
	config_bool(c, "activation", NULL, "follow_up", &o->follow_up);
	if (config_ms(c, "activation", NULL, "link_ttl", &o->link_ttl_ms) < 0 ||
	    config_ms(c, "activation", NULL, "resend_before", &o->resend_before_ms) < 0 ||
	    config_ms(c, "activation", NULL, "notify_timeout", &o->notify_timeout_ms) < 0 ||
	    config_int(c, "activation", NULL, "max_resends", &v) < 0)
		rc = -1;
	o->max_resends = (int)v;
	if (rc == 0 && o->resend_before_ms >= o->link_ttl_ms) {
		config_report(c, "activation", NULL, "resend_before", "must be shorter than link_ttl");
		rc = -1;
	}
	const char *at = config_get(c, "activation", NULL, "at");
	o->at_min = -1;
	if (at && parse_hhmm(at, &o->at_min) < 0) {
		config_report(c, "activation", NULL, "at", "'%s' is not a time of day HH:MM", at);
		rc = -1;
	}
	const char *url = config_get(c, "activation", NULL, "notify_url");
	o->notify_url = str_dup(url);
	o->notify_ca_file = str_dup(config_get(c, "activation", NULL, "notify_ca_file"));
	if (url && strncmp(url, "https://", 8) != 0) {
		config_report(c, "activation", NULL, "notify_url", "'%s' is not an https:// URL", url);
		rc = -1;
	}
	int src = config_secret(c, "activation", NULL, "notify_secret", &o->notify_secret);
	unsigned char key[SIG_MAX_KEY];
	if (src < 0) {
		rc = -1;
	} else if (url && !o->notify_secret) {
		config_report(c, "activation", NULL, "notify_url", "needs notify_secret (or notify_secret_file)");
		rc = -1;
	} else if (o->notify_secret && sig_standard_key(o->notify_secret, key) < 0) {
		config_report(c, "activation", NULL, "notify_secret",
			      "is not a Standard Webhooks secret whsec_<base64>");
		rc = -1;
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (landing_opts(c, o) < 0)
		rc = -1;
	if (rc < 0)
		activation_opts_free(o);
	return rc;
}

void activation_opts_free(struct activation_opts *o)
{
	if (!o)
		return;
	free(o->notify_url);
	free(o->notify_ca_file);
	secure_free(o->notify_secret);
	free(o->public_url);
	OPENSSL_cleanse(o->link_key, sizeof(o->link_key));
	o->notify_url = o->notify_ca_file = o->notify_secret = o->public_url = NULL;
}

/* The UTC calendar date of ms. */
static void utc_date(int64_t ms, int *y, int *m, int *d)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	*d = tm.tm_mday;
}

int64_t activation_due_ms(const struct activation_opts *o, int64_t sent_ms, const char *zone)
{
	int64_t ttl = o ? o->link_ttl_ms : 7 * DAY_MS, before = o ? o->resend_before_ms : DAY_MS;
	int64_t due = sent_ms + ttl - before;
	if (!o || o->at_min < 0)
		return due;
	/* The latest at_min local time not after due (local dates lie within a day of the UTC date). */
	int64_t best = -1;
	for (int k = -1; k <= 1; k++) {
		int y, m, d;
		int64_t t;
		utc_date(due + k * DAY_MS, &y, &m, &d);
		if (tz_local_to_utc_ms(zone && *zone ? zone : "UTC", y, m, d, o->at_min / 60, o->at_min % 60, &t) ==
			    0 &&
		    t <= due && t > best)
			best = t;
	}
	return best > sent_ms ? best : due;
}

/* The follow-up job's params: everything the next run needs, the person's link never. */
static char *follow_up_params(const struct activation_note *n, int stuck)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "user_id", n->user_id);
	jbuf_key_str(&b, "login", n->login);
	jbuf_key_str(&b, "origin", n->origin);
	jbuf_key_str(&b, "via", n->via[0] ? n->via : "okta");
	jbuf_key_int(&b, "resends", n->resends);
	jbuf_key_int(&b, "sent_ms", n->sent_ms);
	jbuf_key_bool(&b, "stuck", stuck);
	if (n->zone[0])
		jbuf_key_str(&b, "time_zone", n->zone);
	if (n->personal_email[0])
		jbuf_key_str(&b, "personal_email", n->personal_email);
	jbuf_obj_close(&b);
	return jbuf_take(&b, NULL);
}

/* The state a note leaves the person in, as `hookd people` shows it. */
static const char *state_of(const struct activation_note *n)
{
	switch (n->kind) {
	case ACTIVATION_STUCK: return "stuck";
	case ACTIVATION_UNDELIVERABLE: return "undeliverable";
	case ACTIVATION_FINISHED: return strcmp(n->okta_status, "ACTIVE") == 0 ? "active" : "finished";
	default: return "pending";
	}
}

static char *record_json(const struct activation_note *n, int64_t next_ms, int64_t now_ms)
{
	char t[40];
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "user_id", n->user_id);
	jbuf_key_str(&b, "login", n->login);
	jbuf_key_str(&b, "origin", n->origin);
	jbuf_key_str(&b, "state", state_of(n));
	jbuf_key_str(&b, "okta_status", n->okta_status);
	jbuf_key_str(&b, "via", n->via);
	jbuf_key_int(&b, "resends", n->resends);
	jbuf_key_int(&b, "sent_ms", n->sent_ms);
	jbuf_key_int(&b, "next_follow_up_ms", next_ms);
	jbuf_key_int(&b, "at_ms", now_ms);
	clock_format_ms(now_ms, t, sizeof(t));
	jbuf_key_str(&b, "at", t);
	if (n->reason[0])
		jbuf_key_str(&b, "reason", n->reason);
	jbuf_obj_close(&b);
	return jbuf_take(&b, NULL);
}

/* The notify job's params: the message id (stable across retries) and the exact body bytes. */
static char *notify_params(const struct activation_note *n, const struct job *job, int64_t now_ms)
{
	char t[40], sent[40], id[160];
	clock_format_ms(now_ms, t, sizeof(t));
	clock_format_ms(n->sent_ms, sent, sizeof(sent));
	struct jbuf body, b;
	jbuf_init(&body);
	jbuf_obj_open(&body);
	jbuf_key_str(&body, "type", "activation.stuck");
	jbuf_key_str(&body, "timestamp", t);
	jbuf_key(&body, "data");
	jbuf_obj_open(&body);
	jbuf_key_str(&body, "login", n->login);
	jbuf_key_str(&body, "user_id", n->user_id);
	jbuf_key_str(&body, "origin", n->origin);
	jbuf_key_str(&body, "okta_status", n->okta_status);
	jbuf_key_int(&body, "resends", n->resends);
	jbuf_key_str(&body, "last_sent_at", sent);
	jbuf_key_str(&body, "reason", n->reason);
	jbuf_obj_close(&body);
	jbuf_obj_close(&body);
	char *text = jbuf_take(&body, NULL);
	jbuf_free(&body);
	snprintf(id, sizeof(id), "msg_hookd_stuck_%lld_%d", (long long)job->id, job->attempts);
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "id", id);
	jbuf_key_str(&b, "login", n->login); /* for hookd jobs; the POST sends body only */
	jbuf_key_str(&b, "body", text ? text : "{}");
	jbuf_obj_close(&b);
	free(text);
	return jbuf_take(&b, NULL);
}

struct record {
	struct job_spec js[2];
	size_t njs;
	char key[160], dedupe[96], type[40];
	char *follow, *notify, *subject;
};

static void record_free(struct record *r)
{
	free(r->follow);
	free(r->notify);
	free(r->subject);
}

/* Builds the follow-up (and notify) specs of note n; returns the next follow-up's time, 0: none. */
static int64_t record_jobs(struct record *r, const struct activation_opts *o, const struct job *job,
			   const struct activation_note *n, int64_t now_ms)
{
	int follow = !o || o->follow_up;
	int64_t next = 0;
	snprintf(r->key, sizeof(r->key), "follow_up_activation:%s", n->user_id);
	if (follow && n->kind != ACTIVATION_FINISHED) {
		int stuck = n->kind == ACTIVATION_STUCK || n->kind == ACTIVATION_UNDELIVERABLE;
		/* A stuck person is looked at once more when the last link expires; nothing is sent then. */
		next = stuck ? n->sent_ms + (o ? o->link_ttl_ms : 7 * DAY_MS)
			     : activation_due_ms(o, n->sent_ms, n->zone);
		if (next <= now_ms)
			next = now_ms + 60000;
		r->follow = follow_up_params(n, stuck);
		r->js[r->njs++] = (struct job_spec){ .action = "follow_up_activation",
						     .rule = "activation",
						     .subject = n->user_id,
						     .params = r->follow,
						     .run_at_ms = next,
						     .job_key = r->key };
	}
	if (n->kind == ACTIVATION_STUCK && o && o->notify_url) {
		r->notify = notify_params(n, job, now_ms);
		r->js[r->njs++] = (struct job_spec){ .action = "notify_activation_stuck",
						     .rule = "activation",
						     .subject = n->user_id,
						     .params = r->notify,
						     .run_at_ms = now_ms };
	}
	return next;
}

int activation_record(struct journal *j, const struct activation_opts *o, const struct job *job,
		      const struct activation_note *n, char *err, size_t errlen)
{
	if (n->kind == ACTIVATION_NONE || !n->user_id[0])
		return 0;
	int64_t now = clock_now_ms();
	struct record r;
	memset(&r, 0, sizeof(r));
	int64_t next = record_jobs(&r, o, job, n, now);
	r.subject = record_json(n, next, now);
	snprintf(r.dedupe, sizeof(r.dedupe), "job:%lld:%d:%s", (long long)job->id, job->attempts,
		 activation_kind_name(n->kind));
	snprintf(r.type, sizeof(r.type), "activation.%s", activation_kind_name(n->kind));
	int rc = -1, ok = r.subject != NULL;
	for (size_t i = 0; i < r.njs; i++)
		ok = ok && r.js[i].params;
	if (ok) {
		struct journal_event ev = { .source = "hookd",
					    .dedupe_key = r.dedupe,
					    .delivery_id = r.dedupe,
					    .type = r.type,
					    .subject_id = n->user_id,
					    .subject_login = n->login[0] ? n->login : NULL,
					    .subject_json = r.subject,
					    .raw = slice_cstr(r.subject),
					    .jobs = r.js,
					    .njobs = r.njs };
		enum journal_outcome out;
		rc = journal_commit(j, &ev, 1, &out, err, errlen);
	} else {
		snprintf(err, errlen, "out of memory");
	}
	if (rc == 0 && n->kind == ACTIVATION_STUCK) {
		char resends[16];
		snprintf(resends, sizeof(resends), "%d", n->resends);
		log_kv(LOG_WARN, "activation stuck: the person has not activated after every resend", "login", n->login,
		       "user_id", n->user_id, "resends", resends, "notify", o && o->notify_url ? "queued" : "none",
		       (const char *)0);
	}
	record_free(&r);
	/* A person leaving "pending" is worth a fresh gauge now; the rest waits for the idle refresh. */
	if (rc == 0)
		activation_refresh_gauge(j, 10000,
					 n->kind == ACTIVATION_STUCK || n->kind == ACTIVATION_UNDELIVERABLE ||
						 n->kind == ACTIVATION_FINISHED);
	return rc;
}

static pthread_mutex_t gauge_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t gauge_at_ms;

void activation_refresh_gauge(struct journal *j, int64_t min_interval_ms, int force)
{
	static const char *const states[] = { "pending", "stuck", "active", "finished", "undeliverable" };
	int64_t now = clock_now_ms();
	pthread_mutex_lock(&gauge_mu);
	if (!force && now - gauge_at_ms < min_interval_ms) {
		pthread_mutex_unlock(&gauge_mu);
		return;
	}
	gauge_at_ms = now;
	struct person *p = NULL;
	size_t n = 0;
	char err[256];
	struct people_query q = { 0 };
	if (journal_list_people(j, &q, &p, &n, err, sizeof(err)) == 0) {
		int64_t counts[5] = { 0 };
		for (size_t i = 0; i < n; i++)
			for (size_t s = 0; s < 5; s++)
				if (p[i].state && strcmp(p[i].state, states[s]) == 0)
					counts[s]++;
		for (size_t s = 0; s < 5; s++) {
			char label[48];
			snprintf(label, sizeof(label), "state=\"%s\"", states[s]);
			metric_set(
				metrics_gauge("hookd_activations", label, "People by activation state (hookd people)"),
				counts[s]);
		}
		journal_people_free(p, n);
	}
	pthread_mutex_unlock(&gauge_mu);
}

/* ---- notify: a Standard Webhooks POST ---- */

int activation_sign(const char *secret, const char *id, int64_t ts, const char *body, size_t body_len, char *out,
		    size_t outlen)
{
	unsigned char key[SIG_MAX_KEY], mac[SIG_MAX_MAC];
	int klen = secret ? sig_standard_key(secret, key) : -1;
	char head[96];
	int hn = snprintf(head, sizeof(head), "%s.%lld.", id, (long long)ts);
	if (klen < 0 || hn < 0 || (size_t)hn >= sizeof(head) || outlen < 3 + 44 + 1) {
		OPENSSL_cleanse(key, sizeof(key));
		return -1;
	}
	struct slice parts[] = { { head, (size_t)hn }, { body, body_len } };
	int ml = sig_hmac(SIG_SHA256, (struct slice){ (const char *)key, (size_t)klen }, parts, 2, mac);
	OPENSSL_cleanse(key, sizeof(key));
	if (ml != 32)
		return -1;
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, ml);
	return 0;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* The notify params' id and body; 0, or -1. */
static int notify_fields(const char *params, char **id, char **body)
{
	struct json j;
	*id = *body = NULL;
	if (!params || json_parse(&j, params, strlen(params), 64, NULL, 0) < 0)
		return -1;
	*id = json_strdup(&j, json_get(&j, 0, "id"));
	*body = json_strdup(&j, json_get(&j, 0, "body"));
	json_free(&j);
	if (*id && *body && !strpbrk(*id, "\r\n"))
		return 0;
	free(*id);
	free(*body);
	return -1;
}

static int notify_post(const struct activation_opts *o, const char *id, const char *body, char *err, size_t errlen)
{
	int64_t ts = clock_now_ms() / 1000;
	char sig[128], h_id[220], h_ts[64], h_sig[160];
	if (activation_sign(o->notify_secret, id, ts, body, strlen(body), sig, sizeof(sig)) < 0) {
		snprintf(err, errlen, "notify: cannot sign (notify_secret)");
		return -1;
	}
	snprintf(h_id, sizeof(h_id), "webhook-id: %s", id);
	snprintf(h_ts, sizeof(h_ts), "webhook-timestamp: %lld", (long long)ts);
	snprintf(h_sig, sizeof(h_sig), "webhook-signature: %s", sig);
	struct curl_slist *hs = curl_slist_append(NULL, "Content-Type: application/json");
	hs = curl_slist_append(hs, h_id);
	hs = curl_slist_append(hs, h_ts);
	hs = curl_slist_append(hs, h_sig);
	CURL *h = curl_easy_init();
	if (!h || !hs) {
		curl_slist_free_all(hs);
		curl_easy_cleanup(h);
		snprintf(err, errlen, "notify: out of memory");
		return 1;
	}
	curl_easy_setopt(h, CURLOPT_URL, o->notify_url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)o->notify_timeout_ms);
	if (o->notify_ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->notify_ca_file);
	CURLcode rc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hs);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "notify: %s", curl_easy_strerror(rc));
		return 1;
	}
	if (status >= 200 && status < 300) {
		snprintf(err, errlen, "notify: %ld from the receiver", status);
		return 0;
	}
	snprintf(err, errlen, "notify: the receiver answered %ld", status);
	return status >= 500 || status == 429 || status == 408 ? 1 : -1;
}

int activation_notify_send(const struct activation_opts *o, const char *params, char *err, size_t errlen)
{
	char *id, *body;
	if (!o || !o->notify_url || !o->notify_secret) {
		snprintf(err, errlen, "notify: [activation] notify_url is not set");
		return -1;
	}
	if (notify_fields(params, &id, &body) < 0) {
		snprintf(err, errlen, "notify: the job's params are not {\"id\", \"body\"}");
		return -1;
	}
	int rc = notify_post(o, id, body, err, errlen);
	free(id);
	free(body);
	return rc;
}
