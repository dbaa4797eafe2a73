/* Configuration file parser: unbound.conf-like "key: value" lines and clauses, validated into an
 * immutable struct rw_config. This file reads lines and collects the errors: every error of a
 * file is reported in one pass, each naming the file and line, so that `rootwalkd -n` is
 * useful. The keys themselves are in config_keys.c, the clauses in config_clause.c. */
#include <ldns/ldns.h>

#include "config_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RW_CONFIG_MAX_FILE (1024 * 1024)
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

/* "; N more errors" for those that did not fit, when that fits. */
static void finish_errors(struct cfg_parser *p)
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

/* The config's life. */

static void set_default_listen(struct rw_config *cfg)
{
	/* Both literals are valid, so these cannot fail. */
	(void)rw_config_parse_addr("127.0.0.1", 53, &cfg->listen[0]);
	(void)rw_config_parse_addr("::1", 53, &cfg->listen[1]);
	cfg->n_listen = 2;
}

struct rw_config *rw_config_default(void)
{
	struct rw_config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	cfg_apply_defaults(CFG_SERVER, cfg);
	set_default_listen(cfg);
	return cfg;
}

void rw_config_free(struct rw_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->root_hints);
	free(cfg->trace_log);
	free(cfg->control_socket);
	free(cfg->control_socket_owner);
	cfg_free_clauses(cfg);
	free(cfg);
}

/* The trace filters, asked for every query. */

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, b, bytes) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

static bool wire_at_or_below(const uint8_t *name, size_t len, const uint8_t *zone, size_t zlen)
{
	size_t off = 0;
	while (len - off > zlen) {
		if (name[off] == 0)
			return false;
		off += (size_t)name[off] + 1;
		if (off > len)
			return false;
	}
	if (len - off != zlen)
		return false;
	for (size_t i = 0; i < zlen; i++) {
		uint8_t c = name[off + i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (c != zone[i])
			return false;
	}
	return true;
}

bool rw_config_trace_wanted(const struct rw_config *cfg, const uint8_t *qname, size_t qlen,
			    const struct sockaddr *client)
{
	if (cfg->n_trace_names) {
		bool hit = false;
		for (size_t i = 0; i < cfg->n_trace_names && !hit; i++) {
			const uint8_t *z = cfg->trace_names[i];
			size_t zlen = 0;
			while (z[zlen])
				zlen += (size_t)z[zlen] + 1;
			zlen++;
			hit = wire_at_or_below(qname, qlen, z, zlen);
		}
		if (!hit)
			return false;
	}
	if (cfg->n_trace_clients) {
		if (!client)
			return false;
		for (size_t i = 0; i < cfg->n_trace_clients; i++) {
			const struct rw_netblock *nb = &cfg->trace_clients[i];
			if (client->sa_family != nb->addr.ss_family)
				continue;
			if (client->sa_family == AF_INET &&
			    prefix_match((const uint8_t *)&(
						 (const struct sockaddr_in *)(const void *)client)
						 ->sin_addr,
					 (const uint8_t *)&((const struct sockaddr_in *)&nb->addr)
						 ->sin_addr,
					 nb->prefix))
				return true;
			if (client->sa_family == AF_INET6 &&
			    prefix_match((const uint8_t *)&(
						 (const struct sockaddr_in6 *)(const void *)client)
						 ->sin6_addr,
					 (const uint8_t *)&((const struct sockaddr_in6 *)&nb->addr)
						 ->sin6_addr,
					 nb->prefix))
				return true;
		}
		return false;
	}
	return true;
}

/* Lines. */

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int is_key_end(char c)
{
	return is_space(c) || c == ':' || c == '#';
}

/* A quoted word at s[*i] (on the opening quote, " or ' as in unbound.conf): its start and
 * length; *i moves past the closing quote. */
static int quoted(struct cfg_parser *p, const char *key, const char *s, size_t n, size_t *i,
		  size_t *start, size_t *len)
{
	char q = s[*i];
	size_t j;

	for (j = *i + 1; j < n && s[j] != q; j++)
		;
	if (j >= n)
		return cfg_fail(p, "%s: unterminated quoted value", key);
	*start = *i + 1;
	*len = j - *start;
	*i = j + 1;
	return 0;
}

/* The value of a key with one value: quoted, or running to a '#' less trailing blanks. */
static int value_one(struct cfg_parser *p, const char *key, const char *s, size_t n, char *val)
{
	size_t i = 0, v, len;

	while (i < n && is_space(s[i]))
		i++;
	if (i < n && (s[i] == '"' || s[i] == '\'')) {
		if (quoted(p, key, s, n, &i, &v, &len) < 0)
			return -EINVAL;
		while (i < n && is_space(s[i]))
			i++;
		if (i < n && s[i] != '#')
			return cfg_fail(p, "%s: unexpected text after quoted value", key);
	} else {
		for (v = i; i < n && s[i] != '#'; i++)
			;
		while (i > v && is_space(s[i - 1]))
			i--;
		len = i - v;
	}
	if (len >= CFG_MAX_VALUE)
		return cfg_fail(p, "%s: value too long", key);
	memcpy(val, s + v, len);
	val[len] = '\0';
	/* An empty quoted value is still a missing value. */
	return 0;
}

/* The value of a key of several words ("local-zone: "example." static"), each quoted or not,
 * given to the setter unquoted and joined by single spaces. */
static int value_words(struct cfg_parser *p, const char *key, const char *s, size_t n, char *val)
{
	size_t i = 0, o = 0, v, len;

	for (;;) {
		while (i < n && is_space(s[i]))
			i++;
		if (i >= n || s[i] == '#')
			break;
		if (s[i] == '"' || s[i] == '\'') {
			if (quoted(p, key, s, n, &i, &v, &len) < 0)
				return -EINVAL;
		} else {
			for (v = i; i < n && !is_space(s[i]) && s[i] != '#'; i++)
				;
			len = i - v;
		}
		if (o + len + 2 >= CFG_MAX_VALUE)
			return cfg_fail(p, "%s: value too long", key);
		if (o > 0 && len > 0)
			val[o++] = ' ';
		memcpy(val + o, s + v, len);
		o += len;
	}
	val[o] = '\0';
	return 0;
}

/* A clause line ("forward-zone:"): it closes the clause before it and opens its own. */
static int clause_line(struct cfg_parser *p, const char *key, int clause, const char *s, size_t n)
{
	char val[CFG_MAX_VALUE], buf[CFG_SHOWN];
	int rc = value_one(p, key, s, n, val);

	if (p->zone_open)
		cfg_zone_close(p);
	p->clause = (enum cfg_clause)clause;
	if (rc == 0 && val[0] != '\0')
		rc = cfg_fail(p, "%s: unexpected value '%s'", key,
			      cfg_shown(val, buf, sizeof(buf)));
	if (clause == CFG_FOREIGN)
		return cfg_fail(p,
				"unknown clause '%s:' (an unbound.conf clause that rootwalkd does "
				"not have: its lines are skipped)",
				key);
	if ((clause == CFG_FORWARD || clause == CFG_STUB) && cfg_zone_open(p, p->clause) < 0)
		p->clause = CFG_FOREIGN; /* out of memory, already said: skip its lines */
	return rc;
}

/* Read the value of key k from the rest of its line and set it. */
static int apply(struct cfg_parser *p, const struct cfg_key *k, const char *s, size_t n)
{
	char val[CFG_MAX_VALUE];
	void *obj = p->cfg;
	size_t i = cfg_key_index(k);
	int rc;

	if (k->clause == CFG_FORWARD || k->clause == CFG_STUB)
		obj = &p->cfg->zones[p->cfg->n_zones - 1];
	/* A value of two words may quote each: local-zone: "example." static. */
	if (k->info.type == RW_CONFIG_NAME_TYPE)
		rc = value_words(p, k->info.name, s, n, val);
	else
		rc = value_one(p, k->info.name, s, n, val);
	if (rc == 0 && val[0] == '\0')
		rc = cfg_fail(p, "%s: missing value", k->info.name);
	if (rc == 0)
		rc = k->set(p, k, obj, val);
	/* The checks of the whole file skip keys whose line was refused. */
	if (rc < 0)
		p->failed[i] = true;
	else
		p->seen[i] = p->line;
	return rc;
}

/* Split one line (without its newline, NUL-free) into key and value and apply it. */
static int parse_line(struct cfg_parser *p, const char *s, size_t n)
{
	char key[64], buf[CFG_SHOWN];
	const struct cfg_key *k;
	size_t i = 0, start;
	int clause;

	while (i < n && is_space(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return 0;
	for (start = i; i < n && !is_key_end(s[i]); i++)
		;
	if (i == start || i >= n || s[i] != ':')
		return cfg_fail(p, "expected 'key: value'");
	if (i - start >= sizeof(key)) {
		/* No key is this long; say which one without copying all of it. */
		memcpy(key, s + start, sizeof(key) - 1);
		key[sizeof(key) - 1] = '\0';
		return cfg_fail(p, "unknown key '%s...'", cfg_shown(key, buf, sizeof(buf)));
	}
	memcpy(key, s + start, i - start);
	key[i - start] = '\0';
	i++;
	clause = cfg_clause_of(key);
	if (clause >= 0)
		return clause_line(p, key, clause, s + i, n - i);
	k = cfg_key_find(key, p->clause);
	if (k == NULL) {
		cfg_unknown(p, key, p->clause);
		return -EINVAL;
	}
	return apply(p, k, s + i, n - i);
}

int rw_config_parse(const char *text, size_t len, const char *name, struct rw_config **out,
		    char *err, size_t errlen)
{
	struct cfg_parser p = {
		.name = name != NULL ? name : "config", .err = err, .errlen = errlen};
	size_t pos = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (text == NULL && len > 0)
		return cfg_fail(&p, "no text");
	p.cfg = calloc(1, sizeof(*p.cfg));
	if (p.cfg == NULL)
		return -ENOMEM;
	cfg_apply_defaults(CFG_SERVER, p.cfg);
	/* Every line is read whatever the lines before it were, so that one pass finds every
	 * error. */
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;

		p.line++;
		if (memchr(text + pos, '\0', n) != NULL)
			cfg_fail(&p, "NUL byte in line");
		else
			parse_line(&p, text + pos, n);
		pos += n + 1;
	}
	if (p.zone_open)
		cfg_zone_close(&p);
	cfg_check_server(&p);
	if (p.n_errors > 0) {
		finish_errors(&p);
		rw_config_free(p.cfg);
		return p.oom ? -ENOMEM : -EINVAL;
	}
	/* The first listen line replaced the defaults; none at all keeps them. */
	if (p.cfg->n_listen == 0)
		set_default_listen(p.cfg);
	*out = p.cfg;
	return 0;
}

int rw_config_load(const char *path, struct rw_config **out, char *err, size_t errlen)
{
	char *text;
	size_t len = 0;
	int fd, rc;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	/* One byte more than the limit, to tell "exactly at the limit" from "too large". */
	text = malloc(RW_CONFIG_MAX_FILE + 1);
	if (text == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (len <= RW_CONFIG_MAX_FILE) {
		ssize_t r = read(fd, text + len, RW_CONFIG_MAX_FILE + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			free(text);
			close(fd);
			return rc;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (len > RW_CONFIG_MAX_FILE) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: file too large (more than %d bytes)", path,
				 RW_CONFIG_MAX_FILE);
		free(text);
		return -EFBIG;
	}
	rc = rw_config_parse(text, len, path, out, err, errlen);
	free(text);
	return rc;
}
