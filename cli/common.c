/* common.c: what every subcommand shares: finding and loading the configuration. */
#include "cli/cli.h"

#include "core/config.h"
#include "core/log.h"
#include "handlers/actions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

static const char *config_path(int argc, char **argv)
{
	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0)
			return argv[i + 1];
	return getenv("HOOKD_CONFIG");
}

struct config *cli_load_config(int argc, char **argv)
{
	const char *path = config_path(argc, argv);
	struct config *c = config_load(path);
	if (!c) {
		fprintf(stderr, "hookd: out of memory\n");
		return NULL;
	}
	const char *level = config_get(c, "log", NULL, "level");
	if (log_set_level_name(level) < 0)
		config_report(c, "log", NULL, "level", "'%s' is not debug, info, warn or error", level);
	if (config_error_count(c)) {
		fputs(config_errors(c), stderr);
		config_free(c);
		return NULL;
	}
	return c;
}

int cli_config_reference(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	config_print_reference();
	action_print_reference();
	return 0;
}
