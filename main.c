/* main.c: hookd's command line: picks the subcommand and hands it the arguments. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
} commands[] = {
	{ "serve", cli_serve, "run the TLS receiver, journal and workers" },
	{ "check-config", cli_check_config, "check a configuration file and print every problem" },
	{ "events", cli_events, "list journaled events, newest first" },
	{ "jobs", cli_jobs, "list jobs, retry dead ones" },
	{ "people", cli_people, "the onboarding view (pending, stuck, done); forget LOGIN erases one person" },
	{ "user", cli_user, "create a user STAGED, send or resend the activation email, deactivate" },
	{ "okta", cli_okta, "register hookd as an Okta event hook, list hooks" },
	{ "healthcheck", cli_healthcheck, "ask the local hookd for /healthz (exit 0 when it answers 200)" },
	{ "prune", cli_prune, "apply [store] retain_events and retain_jobs now (--dry-run: count only)" },
	{ "doctor", cli_doctor, "check a deployment end to end: TLS, journal, Okta, event hook, mail, sources" },
	{ "config-reference", cli_config_reference, "print every configuration key as Markdown" },
};

static void usage(FILE *f)
{
	fputs("usage: hookd COMMAND [options]   (hookd COMMAND --help for its options)\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-18s %s\n", commands[i].name, commands[i].what);
	fputs("\nConfiguration: -c FILE (or $HOOKD_CONFIG); every key can be overridden by\n"
	      "HOOKD_<SECTION>_<KEY> environment variables.\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		puts("hookd 0.1.0");
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "hookd: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
