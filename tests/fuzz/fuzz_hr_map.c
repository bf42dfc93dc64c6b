/* fuzz_hr_map.c: libFuzzer target for the HR payload mapper (JSON and form bodies). */
#include "core/config.h"
#include "core/utf8.h"
#include "hooks/hr_map.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Three mappings: a JSON events array, a form body with bracketed names, one JSON employee. */
static const char ini[] =
	"[source arr]\nevents = /employees\nmax_events = 50\nmap.type = /action\n"
	"map.employee_id = /id\nmap.occurred_at = ?/timestamp\nmap.first_name = ?/fields/First Name\n"
	"map.last_name = ?/fields/Last Name\nmap.email = ?/fields/Work Email\nmap.company = ?$/company\n"
	"map.delivery_id = ?/delivery\ntype_map.Created = employee.created\ntype_map.ping = -\n"
	"[source form]\ncontent = form\nevents = /employees\nmap.type = /action\nmap.employee_id = @key\n"
	"map.email = ?/Work Email\n"
	"[source one]\nmap.type = /event_type\nmap.employee_id = /data/id\nmap.login = ?/data/emails/0\n"
	"map.start_date = ?/data/start_date\nmap.level = =L1\n";

static struct hr_map *maps[3];

static void setup(void)
{
	static const char *const names[] = { "arr", "form", "one" };
	struct config *c = config_load_string(ini, "fuzz.ini");
	for (int i = 0; i < 3; i++)
		if (!c || !(maps[i] = hr_map_from_config(c, names[i])))
			abort();
	config_free(c);
}

/* Input: one byte choosing the mapping, then the body. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!maps[0])
		setup();
	if (size < 1)
		return 0;
	const struct hr_map *m = maps[data[0] % 3];
	char *body = malloc(size - 1 ? size - 1 : 1);
	if (!body)
		abort();
	memcpy(body, data + 1, size - 1);
	struct hr_batch *b = NULL;
	char err[256];
	if (hr_map_apply(m, "hr:fuzz", (struct slice){ body, size - 1 }, "delivery-1", &b, err, sizeof(err)) == 0) {
		size_t n;
		struct journal_event *ev = hr_batch_events(b, &n);
		for (size_t i = 0; i < n; i++) {
			/* What the mapper hands the journal is text. */
			const char *f[] = { ev[i].dedupe_key,	ev[i].type,	     ev[i].subject_id,
					    ev[i].subject_json, ev[i].subject_login, ev[i].subject_name,
					    ev[i].occurred_at };
			for (size_t t = 0; t < sizeof(f) / sizeof(f[0]); t++)
				if (f[t] && !utf8_valid(f[t], strlen(f[t])))
					abort();
			volatile size_t k = strlen(ev[i].dedupe_key) + strlen(ev[i].type) + strlen(ev[i].subject_id) +
					    strlen(ev[i].subject_json) + ev[i].raw.n +
					    (ev[i].subject_login ? strlen(ev[i].subject_login) : 0) +
					    (ev[i].subject_name ? strlen(ev[i].subject_name) : 0);
			(void)k;
		}
	}
	hr_batch_free(b);
	free(body);
	return 0;
}
