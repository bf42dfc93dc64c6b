/* schema.h: the org's default user schema (base properties from the spec, custom ones added through the API). */
#ifndef OKTA_SIM_SCHEMA_H
#define OKTA_SIM_SCHEMA_H

#include <stddef.h>

struct schema;
struct http_req;

struct schema *schema_new(void);
void schema_free(struct schema *s);
/* Forgets the custom properties; caller holds sim->mu. */
void schema_reset(struct schema *s);

/* GET and POST /api/v1/meta/schemas/user/{schemaId} (getUserSchema, updateUserProfile); take sim->mu. */
void schema_get(struct http_req *r);
void schema_update(struct http_req *r);

/*
 * Checks one profile attribute (key, value as JSON text) against the schema: the property must
 * exist (base or custom), the value must have its type (or be null where allowed) and fit its
 * length limits. Returns 0, or -1 with Okta's errorCauses text in cause. Caller holds sim->mu.
 */
int schema_check_attr(const struct schema *s, const char *key, const char *json, char *cause, size_t n);

/* Base properties the spec marks nullable: a user without them shows them as null. i from 0 up; NULL ends. */
const char *schema_nullable_base(int i);

#endif
