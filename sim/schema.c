/* schema.c: the default user schema: Okta's base properties, custom properties added by POST, profile checks. */
#include "sim/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/jbuf.h"
#include "core/json.h"
#include "core/utf8.h"
#include "sim/http.h"
#include "sim/sim.h"

#define CUSTOM_MAX 256
#define NAME_MAX_LEN 64
#define TEXT_MAX 1024
#define KEY_RAW(b, key, lit) jbuf_key_raw((b), (key), (lit), sizeof(lit) - 1)
/* JSON tokens in a stored string array attribute value. */
#define ARRAY_MAX_TOKENS 4096
/* JSON tokens in an updateUserProfile body. */
#define UPDATE_MAX_TOKENS 16384

/* Base properties of Okta's default user profile (UserProfile / UserSchemaBaseProperties in the spec). */
static const struct base_prop {
	const char *name, *title;
	int min_len, max_len; /* -1: none */
	int required, nullable;
	const char *format;
} base[] = {
	{ "login", "Username", 5, 100, 1, 0, NULL },
	{ "firstName", "First name", 1, 50, 1, 1, NULL },
	{ "lastName", "Last name", 1, 50, 1, 1, NULL },
	{ "middleName", "Middle name", -1, -1, 0, 1, NULL },
	{ "honorificPrefix", "Honorific prefix", -1, -1, 0, 1, NULL },
	{ "honorificSuffix", "Honorific suffix", -1, -1, 0, 1, NULL },
	{ "email", "Primary email", 5, 100, 1, 0, "email" },
	{ "title", "Title", -1, -1, 0, 1, NULL },
	{ "displayName", "Display name", -1, -1, 0, 1, NULL },
	{ "nickName", "Nickname", -1, -1, 0, 1, NULL },
	{ "profileUrl", "Profile Url", -1, -1, 0, 1, "uri" },
	{ "secondEmail", "Secondary email", -1, 100, 0, 1, "email" },
	{ "mobilePhone", "Mobile phone", 0, 100, 0, 1, NULL },
	{ "primaryPhone", "Primary phone", 0, 100, 0, 1, NULL },
	{ "streetAddress", "Street address", -1, 1024, 0, 1, NULL },
	{ "city", "City", -1, 128, 0, 1, NULL },
	{ "state", "State", -1, 128, 0, 1, NULL },
	{ "zipCode", "Zip code", -1, 50, 0, 1, NULL },
	{ "postalAddress", "Postal Address", -1, 4096, 0, 1, NULL },
	{ "countryCode", "Country code", -1, 2, 0, 1, "country-code" },
	{ "preferredLanguage", "Preferred language", -1, -1, 0, 1, NULL },
	{ "locale", "Locale", -1, -1, 0, 0, "locale" },
	{ "timezone", "Time zone", -1, -1, 0, 1, NULL },
	{ "userType", "User type", -1, -1, 0, 1, NULL },
	{ "employeeNumber", "Employee number", -1, -1, 0, 0, NULL },
	{ "costCenter", "Cost center", -1, -1, 0, 1, NULL },
	{ "organization", "Organization", -1, -1, 0, 1, NULL },
	{ "division", "Division", -1, -1, 0, 1, NULL },
	{ "department", "Department", -1, -1, 0, 0, NULL },
	{ "managerId", "ManagerId", -1, -1, 0, 1, NULL },
	{ "manager", "Manager", -1, -1, 0, 1, NULL },
};
#define NBASE ((int)(sizeof(base) / sizeof(base[0])))

/* UserSchemaAttributeType; arrays hold strings. */
enum attr_type {
	T_STRING,
	T_BOOLEAN,
	T_NUMBER,
	T_INTEGER,
	T_ARRAY,
	T_N,
};
static const char *const types[T_N] = { "string", "boolean", "number", "integer", "array" };

struct custom_prop {
	char name[NAME_MAX_LEN + 1];
	char *title, *description;
	enum attr_type type;
	int min_len, max_len, required;
};

struct schema {
	struct custom_prop v[CUSTOM_MAX];
	int n;
	long long created_ms, updated_ms;
};

struct schema *schema_new(void)
{
	return sim_xcalloc(1, sizeof(struct schema));
}

void schema_reset(struct schema *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->v[i].title);
		free(s->v[i].description);
	}
	s->n = 0;
	s->created_ms = s->updated_ms = 0;
}

void schema_free(struct schema *s)
{
	if (!s)
		return;
	schema_reset(s);
	free(s);
}

const char *schema_nullable_base(int i)
{
	int seen = 0;
	for (int k = 0; k < NBASE; k++)
		if (base[k].nullable && seen++ == i)
			return base[k].name;
	return NULL;
}

static const struct base_prop *base_find(const char *name)
{
	for (int i = 0; i < NBASE; i++)
		if (strcmp(base[i].name, name) == 0)
			return &base[i];
	return NULL;
}

static int custom_index(const struct schema *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return i;
	return -1;
}

/* ---- checking values ---- */

/* Characters (UTF-8 code points) in s[0..n). */
static long utf8_chars(const char *s, size_t n)
{
	long c = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

/* s is the JSON text of a string (with its quotes): its length in characters, -1 when not valid. */
static long string_chars(const char *s)
{
	size_t n = strlen(s);
	char *buf = sim_xcalloc(1, n + 1);
	long chars = json_unescape(s + 1, n - 2, buf) < 0 ? -1 : utf8_chars(buf, strlen(buf));
	free(buf);
	return chars;
}

static int check_length(const char *key, const char *json, int min_len, int max_len, char *cause, size_t n)
{
	long chars = string_chars(json);
	if (chars < 0) {
		snprintf(cause, n, "%s: The value is not a valid string", key);
		return -1;
	}
	if (max_len >= 0 && chars > max_len) {
		snprintf(cause, n, "%s: The field cannot exceed %d characters", key, max_len);
		return -1;
	}
	if (min_len > 0 && chars < min_len) {
		snprintf(cause, n, "%s: The field must have at least %d characters", key, min_len);
		return -1;
	}
	return 0;
}

/* 1 when an array holds only strings. */
static int string_array(const char *json)
{
	struct json j;
	if (json_parse(&j, json, strlen(json), ARRAY_MAX_TOKENS, NULL, 0) < 0)
		return 0;
	int ok = json_is_array(&j, 0);
	for (int i = 0; ok && i < json_size(&j, 0); i++)
		ok = json_is_string(&j, json_at(&j, 0, i));
	json_free(&j);
	return ok;
}

/* json is one stored JSON value (as profile_merge keeps it), so its first byte tells its kind. */
static int has_type(const char *json, enum attr_type type)
{
	char c = json[0];
	int number = c == '-' || (c >= '0' && c <= '9');
	switch (type) {
	case T_STRING: return c == '"' && strlen(json) >= 2;
	case T_BOOLEAN: return strcmp(json, "true") == 0 || strcmp(json, "false") == 0;
	case T_NUMBER: return number;
	case T_INTEGER: return number && !strpbrk(json, ".eE");
	default: return c == '[' && string_array(json);
	}
}

static int check_value(const char *key, const char *json, enum attr_type type, int min_len, int max_len, char *cause,
		       size_t n)
{
	if (!has_type(json, type)) {
		snprintf(cause, n, "%s: The value must be of type %s", key, types[type]);
		return -1;
	}
	return type == T_STRING ? check_length(key, json, min_len, max_len, cause, n) : 0;
}

int schema_check_attr(const struct schema *s, const char *key, const char *json, char *cause, size_t n)
{
	const struct base_prop *b = base_find(key);
	int ci = b ? -1 : custom_index(s, key);
	const struct custom_prop *c = ci >= 0 ? &s->v[ci] : NULL;
	if (!b && !c) {
		/* Cut key so the whole cause fits n: snprintf's own cut could split one of its characters. */
		size_t fixed = sizeof("Property name '' is not defined in profile"), room = n > fixed ? n - fixed : 0;
		room = room < 200 ? room : 200;
		snprintf(cause, n, "Property name '%.*s' is not defined in profile", utf8_prefix(key, room), key);
		return -1;
	}
	if (strcmp(json, "null") == 0) {
		if ((b && b->required) || (c && c->required)) {
			snprintf(cause, n, "%s: The field cannot be left blank", key);
			return -1;
		}
		return 0;
	}
	if (b)
		return check_value(key, json, T_STRING, b->min_len, b->max_len, cause, n);
	return check_value(key, json, c->type, c->min_len, c->max_len, cause, n);
}

/* ---- the schema as JSON (UserSchema) ---- */

static void permissions_json(struct jbuf *b)
{
	KEY_RAW(b, "permissions", "[{\"principal\":\"SELF\",\"action\":\"READ_WRITE\"}]");
}

/* The members every property shares after its own, and the closing brace. */
static void prop_tail_json(struct jbuf *b, int min_len, int max_len)
{
	if (min_len >= 0)
		jbuf_key_int(b, "minLength", min_len);
	if (max_len >= 0)
		jbuf_key_int(b, "maxLength", max_len);
	jbuf_key_str(b, "mutability", "READ_WRITE");
	jbuf_key_str(b, "scope", "NONE");
	permissions_json(b);
	KEY_RAW(b, "master", "{\"type\":\"PROFILE_MASTER\"}");
	jbuf_obj_close(b);
}

static void base_prop_json(struct jbuf *b, const struct base_prop *p)
{
	jbuf_key(b, p->name);
	jbuf_obj_open(b);
	jbuf_key_str(b, "title", p->title);
	jbuf_key_str(b, "type", "string");
	if (p->required)
		jbuf_key_bool(b, "required", 1);
	if (p->format)
		jbuf_key_str(b, "format", p->format);
	prop_tail_json(b, p->min_len, p->max_len);
}

static void custom_prop_json(struct jbuf *b, const struct custom_prop *p)
{
	jbuf_key(b, p->name);
	jbuf_obj_open(b);
	jbuf_key_str(b, "title", p->title);
	if (p->description)
		jbuf_key_str(b, "description", p->description);
	jbuf_key_str(b, "type", types[p->type]);
	if (p->type == T_ARRAY)
		KEY_RAW(b, "items", "{\"type\":\"string\"}");
	jbuf_key_bool(b, "required", p->required);
	prop_tail_json(b, p->min_len, p->max_len);
}

static void required_json(struct jbuf *b, int custom, const struct schema *s)
{
	jbuf_key(b, "required");
	jbuf_arr_open(b);
	for (int i = 0; !custom && i < NBASE; i++)
		if (base[i].required) {
			jbuf_elem(b);
			jbuf_str(b, base[i].name);
		}
	for (int i = 0; custom && i < s->n; i++)
		if (s->v[i].required) {
			jbuf_elem(b);
			jbuf_str(b, s->v[i].name);
		}
	jbuf_arr_close(b);
}

static void definitions_json(struct jbuf *b, const struct schema *s)
{
	jbuf_key(b, "definitions");
	jbuf_obj_open(b);
	jbuf_key(b, "base");
	jbuf_obj_open(b);
	jbuf_key_str(b, "id", "#base");
	jbuf_key_str(b, "type", "object");
	jbuf_key(b, "properties");
	jbuf_obj_open(b);
	for (int i = 0; i < NBASE; i++)
		base_prop_json(b, &base[i]);
	jbuf_obj_close(b);
	required_json(b, 0, s);
	jbuf_obj_close(b);
	jbuf_key(b, "custom");
	jbuf_obj_open(b);
	jbuf_key_str(b, "id", "#custom");
	jbuf_key_str(b, "type", "object");
	jbuf_key(b, "properties");
	jbuf_obj_open(b);
	for (int i = 0; i < s->n; i++)
		custom_prop_json(b, &s->v[i]);
	jbuf_obj_close(b);
	required_json(b, 1, s);
	jbuf_obj_close(b);
	jbuf_obj_close(b);
}

static void schema_json(struct jbuf *b, const struct schema *s, const char *base_url, long long now)
{
	char t[40], id[400];
	snprintf(id, sizeof(id), "%s/meta/schemas/user/default", base_url);
	jbuf_obj_open(b);
	jbuf_key_str(b, "id", id);
	jbuf_key_str(b, "$schema", "http://json-schema.org/draft-04/schema#");
	jbuf_key_str(b, "name", "user");
	jbuf_key_str(b, "title", "Default Okta User");
	jbuf_key_str(b, "description", "Okta user profile template with default permission settings");
	clock_format_ms(s->created_ms ? s->created_ms : now, t, sizeof(t));
	jbuf_key_str(b, "created", t);
	clock_format_ms(s->updated_ms ? s->updated_ms : now, t, sizeof(t));
	jbuf_key_str(b, "lastUpdated", t);
	definitions_json(b, s);
	jbuf_key_str(b, "type", "object");
	KEY_RAW(b, "properties",
		"{\"profile\":{\"allOf\":[{\"$ref\":\"#/definitions/custom\"},{\"$ref\":\"#/definitions/base\"}]}}");
	jbuf_key(b, "_links");
	jbuf_obj_open(b);
	snprintf(id, sizeof(id), "%s/api/v1/meta/schemas/user/default", base_url);
	jbuf_key(b, "self");
	jbuf_obj_open(b);
	jbuf_key_str(b, "href", id);
	jbuf_key_str(b, "method", "GET");
	jbuf_obj_close(b);
	jbuf_obj_close(b);
	jbuf_obj_close(b);
}

static void reply_schema(struct http_req *r)
{
	struct jbuf b;
	jbuf_init(&b);
	schema_json(&b, r->sim->schema, r->sim->base_url, sim_now_ms(r->sim));
	http_reply_jbuf(r, 200, &b);
}

/* The org has one user type; its schema answers to "default" (and to its own id, as in Okta). */
static int schema_known(struct http_req *r)
{
	if (strcmp(r->seg[5], "default") == 0 || strcmp(r->seg[5], r->sim->user_type_id) == 0)
		return 1;
	char msg[400];
	snprintf(msg, sizeof(msg), "Not found: Resource not found: %.*s (UserSchema)", utf8_prefix(r->seg[5], 300),
		 r->seg[5]);
	http_okta_error(r, 404, "E0000007", msg, NULL);
	return 0;
}

void schema_get(struct http_req *r)
{
	if (!schema_known(r))
		return;
	pthread_mutex_lock(&r->sim->mu);
	reply_schema(r);
	pthread_mutex_unlock(&r->sim->mu);
}

/* ---- updateUserProfile ---- */

static int valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > NAME_MAX_LEN || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_'))
			return 0;
	return 1;
}

static int len_member(const struct json *j, int obj, const char *key, int *out)
{
	int t = json_get(j, obj, key);
	int64_t v;
	*out = -1;
	if (t < 0 || json_is_null(j, t))
		return 0;
	if (json_is_string(j, t) || json_int(j, t, &v) < 0 || v < 0 || v > 1000000)
		return -1;
	*out = (int)v;
	return 0;
}

/* One property definition into p; NULL when fine, else the cause. */
static const char *read_prop(const struct json *j, int def, struct custom_prop *p)
{
	int title = json_get(j, def, "title"), type = json_get(j, def, "type"), req = json_get(j, def, "required");
	int desc = json_get(j, def, "description");
	if (!json_is_object(j, def))
		return "The property definition must be an object";
	if (!json_is_string(j, title) || json_raw(j, title).n == 0 || json_raw(j, title).n > TEXT_MAX)
		return "The property needs a title";
	p->type = T_N;
	for (int i = 0; i < T_N; i++)
		if (json_str_eq(j, type, types[i]))
			p->type = (enum attr_type)i;
	if (p->type == T_N)
		return "The type must be one of string, boolean, number, integer, array";
	if (len_member(j, def, "minLength", &p->min_len) < 0 || len_member(j, def, "maxLength", &p->max_len) < 0 ||
	    (p->min_len >= 0 && p->max_len >= 0 && p->min_len > p->max_len))
		return "minLength and maxLength must be integers with minLength <= maxLength";
	if (desc >= 0 && !json_is_null(j, desc) && (!json_is_string(j, desc) || json_raw(j, desc).n > TEXT_MAX))
		return "The description must be a string";
	p->required = slice_eq_cstr(json_raw(j, req), "true");
	p->title = json_strdup(j, title);
	p->description = json_is_string(j, desc) ? json_strdup(j, desc) : NULL;
	return NULL;
}

static void custom_remove(struct schema *s, const char *name)
{
	int i = custom_index(s, name);
	if (i < 0)
		return;
	struct custom_prop *p = &s->v[i];
	free(p->title);
	free(p->description);
	*p = s->v[--s->n];
	memset(&s->v[s->n], 0, sizeof(s->v[0]));
}

/* Applies definitions.custom.properties to a copy; -1 with the field and cause when any is refused. */
static int apply_custom(struct schema *s, const struct json *j, int props, char *field, size_t fn, char *cause,
			size_t cn)
{
	int k = props + 1;
	for (int m = 0; m < json_size(j, props); m++, k = json_next(j, k + 1)) {
		char *name = json_strdup(j, k);
		const char *why = NULL;
		struct custom_prop p = { 0 };
		if (!name || !valid_name(name))
			why = "Invalid property name. Property name should only have alphanumeric characters and "
			      "underscores. It should not start with a digit.";
		else if (base_find(name))
			why = "A base property cannot be redefined in the custom schema";
		else if (json_is_null(j, k + 1))
			custom_remove(s, name);
		else if (!(why = read_prop(j, k + 1, &p))) {
			custom_remove(s, name);
			if (s->n == CUSTOM_MAX) {
				why = "The schema holds at most 256 custom properties";
				free(p.title);
				free(p.description);
			} else {
				snprintf(p.name, sizeof(p.name), "%s", name);
				s->v[s->n++] = p;
			}
		}
		if (why) {
			const char *what = name ? name : "property";
			snprintf(field, fn, "%.*s", utf8_prefix(what, 64), what);
			snprintf(cause, cn, "%.*s: %s", utf8_prefix(what, 64), what, why);
			free(name);
			return -1;
		}
		free(name);
	}
	return 0;
}

static void copy_schema(struct schema *dst, const struct schema *src)
{
	*dst = *src;
	for (int i = 0; i < src->n; i++) {
		dst->v[i].title = sim_strdup(src->v[i].title);
		dst->v[i].description = src->v[i].description ? sim_strdup(src->v[i].description) : NULL;
	}
}

void schema_update(struct http_req *r)
{
	struct sim *s = r->sim;
	struct json j;
	char err[128], field[80] = "", cause[300] = "", summary[120];
	if (!schema_known(r))
		return;
	if (json_parse(&j, r->body ? r->body : "", r->body_len, UPDATE_MAX_TOKENS, err, sizeof(err)) < 0 ||
	    !json_is_object(&j, 0)) {
		json_free(&j);
		http_okta_error(r, 400, "E0000003", "The request body was not well-formed.", err);
		return;
	}
	int props = json_pointer(&j, 0, "/definitions/custom/properties");
	int bad = props >= 0 && !json_is_object(&j, props);
	struct schema *next = sim_xcalloc(1, sizeof(*next));
	pthread_mutex_lock(&s->mu);
	copy_schema(next, s->schema);
	if (bad)
		snprintf(cause, sizeof(cause), "definitions.custom.properties: must be an object");
	if (bad || (props >= 0 && apply_custom(next, &j, props, field, sizeof(field), cause, sizeof(cause)) < 0)) {
		snprintf(summary, sizeof(summary), "Api validation failed: %s", field[0] ? field : "definitions");
		http_okta_error(r, 400, "E0000001", summary, cause);
		schema_free(next);
	} else {
		long long now = sim_now_ms(s);
		next->created_ms = s->schema->created_ms ? s->schema->created_ms : now;
		next->updated_ms = now;
		schema_free(s->schema);
		s->schema = next;
		reply_schema(r);
	}
	pthread_mutex_unlock(&s->mu);
	json_free(&j);
}
