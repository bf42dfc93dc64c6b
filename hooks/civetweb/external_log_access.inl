/*
 * civetweb's access log, for a build without file system access (NO_FILESYSTEMS): hookd keeps no
 * access log of civetweb's (it logs what it decided about each request itself). Included by
 * civetweb.c when MG_EXTERNAL_FUNCTION_log_access is defined.
 */
static void log_access(const struct mg_connection *conn)
{
	(void)conn;
}
