/* tz.c: a small reader of TZif files (RFC 8536) for scheduling at local times. */
#include "core/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct tzinfo {
	int64_t *when;	    /* transition times */
	unsigned char *idx; /* type index per transition */
	int32_t *utoff;	    /* offset per type */
	unsigned char *isdst;
	uint32_t ntrans, ntypes;
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int valid_zone(const char *z)
{
	if (z[0] == '/' || strstr(z, ".."))
		return 0;
	for (const char *p = z; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-' || *p == '+' || *p == '/'))
			return 0;
	return 1;
}

/* Parses the 64-bit (v2+) block, or the v1 block for version-1 files. */
static int parse(const unsigned char *b, size_t n, struct tzinfo *tz)
{
	if (n < 44 || memcmp(b, "TZif", 4) != 0)
		return -1;
	int v2 = b[4] >= '2';
	uint32_t c[6];
	for (int i = 0; i < 6; i++)
		c[i] = be32(b + 20 + 4 * i);
	size_t tsize = 4;
	const unsigned char *p = b + 44;
	if (v2) {
		size_t v1len = c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
		if (44 + v1len + 44 > n)
			return -1;
		p = b + 44 + v1len;
		if (memcmp(p, "TZif", 4) != 0)
			return -1;
		for (int i = 0; i < 6; i++)
			c[i] = be32(p + 20 + 4 * i);
		p += 44;
		tsize = 8;
	}
	uint32_t timecnt = c[3], typecnt = c[4];
	if (typecnt == 0 || typecnt > 256 || timecnt > 100000 ||
	    (size_t)(p - b) + timecnt * (tsize + 1) + typecnt * 6 > n)
		return -1;
	tz->when = malloc((timecnt ? timecnt : 1) * sizeof(*tz->when));
	tz->idx = malloc(timecnt ? timecnt : 1);
	tz->utoff = malloc(typecnt * sizeof(*tz->utoff));
	tz->isdst = malloc(typecnt);
	if (!tz->when || !tz->idx || !tz->utoff || !tz->isdst)
		return -1;
	for (uint32_t i = 0; i < timecnt; i++)
		tz->when[i] = tsize == 8 ? be64(p + 8 * i) : (int32_t)be32(p + 4 * i);
	p += timecnt * tsize;
	for (uint32_t i = 0; i < timecnt; i++) {
		if (p[i] >= typecnt)
			return -1;
		tz->idx[i] = p[i];
	}
	p += timecnt;
	for (uint32_t i = 0; i < typecnt; i++) {
		tz->utoff[i] = (int32_t)be32(p + 6 * i);
		tz->isdst[i] = p[6 * i + 4];
	}
	tz->ntrans = timecnt;
	tz->ntypes = typecnt;
	return 0;
}

static int32_t offset_at(const struct tzinfo *tz, int64_t t)
{
	if (tz->ntrans == 0 || t < tz->when[0]) {
		for (uint32_t i = 0; i < tz->ntypes; i++)
			if (!tz->isdst[i])
				return tz->utoff[i];
		return tz->utoff[0];
	}
	uint32_t lo = 0, hi = tz->ntrans - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;
		if (tz->when[mid] <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	return tz->utoff[tz->idx[lo]];
}

static int load(const char *zone, struct tzinfo *tz)
{
	const char *dir = getenv("HOOKD_ZONEINFO");
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "/usr/share/zoneinfo", zone);
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	unsigned char *buf = malloc(262144);
	size_t n = buf ? fread(buf, 1, 262144, f) : 0;
	fclose(f);
	int rc = buf ? parse(buf, n, tz) : -1;
	free(buf);
	return rc;
}

int tz_local_to_utc_ms(const char *zone, int y, int m, int d, int hh, int mm, int64_t *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	int64_t local = (int64_t)timegm(&tm);
	if (!zone || !*zone || strcmp(zone, "UTC") == 0 || strcmp(zone, "Etc/UTC") == 0) {
		*out = local * 1000;
		return 0;
	}
	if (!valid_zone(zone))
		return -1;
	struct tzinfo tz;
	memset(&tz, 0, sizeof(tz));
	int rc = load(zone, &tz);
	if (rc == 0) {
		/* Two passes settle the offset; in a gap or overlap this picks the later offset's reading. */
		int64_t t = local - offset_at(&tz, local);
		t = local - offset_at(&tz, t);
		*out = t * 1000;
	}
	free(tz.when);
	free(tz.idx);
	free(tz.utoff);
	free(tz.isdst);
	return rc;
}
