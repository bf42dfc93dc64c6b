/* landing_hook.h: the /activate/<opaque> landing page of scanner-safe activation links. */
#ifndef HOOKD_LANDING_HOOK_H
#define HOOKD_LANDING_HOOK_H

#include "hooks/http.h"

#define LANDING_PATH_PREFIX "/activate/"

struct activation_opts;
struct landing_hook;

/* The page's handler state (a copy of the link key); NULL when [activation] landing is off. */
struct landing_hook *landing_hook_new(const struct activation_opts *o);
/* Cleanses the key; NULL-safe. */
void landing_hook_free(struct landing_hook *h);

/*
 * GET (or HEAD) answers a small page with one button and touches nothing: a mail scanner that
 * opens the link uses up no Okta token. Only the POST of that page answers 303 to Okta's
 * activationUrl. A malformed or forged link is 400, an expired one 410, each with a page (JSON
 * when the client asks for it). The token is never logged.
 */
void landing_hook_handle(struct http_req *r, void *arg);

#endif
