/* retention.c: prunes the journal to [store] retain_events and retain_jobs (serve's background tick, hookd prune). */
#include "cli/retention.h"

#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/journal.h"

#include <stdio.h>
#include <string.h>

int retention_opts_from_config(struct config *c, struct retention_opts *o)
{
	memset(o, 0, sizeof(*o));
	int64_t batch = 100;
	int rc = 0;
	if (config_ms(c, "store", NULL, "retain_events", &o->events_ms) < 0 ||
	    config_ms(c, "store", NULL, "retain_jobs", &o->jobs_ms) < 0 ||
	    config_int(c, "store", NULL, "prune_batch", &batch) < 0)
		rc = -1;
	o->batch = (int)batch;
	return rc;
}

static void count(const char *what, int64_t n)
{
	char labels[32];
	snprintf(labels, sizeof(labels), "what=\"%s\"", what);
	metric_add(metrics_counter("hookd_pruned_total", labels,
				   "Rows retention removed: finished jobs, event bodies scrubbed, event rows deleted"),
		   n);
}

int retention_run(struct journal *j, const struct retention_opts *o, int max_batches, int dry_run,
		  struct journal_prune_result *res)
{
	struct journal_prune_result r;
	char err[256];
	int64_t t0 = clock_mono_ns();
	int rc = journal_prune(j, clock_now_ms(), o->jobs_ms, o->events_ms, o->batch, max_batches, dry_run, &r, err,
			       sizeof(err));
	if (res)
		*res = r;
	if (!dry_run) {
		count("jobs", r.jobs);
		count("event_bodies", r.scrubbed);
		count("events", r.events);
	}
	char jobs[24], scrubbed[24], events[24], ms[24];
	snprintf(jobs, sizeof(jobs), "%lld", (long long)r.jobs);
	snprintf(scrubbed, sizeof(scrubbed), "%lld", (long long)r.scrubbed);
	snprintf(events, sizeof(events), "%lld", (long long)r.events);
	snprintf(ms, sizeof(ms), "%lld", (long long)((clock_mono_ns() - t0) / 1000000));
	if (rc < 0)
		log_error("retention failed", "detail", err, "#jobs", jobs, "#event_bodies", scrubbed, "#events",
			  events);
	else if (!dry_run && (r.jobs || r.scrubbed || r.events))
		log_info("retention pruned", "#jobs", jobs, "#event_bodies", scrubbed, "#events", events, "#ms", ms);
	return rc;
}

int cli_prune(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		puts("usage: hookd prune -c FILE [--dry-run]\n\n"
		     "Applies [store] retain_jobs (done and dead jobs), retain_events (events' raw bodies and\n"
		     "subject fields) now, in batches of prune_batch; event rows, with their dedupe keys, go at\n"
		     "max(retain_events, 7d). serve does the same in the background every minute.\n"
		     "--dry-run counts what would go and changes nothing. See docs/data.md.");
		return 0;
	}
	int dry = 0;
	for (int i = 1; i < argc; i++)
		dry |= strcmp(argv[i], "--dry-run") == 0;
	struct config *c = cli_load_config(argc, argv);
	if (!c)
		return 2;
	struct retention_opts o;
	struct journal_opts jo;
	int bad = retention_opts_from_config(c, &o) < 0; /* both read, so that every problem is reported */
	if (journal_opts_from_config(c, &jo) < 0)
		bad = 1;
	if (bad) {
		fputs(config_errors(c), stderr);
		journal_opts_free(&jo);
		config_free(c);
		return 2;
	}
	char err[512];
	struct journal *j = journal_open(&jo, err, sizeof(err));
	int rc = 1;
	struct journal_prune_result r;
	if (!j)
		fprintf(stderr, "hookd prune: cannot open the journal: %s\n", err);
	else if (retention_run(j, &o, 0, dry, &r) == 0) {
		printf("%s %lld finished job(s), %lld event body(ies) scrubbed, %lld event row(s)\n",
		       dry ? "would prune" : "pruned", (long long)r.jobs, (long long)r.scrubbed, (long long)r.events);
		rc = 0;
	}
	journal_close(j);
	journal_opts_free(&jo);
	config_free(c);
	return rc;
}
