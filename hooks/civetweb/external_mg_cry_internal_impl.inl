/*
 * civetweb's error reports, for a build without file system access (NO_FILESYSTEMS): they go to the
 * log_message callback (hooks/server.c logs them), never to a file civetweb opens. Included by
 * civetweb.c when MG_EXTERNAL_FUNCTION_mg_cry_internal_impl is defined.
 */
static void mg_cry_internal_impl(const struct mg_connection *conn, const char *func, unsigned line, const char *fmt,
				 va_list ap)
{
	char buf[MG_BUF_LEN];
	(void)func;
	(void)line;
#if defined(GCC_DIAGNOSTIC)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#endif
	IGNORE_UNUSED_RESULT(vsnprintf_impl(buf, sizeof(buf), fmt, ap));
#if defined(GCC_DIAGNOSTIC)
#pragma GCC diagnostic pop
#endif
	buf[sizeof(buf) - 1] = 0;
	if (conn && conn->phys_ctx && conn->phys_ctx->callbacks.log_message &&
	    conn->phys_ctx->callbacks.log_message(conn, buf) != 0)
		return;
	/* No connection to report through (civetweb starting or stopping): stderr, as one line. */
	fprintf(stderr, "civetweb: %s\n", buf);
}
