/* The bottom of the configuration parser: the list of error messages, and the values that
 * several keys share (numbers, addresses, domain names, growing arrays, the nearest word for a
 * suggestion). It calls nothing else of the parser. */
#include <ldns/ldns.h>

#include "config_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room kept after the shown messages for "; 4294967295 more errors". */
#define CFG_TAIL 26

/* Errors. */

static void add_message(struct cfg_parser *p, const char *msg)
{
	size_t len = strlen(msg);

	if (p->n_errors == 1) {
		/* The first message is always there, cut to the buffer if need be. */
		snprintf(p->err, p->errlen, "%s", msg);
		p->errused = len < p->errlen ? len : p->errlen - 1;
		return;
	}
	/* Later ones are whole or counted, so that a message is never cut in the middle. */
	if (p->n_unshown > 0 || p->errused + 2 + len + CFG_TAIL >= p->errlen) {
		p->n_unshown++;
		return;
	}
	memcpy(p->err + p->errused, "; ", 2);
	memcpy(p->err + p->errused + 2, msg, len + 1);
	p->errused += 2 + len;
}

int cfg_fail(struct cfg_parser *p, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	p->n_errors++;
	if (p->err == NULL || p->errlen == 0)
		return -EINVAL;
	n = snprintf(msg, sizeof(msg), "%s:%zu: ", p->name, p->line);
	if (n >= 0 && (size_t)n < sizeof(msg)) {
		va_start(ap, fmt);
		vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	/* Whatever was quoted, no byte outside printable ASCII reaches the operator's terminal,
	 * the log or the control socket's one-line replies. */
	for (char *c = msg; *c != '\0'; c++)
		if (*c < 0x20 || *c >= 0x7f)
			*c = '?';
	add_message(p, msg);
	return -EINVAL;
}

int cfg_oom(struct cfg_parser *p, const char *key)
{
	p->oom = true;
	cfg_fail(p, "%s: out of memory", key);
	return -ENOMEM;
}

void cfg_finish_errors(struct cfg_parser *p)
{
	char tail[CFG_TAIL + 8];
	int n;

	if (p->n_unshown == 0 || p->err == NULL)
		return;
	n = snprintf(tail, sizeof(tail), "; %u more error%s", p->n_unshown,
		     p->n_unshown == 1 ? "" : "s");
	if (n > 0 && p->errused + (size_t)n < p->errlen)
		memcpy(p->err + p->errused, tail, (size_t)n + 1);
}

/* Copy a value for quoting in an error message: bounded, with control characters replaced so
 * that a hostile file cannot put escape sequences on the operator's terminal. */
const char *cfg_shown(const char *s, char *buf, size_t cap)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 4 < cap; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i] != '\0') {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* Values shared by several keys. */

/* Strict unsigned decimal: digits only, no sign, no spaces, no trailing junk. */
int cfg_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	if (v < lo || v > hi)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int rw_config_parse_addr(const char *s, uint16_t default_port, struct rw_sockaddr *sa)
{
	char host[INET6_ADDRSTRLEN + 1];
	struct sockaddr_in *sin;
	struct sockaddr_in6 *sin6;
	const char *at;
	size_t hlen;
	uint16_t port = default_port;

	if (s == NULL || sa == NULL)
		return -EINVAL;
	sin = (struct sockaddr_in *)&sa->ss;
	sin6 = (struct sockaddr_in6 *)&sa->ss;
	at = strrchr(s, '@');
	hlen = at != NULL ? (size_t)(at - s) : strlen(s);
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (at != NULL) {
		uint32_t v;

		if (cfg_parse_u32(at + 1, 1, 65535, &v) < 0)
			return -ERANGE;
		port = (uint16_t)v;
	}
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sa->len = sizeof(*sin);
		return 0;
	}
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sa->len = sizeof(*sin6);
		return 0;
	}
	memset(sa, 0, sizeof(*sa));
	return -EINVAL;
}

int cfg_parse_addr(struct cfg_parser *p, const char *key, const char *val, uint16_t default_port,
		   struct rw_sockaddr *sa)
{
	char buf[CFG_SHOWN];
	int rc;

	/* An outgoing interface only chooses the source address; the port stays ephemeral. */
	if (default_port == 0 && strchr(val, '@') != NULL)
		return cfg_fail(p, "%s: '%s': a port cannot be given here", key,
				cfg_shown(val, buf, sizeof(buf)));
	rc = rw_config_parse_addr(val, default_port, sa);
	if (rc == -ERANGE)
		return cfg_fail(p, "%s: '%s' has an invalid port (1..65535)", key,
				cfg_shown(val, buf, sizeof(buf)));
	if (rc < 0)
		return cfg_fail(p, "%s: '%s' is not an IPv4 or IPv6 address", key,
				cfg_shown(val, buf, sizeof(buf)));
	return 0;
}

int cfg_parse_name(const char *s, uint8_t out[256])
{
	ldns_rdf *d = NULL;
	size_t len;

	if (ldns_str2rdf_dname(&d, s) != LDNS_STATUS_OK || d == NULL)
		return -EINVAL;
	len = ldns_rdf_size(d);
	if (len > 255) {
		ldns_rdf_deep_free(d);
		return -EINVAL;
	}
	memcpy(out, ldns_rdf_data(d), len);
	for (size_t i = 0; i < len; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (uint8_t)(out[i] + 32);
	ldns_rdf_deep_free(d);
	return 0;
}

/* Arrays grow by doubling: room for 4, then 8, 16 and so on. Element n needs more room when n is
 * 0 or a power of two from 4 on. */
void *cfg_grow(void *arr, size_t n, size_t size)
{
	size_t cap;

	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return arr;
	cap = n == 0 ? 4 : n * 2;
	if (cap > SIZE_MAX / size)
		return NULL;
	return realloc(arr, cap * size);
}

/* Suggestions. */

/* Optimal string alignment distance (edits, with swapped neighbours as one), ignoring case. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[64][64];

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			char x = (char)(a[i - 1] | 0x20), y = (char)(b[j - 1] | 0x20);
			size_t best = d[i - 1][j - 1] + (x != y);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && x == (char)(b[j - 2] | 0x20) &&
			    (char)(a[i - 2] | 0x20) == y && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *cfg_nearest(const char *s, const char *const *words)
{
	/* Near enough: at most a quarter of the letters wrong, and at least one may be. */
	size_t limit = strlen(s) / 4 > 0 ? strlen(s) / 4 : 1, best = SIZE_MAX;
	const char *found = NULL;

	for (size_t i = 0; words[i] != NULL; i++) {
		size_t a = strlen(s), b = strlen(words[i]);
		/* Lengths further apart than the limit cannot be near: skip the table. */
		size_t d = (a > b ? a - b : b - a) > limit ? SIZE_MAX : distance(s, words[i]);

		if (d <= limit && d < best) {
			best = d;
			found = words[i];
		}
	}
	return found;
}
