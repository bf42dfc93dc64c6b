/* users.h: the Okta Users API calls hookd makes (read, find, create STAGED, lifecycle, profile update). */
#ifndef HOOKD_OKTA_USERS_H
#define HOOKD_OKTA_USERS_H

#include <stddef.h>

#include "okta/client.h"

/* A user as hookd needs it. Strings are malloc'd (okta_user_free); absent fields are NULL. */
struct okta_user {
	char *id;
	char *status;	     /* STAGED, PROVISIONED, ACTIVE, RECOVERY, DEPROVISIONED, ... */
	char *transitioning; /* transitioningToStatus, or NULL */
	char *login;
	char *email;
	char *first_name;
	char *last_name;
	char *raw; /* the whole user object as JSON */
	size_t raw_len;
};
/* Frees the strings and zeroes u; NULL-safe. */
void okta_user_free(struct okta_user *u);

/* What activate / reactivate return; both fields are secrets-ish (never log them). NULL when absent. */
struct okta_activation {
	char *url;
	char *token;
};
void okta_activation_free(struct okta_activation *a);

/*
 * Every call returns 0 on success or -1 with e filled (see okta/error.h); outputs are filled only
 * on success and then owned by the caller. Ids and logins are URL-encoded here.
 */

/* getUser by id or login. Not found: -1 with okta_error_is_not_found(e). */
int okta_user_get(struct okta_client *c, const char *id_or_login, struct okta_user *out, struct okta_error *e);

/*
 * listUsers with filter=profile.login eq "<login>" (quotes and backslashes escaped, then
 * URL-encoded). Includes DEPROVISIONED users. When none matches: -1 with e->code "E0000007"
 * (kind LOCAL), so okta_error_is_not_found(e) holds.
 */
int okta_user_find_by_login(struct okta_client *c, const char *login, struct okta_user *out, struct okta_error *e);

/*
 * createUser: POST /api/v1/users?activate=<activate> with {"profile": profile_json,
 * "groupIds": [...]}. profile_json must be a JSON object (checked before sending). group_ids may
 * be NULL when ngroups is 0. hookd passes activate = 0 (the user starts STAGED). A login that
 * already exists: -1 with okta_error_is_duplicate_login(e).
 */
int okta_user_create(struct okta_client *c, const char *profile_json, const char *const *group_ids, size_t ngroups,
		     int activate, struct okta_user *out, struct okta_error *e);

/* activateUser ?sendEmail=true|false (always explicit). out may be NULL. STAGED/DEPROVISIONED -> PROVISIONED. */
int okta_user_activate(struct okta_client *c, const char *id, int send_email, struct okta_activation *out,
		       struct okta_error *e);

/* reactivateUser ?sendEmail=true|false (always explicit: Okta's default is false). out may be NULL. */
int okta_user_reactivate(struct okta_client *c, const char *id, int send_email, struct okta_activation *out,
			 struct okta_error *e);

/* deactivateUser ?sendEmail=true|false (hookd passes 0). Any status but DEPROVISIONED -> DEPROVISIONED. */
int okta_user_deactivate(struct okta_client *c, const char *id, int send_email, struct okta_error *e);

/*
 * updateUser: POST /api/v1/users/{id} with {"profile": partial_profile_json} (a partial update;
 * the body never carries status). out (may be NULL) receives the updated user.
 */
int okta_user_update_profile(struct okta_client *c, const char *id, const char *partial_profile_json,
			     struct okta_user *out, struct okta_error *e);

/* Fills out from one user object token of j (used by the calls above and by tests). */
struct json;
int okta_user_from_json(const struct json *j, int tok, struct okta_user *out);

/* The listUsers filter value for login (before URL encoding): profile.login eq "<escaped>". Malloc'd. */
char *okta_user_login_filter(const char *login);

#endif
