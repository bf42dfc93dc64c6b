/* governor_shared.h: the Okta rate governor whose budget lives in the shared journal (several instances). */
#ifndef HOOKD_OKTA_GOVERNOR_SHARED_H
#define HOOKD_OKTA_GOVERNOR_SHARED_H

#include "okta/governor.h"

struct journal;

/*
 * A governor that spends and records rate-limit windows through journal_rate_take/update, so all
 * instances sharing j stay together inside Okta's limits. Each instance also keeps the in-memory
 * governor up to date and falls back to it while the store cannot answer. j is borrowed and must
 * outlive the governor. NULL when out of memory.
 */
struct okta_governor *okta_governor_shared_new(struct journal *j, int reserve);

#endif
