/* lifecycle.h: the Okta user-lifecycle decision table: (action, current status, options) -> one call or none. */
#ifndef HOOKD_HANDLERS_LIFECYCLE_H
#define HOOKD_HANDLERS_LIFECYCLE_H

/* What a rule asks for. */
enum lc_action {
	LC_SEND_ACTIVATION,   /* first activation email of a STAGED user */
	LC_RESEND_ACTIVATION, /* a new link for someone who has not finished activating */
	LC_DEACTIVATE_USER,   /* offboarding */
	LC_ACTIVATE_NOW,      /* activation link handed to hookd (sendEmail=false), to deliver elsewhere */
	LC_RESEND_PENDING,    /* a new link only while activation is pending (the address changed) */
	LC_ACTION_COUNT
};

/* The user's status in Okta, read just before deciding (LC_NOT_FOUND: getUser said 404). */
enum lc_status {
	LC_NOT_FOUND,
	LC_STAGED,
	LC_PROVISIONED,
	LC_ACTIVE,
	LC_RECOVERY,
	LC_DEPROVISIONED,
	LC_SUSPENDED,
	LC_LOCKED_OUT,
	LC_PASSWORD_EXPIRED,
	LC_STATUS_UNKNOWN, /* a status this table does not know: always refused */
	LC_STATUS_COUNT
};

/* The one Okta call to make, if any. */
enum lc_verb {
	LC_NOTHING,    /* already in the wanted state: record reason, succeed */
	LC_ACTIVATE,   /* POST /lifecycle/activate?sendEmail=<send_email> */
	LC_REACTIVATE, /* POST /lifecycle/reactivate?sendEmail=<send_email> */
	LC_DEACTIVATE, /* POST /lifecycle/deactivate?sendEmail=false */
	LC_REFUSE,     /* must not act: record reason, fail the job without retrying */
};

/* The rule's options that the table consults. */
struct lc_opts {
	int send_email;	      /* rule send_email (default 1): let Okta send the email */
	int allow_reactivate; /* rule allow_reactivate (default 0): may bring a DEPROVISIONED user back */
};

struct lc_decision {
	enum lc_verb verb;
	int send_email;	       /* for LC_ACTIVATE / LC_REACTIVATE: the explicit sendEmail value */
	enum lc_status expect; /* status the user should have afterwards */
	const char *reason;    /* static text for the job record ("already sent: PROVISIONED") */
};

/* Looks the cell up. Pure and thread-safe; o may be NULL (send_email 1, allow_reactivate 0). */
struct lc_decision lifecycle_decide(enum lc_action a, enum lc_status s, const struct lc_opts *o);

/* "STAGED" -> LC_STAGED ... ; NULL -> LC_NOT_FOUND; anything else -> LC_STATUS_UNKNOWN. */
enum lc_status lifecycle_status_parse(const char *okta_status);
/* Okta's spelling ("STAGED"), "NOT_FOUND" or "UNKNOWN". */
const char *lifecycle_status_name(enum lc_status s);
/*
 * The table's row names, for diagnostics: "send", "resend", "deactivate", "activate_now"; -1 for
 * other names. Rules and jobs name actions (handlers/actions.h), which map onto these rows.
 */
int lifecycle_action_parse(const char *name, enum lc_action *out);
const char *lifecycle_action_name(enum lc_action a);
/* "nothing", "activate", "reactivate", "deactivate", "refuse". */
const char *lifecycle_verb_name(enum lc_verb v);

#endif
