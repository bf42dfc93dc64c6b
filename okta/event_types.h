/* event_types.h: the Okta event types an event hook can subscribe to (Okta's event-hook-eligible list). */
#ifndef HOOKD_OKTA_EVENT_TYPES_H
#define HOOKD_OKTA_EVENT_TYPES_H

/* 1 when Okta's event hooks can deliver type (e.g. "user.lifecycle.create"), 0 otherwise. */
int okta_event_type_eligible(const char *type);
/* The eligible type closest to type (for "did you mean"), or NULL when none is near. */
const char *okta_event_type_closest(const char *type);

#endif
