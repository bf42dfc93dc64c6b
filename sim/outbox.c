/* outbox.c: recorded emails and the one-time activation / reset tokens they carry. */
#include "sim/outbox.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "sim/sim.h"

#define MAX_TOKENS 100000
#define MAX_MAIL 10000

struct token {
	char tok[24];
	char user_id[24];
	enum link_kind kind;
	long long expires_ms;
	long long used_ms;
	int revoked;
};

struct mail {
	long id;
	char *to, *user_id, *login, *url, *token;
	enum mail_kind kind;
	long long sent_ms;
};

struct outbox {
	struct token *tok;
	int ntok;
	struct mail *mail;
	int nmail;
	long next_mail_id;
};

static const char *const mail_names[] = { "activation", "reactivation", "reset" };

struct outbox *outbox_new(void)
{
	struct outbox *o = sim_xcalloc(1, sizeof(*o));
	o->next_mail_id = 1;
	return o;
}

static void mail_clear(struct mail *m)
{
	free(m->to);
	free(m->user_id);
	free(m->login);
	free(m->url);
	free(m->token);
}

void outbox_clear_mail(struct outbox *o)
{
	for (int i = 0; i < o->nmail; i++)
		mail_clear(&o->mail[i]);
	free(o->mail);
	o->mail = NULL;
	o->nmail = 0;
}

void outbox_reset(struct outbox *o)
{
	outbox_clear_mail(o);
	free(o->tok);
	o->tok = NULL;
	o->ntok = 0;
}

void outbox_free(struct outbox *o)
{
	if (!o)
		return;
	outbox_reset(o);
	free(o);
}

void outbox_tokens_revoke(struct outbox *o, const char *user_id)
{
	for (int i = 0; i < o->ntok; i++)
		if (strcmp(o->tok[i].user_id, user_id) == 0 && !o->tok[i].used_ms)
			o->tok[i].revoked = 1;
}

void outbox_token_issue(struct outbox *o, const char *user_id, enum link_kind kind, long long now_ms, long long ttl_ms,
			char tok[24])
{
	outbox_tokens_revoke(o, user_id);
	if (o->ntok == MAX_TOKENS) {
		memmove(o->tok, o->tok + 1, sizeof(o->tok[0]) * (size_t)(o->ntok - 1));
		o->ntok--;
	}
	o->tok = sim_xrealloc(o->tok, sizeof(o->tok[0]) * (size_t)(o->ntok + 1));
	struct token *t = &o->tok[o->ntok++];
	memset(t, 0, sizeof(*t));
	sim_random_alnum(t->tok, 20);
	snprintf(t->user_id, sizeof(t->user_id), "%s", user_id);
	t->kind = kind;
	t->expires_ms = now_ms + ttl_ms;
	memcpy(tok, t->tok, 21);
}

static struct token *token_find(struct outbox *o, const char *tok)
{
	if (strlen(tok) != 20)
		return NULL;
	for (int i = 0; i < o->ntok; i++)
		if (CRYPTO_memcmp(o->tok[i].tok, tok, 20) == 0)
			return &o->tok[i];
	return NULL;
}

enum token_check outbox_token_check(struct outbox *o, const char *tok, long long now_ms, char *user_id,
				    enum link_kind *kind)
{
	struct token *t = token_find(o, tok);
	if (!t)
		return TOKEN_UNKNOWN;
	if (t->used_ms)
		return TOKEN_USED;
	if (t->revoked)
		return TOKEN_REVOKED;
	if (now_ms >= t->expires_ms)
		return TOKEN_EXPIRED;
	snprintf(user_id, 24, "%s", t->user_id);
	*kind = t->kind;
	return TOKEN_OK;
}

void outbox_token_use(struct outbox *o, const char *tok, long long now_ms)
{
	struct token *t = token_find(o, tok);
	if (t)
		t->used_ms = now_ms;
}

const char *outbox_token_check_name(enum token_check c)
{
	switch (c) {
	case TOKEN_OK: return "ok";
	case TOKEN_UNKNOWN: return "unknown";
	case TOKEN_EXPIRED: return "expired";
	case TOKEN_USED: return "used";
	case TOKEN_REVOKED: return "revoked";
	}
	return "?";
}

void outbox_send(struct outbox *o, const char *to, enum mail_kind kind, const char *user_id, const char *login,
		 const char *url, long long now_ms)
{
	if (o->nmail == MAX_MAIL) {
		mail_clear(&o->mail[0]);
		memmove(o->mail, o->mail + 1, sizeof(o->mail[0]) * (size_t)(o->nmail - 1));
		o->nmail--;
	}
	o->mail = sim_xrealloc(o->mail, sizeof(o->mail[0]) * (size_t)(o->nmail + 1));
	struct mail *m = &o->mail[o->nmail++];
	m->id = o->next_mail_id++;
	m->to = to ? sim_strdup(to) : NULL;
	m->user_id = sim_strdup(user_id);
	m->login = sim_strdup(login);
	m->url = sim_strdup(url);
	const char *slash = strrchr(url, '/');
	/* .../tokens/<token>/verify or .../reset-password/<token> */
	if (slash && strcmp(slash, "/verify") == 0) {
		const char *p = slash;
		while (p > url && p[-1] != '/')
			p--;
		m->token = sim_strndup(p, (size_t)(slash - p));
	} else {
		m->token = sim_strdup(slash ? slash + 1 : url);
	}
	m->kind = kind;
	m->sent_ms = now_ms;
}

void outbox_to_json(struct outbox *o, struct jbuf *b)
{
	char t[40];
	jbuf_arr_open(b);
	for (int i = 0; i < o->nmail; i++) {
		const struct mail *m = &o->mail[i];
		jbuf_elem(b);
		jbuf_obj_open(b);
		jbuf_key_int(b, "id", m->id);
		jbuf_key_str(b, "to", m->to);
		jbuf_key_str(b, "kind", mail_names[m->kind]);
		jbuf_key_str(b, "user_id", m->user_id);
		jbuf_key_str(b, "login", m->login);
		jbuf_key_str(b, "url", m->url);
		jbuf_key_str(b, "token", m->token);
		clock_format_ms(m->sent_ms, t, sizeof(t));
		jbuf_key_str(b, "sent_at", t);
		jbuf_obj_close(b);
	}
	jbuf_arr_close(b);
}
