/* hr_hook.h: the HR webhook endpoint HR_PATH_PREFIX<source>: verify, map, journal, answer. */
#ifndef HOOKD_HR_HOOK_H
#define HOOKD_HR_HOOK_H

#include "hooks/http.h"

struct hr_sources;
struct journal;
struct rules;
struct hr_hook;

/*
 * The handler's state: one intake (and metric handles) per source, made here. sources, journal and
 * rules are borrowed and must outlive the hook. NULL when out of memory.
 */
struct hr_hook *hr_hook_new(const struct hr_sources *sources, struct journal *j, const struct rules *rules);
/* NULL-safe. */
void hr_hook_free(struct hr_hook *h);

/* The route handler for the prefix HR_PATH_PREFIX (hooks/hr_source.h); arg is the hr_hook. */
void hr_hook_handle(struct http_req *r, void *arg);

#endif
