/* activation.h: following activations up: when to resend, when a person is stuck, and who is told. */
#ifndef HOOKD_HANDLERS_ACTIVATION_H
#define HOOKD_HANDLERS_ACTIVATION_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct journal;
struct job;

/* [activation], read once by serve; borrowed by the workers and the actions. */
struct activation_opts {
	int follow_up;		  /* 0: hookd schedules no follow-ups */
	int64_t link_ttl_ms;	  /* the org's activation link lifetime */
	int64_t resend_before_ms; /* a follow-up is due this long before the link expires */
	int max_resends;	  /* resends before the person is stuck */
	int at_min;		  /* follow-ups at this local minute of the day; -1: any time */
	char *notify_url;	  /* NULL: nobody is told by webhook */
	char *notify_secret;	  /* Standard Webhooks secret (whsec_...), required with notify_url */
	char *notify_ca_file;
	int64_t notify_timeout_ms;
	int landing;		    /* links hookd mails go through <public_url>/activate/<opaque> */
	char *public_url;	    /* [server] public_url, without a trailing '/' */
	unsigned char link_key[32]; /* [activation] link_key (AES-256-GCM), with landing */
};

/* Reads [activation] into o; problems are reported to c (returns -1 then). Free with activation_opts_free. */
int activation_opts_from_config(struct config *c, struct activation_opts *o);
/* Frees the strings (the secret is cleansed); NULL-safe. */
void activation_opts_free(struct activation_opts *o);

/*
 * What an action learned about one person's activation. The worker records it in the journal
 * (activation_record) before the job's outcome, so the follow-up exists once the job is done.
 */
enum activation_kind {
	ACTIVATION_NONE,
	ACTIVATION_SENT,     /* hookd started an activation (activate/reactivate with an email, or a link it mailed) */
	ACTIVATION_SEEN,     /* the user is PROVISIONED through someone else's activation */
	ACTIVATION_RESENT,   /* a follow-up resent the email */
	ACTIVATION_STUCK,    /* still PROVISIONED after max_resends */
	ACTIVATION_FINISHED, /* a follow-up found the user no longer PROVISIONED */
	ACTIVATION_FALLBACK, /* Okta's email bounced; hookd mailed a fresh link to the personal address */
	ACTIVATION_UNDELIVERABLE, /* Okta's email bounced and there is nowhere else to send it */
	ACTIVATION_KIND_COUNT,
};

struct activation_note {
	enum activation_kind kind;
	char user_id[64];
	char login[256];
	char origin[80];      /* "okta", "hr:<name>", "operator" */
	char okta_status[32]; /* as last read */
	char via[8];	      /* "okta" (Okta's email) or "mail" (hookd mailed the link) */
	char zone[64];	      /* the person's IANA time zone, "" when unknown */
	char personal_email[256];
	int resends;	 /* resends so far, this one included */
	int64_t sent_ms; /* when the current link went out */
	char reason[200];
};

/* "sent", "seen", "resent", "stuck", "finished", "fallback", "undeliverable" (event type "activation.<name>"). */
const char *activation_kind_name(enum activation_kind k);

/*
 * When the next follow-up of a link sent at sent_ms is due: sent + link_ttl - resend_before, moved
 * back to at_min local time in zone (NULL or "": UTC) when [activation] at is set (never before sent).
 */
int64_t activation_due_ms(const struct activation_opts *o, int64_t sent_ms, const char *zone);

/*
 * Journals note n about the job that produced it: one event (source "hookd", type
 * "activation.<kind>", subject the Okta user id and login) and, in the same transaction, the next
 * follow-up (action follow_up_activation, job key follow_up_activation:<user id>, so a pending one
 * is moved, never doubled) and for a stuck person the notify job. A stuck person is also logged
 * at warn with the login. Returns 0, or -1 with err filled (nothing stored). o NULL: defaults.
 */
int activation_record(struct journal *j, const struct activation_opts *o, const struct job *job,
		      const struct activation_note *n, char *err, size_t errlen);

/*
 * Recomputes the hookd_activations{state} gauge from the journal (journal_list_people), at most
 * once per min_interval_ms unless force is set. Thread-safe.
 */
void activation_refresh_gauge(struct journal *j, int64_t min_interval_ms, int force);

/*
 * POSTs the notify job's params ({"id", "body"}) to o->notify_url, signed with Standard Webhooks
 * (webhook-id, webhook-timestamp, webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>").
 * Returns 0 on a 2xx, 1 when it may succeed later (network, 5xx, 429), -1 when it will not (no
 * notify_url, bad params, other 4xx); err says why and never holds the secret.
 */
int activation_notify_send(const struct activation_opts *o, const char *params, char *err, size_t errlen);

/*
 * The Standard Webhooks signature of (id, ts, body) under secret ("whsec_<base64>"): writes
 * "v1,<base64>" into out. Returns 0, or -1 when the secret does not decode or out is too small.
 */
int activation_sign(const char *secret, const char *id, int64_t ts, const char *body, size_t body_len, char *out,
		    size_t outlen);

#endif
