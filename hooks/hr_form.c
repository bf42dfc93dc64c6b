/* hr_form.c: decodes application/x-www-form-urlencoded bodies into JSON for the HR mapper. */
#include "core/hex.h"
#include "core/utf8.h"
#include "hooks/hr_form.h"
#include "hooks/sig.h"

#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
			int hi = hex_value(s.p[i + 1]), lo = hex_value(s.p[i + 2]);
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

/* Why a form body was refused; each code below has its message in hr_form_to_json. */
enum form_rc {
	BAD_FORM = -1,
	NO_MEMORY = -2,
	BAD_TEXT = -3,
	TWICE = -4,
};

/* 1 when s is text: valid UTF-8 without NUL (a %00 or a byte that is no UTF-8 is not). */
static int is_text(struct slice s)
{
	return !memchr(s.p, '\0', s.n) && utf8_valid(s.p, s.n);
}

/* Decodes one pair into buf (body-sized); name and value then point into it. */
static int decode_pair(struct slice name, struct slice value, char *buf, struct slice *dn, struct slice *dv)
{
	long a = hr_form_unescape(name, buf);
	long b = a < 0 ? -1 : hr_form_unescape(value, buf + a);
	if (b < 0)
		return BAD_FORM;
	*dn = (struct slice){ buf, (size_t)a };
	*dv = (struct slice){ buf + a, (size_t)b };
	return is_text(*dn) && is_text(*dv) ? 0 : BAD_TEXT;
}

/* Appends the decoded value of the field named field; 1 when found, 0 when not, < 0 when bad or repeated. */
static int put_field(struct slice body, const char *field, char *buf, struct jbuf *out)
{
	struct slice n, v, dn, dv;
	int found = 0;
	while (next_pair(&body, &n, &v)) {
		int rc = decode_pair(n, v, buf, &dn, &dv);
		if (rc < 0)
			return rc;
		if (!slice_eq_cstr(dn, field))
			continue;
		if (found++)
			return TWICE;
		jbuf_put(out, dv.p, dv.n);
	}
	return found;
}

#define MAX_FIELDS 10000

/*
 * The decoded fields as a tree: a node has a value or children, never both. The children are a
 * list in body order (for the JSON) and a tsearch tree by name (for finding one in O(log n): a
 * form of n sibling fields would otherwise cost O(n^2) comparisons).
 */
struct fnode {
	struct slice name; /* first: the index compares nodes and probe slices alike; points at key */
	char *key, *val;
	struct fnode *kids, *last, *next;
	void *index; /* tsearch root over kids, owned by this node; the kids are owned by the list */
	size_t nkids;
};

static int fnode_cmp(const void *a, const void *b)
{
	const struct slice *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* tdestroy's callback: the index only points at nodes the kids list frees. */
static void fnode_keep(void *n)
{
	(void)n;
}

/* Frees the children of n (not n itself). */
static void fnode_free_kids(struct fnode *n)
{
	tdestroy(n->index, fnode_keep);
	for (struct fnode *k = n->kids, *next; k; k = next) {
		next = k->next;
		fnode_free_kids(k);
		free(k->key);
		free(k->val);
		free(k);
	}
}

/* The child of parent named key (an empty key means "the next index"), created when absent. */
static struct fnode *fnode_child(struct fnode *parent, struct slice key)
{
	char idx[24];
	if (key.n == 0) {
		snprintf(idx, sizeof(idx), "%zu", parent->nkids);
		key = slice_cstr(idx);
	}
	void *found = tfind(&key, &parent->index, fnode_cmp);
	if (found)
		return *(struct fnode **)found;
	struct fnode *k = calloc(1, sizeof(*k));
	if (k && (k->key = strndup(key.p, key.n)))
		k->name = (struct slice){ k->key, key.n };
	if (!k || !k->key || !tsearch(k, &parent->index, fnode_cmp)) {
		free(k ? k->key : NULL);
		free(k);
		return NULL;
	}
	if (parent->last)
		parent->last->next = k;
	else
		parent->kids = k;
	parent->last = k;
	parent->nkids++;
	return k;
}

/* Splits "a[b][c]" into segments; a name whose brackets do not close is one segment. */
static int split_name(struct slice name, struct slice *seg, int max)
{
	const char *open = memchr(name.p, '[', name.n);
	if (!open || open == name.p || name.p[name.n - 1] != ']') {
		seg[0] = name;
		return 1;
	}
	int n = 0;
	seg[n++] = (struct slice){ name.p, (size_t)(open - name.p) };
	const char *p = open, *end = name.p + name.n;
	while (p < end) {
		const char *close = *p == '[' ? memchr(p, ']', (size_t)(end - p)) : NULL;
		if (!close || n == max) {
			seg[0] = name;
			return close ? -1 : 1;
		}
		seg[n++] = (struct slice){ p + 1, (size_t)(close - p - 1) };
		p = close + 1;
	}
	return n;
}

/* Puts one decoded field into the tree. 0 when placed; TWICE when another field holds its place. */
static int fnode_put(struct fnode *root, struct slice name, struct slice val)
{
	struct slice seg[16];
	int ns = split_name(name, seg, 16);
	if (ns < 0)
		return BAD_FORM;
	struct fnode *n = root;
	for (int i = 0; i < ns; i++) {
		if (n->val)
			return TWICE;
		if (!(n = fnode_child(n, seg[i])))
			return NO_MEMORY;
	}
	if (n->val || n->kids)
		return TWICE;
	n->val = strndup(val.p, val.n);
	return n->val ? 0 : NO_MEMORY;
}

static void fnode_json(const struct fnode *n, struct jbuf *out)
{
	if (!n->kids) {
		jbuf_str(out, n->val ? n->val : "");
		return;
	}
	jbuf_obj_open(out);
	for (const struct fnode *k = n->kids; k; k = k->next) {
		jbuf_key(out, k->key);
		fnode_json(k, out);
		out->need_comma = 1;
	}
	jbuf_obj_close(out);
}

static int put_object(struct slice body, char *buf, struct jbuf *out)
{
	struct fnode root = { 0 };
	struct slice n, v, dn, dv;
	int rc = 0, count = 0;
	while (rc == 0 && next_pair(&body, &n, &v)) {
		if (++count > MAX_FIELDS)
			rc = BAD_FORM;
		else if ((rc = decode_pair(n, v, buf, &dn, &dv)) == 0 && dn.n)
			rc = fnode_put(&root, dn, dv);
	}
	if (rc == 0) {
		jbuf_obj_open(out);
		for (const struct fnode *k = root.kids; k; k = k->next) {
			jbuf_key(out, k->key);
			fnode_json(k, out);
			out->need_comma = 1;
		}
		jbuf_obj_close(out);
	}
	fnode_free_kids(&root);
	return rc;
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
	if (rc == BAD_FORM)
		return sig_fail(
			err, errlen,
			"form body has invalid percent-encoding, nests deeper than 16 or has more than 10000 fields");
	if (rc == BAD_TEXT)
		return sig_fail(err, errlen,
				"form body has a field name or value that is not text (%%00 or invalid UTF-8)");
	if (rc == TWICE)
		return sig_fail(err, errlen, "form body names a field twice (or a field and its members)");
	if (rc < 0)
		return sig_fail(err, errlen, "out of memory");
	if (out->err)
		return sig_fail(err, errlen, "out of memory");
	return 0;
}
