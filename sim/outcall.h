/* outcall.h: outbound HTTPS calls to event-hook receivers with libcurl (verification GET, delivery POST). */
#ifndef OKTA_SIM_OUTCALL_H
#define OKTA_SIM_OUTCALL_H

#include <stddef.h>

/* Where and how to call a hook: its URI and headers (authScheme header first, then custom ones). */
struct hook_channel {
	char *uri;
	int nhdr;
	char **key;
	char **val;
};

/* Deep copy of src into dst (which is overwritten, not freed). */
void hook_channel_dup(const struct hook_channel *src, struct hook_channel *dst);
/* Frees dst's members and zeroes it; NULL-safe. */
void hook_channel_clear(struct hook_channel *c);
/* Appends one header (copied). */
void hook_channel_add(struct hook_channel *c, const char *key, const char *val);

struct outcall_result {
	long status; /* HTTP status, 0 when none arrived */
	char *body;  /* response body (at most 64 KiB), NUL-terminated; caller frees with outcall_result_free */
	size_t len;
	char err[256]; /* transport error when status is 0 */
	double seconds;
};

/*
 * One HTTPS request (https only, peer and host verified against ca_file or the system store,
 * TLS 1.2+, no redirects) with the channel's headers plus xkey: xval when xkey is set, and body
 * for POST. Returns 0 when a response arrived (any status), -1 on a transport failure.
 */
int outcall_do(const struct hook_channel *ch, const char *method, const char *xkey, const char *xval, const char *body,
	       size_t n, const char *ca_file, long timeout_ms, struct outcall_result *res);
void outcall_result_free(struct outcall_result *res);

#endif
