/* config_schema.c: every configuration key hookd knows, with its type, default and meaning. */
#include "core/config.h"

#include <stddef.h>

/* Rows end at doc unless the key has a range (min, max): the others leave min and max NULL. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const struct cfg_key cfg_schema[] = {
	{ "server", "listen", CFG_LIST, "127.0.0.1:8443", "TLS listening addresses, host:port[,host:port...]; [::1]:8443 for IPv6" },
	{ "server", "tls_cert", CFG_STR, "/etc/hookd/server.crt", "PEM certificate chain (leaf first)" },
	{ "server", "tls_key", CFG_STR, "/etc/hookd/server.key", "PEM private key" },
	{ "server", "tls_min_version", CFG_STR, "1.2", "lowest TLS version accepted: 1.2 or 1.3" },
	{ "server", "threads", CFG_INT, "4096", "request threads, started at once; civetweb gives each open connection one for its whole life, so this bounds concurrent connections, hostile ones included; each costs ~20 KiB RSS idle, up to ~70 KiB after use, plus ~25 KiB of kernel memory", "1", "16384" },
	{ "server", "max_body", CFG_SIZE, "1048576", "largest request body accepted; larger answers 413", "1 KiB", "64 MiB" },
	{ "server", "body_memory", CFG_SIZE, "268435456", "request bodies buffered at once, all connections together; past it a new body gets 503" },
	{ "server", "request_timeout", CFG_MS, "10s", "total deadline for reading one request's body", "100ms", "10m" },
	{ "server", "keep_alive_timeout", CFG_MS, "5s", "how long an idle keep-alive connection keeps its thread" },
	{ "server", "drain_timeout", CFG_MS, "10s", "on SIGTERM, how long in-flight requests may take to finish" },
	{ "server", "admin_token", CFG_SECRET, NULL, "bearer token for /metrics when it is not on loopback; unset: /metrics is open" },

	{ "store", "backend", CFG_STR, "sqlite", "journal backend: sqlite or postgres" },
	{ "store", "path", CFG_STR, "/var/lib/hookd/hookd.db", "SQLite journal file (backend = sqlite)" },
	{ "store", "url", CFG_SECRET, NULL, "PostgreSQL connection URI (backend = postgres); unset: libpq's PG* variables" },
	{ "store", "group_commit_max", CFG_INT, "512", "most events one journal transaction takes", "1", "100000" },
	{ "store", "pool_size", CFG_INT, "4", "PostgreSQL connections per instance", "1", "64" },

	{ "okta_hook", "path", CFG_STR, "/hooks/okta", "URL path of the Okta event hook" },
	{ "okta_hook", "auth_header", CFG_STR, "Authorization", "request header that carries the shared secret" },
	{ "okta_hook", "auth_value", CFG_SECRET, NULL, "the shared secret Okta sends in auth_header (required)" },
	{ "okta_hook", "max_events", CFG_INT, "1000", "most events accepted in one delivery", "1", "100000" },

	{ "okta", "org_url", CFG_STR, NULL, "Okta org, https://example.okta.com (or OKTA_CLIENT_ORGURL); unset: no Okta calls" },
	{ "okta", "api_token", CFG_SECRET, NULL, "SSWS API token (or OKTA_CLIENT_TOKEN)" },
	{ "okta", "auth_mode", CFG_STR, "ssws", "ssws or private_key (OAuth 2.0 private_key_jwt)" },
	{ "okta", "client_id", CFG_STR, NULL, "OAuth service app client id (auth_mode = private_key)" },
	{ "okta", "scopes", CFG_STR, "okta.users.manage okta.eventHooks.manage", "OAuth scopes, space separated" },
	{ "okta", "private_key", CFG_SECRET, NULL, "PEM private key (RSA or EC P-256) for private_key_jwt" },
	{ "okta", "key_id", CFG_STR, NULL, "kid header of the client assertion, when the app has several keys" },
	{ "okta", "ca_file", CFG_STR, NULL, "extra CA bundle to trust (okta-sim's dev CA)" },
	{ "okta", "timeout", CFG_MS, "10s", "total deadline of one Okta API call", "1ms", NULL },
	{ "okta", "max_retries", CFG_INT, "5", "retries of one call on 429, 5xx and network errors", "0", "20" },
	{ "okta", "rate_reserve", CFG_INT, "2", "requests of each rate-limit window left unspent", "0", "1000" },
	{ "okta", "self_actor_id", CFG_STR, NULL, "hookd's own Okta principal id; its events fire no rule unless the rule opts in" },

	{ "worker", "threads", CFG_INT, "4", "job workers", "0", "256" },
	{ "worker", "lease", CFG_MS, "60s", "how long a claimed job is leased before another worker may take it", "5s", NULL },
	{ "worker", "max_attempts", CFG_INT, "8", "attempts before a job is dead", "1", "1000" },
	{ "worker", "backoff_base", CFG_MS, "2s", "first retry delay, doubled each attempt, with jitter" },
	{ "worker", "backoff_max", CFG_MS, "15m", "longest retry delay" },
	{ "worker", "poll", CFG_MS, "1s", "how often idle workers look for due jobs", "10ms", "60s" },

	{ "mail", "smtp_url", CFG_STR, NULL, "SMTP server for activation links hookd delivers itself (rule send_email = false): smtp://host:587 or smtps://host:465" },
	{ "mail", "from", CFG_STR, NULL, "sender address of those emails" },
	{ "mail", "username", CFG_STR, NULL, "SMTP user name" },
	{ "mail", "password", CFG_SECRET, NULL, "SMTP password" },
	{ "mail", "starttls", CFG_BOOL, "true", "require STARTTLS on smtp:// URLs" },
	{ "mail", "ca_file", CFG_STR, NULL, "extra CA bundle for the SMTP server's certificate" },
	{ "mail", "subject", CFG_STR, "Activate your account", "subject of activation emails" },
	{ "mail", "timeout", CFG_MS, "20s", "deadline of one SMTP submission" },

	{ "log", "level", CFG_STR, "info", "debug, info, warn or error" },

	{ "rule *", "on", CFG_STR, NULL, "source:event.type this rule fires on, e.g. okta:user.lifecycle.create" },
	{ "rule *", "do", CFG_STR, NULL, "action: one of the names under Actions below; any other name is an error" },
	{ "rule *", "when.*", CFG_STR, NULL, "filter: when.<field> = v1,v2 fires only when the event field is one of the values" },
	{ "rule *", "include_self", CFG_BOOL, "false", "also fire on events caused by hookd's own Okta identity" },
	{ "rule *", "delay", CFG_MS, "0", "run the action this long after the event" },
	{ "rule *", "send_email", CFG_BOOL, "true", "activation: let Okta send the email (false: hookd gets activationUrl)" },
	{ "rule *", "allow_reactivate", CFG_BOOL, "false", "resend_activation may activate a DEPROVISIONED user again" },
	{ "rule *", "groups", CFG_LIST, NULL, "Okta group ids for create_user, comma separated" },
	{ "rule *", "at", CFG_STR, NULL, "local time of day (HH:MM) on the event's date field to run at" },
	{ "rule *", "date_field", CFG_STR, NULL, "event field holding the date for at (start_date, end_date)" },
	{ "rule *", "days_before", CFG_INT, "0", "run this many days before the date in date_field", "0", "365" },

	{ "source *", "scheme", CFG_STR, NULL, "standard-webhooks, hmac, stripe, header-secret or basic" },
	{ "source *", "secret", CFG_SECRET, NULL, "signing secret" },
	{ "source *", "secret_next", CFG_SECRET, NULL, "second secret accepted during rotation" },
	{ "source *", "signature_header", CFG_STR, NULL, "header carrying the signature" },
	{ "source *", "algorithm", CFG_STR, "sha256", "sha256 or sha512" },
	{ "source *", "encoding", CFG_STR, "hex", "hex, base64 or base64url" },
	{ "source *", "prefix", CFG_STR, NULL, "text before the signature, e.g. sha256=" },
	{ "source *", "signed", CFG_STR, "{body}", "signed bytes template over {body} {timestamp} {id} {method}" },
	{ "source *", "timestamp_header", CFG_STR, NULL, "header carrying the timestamp" },
	{ "source *", "id_header", CFG_STR, NULL, "header carrying the delivery id (dedupe key)" },
	{ "source *", "tolerance", CFG_MS, "300s", "accepted clock difference of the timestamp, both ways" },
	{ "source *", "content", CFG_STR, "json", "json or form" },
	{ "source *", "username", CFG_STR, NULL, "basic scheme user name" },
	{ "source *", "map.*", CFG_STR, NULL, "JSON pointer of a field: map.type, map.email, map.start_date, ..." },
	{ "source *", "events", CFG_STR, NULL, "JSON pointer of an array of employees (one event each)" },
	{ "source *", "type_map.*", CFG_STR, NULL, "renames a source event type to hookd's, e.g. type_map.hire = employee.created" },
	{ "source *", "form_field", CFG_STR, "payload", "content = form: field holding the JSON document; without it the form's fields form a flat object" },
	{ "source *", "max_events", CFG_INT, "1000", "most employees (events array elements) accepted in one delivery" },

	{ NULL, NULL, 0, NULL, NULL },
};
#pragma GCC diagnostic pop
