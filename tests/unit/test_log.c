/* test_log.c: JSON log lines: strings escaped, "#key" values as JSON numbers only when they are numbers. */
#include "check.h"

#include "core/log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Runs one log_info with stderr into a pipe; returns the line. */
static const char *capture(const char *k1, const char *v1, const char *k2, const char *v2)
{
	static char line[1024];
	int p[2], saved = dup(STDERR_FILENO);
	if (pipe(p) != 0)
		return "";
	dup2(p[1], STDERR_FILENO);
	log_info("m", k1, v1, k2, v2);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	ssize_t n = read(p[0], line, sizeof(line) - 1);
	close(p[0]);
	line[n > 0 ? n : 0] = '\0';
	return line;
}

int main(void)
{
	CHECK(strstr(capture("#attempt", "3", "#wait_ms", "-1.5e3"), "\"attempt\":3,\"wait_ms\":-1.5e3}") != NULL);
	/* not numbers: strings, '#' dropped; leading zeros (an employee id) stay a string */
	CHECK(strstr(capture("#job", "0042", "#port", "x1"), "\"job\":\"0042\",\"port\":\"x1\"}") != NULL);
	CHECK(strstr(capture("#a", "1.", "#b", ""), "\"a\":\"1.\",\"b\":\"\"}") != NULL);
	/* a plain key is always a string, even for digits */
	CHECK(strstr(capture("user", "12345", "#n", NULL), "\"user\":\"12345\",\"n\":null}") != NULL);
	CHECK(strstr(capture("k", "a\"b\n", "#z", "0"), "\"k\":\"a\\\"b\\n\",\"z\":0}") != NULL);
	return check_report("log");
}
