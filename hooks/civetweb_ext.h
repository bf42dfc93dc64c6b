/* civetweb_ext.h: where civetweb's request head lies in its buffer, which civetweb 1.16 does not publish. */
#ifndef HOOKD_CIVETWEB_EXT_H
#define HOOKD_CIVETWEB_EXT_H

#include "core/slice.h"

struct mg_connection;
struct mg_context;
struct mg_request_info;

/*
 * The head civetweb read for conn's current request: its buffer from the first byte through the
 * empty line (leading blank lines included), as civetweb left it after parsing in place. Valid
 * only inside civetweb's callbacks for that request. {NULL, 0} when there is none.
 */
struct slice civetweb_ext_head(const struct mg_connection *conn);

/*
 * For tests and fuzzers: civetweb's own reading of a request that arrived as exactly buf[0..n)
 * into a buffer of exactly n bytes (get_message, then parse_http_request in place). Fills ri and
 * returns the head as civetweb_ext_head would; {NULL, 0} when civetweb would refuse the request.
 */
struct slice civetweb_ext_parse(char *buf, size_t n, struct mg_request_info *ri);

/*
 * Workers (hooks/civetweb/on-demand-workers.patch): one idle for idle_ms exits while more than the
 * 16 started with the server run (0: none exits, as civetweb). A worker already waiting takes the
 * new value at its next wait. civetweb_ext_workers tells how many run and how many have retired.
 */
void civetweb_ext_retire_idle_workers(struct mg_context *ctx, long idle_ms);
void civetweb_ext_workers(struct mg_context *ctx, unsigned *alive, unsigned *retired);

#endif
