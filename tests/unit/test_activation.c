/* test_activation.c: the follow-up schedule, [activation] validation and the Standard Webhooks signature. */
#include "check.h"

#include "core/config.h"
#include "handlers/activation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H (3600 * 1000LL)
#define DAY (24 * H)

static struct config *load(const char *ini)
{
	return config_load_string(ini, "test.ini");
}

static void schedule(void)
{
	struct activation_opts o = { .follow_up = 1, .link_ttl_ms = 7 * DAY, .resend_before_ms = DAY, .at_min = -1 };
	int64_t sent = 1764669600000; /* 2025-12-02T10:00:00Z */
	CHECK(activation_due_ms(&o, sent, NULL) == sent + 6 * DAY);
	CHECK(activation_due_ms(NULL, sent, NULL) == sent + 6 * DAY); /* defaults */
	o.at_min = 9 * 60;					      /* 09:00 local, never after the due time */
	CHECK(activation_due_ms(&o, sent, "UTC") == sent + 6 * DAY - H);
	CHECK(activation_due_ms(&o, sent, "") == sent + 6 * DAY - H);
	/* New York is UTC-5 in December: 09:00 there is 14:00Z, after 10:00Z, so the day before. */
	CHECK(activation_due_ms(&o, sent, "America/New_York") == sent + 5 * DAY + 4 * H);
	/* Tokyo is UTC+9: 09:00 there is 00:00Z of the due day. */
	CHECK(activation_due_ms(&o, sent, "Asia/Tokyo") == sent + 6 * DAY - 10 * H);
	/* An unknown zone falls back to the plain due time rather than failing. */
	int64_t bad = activation_due_ms(&o, sent, "Nowhere/Land");
	CHECK(bad <= sent + 6 * DAY && bad > sent);
	/* A link shorter than a day: at cannot move it before the send. */
	struct activation_opts s = { .follow_up = 1, .link_ttl_ms = 2 * H, .resend_before_ms = H, .at_min = 9 * 60 };
	CHECK(activation_due_ms(&s, sent, "UTC") == sent + H);
}

static void config_checks(void)
{
	struct activation_opts o;
	struct config *c = load("[activation]\nmax_resends = 3\nat = 08:30\n");
	CHECK(c && activation_opts_from_config(c, &o) == 0);
	CHECK(o.follow_up == 1 && o.max_resends == 3 && o.at_min == 8 * 60 + 30 && o.link_ttl_ms == 7 * DAY &&
	      o.resend_before_ms == DAY && !o.notify_url);
	activation_opts_free(&o);
	config_free(c);
	const char *bad[] = {
		"[activation]\nat = 25:00\n",
		"[activation]\nresend_before = 7d\n",
		"[activation]\nnotify_url = https://x.example/hook\n",
		"[activation]\nnotify_url = http://x.example/hook\nnotify_secret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
		"[activation]\nnotify_url = https://x.example/hook\nnotify_secret = not base64!\n",
		"[activation]\nmax_resends = 99\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = load(bad[i]);
		int rc = c && config_error_count(c) == 0 ? activation_opts_from_config(c, &o) : -1;
		CHECK(rc < 0 || config_error_count(c) > 0);
		if (rc == 0)
			activation_opts_free(&o);
		config_free(c);
	}
}

/* The Standard Webhooks specification's own example (standard-webhooks/standard-webhooks, spec). */
static void signature(void)
{
	char out[128];
	const char *body = "{\"test\": 2432232314}";
	CHECK(activation_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
			      body, strlen(body), out, sizeof(out)) == 0);
	CHECK_STR(out, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	CHECK(activation_sign("whsec_***", "m", 1, body, strlen(body), out, sizeof(out)) < 0);
	CHECK(activation_sign(NULL, "m", 1, body, strlen(body), out, sizeof(out)) < 0);
	CHECK(activation_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, body, strlen(body), out, 10) < 0);
	char err[200];
	struct activation_opts none = { 0 };
	CHECK(activation_notify_send(&none, "{\"id\":\"m\",\"body\":\"{}\"}", err, sizeof(err)) < 0);
	struct activation_opts o = { .notify_url = (char *)"https://127.0.0.1:1/x",
				     .notify_secret = (char *)"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
				     .notify_timeout_ms = 1000 };
	CHECK(activation_notify_send(&o, "not json", err, sizeof(err)) < 0);
	CHECK(activation_notify_send(&o, "{\"id\":\"a\\r\\nX: y\",\"body\":\"{}\"}", err, sizeof(err)) < 0);
	CHECK(activation_notify_send(&o, "{\"id\":\"m\",\"body\":\"{}\"}", err, sizeof(err)) == 1); /* refused: retry */
}

int main(void)
{
	schedule();
	config_checks();
	signature();
	printf("activation: %d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}
