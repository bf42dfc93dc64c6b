/* outcall.c: outbound HTTPS calls to event-hook receivers with libcurl. */
#include "sim/outcall.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

#define RESPONSE_MAX (64 * 1024)

void hook_channel_add(struct hook_channel *c, const char *key, const char *val)
{
	c->key = sim_xrealloc(c->key, sizeof(char *) * (size_t)(c->nhdr + 1));
	c->val = sim_xrealloc(c->val, sizeof(char *) * (size_t)(c->nhdr + 1));
	c->key[c->nhdr] = sim_strdup(key);
	c->val[c->nhdr] = sim_strdup(val);
	c->nhdr++;
}

void hook_channel_dup(const struct hook_channel *src, struct hook_channel *dst)
{
	memset(dst, 0, sizeof(*dst));
	dst->uri = sim_strdup(src->uri);
	for (int i = 0; i < src->nhdr; i++)
		hook_channel_add(dst, src->key[i], src->val[i]);
}

void hook_channel_clear(struct hook_channel *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->nhdr; i++) {
		free(c->key[i]);
		free(c->val[i]);
	}
	free(c->key);
	free(c->val);
	free(c->uri);
	memset(c, 0, sizeof(*c));
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	struct outcall_result *res = ud;
	size_t n = size * nmemb;
	size_t room = RESPONSE_MAX - res->len;
	size_t take = n < room ? n : room;
	if (take) {
		res->body = sim_xrealloc(res->body, res->len + take + 1);
		memcpy(res->body + res->len, p, take);
		res->len += take;
		res->body[res->len] = '\0';
	}
	return n;
}

static struct curl_slist *headers_for(const struct hook_channel *ch, const char *xkey, const char *xval, int post)
{
	struct curl_slist *h = NULL;
	char line[4096];
	if (post)
		h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Accept: application/json");
	h = curl_slist_append(h, "Expect:");
	for (int i = 0; i < ch->nhdr; i++) {
		snprintf(line, sizeof(line), "%s: %s", ch->key[i], ch->val[i]);
		h = curl_slist_append(h, line);
	}
	if (xkey) {
		snprintf(line, sizeof(line), "%s: %s", xkey, xval);
		h = curl_slist_append(h, line);
	}
	return h;
}

int outcall_do(const struct hook_channel *ch, const char *method, const char *xkey, const char *xval, const char *body,
	       size_t n, const char *ca_file, long timeout_ms, struct outcall_result *res)
{
	memset(res, 0, sizeof(*res));
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(res->err, sizeof(res->err), "curl_easy_init failed");
		return -1;
	}
	int post = strcmp(method, "POST") == 0;
	struct curl_slist *h = headers_for(ch, xkey, xval, post);
	curl_easy_setopt(c, CURLOPT_URL, ch->uri);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "Okta-Integrations");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, res);
	if (post) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &res->seconds);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	else
		snprintf(res->err, sizeof(res->err), "%s", curl_easy_strerror(rc));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}

void outcall_result_free(struct outcall_result *res)
{
	if (!res)
		return;
	free(res->body);
	res->body = NULL;
	res->len = 0;
}
