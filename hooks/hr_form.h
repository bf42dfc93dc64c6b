/* hr_form.h: application/x-www-form-urlencoded bodies turned into a JSON document for the mapper. */
#ifndef HOOKD_HR_FORM_H
#define HOOKD_HR_FORM_H

#include <stddef.h>

#include "core/jbuf.h"
#include "core/slice.h"

/*
 * Decodes body as name=value pairs joined by '&' ('+' is a space, %XX a byte). When a field named
 * field (e.g. "payload") is present, its decoded value is appended to out as the document (the
 * sender put JSON in it; the caller parses it). Otherwise the fields are appended as one JSON
 * object of strings, in body order; bracketed names nest, as PHP and BambooHR write them:
 * "employees[12345][First Name]=Ann" becomes {"employees":{"12345":{"First Name":"Ann"}}}
 * ("a[]" takes the next free index as its key). field may be NULL for "always the object".
 * Returns 0, or -1 with err filled: bad percent-encoding, nesting deeper than 16, more than 10000
 * fields, a name or value that is not text (%00, bytes that are not UTF-8), two fields that claim
 * the same place (or field given twice), out of memory.
 */
int hr_form_to_json(struct slice body, const char *field, struct jbuf *out, char *err, size_t errlen);

/*
 * Percent-decodes s into out (at least s.n bytes), '+' as space. Returns the decoded length, or -1
 * when a '%' is not followed by two hex digits.
 */
long hr_form_unescape(struct slice s, char *out);

#endif
