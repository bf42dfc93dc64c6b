/* event_types.c: lookups in Okta's event-hook-eligible event types (okta/event_types_table.h). */
#include "okta/event_types.h"

#include "core/str.h"

#include <stdlib.h>
#include <string.h>

static const char *const eligible[] = {
#include "okta/event_types_table.h"
};

#define NELIGIBLE (sizeof(eligible) / sizeof(eligible[0]))

static int cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

int okta_event_type_eligible(const char *type)
{
	return type && bsearch(type, eligible, NELIGIBLE, sizeof(eligible[0]), cmp) != NULL;
}

const char *okta_event_type_closest(const char *type)
{
	return str_closest(type, eligible, NELIGIBLE);
}
