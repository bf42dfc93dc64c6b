/* hooktypes.c: the event types Okta lets an event hook subscribe to ("event-hook-eligible"). */
#include "sim/hooktypes.h"

#include <stdlib.h>
#include <string.h>

/* The list hookd's check-config uses too: one copy, generated (scripts/gen-okta-event-types.py). */
static const char *const eligible[] = {
#include "okta/event_types_table.h"
};

static int cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

int hooktypes_eligible(const char *type)
{
	return type &&
	       bsearch(type, eligible, sizeof(eligible) / sizeof(eligible[0]), sizeof(eligible[0]), cmp) != NULL;
}
