/* hr_source.h: one configured HR webhook source ([source NAME], served at /hooks/hr/NAME): verify, then map. */
#ifndef HOOKD_HR_SOURCE_H
#define HOOKD_HR_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "core/slice.h"
#include "hooks/hr_map.h"

struct config;
struct hr_source;

/* What a verifier sees of a request. header() returns a header's value or NULL; names are
 * matched case-insensitively (civetweb's mg_get_header does; see hr_header_list for tests). */
struct hr_request {
	const char *method;
	struct slice body;
	const char *(*header)(void *ctx, const char *name);
	void *ctx;
};

/* A header list terminated by a NULL name, and a header() over it that ignores case. */
struct hr_header {
	const char *name;
	const char *value;
};
const char *hr_header_list(void *ctx, const char *name);

/* Room a dedupe key needs (a delivery id of up to 128 printable bytes, or 64 hex digits) with its NUL. */
#define HR_DEDUPE_MAX 129

/*
 * Builds the source [source name]: its scheme (scheme, secret[_file], secret_next[_file],
 * signature_header, timestamp_header, id_header, algorithm, encoding, prefix, signed, tolerance,
 * username) and its mapping (see hr_map.h). Every problem is reported with config_report and the
 * result is NULL when there was one. Secrets are copied (and wiped on free): c may be freed after.
 */
struct hr_source *hr_source_from_config(struct config *c, const char *name);
/* Frees the source, wiping its secrets. NULL-safe. */
void hr_source_free(struct hr_source *s);

/* Where HR sources are served: HR_PATH_PREFIX "<name>" (the server's prefix route). */
#define HR_PATH_PREFIX "/hooks/hr/"

/* The section name, "hr:<name>" (the events' source) and "/hooks/hr/<name>" (its route). */
const char *hr_source_name(const struct hr_source *s);
const char *hr_source_label(const struct hr_source *s);
const char *hr_source_path(const struct hr_source *s);
/* 1 when [source NAME] allow admits the client address addr (text), or is unset; else 0. */
int hr_source_admits(const struct hr_source *s, const char *addr);
/* [source NAME] store_raw as an enum intake_store_raw (hooks/intake.h). */
int hr_source_store_raw(const struct hr_source *s);

/*
 * Checks that req comes from the sender: 0 when authentic, -1 otherwise with reason naming the
 * failed check (never a secret or an expected signature). now_s is the clock (unix seconds).
 * On success dedupe_key (dk_len >= HR_DEDUPE_MAX) holds the delivery id where the scheme has one
 * (webhook-id, or id_header when configured and present; an id longer than 128 bytes, with
 * unprintable bytes, starting with '~' or holding a '#' (the keys hookd derives from an id) is
 * replaced by its SHA-256 hex),
 * else the SHA-256 hex of the body, folded with the signed timestamp when the scheme has a
 * timestamp header (docs/hr-sources.md says why).
 * Thread-safe: a source is read-only after hr_source_from_config.
 */
int hr_source_verify(const struct hr_source *s, const struct hr_request *req, int64_t now_s, char *dedupe_key,
		     size_t dk_len, char *reason, size_t reason_len);

/*
 * Maps a verified body into events with source hr_source_label(s); see hr_map_apply. delivery_id
 * is the dedupe key hr_source_verify gave.
 */
int hr_source_map(const struct hr_source *s, struct slice body, const char *delivery_id, struct hr_batch **out,
		  char *err, size_t errlen);

/* All [source *] sections of a config. */
struct hr_sources;
/*
 * Builds every [source *] section; NULL when any of them has a problem (each reported). A config
 * without sources gives an empty set. Free with hr_sources_free.
 */
struct hr_sources *hr_sources_from_config(struct config *c);
void hr_sources_free(struct hr_sources *set);
size_t hr_sources_count(const struct hr_sources *set);
const struct hr_source *hr_sources_at(const struct hr_sources *set, size_t i);
/* The source whose name is name (the part of the path after HR_PATH_PREFIX), or NULL. */
const struct hr_source *hr_sources_find(const struct hr_sources *set, const char *name);

#endif
