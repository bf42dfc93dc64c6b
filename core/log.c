/* log.c: structured JSON-lines logging to stderr. */
#include "core/log.h"
#include "core/jbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int min_level = LOG_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_set_level(enum log_level level)
{
	min_level = (int)level;
}

int log_set_level_name(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, level_names[i]) == 0) {
			min_level = i;
			return 0;
		}
	return -1;
}

void log_kv(enum log_level level, const char *msg, ...)
{
	if ((int)level < min_level)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[40];
	size_t w = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + w, sizeof(when) - w, ".%03ldZ", ts.tv_nsec / 1000000);

	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "ts", when);
	jbuf_key_str(&b, "level", level_names[level]);
	jbuf_key_str(&b, "msg", msg);
	va_list ap;
	va_start(ap, msg);
	for (;;) {
		const char *k = va_arg(ap, const char *);
		if (!k)
			break;
		jbuf_key_str(&b, k, va_arg(ap, const char *));
	}
	va_end(ap);
	jbuf_obj_close(&b);
	jbuf_putc(&b, '\n');
	if (!b.err) {
		ssize_t r = write(STDERR_FILENO, b.p, b.n);
		(void)r;
	}
	jbuf_free(&b);
}
