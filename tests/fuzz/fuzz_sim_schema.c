/* fuzz_sim_schema.c: libFuzzer target for okta-sim's user schema: updateUserProfile bodies and attribute checks. */
#include "sim/schema.c"

#include <stdint.h>

/* The few sim and http functions schema.c calls, without a server. */
int64_t sim_now_ms(struct sim *s)
{
	(void)s;
	return 1767225600000LL;
}

void *sim_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

char *sim_strdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

void http_reply_jbuf(struct http_req *r, int status, struct jbuf *b)
{
	r->status = b->err ? 500 : status;
	jbuf_free(b);
}

void http_okta_error(struct http_req *r, int status, const char *code, const char *summary, const char *cause)
{
	(void)code;
	(void)summary;
	(void)cause;
	r->status = status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sim sim;
	static struct http_req req;
	if (!sim.schema) {
		pthread_mutex_init(&sim.mu, NULL);
		snprintf(sim.base_url, sizeof(sim.base_url), "https://org.example.com");
		snprintf(sim.user_type_id, sizeof(sim.user_type_id), "oty00000000000000000");
		sim.schema = schema_new();
	}
	/* An exact-size copy, so reads past the end are caught; the attribute check gets a C string. */
	char *body = malloc(size ? size : 1), *text = malloc(size + 1);
	if (!body || !text)
		abort();
	memcpy(body, data, size);
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&req, 0, sizeof(req));
	req.sim = &sim;
	req.body = body;
	req.body_len = size;
	req.nseg = 6;
	static char dflt[] = "default";
	req.seg[5] = dflt;
	schema_update(&req);
	char cause[300];
	schema_check_attr(sim.schema, "firstName", text, cause, sizeof(cause));
	for (int i = 0; i < sim.schema->n; i++)
		schema_check_attr(sim.schema, sim.schema->v[i].name, text, cause, sizeof(cause));
	if (sim.schema->n > 200)
		schema_reset(sim.schema);
	free(body);
	free(text);
	return 0;
}
