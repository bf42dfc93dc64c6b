/* hr_form.c: decodes application/x-www-form-urlencoded bodies into JSON for the HR mapper. */
#include "hooks/hr_form.h"
#include "hooks/sig.h"

#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long hr_form_unescape(struct slice s, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= s.n)
				return -1;
			int hi = hexval(s.p[i + 1]), lo = hexval(s.p[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		out[o++] = c;
	}
	return (long)o;
}

/* Next '&'-separated pair of *rest, split at its first '='; 0 at the end. Empty pairs are skipped. */
static int next_pair(struct slice *rest, struct slice *name, struct slice *value)
{
	while (rest->n && rest->p[0] == '&') {
		rest->p++;
		rest->n--;
	}
	if (!rest->n)
		return 0;
	const char *amp = memchr(rest->p, '&', rest->n);
	size_t n = amp ? (size_t)(amp - rest->p) : rest->n;
	const char *eq = memchr(rest->p, '=', n);
	*name = (struct slice){ rest->p, eq ? (size_t)(eq - rest->p) : n };
	*value = eq ? (struct slice){ eq + 1, n - name->n - 1 } : (struct slice){ rest->p + n, 0 };
	rest->p += n;
	rest->n -= n;
	return 1;
}

/* Decodes one pair into buf (body-sized); name and value then point into it. */
static int decode_pair(struct slice name, struct slice value, char *buf, struct slice *dn, struct slice *dv)
{
	long a = hr_form_unescape(name, buf);
	long b = a < 0 ? -1 : hr_form_unescape(value, buf + a);
	if (b < 0)
		return -1;
	*dn = (struct slice){ buf, (size_t)a };
	*dv = (struct slice){ buf + a, (size_t)b };
	return 0;
}

/* Appends the decoded value of the first field named field; 1 when found, 0 when not, -1 when bad. */
static int put_field(struct slice body, const char *field, char *buf, struct jbuf *out)
{
	struct slice n, v, dn, dv;
	while (next_pair(&body, &n, &v)) {
		if (decode_pair(n, v, buf, &dn, &dv) < 0)
			return -1;
		if (slice_eq_cstr(dn, field)) {
			jbuf_put(out, dv.p, dv.n);
			return 1;
		}
	}
	return 0;
}

static int put_object(struct slice body, char *buf, struct jbuf *out)
{
	struct slice n, v, dn, dv;
	jbuf_obj_open(out);
	while (next_pair(&body, &n, &v)) {
		if (decode_pair(n, v, buf, &dn, &dv) < 0)
			return -1;
		jbuf_elem(out);
		jbuf_strn(out, dn.p, dn.n);
		jbuf_putc(out, ':');
		jbuf_strn(out, dv.p, dv.n);
	}
	jbuf_obj_close(out);
	return 0;
}

int hr_form_to_json(struct slice body, const char *field, struct jbuf *out, char *err, size_t errlen)
{
	char *buf = malloc(body.n + 1);
	if (!buf)
		return sig_fail(err, errlen, "out of memory");
	int rc = field ? put_field(body, field, buf, out) : 0;
	if (rc == 0)
		rc = put_object(body, buf, out);
	free(buf);
	if (rc < 0)
		return sig_fail(err, errlen, "form body has invalid percent-encoding");
	if (out->err)
		return sig_fail(err, errlen, "out of memory");
	return 0;
}
