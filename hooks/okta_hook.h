/* okta_hook.h: the Okta event-hook endpoint: verification challenge and authenticated deliveries. */
#ifndef HOOKD_OKTA_HOOK_H
#define HOOKD_OKTA_HOOK_H

#include "hooks/http.h"

struct config;
struct journal;
struct rules;
struct okta_hook;

/*
 * Reads [okta_hook] (path, auth_header, auth_value or auth_value_file, max_events). Without the
 * section (no auth_value and none of the others set) the hook is disabled: an HR-only deployment
 * needs no Okta secret, and the path answers 404 JSON. Problems are reported to c; returns NULL
 * then. journal and rules are borrowed and must outlive the hook.
 */
struct okta_hook *okta_hook_from_config(struct config *c, struct journal *j, const struct rules *rules);
void okta_hook_free(struct okta_hook *h);
/* The URL path it is served at. */
const char *okta_hook_path(const struct okta_hook *h);
/* The request header that carries the shared secret ([okta_hook] auth_header). */
const char *okta_hook_header(const struct okta_hook *h);
/* 1 when the hook has its secret and takes deliveries, 0 when disabled (NULL too). */
int okta_hook_enabled(const struct okta_hook *h);
/* The route handler; arg is the okta_hook. */
void okta_hook_handle(struct http_req *r, void *arg);

#endif
