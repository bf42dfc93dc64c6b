/* log.h: one JSON object per line on stderr; never pass a secret to it. */
#ifndef HOOKD_LOG_H
#define HOOKD_LOG_H

enum log_level {
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARN,
	LOG_ERROR,
};

/* Sets the lowest level written; "debug", "info", "warn" or "error". Returns -1 for an unknown name. */
int log_set_level_name(const char *name);
void log_set_level(enum log_level level);

/*
 * Writes {"ts":..,"level":..,"msg":..,"k1":"v1",...} as one line. The variadic part is
 * NULL-terminated pairs of const char * key and value; a NULL value is written as null.
 * Every string is JSON-escaped. Thread-safe: one write(2) per line.
 */
void log_kv(enum log_level level, const char *msg, ...);

#define log_info(...) log_kv(LOG_INFO, __VA_ARGS__, (const char *)0)
#define log_warn(...) log_kv(LOG_WARN, __VA_ARGS__, (const char *)0)
#define log_error(...) log_kv(LOG_ERROR, __VA_ARGS__, (const char *)0)
#define log_debug(...) log_kv(LOG_DEBUG, __VA_ARGS__, (const char *)0)

#endif
