/* config.h: the INI configuration (libinih), checked against one schema, overridable by environment. */
#ifndef HOOKD_CONFIG_H
#define HOOKD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum cfg_type {
	CFG_STR,
	CFG_INT,
	CFG_SIZE,
	CFG_MS,
	CFG_BOOL,
	CFG_SECRET,
	CFG_LIST,
};

/*
 * One known key. section is a plain name ("server") or a kind followed by " *" for named
 * sections ("rule *" matches "[rule okta-created]"). A key ending in ".*" admits any key with
 * that prefix ("map.*"). CFG_SECRET keys K also admit K_file, whose content is the value.
 */
struct cfg_key {
	const char *section;
	const char *key;
	enum cfg_type type;
	const char *def;
	const char *doc;
	/*
	 * Range of an integer, size or duration key, in the key's own syntax ("1", "64 MiB", "10m");
	 * NULL: unbounded on that side. Checked when the config is loaded; shown by config-reference.
	 */
	const char *min, *max;
};

/* The schema: every key hookd knows, terminated by an all-NULL entry (core/config_schema.c). */
extern const struct cfg_key cfg_schema[];

struct config;

/*
 * Reads path (NULL: no file, defaults and environment only) and applies HOOKD_<SECTION>_<KEY>
 * environment overrides (a named section's name joins the section: HOOKD_RULE_OKTA_CREATED_DO).
 * Always returns a config (NULL only when out of memory); problems are collected, see
 * config_error_count. The caller frees with config_free.
 */
struct config *config_load(const char *path);
/* Parses INI text instead of a file; name is used in messages. Same contract as config_load. */
struct config *config_load_string(const char *text, const char *name);
void config_free(struct config *c);

/* Number of problems found so far, and their text: one "file:line: message" per line. */
size_t config_error_count(const struct config *c);
const char *config_errors(const struct config *c);
/*
 * Records a problem with a value, located at the line where section/name/key was set.
 * name is NULL for plain sections; key may be NULL to point at the section.
 */
void config_report(struct config *c, const char *section, const char *name, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Value of a key (or its schema default when unset); NULL when neither exists. name NULL for plain sections. */
const char *config_get(const struct config *c, const char *section, const char *name, const char *key);
/* 1 when the key was set in the file or environment, 0 when only defaulted. */
int config_is_set(const struct config *c, const char *section, const char *name, const char *key);
/*
 * Typed reads of config_get; on a bad value, or one outside the key's declared min/max (both
 * reported when the config was loaded), they return -1 leaving *out untouched.
 */
int config_int(struct config *c, const char *section, const char *name, const char *key, int64_t *out);
int config_size(struct config *c, const char *section, const char *name, const char *key, int64_t *out);
int config_ms(struct config *c, const char *section, const char *name, const char *key, int64_t *out);
int config_bool(struct config *c, const char *section, const char *name, const char *key, int *out);
/*
 * A secret from key or key_file (file content with one trailing newline removed). Returns 0 with
 * a malloc'd *out (caller frees, after wiping), 1 when neither is set (*out NULL), -1 on error
 * (reported). Secret values never appear in messages.
 */
int config_secret(struct config *c, const char *section, const char *name, const char *key, char **out);

/* Named sections of a kind, in file order: count, then the name of the idx-th. */
size_t config_section_count(const struct config *c, const char *kind);
const char *config_section_name(const struct config *c, const char *kind, size_t idx);
/* Keys of a section that start with prefix ("map."), in file order: count, then key and value. */
size_t config_prefixed_count(const struct config *c, const char *section, const char *name, const char *prefix);
int config_prefixed_at(const struct config *c, const char *section, const char *name, const char *prefix, size_t idx,
		       const char **key, const char **value);

/* Parses durations ("250ms", "30s", "5m", "2h", "1d", bare number = seconds) to milliseconds. */
int config_parse_ms(const char *s, int64_t *out);
/* Parses sizes ("1048576", "64k", "1M", "1MiB") to bytes. */
int config_parse_size(const char *s, int64_t *out);

/* Writes the schema as a Markdown table (for README's reference). */
void config_print_reference(void);

#endif
