/* Configuration file parser: unbound.conf-like "key: value" lines, validated into an immutable
 * struct rw_config. Every error names the file and line so that `rootwalkd -n` is useful. */
#include <ldns/ldns.h>

#include "rootwalk/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RW_CONFIG_MAX_FILE  (1024 * 1024)
#define RW_CONFIG_MAX_VALUE 4096
#define RW_TTL_MAX	    2147483647u /* RFC 2181 8: TTLs are 31-bit */

struct parser {
	const char *name;
	size_t line;
	char *err;
	size_t errlen;
	struct rw_config *cfg;
	size_t min_ttl_line, max_ttl_line;
	size_t ip_line;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->err == NULL || p->errlen == 0)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "%s:%zu: ", p->name, p->line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	/* Whatever was quoted, no byte outside printable ASCII reaches the operator's terminal. */
	for (char *c = p->err; *c != '\0'; c++)
		if (*c < 0x20 || *c >= 0x7f)
			*c = '?';
	return -EINVAL;
}

/* Copy a value for quoting in an error message: bounded, with control characters replaced so
 * that a hostile file cannot put escape sequences on the operator's terminal. */
static const char *shown(const char *s, char *buf, size_t cap)
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

static void set_defaults(struct rw_config *cfg)
{
	cfg->trace_format = RW_TRACE_TEXT;
	cfg->do_not_query_localhost = true;
	cfg->do_ip4 = true;
	cfg->do_ip6 = true;
	cfg->cache_max_ttl = 86400;
	cfg->cache_min_ttl = 0;
	cfg->cache_max_negative_ttl = 3600;
	cfg->cache_size = (size_t)64 << 20;
	cfg->qname_minimisation = true;
	cfg->local_zones = true;
	cfg->use_caps_for_id = false;
	cfg->max_subresolution_depth = 6;
	cfg->infra_ttl = 900;
	cfg->control_socket_mode = 0600;
	cfg->max_cname_chain = 11;
	cfg->max_ns_lookups = 5;
	cfg->max_upstream_queries = 50;
	cfg->upstream_timeout_ms = 800;
	cfg->query_budget_ms = 10000;
	cfg->upstream_port = 53;
}

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
	set_defaults(cfg);
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
	free(cfg);
}

/* Strict unsigned decimal: digits only, no sign, no spaces, no trailing junk. */
static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
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

		if (parse_u32(at + 1, 1, 65535, &v) < 0)
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

static int set_string(struct parser *p, const char *key, const char *val, char **dst)
{
	char *copy;

	if (*val == '\0')
		return fail(p, "%s: missing value", key);
	copy = strdup(val);
	if (copy == NULL) {
		fail(p, "%s: out of memory", key);
		return -ENOMEM;
	}
	/* Duplicates are not an error: the last one wins, as in unbound. */
	free(*dst);
	*dst = copy;
	return 0;
}

static int set_bool(struct parser *p, const char *key, const char *val, bool *dst)
{
	char buf[80];

	if (strcmp(val, "yes") == 0)
		*dst = true;
	else if (strcmp(val, "no") == 0)
		*dst = false;
	else
		return fail(p, "%s: expected 'yes' or 'no', got '%s'", key,
			    shown(val, buf, sizeof(buf)));
	return 0;
}

static int set_number(struct parser *p, const char *key, const char *val, uint32_t lo, uint32_t hi,
		      uint32_t *dst)
{
	char buf[80];
	int rc = parse_u32(val, lo, hi, dst);

	if (rc == -EINVAL)
		return fail(p, "%s: '%s' is not a number", key, shown(val, buf, sizeof(buf)));
	if (rc < 0)
		return fail(p, "%s: %s is out of range (%u..%u)", key, shown(val, buf, sizeof(buf)),
			    lo, hi);
	return 0;
}

/* A size in bytes with an optional k, m or g suffix (powers of 1024), as in unbound.conf. */
static int set_size(struct parser *p, const char *key, const char *val, size_t lo, size_t hi,
		    size_t *dst)
{
	char buf[80], num[32];
	size_t n = strlen(val), mult = 1;
	uint32_t v = 0;

	if (n > 0 && strchr("kKmMgG", val[n - 1]) != NULL) {
		char s = (char)(val[n - 1] | 0x20);
		mult = s == 'k' ? 1024 : s == 'm' ? 1024 * 1024 : (size_t)1024 * 1024 * 1024;
		n--;
	}
	if (n == 0 || n >= sizeof(num))
		return fail(p, "%s: '%s' is not a size", key, shown(val, buf, sizeof(buf)));
	memcpy(num, val, n);
	num[n] = '\0';
	if (parse_u32(num, 0, UINT32_MAX, &v) == -EINVAL)
		return fail(p, "%s: '%s' is not a size", key, shown(val, buf, sizeof(buf)));
	if ((uint64_t)v * mult < lo || (uint64_t)v * mult > hi)
		return fail(p, "%s: %s is out of range (%zu..%zu bytes)", key,
			    shown(val, buf, sizeof(buf)), lo, hi);
	*dst = (size_t)v * mult;
	return 0;
}

/* Split a list on commas and blanks into items of at most cap-1 bytes; calls fn for each. */
static int each_item(struct parser *p, const char *key, const char *val,
		     int (*fn)(struct parser *, struct rw_config *, const char *),
		     struct rw_config *cfg)
{
	char item[300];
	const char *c = val;
	int n = 0;

	while (*c) {
		while (*c == ',' || *c == ' ' || *c == '\t')
			c++;
		size_t len = strcspn(c, ", \t");
		if (len == 0)
			break;
		if (len >= sizeof(item))
			return fail(p, "%s: item too long", key);
		memcpy(item, c, len);
		item[len] = '\0';
		int rc = fn(p, cfg, item);
		if (rc < 0)
			return rc;
		n++;
		c += len;
	}
	return n ? 0 : fail(p, "%s: missing value", key);
}

static void lower_wire(uint8_t *d, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (uint8_t)(d[i] + 32);
}

static int add_trace_name(struct parser *p, struct rw_config *cfg, const char *item)
{
	/* ".net" and "net" and "net." all mean the name net. and everything below it */
	const char *name = item[0] == '.' && item[1] != '\0' ? item + 1 : item;
	ldns_rdf *d = NULL;
	if (cfg->n_trace_names >= RW_CONFIG_MAX_FILTERS)
		return fail(p, "trace-names: too many names (at most %d)", RW_CONFIG_MAX_FILTERS);
	if (ldns_str2rdf_dname(&d, name) != LDNS_STATUS_OK || !d)
		return fail(p, "trace-names: '%s' is not a domain name", item);
	size_t len = ldns_rdf_size(d);
	memcpy(cfg->trace_names[cfg->n_trace_names], ldns_rdf_data(d), len);
	lower_wire(cfg->trace_names[cfg->n_trace_names], len);
	cfg->n_trace_names++;
	ldns_rdf_deep_free(d);
	return 0;
}

static int set_trace_names(struct parser *p, struct rw_config *cfg, const char *val)
{
	cfg->n_trace_names = 0; /* the last line wins, as for other keys */
	return each_item(p, "trace-names", val, add_trace_name, cfg);
}

static int add_trace_client(struct parser *p, struct rw_config *cfg, const char *item)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(item, '/');
	size_t hlen = slash ? (size_t)(slash - item) : strlen(item);
	struct rw_netblock *nb;
	uint32_t prefix;

	if (cfg->n_trace_clients >= RW_CONFIG_MAX_FILTERS)
		return fail(p, "trace-clients: too many netblocks (at most %d)",
			    RW_CONFIG_MAX_FILTERS);
	if (hlen == 0 || hlen >= sizeof(host))
		return fail(p, "trace-clients: '%s' is not an address or netblock", item);
	memcpy(host, item, hlen);
	host[hlen] = '\0';
	nb = &cfg->trace_clients[cfg->n_trace_clients];
	memset(nb, 0, sizeof(*nb));
	struct sockaddr_in *sin = (struct sockaddr_in *)&nb->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&nb->addr;
	unsigned max;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		max = 128;
	} else {
		return fail(p, "trace-clients: '%s' is not an address or netblock", item);
	}
	prefix = max;
	if (slash && parse_u32(slash + 1, 0, max, &prefix) < 0)
		return fail(p, "trace-clients: '%s': prefix length must be 0..%u", item, max);
	nb->prefix = prefix;
	cfg->n_trace_clients++;
	return 0;
}

static int set_trace_clients(struct parser *p, struct rw_config *cfg, const char *val)
{
	cfg->n_trace_clients = 0;
	return each_item(p, "trace-clients", val, add_trace_client, cfg);
}

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

static int add_addr(struct parser *p, const char *key, const char *val, uint16_t default_port,
		    struct rw_sockaddr *arr, size_t *n)
{
	char buf[80];
	int rc;

	if (*n >= RW_CONFIG_MAX_ADDRS)
		return fail(p, "%s: too many addresses (at most %d)", key, RW_CONFIG_MAX_ADDRS);
	/* An outgoing interface only chooses the source address; the port stays ephemeral. */
	if (default_port == 0 && strchr(val, '@') != NULL)
		return fail(p, "%s: '%s': a port cannot be given here", key,
			    shown(val, buf, sizeof(buf)));
	rc = rw_config_parse_addr(val, default_port, &arr[*n]);
	if (rc == -ERANGE)
		return fail(p, "%s: '%s' has an invalid port (1..65535)", key,
			    shown(val, buf, sizeof(buf)));
	if (rc < 0)
		return fail(p, "%s: '%s' is not an IPv4 or IPv6 address", key,
			    shown(val, buf, sizeof(buf)));
	(*n)++;
	return 0;
}

static int apply(struct parser *p, const char *key, const char *val)
{
	struct rw_config *cfg = p->cfg;
	char buf[80];
	uint32_t v;
	int rc;

	if (strcmp(key, "server") == 0) {
		if (*val != '\0')
			return fail(p, "server: unexpected value '%s'",
				    shown(val, buf, sizeof(buf)));
		return 0;
	}
	if (*val == '\0')
		return fail(p, "%s: missing value", key);
	if (strcmp(key, "listen") == 0)
		return add_addr(p, key, val, 53, cfg->listen, &cfg->n_listen);
	if (strcmp(key, "outgoing-interface") == 0)
		return add_addr(p, key, val, 0, cfg->outgoing, &cfg->n_outgoing);
	if (strcmp(key, "root-hints") == 0)
		return set_string(p, key, val, &cfg->root_hints);
	if (strcmp(key, "trace-log") == 0) {
		if (strcmp(val, "off") == 0) {
			free(cfg->trace_log);
			cfg->trace_log = NULL;
			return 0;
		}
		return set_string(p, key, val, &cfg->trace_log);
	}
	if (strcmp(key, "trace-format") == 0) {
		if (strcmp(val, "text") == 0)
			cfg->trace_format = RW_TRACE_TEXT;
		else if (strcmp(val, "json") == 0)
			cfg->trace_format = RW_TRACE_JSON;
		else
			return fail(p, "trace-format: expected 'text' or 'json', got '%s'",
				    shown(val, buf, sizeof(buf)));
		return 0;
	}
	if (strcmp(key, "do-not-query-localhost") == 0)
		return set_bool(p, key, val, &cfg->do_not_query_localhost);
	if (strcmp(key, "do-ip4") == 0 || strcmp(key, "do-ip6") == 0) {
		p->ip_line = p->line;
		return set_bool(p, key, val, key[5] == '4' ? &cfg->do_ip4 : &cfg->do_ip6);
	}
	if (strcmp(key, "cache-max-ttl") == 0) {
		p->max_ttl_line = p->line;
		return set_number(p, key, val, 0, RW_TTL_MAX, &cfg->cache_max_ttl);
	}
	if (strcmp(key, "cache-min-ttl") == 0) {
		p->min_ttl_line = p->line;
		return set_number(p, key, val, 0, RW_TTL_MAX, &cfg->cache_min_ttl);
	}
	if (strcmp(key, "trace-names") == 0)
		return set_trace_names(p, cfg, val);
	if (strcmp(key, "trace-clients") == 0)
		return set_trace_clients(p, cfg, val);
	if (strcmp(key, "trace-only") == 0) {
		if (strcmp(val, "all") == 0)
			cfg->trace_only = RW_TRACE_ALL;
		else if (strcmp(val, "miss") == 0)
			cfg->trace_only = RW_TRACE_MISS;
		else if (strcmp(val, "fail") == 0)
			cfg->trace_only = RW_TRACE_FAIL;
		else
			return fail(p, "trace-only: expected 'all', 'miss' or 'fail', got '%s'",
				    val);
		return 0;
	}
	if (strcmp(key, "control-socket") == 0) {
		if (strcmp(val, "off") == 0 || strcmp(val, "no") == 0) {
			free(cfg->control_socket);
			cfg->control_socket = NULL;
			return 0;
		}
		if (val[0] != '/')
			return fail(p, "control-socket: '%s' is not an absolute path", val);
		if (strlen(val) >= 108)
			return fail(p, "control-socket: path longer than 107 bytes");
		free(cfg->control_socket);
		cfg->control_socket = NULL;
		return set_string(p, key, val, &cfg->control_socket);
	}
	if (strcmp(key, "control-socket-mode") == 0) {
		uint32_t m = 0;
		const char *c = val;
		if (*c == '\0' || strlen(c) > 4)
			return fail(p, "control-socket-mode: '%s' is not an octal mode like 0600",
				    val);
		for (; *c; c++) {
			if (*c < '0' || *c > '7')
				return fail(
					p,
					"control-socket-mode: '%s' is not an octal mode like 0600",
					val);
			m = m * 8 + (uint32_t)(*c - '0');
		}
		if (m & ~0777u)
			return fail(p, "control-socket-mode: %s has bits beyond 0777", val);
		cfg->control_socket_mode = m;
		return 0;
	}
	if (strcmp(key, "control-socket-owner") == 0) {
		free(cfg->control_socket_owner);
		cfg->control_socket_owner = NULL;
		return set_string(p, key, val, &cfg->control_socket_owner);
	}
	if (strcmp(key, "qname-minimisation") == 0)
		return set_bool(p, key, val, &cfg->qname_minimisation);
	if (strcmp(key, "local-zones") == 0)
		return set_bool(p, key, val, &cfg->local_zones);
	if (strcmp(key, "use-caps-for-id") == 0)
		return set_bool(p, key, val, &cfg->use_caps_for_id);
	if (strcmp(key, "max-subresolution-depth") == 0)
		return set_number(p, key, val, 1, 7, &cfg->max_subresolution_depth);
	if (strcmp(key, "infra-ttl") == 0)
		return set_number(p, key, val, 1, 86400, &cfg->infra_ttl);
	if (strcmp(key, "cache-size") == 0)
		return set_size(p, key, val, (size_t)64 << 10, (size_t)64 << 30, &cfg->cache_size);
	if (strcmp(key, "cache-max-negative-ttl") == 0)
		return set_number(p, key, val, 0, RW_TTL_MAX, &cfg->cache_max_negative_ttl);
	if (strcmp(key, "max-cname-chain") == 0)
		return set_number(p, key, val, 0, 64, &cfg->max_cname_chain);
	if (strcmp(key, "max-ns-lookups") == 0)
		return set_number(p, key, val, 0, 64, &cfg->max_ns_lookups);
	if (strcmp(key, "max-upstream-queries") == 0)
		return set_number(p, key, val, 1, 10000, &cfg->max_upstream_queries);
	if (strcmp(key, "upstream-timeout") == 0)
		return set_number(p, key, val, 1, 60000, &cfg->upstream_timeout_ms);
	if (strcmp(key, "query-budget") == 0)
		return set_number(p, key, val, 1, 3600000, &cfg->query_budget_ms);
	if (strcmp(key, "upstream-port") == 0) {
		rc = set_number(p, key, val, 1, 65535, &v);
		if (rc == 0)
			cfg->upstream_port = (uint16_t)v;
		return rc;
	}
	return fail(p, "unknown key '%s'", shown(key, buf, sizeof(buf)));
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int is_key_end(char c)
{
	return is_space(c) || c == ':' || c == '#';
}

/* Split one line (without its newline, NUL-free) into key and value and apply it. */
static int parse_line(struct parser *p, const char *s, size_t n)
{
	char key[64], val[RW_CONFIG_MAX_VALUE];
	char buf[80];
	size_t i = 0, k, v;

	while (i < n && is_space(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return 0;
	for (k = i; i < n && !is_key_end(s[i]); i++)
		;
	if (i == k || i >= n || s[i] != ':')
		return fail(p, "expected 'key: value'");
	if (i - k >= sizeof(key)) {
		/* No key is this long; say which one without copying all of it. */
		memcpy(key, s + k, sizeof(key) - 1);
		key[sizeof(key) - 1] = '\0';
		return fail(p, "unknown key '%s...'", shown(key, buf, sizeof(buf)));
	}
	memcpy(key, s + k, i - k);
	key[i - k] = '\0';
	i++;
	while (i < n && is_space(s[i]))
		i++;
	if (i < n && s[i] == '"') {
		for (v = ++i; i < n && s[i] != '"'; i++)
			;
		if (i >= n)
			return fail(p, "%s: unterminated quoted value", key);
		if (i - v >= sizeof(val))
			return fail(p, "%s: value too long", key);
		memcpy(val, s + v, i - v);
		val[i - v] = '\0';
		for (i++; i < n && is_space(s[i]); i++)
			;
		if (i < n && s[i] != '#')
			return fail(p, "%s: unexpected text after quoted value", key);
		/* An empty quoted value is still a missing value. */
	} else {
		size_t end;

		for (v = i; i < n && s[i] != '#'; i++)
			;
		end = i;
		while (end > v && is_space(s[end - 1]))
			end--;
		if (end - v >= sizeof(val))
			return fail(p, "%s: value too long", key);
		memcpy(val, s + v, end - v);
		val[end - v] = '\0';
	}
	return apply(p, key, val);
}

static int validate(struct parser *p)
{
	struct rw_config *cfg = p->cfg;

	if (cfg->cache_min_ttl > cfg->cache_max_ttl) {
		p->line = p->min_ttl_line > p->max_ttl_line ? p->min_ttl_line : p->max_ttl_line;
		return fail(p, "cache-min-ttl (%u) is larger than cache-max-ttl (%u)",
			    cfg->cache_min_ttl, cfg->cache_max_ttl);
	}
	if (!cfg->do_ip4 && !cfg->do_ip6) {
		p->line = p->ip_line;
		return fail(p, "do-ip4 and do-ip6 cannot both be 'no'");
	}
	if (cfg->n_listen == 0)
		set_default_listen(cfg);
	return 0;
}

int rw_config_parse(const char *text, size_t len, const char *name, struct rw_config **out,
		    char *err, size_t errlen)
{
	struct parser p = {.name = name != NULL ? name : "config", .err = err, .errlen = errlen};
	size_t pos = 0;
	int rc = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (text == NULL && len > 0)
		return fail(&p, "no text");
	p.cfg = calloc(1, sizeof(*p.cfg));
	if (p.cfg == NULL)
		return -ENOMEM;
	set_defaults(p.cfg);
	while (pos < len && rc == 0) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;

		p.line++;
		if (memchr(text + pos, '\0', n) != NULL)
			rc = fail(&p, "NUL byte in line");
		else
			rc = parse_line(&p, text + pos, n);
		pos += n + 1;
	}
	if (rc == 0)
		rc = validate(&p);
	if (rc < 0) {
		rw_config_free(p.cfg);
		return rc;
	}
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
