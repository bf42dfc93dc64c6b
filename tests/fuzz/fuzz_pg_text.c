/* fuzz_pg_text.c: libFuzzer target for the PostgreSQL text cleaner (pg_text_fix_event). */
#include "core/log.h"
#include "store/pg_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: the raw bytes of an event, and (up to the first NUL) every text field and a job's params.
 * Property: a cleaned event needs no second cleaning, and the caller's event is never changed.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_set_level(LOG_ERROR);
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	struct job_spec job = { .action = "send_activation", .rule = text, .subject = "00u1", .params = text };
	struct journal_event e = { .source = "okta",
				   .dedupe_key = text,
				   .type = text,
				   .subject_name = text,
				   .subject_json = text,
				   .raw = { (const char *)data, size },
				   .jobs = &job,
				   .njobs = 1 };
	struct journal_event before = e;
	struct pg_owned o = { 0 }, o2 = { 0 };
	const struct journal_event *f = pg_text_fix_event(&o, &e);
	if (pg_text_fix_event(&o2, f) != f || o2.n != 0)
		abort();
	if (memcmp(&before, &e, sizeof(e)) != 0 || job.rule != text)
		abort();
	if (f != &e && (f->njobs != 1 || f->raw.n < size))
		abort();
	pg_owned_free(&o);
	pg_owned_free(&o2);
	free(text);
	return 0;
}
