/* healthcheck.c: `hookd healthcheck`: asks the local hookd's /healthz, for container and init health checks. */
#include "cli/cli.h"

#include "core/config.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEALTH_TIMEOUT_MS 3000L

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/*
 * The URL of /healthz on the first listener in list ("0.0.0.0:8443,[::]:8443"): a wildcard host
 * becomes the loopback address of its family. Returns 0, or -1 when the value is not host:port.
 */
static int health_url(const char *list, char *out, size_t n)
{
	size_t len = strcspn(list, ",");
	char first[256];
	if (len == 0 || len >= sizeof(first))
		return -1;
	memcpy(first, list, len);
	first[len] = '\0';
	char *colon = strrchr(first, ':');
	if (!colon || colon == first || !colon[1])
		return -1;
	*colon = '\0';
	const char *host = first, *port = colon + 1;
	if (strcmp(host, "0.0.0.0") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "[::]") == 0)
		host = "[::1]";
	int w = snprintf(out, n, "https://%s:%s/healthz", host, port);
	return w > 0 && (size_t)w < n ? 0 : -1;
}

static void usage(FILE *f)
{
	fputs("usage: hookd healthcheck [-c FILE] [--url URL]\n\n"
	      "Asks the hookd on this machine for /healthz (the first [server] listen address; a wildcard\n"
	      "address means loopback) and exits 0 when it answers 200, 1 otherwise, with the reason on\n"
	      "stderr. Made for container and init health checks: no shell or curl needed. It checks that\n"
	      "the process serves TLS, not who it is: the certificate is not verified (it names the public\n"
	      "host, not loopback) and nothing secret is sent.\n\n"
	      "  -c FILE     the configuration (default $HOOKD_CONFIG)\n"
	      "  --url URL   ask this URL instead\n",
	      f);
}

/* Fills url from --url or the configuration; 0, or the exit status for a usage or config problem. */
static int target_url(int argc, char **argv, char *url, size_t n)
{
	const char *url_arg = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
			url_arg = argv[++i];
		else if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			i++;
		else {
			fprintf(stderr, "hookd healthcheck: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (url_arg) {
		if (snprintf(url, n, "%s", url_arg) >= (int)n) {
			fputs("hookd healthcheck: --url is too long\n", stderr);
			return 2;
		}
		return 0;
	}
	struct config *c = cli_load_config(argc, argv);
	if (!c)
		return 2;
	int rc = health_url(config_get(c, "server", NULL, "listen"), url, n);
	config_free(c);
	if (rc < 0) {
		fputs("hookd healthcheck: [server] listen is not host:port\n", stderr);
		return 2;
	}
	return 0;
}

/* GETs url over TLS 1.2+ without verifying the peer; 0 when it answered 200, else 1 (reason printed). */
static int probe(const char *url)
{
	CURL *h = curl_easy_init();
	if (!h) {
		fputs("hookd healthcheck: out of memory\n", stderr);
		return 1;
	}
	char cerr[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, HEALTH_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	CURLcode rc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		fprintf(stderr, "hookd healthcheck: %s: %s\n", url, cerr[0] ? cerr : curl_easy_strerror(rc));
		return 1;
	}
	if (status != 200) {
		fprintf(stderr, "hookd healthcheck: %s answered %ld\n", url, status);
		return 1;
	}
	printf("ok: %s answered 200\n", url);
	return 0;
}

int cli_healthcheck(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	char url[512];
	int rc = target_url(argc, argv, url, sizeof(url));
	return rc ? rc : probe(url);
}
