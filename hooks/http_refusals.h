/* http_refusals.h: refused requests counted by reason, logged at first sight and then as summaries. */
#ifndef HOOKD_HTTP_REFUSALS_H
#define HOOKD_HTTP_REFUSALS_H

#include <stdint.h>

/* Seconds between summary lines while refusals keep arriving. */
#define HTTP_REFUSAL_SUMMARY_S 10

/*
 * Counts one refusal with error code (hookd_http_refusals_total{error=code}). Returns 1 when the
 * caller should log it in full (the first of its code in this process), 0 when it is only
 * counted: then, once HTTP_REFUSAL_SUMMARY_S have passed since the last summary, this call writes
 * one line with the counts of every code since that summary. now_ns is the monotonic clock.
 * Thread-safe; bounded: past 64 distinct codes the rest count under "other".
 */
int http_refusal_note(const char *code, int64_t now_ns);

#endif
