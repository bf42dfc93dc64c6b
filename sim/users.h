/* users.h: the org's users and their lifecycle (createUser, getUser, listUsers, updateUser, lifecycle ops). */
#ifndef OKTA_SIM_USERS_H
#define OKTA_SIM_USERS_H

#include "core/jbuf.h"

struct users;
struct http_req;

struct users *users_new(void);
void users_free(struct users *u);
/* Forgets every user; caller holds sim->mu. */
void users_reset(struct users *u);

/* Route handlers for /api/v1/users...; each takes sim->mu itself. */
void users_list(struct http_req *r);
void users_create(struct http_req *r);
void users_get(struct http_req *r);
void users_update(struct http_req *r);	/* POST: partial profile update */
void users_replace(struct http_req *r); /* PUT: the profile is replaced */
void users_activate(struct http_req *r);
void users_reactivate(struct http_req *r);
void users_deactivate(struct http_req *r);
void users_reset_password(struct http_req *r);
void users_delete(struct http_req *r); /* DELETE: deactivate first, delete when DEPROVISIONED */

/* /sim/groups: GET lists the group ids that exist, POST {"id"?} adds one (201 {"id"}). Take sim->mu. */
void users_groups_get(struct http_req *r);
void users_groups_add(struct http_req *r);

/*
 * The person opened one-time link tok (POST /sim/activate/<tok>, GET /tokens/<tok>/verify):
 * a PROVISIONED or RECOVERY user sets a password and becomes ACTIVE. Answers the request:
 * 200 {user_id, login, status}, 404/410 for unknown, used, superseded or expired tokens, 409 when
 * the user's status no longer allows it. Takes sim->mu itself.
 */
void users_click(struct http_req *r, const char *tok);
/* POST /sim/email/bounce {"address", "reason"}: system.email.delivery FAILURE for that address's user. */
void users_bounce(struct http_req *r);
/* GET /sim/users: every user (DEPROVISIONED included) as Okta JSON. Takes sim->mu itself. */
void users_sim_list(struct http_req *r);

#endif
