/* main.c: okta-sim's command line, wiring of the org's modules, civetweb start-up and shutdown on SIGTERM/SIGINT. */
#include <civetweb.h>
#include <curl/curl.h>
#include <getopt.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sim/api.h"
#include "sim/auth.h"
#include "sim/delivery.h"
#include "sim/events.h"
#include "sim/faults.h"
#include "sim/hooks.h"
#include "sim/oauth.h"
#include "sim/outbox.h"
#include "sim/logs.h"
#include "sim/ratelimit.h"
#include "sim/reqlog.h"
#include "sim/schema.h"
#include "sim/sim.h"
#include "sim/simapi.h"
#include "sim/users.h"

static const char usage[] =
	"usage: okta-sim --token TOKEN [--listen HOST:PORT] [--cert FILE --key FILE] [--hook-ca FILE]\n"
	"                [--token-ttl DUR] [--rate-limit SPEC|off] [--oauth-client-id ID --oauth-public-key FILE]\n"
	"                [--oauth-dpop [--oauth-dpop-api-nonce] [--oauth-dpop-nonce-ttl DUR|0]] [--base-url URL]\n"
	"                [--search-lag-ms MS] [--transition-ms MS] [--hook-delay-ms MS] [--log-level LEVEL]\n"
	"\n"
	"A local stand-in for the parts of an Okta org that hookd uses, following Okta's Management API spec.\n"
	"Prints its base URL on stdout (one line) once listening; serves until SIGTERM or SIGINT, then exits 0.\n"
	"\n"
	"Options:\n"
	"  --listen HOST:PORT        address to listen on (default 127.0.0.1:0; port 0 picks a free port)\n"
	"  --token TOKEN             the API token clients send as 'Authorization: SSWS TOKEN' (required,\n"
	"  --token-file FILE           or read from FILE's first line, at most 1023 bytes, or from the\n"
	"                              OKTA_SIM_TOKEN environment variable)\n"
	"  --cert FILE --key FILE    serve HTTPS (TLS 1.2+) with this PEM certificate chain and key; plain HTTP without\n"
	"  --hook-ca FILE            CA bundle that event-hook receivers' certificates must chain to (default: system)\n"
	"  --token-ttl DUR           lifetime of activation and reset links (default 7d); DUR is N, Ns, Nm, Nh or Nd\n"
	"  --rate-limit SPEC|off     per-bucket limits per window, e.g. users=600,user=2000,user_write=600,\n"
	"                            eventhooks=600,token=600,logs=120,other=1200,window=60 (defaults shown); all=N sets every\n"
	"                            bucket; 'off' never answers 429 (headers then say 1000000)\n"
	"  --oauth-client-id ID      enable POST /oauth2/v1/token for this service app (private_key_jwt)...\n"
	"  --oauth-public-key FILE   ...whose assertions verify with this PEM public key (RSA or EC P-256/384/521)\n"
	"  --oauth-dpop              the app requires DPoP (RFC 9449): token requests need a DPoP proof with a server\n"
	"                            nonce (400 invalid_dpop_proof / use_dpop_nonce + DPoP-Nonce), tokens are DPoP-bound\n"
	"                            (token_type DPoP, cnf.jkt) and API calls need 'Authorization: DPoP' plus a proof\n"
	"  --oauth-dpop-api-nonce    ...and API calls need a nonce too (401 WWW-Authenticate: DPoP error=\"use_dpop_nonce\")\n"
	"  --oauth-dpop-nonce-ttl DUR  a nonce is handed out for DUR (default 24h, as Okta) and accepted 3 x DUR;\n"
	"                            0: every nonce is stale at once (a client must give up, not loop)\n"
	"  --base-url URL            the org URL clients use (default http(s)://HOST:PORT); JWT aud must be\n"
	"                            URL/oauth2/v1/token and links in emails and _links start with it\n"
	"  --search-lag-ms MS        filter= and search= see a create or change MS ms late, as Okta's search index\n"
	"                            does (default 500; 0: at once); getUser by id or login is never late\n"
	"  --transition-ms MS        for MS ms after activate/deactivate, users show the old status with\n"
	"                            transitioningToStatus (Okta runs them asynchronously; default 0: never)\n"
	"  --hook-delay-ms MS        event-hook deliveries leave MS ms after the call that caused them (Okta delivers\n"
	"                            asynchronously, seconds later; default 0: at once)\n"
	"  --log-level LEVEL         debug, info (default), warn or error; logs are JSON lines on stderr\n"
	"\n"
	"Okta endpoints (Authorization: SSWS <token> or Bearer <access token>; rate-limit headers on every reply):\n"
	"  POST /api/v1/users?activate=true|false        createUser (activate defaults to true)\n"
	"  GET  /api/v1/users?filter=|search=|q=&limit=&after=   listUsers (Link rel=next when more)\n"
	"  GET  /api/v1/users/{id or URL-encoded login}  getUser (me: the SSWS token's owner)\n"
	"  POST /api/v1/users/{id}  (PUT replaces)       updateUser: profile merge; a body with status is refused\n"
	"                                                (400 E0000003: status is read-only, use the lifecycle ops)\n"
	"  POST /api/v1/users/{id}/lifecycle/activate?sendEmail=true      STAGED|DEPROVISIONED only, else 403 E0000016\n"
	"  POST /api/v1/users/{id}/lifecycle/reactivate?sendEmail=false   PROVISIONED|RECOVERY only, else 403 E0000038\n"
	"  POST /api/v1/users/{id}/lifecycle/deactivate                   not DEPROVISIONED, else 403 E0000038\n"
	"  POST /api/v1/users/{id}/lifecycle/reset_password?sendEmail=    ACTIVE|RECOVERY|PASSWORD_EXPIRED|LOCKED_OUT\n"
	"  DELETE /api/v1/users/{id}                      deleteUser: deactivates first; deletes a DEPROVISIONED user\n"
	"  GET|POST /api/v1/meta/schemas/user/default    the user schema; POST adds/removes custom properties; creates\n"
	"                                                and updates are checked against it (400 E0000001)\n"
	"  GET|POST /api/v1/eventHooks, GET|PUT|DELETE /api/v1/eventHooks/{id}\n"
	"  POST /api/v1/eventHooks/{id}/lifecycle/verify|activate|deactivate   (at most 25 ACTIVE hooks)\n"
	"  GET  /api/v1/logs?since=&until=&after=&filter=&q=&limit=&sortOrder=   listLogEvents (scope okta.logs.read,\n"
	"                          bucket logs): every LogEvent above; without until a polling query whose rel=next\n"
	"                          link keeps returning events as they become visible (see /sim/logs for the lag)\n"
	"  POST /oauth2/v1/token   client_credentials with a private_key_jwt client assertion (RS256..512, ES256..512)\n"
	"                          and, with --oauth-dpop, a DPoP proof header (Authorization: DPoP <token> after)\n"
	"Event hooks (ACTIVE and VERIFIED) get user.lifecycle.create/activate/reactivate/deactivate,\n"
	"user.account.update_profile/reset_password/update_password from a delivery thread: POST, 3 s timeout, one\n"
	"retry after a transport error or 5xx (not after 4xx). Events of one API call share one delivery.\n"
	"\n"
	"okta-sim endpoints (no auth; for tests and developers):\n"
	"  GET    /sim/outbox            emails Okta would have sent: [{id,to,kind,user_id,login,url,token,sent_at}]\n"
	"  DELETE /sim/outbox            forget the emails (links keep working)\n"
	"  POST   /sim/activate/{token}  the person opens the link and sets a password: PROVISIONED/RECOVERY -> ACTIVE\n"
	"  GET    /tokens/{token}/verify the activation URL itself; same as the POST above (a link scanner uses it up)\n"
	"                                used / superseded / expired links: 410 {\"error\":\"token_used\"|...}; unknown: 404\n"
	"  GET|POST|DELETE /sim/faults   {\"error_rate\":0.2,\"status\":500,\"burst_429\":N,\"burst_429_ms\":MS,\"latency_ms\":2000,\n"
	"                                \"latency_rate\":0.1,\"drop_rate\":0.05,\"lost_rate\":0.05} for /api and /oauth2\n"
	"                                (POST replaces); burst_429: the next N calls get 429, burst_429_ms: every call\n"
	"                                for MS ms; drop: closed before the call runs; lost: the call takes\n"
	"                                effect, then the connection closes instead of the answer\n"
	"  GET|DELETE /sim/requests[?since=SEQ]  the latest 100,000 /api and /oauth2 requests with wall-clock\n"
	"                                start_ms/end_ms, bucket, status, fault, lost_status, reset_s, remaining, actor\n"
	"  POST   /sim/email/bounce      {\"address\":A[,\"reason\":R]}: system.email.delivery FAILURE for A's user\n"
	"  GET|POST /sim/clock           {\"offset_s\":N}: move the sim's clock (token expiry, JWT exp, timestamps)\n"
	"  POST   /sim/reset             forget users, links, emails, hooks, events, deliveries, faults, windows, clock\n"
	"  GET    /sim/users             every user, DEPROVISIONED included\n"
	"  GET    /sim/events            the latest 1000 LogEvents\n"
	"  GET|POST /sim/logs            {\"lag_ms\":N,\"jitter_ms\":M}: events reach the System Log lag_ms plus up to\n"
	"                                jitter_ms after their published time (default 0); GET adds events, visible\n"
	"  GET    /sim/deliveries[?body=true]  hook deliveries: seq, hook_id, event_id, event_types, state\n"
	"                                (pending|running|delivered|failed), attempts, status, error, redelivery_of\n"
	"  POST   /sim/hooks/redeliver   {\"seq\":N} or {} (latest): send the same body (same eventId) again\n"
	"  GET    /sim/whoami            the actor events carry for a credential (send Authorization), or all of\n"
	"                                them; use its id as hookd's self_actor_id\n"
	"  GET    /sim/config            base URL, token URL, token TTL, rate limits, client id, SSWS token id\n"
	"  GET|POST /sim/groups          group ids that exist (createUser's groupIds); POST {\"id\"?} adds one\n"
	"Any /api call with 'X-Sim-Console: true' acts as the SSWS token's owner in the Admin Console (no token):\n"
	"its events carry no transaction.detail.requestApiTokenId. Every /api reply has X-Okta-Request-Id, equal to\n"
	"transaction.id and debugContext.debugData.requestId of the events it caused.\n";

struct cli {
	struct sim_config cfg;
	const char *token_file;
	const char *log_level;
	char token_buf[1024];
	int dpop_ttl_set;
};

static int parse_duration_ms(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	long long mult = 1000;
	if (end == s || v <= 0)
		return -1;
	if (*end == 's')
		end++;
	else if (*end == 'm')
		mult = 60000, end++;
	else if (*end == 'h')
		mult = 3600000, end++;
	else if (*end == 'd')
		mult = 86400000, end++;
	if (*end || v > 10LL * 365 * 86400000 / mult)
		return -1;
	*out = v * mult;
	return 0;
}

/* Whole milliseconds 0..60000. */
static int parse_ms(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || v < 0 || v > 60000)
		return -1;
	*out = v;
	return 0;
}

static int read_token_file(struct cli *c)
{
	FILE *f = fopen(c->token_file, "r");
	if (!f) {
		fprintf(stderr, "okta-sim: cannot read --token-file %s\n", c->token_file);
		return -1;
	}
	size_t n = fread(c->token_buf, 1, sizeof(c->token_buf) - 1, f);
	c->token_buf[n] = '\0';
	size_t len = strcspn(c->token_buf, "\r\n");
	/* The token is the first line: one longer than the buffer is refused, never cut. */
	int next = len == n ? fgetc(f) : EOF, too_long = next != EOF && next != '\r' && next != '\n';
	fclose(f);
	if (too_long) {
		fprintf(stderr, "okta-sim: the token in --token-file %s is longer than %zu bytes\n", c->token_file,
			sizeof(c->token_buf) - 1);
		return -1;
	}
	c->token_buf[len] = '\0';
	c->cfg.token = c->token_buf;
	return 0;
}

static int check_cli(struct cli *c)
{
	if (c->token_file && read_token_file(c) < 0)
		return -1;
	if (!c->cfg.token)
		c->cfg.token = getenv("OKTA_SIM_TOKEN");
	if (!c->cfg.token || !c->cfg.token[0] || strpbrk(c->cfg.token, " \t\r\n")) {
		fprintf(stderr, "okta-sim: --token (or --token-file, OKTA_SIM_TOKEN) is required, without spaces\n");
		return -1;
	}
	if (!c->cfg.cert != !c->cfg.key) {
		fprintf(stderr, "okta-sim: --cert and --key go together\n");
		return -1;
	}
	if (c->dpop_ttl_set && !c->cfg.oauth_dpop && !c->cfg.oauth_dpop_api_nonce) {
		fprintf(stderr, "okta-sim: --oauth-dpop-nonce-ttl goes with --oauth-dpop\n");
		return -1;
	}
	if ((c->cfg.oauth_dpop || c->cfg.oauth_dpop_api_nonce) && !c->cfg.oauth_client_id) {
		fprintf(stderr, "okta-sim: --oauth-dpop needs --oauth-client-id and --oauth-public-key\n");
		return -1;
	}
	if (!c->cfg.oauth_client_id != !c->cfg.oauth_key_file) {
		fprintf(stderr, "okta-sim: --oauth-client-id and --oauth-public-key go together\n");
		return -1;
	}
	if (c->log_level && log_set_level_name(c->log_level) < 0) {
		fprintf(stderr, "okta-sim: unknown --log-level %s\n", c->log_level);
		return -1;
	}
	return 0;
}

enum sim_opt {
	O_LISTEN = 256,
	O_TOKEN,
	O_TOKEN_FILE,
	O_CERT,
	O_KEY,
	O_HOOK_CA,
	O_TTL,
	O_RATE,
	O_CID,
	O_KEYFILE,
	O_BASE,
	O_LOG,
	O_DPOP,
	O_DPOP_API_NONCE,
	O_DPOP_TTL,
	O_LAG,
	O_TRANS,
	O_HOOK_DELAY,
};

static const struct option sim_opts[] = {
	{ "listen", required_argument, 0, O_LISTEN },
	{ "token", required_argument, 0, O_TOKEN },
	{ "token-file", required_argument, 0, O_TOKEN_FILE },
	{ "cert", required_argument, 0, O_CERT },
	{ "key", required_argument, 0, O_KEY },
	{ "hook-ca", required_argument, 0, O_HOOK_CA },
	{ "token-ttl", required_argument, 0, O_TTL },
	{ "rate-limit", required_argument, 0, O_RATE },
	{ "oauth-client-id", required_argument, 0, O_CID },
	{ "oauth-public-key", required_argument, 0, O_KEYFILE },
	{ "base-url", required_argument, 0, O_BASE },
	{ "log-level", required_argument, 0, O_LOG },
	{ "oauth-dpop", no_argument, 0, O_DPOP },
	{ "oauth-dpop-api-nonce", no_argument, 0, O_DPOP_API_NONCE },
	{ "oauth-dpop-nonce-ttl", required_argument, 0, O_DPOP_TTL },
	{ "search-lag-ms", required_argument, 0, O_LAG },
	{ "transition-ms", required_argument, 0, O_TRANS },
	{ "hook-delay-ms", required_argument, 0, O_HOOK_DELAY },
	{ "help", no_argument, 0, 'h' },
	{ 0, 0, 0, 0 },
};

/* The --*-ttl and --*-ms options (o is one of them); -1 with a message when arg does not parse. */
static int set_timing(struct cli *c, int o, const char *arg)
{
	switch (o) {
	case O_DPOP_TTL:
		c->dpop_ttl_set = 1;
		if (strcmp(arg, "0") == 0) {
			c->cfg.oauth_dpop_nonce_ttl_ms = 0;
			return 0;
		}
		if (parse_duration_ms(arg, &c->cfg.oauth_dpop_nonce_ttl_ms) == 0)
			return 0;
		fprintf(stderr, "okta-sim: --oauth-dpop-nonce-ttl wants 0 or N[s|m|h|d], got %s\n", arg);
		return -1;
	case O_TTL:
		if (parse_duration_ms(arg, &c->cfg.token_ttl_ms) == 0)
			return 0;
		fprintf(stderr, "okta-sim: --token-ttl wants N[s|m|h|d], got %s\n", arg);
		return -1;
	default:
		if (parse_ms(arg, o == O_LAG	 ? &c->cfg.search_lag_ms
				  : o == O_TRANS ? &c->cfg.transition_ms
						 : &c->cfg.hook_delay_ms) == 0)
			return 0;
		fprintf(stderr, "okta-sim: --%s wants milliseconds 0..60000, got %s\n",
			o == O_LAG     ? "search-lag-ms"
			: o == O_TRANS ? "transition-ms"
				       : "hook-delay-ms",
			arg);
		return -1;
	}
}

static int parse_cli(int argc, char **argv, struct cli *c)
{
	memset(c, 0, sizeof(*c));
	c->cfg.listen = "127.0.0.1:0";
	c->cfg.token_ttl_ms = 7LL * 86400000;
	c->cfg.oauth_dpop_nonce_ttl_ms = 24LL * 3600000;
	c->cfg.search_lag_ms = 500;
	int o;
	while ((o = getopt_long(argc, argv, "h", sim_opts, NULL)) != -1) {
		switch (o) {
		case O_LISTEN: c->cfg.listen = optarg; break;
		case O_TOKEN: c->cfg.token = optarg; break;
		case O_TOKEN_FILE: c->token_file = optarg; break;
		case O_CERT: c->cfg.cert = optarg; break;
		case O_KEY: c->cfg.key = optarg; break;
		case O_HOOK_CA: c->cfg.hook_ca = optarg; break;
		case O_RATE: c->cfg.rate_spec = optarg; break;
		case O_CID: c->cfg.oauth_client_id = optarg; break;
		case O_KEYFILE: c->cfg.oauth_key_file = optarg; break;
		case O_BASE: c->cfg.base_url = optarg; break;
		case O_LOG: c->log_level = optarg; break;
		case O_DPOP: c->cfg.oauth_dpop = 1; break;
		case O_DPOP_API_NONCE: c->cfg.oauth_dpop_api_nonce = 1; break;
		case O_DPOP_TTL:
		case O_TTL:
		case O_LAG:
		case O_TRANS:
		case O_HOOK_DELAY:
			if (set_timing(c, o, optarg) < 0)
				return -1;
			break;
		case 'h': fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "okta-sim: unexpected argument %s\n", argv[optind]);
		return -1;
	}
	return check_cli(c);
}

/* Splits HOST:PORT ([v6]:PORT too) into host (without brackets) and port; -1 when malformed. */
static int split_listen(const char *listen, char *host, size_t hn, long *port)
{
	const char *colon = strrchr(listen, ':');
	char *end;
	if (!colon)
		return -1;
	*port = strtol(colon + 1, &end, 10);
	if (*end || colon[1] == '\0' || *port < 0 || *port > 65535)
		return -1;
	const char *h = listen;
	size_t n = (size_t)(colon - listen);
	if (n >= 2 && h[0] == '[' && h[n - 1] == ']')
		h++, n -= 2;
	if (n == 0 || n >= hn)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	if (strcmp(host, "localhost") == 0)
		snprintf(host, hn, "127.0.0.1");
	return 0;
}

static int init_tls(void *ssl_ctx, void *user_data)
{
	struct sim *s = user_data;
	SSL_CTX *ctx = ssl_ctx;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, s->cfg.cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, s->cfg.key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		log_error("cannot load TLS certificate and key", "cert", s->cfg.cert, "key", s->cfg.key);
		return -1;
	}
	return 1;
}

static int civet_log(const struct mg_connection *conn, const char *message)
{
	(void)conn;
	log_warn("civetweb", "message", message);
	return 1;
}

static struct mg_context *start_server(struct sim *s, const char *host, long port)
{
	char ports[300];
	int v6 = strchr(host, ':') != NULL;
	snprintf(ports, sizeof(ports), "%s%s%s:%ld%s", v6 ? "[" : "", host, v6 ? "]" : "", port,
		 s->cfg.cert ? "s" : "");
	const char *options[] = { "listening_ports",
				  ports,
				  "num_threads",
				  "16",
				  "tcp_nodelay",
				  "1",
				  "enable_keep_alive",
				  "yes",
				  "keep_alive_timeout_ms",
				  "30000",
				  "request_timeout_ms",
				  "30000",
				  "max_request_size",
				  "65536",
				  "decode_url",
				  "no",
				  "ssl_protocol_version",
				  "4",
				  NULL };
	struct mg_callbacks cb;
	memset(&cb, 0, sizeof(cb));
	cb.log_message = civet_log;
	if (s->cfg.cert)
		cb.init_ssl = init_tls;
	struct mg_context *ctx = mg_start(&cb, s, options);
	if (!ctx)
		return NULL;
	mg_set_request_handler(ctx, "/api/", api_handler, s);
	mg_set_request_handler(ctx, "/oauth2/", api_handler, s);
	mg_set_request_handler(ctx, "/sim/", simapi_handler, s);
	mg_set_request_handler(ctx, "/tokens/", simapi_handler, s);
	mg_set_request_handler(ctx, "/", simapi_not_found, s);
	return ctx;
}

static void set_base_url(struct sim *s, struct mg_context *ctx, const char *host)
{
	struct mg_server_port p[4];
	int n = mg_get_server_ports(ctx, 4, p);
	int port = n > 0 ? p[0].port : 0;
	if (s->cfg.base_url) {
		snprintf(s->base_url, sizeof(s->base_url), "%s", s->cfg.base_url);
		size_t len = strlen(s->base_url);
		while (len && s->base_url[len - 1] == '/')
			s->base_url[--len] = '\0';
		return;
	}
	int v6 = strchr(host, ':') != NULL;
	if (strcmp(host, "0.0.0.0") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	snprintf(s->base_url, sizeof(s->base_url), "%s://%s%s%s:%d", s->cfg.cert ? "https" : "http", v6 ? "[" : "",
		 host, v6 ? "]" : "", port);
}

static int build_sim(struct sim *s, const struct sim_config *cfg)
{
	char err[256];
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->cfg = *cfg;
	sim_new_id(s->user_type_id, "oty");
	s->rl = ratelimit_new(cfg->rate_spec, err, sizeof(err));
	if (!s->rl) {
		fprintf(stderr, "okta-sim: %s\n", err);
		return -1;
	}
	if (cfg->oauth_client_id &&
	    !(s->oauth = oauth_new(cfg->oauth_client_id, cfg->oauth_key_file, err, sizeof(err)))) {
		fprintf(stderr, "okta-sim: %s\n", err);
		return -1;
	}
	if (s->oauth && (cfg->oauth_dpop || cfg->oauth_dpop_api_nonce))
		oauth_require_dpop(s->oauth, cfg->oauth_dpop_api_nonce, cfg->oauth_dpop_nonce_ttl_ms);
	s->auth = auth_new(cfg->token);
	s->users = users_new();
	s->outbox = outbox_new();
	s->hooks = hooks_new();
	s->events = events_new();
	s->logs = logs_new();
	s->faults = faults_new();
	s->reqlog = reqlog_new(100000);
	s->schema = schema_new();
	s->delivery = delivery_new(cfg->hook_ca, cfg->hook_delay_ms);
	return 0;
}

static void free_sim(struct sim *s)
{
	delivery_free(s->delivery);
	users_free(s->users);
	outbox_free(s->outbox);
	hooks_free(s->hooks);
	events_free(s->events);
	logs_free(s->logs);
	faults_free(s->faults);
	reqlog_free(s->reqlog);
	schema_free(s->schema);
	oauth_free(s->oauth);
	auth_free(s->auth);
	ratelimit_free(s->rl);
	pthread_mutex_destroy(&s->mu);
}

static void announce(const struct sim *s)
{
	char ttl[32];
	snprintf(ttl, sizeof(ttl), "%lld", (long long)(s->cfg.token_ttl_ms / 1000));
	log_info("okta-sim listening", "base_url", s->base_url, "ssws_actor_id", auth_ssws_principal(s->auth)->id,
		 "ssws_token_id", auth_ssws_token_id(s->auth), "oauth_client_id", s->cfg.oauth_client_id, "token_ttl_s",
		 ttl);
	printf("%s\n", s->base_url);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static struct sim s;
	struct cli c;
	char host[128];
	long port;
	if (parse_cli(argc, argv, &c) < 0)
		return 2;
	if (split_listen(c.cfg.listen, host, sizeof(host), &port) < 0) {
		fprintf(stderr, "okta-sim: --listen wants HOST:PORT, got %s\n", c.cfg.listen);
		return 2;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	mg_init_library(c.cfg.cert ? MG_FEATURES_TLS : 0);
	if (build_sim(&s, &c.cfg) < 0)
		return 2;
	struct mg_context *ctx = start_server(&s, host, port);
	if (!ctx) {
		fprintf(stderr, "okta-sim: cannot listen on %s\n", c.cfg.listen);
		return 1;
	}
	set_base_url(&s, ctx, host);
	announce(&s);
	int sig = 0;
	sigwait(&set, &sig);
	log_info("okta-sim stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	mg_stop(ctx);
	free_sim(&s);
	mg_exit_library();
	curl_global_cleanup();
	return 0;
}
