/* fuzz_job_params.c: libFuzzer target for job params (profile JSON) and the action and state names. */
#include "handlers/actions.h"
#include "store/journal.h"

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
	free(action_profile_json(text, 1));
	free(action_profile_json(text, 0));
	enum action_id a;
	if (action_parse(text, &a) == 0 && strcmp(action_name(a), text) != 0)
		abort();
	if (action_parse_verb(text, &a) == 0 && strcmp(action_verb(a), text) != 0)
		abort();
	enum job_state s;
	if (journal_job_state_parse(text, &s) == 0 && strcmp(journal_job_state_name(s), text) != 0)
		abort();
	free(text);
	return 0;
}
