/* echo.h: hookd's own echoes: events its own Okta calls caused, told by request, API token or app. */
#ifndef HOOKD_ECHO_H
#define HOOKD_ECHO_H

#include <stddef.h>

struct config;
struct journal_event;

/*
 * hookd's identity at Okta as far as events show it: the id of its API token ([okta]
 * api_token_id, 00T...; optional) and the client id of its OAuth service app (no person acts as
 * an app). The token owner's user id is never part of it: that person also works in the Admin
 * Console, and their events must fire rules.
 */
struct echo;

/*
 * Reads [okta] api_token_id; service_app_id (may be NULL: SSWS) is the OAuth client id. A
 * leftover [okta] self_actor_id is reported as an error that says what replaced it. Problems are
 * reported to c; returns NULL then (and when out of memory).
 */
struct echo *echo_from_config(struct config *c, const char *service_app_id);
/* NULL-safe. */
void echo_free(struct echo *e);

/* Reasons echo_mark gives; also the `reason` label of hookd_events_echo_total. */
#define ECHO_REQUEST "request_id"      /* transaction.id or debugData.requestId is one of hookd's calls */
#define ECHO_API_TOKEN "api_token"     /* requestApiTokenId is hookd's API token */
#define ECHO_SERVICE_APP "service_app" /* the actor is hookd's OAuth service app */

/*
 * Sets ev[i].echo to one of the reasons above for each Okta event (source "okta") that hookd's
 * token or app caused, NULL for the others, and ev[i].echo_lookup for the Okta events not told so
 * that carry a request id: journal_commit looks those up among the request ids the workers
 * recorded, once for its whole group commit (no network call), and answers JOURNAL_STORED_ECHO
 * (ECHO_REQUEST) for each it finds; the rules' jobs marked unless_echo are then not added. e may be
 * NULL (only request ids count).
 */
void echo_mark(const struct echo *e, struct journal_event *ev, size_t n);

/* How echoes are recognised with this identity, one line for logs and `hookd doctor`. */
void echo_describe(const struct echo *e, char *out, size_t outlen);

#endif
