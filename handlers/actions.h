/* actions.h: one job's action against Okta, idempotent: read the user's state, do only what is left. */
#ifndef HOOKD_ACTIONS_H
#define HOOKD_ACTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "handlers/activation.h"
#include "store/journal.h"

struct okta_client;
struct mailer;

/*
 * The actions a rule (do = NAME) or `hookd user VERB` may ask for. Each has one row in actions.c
 * (name, verb, handler, help); everything else derives from that table.
 */
enum action_id {
	ACTION_CREATE_USER,
	ACTION_SEND_ACTIVATION,
	ACTION_RESEND_ACTIVATION,
	ACTION_DEACTIVATE_USER,
	ACTION_UPDATE_PROFILE,
	ACTION_RESEND_IF_PENDING,
	ACTION_BOUNCE_FALLBACK,
	ACTION_WATCH_ACTIVATION,
	ACTION_FOLLOW_UP_ACTIVATION,
	ACTION_NOTIFY_STUCK,
	ACTION_COUNT,
};

/* "create_user" -> ACTION_CREATE_USER ...; 0, or -1 for any other name (NULL included): never a default. */
int action_parse(const char *name, enum action_id *out);
/* The `hookd user` verb ("create", "activate", ...) -> its action; 0, or -1 for any other verb. */
int action_parse_verb(const char *verb, enum action_id *out);
/* The action's name, its `hookd user` verb (NULL: none) and a one-line help; NULL when out of range. */
const char *action_name(enum action_id a);
const char *action_verb(enum action_id a);
const char *action_help(enum action_id a);
/* Every action name (verbs != 0: every verb) in table order, joined by sep, into buf[0..n); truncates. */
void action_list(char *buf, size_t n, const char *sep, int verbs);
/* The actions as a Markdown table on stdout, for `hookd config-reference` (docs/config.md). */
void action_print_reference(void);

enum action_status {
	ACTION_DONE,  /* finished, or nothing was left to do */
	ACTION_RETRY, /* may succeed later (rate limit, 5xx, network, user not created yet) */
	ACTION_FAIL,  /* will not succeed by retrying (refused by the lifecycle table, 4xx) */
};

struct action_result {
	enum action_status status;
	char text[512];		     /* what happened, for the job record; never a secret */
	int64_t retry_after_ms;	     /* with ACTION_RETRY: earliest sensible retry, 0 = use backoff */
	int rate_limited;	     /* with ACTION_RETRY: Okta's rate limit stopped it; the attempt does not count */
	struct activation_note note; /* what the worker journals about the person's activation (activation_record) */
};

/* What actions run with, borrowed: the Okta client, hookd's mailer (NULL: none), [activation] (NULL: defaults), the journal. */
struct action_env {
	struct okta_client *c;
	struct mailer *mail;
	const struct activation_opts *activation;
	struct journal *journal; /* for actions that read their person's history (bounce_fallback); may be NULL */
};

/*
 * Runs job's action (see enum action_id; an unknown name fails the job) with client c, parsing the
 * job's params once. Every action reads the user first, so a replay or a duplicate does
 * nothing more: an existing login is reused by create_user, an ACTIVE user gets no email.
 * When the rule sets send_email = false, Okta sends nothing and hookd mails the activation link
 * itself through mail (NULL: such jobs fail with a clear reason) to the person's personal_email
 * (or Okta's secondEmail).
 */
void action_run(struct okta_client *c, struct mailer *mail, const struct job *job, struct action_result *out);
/* action_run with [activation] options: follow-ups and the stuck notify read them. */
void action_run_env(const struct action_env *env, const struct job *job, struct action_result *out);
/* 1 when the action named may send an email to the person (a rerun of a done one needs --force). */
int action_sends_email(const char *name);

/*
 * Builds the Okta profile JSON for create_user / update_profile from a job's params (the "subject"
 * object of normalized fields, else "login"). Malloc'd, NULL when no login can be derived.
 */
char *action_profile_json(const char *params_json, int for_create);

#endif
