/* test_hr_map.c: the HR payload mapping (hooks/hr_map.c) and form decoding (hooks/hr_form.c). */
#include "check.h"
#include "core/config.h"
#include "core/jbuf.h"
#include "core/json.h"
#include "hooks/hr_form.h"
#include "hooks/hr_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char err[512];

/* Builds the mapping of [source NAME] from INI text; prints the config's problems when it fails. */
static struct hr_map *map_from(const char *ini, const char *name)
{
	struct config *c = config_load_string(ini, "test.ini");
	struct hr_map *m = c && config_error_count(c) == 0 ? hr_map_from_config(c, name) : NULL;
	if (!m && c)
		fprintf(stderr, "config: %s", config_errors(c));
	config_free(c);
	return m;
}

/* The config's problems for ini (or "" when it loads), into out. */
static void map_errors(const char *ini, char *out, size_t n)
{
	struct config *c = config_load_string(ini, "test.ini");
	struct hr_map *m = config_error_count(c) == 0 ? hr_map_from_config(c, "x") : NULL;
	snprintf(out, n, "%s", config_errors(c));
	hr_map_free(m);
	config_free(c);
}

static int slice_is(struct slice s, const char *want)
{
	return s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

/* BambooHR field-based webhooks: {"employees":[{"action","id","timestamp","changedFields","fields"}]}. */
static const char bamboo_ini[] = "[source bamboo]\n"
				 "events = /employees\n"
				 "map.type = /action\n"
				 "map.employee_id = /id\n"
				 "map.occurred_at = ?/timestamp\n"
				 "map.first_name = ?/fields/First Name\n"
				 "map.last_name = ?/fields/Last Name\n"
				 "map.email = ?/fields/Work Email\n"
				 "map.start_date = ?/fields/Hire Date\n"
				 "map.cost_center = ?/fields/Cost Center\n"
				 "map.department = ?/fields/Department\n"
				 "map.company = ?$/companyDomain\n"
				 "type_map.Created = employee.created\n"
				 "type_map.Updated = employee.updated\n"
				 "type_map.Deleted = employee.deleted\n";

#define BAMBOO_E0 \
	"{\"action\":\"Created\",\"changedFields\":[],\"fields\":{},\"id\":\"12345\",\"timestamp\":\"2026-01-31T18:42:00+0000\"}"
#define BAMBOO_E1                                                                                                          \
	"{\"action\":\"Updated\",\"changedFields\":[\"First Name\",\"Work Email\"],\"fields\":{\"First Name\":\"Bryony\"," \
	"\"Last Name\":\"Hale\",\"Work Email\":\"bryony.hale@example.com\",\"Hire Date\":\"2026-03-02\","                  \
	"\"Department\":\"R&D\",\"Cost Center\":\"CC-7\"},\"id\":\"12346\",\"timestamp\":\"2026-01-31T18:43:00+0000\"}"

static void test_bamboohr_field_based(void)
{
	struct hr_map *m = map_from(bamboo_ini, "bamboo");
	CHECK(m != NULL);
	const char body[] = "{\"companyDomain\":\"acme\",\"employees\":[" BAMBOO_E0 "," BAMBOO_E1 "]}";
	struct hr_batch *b = NULL;
	CHECK(hr_map_apply(m, "hr:bamboo", SLICE_LIT(body), "d-77", &b, err, sizeof(err)) == 0);
	size_t n;
	struct journal_event *ev = hr_batch_events(b, &n);
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(ev[0].source, "hr:bamboo");
		CHECK_STR(ev[0].type, "employee.created");
		CHECK_STR(ev[0].dedupe_key, "d-77#0");
		CHECK_STR(ev[0].delivery_id, "d-77");
		CHECK_STR(ev[0].subject_id, "12345");
		CHECK(ev[0].subject_login == NULL);
		CHECK(ev[0].subject_name == NULL);
		CHECK_STR(ev[0].occurred_at, "2026-01-31T18:42:00+0000");
		CHECK_STR(ev[0].subject_json, "{\"employee_id\":\"12345\",\"company\":\"acme\"}");
		CHECK(slice_is(ev[0].raw, BAMBOO_E0));
		CHECK_STR(ev[1].type, "employee.updated");
		CHECK_STR(ev[1].dedupe_key, "d-77#1");
		CHECK_STR(ev[1].subject_id, "12346");
		CHECK_STR(ev[1].subject_login, "bryony.hale@example.com");
		CHECK_STR(ev[1].subject_name, "Bryony Hale");
		CHECK_STR(ev[1].subject_json,
			  "{\"employee_id\":\"12346\",\"email\":\"bryony.hale@example.com\",\"first_name\":\"Bryony\","
			  "\"last_name\":\"Hale\",\"start_date\":\"2026-03-02\",\"department\":\"R&D\","
			  "\"cost_center\":\"CC-7\",\"company\":\"acme\"}");
		CHECK(slice_is(ev[1].raw, BAMBOO_E1));
		CHECK(ev[1].jobs == NULL && ev[1].njobs == 0);
	}
	hr_batch_free(b);

	/* An empty array is a delivery without events, not an error. */
	CHECK(hr_map_apply(m, "hr:bamboo", SLICE_LIT("{\"employees\":[]}"), "d-78", &b, err, sizeof(err)) == 0);
	hr_batch_events(b, &n);
	CHECK(n == 0);
	hr_batch_free(b);
	hr_map_free(m);
}

/* Standard Webhooks senders (Finch-like): one employee per delivery. */
static const char std_ini[] = "[source finch]\n"
			      "map.type = /event_type\n"
			      "map.employee_id = /data/individual_id\n"
			      "map.email = /data/emails/0/data\n"
			      "map.first_name = /data/first_name\n"
			      "map.last_name = /data/last_name\n"
			      "map.manager = ?/data/manager/id\n"
			      "map.end_date = ?/data/end_date\n"
			      "map.occurred_at = ?/created_at\n"
			      "type_map.employment.created = employee.created\n"
			      "type_map.ping = -\n";

static void test_standard_single_employee(void)
{
	struct hr_map *m = map_from(std_ini, "finch");
	CHECK(m != NULL);
	const char body[] =
		"{\"event_type\":\"employment.created\",\"created_at\":1700000000,\"data\":{"
		"\"individual_id\":\"e-42\",\"first_name\":\"Ren\\u00e9e \\\"Rae\\\"\",\"last_name\":\"O'Neil\","
		"\"emails\":[{\"data\":\"rae@example.com\",\"type\":\"work\"}],\"manager\":null,"
		"\"end_date\":null}}";
	struct hr_batch *b = NULL;
	CHECK(hr_map_apply(m, "hr:finch", SLICE_LIT(body), "msg_1", &b, err, sizeof(err)) == 0);
	size_t n;
	struct journal_event *ev = hr_batch_events(b, &n);
	CHECK(n == 1);
	if (n == 1) {
		CHECK_STR(ev[0].type, "employee.created");
		CHECK_STR(ev[0].dedupe_key, "msg_1");
		CHECK_STR(ev[0].delivery_id, "msg_1");
		CHECK_STR(ev[0].subject_id, "e-42");
		CHECK_STR(ev[0].subject_login, "rae@example.com");
		/* Escapes are undone in the fields and written back escaped in the JSON. */
		CHECK_STR(ev[0].subject_name, "Ren\xc3\xa9"
					      "e \"Rae\" O'Neil");
		CHECK_STR(ev[0].subject_json, "{\"employee_id\":\"e-42\",\"email\":\"rae@example.com\","
					      "\"first_name\":\"Ren\xc3\xa9"
					      "e \\\"Rae\\\"\",\"last_name\":\"O'Neil\"}");
		/* Unix seconds become RFC 3339. */
		CHECK_STR(ev[0].occurred_at, "2023-11-14T22:13:20.000Z");
		CHECK(slice_is(ev[0].raw, body));
	}
	hr_batch_free(b);

	/* A ping maps to "-": acknowledged, no event, no complaint about the missing employee. */
	CHECK(hr_map_apply(m, "hr:finch", SLICE_LIT("{\"event_type\":\"ping\"}"), "msg_2", &b, err, sizeof(err)) == 0);
	hr_batch_events(b, &n);
	CHECK(n == 0);
	hr_batch_free(b);

	/* A type without a type_map entry is kept as the source wrote it. */
	const char upd[] = "{\"event_type\":\"employment.updated\",\"data\":{\"individual_id\":\"e-42\","
			   "\"first_name\":\"A\",\"last_name\":\"B\",\"emails\":[{\"data\":\"a@example.com\"}]}}";
	CHECK(hr_map_apply(m, "hr:finch", SLICE_LIT(upd), "msg_3", &b, err, sizeof(err)) == 0);
	ev = hr_batch_events(b, &n);
	CHECK(n == 1 && strcmp(ev[0].type, "employment.updated") == 0);
	CHECK(n == 1 && ev[0].occurred_at == NULL);
	hr_batch_free(b);
	hr_map_free(m);
}

static void test_missing_fields(void)
{
	struct hr_map *m = map_from(std_ini, "finch");
	struct hr_batch *b = (struct hr_batch *)&b; /* must be reset to NULL on failure */
	const char no_email[] = "{\"event_type\":\"employment.created\",\"data\":{\"individual_id\":\"e-1\","
				"\"first_name\":\"A\",\"last_name\":\"B\",\"emails\":[]}}";
	CHECK(hr_map_apply(m, "hr:finch", SLICE_LIT(no_email), "msg", &b, err, sizeof(err)) < 0);
	CHECK_STR(err, "missing field map.email (/data/emails/0/data)");
	CHECK(b == NULL);
	const char no_id[] = "{\"event_type\":\"employment.created\",\"data\":{\"individual_id\":null}}";
	CHECK(hr_map_apply(m, "hr:finch", SLICE_LIT(no_id), "msg", &b, err, sizeof(err)) < 0);
	CHECK_STR(err, "missing field map.employee_id (/data/individual_id)");
	const char no_type[] = "{\"data\":{}}";
	CHECK(hr_map_apply(m, "hr:finch", SLICE_LIT(no_type), "msg", &b, err, sizeof(err)) < 0);
	CHECK_STR(err, "missing field map.type (/event_type)");
	const char obj_email[] = "{\"event_type\":\"x\",\"data\":{\"individual_id\":\"e\",\"first_name\":\"A\","
				 "\"last_name\":\"B\",\"emails\":[{\"data\":{\"v\":1}}]}}";
	CHECK(hr_map_apply(m, "hr:finch", SLICE_LIT(obj_email), "msg", &b, err, sizeof(err)) < 0);
	CHECK_STR(err, "map.email: /data/emails/0/data is an object or array, not a value");
	CHECK(hr_map_apply(m, "hr:finch", SLICE_LIT("{\"event_type\":"), "msg", &b, err, sizeof(err)) < 0);
	CHECK(strncmp(err, "body is not JSON: ", 18) == 0);
	CHECK(hr_map_apply(m, "hr:finch", SLICE_LIT(""), "msg", &b, err, sizeof(err)) < 0);
	CHECK_STR(err, "body is not JSON: empty document");
	hr_map_free(m);

	/* In an events array the error names the employee. */
	m = map_from("[source s]\nevents = /employees\nmap.type = =employee.updated\nmap.employee_id = /id\n"
		     "map.email = /email\n",
		     "s");
	const char two[] = "{\"employees\":[{\"id\":\"1\",\"email\":\"a@example.com\"},{\"id\":\"2\"}]}";
	CHECK(hr_map_apply(m, "hr:s", SLICE_LIT(two), "d", &b, err, sizeof(err)) < 0);
	CHECK_STR(err, "missing field map.email (/email) in employee 1 of /employees");
	CHECK(hr_map_apply(m, "hr:s", SLICE_LIT("{\"people\":[]}"), "d", &b, err, sizeof(err)) < 0);
	CHECK_STR(err, "missing events array /employees");
	CHECK(hr_map_apply(m, "hr:s", SLICE_LIT("{\"employees\":\"1\"}"), "d", &b, err, sizeof(err)) < 0);
	CHECK_STR(err, "events /employees is neither an array nor an object");
	/* A literal type needs nothing from the payload. */
	CHECK(hr_map_apply(m, "hr:s", SLICE_LIT("{\"employees\":[{\"id\":7,\"email\":\"x@example.com\"}]}"), "d", &b,
			   err, sizeof(err)) == 0);
	size_t n;
	struct journal_event *ev = hr_batch_events(b, &n);
	CHECK(n == 1 && strcmp(ev[0].type, "employee.updated") == 0 && strcmp(ev[0].subject_id, "7") == 0);
	hr_batch_free(b);
	hr_map_free(m);
}

static void test_max_events_and_delivery_id(void)
{
	struct hr_map *m = map_from("[source s]\nevents = /e\nmax_events = 2\nmap.type = /t\nmap.employee_id = /id\n"
				    "map.delivery_id = /delivery\n",
				    "s");
	CHECK(m != NULL);
	struct hr_batch *b = NULL;
	const char three[] =
		"{\"delivery\":\"D9\",\"e\":[{\"t\":\"a\",\"id\":\"1\"},{\"t\":\"a\",\"id\":\"2\"},{\"t\":\"a\",\"id\":\"3\"}]}";
	CHECK(hr_map_apply(m, "hr:s", SLICE_LIT(three), "hdr", &b, err, sizeof(err)) < 0);
	CHECK_STR(err, "more than 2 employees in /e (max_events)");
	/* map.delivery_id is read from the root and replaces the verifier's key. */
	const char two[] = "{\"delivery\":\"D9\",\"e\":[{\"t\":\"a\",\"id\":\"1\"},{\"t\":\"a\",\"id\":\"2\"}]}";
	CHECK(hr_map_apply(m, "hr:s", SLICE_LIT(two), "hdr", &b, err, sizeof(err)) == 0);
	size_t n;
	struct journal_event *ev = hr_batch_events(b, &n);
	CHECK(n == 2 && strcmp(ev[1].dedupe_key, "D9#1") == 0 && strcmp(ev[1].delivery_id, "D9") == 0);
	hr_batch_free(b);
	CHECK(hr_map_apply(m, "hr:s", SLICE_LIT("{\"e\":[]}"), "hdr", &b, err, sizeof(err)) < 0);
	CHECK_STR(err, "missing field map.delivery_id (/delivery)");
	hr_map_free(m);
}

static void test_form_bodies(void)
{
	/* GitHub's form mode: payload=<urlencoded JSON>. */
	struct hr_map *m = map_from("[source gh]\ncontent = form\nmap.type = /action\nmap.employee_id = /employee/id\n"
				    "map.login = /employee/login\n",
				    "gh");
	CHECK(m != NULL);
	const char form[] = "payload=%7B%22action%22%3A%22employee.created%22%2C%22employee%22%3A%7B%22id%22%3A%22"
			    "e+1%22%2C%22login%22%3A%22a%2Bb%40example.com%22%7D%7D";
	struct hr_batch *b = NULL;
	CHECK(hr_map_apply(m, "hr:gh", SLICE_LIT(form), "g1", &b, err, sizeof(err)) == 0);
	size_t n;
	struct journal_event *ev = hr_batch_events(b, &n);
	CHECK(n == 1);
	if (n == 1) {
		CHECK_STR(ev[0].type, "employee.created");
		CHECK_STR(ev[0].subject_id, "e 1");
		CHECK_STR(ev[0].subject_login, "a+b@example.com");
		CHECK(slice_is(
			ev[0].raw,
			"{\"action\":\"employee.created\",\"employee\":{\"id\":\"e 1\",\"login\":\"a+b@example.com\"}}"));
	}
	hr_batch_free(b);
	CHECK(hr_map_apply(m, "hr:gh", SLICE_LIT("payload=%7B%2"), "g2", &b, err, sizeof(err)) < 0);
	CHECK_STR(err, "form body has invalid percent-encoding, nests deeper than 16 or has more than 10000 fields");
	CHECK(hr_map_apply(m, "hr:gh", SLICE_LIT("payload=%7B"), "g2", &b, err, sizeof(err)) < 0);
	CHECK(strncmp(err, "body is not JSON: ", 18) == 0);
	hr_map_free(m);

	/* BambooHR's form format: employees[<id>][<field>]=value, the id only in the name. */
	m = map_from(
		"[source bamboo]\ncontent = form\nevents = /employees\nmap.type = /action\nmap.employee_id = @key\n"
		"map.first_name = ?/First Name\nmap.email = ?/Work Email\ntype_map.Created = employee.created\n",
		"bamboo");
	CHECK(m != NULL);
	const char bform[] = "employees[12345][action]=Created&employees[12345][changedFields][0]=First+Name&"
			     "employees[12345][First+Name]=John&employees[12345][Work%20Email]=john%40example.com&"
			     "employees[777][action]=Deleted";
	CHECK(hr_map_apply(m, "hr:bamboo", SLICE_LIT(bform), "b1", &b, err, sizeof(err)) == 0);
	ev = hr_batch_events(b, &n);
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(ev[0].type, "employee.created");
		CHECK_STR(ev[0].subject_id, "12345");
		CHECK_STR(ev[0].subject_login, "john@example.com");
		CHECK_STR(ev[0].subject_json,
			  "{\"employee_id\":\"12345\",\"email\":\"john@example.com\",\"first_name\":\"John\"}");
		CHECK(slice_is(ev[0].raw, "{\"action\":\"Created\",\"changedFields\":{\"0\":\"First Name\"},"
					  "\"First Name\":\"John\",\"Work Email\":\"john@example.com\"}"));
		CHECK_STR(ev[1].type, "Deleted");
		CHECK_STR(ev[1].subject_id, "777");
		CHECK_STR(ev[1].dedupe_key, "b1#1");
	}
	hr_batch_free(b);
	CHECK(hr_map_apply(m, "hr:bamboo", SLICE_LIT("employees[9][First+Name]=X"), "b2", &b, err, sizeof(err)) < 0);
	CHECK_STR(err, "missing field map.type (/action) in employee 9 of /employees");
	hr_map_free(m);
}

/* "f0=v0&f1=v1&...": n fields named <prefix><i><suffix> with value v<i>, then tail; malloc'd. */
static char *many_fields(const char *prefix, const char *suffix, int n, const char *tail)
{
	struct jbuf b;
	jbuf_init(&b);
	char one[64];
	for (int i = 0; i < n; i++) {
		snprintf(one, sizeof(one), "%s%s%d%s=v%d", i ? "&" : "", prefix, i, suffix, i);
		jbuf_puts(&b, one);
	}
	jbuf_puts(&b, tail);
	return jbuf_take(&b, NULL);
}

/* A large form (5000 siblings under one name, 5000 at the top) decodes whole, in body order. */
static void test_form_many_fields(void)
{
	struct jbuf j;
	struct json doc;
	jbuf_init(&j);
	char *body = many_fields("f", "", 5000, "&e[]=a&e[]=b");
	CHECK(body && strlen(body) < 1024 * 1024); /* within the default [server] max_body */
	CHECK(body && hr_form_to_json(slice_cstr(body), NULL, &j, err, sizeof(err)) == 0);
	CHECK(j.p && json_parse(&doc, j.p, j.n, 20000, err, sizeof(err)) == 0);
	CHECK(json_size(&doc, 0) == 5001);
	CHECK(slice_eq_cstr(json_raw(&doc, 1), "f0") && slice_eq_cstr(json_raw(&doc, 2), "v0"));
	CHECK(slice_eq_cstr(json_raw(&doc, json_get(&doc, 0, "f4999")), "v4999"));
	CHECK(slice_eq_cstr(json_raw(&doc, json_pointer(&doc, 0, "/e/1")), "b"));
	json_free(&doc);
	jbuf_free(&j);
	free(body);
	body = many_fields("x[", "]", 5000, "");
	CHECK(body && hr_form_to_json(slice_cstr(body), NULL, &j, err, sizeof(err)) == 0);
	CHECK(j.p && json_parse(&doc, j.p, j.n, 20000, err, sizeof(err)) == 0);
	CHECK(json_size(&doc, json_get(&doc, 0, "x")) == 5000);
	CHECK(slice_eq_cstr(json_raw(&doc, json_pointer(&doc, 0, "/x/4321")), "v4321"));
	json_free(&doc);
	jbuf_free(&j);
	free(body);
	/* A repeat far down the list is still found; one field past the limit is refused. */
	body = many_fields("f", "", 5000, "&f4321=again");
	CHECK(body && hr_form_to_json(slice_cstr(body), NULL, &j, err, sizeof(err)) < 0 && strstr(err, "twice"));
	jbuf_free(&j);
	free(body);
	body = many_fields("f", "", 10001, "");
	CHECK(body && hr_form_to_json(slice_cstr(body), NULL, &j, err, sizeof(err)) < 0 && strstr(err, "10000 fields"));
	jbuf_free(&j);
	free(body);
}

static void test_form_decoder(void)
{
	struct jbuf j;
	jbuf_init(&j);
	CHECK(hr_form_to_json(SLICE_LIT("a=1&b=x+y&c&d[]=p&d[]=q&e[k]=v&=skip&%41=%2b"), NULL, &j, err, sizeof(err)) ==
	      0);
	CHECK_STR(
		j.p,
		"{\"a\":\"1\",\"b\":\"x y\",\"c\":\"\",\"d\":{\"0\":\"p\",\"1\":\"q\"},\"e\":{\"k\":\"v\"},\"A\":\"+\"}");
	jbuf_free(&j);
	/* Two fields for one place are refused: a field named twice, a value and members under one name. */
	static const char *const twice[] = { "a=1&a=2", "a=1&%61=2", "e[k]=v&e=flat", "e=flat&e[k]=v", "p=1&p=2" };
	for (size_t i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
		CHECK(hr_form_to_json(slice_cstr(twice[i]), i == 4 ? "p" : NULL, &j, err, sizeof(err)) < 0);
		CHECK(strstr(err, "twice") != NULL);
		jbuf_free(&j);
	}
	/* %00 and bytes that are not UTF-8 are not text, in names and values alike. */
	static const char *const binary[] = { "a=x%00y", "a%00b=1", "a=%ff", "a=%c3", "a=%ed%a0%80", "p=%00" };
	for (size_t i = 0; i < sizeof(binary) / sizeof(binary[0]); i++) {
		CHECK(hr_form_to_json(slice_cstr(binary[i]), i == 5 ? "p" : NULL, &j, err, sizeof(err)) < 0);
		CHECK(strstr(err, "not text") != NULL);
		jbuf_free(&j);
	}
	CHECK(hr_form_to_json(SLICE_LIT("a=%c3%a9"), NULL, &j, err, sizeof(err)) == 0);
	CHECK_STR(j.p, "{\"a\":\"\xc3\xa9\"}");
	jbuf_free(&j);
	/* A name whose brackets do not close stays flat; quotes and controls are escaped. */
	CHECK(hr_form_to_json(SLICE_LIT("x[a=1&q=%22%0A"), "payload", &j, err, sizeof(err)) == 0);
	CHECK_STR(j.p, "{\"x[a\":\"1\",\"q\":\"\\\"\\n\"}");
	jbuf_free(&j);
	CHECK(hr_form_to_json(SLICE_LIT("a=%zz"), NULL, &j, err, sizeof(err)) < 0);
	jbuf_free(&j);
	CHECK(hr_form_to_json(SLICE_LIT("a[1][2][3][4][5][6][7][8][9][10][11][12][13][14][15][16]=deep"), NULL, &j, err,
			      sizeof(err)) < 0);
	jbuf_free(&j);
	char out[8];
	CHECK(hr_form_unescape(SLICE_LIT("%4"), out) == -1);
	CHECK(hr_form_unescape(SLICE_LIT("a%2Fb+"), out) == 4 && memcmp(out, "a/b ", 4) == 0);
}

static void test_config_errors(void)
{
	char e[2048];
	map_errors("[source x]\nmap.employee_id = /id\n", e, sizeof(e));
	CHECK(strstr(e, "map.type is required") != NULL);
	map_errors("[source x]\nmap.type = /t\n", e, sizeof(e));
	CHECK(strstr(e, "map.employee_id is required") != NULL);
	map_errors("[source x]\nmap.type = /t\nmap.employee_id = id\n", e, sizeof(e));
	CHECK(strstr(e, "test.ini:3: [source x] map.employee_id: 'id' is not a JSON pointer") != NULL);
	map_errors("[source x]\ncontent = xml\nmap.type = /t\nmap.employee_id = /id\n", e, sizeof(e));
	CHECK(strstr(e, "test.ini:2: [source x] content: 'xml' is not json or form") != NULL);
	map_errors("[source x]\nevents = employees\nmap.type = /t\nmap.employee_id = /id\n", e, sizeof(e));
	CHECK(strstr(e, "[source x] events: 'employees' is not a JSON pointer") != NULL);
	map_errors("[source x]\nmax_events = 0\nmap.type = /t\nmap.employee_id = /id\n", e, sizeof(e));
	CHECK(strstr(e, "[source x] max_events: must be at least 1") != NULL);
	map_errors("[source x]\nmap.type = /t\nmap.employee_id = /id\ntype_map.a =\n", e, sizeof(e));
	CHECK(strstr(e, "type_map.a: empty type") != NULL);
	map_errors("[source x]\nmap.type = /t\nmap.employee_id = /id\n", e, sizeof(e));
	CHECK_STR(e, "");
}

/* Maps body with m; returns hr_map_apply's result, err filled. */
static int apply(const struct hr_map *m, const char *body)
{
	struct hr_batch *b = NULL;
	err[0] = '\0';
	int rc = hr_map_apply(m, "hr:t", slice_cstr(body), "d1", &b, err, sizeof(err));
	hr_batch_free(b);
	return rc;
}

static void want_refused(const struct hr_map *m, const char *body, const char *want)
{
	CHECK(apply(m, body) == -1);
	if (!strstr(err, want))
		fprintf(stderr, "  for %s: err \"%s\", want \"%s\"\n", body, err, want);
	CHECK(strstr(err, want) != NULL);
}

/* Every field hookd reads is text: NUL, lone surrogates and bytes that are not UTF-8 get a 422 with the reason. */
static void test_text_is_refused_when_not_text(void)
{
	struct hr_map *m = map_from(bamboo_ini, "bamboo");
	CHECK(m != NULL);
	if (!m)
		return;
	want_refused(
		m,
		"{\"employees\":[{\"action\":\"Created\",\"id\":\"1\",\"fields\":{\"Work Email\":\"ceo@example.com\\u0000@evil.example\"}}]}",
		"map.email: /fields/Work Email contains U+0000 (NUL) in employee 0 of /employees");
	want_refused(m, "{\"employees\":[{\"action\":\"Created\",\"id\":\"X\\u0000one\"}]}",
		     "map.employee_id: /id contains U+0000");
	want_refused(m,
		     "{\"employees\":[{\"action\":\"Created\",\"id\":\"1\",\"fields\":{\"First Name\":\"\\ud800\"}}]}",
		     "map.first_name: /fields/First Name contains a lone UTF-16 surrogate");
	want_refused(m, "{\"employees\":[{\"action\":\"Cre\\udfffated\",\"id\":\"1\"}]}",
		     "map.type: /action contains a lone");
	want_refused(m, "{\"employees\":[{\"action\":\"Created\",\"id\":\"1\",\"fields\":{\"Last Name\":\"\xff\"}}]}",
		     "body is not JSON: invalid UTF-8");
	want_refused(m, "{\"employees\":[{\"action\":\"Created\",\"id\":\"1\",\"fields\":{\"Last Name\":\"a\nb\"}}]}",
		     "body is not JSON: control character in a string");
	/* An optional field that is not text is refused too, not left out. */
	want_refused(m, "{\"companyDomain\":\"\\u0000\",\"employees\":[{\"action\":\"Created\",\"id\":\"1\"}]}",
		     "map.company: /companyDomain contains U+0000");
	hr_map_free(m);
	struct hr_map *k = map_from("[source k]\nevents = /e\nmap.type = =t\nmap.employee_id = @key\n", "k");
	CHECK(k != NULL);
	if (k) {
		want_refused(k, "{\"e\":{\"a\\u0000b\":{}}}", "map.employee_id: the member name contains U+0000");
		/* The same employee twice in an events object. */
		want_refused(k, "{\"e\":{\"7\":{},\"\\u0037\":{}}}", "events /e names an employee twice");
		CHECK(apply(k, "{\"e\":{\"7\":{},\"8\":{}}}") == 0);
		hr_map_free(k);
	}
}

/* A field hookd reads that appears twice in one object, anywhere on its pointer's path, is refused. */
static void test_duplicate_keys_are_refused(void)
{
	struct hr_map *m = map_from(bamboo_ini, "bamboo");
	CHECK(m != NULL);
	if (!m)
		return;
	want_refused(m, "{\"employees\":[{\"action\":\"Created\",\"id\":\"1\",\"id\":\"2\"}]}",
		     "map.employee_id: /id names a key that appears twice in one object");
	want_refused(
		m,
		"{\"employees\":[{\"action\":\"Created\",\"id\":\"1\",\"fields\":{\"Work Email\":\"a@x\",\"Work Email\":\"b@x\"}}]}",
		"map.email: /fields/Work Email names a key that appears twice");
	want_refused(
		m,
		"{\"employees\":[{\"action\":\"Created\",\"id\":\"1\",\"fields\":{},\"fields\":{\"Work Email\":\"b@x\"}}]}",
		"map.first_name: /fields/First Name names a key that appears twice");
	want_refused(m, "{\"employees\":[],\"employees\":[{\"action\":\"Created\",\"id\":\"1\"}]}",
		     "events /employees names a key that appears twice");
	/* Keys hookd does not read may repeat. */
	CHECK(apply(m,
		    "{\"employees\":[{\"action\":\"Created\",\"id\":\"1\",\"changedFields\":[],\"changedFields\":[]}]}") ==
	      0);
	hr_map_free(m);
}

int main(void)
{
	test_bamboohr_field_based();
	test_standard_single_employee();
	test_missing_fields();
	test_max_events_and_delivery_id();
	test_form_bodies();
	test_form_decoder();
	test_form_many_fields();
	test_config_errors();
	test_text_is_refused_when_not_text();
	test_duplicate_keys_are_refused();
	return check_report("test_hr_map");
}
