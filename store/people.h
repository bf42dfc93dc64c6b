/* people.h: the onboarding view: one row per person hookd followed an activation for, from the journal. */
#ifndef HOOKD_STORE_PEOPLE_H
#define HOOKD_STORE_PEOPLE_H

#include <stddef.h>
#include <stdint.h>

struct journal;

/* One person as the latest activation record says (handlers/activation.c writes them). Strings owned. */
struct person {
	char *user_id, *login, *origin, *okta_status, *via, *reason;
	char *state; /* "pending", "stuck", "active", "finished", "undeliverable" */
	int resends;
	int64_t sent_ms;	   /* when the current activation link went out; 0: unknown */
	int64_t next_follow_up_ms; /* 0: none scheduled */
	int64_t updated_ms;	   /* when the record was written */
	char *last_error;	   /* the latest dead or failed job of this person, or NULL */
};

struct people_query {
	const char *state;	 /* NULL: any */
	const char *okta_status; /* NULL: any */
	const char *login;	 /* NULL: any; else that login or Okta user id only */
	int limit;		 /* 0: every person */
	int with_errors;	 /* fill last_error (one job query per person) */
	int stuck_first;	 /* stuck people before the others (each part newest first), before limit cuts */
};

/*
 * Lists people, most recently updated first (stuck ones first with q->stuck_first): the newest "activation.*" record of each Okta user
 * (source "hookd" events), filtered by q, with the last error of their jobs. Works on both
 * backends through journal_list_events/journal_list_jobs. *rows is malloc'd (journal_people_free).
 * Returns 0, or -1 with err filled.
 */
int journal_list_people(struct journal *j, const struct people_query *q, struct person **rows, size_t *n, char *err,
			size_t errlen);
void journal_people_free(struct person *rows, size_t n);

#endif
