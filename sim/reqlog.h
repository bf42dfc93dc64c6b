/* reqlog.h: a bounded, timestamped log of /api and /oauth2 requests, for drills that check client timing. */
#ifndef OKTA_SIM_REQLOG_H
#define OKTA_SIM_REQLOG_H

#include <stdint.h>

#include "core/jbuf.h"

struct reqlog;

/* One answered (or dropped) request. Strings are copied, truncated to fit. */
struct reqlog_entry {
	int64_t start_ms, end_ms; /* wall clock (not the /sim/clock offset), unix ms */
	const char *method, *path, *bucket, *fault, *actor;
	int status;	   /* 499: dropped without an answer */
	int lost_status;   /* fault "lost": the status the call produced before its answer was dropped */
	long long reset_s; /* X-Rate-Limit-Reset sent, 0 when none */
	long remaining;	   /* X-Rate-Limit-Remaining sent, -1 when none */
};

/* Keeps the latest cap entries; older ones are counted as dropped. */
struct reqlog *reqlog_new(unsigned cap);
void reqlog_free(struct reqlog *l);
void reqlog_add(struct reqlog *l, const struct reqlog_entry *e);
void reqlog_clear(struct reqlog *l);
/* {"dropped":N,"next_seq":N,"requests":[{seq,start_ms,end_ms,method,path,bucket,status,...}]} for seq > since. */
void reqlog_to_json(struct reqlog *l, uint64_t since, struct jbuf *b);

#endif
