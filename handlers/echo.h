/* echo.h: hookd's own echoes: events its own Okta calls caused, told by request, API token or app. */
#ifndef HOOKD_ECHO_H
#define HOOKD_ECHO_H

#include <stddef.h>

struct config;
struct journal;
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
 * own calls caused, NULL for the others. The request ids recorded by the workers are looked up in
 * j in one query for the n events (no network call). e may be NULL (only request ids count).
 * Returns 0, or -1 with err filled when the lookup failed: the events are then marked by token and
 * app only, and the caller goes on (an unmarked echo fires a rule whose action reads the user's
 * status first, so it does nothing twice).
 */
int echo_mark(const struct echo *e, struct journal *j, struct journal_event *ev, size_t n, char *err, size_t errlen);

/* How echoes are recognised with this identity, one line for logs and `hookd doctor`. */
void echo_describe(const struct echo *e, char *out, size_t outlen);

#endif
