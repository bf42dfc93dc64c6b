/* civetweb_ext.c: civetweb compiled as one unit with the two facts of a request head its API does not publish. */
#include "civetweb.c"

#include "hooks/civetweb_ext.h"

/* conn->buf[0..request_len) is the head get_message read, leading blank lines included. */
struct slice civetweb_ext_head(const struct mg_connection *conn)
{
	if (!conn || !conn->buf || conn->request_len <= 0 || conn->request_len > conn->buf_size)
		return (struct slice){ NULL, 0 };
	return (struct slice){ conn->buf, (size_t)conn->request_len };
}

/* What get_message and get_request do to a buffer that holds exactly buf[0..n), without a socket. */
struct slice civetweb_ext_parse(char *buf, size_t n, struct mg_request_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	if (!n || n > INT_MAX)
		return (struct slice){ NULL, 0 };
	int len = get_http_header_len(buf, (int)n);
	if (len <= 0 || parse_http_request(buf, (int)n, ri) <= 0)
		return (struct slice){ NULL, 0 };
	return (struct slice){ buf, (size_t)len };
}

/* Sets the idle time after which a worker past the first MG_PRESTARTED_WORKERS exits (0: never). */
void civetweb_ext_retire_idle_workers(struct mg_context *ctx, long idle_ms)
{
	if (!ctx)
		return;
	(void)pthread_mutex_lock(&ctx->thread_mutex);
	ctx->workers_retire_ms = idle_ms > 0 ? idle_ms : 0;
	(void)pthread_mutex_unlock(&ctx->thread_mutex);
}

/* The context's workers running now, and those that retired since it started. */
void civetweb_ext_workers(struct mg_context *ctx, unsigned *alive, unsigned *retired)
{
	*alive = *retired = 0;
	if (!ctx)
		return;
	(void)pthread_mutex_lock(&ctx->thread_mutex);
	*alive = ctx->workers_alive;
	*retired = ctx->workers_retired;
	(void)pthread_mutex_unlock(&ctx->thread_mutex);
}
