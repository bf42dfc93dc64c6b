/* out.h: what the subcommands print from the journal or from Okta: terminal-safe text and JSON Lines. */
#ifndef HOOKD_CLI_OUT_H
#define HOOKD_CLI_OUT_H

#include <stddef.h>

struct jbuf;

/*
 * Appends s[0..n) to out so that no byte of it can steer a terminal or forge a table row: '\' becomes
 * "\\", newline, carriage return and tab "\n" "\r" "\t", other control bytes (C0, DEL) and bytes
 * that are not UTF-8 "\xHH", and C1 controls, line and paragraph separators and bidirectional
 * overrides "\u{XXXX}". Everything else (printable ASCII and UTF-8) is copied.
 */
void out_escape(struct jbuf *out, const char *s, size_t n);

/*
 * Escaped copies for one table row: each out_safe result is owned by the row and stays valid until
 * out_row_clear. NULL, an out-of-memory copy and a 25th cell of one row print as "-".
 */
struct out_row {
	char *own[24];
	int n;
};
const char *out_safe(struct out_row *r, const char *s);
void out_row_clear(struct out_row *r);

/*
 * "key": followed by stored JSON text: embedded (on one line) when it is one valid JSON value,
 * otherwise written as a JSON string, so a stored body can never change the object around it.
 * NULL writes null.
 */
void out_json_member(struct jbuf *b, const char *key, const char *json);

#endif
