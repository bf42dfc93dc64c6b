/* cli.h: hookd's subcommands; main.c picks one by name and hands it the remaining arguments. */
#ifndef HOOKD_CLI_H
#define HOOKD_CLI_H

struct config;

/* Each returns the process exit status: 0 ok, 1 failure, 2 usage or configuration error. */
int cli_serve(int argc, char **argv);
int cli_check_config(int argc, char **argv);
int cli_events(int argc, char **argv);
int cli_jobs(int argc, char **argv);
int cli_people(int argc, char **argv);
int cli_config_reference(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_okta(int argc, char **argv);
int cli_healthcheck(int argc, char **argv);
struct okta_client;
/* `hookd okta backfill` (argv[1] is "backfill"), on an open client and loaded config c. */
int cli_okta_backfill(int argc, char **argv, struct config *c, struct okta_client *cl);
int cli_doctor(int argc, char **argv);
int cli_prune(int argc, char **argv);

/* Reads every section as serve would (opens nothing): 0, or -1 with the problems in config_errors(c). */
int cli_config_check(struct config *c);

/*
 * Shared by the subcommands: finds -c FILE (or HOOKD_CONFIG) in argv, loads it, applies [log] level,
 * prints every problem to stderr. Returns NULL (after printing) when the file has problems.
 */
struct config *cli_load_config(int argc, char **argv);
/* Like cli_load_config, but returns the config with its problems (NULL only when out of memory). */
struct config *cli_load_config_all(int argc, char **argv);
/* The first line of a configuration that is only a piece of one (deploy/examples/). */
#define CLI_FRAGMENT_MARK "; hookd fragment:"
/* 1 when the file at path starts with CLI_FRAGMENT_MARK. */
int cli_is_fragment(const char *path);
/* The configuration file named by -c FILE in argv, else $HOOKD_CONFIG, else NULL. */
const char *cli_config_path(int argc, char **argv);
/* 1 when argv holds -h or --help. */
int cli_wants_help(int argc, char **argv);

#endif
