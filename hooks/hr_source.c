/* hr_source.c: an HR webhook source from its [source NAME] section: scheme, secrets, headers, mapping. */
#include "hooks/hr_source.h"

#include "hooks/allowlist.h"
#include "hooks/intake.h"
#include "hooks/sig.h"
#include "core/config.h"
#include "core/str.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SECTION "source"

enum scheme {
	SCHEME_STANDARD,
	SCHEME_HMAC,
	SCHEME_STRIPE,
	SCHEME_HEADER_SECRET,
	SCHEME_BASIC,
};

/* Per scheme: its name, its header defaults and the scheme keys it accepts. */
static const struct scheme_info {
	const char *name;
	const char *sig_header, *ts_header, *id_header;
	const char *keys; /* space-separated scheme keys that apply */
} schemes[] = {
	[SCHEME_STANDARD] = { "standard-webhooks", "webhook-signature", "webhook-timestamp", "webhook-id",
			      "signature_header timestamp_header id_header tolerance" },
	[SCHEME_HMAC] = { "hmac", NULL, NULL, NULL,
			  "signature_header timestamp_header id_header tolerance algorithm encoding prefix signed" },
	[SCHEME_STRIPE] = { "stripe", "Stripe-Signature", NULL, NULL, "signature_header id_header tolerance" },
	[SCHEME_HEADER_SECRET] = { "header-secret", NULL, NULL, NULL, "signature_header id_header prefix" },
	[SCHEME_BASIC] = { "basic", "Authorization", NULL, NULL, "signature_header id_header username" },
};

static const char *const scheme_keys[] = {
	"signature_header", "timestamp_header", "id_header", "tolerance", "algorithm",
	"encoding",	    "prefix",		"signed",    "username",  NULL
};

struct hr_source {
	char *name, *label, *path;
	enum scheme scheme;
	unsigned char *key[2];
	size_t keylen[2];
	int nkeys;
	char *sig_header, *ts_header, *id_header, *prefix, *tmpl, *username;
	enum sig_alg alg;
	enum sig_enc enc;
	int64_t tolerance_s;
	struct hr_map *map;
	int store_raw;		 /* enum intake_store_raw */
	struct allowlist *allow; /* [source NAME] allow; NULL: every address */
};

const char *hr_header_list(void *ctx, const char *name)
{
	for (const struct hr_header *h = ctx; h && h->name; h++)
		if (strcasecmp(h->name, name) == 0)
			return h->value;
	return NULL;
}

/* ---- config ---- */

static int read_scheme(struct config *c, const char *name, struct hr_source *s)
{
	const char *v = config_get(c, SECTION, name, "scheme");
	if (!v) {
		config_report(c, SECTION, name, NULL,
			      "scheme is required: standard-webhooks, hmac, stripe, header-secret or basic");
		return -1;
	}
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strcmp(v, schemes[i].name) == 0) {
			s->scheme = (enum scheme)i;
			return 0;
		}
	}
	config_report(c, SECTION, name, "scheme", "'%s' is not standard-webhooks, hmac, stripe, header-secret or basic",
		      v);
	return -1;
}

/* Reports scheme keys that were set but mean nothing to this scheme. */
static int check_keys_apply(struct config *c, const char *name, const struct hr_source *s)
{
	const char *allowed = schemes[s->scheme].keys;
	int bad = 0;
	for (int i = 0; scheme_keys[i]; i++) {
		const char *k = scheme_keys[i], *hit = strstr(allowed, k);
		size_t n = strlen(k);
		int ok = hit && (hit == allowed || hit[-1] == ' ') && (hit[n] == ' ' || hit[n] == '\0');
		if (!ok && config_is_set(c, SECTION, name, k)) {
			config_report(c, SECTION, name, k, "does not apply to scheme %s", schemes[s->scheme].name);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/* Stores one secret as key bytes: Standard Webhooks keys are base64-decoded, others used as written. */
static int store_key(struct config *c, const char *name, const char *key, struct hr_source *s, char *secret)
{
	int i = s->nkeys;
	if (s->scheme == SCHEME_STANDARD) {
		unsigned char buf[SIG_MAX_KEY];
		int n = sig_standard_key(secret, buf);
		if (n < 0) {
			config_report(c, SECTION, name, key, "is not a Standard Webhooks key (whsec_<base64>)");
			return -1;
		}
		s->key[i] = malloc((size_t)n);
		if (s->key[i])
			memcpy(s->key[i], buf, (size_t)n);
		s->keylen[i] = (size_t)n;
		OPENSSL_cleanse(buf, sizeof(buf));
	} else {
		s->keylen[i] = strlen(secret);
		s->key[i] = (unsigned char *)strdup(secret);
	}
	if (!s->key[i])
		return -1;
	s->nkeys++;
	return 0;
}

static int read_secrets(struct config *c, const char *name, struct hr_source *s)
{
	static const char *const keys[] = { "secret", "secret_next" };
	int bad = 0;
	for (int k = 0; k < 2; k++) {
		char *v = NULL;
		int rc = config_secret(c, SECTION, name, keys[k], &v);
		if (rc == 1 && k == 0) {
			config_report(c, SECTION, name, NULL, "secret (or secret_file) is required");
			bad = 1;
		} else if (rc < 0) {
			bad = 1;
		} else if (rc == 0 && store_key(c, name, keys[k], s, v) < 0) {
			bad = 1;
		}
		if (v) {
			OPENSSL_cleanse(v, strlen(v));
			free(v);
		}
	}
	return bad ? -1 : 0;
}

static int read_headers(struct config *c, const char *name, struct hr_source *s)
{
	const struct scheme_info *si = &schemes[s->scheme];
	const char *sig = config_get(c, SECTION, name, "signature_header");
	const char *ts = config_get(c, SECTION, name, "timestamp_header");
	const char *id = config_get(c, SECTION, name, "id_header");
	s->sig_header = str_dup(sig ? sig : si->sig_header);
	s->ts_header = str_dup(ts ? ts : si->ts_header);
	s->id_header = str_dup(id ? id : si->id_header);
	if (!s->sig_header) {
		config_report(c, SECTION, name, NULL, "signature_header is required for scheme %s", si->name);
		return -1;
	}
	return 0;
}

static int read_alg_enc(struct config *c, const char *name, struct hr_source *s)
{
	static const char *const encs[] = { "hex", "base64", "base64url" };
	const char *alg = config_get(c, SECTION, name, "algorithm");
	const char *enc = config_get(c, SECTION, name, "encoding");
	int bad = 0;
	if (strcmp(alg, "sha256") == 0 || strcmp(alg, "sha512") == 0) {
		s->alg = strcmp(alg, "sha512") == 0 ? SIG_SHA512 : SIG_SHA256;
	} else {
		config_report(c, SECTION, name, "algorithm", "'%s' is not sha256 or sha512", alg);
		bad = 1;
	}
	int found = 0;
	for (int i = 0; i < 3; i++)
		if (strcmp(enc, encs[i]) == 0) {
			s->enc = (enum sig_enc)i;
			found = 1;
		}
	if (!found) {
		config_report(c, SECTION, name, "encoding", "'%s' is not hex, base64 or base64url", enc);
		bad = 1;
	}
	return bad ? -1 : 0;
}

static int read_options(struct config *c, const char *name, struct hr_source *s)
{
	int64_t ms;
	int bad = 0;
	if (config_ms(c, SECTION, name, "tolerance", &ms) < 0 || ms < 1000) {
		config_report(c, SECTION, name, "tolerance", "must be at least 1s");
		bad = 1;
	}
	s->tolerance_s = ms / 1000;
	s->prefix = str_dup(config_get(c, SECTION, name, "prefix"));
	s->tmpl = str_dup(config_get(c, SECTION, name, "signed"));
	s->username = str_dup(config_get(c, SECTION, name, "username"));
	if (s->scheme == SCHEME_HMAC) {
		char err[160];
		bad |= read_alg_enc(c, name, s) < 0;
		if (sig_template_check(s->tmpl, s->ts_header != NULL, s->id_header != NULL, err, sizeof(err)) < 0) {
			config_report(c, SECTION, name, "signed", "%s", err);
			bad = 1;
		}
	}
	if (s->scheme == SCHEME_BASIC && (!s->username || !*s->username || strchr(s->username, ':'))) {
		config_report(c, SECTION, name, "username", "basic needs a username without ':'");
		bad = 1;
	}
	return bad ? -1 : 0;
}

static int set_names(struct hr_source *s, const char *name)
{
	size_t label_n = strlen("hr:") + strlen(name) + 1, path_n = strlen(HR_PATH_PREFIX) + strlen(name) + 1;
	s->name = strdup(name);
	s->label = malloc(label_n);
	s->path = malloc(path_n);
	if (!s->name || !s->label || !s->path)
		return -1;
	snprintf(s->label, label_n, "hr:%s", name);
	snprintf(s->path, path_n, HR_PATH_PREFIX "%s", name);
	return 0;
}

struct hr_source *hr_source_from_config(struct config *c, const char *name)
{
	struct hr_source *s = calloc(1, sizeof(*s));
	if (!s || set_names(s, name) < 0) {
		hr_source_free(s);
		return NULL;
	}
	int bad = read_scheme(c, name, s) < 0;
	if (!bad) {
		bad |= check_keys_apply(c, name, s) < 0;
		bad |= read_secrets(c, name, s) < 0;
		bad |= read_headers(c, name, s) < 0;
		bad |= read_options(c, name, s) < 0;
	}
	const char *sr = config_get(c, "source", name, "store_raw");
	if ((s->store_raw = intake_store_raw_parse(sr)) < 0) {
		config_report(c, "source", name, "store_raw", "'%s' is not full, mapped or none", sr);
		bad = 1;
	}
	bad |= allowlist_from_config(c, SECTION, name, &s->allow) < 0;
	s->map = hr_map_from_config(c, name);
	if (bad || !s->map) {
		hr_source_free(s);
		return NULL;
	}
	return s;
}

int hr_source_store_raw(const struct hr_source *s)
{
	return s->store_raw;
}

void hr_source_free(struct hr_source *s)
{
	if (!s)
		return;
	for (int i = 0; i < 2; i++) {
		if (s->key[i])
			OPENSSL_cleanse(s->key[i], s->keylen[i]);
		free(s->key[i]);
	}
	free(s->name);
	free(s->label);
	free(s->path);
	free(s->sig_header);
	free(s->ts_header);
	free(s->id_header);
	free(s->prefix);
	free(s->tmpl);
	free(s->username);
	hr_map_free(s->map);
	allowlist_free(s->allow);
	free(s);
}

const char *hr_source_name(const struct hr_source *s)
{
	return s->name;
}

const char *hr_source_label(const struct hr_source *s)
{
	return s->label;
}

int hr_source_admits(const struct hr_source *s, const char *addr)
{
	return allowlist_admits(s->allow, addr);
}

const char *hr_source_path(const struct hr_source *s)
{
	return s->path;
}

/* ---- verifying ---- */

static struct sig_header header(const struct hr_request *req, const char *name)
{
	return (struct sig_header){ name, name ? req->header(req->ctx, name) : NULL };
}

static int verify_scheme(const struct hr_source *s, const struct hr_request *req, int64_t now_s, char *reason,
			 size_t reason_len)
{
	struct sig_keys keys = { .n = s->nkeys };
	for (int i = 0; i < s->nkeys; i++)
		keys.key[i] = (struct slice){ (const char *)s->key[i], s->keylen[i] };
	struct sig_header sig = header(req, s->sig_header);
	switch (s->scheme) {
	case SCHEME_STANDARD: {
		struct sig_standard in = {
			&keys,	       header(req, s->id_header), header(req, s->ts_header), sig, req->body, now_s,
			s->tolerance_s
		};
		return sig_verify_standard(&in, reason, reason_len);
	}
	case SCHEME_HMAC: {
		struct sig_hmac in = { &keys,
				       s->alg,
				       s->enc,
				       s->prefix,
				       s->tmpl,
				       req->method ? req->method : "",
				       sig,
				       header(req, s->ts_header),
				       header(req, s->id_header),
				       req->body,
				       now_s,
				       s->tolerance_s };
		return sig_verify_hmac(&in, reason, reason_len);
	}
	case SCHEME_STRIPE: {
		struct sig_stripe in = { &keys, sig, req->body, now_s, s->tolerance_s };
		return sig_verify_stripe(&in, reason, reason_len);
	}
	case SCHEME_HEADER_SECRET: return sig_verify_header_secret(&keys, &sig, s->prefix, reason, reason_len);
	case SCHEME_BASIC: return sig_verify_basic(&keys, s->username, &sig, reason, reason_len);
	}
	return sig_fail(reason, reason_len, "unknown scheme");
}

/*
 * An id taken as the key as it is: printable, bounded, and outside the keys hookd makes from it:
 * "~rejected:<key>" for a rejected delivery, "<key>#<index>" for each element of an events array.
 */
static int printable_id(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > HR_DEDUPE_MAX - 1 || id[0] == '~' || strchr(id, '#'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e)
			return 0;
	return 1;
}

static void dedupe_key_of(const struct hr_source *s, const struct hr_request *req, char *dk, size_t dk_len)
{
	const char *id = s->id_header ? req->header(req->ctx, s->id_header) : NULL;
	char hex[65];
	if (id && printable_id(id)) {
		snprintf(dk, dk_len, "%s", id);
		return;
	}
	sig_sha256_hex(id && *id ? slice_cstr(id) : req->body, hex);
	/*
	 * No delivery id: the body alone would make a later, genuine resend of the same content (a
	 * second termination after a rehire) a duplicate, and it would be lost. With a signed timestamp
	 * it is a new delivery; a sender's retry then may be journaled twice, which is harmless (every
	 * action reads Okta's state first), and a replay of the same signed request still dedupes.
	 */
	const char *ts = !(id && *id) && s->ts_header ? req->header(req->ctx, s->ts_header) : NULL;
	if (ts && *ts && strlen(ts) < 64) {
		char both[64 + 1 + 65];
		int n = snprintf(both, sizeof(both), "%s\n%s", ts, hex);
		sig_sha256_hex((struct slice){ both, (size_t)n }, hex);
	}
	snprintf(dk, dk_len, "%s", hex);
}

int hr_source_verify(const struct hr_source *s, const struct hr_request *req, int64_t now_s, char *dedupe_key,
		     size_t dk_len, char *reason, size_t reason_len)
{
	if (dk_len < HR_DEDUPE_MAX)
		return sig_fail(reason, reason_len, "dedupe key buffer too small");
	if (verify_scheme(s, req, now_s, reason, reason_len) < 0)
		return -1;
	dedupe_key_of(s, req, dedupe_key, dk_len);
	return 0;
}

int hr_source_map(const struct hr_source *s, struct slice body, const char *delivery_id, struct hr_batch **out,
		  char *err, size_t errlen)
{
	return hr_map_apply(s->map, s->label, body, delivery_id, out, err, errlen);
}

/* ---- every source of a config ---- */

struct hr_sources {
	struct hr_source **s;
	size_t n;
};

struct hr_sources *hr_sources_from_config(struct config *c)
{
	size_t n = config_section_count(c, SECTION);
	struct hr_sources *set = calloc(1, sizeof(*set));
	if (!set || !(set->s = calloc(n ? n : 1, sizeof(*set->s)))) {
		free(set);
		return NULL;
	}
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		set->s[set->n] = hr_source_from_config(c, config_section_name(c, SECTION, i));
		if (set->s[set->n])
			set->n++;
		else
			bad = 1; /* keep going: every section's problems get reported */
	}
	if (bad) {
		hr_sources_free(set);
		return NULL;
	}
	return set;
}

void hr_sources_free(struct hr_sources *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		hr_source_free(set->s[i]);
	free(set->s);
	free(set);
}

size_t hr_sources_count(const struct hr_sources *set)
{
	return set ? set->n : 0;
}

const struct hr_source *hr_sources_at(const struct hr_sources *set, size_t i)
{
	return set && i < set->n ? set->s[i] : NULL;
}

const struct hr_source *hr_sources_find(const struct hr_sources *set, const char *name)
{
	for (size_t i = 0; set && i < set->n; i++)
		if (strcmp(set->s[i]->name, name) == 0)
			return set->s[i];
	return NULL;
}
