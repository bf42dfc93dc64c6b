/* eventhooks.h: registering hookd's endpoint as an Okta event hook (create, verify, list). */
#ifndef HOOKD_OKTA_EVENTHOOKS_H
#define HOOKD_OKTA_EVENTHOOKS_H

#include <stddef.h>

#include "okta/client.h"

/* An event hook as hookd needs it; strings malloc'd (okta_eventhook_free), NULL when absent. */
struct okta_eventhook {
	char *id;
	char *name;
	char *status;		   /* ACTIVE or INACTIVE */
	char *verification_status; /* VERIFIED or UNVERIFIED */
	char *uri;
	char *events; /* events.items joined with ",", NULL when absent */
};
void okta_eventhook_free(struct okta_eventhook *h);

struct okta_eventhook_list {
	struct okta_eventhook *v;
	size_t n;
};
void okta_eventhook_list_free(struct okta_eventhook_list *l);

/*
 * createEventHook: {name, events: {type: EVENT_TYPE, items}, channel: {type: HTTP, version:
 * 1.0.0, config: {uri, authScheme: {type: HEADER, key: auth_key, value: auth_value}}}}.
 * auth_value is a secret (never logged). Okta requires an https uri. 0 or -1 with e filled.
 */
int okta_eventhook_create(struct okta_client *c, const char *name, const char *uri, const char *auth_key,
			  const char *auth_value, const char *const *event_types, size_t ntypes,
			  struct okta_eventhook *out, struct okta_error *e);

/* verifyEventHook: Okta sends the one-time challenge GET to the hook's uri now. out may be NULL. */
int okta_eventhook_verify(struct okta_client *c, const char *id, struct okta_eventhook *out, struct okta_error *e);

/* listEventHooks (at most 25 per org, no paging). */
int okta_eventhook_list(struct okta_client *c, struct okta_eventhook_list *out, struct okta_error *e);

#endif
