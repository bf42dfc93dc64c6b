/* test_pg_text.c: the PostgreSQL text cleaner: valid UTF-8 passes untouched, anything else becomes U+FFFD. */
#include "check.h"

#include "core/log.h"
#include "store/pg_internal.h"

#include <stdlib.h>
#include <string.h>

#define FFFD "\xef\xbf\xbd"

static struct journal_event ev_raw(const char *subject_name, const char *raw, size_t n)
{
	return (struct journal_event){ .source = "okta",
				       .dedupe_key = "k1",
				       .type = "user.lifecycle.create",
				       .subject_name = subject_name,
				       .raw = { raw, n } };
}

/* An event carrying s as subject_name is kept as it is (want NULL), or cleaned to want. */
static void check_name(const char *s, const char *want)
{
	struct pg_owned o = { 0 };
	struct journal_event e = ev_raw(s, "{}", 2);
	const struct journal_event *f = pg_text_fix_event(&o, &e);
	if (!want) {
		CHECK(f == &e);
		CHECK(o.n == 0);
	} else {
		CHECK(f != &e);
		CHECK_STR(f->subject_name, want);
		CHECK(e.subject_name == s);   /* the caller's event is not changed */
		CHECK(f->source == e.source); /* unchanged strings are not copied */
	}
	pg_owned_free(&o);
	CHECK(o.n == 0 && o.p == NULL);
}

static void test_strings(void)
{
	check_name("Ada Lovelace", NULL);
	check_name("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", NULL); /* 2, 3 and 4 byte sequences */
	check_name("caf\xe9", "caf" FFFD);			       /* Latin-1, not UTF-8 */
	check_name("\xc0\xaf", FFFD FFFD);			       /* overlong '/' */
	check_name("\xe0\x80\xaf", FFFD FFFD FFFD);		       /* overlong, 3 bytes */
	check_name("\xed\xa0\x80", FFFD FFFD FFFD);		       /* a surrogate */
	check_name("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);	       /* beyond U+10FFFF */
	check_name("ab\xe2\x82", "ab" FFFD FFFD);		       /* cut short at the end */
	check_name("\xff", FFFD);
}

static void test_raw(void)
{
	static const char raw[] = { '{', '"', 'a', '"', ':', 0, '}' }; /* a NUL PostgreSQL text refuses */
	struct pg_owned o = { 0 };
	struct journal_event e = ev_raw("x", raw, sizeof(raw));
	const struct journal_event *f = pg_text_fix_event(&o, &e);
	CHECK(f != &e);
	CHECK(f->raw.n == sizeof(raw) - 1 + 3);
	CHECK(f->raw.p && memcmp(f->raw.p, "{\"a\":" FFFD "}", f->raw.n) == 0);
	CHECK(f->raw.p && f->raw.p[f->raw.n] == '\0');
	CHECK(f->subject_name == e.subject_name);
	pg_owned_free(&o);

	struct journal_event ok = ev_raw("x", "{\"a\":1}", 7);
	CHECK(pg_text_fix_event(&o, &ok) == &ok);
	struct journal_event none = ev_raw(NULL, NULL, 0); /* NULL fields are left alone */
	CHECK(pg_text_fix_event(&o, &none) == &none);
	CHECK(o.n == 0);
}

static void test_jobs(void)
{
	struct job_spec jobs[2] = { { .action = "send_activation", .subject = "00u1", .params = "{\"n\":\"\xfe\"}" },
				    { .action = "create_user", .subject = "00u2", .job_key = "k" } };
	struct journal_event e = ev_raw("x", "{}", 2);
	e.jobs = jobs;
	e.njobs = 2;
	struct pg_owned o = { 0 };
	const struct journal_event *f = pg_text_fix_event(&o, &e);
	CHECK(f != &e && f->jobs != jobs && f->njobs == 2);
	CHECK_STR(f->jobs[0].params, "{\"n\":\"" FFFD "\"}");
	CHECK(f->jobs[0].action == jobs[0].action);
	CHECK(f->jobs[1].job_key == jobs[1].job_key);
	CHECK_STR(jobs[0].params, "{\"n\":\"\xfe\"}"); /* the caller's jobs are not changed */
	struct pg_owned o2 = { 0 };
	CHECK(pg_text_fix_event(&o2, f) == f); /* a cleaned event needs no second pass */
	pg_owned_free(&o);
	pg_owned_free(&o2);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	test_strings();
	test_raw();
	test_jobs();
	return check_report("pg_text");
}
