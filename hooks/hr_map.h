/* hr_map.h: turns an HR delivery's JSON (or form) body into normalized journal events per a config mapping. */
#ifndef HOOKD_HR_MAP_H
#define HOOKD_HR_MAP_H

#include <stddef.h>

#include "core/slice.h"
#include "store/journal.h"

struct config;
struct hr_map;
struct hr_batch;

/*
 * Reads the mapping keys of [source name] (content, form_field, events, max_events, map.*,
 * type_map.*). Every problem is reported with config_report; returns NULL when there was one.
 * The mapping copies what it needs: c may be freed afterwards. Free with hr_map_free.
 *
 * Value syntax of map.<field>:
 *   /a/b       JSON pointer (RFC 6901) from the employee element (from the root when no events)
 *   $/a/b      JSON pointer from the delivery's root, also inside an events array
 *   =text      the literal text
 *   @key       the element's member name when events names an object ({"12345": {...}}), or its
 *              index in an events array
 *   ?...       any of the above, optional: absent or null leaves the field out instead of failing
 * events names an array (each element one employee) or an object (each member value one employee).
 * map.type and map.employee_id are required keys. map.type, map.occurred_at and map.delivery_id
 * (always from the root) describe the event; every other map.X becomes profile field X.
 */
struct hr_map *hr_map_from_config(struct config *c, const char *name);
void hr_map_free(struct hr_map *m);

/*
 * Maps one verified delivery. source is the events' source ("hr:<name>", borrowed: it must outlive
 * the batch); delivery_id is the verifier's dedupe key (used when map.delivery_id is not set).
 * On success *out holds zero or more events (zero when every element's type maps to "-") that
 * fill struct journal_event (jobs left empty, for the rules to fill); the batch owns every byte
 * the events point to, body included (it is copied). On failure returns -1 with err naming the
 * field or the part of the body that could not be read (for a 422 and a rejected journal row).
 */
int hr_map_apply(const struct hr_map *m, const char *source, struct slice body, const char *delivery_id,
		 struct hr_batch **out, char *err, size_t errlen);

/* The batch's events (mutable, so the caller may attach jobs) and their count. */
struct journal_event *hr_batch_events(struct hr_batch *b, size_t *n);
/* Frees the batch and everything its events point to. NULL-safe. */
void hr_batch_free(struct hr_batch *b);

#endif
