/* simapi.h: okta-sim's own endpoints under /sim/ (outbox, clicks, faults, clock, reset, deliveries, whoami) and /tokens/. */
#ifndef OKTA_SIM_SIMAPI_H
#define OKTA_SIM_SIMAPI_H

struct mg_connection;

/* civetweb handler for "/sim/" and "/tokens/"; cbdata is the struct sim. Returns the HTTP status. */
int simapi_handler(struct mg_connection *conn, void *cbdata);
/* civetweb handler for every other path: 404 as JSON. */
int simapi_not_found(struct mg_connection *conn, void *cbdata);

#endif
