/* api.h: the front door for /api/v1 and /oauth2/v1: routing, rate limits, injected faults, authentication, scopes. */
#ifndef OKTA_SIM_API_H
#define OKTA_SIM_API_H

struct mg_connection;

/* civetweb request handler for "/api/" and "/oauth2/"; cbdata is the struct sim. Returns the HTTP status. */
int api_handler(struct mg_connection *conn, void *cbdata);

#endif
