/* fuzz_config.c: libFuzzer target for the INI configuration loader and rules. */
#include "core/config.h"
#include "handlers/echo.h"
#include "handlers/rules.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct config *c = config_load_string(text, "fuzz.ini");
	if (c) {
		struct echo *e = echo_from_config(c, "0oaSELF");
		struct rules *r = rules_from_config(c, e);
		if (r) {
			struct journal_event ev = { .source = "okta",
						    .type = "user.lifecycle.create",
						    .subject_id = "00u1",
						    .subject_json = "{\"start_date\":\"2027-01-04\"}" };
			struct rule_jobs out;
			if (rules_apply(r, &ev, 0, &out) == 0)
				rule_jobs_free(&out);
			rules_free(r);
		}
		echo_free(e);
		(void)config_errors(c);
		config_free(c);
	}
	free(text);
	return 0;
}
