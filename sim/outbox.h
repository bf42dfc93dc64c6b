/* outbox.h: the emails Okta would have sent, and the one-time activation / reset links in them. */
#ifndef OKTA_SIM_OUTBOX_H
#define OKTA_SIM_OUTBOX_H

#include "core/jbuf.h"

enum link_kind {
	LINK_ACTIVATION,
	LINK_RESET,
};
enum mail_kind {
	MAIL_ACTIVATION,
	MAIL_REACTIVATION,
	MAIL_RESET,
};
enum token_check {
	TOKEN_OK,
	TOKEN_UNKNOWN,
	TOKEN_EXPIRED,
	TOKEN_USED,
	TOKEN_REVOKED,
};

struct outbox;

/* All calls: the caller holds sim->mu. */
struct outbox *outbox_new(void);
void outbox_free(struct outbox *o);
/* Forgets every email and token. */
void outbox_reset(struct outbox *o);
/* Forgets the emails only (tokens keep working). */
void outbox_clear_mail(struct outbox *o);

/*
 * Issues a one-time token (20 alphanumerics into tok) for user_id that expires ttl_ms after
 * now_ms; every older token of that user stops working (TOKEN_REVOKED).
 */
void outbox_token_issue(struct outbox *o, const char *user_id, enum link_kind kind, long long now_ms, long long ttl_ms,
			char tok[24]);
/* Revokes every live token of user_id (deactivation). */
void outbox_tokens_revoke(struct outbox *o, const char *user_id);
/* Looks tok up without using it; TOKEN_OK fills user_id (24 bytes) and kind. */
enum token_check outbox_token_check(struct outbox *o, const char *tok, long long now_ms, char *user_id,
				    enum link_kind *kind);
/* Marks tok used (after a successful click). */
void outbox_token_use(struct outbox *o, const char *tok, long long now_ms);
/* "unknown", "expired", "used", "revoked" for the JSON error code. */
const char *outbox_token_check_name(enum token_check c);

/* Records one email (to may be NULL when the user has no email). */
void outbox_send(struct outbox *o, const char *to, enum mail_kind kind, const char *user_id, const char *login,
		 const char *url, long long now_ms);
/* The emails as a JSON array of {id, to, kind, user_id, login, url, token, sent_at}, oldest first. */
void outbox_to_json(struct outbox *o, struct jbuf *b);

#endif
