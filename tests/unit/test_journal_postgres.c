/*
 * test_journal_postgres.c: the PostgreSQL journal: the shared contract, then what several instances
 * and a restarting server do (migrations at once, concurrent dedupe, SKIP LOCKED, leases, NOTIFY,
 * reconnect, a COMMIT whose outcome is unknown).
 *
 * Needs PostgreSQL server binaries: uses HOOKD_TEST_PG_URL (scripts/test.sh exports it) and starts a
 * private cluster with scripts/pg-cluster.sh for the restart tests (and for everything when the
 * variable is unset). Fails, never skips, when no server can be had.
 */
#define JOURNAL_CONTRACT_NO_MAIN
#include "test_journal_contract.c"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>

static char own_tmp[64], own_dir[128], own_url[256];
static int own_port;
static const char *src_dir = ".";

static int cluster(const char *cmd, int with_port)
{
	char line[512];
	if (with_port)
		snprintf(line, sizeof(line), "'%s/scripts/pg-cluster.sh' %s '%s' %d >/dev/null", src_dir, cmd, own_dir,
			 own_port);
	else
		snprintf(line, sizeof(line), "'%s/scripts/pg-cluster.sh' %s '%s' >/dev/null", src_dir, cmd, own_dir);
	return system(line) == 0 ? 0 : -1;
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* A cluster only this test uses (it stops and starts it). */
static int own_cluster_start(void)
{
	snprintf(own_tmp, sizeof(own_tmp), "/tmp/hookd-pgtest.XXXXXX");
	if (!mkdtemp(own_tmp) || chmod(own_tmp, 0755) < 0)
		return -1;
	snprintf(own_dir, sizeof(own_dir), "%s/data", own_tmp);
	own_port = free_port();
	snprintf(own_url, sizeof(own_url), "postgresql://postgres@127.0.0.1:%d/postgres", own_port);
	return own_port > 0 ? cluster("start", 1) : -1;
}

static void own_cluster_remove(void)
{
	if (!own_tmp[0])
		return;
	cluster("stop", 0);
	char line[128];
	snprintf(line, sizeof(line), "rm -rf '%s'", own_tmp);
	if (system(line) != 0)
		fprintf(stderr, "could not remove %s\n", own_tmp);
}

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Runs sql on url; the first column of the first row as a number (0 for a command), or -1. */
static int64_t sql_int(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	PQsetNoticeProcessor(c, quiet, NULL);
	int64_t v = -1;
	PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else if (PQresultStatus(r) == PGRES_COMMAND_OK)
		v = 0;
	else
		fprintf(stderr, "sql %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return v;
}

static int db_seq;

/* Drops the databases fresh_db made on admin's server. */
static void drop_dbs(const char *admin)
{
	for (int i = 1; i <= db_seq; i++) {
		char sql[160];
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS hookd_t_%d_%d WITH (FORCE)", (int)getpid(), i);
		sql_int(admin, sql);
	}
}

/* Creates an empty database on the server of admin and writes its URL to out. */
static int fresh_db(const char *admin, char *out, size_t n)
{
	char name[64], sql[160];
	snprintf(name, sizeof(name), "hookd_t_%d_%d", (int)getpid(), ++db_seq);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
	sql_int(admin, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	if (sql_int(admin, sql) < 0)
		return -1;
	const char *host = strstr(admin, "://");
	const char *slash = host ? strchr(host + 3, '/') : NULL;
	const char *query = slash ? strchr(slash, '?') : NULL;
	if (!slash)
		return -1;
	snprintf(out, n, "%.*s/%s%s", (int)(slash - admin), admin, name, query ? query : "");
	return 0;
}

static struct journal *open_url(const char *url, int pool)
{
	struct journal_opts o = { .backend = "postgres", .url = url, .group_commit_max = 256, .pool_size = pool };
	char err[256];
	struct journal *j = journal_open(&o, err, sizeof(err));
	if (!j)
		fprintf(stderr, "postgres open: %s\n", err);
	return j;
}

static struct journal *contract_open_pg(void *ctx)
{
	char url[512];
	if (fresh_db(ctx, url, sizeof(url)) < 0)
		return NULL;
	return open_url(url, 4);
}

/* ---- migrations ---- */

struct opener {
	const char *url;
	struct journal *j;
};

static void *open_thread(void *arg)
{
	struct opener *o = arg;
	o->j = open_url(o->url, 1);
	return NULL;
}

static void test_migrations(const char *admin)
{
	char url[512];
	CHECK(fresh_db(admin, url, sizeof(url)) == 0);
	struct opener o[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		o[i] = (struct opener){ .url = url };
		pthread_create(&t[i], NULL, open_thread, &o[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++) {
		CHECK(o[i].j != NULL);
		journal_close(o[i].j);
	}
	CHECK(sql_int(url, "SELECT count(*) FROM hookd_schema") == 11);
	CHECK(sql_int(url, "SELECT max(version) FROM hookd_schema") == 11);
	struct journal *j = open_url(url, 1); /* a second start migrates nothing */
	CHECK(j != NULL);
	journal_close(j);
	CHECK(sql_int(url, "SELECT count(*) FROM hookd_schema") == 11);
	CHECK(sql_int(url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'jobs_pending_key'") == 1);
	/* migration 6: the indexes of the admin API's filtered listings */
	CHECK(sql_int(url, "SELECT count(*) FROM pg_indexes WHERE indexname IN"
			   " ('events_received', 'events_source', 'jobs_state')") == 3);
	/* migration 9: a person's pending and running jobs, which claims read (migration 7's index stays) */
	CHECK(sql_int(url, "SELECT count(*) FROM pg_indexes WHERE indexname IN"
			   " ('jobs_person_pending', 'jobs_person_running', 'jobs_subject_open')") == 3);
	/* migration 10: raw bodies compressed with lz4 where the server has it (Debian's has) */
	CHECK(sql_int(url, "SELECT (attcompression = CASE WHEN (SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE"
			   " name = 'default_toast_compression') THEN 'l' ELSE '' END)::int FROM pg_attribute WHERE"
			   " attrelid = 'events'::regclass AND attname = 'raw'") == 1);
	/* migration 11: freeing held jobs notifies */
	CHECK(sql_int(url,
		      "SELECT (prosrc LIKE '%pg_notify%')::int FROM pg_proc WHERE proname = 'hookd_jobs_unhold'") == 1);
	/* a version 8 journal's jobs get their person: the event's login, else the subject, folded */
	CHECK(sql_int(url,
		      "DELETE FROM hookd_schema WHERE version >= 9; DROP INDEX jobs_person_pending; DROP INDEX jobs_person_running;"
		      " DROP TRIGGER jobs_person ON jobs; DROP FUNCTION hookd_jobs_person(); DROP TRIGGER jobs_unhold ON jobs;"
		      " CREATE TRIGGER jobs_unhold AFTER UPDATE OF state, run_at_ms, attempts, last_error ON jobs FOR EACH ROW"
		      " EXECUTE FUNCTION hookd_jobs_unhold(); ALTER TABLE jobs DROP COLUMN person;"
		      " INSERT INTO events (id, source, dedupe_key, type, received_ms, subject_id, subject_login, raw)"
		      " VALUES (901, 'okta', 'mig-1', 't', 1, '00uMIG', 'Mig@Example.com', '{}'),"
		      " (902, 'hr:x', 'mig-2', 't', 1, 'E9', NULL, '{}');"
		      " INSERT INTO jobs (id, event_id, action, subject, run_at_ms, created_ms, updated_ms) VALUES"
		      " (901, 901, 'send_activation', '00uMIG', 1, 1, 1), (902, 902, 'create_user', 'Nob@X.org', 1, 1, 1),"
		      " (903, 902, 'create_user', NULL, 1, 1, 1), (904, NULL, 'update_profile', 'Zed', 1, 1, 1)") == 0);
	j = open_url(url, 1);
	CHECK(j != NULL);
	journal_close(j);
	CHECK(sql_int(url, "SELECT max(version) FROM hookd_schema") == 11);
	CHECK(sql_int(url, "SELECT (string_agg(coalesce(person, '-'), ' ' ORDER BY id) ="
			   " 'mig@example.com nob@x.org - zed')::int FROM jobs WHERE id > 900") == 1);
	/* jobs an older hookd inserts without a person (a rolling update) get theirs from the trigger */
	CHECK(sql_int(url,
		      "INSERT INTO jobs (id, event_id, action, subject, run_at_ms, created_ms, updated_ms) VALUES"
		      " (905, 901, 'send_activation', '00uMIG', 1, 1, 1), (906, NULL, 'create_user', 'Old@X.org', 1, 1, 1),"
		      " (907, NULL, 'create_user', NULL, 1, 1, 1)") == 0);
	CHECK(sql_int(url, "SELECT (string_agg(coalesce(person, '-'), ' ' ORDER BY id) ="
			   " 'mig@example.com old@x.org -')::int FROM jobs WHERE id > 904") == 1);

	sql_int(url, "INSERT INTO hookd_schema (version) VALUES (99)");
	struct journal_opts jo = { .backend = "postgres", .url = url };
	char err[256] = "";
	j = journal_open(&jo, err, sizeof(err));
	CHECK(j == NULL && strstr(err, "newer than this hookd knows"));
	journal_close(j);

	jo.url = "postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2";
	j = journal_open(&jo, err, sizeof(err));
	CHECK(j == NULL && strstr(err, "postgres: cannot connect"));
	journal_close(j);
}

/* ---- two instances committing the same deliveries ---- */

#define DEDUPE_KEYS 400

struct committer {
	struct journal *j;
	int offset;
	int stored, dups, errors;
};

static void *commit_thread(void *arg)
{
	struct committer *c = arg;
	for (int i = 0; i < DEDUPE_KEYS; i++) {
		char key[32];
		snprintf(key, sizeof(key), "k-%d", (i + c->offset) % DEDUPE_KEYS);
		struct job_spec js = { .action = "create_user", .rule = "r", .subject = key };
		struct journal_event e = contract_ev("okta", key, &js, 1);
		enum journal_outcome out;
		char err[256];
		if (journal_commit(c->j, &e, 1, &out, err, sizeof(err)) < 0) {
			fprintf(stderr, "commit %s: %s\n", key, err);
			c->errors++;
		} else if (out == JOURNAL_STORED) {
			c->stored++;
		} else {
			c->dups++;
		}
	}
	return NULL;
}

static void test_concurrent_dedupe(const char *admin)
{
	char url[512];
	CHECK(fresh_db(admin, url, sizeof(url)) == 0);
	struct journal *a = open_url(url, 2), *b = open_url(url, 2);
	CHECK(a && b);
	if (!a || !b)
		goto out;
	struct committer c[6];
	pthread_t t[6];
	for (int i = 0; i < 6; i++) {
		c[i] = (struct committer){ .j = i % 2 ? b : a, .offset = (i / 2) * 37 };
		pthread_create(&t[i], NULL, commit_thread, &c[i]);
	}
	int stored = 0, dups = 0, errors = 0;
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		stored += c[i].stored;
		dups += c[i].dups;
		errors += c[i].errors;
	}
	CHECK(errors == 0);
	CHECK(stored == DEDUPE_KEYS);
	CHECK(dups == 5 * DEDUPE_KEYS);
	CHECK(sql_int(url, "SELECT count(*) FROM events") == DEDUPE_KEYS);
	CHECK(sql_int(url, "SELECT count(*) FROM jobs") == DEDUPE_KEYS);
	printf("concurrent dedupe: 6 committers on 2 instances, %d keys: %d stored, %d duplicates, %d errors\n",
	       DEDUPE_KEYS, stored, dups, errors);
out:
	journal_close(a); /* closing writes the redelivery counts still cached */
	journal_close(b);
	if (a && b)
		CHECK(sql_int(url, "SELECT sum(duplicates) FROM events") == 5 * DEDUPE_KEYS);
}

/* A job's person is its event's login, folded, and an erasure (journal_forget) clears it with the rest. */
static void test_person_forgotten(const char *admin)
{
	char url[512], err[256];
	CHECK(fresh_db(admin, url, sizeof(url)) == 0);
	struct journal *j = open_url(url, 1);
	CHECK(j != NULL);
	if (!j)
		return;
	enum journal_outcome out;
	struct job_spec js = { .action = "send_activation",
			       .subject = "00uGIL",
			       .run_at_ms = clock_now_ms() + 86400000 };
	struct journal_event e = contract_ev("okta", "person-gil", &js, 1);
	e.subject_id = "00uGIL", e.subject_login = "Gil@Example.com";
	CHECK(contract_commit1(j, &e, &out) == 0 && out == JOURNAL_STORED);
	CHECK(sql_int(url, "SELECT count(*) FROM jobs WHERE subject = '00uGIL' AND person = 'gil@example.com'") == 1);
	struct journal_forget_result r;
	CHECK(journal_forget(j, "gil@example.com", JOURNAL_FORGET_CANCEL_PENDING, &r, err, sizeof(err)) == 0 &&
	      !r.refused && r.pending == 1);
	journal_close(j);
	CHECK(sql_int(url, "SELECT count(*) FROM jobs WHERE person IS NOT NULL OR subject IS NOT NULL") == 0);
}

/*
 * The echo lookup is a statement of the write's transaction: when it fails (here its table is
 * renamed away), the commit fails and writes nothing, a write that asks for no lookup still
 * commits, and once the table is back the same event is stored and told as hookd's echo.
 */
static void test_echo_lookup_fails(const char *admin)
{
	char url[512], err[256];
	CHECK(fresh_db(admin, url, sizeof(url)) == 0);
	struct journal *j = open_url(url, 2);
	CHECK(j != NULL);
	if (!j)
		return;
	CHECK(journal_request_record(j, "reqMINE", clock_now_ms(), err, sizeof(err)) == 0);
	struct job_spec js = { .action = "send_activation", .rule = "plain", .subject = "00uLook", .unless_echo = 1 };
	struct journal_event e = contract_ev("okta", "lookup-fails", &js, 1);
	e.echo_lookup = 1;
	e.request_id = "reqMINE";
	enum journal_outcome out;
	CHECK(sql_int(url, "ALTER TABLE okta_requests RENAME TO okta_requests_away") == 0);
	err[0] = '\0';
	CHECK(journal_commit(j, &e, 1, &out, err, sizeof(err)) == -1 && err[0] != '\0');
	CHECK(sql_int(url, "SELECT count(*) FROM events") == 0 && sql_int(url, "SELECT count(*) FROM jobs") == 0);
	struct journal_event plain = contract_ev("okta", "lookup-none", &js, 1);
	CHECK(journal_commit(j, &plain, 1, &out, err, sizeof(err)) == 0 && out == JOURNAL_STORED);
	CHECK(sql_int(url, "ALTER TABLE okta_requests_away RENAME TO okta_requests") == 0);
	CHECK(journal_commit(j, &e, 1, &out, err, sizeof(err)) == 0 && out == JOURNAL_STORED_ECHO);
	CHECK(sql_int(url, "SELECT count(*) FROM events") == 2);
	CHECK(sql_int(url, "SELECT count(*) FROM jobs WHERE subject = '00uLook'") == 1); /* the echo's went */
	journal_close(j);
}

/* One call larger than a pipeline chunk, then the same again: all duplicates, no new jobs. */
static void test_big_batch(const char *admin)
{
	char url[512];
	CHECK(fresh_db(admin, url, sizeof(url)) == 0);
	struct journal *j = open_url(url, 1);
	CHECK(j != NULL);
	if (!j)
		return;
	enum {
		N = 1000,
	};
	static struct journal_event ev[N];
	static struct job_spec js[N];
	static char keys[N][16];
	static enum journal_outcome out[N];
	for (int i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "b-%d", (i * 7919) % N);
		js[i] = (struct job_spec){ .action = "create_user",
					   .subject = keys[i],
					   .job_key = i % 10 == 0 ? "only-one" : NULL };
		ev[i] = contract_ev("okta", keys[i], &js[i], 1);
	}
	char err[256];
	CHECK(journal_commit(j, ev, N, out, err, sizeof(err)) == 0);
	int stored = 0;
	for (int i = 0; i < N; i++)
		stored += out[i] == JOURNAL_STORED;
	CHECK(stored == N);
	CHECK(journal_commit(j, ev, N, out, err, sizeof(err)) == 0);
	int dups = 0;
	for (int i = 0; i < N; i++)
		dups += out[i] == JOURNAL_DUPLICATE;
	CHECK(dups == N);
	CHECK(sql_int(url, "SELECT count(*) FROM jobs") == N - N / 10 + 1);
	/* The keyed job carries the last event's data: the key's jobs were applied in the events' order. */
	CHECK(sql_int(url, "SELECT count(*) FROM jobs j JOIN events e ON e.id = j.event_id"
			   " WHERE j.job_key = 'only-one' AND e.dedupe_key = 'b-810'") == 1); /* keys[990] */
	CHECK_STR(keys[990], "b-810");

	/* A bad event fails its own call only, with a clear message; the journal goes on. */
	struct journal_event bad = contract_ev("okta", NULL, NULL, 0);
	enum journal_outcome o1;
	CHECK(journal_commit(j, &bad, 1, &o1, err, sizeof(err)) == -1);
	CHECK(strstr(err, "postgres: insert event") != NULL);
	printf("bad event refused: %s\n", err);
	/* A NUL and an invalid byte in raw become U+FFFD; the rest is kept. */
	const char nulraw[] = "a\0b\xff";
	struct journal_event odd = contract_ev("okta", "odd-raw", NULL, 0);
	odd.raw = (struct slice){ nulraw, sizeof(nulraw) - 1 };
	CHECK(journal_commit(j, &odd, 1, &o1, err, sizeof(err)) == 0 && o1 == JOURNAL_STORED);
	CHECK(sql_int(url, "SELECT count(*) FROM events WHERE raw = U&'a\\FFFDb\\FFFD'") == 1);
	struct journal_event good = contract_ev("okta", "after-bad", NULL, 0);
	CHECK(journal_commit(j, &good, 1, &o1, err, sizeof(err)) == 0 && o1 == JOURNAL_STORED);
	journal_close(j);
}

/* ---- claiming from two instances ---- */

#define CLAIM_JOBS 400

struct claimer {
	struct journal *j;
	char owner[16];
	atomic_int *seen; /* claims per job id */
	int claimed, errors;
};

static void *claim_thread(void *arg)
{
	struct claimer *c = arg;
	for (int empty = 0; empty < 3;) {
		struct job *jobs = NULL;
		size_t n = 0;
		char err[256];
		if (journal_claim(c->j, c->owner, 60000, 7, &jobs, &n, err, sizeof(err)) < 0) {
			fprintf(stderr, "claim: %s\n", err);
			c->errors++;
			break;
		}
		empty = n ? 0 : empty + 1;
		for (size_t i = 0; i < n; i++) {
			if (jobs[i].id > 0 && jobs[i].id <= CLAIM_JOBS)
				atomic_fetch_add(&c->seen[jobs[i].id], 1);
			if (journal_job_finish(c->j, jobs[i].id, c->owner, JOB_DONE, 0, "ok", err, sizeof(err)) != 0)
				c->errors++;
			c->claimed++;
		}
		journal_jobs_free(jobs, n);
	}
	return NULL;
}

/* Two instances (journals with 3 pooled connections each) on a fresh database; -1 when one failed. */
static int open_two(const char *admin, char *url, size_t n, struct journal **a, struct journal **b)
{
	CHECK(fresh_db(admin, url, n) == 0);
	*a = open_url(url, 3);
	*b = open_url(url, 3);
	CHECK(*a && *b);
	return *a && *b ? 0 : -1;
}

#define ORDER_SUBJECTS 4
#define ORDER_EACH 200

/* One claimer of test_subject_order; every claimer shares the per-subject state. */
struct order_claimer {
	struct journal *j;
	char owner[16];
	atomic_int *running; /* jobs of the subject held now, by subject */
	atomic_llong *last;  /* id of the subject's last job claimed */
	atomic_int *subj_of; /* subject of job id */
	atomic_int *done;    /* jobs finished, over all claimers */
	int claimed, overlaps, out_of_order, errors;
};

static void *order_thread(void *arg)
{
	struct order_claimer *c = arg;
	int64_t deadline = clock_now_ms() + 20000;
	while (atomic_load(c->done) < ORDER_SUBJECTS * ORDER_EACH && clock_now_ms() < deadline) {
		struct job *jobs = NULL;
		size_t n = 0;
		char err[256];
		if (journal_claim(c->j, c->owner, 60000, 5, &jobs, &n, err, sizeof(err)) < 0) {
			fprintf(stderr, "claim: %s\n", err);
			c->errors++;
			break;
		}
		if (!n)
			usleep(1000);
		for (size_t i = 0; i < n; i++) {
			if (jobs[i].id < 1 || jobs[i].id > ORDER_SUBJECTS * ORDER_EACH) {
				c->errors++; /* not one of the jobs the test added */
				jobs[i].id = 0;
				continue;
			}
			int s = atomic_load(&c->subj_of[jobs[i].id]);
			c->overlaps += atomic_fetch_add(&c->running[s], 1) != 0;
			c->out_of_order += atomic_exchange(&c->last[s], jobs[i].id) > jobs[i].id;
		}
		for (size_t i = 0; i < n; i++) {
			if (!jobs[i].id)
				continue;
			usleep(300); /* a job's call to Okta */
			atomic_fetch_sub(&c->running[atomic_load(&c->subj_of[jobs[i].id])], 1);
			if (journal_job_finish(c->j, jobs[i].id, c->owner, JOB_DONE, 0, "ok", err, sizeof(err)) != 0)
				c->errors++;
			c->claimed++;
			atomic_fetch_add(c->done, 1);
		}
		journal_jobs_free(jobs, n);
	}
	return NULL;
}

struct bg_claim {
	struct journal *j;
	size_t n;
	int rc;
	atomic_int returned;
};

static void *bg_claim_main(void *arg)
{
	struct bg_claim *c = arg;
	struct job *jobs = NULL;
	char err[256];
	c->rc = journal_claim(c->j, "late", 60000, 5, &jobs, &c->n, err, sizeof(err));
	journal_jobs_free(jobs, c->n);
	atomic_store(&c->returned, 1);
	return NULL;
}

/*
 * The race the claim lock closes: another instance's claim, still uncommitted, takes a subject's
 * later job (its earlier one was not due yet on that instance's clock). A claim that read the
 * table meanwhile would see the later job pending and take the earlier one as well. It waits for
 * the lock instead, then sees the later job running and takes nothing.
 */
static void claim_waits_its_turn(const char *url, struct journal *j)
{
	enum journal_outcome out;
	struct job_spec js[] = { { .action = "create_user", .subject = "race" },
				 { .action = "update_profile", .subject = "race" } };
	struct journal_event e = contract_ev("hr:x", "race-1", js, 2);
	CHECK(contract_commit1(j, &e, &out) == 0);
	PGconn *x = PQconnectdb(url);
	PGresult *r = PQexec(x, "BEGIN; SELECT pg_advisory_xact_lock(448345729893);" /* CLAIM_LOCK in postgres.c */
				" UPDATE jobs SET state = 'running', lease_owner = 'x', lease_expires_ms = 9e15"
				" WHERE id = (SELECT max(id) FROM jobs WHERE subject = 'race')");
	CHECK(PQresultStatus(r) == PGRES_COMMAND_OK && atoi(PQcmdTuples(r)) == 1);
	PQclear(r);
	struct bg_claim c = { .j = j };
	pthread_t t;
	pthread_create(&t, NULL, bg_claim_main, &c);
	/* until the claim waits for the advisory lock, or (without the lock) has returned */
	for (int64_t end = clock_now_ms() + 10000; !atomic_load(&c.returned) && clock_now_ms() < end;) {
		if (sql_int(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") > 0)
			break;
		usleep(10000);
	}
	CHECK(atomic_load(&c.returned) == 0); /* waiting for the lock */
	r = PQexec(x, "COMMIT");
	CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
	PQclear(r);
	pthread_join(t, NULL);
	CHECK(c.rc == 0 && c.n == 0);
	CHECK(sql_int(url, "SELECT count(*) FROM jobs WHERE subject = 'race' AND state = 'running'") == 1);
	PQfinish(x);
}

/*
 * One subject's jobs never run at once, and run in the order they were added, while 6 workers on 2
 * instances claim up to 5 at a time from a backlog of 4 subjects with 200 jobs each (more than a claim reads at once).
 */
static void test_subject_order(const char *admin)
{
	char url[512];
	struct journal *a, *b;
	if (open_two(admin, url, sizeof(url), &a, &b) < 0)
		goto out;
	enum journal_outcome out;
	static atomic_int subj_of[ORDER_SUBJECTS * ORDER_EACH + 1], running[ORDER_SUBJECTS], done;
	static atomic_llong last[ORDER_SUBJECTS];
	for (int i = 0; i < ORDER_SUBJECTS * ORDER_EACH; i++) {
		char key[16], subj[16];
		snprintf(key, sizeof(key), "o-%d", i);
		snprintf(subj, sizeof(subj), "s-%d", i % ORDER_SUBJECTS);
		struct job_spec js = { .action = "update_profile", .subject = subj };
		struct journal_event e = contract_ev("hr:x", key, &js, 1);
		CHECK(contract_commit1(a, &e, &out) == 0);
		atomic_store(&subj_of[i + 1], i % ORDER_SUBJECTS); /* ids start at 1 in a new database */
	}
	struct order_claimer c[6];
	pthread_t t[6];
	for (int i = 0; i < 6; i++) {
		c[i] = (struct order_claimer){
			.j = i % 2 ? b : a, .running = running, .last = last, .subj_of = subj_of, .done = &done
		};
		snprintf(c[i].owner, sizeof(c[i].owner), "w%d", i);
		pthread_create(&t[i], NULL, order_thread, &c[i]);
	}
	int total = 0, overlaps = 0, disorder = 0, errors = 0;
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		total += c[i].claimed;
		overlaps += c[i].overlaps;
		disorder += c[i].out_of_order;
		errors += c[i].errors;
	}
	CHECK(sql_int(url, "SELECT min(id) FROM jobs") == 1);
	CHECK(errors == 0 && total == ORDER_SUBJECTS * ORDER_EACH);
	CHECK(overlaps == 0 && disorder == 0);
	printf("subject order: 6 workers on 2 instances ran %d jobs of %d subjects, %d at once for one subject,"
	       " %d out of order\n",
	       total, ORDER_SUBJECTS, overlaps, disorder);
	claim_waits_its_turn(url, b);
out:
	journal_close(a);
	journal_close(b);
}

static void test_skip_locked(const char *admin)
{
	char url[512];
	struct journal *a, *b;
	if (open_two(admin, url, sizeof(url), &a, &b) < 0)
		goto out;
	enum journal_outcome out;
	for (int i = 0; i < CLAIM_JOBS; i++) {
		char key[16];
		snprintf(key, sizeof(key), "c-%d", i);
		struct job_spec js = { .action = "send_activation", .subject = key };
		struct journal_event e = contract_ev("okta", key, &js, 1);
		CHECK(contract_commit1(i % 2 ? a : b, &e, &out) == 0);
	}
	static atomic_int seen[CLAIM_JOBS + 1];
	struct claimer c[6];
	pthread_t t[6];
	for (int i = 0; i < 6; i++) {
		c[i] = (struct claimer){ .j = i % 2 ? b : a, .seen = seen };
		snprintf(c[i].owner, sizeof(c[i].owner), "w%d", i);
		pthread_create(&t[i], NULL, claim_thread, &c[i]);
	}
	int total = 0, errors = 0, twice = 0, never = 0;
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		total += c[i].claimed;
		errors += c[i].errors;
	}
	for (int i = 1; i <= CLAIM_JOBS; i++) {
		twice += atomic_load(&seen[i]) > 1;
		never += atomic_load(&seen[i]) == 0;
	}
	CHECK(errors == 0);
	CHECK(total == CLAIM_JOBS);
	CHECK(twice == 0 && never == 0);
	CHECK(sql_int(url, "SELECT count(*) FROM jobs WHERE state = 'done' AND attempts = 1") == CLAIM_JOBS);
	printf("skip locked: 6 workers on 2 instances claimed %d of %d jobs, %d twice\n", total, CLAIM_JOBS, twice);

	/* Lease expiry across instances: a's worker "dies", b takes the job over. */
	struct job_spec js = { .action = "create_user", .subject = "lease" };
	struct journal_event e = contract_ev("okta", "lease-1", &js, 1);
	CHECK(contract_commit1(a, &e, &out) == 0);
	struct job *jobs = NULL;
	size_t n = 0;
	char err[256];
	CHECK(journal_claim(a, "a:dead", 50, 1, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	int64_t id = n ? jobs[0].id : 0;
	journal_jobs_free(jobs, n);
	CHECK(journal_claim(b, "b:alive", 60000, 1, &jobs, &n, err, sizeof(err)) == 0 && n == 0);
	usleep(120000);
	CHECK(journal_claim(b, "b:alive", 60000, 1, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && jobs[0].id == id && jobs[0].attempts == 2);
	journal_jobs_free(jobs, n);
	CHECK(journal_job_finish(a, id, "a:dead", JOB_DONE, 0, "late", err, sizeof(err)) == 1);
	CHECK(journal_job_finish(b, id, "b:alive", JOB_DONE, 0, "ok", err, sizeof(err)) == 0);
out:
	journal_close(a);
	journal_close(b);
}

/* ---- the shared rate budget from two instances ---- */

struct taker {
	struct journal *j;
	int went, waited, errors;
};

static void *take_thread(void *arg)
{
	struct taker *t = arg;
	for (int i = 0; i < 60; i++) {
		char err[256];
		int64_t d = journal_rate_take(t->j, "users", 3, 1700000000000, err, sizeof(err));
		if (d == 0)
			t->went++;
		else if (d > 0)
			t->waited++;
		else
			t->errors++;
	}
	return NULL;
}

static void test_rate_shared(const char *admin)
{
	char url[512], err[256];
	struct journal *a, *b;
	if (open_two(admin, url, sizeof(url), &a, &b) < 0)
		goto out;
	struct rate_window w = { .limit = 600, .remaining = 103, .reset_s = 1700000060, .reset_ms = 1700000060000 };
	CHECK(journal_rate_update(a, "users", &w, 1700000000000, err, sizeof(err)) == 0);
	struct taker t[6];
	pthread_t th[6];
	for (int i = 0; i < 6; i++) {
		t[i] = (struct taker){ .j = i % 2 ? b : a };
		pthread_create(&th[i], NULL, take_thread, &t[i]);
	}
	int went = 0, waited = 0, errors = 0;
	for (int i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		went += t[i].went;
		waited += t[i].waited;
		errors += t[i].errors;
	}
	CHECK(errors == 0);
	CHECK(went == 100); /* 103 left, 3 kept in reserve */
	CHECK(waited == 6 * 60 - 100);
	CHECK(journal_rate_read(b, "users", &w, err, sizeof(err)) == 0 && w.remaining == 3);
	printf("shared rate budget: 6 takers on 2 instances, 360 takes of a window with 103 left (reserve 3):"
	       " %d went, %d told to wait\n",
	       went, waited);
out:
	journal_close(a);
	journal_close(b);
}

/* ---- LISTEN/NOTIFY ---- */

struct waiter {
	struct journal *j;
	int64_t timeout_ms;
	atomic_int ready;
	int woken;
	int64_t woke_ns;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	journal_wait_jobs(w->j, 0); /* from here on, no notification is missed */
	atomic_store(&w->ready, 1);
	w->woken = journal_wait_jobs(w->j, w->timeout_ms);
	w->woke_ns = clock_mono_ns();
	return NULL;
}

/* Starts a waiter on j, lets it block, runs act, returns the wake latency in ms (-1: not woken). */
static double wake_latency(struct journal *j, int64_t timeout_ms, void (*act)(void *), void *ctx)
{
	struct waiter w = { .j = j, .timeout_ms = timeout_ms };
	pthread_t t;
	pthread_create(&t, NULL, wait_thread, &w);
	while (!atomic_load(&w.ready))
		usleep(1000);
	usleep(20000);
	int64_t t0 = clock_mono_ns();
	act(ctx);
	pthread_join(t, NULL);
	return w.woken ? (double)(w.woke_ns - t0) / 1e6 : -1;
}

struct commit_act {
	struct journal *j;
	int n;
};

static void act_commit(void *ctx)
{
	struct commit_act *c = ctx;
	char key[32];
	snprintf(key, sizeof(key), "n-%d", c->n++);
	struct job_spec js = { .action = "create_user", .subject = key };
	struct journal_event e = contract_ev("okta", key, &js, 1);
	enum journal_outcome out;
	contract_commit1(c->j, &e, &out);
}

static void act_wake(void *ctx)
{
	journal_wake(ctx);
}

static void act_nothing(void *ctx)
{
	(void)ctx;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

struct finish_act {
	struct journal *j;
	int64_t id;
};

static void act_finish(void *ctx)
{
	struct finish_act *f = ctx;
	char err[256];
	CHECK(journal_job_finish(f->j, f->id, "wa", JOB_DONE, 0, "ok", err, sizeof(err)) == 0);
}

/*
 * A person's next job is held behind the one an instance runs; when that one finishes, an idle
 * worker on the other instance is woken (the unhold trigger's NOTIFY) and claims the next at once,
 * not at its next poll. Woken within the 5 s wait is what counts: without the NOTIFY it times out.
 */
static void test_unhold_wakes(const char *admin)
{
	char url[512], err[256];
	struct journal *a, *b;
	if (open_two(admin, url, sizeof(url), &a, &b) < 0)
		goto out;
	journal_wait_jobs(b, 300); /* b's listener connected (its first connect wakes waiters once) */
	struct job_spec js[2] = { { .action = "update_profile", .rule = "first", .subject = "held-1" },
				  { .action = "update_profile", .rule = "second", .subject = "held-1" } };
	struct journal_event e = contract_ev("hr:x", "held-ev", js, 2);
	enum journal_outcome out;
	CHECK(contract_commit1(a, &e, &out) == 0 && out == JOURNAL_STORED);
	struct job *jobs = NULL;
	size_t n = 0;
	CHECK(journal_claim(a, "wa", 60000, 5, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	int64_t first = n == 1 ? jobs[0].id : 0;
	journal_jobs_free(jobs, n);
	CHECK(journal_claim(b, "wb", 60000, 5, &jobs, &n, err, sizeof(err)) == 0 && n == 0); /* held, now marked */
	journal_jobs_free(jobs, n);
	CHECK(sql_int(url, "SELECT count(*) FROM jobs WHERE held_by IS NOT NULL") == 1);
	/* a finish that frees no held job wakes no one */
	struct job_spec lone = { .action = "update_profile", .subject = "alone-1" };
	struct journal_event le = contract_ev("hr:x", "lone-ev", &lone, 1);
	le.subject_login = "lone@example.com"; /* another person */
	CHECK(contract_commit1(a, &le, &out) == 0);
	journal_wait_jobs(b, 5000); /* the commit's own NOTIFY, so it cannot end the next wait */
	CHECK(journal_claim(a, "wa", 60000, 1, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	struct finish_act lf = { .j = a, .id = n == 1 ? jobs[0].id : 0 };
	journal_jobs_free(jobs, n);
	CHECK(wake_latency(b, 600, act_finish, &lf) < 0);
	struct finish_act f = { .j = a, .id = first };
	double ms = wake_latency(b, 5000, act_finish, &f);
	CHECK(ms >= 0);
	CHECK(journal_claim(b, "wb", 60000, 5, &jobs, &n, err, sizeof(err)) == 0 && n == 1 &&
	      strcmp(jobs[0].rule, "second") == 0);
	journal_jobs_free(jobs, n);
	printf("held job freed on instance a: b woken in %.2f ms\n", ms);
out:
	journal_close(a);
	journal_close(b);
}

static void test_notify(const char *admin)
{
	char url[512];
	CHECK(fresh_db(admin, url, sizeof(url)) == 0);
	struct journal *a = open_url(url, 2), *b = open_url(url, 2);
	CHECK(a && b);
	if (!a || !b)
		goto out;
	/* Let b's listener connect (its first connect wakes waiters once). */
	journal_wait_jobs(b, 300);
	CHECK(wake_latency(b, 400, act_nothing, NULL) < 0); /* nothing: times out */
	struct commit_act c = { .j = a };
	enum {
		ROUNDS = 20,
	};
	double lat[ROUNDS];
	int missed = 0;
	for (int i = 0; i < ROUNDS; i++) {
		lat[i] = wake_latency(b, 5000, act_commit, &c);
		if (lat[i] < 0)
			fprintf(stderr, "round %d: not woken\n", i);
		missed += lat[i] < 0;
	}
	CHECK(missed == 0);
	qsort(lat, ROUNDS, sizeof(lat[0]), cmp_double);
	CHECK(lat[ROUNDS - 1] < 1000);
	printf("LISTEN/NOTIFY: instance b woken by a's commit in median %.2f ms, max %.2f ms (%d rounds)\n",
	       lat[ROUNDS / 2], lat[ROUNDS - 1], ROUNDS);

	/* An event without jobs notifies nobody. */
	struct journal_event e = contract_ev("okta", "no-jobs", NULL, 0);
	enum journal_outcome out;
	struct waiter w = { .j = b, .timeout_ms = 400 };
	pthread_t t;
	pthread_create(&t, NULL, wait_thread, &w);
	while (!atomic_load(&w.ready))
		usleep(1000);
	contract_commit1(a, &e, &out);
	pthread_join(t, NULL);
	CHECK(w.woken == 0);

	double wl = wake_latency(b, 5000, act_wake, b);
	CHECK(wl >= 0 && wl < 100);
	printf("journal_wake: waiter returned in %.2f ms\n", wl);
out:
	journal_close(a);
	journal_close(b);
}

/* ---- the server goes away ---- */

static void test_restart(void)
{
	char url[512], err[256];
	CHECK(fresh_db(own_url, url, sizeof(url)) == 0);
	struct journal *j = open_url(url, 2), *other = open_url(url, 1);
	CHECK(j && other);
	if (!j || !other)
		goto out;
	struct job_spec js = { .action = "create_user", .subject = "r" };
	struct journal_event e1 = contract_ev("okta", "before", &js, 1), e2 = contract_ev("okta", "during", &js, 1);
	enum journal_outcome out;
	CHECK(contract_commit1(j, &e1, &out) == 0 && out == JOURNAL_STORED);
	CHECK(journal_ping(j, err, sizeof(err)) == 0);
	int64_t counts[4];
	CHECK(journal_job_counts(other, counts, err, sizeof(err)) == 0); /* other's pooled connection is open */

	CHECK(cluster("stop", 0) == 0);
	err[0] = '\0';
	CHECK(journal_ping(j, err, sizeof(err)) == -1);
	printf("ping while stopped: %s\n", err);
	CHECK(strstr(err, "postgres") != NULL);
	CHECK(journal_commit(j, &e2, 1, &out, err, sizeof(err)) == -1);
	printf("commit while stopped: %s\n", err);
	struct job *jobs = NULL;
	size_t n = 0;
	CHECK(journal_claim(j, "w", 1000, 1, &jobs, &n, err, sizeof(err)) == -1 && n == 0);
	/* Backoff: attempts while the server is down return at once. */
	int64_t t0 = clock_mono_ns();
	for (int i = 0; i < 50; i++)
		journal_ping(j, err, sizeof(err));
	double fast = (double)(clock_mono_ns() - t0) / 1e6;
	CHECK(fast < 2000);
	printf("50 pings while down took %.1f ms (%s)\n", fast, err);

	CHECK(cluster("start", 1) == 0);
	t0 = clock_mono_ns();
	int up = 0;
	while (!up && clock_mono_ns() - t0 < 15000000000LL) {
		up = journal_ping(j, err, sizeof(err)) == 0;
		if (!up)
			usleep(50000);
	}
	CHECK(up);
	printf("ping recovered %.0f ms after the server was back\n", (double)(clock_mono_ns() - t0) / 1e6);
	/* Pooled connections the restart closed are found closed before use: no statement fails on them. */
	int claim_errors = 0;
	for (int i = 0; i < 6; i++) {
		claim_errors += journal_claim(other, "w", 60000, 1, &jobs, &n, err, sizeof(err)) < 0;
		for (size_t k = 0; k < n; k++)
			claim_errors +=
				journal_job_finish(other, jobs[k].id, "w", JOB_DONE, 0, "ok", err, sizeof(err)) != 0;
		journal_jobs_free(jobs, n);
	}
	CHECK(claim_errors == 0);
	CHECK(contract_commit1(j, &e2, &out) == 0 && out == JOURNAL_STORED);
	CHECK(contract_commit1(j, &e1, &out) == 0 && out == JOURNAL_DUPLICATE);
	CHECK(sql_int(url, "SELECT count(*) FROM events") == 2);

	/*
	 * The other instance's listener is back too: a commit on j wakes it. Its reconnection wakes
	 * waiters by itself, whenever its backoff lets it in: a wait that ends before the commit (a
	 * negative latency) is tried again after a pause, so that the last attempt's NOTIFY, still on its
	 * way, does not end the next wait early in turn.
	 */
	struct commit_act c = { .j = j };
	double lat = -1;
	for (int i = 0; i < 3 && lat < 0; i++) {
		if (i > 0)
			usleep(300000);
		lat = wake_latency(other, 6000, act_commit, &c);
	}
	CHECK(lat >= 0);
	printf("after the restart, NOTIFY reached the other instance in %.1f ms\n", lat);
out:
	journal_close(j);
	journal_close(other);
}

/* ---- a connection killed in the middle of a transaction, and during COMMIT ---- */

struct bg_commit {
	struct journal *j;
	const char *key;
	int rc;
	enum journal_outcome out;
	char err[256];
};

static void *bg_commit_thread(void *arg)
{
	struct bg_commit *c = arg;
	struct journal_event e = contract_ev("okta", c->key, NULL, 0);
	c->rc = journal_commit(c->j, &e, 1, &c->out, c->err, sizeof(c->err));
	return NULL;
}

/* Terminates the hookd backend running a statement like pattern; 1 when one was killed. */
static int kill_backend(const char *url, const char *pattern)
{
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'hookd'"
		 " AND state = 'active' AND query LIKE '%s'",
		 pattern);
	for (int i = 0; i < 200; i++) {
		if (sql_int(url, sql) > 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

static void test_connection_killed(const char *admin)
{
	char url[512];
	CHECK(fresh_db(admin, url, sizeof(url)) == 0);
	struct journal *j = open_url(url, 1);
	CHECK(j != NULL);
	if (!j)
		return;
	sql_int(url, "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS"
		     " $$ BEGIN PERFORM pg_sleep(0.7); RETURN NEW; END $$");
	sql_int(url, "CREATE TRIGGER slow_insert AFTER INSERT ON events FOR EACH ROW"
		     " WHEN (NEW.dedupe_key LIKE 'mid-%') EXECUTE FUNCTION slow()");
	sql_int(url, "CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON events DEFERRABLE INITIALLY DEFERRED"
		     " FOR EACH ROW WHEN (NEW.dedupe_key LIKE 'commit-%') EXECUTE FUNCTION slow()");
	enum journal_outcome out;
	struct journal_event warm = contract_ev("okta", "warm", NULL, 0);
	CHECK(contract_commit1(j, &warm, &out) == 0);

	/* Lost before COMMIT: the server rolled it back, so hookd runs it again on a new connection. */
	struct bg_commit c = { .j = j, .key = "mid-1" };
	pthread_t t;
	pthread_create(&t, NULL, bg_commit_thread, &c);
	CHECK(kill_backend(url, "INSERT INTO events%") == 1);
	pthread_join(t, NULL);
	CHECK(c.rc == 0 && c.out == JOURNAL_STORED);
	CHECK(sql_int(url, "SELECT count(*) FROM events WHERE dedupe_key = 'mid-1' AND duplicates = 0") == 1);

	/* Lost during COMMIT: the outcome is unknown, so the caller hears "not stored" and retries. */
	c = (struct bg_commit){ .j = j, .key = "commit-1" };
	pthread_create(&t, NULL, bg_commit_thread, &c);
	CHECK(kill_backend(url, "COMMIT") == 1);
	pthread_join(t, NULL);
	CHECK(c.rc == -1);
	CHECK(strstr(c.err, "outcome unknown") != NULL);
	printf("commit killed: %s\n", c.err);
	c = (struct bg_commit){ .j = j, .key = "commit-1" };
	bg_commit_thread(&c); /* the sender's retry */
	CHECK(c.rc == 0);
	CHECK(sql_int(url, "SELECT count(*) FROM events WHERE dedupe_key = 'commit-1'") == 1);
	journal_close(j);
}

int main(void)
{
	const char *env_src = getenv("HOOKD_SRC");
	if (env_src && *env_src)
		src_dir = env_src;
	if (own_cluster_start() < 0) {
		fprintf(stderr,
			"FAIL: cannot start a private PostgreSQL cluster with %s/scripts/pg-cluster.sh"
			" (needs the PostgreSQL server binaries and root for runuser)\n",
			src_dir);
		own_cluster_remove();
		return 1;
	}
	const char *shared = getenv("HOOKD_TEST_PG_URL");
	static char admin[256];
	snprintf(admin, sizeof(admin), "%s", shared && *shared ? shared : own_url);
	printf("PostgreSQL under test: %s (restarts on the private cluster %s)\n", admin, own_url);

	contract_run(contract_open_pg, admin);
	test_migrations(admin);
	test_person_forgotten(admin);
	test_echo_lookup_fails(admin);
	test_concurrent_dedupe(admin);
	test_big_batch(admin);
	test_skip_locked(admin);
	test_subject_order(admin);
	test_rate_shared(admin);
	test_notify(admin);
	test_unhold_wakes(admin);
	test_connection_killed(admin);
	test_restart();

	if (strcmp(admin, own_url) != 0)
		drop_dbs(admin);
	own_cluster_remove();
	return check_report("test_journal_postgres");
}
