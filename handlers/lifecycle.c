/* lifecycle.c: the user-lifecycle decision table, one cell per (action, Okta status). */
#include "handlers/lifecycle.h"

#include <stddef.h>
#include <string.h>

enum email {
	EM_NONE,
	EM_RULE,
	EM_OFF,
}; /* sendEmail: none, the rule's send_email, always false */

struct cell {
	enum lc_verb verb;
	enum email email;
	int needs_allow; /* refused unless the rule sets allow_reactivate */
	const char *reason;
};

/* clang-format off */
#define DO(v, em, why) { (v), (em), 0, (why) }
#define GUARDED(v, em, why) { (v), (em), 1, (why) }
#define NOTHING(why) { LC_NOTHING, EM_NONE, 0, (why) }
#define REFUSE(why) { LC_REFUSE, EM_NONE, 0, (why) }
/* clang-format on */

#define NOT_FOUND_REFUSED REFUSE("not found: the user does not exist in Okta (create it first)")
#define UNKNOWN_REFUSED REFUSE("unknown Okta status: no rule for it")
#define ALREADY_ACTIVE(s) NOTHING(s ": user already activated, no activation email")

#define NOT_PENDING(s) NOTHING(s ": no activation pending")

static const struct cell table[LC_ACTION_COUNT][LC_STATUS_COUNT] = {
	[LC_SEND_ACTIVATION] = {
		[LC_NOT_FOUND] = NOT_FOUND_REFUSED,
		[LC_STAGED] = DO(LC_ACTIVATE, EM_RULE, "STAGED: activate"),
		[LC_PROVISIONED] = NOTHING("already sent: PROVISIONED"),
		[LC_ACTIVE] = NOTHING("ACTIVE: no activation email"),
		[LC_RECOVERY] = NOTHING("already sent: RECOVERY (password reset pending)"),
		[LC_DEPROVISIONED] = DO(LC_ACTIVATE, EM_RULE, "DEPROVISIONED: activate again"),
		[LC_SUSPENDED] = ALREADY_ACTIVE("SUSPENDED"),
		[LC_LOCKED_OUT] = ALREADY_ACTIVE("LOCKED_OUT"),
		[LC_PASSWORD_EXPIRED] = ALREADY_ACTIVE("PASSWORD_EXPIRED"),
		[LC_STATUS_UNKNOWN] = UNKNOWN_REFUSED,
	},
	[LC_RESEND_ACTIVATION] = {
		[LC_NOT_FOUND] = NOT_FOUND_REFUSED,
		[LC_STAGED] = DO(LC_ACTIVATE, EM_RULE, "STAGED: never sent, activate"),
		[LC_PROVISIONED] = DO(LC_REACTIVATE, EM_RULE, "PROVISIONED: reactivate with a new link"),
		[LC_ACTIVE] = NOTHING("ACTIVE: no activation email"),
		[LC_RECOVERY] = DO(LC_REACTIVATE, EM_RULE, "RECOVERY: reactivate with a new link"),
		[LC_DEPROVISIONED] = GUARDED(LC_ACTIVATE, EM_RULE, "DEPROVISIONED: activate again (allow_reactivate)"),
		[LC_SUSPENDED] = ALREADY_ACTIVE("SUSPENDED"),
		[LC_LOCKED_OUT] = ALREADY_ACTIVE("LOCKED_OUT"),
		[LC_PASSWORD_EXPIRED] = ALREADY_ACTIVE("PASSWORD_EXPIRED"),
		[LC_STATUS_UNKNOWN] = UNKNOWN_REFUSED,
	},
	[LC_DEACTIVATE_USER] = {
		[LC_NOT_FOUND] = NOTHING("not found: nothing to deactivate"),
		[LC_STAGED] = DO(LC_DEACTIVATE, EM_NONE, "STAGED: deactivate"),
		[LC_PROVISIONED] = DO(LC_DEACTIVATE, EM_NONE, "PROVISIONED: deactivate"),
		[LC_ACTIVE] = DO(LC_DEACTIVATE, EM_NONE, "ACTIVE: deactivate"),
		[LC_RECOVERY] = DO(LC_DEACTIVATE, EM_NONE, "RECOVERY: deactivate"),
		[LC_DEPROVISIONED] = NOTHING("already DEPROVISIONED"),
		[LC_SUSPENDED] = DO(LC_DEACTIVATE, EM_NONE, "SUSPENDED: deactivate"),
		[LC_LOCKED_OUT] = DO(LC_DEACTIVATE, EM_NONE, "LOCKED_OUT: deactivate"),
		[LC_PASSWORD_EXPIRED] = DO(LC_DEACTIVATE, EM_NONE, "PASSWORD_EXPIRED: deactivate"),
		[LC_STATUS_UNKNOWN] = DO(LC_DEACTIVATE, EM_NONE, "unknown status (not DEPROVISIONED): deactivate"),
	},
	[LC_ACTIVATE_NOW] = {
		[LC_NOT_FOUND] = NOT_FOUND_REFUSED,
		[LC_STAGED] = DO(LC_ACTIVATE, EM_OFF, "STAGED: activate, link to hookd"),
		[LC_PROVISIONED] = DO(LC_REACTIVATE, EM_OFF, "PROVISIONED: reactivate, new link to hookd"),
		[LC_ACTIVE] = NOTHING("ACTIVE: no activation link"),
		[LC_RECOVERY] = DO(LC_REACTIVATE, EM_OFF, "RECOVERY: reactivate, new link to hookd"),
		[LC_DEPROVISIONED] = GUARDED(LC_ACTIVATE, EM_OFF, "DEPROVISIONED: activate again, link to hookd (allow_reactivate)"),
		[LC_SUSPENDED] = ALREADY_ACTIVE("SUSPENDED"),
		[LC_LOCKED_OUT] = ALREADY_ACTIVE("LOCKED_OUT"),
		[LC_PASSWORD_EXPIRED] = ALREADY_ACTIVE("PASSWORD_EXPIRED"),
		[LC_STATUS_UNKNOWN] = UNKNOWN_REFUSED,
	},
	[LC_RESEND_PENDING] = {
		[LC_NOT_FOUND] = NOTHING("not found: no activation pending"),
		[LC_STAGED] = NOTHING("STAGED: not activated yet, the first email goes to the current address"),
		[LC_PROVISIONED] = DO(LC_REACTIVATE, EM_RULE, "PROVISIONED: reactivate, the new link goes to the new address"),
		[LC_ACTIVE] = NOT_PENDING("ACTIVE"),
		[LC_RECOVERY] = NOT_PENDING("RECOVERY"),
		[LC_DEPROVISIONED] = NOT_PENDING("DEPROVISIONED"),
		[LC_SUSPENDED] = NOT_PENDING("SUSPENDED"),
		[LC_LOCKED_OUT] = NOT_PENDING("LOCKED_OUT"),
		[LC_PASSWORD_EXPIRED] = NOT_PENDING("PASSWORD_EXPIRED"),
		[LC_STATUS_UNKNOWN] = NOT_PENDING("unknown status"),
	},
};

static const char *const status_names[LC_STATUS_COUNT] = {
	[LC_NOT_FOUND] = "NOT_FOUND",	 [LC_STAGED] = "STAGED",	 [LC_PROVISIONED] = "PROVISIONED",
	[LC_ACTIVE] = "ACTIVE",		 [LC_RECOVERY] = "RECOVERY",	 [LC_DEPROVISIONED] = "DEPROVISIONED",
	[LC_SUSPENDED] = "SUSPENDED",	 [LC_LOCKED_OUT] = "LOCKED_OUT", [LC_PASSWORD_EXPIRED] = "PASSWORD_EXPIRED",
	[LC_STATUS_UNKNOWN] = "UNKNOWN",
};

static const char *const action_names[LC_ACTION_COUNT] = {
	[LC_SEND_ACTIVATION] = "send",	    [LC_RESEND_ACTIVATION] = "resend",	    [LC_DEACTIVATE_USER] = "deactivate",
	[LC_ACTIVATE_NOW] = "activate_now", [LC_RESEND_PENDING] = "resend_pending",
};

/* The status a call leaves behind (a user without a password stays PROVISIONED until they finish). */
static enum lc_status result_of(enum lc_verb v, enum lc_status from)
{
	switch (v) {
	case LC_ACTIVATE:
	case LC_REACTIVATE: return LC_PROVISIONED;
	case LC_DEACTIVATE: return LC_DEPROVISIONED;
	default: return from;
	}
}

struct lc_decision lifecycle_decide(enum lc_action a, enum lc_status s, const struct lc_opts *o)
{
	struct lc_opts def = { .send_email = 1, .allow_reactivate = 0 };
	if (!o)
		o = &def;
	if ((unsigned)a >= LC_ACTION_COUNT)
		return (struct lc_decision){ LC_REFUSE, 0, s, "unknown action" };
	if ((unsigned)s >= LC_STATUS_COUNT)
		s = LC_STATUS_UNKNOWN;
	const struct cell *c = &table[a][s];
	if (!c->reason)
		return (struct lc_decision){ LC_REFUSE, 0, s, "no rule for this status" };
	if (c->needs_allow && !o->allow_reactivate)
		return (struct lc_decision){
			LC_REFUSE, 0, s,
			"DEPROVISIONED: refusing to activate a deactivated user (the rule does not set allow_reactivate = true)"
		};
	struct lc_decision d = { c->verb, 0, result_of(c->verb, s), c->reason };
	if (c->email == EM_RULE)
		d.send_email = o->send_email ? 1 : 0;
	return d;
}

enum lc_status lifecycle_status_parse(const char *okta_status)
{
	if (!okta_status)
		return LC_NOT_FOUND;
	for (int s = LC_STAGED; s < LC_STATUS_UNKNOWN; s++)
		if (strcmp(okta_status, status_names[s]) == 0)
			return (enum lc_status)s;
	return LC_STATUS_UNKNOWN;
}

const char *lifecycle_status_name(enum lc_status s)
{
	return (unsigned)s < LC_STATUS_COUNT ? status_names[s] : "UNKNOWN";
}

int lifecycle_action_parse(const char *name, enum lc_action *out)
{
	for (int a = 0; name && a < LC_ACTION_COUNT; a++) {
		if (strcmp(name, action_names[a]) == 0) {
			*out = (enum lc_action)a;
			return 0;
		}
	}
	return -1;
}

const char *lifecycle_action_name(enum lc_action a)
{
	return (unsigned)a < LC_ACTION_COUNT ? action_names[a] : "unknown";
}

const char *lifecycle_verb_name(enum lc_verb v)
{
	static const char *const names[] = { "nothing", "activate", "reactivate", "deactivate", "refuse" };
	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown";
}
