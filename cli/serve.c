/* serve.c: `hookd serve` and `hookd check-config`: wires config, journal, rules, hooks and server. */
#include "cli/cli.h"
#include "cli/live.h"
#include "cli/retention.h"

#include "admin/admin.h"
#include "core/config.h"
#include "core/log.h"
#include "core/tlscert.h"
#include "handlers/activation.h"
#include "handlers/echo.h"
#include "handlers/mail.h"
#include "hooks/reconcile.h"
#include "handlers/rules.h"
#include "handlers/workers.h"
#include "okta/client.h"
#include "okta/governor_shared.h"
#include "hooks/hr_hook.h"
#include "hooks/hr_source.h"
#include "hooks/intake.h"
#include "hooks/landing_hook.h"
#include "hooks/okta_hook.h"
#include "hooks/server.h"
#include "store/journal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

/* Background retention: a pass every minute, at most this many batches (prune_batch rows) per step. */
#define RETENTION_TICK_S 60
#define RETENTION_MAX_BATCHES 100

/* The seconds between retention passes: HOOKD_RETENTION_TICK (1..3600) for drills and benchmarks, else a minute. */
static time_t retention_tick_s(void)
{
	const char *v = getenv("HOOKD_RETENTION_TICK");
	long n = v ? strtol(v, NULL, 10) : 0;
	return n >= 1 && n <= 3600 ? (time_t)n : RETENTION_TICK_S;
}

/* Everything serve builds from the config; filled by app_build, torn down by app_free. */
struct app {
	struct journal_opts jo;
	struct server_opts so;
	struct worker_opts wo;
	struct activation_opts act;
	struct okta_opts oo;
	int okta_configured;
	struct okta_org *org;
	struct okta_governor *governor;
	struct workers *workers;
	struct reconcile_opts ro;
	struct reconciler *reconciler;
	struct mailer *mail;
	struct echo *echo;
	struct journal *journal;
	struct rules *rules;
	struct hr_sources *hr_sources;
	struct landing_hook *landing;
	struct server *server;
	struct live *live; /* rules, sources, hooks: swapped by a reload */
	struct retention_opts ret;
	struct admin_opts ao;
	int admin_off; /* admin_opts_from_config's answer: 0 on, 1 off */
	struct admin *admin;
};

/*
 * Reads every section into app (without opening anything), reporting all problems to c. A fragment
 * (check-config --fragment) is not held to what only a whole configuration must have.
 */
static int app_configure(struct config *c, struct app *a, int fragment)
{
	int rc = 0;
	if (journal_opts_from_config(c, &a->jo) < 0)
		rc = -1;
	if (server_opts_from_config(c, &a->so) < 0)
		rc = -1;
	if (worker_opts_from_config(c, &a->wo) < 0)
		rc = -1;
	admin_opts_free(&a->ao);
	if ((a->admin_off = admin_opts_from_config(c, &a->ao)) < 0)
		rc = -1;
	activation_opts_free(&a->act);
	if (activation_opts_from_config(c, &a->act) < 0)
		rc = -1;
	a->wo.activation = &a->act;
	mailer_free(a->mail);
	if (mailer_from_config(c, &a->mail) < 0)
		rc = -1;
	int orc = okta_opts_from_config(c, &a->oo);
	if (orc < 0)
		rc = -1;
	a->okta_configured = orc == 0;
	rules_free(a->rules);
	echo_free(a->echo);
	a->echo = echo_from_config(c, a->oo.auth_mode == OKTA_AUTH_PRIVATE_KEY ? a->oo.client_id : NULL);
	a->rules = rules_from_config(c, a->echo);
	if (!a->rules || !a->echo)
		rc = -1;
	reconcile_opts_free(&a->ro);
	if (a->rules && reconcile_opts_from_config(c, a->rules, &a->ro) < 0)
		rc = -1;
	/* The hook's own checks need no journal yet; it is attached in app_build. */
	if (!fragment || config_has_section(c, "okta_hook", NULL)) {
		struct okta_hook *probe = okta_hook_from_config(c, NULL, NULL);
		if (!probe)
			rc = -1;
		okta_hook_free(probe);
	}
	hr_sources_free(a->hr_sources);
	a->hr_sources = hr_sources_from_config(c);
	if (!a->hr_sources)
		rc = -1;
	if (retention_opts_from_config(c, &a->ret) < 0)
		rc = -1;
	const char *pub = config_get(c, "server", NULL, "public_url");
	if (pub && (strncmp(pub, "https://", 8) != 0 || !pub[8] || strpbrk(pub, " ?#"))) {
		config_report(c, "server", NULL, "public_url",
			      "'%s' is not an https:// URL without path query or fragment (Okta only calls HTTPS)",
			      pub);
		rc = -1;
	}
	return config_error_count(c) ? -1 : rc;
}

static void app_free(struct app *a)
{
	server_free(a->server);	       /* stops accepting and finishes in-flight requests first */
	admin_free(a->admin);	       /* after the hook server: both share its body watchdog */
	workers_stop(a->workers);      /* each worker finishes its current job */
	reconcile_free(a->reconciler); /* finishes its page, gives its lease up */
	reconcile_opts_free(&a->ro);
	live_free(a->live); /* before the echo its rules borrow */
	landing_hook_free(a->landing);
	hr_sources_free(a->hr_sources);
	okta_org_free(a->org);
	okta_governor_free(a->governor); /* after the org that borrowed it, before the journal it uses */
	journal_close(a->journal);
	mailer_free(a->mail);
	activation_opts_free(&a->act);
	okta_opts_free(&a->oo);
	rules_free(a->rules);
	echo_free(a->echo);
	server_opts_free(&a->so);
	admin_opts_free(&a->ao);
	journal_opts_free(&a->jo);
	memset(a, 0, sizeof(*a));
}

/*
 * The System Log reader; it names this instance in the journal's lease: host and pid on PostgreSQL
 * (several instances share the journal, and the lease picks one), the host alone on SQLite (one
 * instance owns the file, so a restart after a crash takes its lease back at once instead of
 * waiting reconcile_lease for the dead process's lease to run out).
 */
static int start_reconciler(struct app *a)
{
	char err[256], host[64] = "host", owner[128];
	gethostname(host, sizeof(host) - 1);
	if (strcmp(a->jo.backend, "postgres") == 0)
		snprintf(owner, sizeof(owner), "%s:%ld", host, (long)getpid());
	else
		snprintf(owner, sizeof(owner), "%s:sqlite", host);
	a->reconciler = reconcile_new(&a->ro, a->journal, a->org, a->rules, owner, err, sizeof(err));
	if (!a->reconciler) {
		log_error("cannot start the System Log reconciler", "detail", err);
		return -1;
	}
	return 0;
}

/* Once the live state exists: the reconciler reads with each reload's rules and filter. */
static int run_reconciler(struct app *a, const struct intake_rules_src *src)
{
	char err[256];
	if (!a->reconciler)
		return 0;
	reconcile_set_rules_src(a->reconciler, src);
	live_set_reconciler(a->live, a->reconciler);
	if (reconcile_start(a->reconciler, err, sizeof(err)) < 0) {
		log_error("cannot start the System Log reconciler", "detail", err);
		return -1;
	}
	return 0;
}

static int start_okta(struct app *a)
{
	char err[512];
	if (!a->okta_configured)
		return 0; /* said once serving: a start-up failure must be the last line, not follow a warning */
	struct okta_error e;
	/* With PostgreSQL several instances share one Okta budget, kept in the journal. */
	if (strcmp(a->jo.backend, "postgres") == 0 &&
	    !(a->governor = okta_governor_shared_new(a->journal, a->oo.rate_reserve))) {
		log_error("cannot set up the shared rate governor");
		return -1;
	}
	a->org = okta_org_new(&a->oo, a->governor, &e);
	if (!a->org) {
		log_error("cannot set up the Okta client", "detail", okta_error_format(&e, err, sizeof(err)));
		return -1;
	}
	char how[400];
	echo_describe(a->echo, how, sizeof(how));
	log_info("hookd tells its own echoes; they fire no rule unless a rule sets include_self", "how", how);
	if (start_reconciler(a) < 0)
		return -1;
	if (a->wo.threads == 0)
		return 0;
	a->workers = workers_start(&a->wo, a->journal, a->org, a->mail, err, sizeof(err));
	if (!a->workers) {
		log_error("cannot start the job workers", "detail", err);
		return -1;
	}
	return 0;
}

/*
 * Every connection hookd holds is a descriptor, and it holds up to [server] threads of them: the
 * soft RLIMIT_NOFILE (often 1024) is raised to the hard one, and a warning names a limit too low.
 */
static void raise_nofile(int threads)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	/* up to the hard limit, but not to an "unlimited" one: a million descriptors is plenty */
	rlim_t target = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 1048576 ? 1048576 : rl.rlim_max;
	if (rl.rlim_cur < target) {
		struct rlimit up = { .rlim_cur = target, .rlim_max = rl.rlim_max };
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	/* threads connections, plus the journal, listeners, outbound calls and their spares */
	rlim_t need = (rlim_t)threads + 256;
	if (rl.rlim_cur < need) {
		char have[32], want[32];
		snprintf(have, sizeof(have), "%llu", (unsigned long long)rl.rlim_cur);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)need);
		log_warn("the open-file limit is below what [server] threads needs; raise LimitNOFILE or lower threads",
			 "#limit", have, "#needed", want);
	}
}

static int app_build(struct config *c, const char *path, struct app *a)
{
	char err[512];
	struct tls_cert *cert = NULL;
	int bad = app_configure(c, a, 0) < 0;
	if (tls_cert_from_config(c, &cert) < 0 || bad) {
		fputs(config_errors(c), stderr);
		tls_cert_unref(cert);
		return -1;
	}
	raise_nofile(a->so.threads);
	a->journal = journal_open(&a->jo, err, sizeof(err));
	if (!a->journal || start_okta(a) < 0 || !a->rules) {
		if (!a->journal)
			log_error("cannot open the journal", "detail", err);
		tls_cert_unref(cert);
		return -1;
	}
	a->server = server_new(&a->so, a->journal);
	if (a->server)
		server_tls_set(a->server, cert);
	else
		tls_cert_unref(cert);
	if (a->server)
		a->live = live_new(c, path, a->journal, a->server, a->workers, a->echo);
	if (!a->server || !a->live || server_route(a->server, live_okta_path(a->live), live_okta_handle, a->live) < 0 ||
	    server_header_once(a->server, config_get(c, "okta_hook", NULL, "auth_header")) < 0 ||
	    server_route(a->server, HR_PATH_PREFIX, live_hr_handle, a->live) < 0) {
		log_error("cannot set up the routes");
		return -1;
	}
	a->landing = landing_hook_new(&a->act);
	if (a->landing && server_route(a->server, LANDING_PATH_PREFIX, landing_hook_handle, a->landing) < 0) {
		log_error("cannot set up the landing route");
		return -1;
	}
	struct intake_rules_src src;
	live_rules_src(a->live, &src);
	if (run_reconciler(a, &src) < 0)
		return -1;
	if (server_start(a->server, err, sizeof(err)) < 0) {
		log_error("cannot start the server", "detail", err);
		return -1;
	}
	a->ao.governor = a->org ? okta_org_governor(a->org) : NULL;
	a->ao.rules_src = &src; /* copied by admin_start */
	if (!a->admin_off &&
	    !(a->admin = admin_start(&a->ao, &a->so, a->journal, a->rules, a->hr_sources, err, sizeof(err)))) {
		log_error("cannot start the admin listener", "detail", err);
		return -1;
	}
	a->ao.rules_src = NULL;
	if (a->admin_off)
		log_info("admin API and console off: set [admin] token_file (and listen) to serve them");
	if (a->admin) {
		char port[16];
		snprintf(port, sizeof(port), "%d", admin_port(a->admin));
		log_info("admin API and console serving", "listen", a->ao.listen, "port", port);
	}
	if (!live_okta_enabled(a->live))
		log_info("no Okta event hook: [okta_hook] auth_value is not set, so its path answers 404", "path",
			 live_okta_path(a->live));
	if (!a->okta_configured)
		log_warn(
			"no Okta org configured ([okta] org_url or OKTA_CLIENT_ORGURL): events are journaled, jobs wait");
	return 0;
}

int cli_serve(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		puts("usage: hookd serve -c FILE\n\n"
		     "Runs the TLS receiver: Okta event hook, HR webhooks, /healthz, /readyz, /metrics.\n"
		     "Every verified event is journaled durably before the 2xx. SIGTERM or SIGINT stops\n"
		     "accepting, lets in-flight requests finish, and closes the journal. SIGHUP reads the\n"
		     "file again and swaps rules, sources, secrets, mail and the TLS certificate when all\n"
		     "of it is good (requests in flight finish with the old ones); otherwise it logs every\n"
		     "problem and keeps running as it was.\n\n"
		     "  -c, --config FILE   configuration (default: $HOOKD_CONFIG, else built-in defaults)");
		return 0;
	}
	/* Block the stop and reload signals in every thread; main waits for them with sigwait. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct config *c = cli_load_config(argc, argv);
	if (!c)
		return 2;
	struct app a;
	memset(&a, 0, sizeof(a));
	int rc = 1;
	if (app_build(c, cli_config_path(argc, argv), &a) == 0) {
		char port[16];
		snprintf(port, sizeof(port), "%d", server_port(a.server));
		log_info("hookd serving", "listen", a.so.listen, "#port", port, "okta_hook",
			 live_okta_enabled(a.live) ? live_okta_path(a.live) : "off", "journal", a.jo.backend);
		int sig;
		/* Signals as they come; between them, a bounded pass of retention every tick. */
		struct timespec tick = { .tv_sec = retention_tick_s() };
		while ((sig = sigtimedwait(&stop, NULL, &tick)) == SIGHUP ||
		       (sig < 0 && (errno == EAGAIN || errno == EINTR))) {
			if (sig == SIGHUP)
				live_reload(a.live);
			else if (errno == EAGAIN)
				retention_run(a.journal, &a.ret, RETENTION_MAX_BATCHES, 0, NULL);
		}
		log_info("hookd stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		rc = 0;
	}
	app_free(&a);
	config_free(c);
	if (rc == 0)
		log_info("hookd stopped");
	return rc;
}

int cli_config_check(struct config *c)
{
	struct app a;
	memset(&a, 0, sizeof(a));
	int rc = app_configure(c, &a, 0) < 0 || config_error_count(c) ? -1 : 0;
	app_free(&a);
	return rc;
}

/* 1 when argv holds flag. */
static int has_flag(int argc, char **argv, const char *flag)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], flag) == 0)
			return 1;
	return 0;
}

int cli_check_config(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		puts("usage: hookd check-config -c FILE [--fragment]\n\n"
		     "Reads the configuration as serve would and prints every problem with its line, in\n"
		     "line order: keys, values and their formats, rules and their actions and event types,\n"
		     "HOOKD_* variables that set nothing, listen addresses, and the TLS certificate and key\n"
		     "(readable, parseable, matching, not expired). Exits 0 when the file is good, 2\n"
		     "otherwise. Opens nothing and calls nothing.\n\n"
		     "  --fragment   FILE is a piece of a configuration (deploy/examples/, first line\n"
		     "               \"" CLI_FRAGMENT_MARK "\"): its sections are checked, what only a\n"
		     "               whole file must have ([okta_hook] secret, certificate) is not");
		return 0;
	}
	int fragment = has_flag(argc, argv, "--fragment");
	struct config *c = cli_load_config_all(argc, argv);
	if (!c)
		return 2;
	const char *path = cli_config_path(argc, argv);
	if (!fragment && cli_is_fragment(path))
		fprintf(stderr,
			"%s: this file is a fragment (its first line says so): add it to a whole "
			"configuration, or check it alone with --fragment\n",
			path);
	struct app a;
	memset(&a, 0, sizeof(a));
	int bad = app_configure(c, &a, fragment) < 0;
	if (!fragment && tls_cert_from_config(c, NULL) < 0)
		bad = 1;
	bad = bad || config_error_count(c);
	if (bad)
		fputs(config_errors(c), stderr);
	else
		printf("configuration OK%s: %zu rule(s), %zu HR source(s), journal %s, Okta %s\n",
		       fragment ? " (as a fragment)" : "", rules_count(a.rules), hr_sources_count(a.hr_sources),
		       a.jo.backend, a.okta_configured ? a.oo.org_url : "not configured");
	app_free(&a);
	config_free(c);
	return bad ? 2 : 0;
}
