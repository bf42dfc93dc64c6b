/* principal.h: an Okta actor or target as requests and events carry it (a value type, no functions). */
#ifndef OKTA_SIM_PRINCIPAL_H
#define OKTA_SIM_PRINCIPAL_H

/* An Okta actor or target: {id, type, alternateId, displayName}, plus the scopes it was granted. */
struct principal {
	char id[40];
	char type[24];
	char alternate_id[256];
	char display_name[256];
	unsigned scopes;
};

#endif
