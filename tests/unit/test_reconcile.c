/* test_reconcile.c: the reconciler's configuration: off, bounds, and the filter from reconcile_types plus the rules. */
#include "hooks/reconcile.h"

#include <string.h>

#include "check.h"
#include "core/config.h"
#include "handlers/rules.h"

/* Reads text; returns what reconcile_opts_from_config returned, o filled on 0. */
static int opts(const char *text, struct reconcile_opts *o)
{
	struct config *c = config_load_string(text, "test.ini");
	struct rules *r = rules_from_config(c, NULL);
	int rc = r ? reconcile_opts_from_config(c, r, o) : -1;
	rules_free(r);
	config_free(c);
	return rc;
}

int main(void)
{
	struct reconcile_opts o;
	CHECK(opts("", &o) == 0);
	CHECK(o.every_ms == 300000 && o.overlap_ms == 600000 && o.lookback_ms == 3600000 && o.grace_ms == 30000 &&
	      o.lease_ms == 120000);
	CHECK(o.filter && strncmp(o.filter, "eventType eq \"user.lifecycle.create\" or ", 40) == 0);
	CHECK(o.filter && strstr(o.filter, "eventType eq \"system.email.delivery\""));
	reconcile_opts_free(&o);
	CHECK(o.filter == NULL);

	CHECK(opts("[okta]\nreconcile_every = off\n", &o) == 0 && o.every_ms == 0);
	reconcile_opts_free(&o);
	CHECK(opts("[okta]\nreconcile_every = 750ms\nreconcile_lookback = 2d\n", &o) == 0);
	CHECK(o.every_ms == 750 && o.lookback_ms == 2 * 86400000LL);
	reconcile_opts_free(&o);

	/* the rules' okta types join the list, once; other sources and "*" do not */
	CHECK(opts("[okta]\nreconcile_types = user.lifecycle.create\n"
		   "[rule a]\non = okta:user.lifecycle.create\ndo = send_activation\n"
		   "[rule b]\non = okta:user.account.update_profile\ndo = update_profile\n"
		   "[rule c]\non = okta:*\ndo = update_profile\n",
		   &o) == 0);
	CHECK_STR(o.filter, "eventType eq \"user.lifecycle.create\" or eventType eq \"user.account.update_profile\"");
	reconcile_opts_free(&o);

	/* refused */
	CHECK(opts("[okta]\nreconcile_every = sometimes\n", &o) == -1);
	CHECK(opts("[okta]\nreconcile_every = 10ms\n", &o) == -1);
	CHECK(opts("[okta]\nreconcile_every = 2d\n", &o) == -1);
	CHECK(opts("[okta]\nreconcile_lookback = 91d\n", &o) == -1);
	CHECK(opts("[okta]\nreconcile_lease = 10ms\n", &o) == -1);
	CHECK(opts("[okta]\nreconcile_overlap = soon\n", &o) == -1);
	CHECK(opts("[okta]\nreconcile_types = user\" or actor.id pr or x eq \"y\n", &o) == -1);
	return check_report("test_reconcile");
}
