/* faults.h: injected failures for /api and /oauth2 requests (errors, 429 bursts, latency, dropped connections). */
#ifndef OKTA_SIM_FAULTS_H
#define OKTA_SIM_FAULTS_H

#include <stddef.h>

#include "core/jbuf.h"

/*
 * FAULT_DROP closes the connection before the call does anything; FAULT_LOST lets the call take
 * effect and then closes the connection instead of answering (the client cannot tell the two apart).
 */
enum fault_action {
	FAULT_NONE,
	FAULT_429,
	FAULT_DROP,
	FAULT_ERROR,
	FAULT_LOST,
};

struct faults;

struct faults *faults_new(void);
void faults_free(struct faults *f);
/*
 * Replaces the settings with JSON {"error_rate", "status", "burst_429", "latency_ms",
 * "latency_rate", "drop_rate"} (absent members are 0; status defaults to 500). Returns -1 and
 * fills err when a member is missing its range; the settings are then unchanged.
 */
int faults_set_json(struct faults *f, const char *body, size_t n, char *err, size_t errlen);
/* Writes the settings (plus "burst_429_left" and the count of faults injected so far) as JSON. */
void faults_to_json(struct faults *f, struct jbuf *b);
void faults_clear(struct faults *f);
/*
 * Decides one request's fate: the action, and a delay to sleep first (*delay_ms, 0 for none) and
 * for FAULT_ERROR the status to answer with.
 */
enum fault_action faults_roll(struct faults *f, int *delay_ms, int *status);

#endif
