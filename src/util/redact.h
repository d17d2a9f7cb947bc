/* sigsynth: keeping credentials out of what is printed.
 *
 * URLs may carry credentials as userinfo (http://user:password@host/). Every
 * place that prints a URL or stores one in a report shows sx_url_redact()'s
 * copy instead: the password becomes "***", the user name stays so that a
 * wrong account can still be told apart. A userinfo without ':' is often a
 * token used as the user name (https://TOKEN@host), so it is hidden whole. */
#ifndef SX_REDACT_H
#define SX_REDACT_H

#include <stddef.h>

/* Copies url into out (n bytes, always NUL-terminated, cut when short).
 * With a scheme, "u:p@h:1/x" after "://" becomes "u:***@h:1/x" and "t@h"
 * becomes "***@h"; without one (a gRPC target) "u:p@h:4317" becomes
 * "u:***@h:4317"; a URL without '@' is copied unchanged.
 * Everything between "://" (or the start) and the last '@' counts as
 * userinfo, so a password holding an unencoded '/', '?' or '#' is still
 * hidden. Returns out, for use in a printf argument list. */
const char *sx_url_redact(const char *url, char *out, size_t n);

/* 1 when url has userinfo (an '@' as sx_url_redact() sees it), else 0. */
int sx_url_has_userinfo(const char *url);

/* 0, or SX_EINVAL when url is empty or holds a space, a control character
 * (0x00-0x1f, 0x7f) or a byte above 0x7e: such a URL could smuggle a header
 * line into a request, or be shown differently from what is used. */
int sx_url_check(const char *url);

/* Replaces every occurrence of secret in text (in place, NUL-terminated) by
 * "***": for error texts from libraries that might quote what they were
 * given. Secrets shorter than 4 bytes are left alone (they would also hit
 * ordinary words). */
void sx_redact_scrub(char *text, const char *secret);

#endif
