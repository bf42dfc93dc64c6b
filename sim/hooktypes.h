/* hooktypes.h: is an event type one that Okta delivers to event hooks? */
#ifndef OKTA_SIM_HOOKTYPES_H
#define OKTA_SIM_HOOKTYPES_H

/* 1 when type is in Okta's event-hook-eligible list (e.g. "user.lifecycle.create"), else 0. NULL-safe. */
int hooktypes_eligible(const char *type);

#endif
