/* admin.c: `hookd user ...` (operator actions through the journal) and `hookd okta ...` (event hooks). */
#include "cli/cli.h"
#include "cli/out.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/jbuf.h"
#include "core/secure.h"
#include "handlers/actions.h"
#include "okta/client.h"
#include "okta/eventhooks.h"
#include "okta/opts.h"
#include "store/journal.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *arg_value(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static int has_flag(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static void random_id(char *out, size_t n)
{
	unsigned char b[16];
	RAND_bytes(b, sizeof(b));
	snprintf(out, n, "admin-%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
		 b[6], b[7], b[8], b[9], b[10], b[11]);
}

static char *user_params(int argc, char **argv, const char *login)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_bool(&b, "send_email", !has_flag(argc, argv, "--no-email"));
	jbuf_key_bool(&b, "allow_reactivate", has_flag(argc, argv, "--allow-reactivate"));
	jbuf_key_str(&b, "login", login);
	jbuf_key(&b, "subject");
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "login", login);
	static const char *const fields[][2] = { { "--email", "email" },
						 { "--first-name", "first_name" },
						 { "--last-name", "last_name" },
						 { "--personal-email", "personal_email" },
						 { "--department", "department" } };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *v = arg_value(argc, argv, fields[i][0]);
		if (v)
			jbuf_key_str(&b, fields[i][1], v);
	}
	jbuf_obj_close(&b);
	jbuf_obj_close(&b);
	return jbuf_take(&b, NULL);
}

/* Okta's default profile needs login (an email address), email, firstName and lastName: say so before queuing. */
static int check_create(int argc, char **argv, const char *login)
{
	const char *email = arg_value(argc, argv, "--email");
	int rc = 0;
	if (!strchr(login, '@') || strpbrk(login, " \t\r\n")) {
		fprintf(stderr, "hookd: the login '%s' is not an email address (Okta's default login format)\n", login);
		rc = -1;
	}
	if (email && !strchr(email, '@')) {
		fprintf(stderr, "hookd: --email '%s' is not an email address\n", email);
		rc = -1;
	}
	static const char *const need[] = { "--first-name", "--last-name" };
	for (size_t i = 0; i < 2; i++) {
		const char *v = arg_value(argc, argv, need[i]);
		if (!v || !*v || v[0] == '-') {
			fprintf(stderr, "hookd: user create needs %s (Okta requires firstName and lastName)\n",
				need[i]);
			rc = -1;
		}
	}
	return rc;
}

/* Polls the job until it is done or dead, or timeout_ms passes. Prints its outcome. */
static int wait_job(struct journal *j, int64_t id, int64_t timeout_ms)
{
	int64_t until = clock_now_ms() + timeout_ms,
		hint_at = clock_now_ms() + (timeout_ms < 10000 ? timeout_ms / 2 : 5000);
	int hinted = 0;
	struct journal_query q = { .id = id, .limit = 1 };
	for (;;) {
		struct job *rows;
		size_t n;
		char err[256];
		if (journal_list_jobs(j, &q, &rows, &n, err, sizeof(err)) < 0 || n != 1) {
			fprintf(stderr, "hookd: cannot read job %lld\n", (long long)id);
			return 1;
		}
		enum job_state st = JOB_STATE_PENDING;
		journal_job_state_parse(rows[0].state, &st);
		int finished = st == JOB_STATE_DONE || st == JOB_STATE_DEAD;
		if (!hinted && st == JOB_STATE_PENDING && rows[0].attempts == 0 && clock_now_ms() > hint_at) {
			fprintf(stderr,
				"hookd: job %lld is still waiting for a worker: is `hookd serve` running on this "
				"journal, with [okta] configured and [worker] threads > 0?\n",
				(long long)id);
			hinted = 1;
		}
		if (finished || clock_now_ms() > until) {
			const char *text = st == JOB_STATE_DONE ? rows[0].result : rows[0].last_error;
			struct out_row o = { 0 };
			printf("job %lld %s: %s\n", (long long)id, out_safe(&o, rows[0].state),
			       text ? out_safe(&o, text) : "(no result yet)");
			out_row_clear(&o);
			int rc = st == JOB_STATE_DONE ? 0 : 1;
			journal_jobs_free(rows, n);
			return rc;
		}
		journal_jobs_free(rows, n);
		usleep(100000);
	}
}

static void user_usage(const char *verbs)
{
	printf("usage: hookd user %s LOGIN -c FILE [options]\n\n", verbs);
	puts("Journals an operator event with one job; a running `hookd serve` (or any instance\n"
	     "sharing the journal) runs it. Every action reads the user first: create reuses an\n"
	     "existing login, activate sends the first activation email only to a STAGED user (the\n"
	     "user becomes PROVISIONED, not ACTIVE), resend uses reactivate?sendEmail=true.\n\n"
	     "  --email E --first-name F --last-name L --personal-email P --department D   (create)\n"
	     "  --no-email          activate without Okta's email (hookd receives the link)\n"
	     "  --allow-reactivate  resend may bring a DEPROVISIONED user back\n"
	     "  --wait [SECONDS]    wait for the job's outcome (default 30 s) and print it");
}

/* The journal c configures, or NULL with err filled; jo is the caller's to free either way. */
static struct journal *user_journal(struct config *c, struct journal_opts *jo, char *err, size_t errlen)
{
	if (journal_opts_from_config(c, jo) == 0)
		return journal_open(jo, err, errlen);
	snprintf(err, errlen, "%s", config_errors(c));
	return NULL;
}

/* Journals the operator event with its one job; *id is the job's id (0 when it cannot be read back). */
static int queue_user_job(struct journal *j, const char *verb, const char *action, const char *login,
			  const char *params, int64_t *id, char *err, size_t errlen)
{
	char key[64], type[64];
	random_id(key, sizeof(key));
	snprintf(type, sizeof(type), "admin.user.%s", verb);
	struct job_spec js = { .action = action, .rule = "admin", .subject = login, .params = params, .job_key = key };
	struct journal_event ev = { .source = "admin",
				    .dedupe_key = key,
				    .delivery_id = key,
				    .type = type,
				    .subject_id = login,
				    .subject_login = login,
				    .subject_json = NULL,
				    .raw = slice_cstr(params),
				    .jobs = &js,
				    .njobs = 1 };
	enum journal_outcome out;
	if (journal_commit(j, &ev, 1, &out, err, errlen) < 0)
		return -1;
	struct journal_query q = { .limit = 1, .job_key = key };
	struct job *rows;
	size_t n;
	*id = 0;
	if (journal_list_jobs(j, &q, &rows, &n, err, errlen) == 0 && n == 1) {
		*id = rows[0].id;
		journal_jobs_free(rows, n);
	}
	return 0;
}

/* Queues the job argv names and, with --wait, prints its outcome; returns the exit code. */
static int run_user(int argc, char **argv, struct journal *j, const char *action, const char *params)
{
	char err[512];
	int64_t id;
	const char *login = argv[2];
	if (queue_user_job(j, argv[1], action, login, params, &id, err, sizeof(err)) < 0) {
		fprintf(stderr, "hookd: %s\n", err);
		return 1;
	}
	struct out_row o = { 0 };
	printf("job %lld queued: %s %s\n", (long long)id, action, out_safe(&o, login));
	out_row_clear(&o);
	if (!has_flag(argc, argv, "--wait"))
		return 0;
	const char *w = arg_value(argc, argv, "--wait");
	int64_t secs = w && w[0] != '-' ? atoll(w) : 30;
	return wait_job(j, id, (secs > 0 ? secs : 30) * 1000);
}

int cli_user(int argc, char **argv)
{
	char verbs[128];
	action_list(verbs, sizeof(verbs), "|", 1);
	if (argc < 3 || cli_wants_help(argc, argv)) {
		user_usage(verbs);
		return cli_wants_help(argc, argv) ? 0 : 2;
	}
	const char *login = argv[2], *action = NULL;
	enum action_id act;
	if (action_parse_verb(argv[1], &act) == 0)
		action = action_name(act);
	if (!action || login[0] == '-') {
		fprintf(stderr, "hookd: usage: hookd user %s LOGIN -c FILE\n", verbs);
		return 2;
	}
	if (act == ACTION_CREATE_USER && check_create(argc, argv, login) < 0)
		return 2;
	struct config *c = cli_load_config(argc, argv);
	if (!c)
		return 2;
	struct journal_opts jo;
	char err[512];
	int rc = 1;
	struct journal *j = user_journal(c, &jo, err, sizeof(err));
	char *params = j ? user_params(argc, argv, login) : NULL;
	if (!j)
		fprintf(stderr, "hookd: cannot open the journal: %s\n", err);
	else if (!params)
		fputs("hookd: out of memory building the job's params\n", stderr);
	else
		rc = run_user(argc, argv, j, action, params);
	free(params);
	journal_close(j);
	journal_opts_free(&jo);
	config_free(c);
	return rc;
}

/* "hookd: <what><text>" on stderr, with text (Okta's words) escaped for the terminal. */
static void print_error(const char *what, const char *text)
{
	struct out_row o = { 0 };
	fprintf(stderr, "hookd: %s%s\n", what, out_safe(&o, text));
	out_row_clear(&o);
}

static struct okta_client *open_okta(struct config *c, struct okta_opts *o, struct okta_org **org)
{
	struct okta_error e;
	char msg[300];
	int rc = okta_opts_from_config(c, o);
	if (rc != 0) {
		fputs(rc == 1 ? "hookd: no Okta org configured ([okta] org_url or OKTA_CLIENT_ORGURL)\n"
			      : config_errors(c),
		      stderr);
		return NULL;
	}
	*org = okta_org_new(o, NULL, &e);
	struct okta_client *cl = *org ? okta_client_new(*org, &e) : NULL;
	if (!cl)
		print_error("", okta_error_format(&e, msg, sizeof(msg)));
	return cl;
}

static void print_hook(const struct okta_eventhook *h)
{
	struct out_row o = { 0 };
	printf("%-24s %-8s %-10s %-20s %s\n", out_safe(&o, h->id), out_safe(&o, h->status),
	       out_safe(&o, h->verification_status), out_safe(&o, h->name), out_safe(&o, h->uri));
	out_row_clear(&o);
}

/* The secret Okta is to send back, in *secret (secure_free it); 0, or 2 with the reason printed. */
static int hook_secret(struct config *c, char **secret)
{
	int s = config_secret(c, "okta_hook", NULL, "auth_value", secret);
	if (s == 1)
		fprintf(stderr,
			"hookd: this configuration has no Okta event hook ([okta_hook] auth_value or "
			"auth_value_file is not set), so hookd would answer Okta's deliveries with 404; set the "
			"secret Okta is to send back, restart hookd, then register\n");
	else if (s < 0)
		fputs(config_errors(c), stderr);
	return s == 0 ? 0 : 2;
}

/* --url, else [server] public_url followed by [okta_hook] path (written into buf); NULL: neither. */
static const char *hook_url(int argc, char **argv, struct config *c, char *buf, size_t n)
{
	const char *url = arg_value(argc, argv, "--url");
	const char *pub = config_get(c, "server", NULL, "public_url");
	if (url || !pub)
		return url;
	size_t k = strlen(pub);
	snprintf(buf, n, "%.*s%s", (int)(k && pub[k - 1] == '/' ? k - 1 : k), pub,
		 config_get(c, "okta_hook", NULL, "path"));
	return buf;
}

/*
 * Splits the comma list events (NULL: hookd's default event types) into types[0..max); returns the
 * buffer the types point into (the caller frees it), NULL when out of memory.
 */
static char *hook_types(const char *events, const char **types, size_t max, size_t *nt)
{
	char *list = strdup(events ? events
				   : "user.lifecycle.create,user.lifecycle.activate,user.lifecycle.reactivate,"
				     "user.lifecycle.deactivate,user.account.update_profile,system.email.delivery");
	*nt = 0;
	for (char *save = NULL, *t = list ? strtok_r(list, ", ", &save) : NULL; t && *nt < max;
	     t = strtok_r(NULL, ", ", &save))
		types[(*nt)++] = t;
	return list;
}

/* Creates the event hook, asks Okta to verify it and prints it; returns 0 when Okta says VERIFIED. */
static int create_hook(struct okta_client *cl, struct config *c, const char *name, const char *url, const char *secret,
		       const char *const *types, size_t nt)
{
	struct okta_error e;
	struct okta_eventhook h = { 0 }, v = { 0 };
	char msg[300];
	int rc = 1;
	if (okta_eventhook_create(cl, name ? name : "hookd", url, config_get(c, "okta_hook", NULL, "auth_header"),
				  secret, types, nt, &h, &e) < 0) {
		print_error("creating the event hook failed: ", okta_error_format(&e, msg, sizeof(msg)));
	} else if (okta_eventhook_verify(cl, h.id, &v, &e) < 0) {
		struct out_row o = { 0 };
		fprintf(stderr, "hookd: event hook %s created but verification failed: %s\n", out_safe(&o, h.id),
			out_safe(&o, okta_error_format(&e, msg, sizeof(msg))));
		out_row_clear(&o);
		print_hook(&h);
	} else {
		print_hook(&v);
		rc = v.verification_status && strcmp(v.verification_status, "VERIFIED") == 0 ? 0 : 1;
	}
	okta_eventhook_free(&h);
	okta_eventhook_free(&v);
	return rc;
}

static int register_hook(int argc, char **argv, struct config *c, struct okta_client *cl)
{
	char *secret = NULL, fromconf[1200];
	if (hook_secret(c, &secret) != 0)
		return 2;
	const char *url = hook_url(argc, argv, c, fromconf, sizeof(fromconf));
	if (!url) {
		fprintf(stderr, "hookd: register-hook needs --url https://your-host%s, or [server] public_url\n",
			config_get(c, "okta_hook", NULL, "path"));
		secure_free(secret);
		return 2;
	}
	const char *types[64];
	size_t nt;
	char *list = hook_types(arg_value(argc, argv, "--events"), types, 64, &nt);
	int rc = 1;
	if (!list)
		fputs("hookd: out of memory\n", stderr);
	else
		rc = create_hook(cl, c, arg_value(argc, argv, "--name"), url, secret, types, nt);
	secure_free(secret);
	free(list);
	return rc;
}

int cli_okta(int argc, char **argv)
{
	if (argc < 2 || cli_wants_help(argc, argv)) {
		puts("usage: hookd okta register-hook -c FILE [--url https://HOST/hooks/okta] [--events a,b] [--name N]\n"
		     "       hookd okta hooks -c FILE\n"
		     "       hookd okta backfill -c FILE --since TIME [--until TIME] [--dry-run]\n\n"
		     "register-hook creates the event hook in the org with hookd's configured auth header and\n"
		     "secret, asks Okta to verify it (Okta sends the GET challenge to --url, so hookd must be\n"
		     "running there), and prints the hook's id and verification status; exit 0 when VERIFIED.\n"
		     "Without --url it registers [server] public_url followed by [okta_hook] path.\n"
		     "hooks lists the org's event hooks.\n"
		     "backfill reads the System Log (GET /api/v1/logs, scope okta.logs.read) from --since to\n"
		     "--until (default now; RFC 3339 times) and journals each event once, through the same rules\n"
		     "as the hook (events already journaled are duplicates and fire nothing); --dry-run journals\n"
		     "nothing and prints each event with the jobs its rules would make.");
		return argc < 2 ? 2 : 0;
	}
	struct config *c = cli_load_config(argc, argv);
	if (!c)
		return 2;
	struct okta_opts o = { 0 };
	struct okta_org *org = NULL;
	struct okta_client *cl = open_okta(c, &o, &org);
	int rc = 1;
	if (cl && strcmp(argv[1], "register-hook") == 0) {
		rc = register_hook(argc, argv, c, cl);
	} else if (cl && strcmp(argv[1], "backfill") == 0) {
		rc = cli_okta_backfill(argc, argv, c, cl);
	} else if (cl && strcmp(argv[1], "hooks") == 0) {
		struct okta_eventhook_list l = { 0 };
		struct okta_error e;
		char msg[300];
		if (okta_eventhook_list(cl, &l, &e) == 0) {
			printf("%-24s %-8s %-10s %-20s %s\n", "ID", "STATUS", "VERIFIED", "NAME", "URI");
			for (size_t i = 0; i < l.n; i++)
				print_hook(&l.v[i]);
			rc = 0;
		} else {
			print_error("", okta_error_format(&e, msg, sizeof(msg)));
		}
		okta_eventhook_list_free(&l);
	} else if (cl) {
		fprintf(stderr, "hookd: unknown okta command '%s'\n", argv[1]);
		rc = 2;
	}
	okta_client_free(cl);
	okta_org_free(org);
	okta_opts_free(&o);
	config_free(c);
	return rc;
}
