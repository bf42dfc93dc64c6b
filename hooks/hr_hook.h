/* hr_hook.h: the HR webhook endpoint /hooks/hr/<source>: verify, map, journal, answer. */
#ifndef HOOKD_HR_HOOK_H
#define HOOKD_HR_HOOK_H

#include "hooks/http.h"

struct hr_sources;
struct journal;
struct rules;

/* What the route handler needs; every member is borrowed and must outlive the server. */
struct hr_hook {
	const struct hr_sources *sources;
	struct journal *journal;
	const struct rules *rules;
};

/* The route handler for the prefix "/hooks/hr/"; arg is a struct hr_hook. */
void hr_hook_handle(struct http_req *r, void *arg);

#endif
