/* hooks.h: the org's event hooks (createEventHook, listEventHooks, getEventHook, verifyEventHook). */
#ifndef OKTA_SIM_HOOKS_H
#define OKTA_SIM_HOOKS_H

#include "sim/outcall.h"

struct hooks;
struct http_req;

struct hooks *hooks_new(void);
void hooks_free(struct hooks *h);
/* Forgets every hook; caller holds sim->mu. */
void hooks_reset(struct hooks *h);

/* Route handlers: each takes sim->mu itself (verify releases it during the outbound call). */
void hooks_list(struct http_req *r);
void hooks_create(struct http_req *r);
void hooks_get(struct http_req *r);
void hooks_verify(struct http_req *r);
void hooks_replace(struct http_req *r);	 /* PUT: a changed channel makes the hook UNVERIFIED */
void hooks_activate(struct http_req *r); /* at most 25 ACTIVE hooks (400 E0000001) */
void hooks_deactivate(struct http_req *r);
void hooks_delete(struct http_req *r); /* INACTIVE hooks only (403 otherwise), 204 */

/* For the event fan-out; caller holds sim->mu. */
int hooks_count(const struct hooks *h);
/* 1 when hook i is ACTIVE, VERIFIED and subscribed to type. */
int hooks_wants(const struct hooks *h, int i, const char *type);
const char *hooks_id(const struct hooks *h, int i);
/* Hook i's channel (URI, authScheme header, custom headers); borrowed. */
const struct hook_channel *hooks_channel(const struct hooks *h, int i);

#endif
