/* backfill.c: `hookd okta backfill`: journals past System Log events once, or prints what would fire. */
#include "cli/cli.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "hooks/reconcile.h"
#include "handlers/echo.h"
#include "handlers/rules.h"
#include "okta/client.h"
#include "okta/opts.h"
#include "store/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct backfill_args {
	int64_t since_ms, until_ms;
	int dry_run;
};

static int read_args(int argc, char **argv, struct backfill_args *a)
{
	a->since_ms = a->until_ms = -1;
	a->dry_run = 0;
	for (int i = 2; i < argc; i++) {
		int more = i + 1 < argc;
		if (strcmp(argv[i], "--dry-run") == 0) {
			a->dry_run = 1;
		} else if ((strcmp(argv[i], "--since") == 0 || strcmp(argv[i], "--until") == 0) && more) {
			int64_t *t = argv[i][2] == 's' ? &a->since_ms : &a->until_ms;
			if (clock_parse_ms(argv[i + 1], t) < 0) {
				fprintf(stderr, "hookd: %s wants an RFC 3339 time (2026-12-01T08:00:00Z), got %s\n",
					argv[i], argv[i + 1]);
				return -1;
			}
			i++;
		} else if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			i++;
		} else {
			fprintf(stderr, "hookd: backfill: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	if (a->since_ms < 0) {
		fprintf(stderr, "hookd: backfill needs --since TIME\n");
		return -1;
	}
	if (a->until_ms < 0)
		a->until_ms = clock_now_ms();
	if (a->until_ms <= a->since_ms) {
		fprintf(stderr, "hookd: --until must be after --since\n");
		return -1;
	}
	return 0;
}

static int run(struct backfill_args *a, struct config *c, struct okta_client *cl, struct rules *rules,
	       struct journal *j)
{
	struct reconcile_opts ro;
	char err[512];
	if (reconcile_opts_from_config(c, rules, &ro) < 0) {
		fputs(config_errors(c), stderr);
		return 2;
	}
	struct reconciler *r = reconcile_new(&ro, j, okta_client_org(cl), rules, "backfill", err, sizeof(err));
	reconcile_opts_free(&ro);
	if (!r) {
		fprintf(stderr, "hookd: %s\n", err);
		return 1;
	}
	struct reconcile_pass p = {
		.since_ms = a->since_ms, .until_ms = a->until_ms, .dry_run = a->dry_run, .print = stdout
	};
	struct reconcile_result res;
	printf("%-10s %-24s %-36s %-30s %s\n", a->dry_run ? "WOULD" : "STATE", "PUBLISHED", "UUID", "TYPE", "USER");
	int rc = reconcile_run(r, cl, &p, &res, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "hookd: backfill stopped: %s\n", err);
	if (a->dry_run)
		printf("%zu event(s) read in %zu page(s); dry run: nothing journaled (events already in the journal "
		       "would be duplicates and fire nothing)\n",
		       res.seen, res.pages);
	else
		printf("%zu event(s) read in %zu page(s): %zu journaled, %zu already in the journal\n", res.seen,
		       res.pages, res.stored, res.duplicates);
	reconcile_free(r);
	return rc < 0 ? 1 : 0;
}

int cli_okta_backfill(int argc, char **argv, struct config *c, struct okta_client *cl)
{
	struct backfill_args a;
	if (read_args(argc, argv, &a) < 0)
		return 2;
	const char *app = strcmp(config_get(c, "okta", NULL, "auth_mode"), "private_key") == 0
				  ? config_get(c, "okta", NULL, "client_id")
				  : NULL;
	struct echo *echo = echo_from_config(c, app);
	struct rules *rules = echo ? rules_from_config(c, echo) : NULL;
	if (!rules) {
		fputs(config_errors(c), stderr);
		echo_free(echo);
		return 2;
	}
	struct journal_opts jo = { 0 };
	struct journal *j = NULL;
	char err[512];
	int rc = 1;
	if (!a.dry_run) {
		if (journal_opts_from_config(c, &jo) < 0) {
			fputs(config_errors(c), stderr);
			rc = 2;
			goto out;
		}
		if (!(j = journal_open(&jo, err, sizeof(err)))) {
			fprintf(stderr, "hookd: cannot open the journal: %s\n", err);
			goto out;
		}
	}
	rc = run(&a, c, cl, rules, j);
out:
	journal_close(j);
	journal_opts_free(&jo);
	rules_free(rules);
	echo_free(echo);
	return rc;
}
