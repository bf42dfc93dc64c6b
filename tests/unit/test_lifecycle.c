/* test_lifecycle.c: every cell of the user-lifecycle decision table, against the issue's rules. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "handlers/lifecycle.h"

/* Expected verb per (action, status), written from the issue and Okta's reference, not the code. */
struct want {
	enum lc_action a;
	enum lc_status s;
	enum lc_verb verb;	   /* with allow_reactivate = 0 */
	enum lc_verb verb_allowed; /* with allow_reactivate = 1 */
	int email;		   /* -1: rule's send_email, 0: always false, 2: not applicable */
	const char *reason_has;	   /* substring the recorded reason must contain */
};

#define N LC_NOTHING
#define A LC_ACTIVATE
#define R LC_REACTIVATE
#define D LC_DEACTIVATE
#define X LC_REFUSE

static const struct want wants[] = {
	/* send_activation: STAGED/DEPROVISIONED -> activate; PROVISIONED -> already sent; ACTIVE -> nothing */
	{ LC_SEND_ACTIVATION, LC_NOT_FOUND, X, X, 2, "not found" },
	{ LC_SEND_ACTIVATION, LC_STAGED, A, A, -1, "STAGED" },
	{ LC_SEND_ACTIVATION, LC_PROVISIONED, N, N, 2, "already sent: PROVISIONED" },
	{ LC_SEND_ACTIVATION, LC_ACTIVE, N, N, 2, "ACTIVE: no activation email" },
	{ LC_SEND_ACTIVATION, LC_RECOVERY, N, N, 2, "RECOVERY" },
	{ LC_SEND_ACTIVATION, LC_DEPROVISIONED, A, A, -1, "DEPROVISIONED" },
	{ LC_SEND_ACTIVATION, LC_SUSPENDED, N, N, 2, "SUSPENDED" },
	{ LC_SEND_ACTIVATION, LC_LOCKED_OUT, N, N, 2, "LOCKED_OUT" },
	{ LC_SEND_ACTIVATION, LC_PASSWORD_EXPIRED, N, N, 2, "PASSWORD_EXPIRED" },
	{ LC_SEND_ACTIVATION, LC_STATUS_UNKNOWN, X, X, 2, "unknown" },
	/* resend_activation: PROVISIONED/RECOVERY -> reactivate; STAGED -> activate; DEPROVISIONED guarded */
	{ LC_RESEND_ACTIVATION, LC_NOT_FOUND, X, X, 2, "not found" },
	{ LC_RESEND_ACTIVATION, LC_STAGED, A, A, -1, "STAGED" },
	{ LC_RESEND_ACTIVATION, LC_PROVISIONED, R, R, -1, "PROVISIONED" },
	{ LC_RESEND_ACTIVATION, LC_ACTIVE, N, N, 2, "ACTIVE: no activation email" },
	{ LC_RESEND_ACTIVATION, LC_RECOVERY, R, R, -1, "RECOVERY" },
	{ LC_RESEND_ACTIVATION, LC_DEPROVISIONED, X, A, -1, "DEPROVISIONED" },
	{ LC_RESEND_ACTIVATION, LC_SUSPENDED, N, N, 2, "SUSPENDED" },
	{ LC_RESEND_ACTIVATION, LC_LOCKED_OUT, N, N, 2, "LOCKED_OUT" },
	{ LC_RESEND_ACTIVATION, LC_PASSWORD_EXPIRED, N, N, 2, "PASSWORD_EXPIRED" },
	{ LC_RESEND_ACTIVATION, LC_STATUS_UNKNOWN, X, X, 2, "unknown" },
	/* deactivate_user: anything but DEPROVISIONED -> deactivate */
	{ LC_DEACTIVATE_USER, LC_NOT_FOUND, N, N, 2, "not found" },
	{ LC_DEACTIVATE_USER, LC_STAGED, D, D, 2, "STAGED" },
	{ LC_DEACTIVATE_USER, LC_PROVISIONED, D, D, 2, "PROVISIONED" },
	{ LC_DEACTIVATE_USER, LC_ACTIVE, D, D, 2, "ACTIVE" },
	{ LC_DEACTIVATE_USER, LC_RECOVERY, D, D, 2, "RECOVERY" },
	{ LC_DEACTIVATE_USER, LC_DEPROVISIONED, N, N, 2, "already DEPROVISIONED" },
	{ LC_DEACTIVATE_USER, LC_SUSPENDED, D, D, 2, "SUSPENDED" },
	{ LC_DEACTIVATE_USER, LC_LOCKED_OUT, D, D, 2, "LOCKED_OUT" },
	{ LC_DEACTIVATE_USER, LC_PASSWORD_EXPIRED, D, D, 2, "PASSWORD_EXPIRED" },
	{ LC_DEACTIVATE_USER, LC_STATUS_UNKNOWN, D, D, 2, "unknown" },
	/* activate_now: like resend, but the link always comes back to hookd (sendEmail=false) */
	{ LC_ACTIVATE_NOW, LC_NOT_FOUND, X, X, 2, "not found" },
	{ LC_ACTIVATE_NOW, LC_STAGED, A, A, 0, "STAGED" },
	{ LC_ACTIVATE_NOW, LC_PROVISIONED, R, R, 0, "PROVISIONED" },
	{ LC_ACTIVATE_NOW, LC_ACTIVE, N, N, 2, "ACTIVE" },
	{ LC_ACTIVATE_NOW, LC_RECOVERY, R, R, 0, "RECOVERY" },
	{ LC_ACTIVATE_NOW, LC_DEPROVISIONED, X, A, 0, "DEPROVISIONED" },
	{ LC_ACTIVATE_NOW, LC_SUSPENDED, N, N, 2, "SUSPENDED" },
	{ LC_ACTIVATE_NOW, LC_LOCKED_OUT, N, N, 2, "LOCKED_OUT" },
	{ LC_ACTIVATE_NOW, LC_PASSWORD_EXPIRED, N, N, 2, "PASSWORD_EXPIRED" },
	{ LC_ACTIVATE_NOW, LC_STATUS_UNKNOWN, X, X, 2, "unknown" },
	/* resend_pending (the address changed): a new link only while activation is pending */
	{ LC_RESEND_PENDING, LC_NOT_FOUND, N, N, 2, "not found" },
	{ LC_RESEND_PENDING, LC_STAGED, N, N, 2, "STAGED" },
	{ LC_RESEND_PENDING, LC_PROVISIONED, R, R, -1, "new address" },
	{ LC_RESEND_PENDING, LC_ACTIVE, N, N, 2, "no activation pending" },
	{ LC_RESEND_PENDING, LC_RECOVERY, N, N, 2, "no activation pending" },
	{ LC_RESEND_PENDING, LC_DEPROVISIONED, N, N, 2, "no activation pending" },
	{ LC_RESEND_PENDING, LC_SUSPENDED, N, N, 2, "no activation pending" },
	{ LC_RESEND_PENDING, LC_LOCKED_OUT, N, N, 2, "no activation pending" },
	{ LC_RESEND_PENDING, LC_PASSWORD_EXPIRED, N, N, 2, "no activation pending" },
	{ LC_RESEND_PENDING, LC_STATUS_UNKNOWN, N, N, 2, "no activation pending" },
};

static enum lc_status expected_after(enum lc_verb v, enum lc_status s)
{
	return v == A || v == R ? LC_PROVISIONED : v == D ? LC_DEPROVISIONED : s;
}

static void check_cell(const struct want *w, int allow, int send_email)
{
	struct lc_opts o = { .send_email = send_email, .allow_reactivate = allow };
	struct lc_decision d = lifecycle_decide(w->a, w->s, &o);
	enum lc_verb want = allow ? w->verb_allowed : w->verb;
	if (d.verb != want)
		fprintf(stderr, "cell %s x %s (allow=%d): got %s, want %s\n", lifecycle_action_name(w->a),
			lifecycle_status_name(w->s), allow, lifecycle_verb_name(d.verb), lifecycle_verb_name(want));
	CHECK(d.verb == want);
	CHECK(d.reason != NULL && strstr(d.reason, w->reason_has) != NULL);
	if (d.reason && !strstr(d.reason, w->reason_has))
		fprintf(stderr, "  reason \"%s\" lacks \"%s\"\n", d.reason, w->reason_has);
	if (want == A || want == R)
		CHECK(d.send_email == (w->email == -1 ? send_email : 0));
	CHECK(d.expect == expected_after(want, w->s));
}

static void test_every_cell(void)
{
	size_t n = sizeof(wants) / sizeof(wants[0]);
	CHECK(n == (size_t)LC_ACTION_COUNT * LC_STATUS_COUNT);
	int seen[LC_ACTION_COUNT][LC_STATUS_COUNT] = { { 0 } };
	for (size_t i = 0; i < n; i++) {
		seen[wants[i].a][wants[i].s]++;
		for (int allow = 0; allow <= 1; allow++)
			for (int email = 0; email <= 1; email++)
				check_cell(&wants[i], allow, email);
	}
	for (int a = 0; a < LC_ACTION_COUNT; a++)
		for (int s = 0; s < LC_STATUS_COUNT; s++)
			CHECK(seen[a][s] == 1);
}

static void test_issue_examples(void)
{
	/* Spelled out once more in the issue's own words. */
	struct lc_decision d = lifecycle_decide(LC_SEND_ACTIVATION, LC_STAGED, NULL);
	CHECK(d.verb == LC_ACTIVATE && d.send_email == 1 && d.expect == LC_PROVISIONED);
	d = lifecycle_decide(LC_SEND_ACTIVATION, LC_PROVISIONED, NULL);
	CHECK_STR(d.reason, "already sent: PROVISIONED");
	d = lifecycle_decide(LC_SEND_ACTIVATION, LC_ACTIVE, NULL);
	CHECK_STR(d.reason, "ACTIVE: no activation email");
	d = lifecycle_decide(LC_RESEND_ACTIVATION, LC_PROVISIONED, NULL);
	CHECK(d.verb == LC_REACTIVATE && d.send_email == 1);
	d = lifecycle_decide(LC_RESEND_ACTIVATION, LC_DEPROVISIONED, NULL);
	CHECK(d.verb == LC_REFUSE && strstr(d.reason, "allow_reactivate") != NULL);
	struct lc_opts allow = { .send_email = 1, .allow_reactivate = 1 };
	d = lifecycle_decide(LC_RESEND_ACTIVATION, LC_DEPROVISIONED, &allow);
	CHECK(d.verb == LC_ACTIVATE && d.send_email == 1);
	d = lifecycle_decide(LC_DEACTIVATE_USER, LC_DEPROVISIONED, NULL);
	CHECK(d.verb == LC_NOTHING);
	/* out-of-range inputs are refused or treated as unknown, never read past the table */
	d = lifecycle_decide((enum lc_action)99, LC_STAGED, NULL);
	CHECK(d.verb == LC_REFUSE);
	d = lifecycle_decide(LC_SEND_ACTIVATION, (enum lc_status)99, NULL);
	CHECK(d.verb == LC_REFUSE);
}

static void test_names(void)
{
	CHECK(lifecycle_status_parse("STAGED") == LC_STAGED);
	CHECK(lifecycle_status_parse("PASSWORD_EXPIRED") == LC_PASSWORD_EXPIRED);
	CHECK(lifecycle_status_parse(NULL) == LC_NOT_FOUND);
	CHECK(lifecycle_status_parse("staged") == LC_STATUS_UNKNOWN);
	CHECK(lifecycle_status_parse("PASSWORD_RESET") == LC_STATUS_UNKNOWN);
	for (int s = LC_STAGED; s < LC_STATUS_UNKNOWN; s++)
		CHECK(lifecycle_status_parse(lifecycle_status_name((enum lc_status)s)) == (enum lc_status)s);
	enum lc_action a;
	for (int i = 0; i < LC_ACTION_COUNT; i++)
		CHECK(lifecycle_action_parse(lifecycle_action_name((enum lc_action)i), &a) == 0 &&
		      a == (enum lc_action)i);
	CHECK(lifecycle_action_parse("create_user", &a) == -1);
	CHECK(lifecycle_action_parse(NULL, &a) == -1);
	CHECK_STR(lifecycle_verb_name(LC_REACTIVATE), "reactivate");
}

int main(void)
{
	test_every_cell();
	test_issue_examples();
	test_names();
	return check_report("lifecycle");
}
