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

/* 1 when s is a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int json_number(const char *s)
{
	if (!s)
		return 0;
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return 0;
	if (*s == '.') {
		if (!(*++s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* "#key": the value as a JSON number when it is one; any other key, or a non-number: a string. */
static void put_pair(struct jbuf *b, const char *k, const char *v)
{
	if (k[0] == '#' && json_number(v))
		jbuf_key_raw(b, k + 1, v, strlen(v));
	else
		jbuf_key_str(b, k[0] == '#' ? k + 1 : k, v);
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
		put_pair(&b, k, va_arg(ap, const char *));
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
