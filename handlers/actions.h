/* actions.h: one job's action against Okta, idempotent: read the user's state, do only what is left. */
#ifndef HOOKD_ACTIONS_H
#define HOOKD_ACTIONS_H

#include <stdint.h>

#include "store/journal.h"

struct okta_client;
struct mailer;

enum action_status {
	ACTION_DONE,  /* finished, or nothing was left to do */
	ACTION_RETRY, /* may succeed later (rate limit, 5xx, network, user not created yet) */
	ACTION_FAIL,  /* will not succeed by retrying (refused by the lifecycle table, 4xx) */
};

struct action_result {
	enum action_status status;
	char text[512];         /* what happened, for the job record; never a secret */
	int64_t retry_after_ms; /* with ACTION_RETRY: earliest sensible retry, 0 = use backoff */
	int rate_limited;       /* with ACTION_RETRY: Okta's rate limit stopped it; the attempt does not count */
};

/*
 * Runs job's action (create_user, send_activation, resend_activation, deactivate_user,
 * update_profile) with client c. Every action reads the user first, so a replay or a duplicate does
 * nothing more: an existing login is reused by create_user, an ACTIVE user gets no email.
 * When the rule sets send_email = false, Okta sends nothing and hookd mails the activation link
 * itself through mail (NULL: such jobs fail with a clear reason) to the person's personal_email
 * (or Okta's secondEmail).
 */
void action_run(struct okta_client *c, struct mailer *mail, const struct job *job, struct action_result *out);

/*
 * Builds the Okta profile JSON for create_user / update_profile from a job's params (the "subject"
 * object of normalized fields, else "login"). Malloc'd, NULL when no login can be derived.
 */
char *action_profile_json(const char *params_json, int for_create);

#endif
