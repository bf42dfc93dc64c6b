/* mail.h: hookd's own outbound email (SMTP through libcurl), for activation links it delivers itself. */
#ifndef HOOKD_MAIL_H
#define HOOKD_MAIL_H

#include <stddef.h>

struct config;
struct mailer;

/*
 * Reads [mail] (smtp_url, from, username, password[_file], starttls, ca_file, subject, timeout).
 * Returns 0 with *out set, 1 when [mail] smtp_url is unset (*out NULL: no mail), -1 after reporting
 * problems to c. Free with mailer_free.
 */
int mailer_from_config(struct config *c, struct mailer **out);
/* Mailers are shared by reference: mailer_ref takes one (returns m), mailer_free drops one and the
 * last frees. Both NULL-safe. */
struct mailer *mailer_ref(struct mailer *m);
void mailer_free(struct mailer *m);

/*
 * Sends the activation link url to `to` for the person `name` (may be NULL). Thread-safe (one curl
 * handle per call). Returns 0, or -1 with err filled; err never holds the link. Addresses with
 * CR, LF or angle brackets are refused.
 */
int mailer_send_activation(struct mailer *m, const char *to, const char *name, const char *url, char *err,
			   size_t errlen);

#endif
