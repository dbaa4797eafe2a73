/* The keys of rootwalkd.conf: one table with each key's clause, name, type, range, default and
 * a line of documentation, the setters of the server keys, the checks that need the whole
 * file, and the suggestions for keys that do not exist. The man page's key list is checked
 * against this table by tests/unit/test_config.c. */
#include "config_impl.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TTL_MAX 2147483647u /* RFC 2181 8: TTLs are 31-bit */

/* Generic setters: the field at k->off of obj. */

static int set_string(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	char **dst = (char **)((char *)obj + k->off);
	char *copy = strdup(val);

	if (copy == NULL)
		return cfg_oom(p, k->info.name);
	/* Duplicates are not an error: the last one wins, as in unbound. */
	free(*dst);
	*dst = copy;
	return 0;
}

/* The index of val in k->choices, or the message that lists them. */
static int pick(struct cfg_parser *p, const struct cfg_key *k, const char *val)
{
	char list[160] = "", buf[CFG_SHOWN];
	size_t n = 0, len = 0;

	for (n = 0; k->choices[n] != NULL; n++)
		if (strcmp(val, k->choices[n]) == 0)
			return (int)n;
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s'%s'",
					i == 0	    ? ""
					: i + 1 < n ? ", "
						    : " or ",
					k->choices[i]);
	return cfg_fail(p, "%s: expected %s, got '%s'", k->info.name, list,
			cfg_shown(val, buf, sizeof(buf)));
}

static int set_bool(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	int i = pick(p, k, val);

	if (i < 0)
		return i;
	*(bool *)((char *)obj + k->off) = i == 0; /* the choices are "yes", "no" */
	return 0;
}

/* The choice keys' fields are enums numbered as their choices. */
_Static_assert(sizeof(enum rw_trace_format) == sizeof(int), "enum field size");
_Static_assert(sizeof(enum rw_trace_only) == sizeof(int), "enum field size");

static int set_choice(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	int i = pick(p, k, val);

	if (i < 0)
		return i;
	memcpy((char *)obj + k->off, &i, sizeof(i));
	return 0;
}

static int number(struct cfg_parser *p, const struct cfg_key *k, const char *val, uint32_t *v)
{
	char buf[CFG_SHOWN];
	int rc = cfg_parse_u32(val, (uint32_t)k->info.lo, (uint32_t)k->info.hi, v);

	if (rc == -EINVAL)
		return cfg_fail(p, "%s: '%s' is not a number", k->info.name,
				cfg_shown(val, buf, sizeof(buf)));
	if (rc < 0)
		return cfg_fail(p, "%s: %s is out of range (%u..%u)", k->info.name,
				cfg_shown(val, buf, sizeof(buf)), (uint32_t)k->info.lo,
				(uint32_t)k->info.hi);
	return 0;
}

static int set_number(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	uint32_t v;
	int rc = number(p, k, val, &v);

	if (rc == 0)
		*(uint32_t *)((char *)obj + k->off) = v;
	return rc;
}

static int set_port(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	uint32_t v;
	int rc = number(p, k, val, &v); /* the table's range is 1..65535 */

	if (rc == 0)
		*(uint16_t *)((char *)obj + k->off) = (uint16_t)v;
	return rc;
}

/* A size in bytes with an optional k, m or g (powers of 1024) and an optional b after it, in
 * either case, as unbound.conf's sizes: 512k, 100m, 100MB, 1g, 4096b. */
static int set_size(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	char buf[CFG_SHOWN], num[32];
	size_t n = strlen(val), mult = 1;
	uint32_t v = 0;

	if (n > 1 && (val[n - 1] | 0x20) == 'b')
		n--;
	if (n > 0 && strchr("kKmMgG", val[n - 1]) != NULL) {
		char s = (char)(val[n - 1] | 0x20);
		mult = s == 'k' ? 1024 : s == 'm' ? 1024 * 1024 : (size_t)1024 * 1024 * 1024;
		n--;
	}
	if (n == 0 || n >= sizeof(num))
		return cfg_fail(p, "%s: '%s' is not a size", k->info.name,
				cfg_shown(val, buf, sizeof(buf)));
	memcpy(num, val, n);
	num[n] = '\0';
	if (cfg_parse_u32(num, 0, UINT32_MAX, &v) == -EINVAL)
		return cfg_fail(p, "%s: '%s' is not a size", k->info.name,
				cfg_shown(val, buf, sizeof(buf)));
	if ((uint64_t)v * mult < k->info.lo || (uint64_t)v * mult > k->info.hi)
		return cfg_fail(p, "%s: %s is out of range (%zu..%zu bytes)", k->info.name,
				cfg_shown(val, buf, sizeof(buf)), (size_t)k->info.lo,
				(size_t)k->info.hi);
	*(size_t *)((char *)obj + k->off) = (size_t)v * mult;
	return 0;
}

/* Server keys with rules of their own. */

static int add_addr(struct cfg_parser *p, const struct cfg_key *k, const char *val,
		    uint16_t default_port, struct rw_sockaddr *arr, size_t *n)
{
	if (*n >= RW_CONFIG_MAX_ADDRS)
		return cfg_fail(p, "%s: too many addresses (at most %d)", k->info.name,
				RW_CONFIG_MAX_ADDRS);
	if (cfg_parse_addr(p, k->info.name, val, default_port, &arr[*n]) < 0)
		return -EINVAL;
	(*n)++;
	return 0;
}

static int add_listen(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	struct rw_config *cfg = obj;

	return add_addr(p, k, val, 53, cfg->listen, &cfg->n_listen);
}

static int add_outgoing(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	struct rw_config *cfg = obj;

	/* An outgoing interface only chooses the source address; the port stays ephemeral. */
	return add_addr(p, k, val, 0, cfg->outgoing, &cfg->n_outgoing);
}

/* metrics-listen: ADDR@PORT, or off. The port is required: there is no standard one. */
static int set_metrics_listen(struct cfg_parser *p, const struct cfg_key *k, void *obj,
			      const char *val)
{
	struct rw_config *cfg = obj;
	char buf[CFG_SHOWN];

	if (strcmp(val, "off") == 0) {
		memset(&cfg->metrics_listen, 0, sizeof(cfg->metrics_listen));
		return 0;
	}
	if (strchr(val, '@') == NULL)
		return cfg_fail(p, "%s: '%s' needs a port (ADDR@PORT)", k->info.name,
				cfg_shown(val, buf, sizeof(buf)));
	return cfg_parse_addr(p, k->info.name, val, 1, &cfg->metrics_listen);
}

static int set_trace_log(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	struct rw_config *cfg = obj;

	if (strcmp(val, "off") == 0) {
		free(cfg->trace_log);
		cfg->trace_log = NULL;
		return 0;
	}
	return set_string(p, k, obj, val);
}

static int set_control_socket(struct cfg_parser *p, const struct cfg_key *k, void *obj,
			      const char *val)
{
	struct rw_config *cfg = obj;
	char buf[CFG_SHOWN];

	if (strcmp(val, "off") == 0 || strcmp(val, "no") == 0) {
		free(cfg->control_socket);
		cfg->control_socket = NULL;
		return 0;
	}
	if (val[0] != '/')
		return cfg_fail(p, "control-socket: '%s' is not an absolute path",
				cfg_shown(val, buf, sizeof(buf)));
	if (strlen(val) >= 108) /* sun_path, with its NUL */
		return cfg_fail(p, "control-socket: path longer than 107 bytes");
	return set_string(p, k, obj, val);
}

/* chroot: and pidfile: an absolute path, or "" for none. */
static int set_optional_path(struct cfg_parser *p, const struct cfg_key *k, void *obj,
			     const char *val)
{
	char **dst = (char **)((char *)obj + k->off);
	char buf[CFG_SHOWN];

	if (val[0] == '\0') {
		free(*dst);
		*dst = NULL;
		return 0;
	}
	if (val[0] != '/')
		return cfg_fail(p, "%s: '%s' is not an absolute path", k->info.name,
				cfg_shown(val, buf, sizeof(buf)));
	return set_string(p, k, obj, val);
}

static int set_mode(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	char buf[CFG_SHOWN];
	uint32_t m = 0;

	if (strlen(val) > 4)
		return cfg_fail(p, "%s: '%s' is not an octal mode like 0600", k->info.name,
				cfg_shown(val, buf, sizeof(buf)));
	for (const char *c = val; *c != '\0'; c++) {
		if (*c < '0' || *c > '7')
			return cfg_fail(p, "%s: '%s' is not an octal mode like 0600", k->info.name,
					cfg_shown(val, buf, sizeof(buf)));
		m = m * 8 + (uint32_t)(*c - '0');
	}
	if (m & ~0777u)
		return cfg_fail(p, "%s: %s has bits beyond 0777", k->info.name, val);
	*(uint32_t *)((char *)obj + k->off) = m;
	return 0;
}

/* The table. */

static const char *const yes_no[] = {"yes", "no", NULL};
static const char *const formats[] = {"text", "json", NULL};
static const char *const trace_only[] = {"all", "miss", "fail", NULL};

#define KEY(cl, clause, name, type, lo, hi, def, doc, set, obj, field, choices)                    \
	{                                                                                          \
		{clause, name, type, lo, hi, def, doc}, cl, offsetof(obj, field), choices, set,    \
			false                                                                      \
	}
#define SRV(name, type, lo, hi, def, doc, set, field, choices)                                     \
	KEY(CFG_SERVER, "server", name, type, lo, hi, def, doc, set, struct rw_config, field,      \
	    choices)
#define FWD(name, type, def, doc, set, field, choices)                                             \
	KEY(CFG_FORWARD, "forward-zone", name, type, 0, 0, def, doc, set, struct rw_config_zone,   \
	    field, choices)
#define STUB(name, type, def, doc, set, field, choices)                                            \
	KEY(CFG_STUB, "stub-zone", name, type, 0, 0, def, doc, set, struct rw_config_zone, field,  \
	    choices)
/* A path or name that may be given as "" (quoted): none, or for username, stay root. */
#define EMPTY_OK(name, def, doc, set, field)                                                       \
	{                                                                                          \
		{"server", name, RW_CONFIG_STRING, 0, 0, def, doc}, CFG_SERVER,                    \
			offsetof(struct rw_config, field), NULL, set, true                         \
	}
#define BOOL(name, def, doc, field)                                                                \
	SRV(name, RW_CONFIG_BOOL, 0, 0, def, doc, set_bool, field, yes_no)
#define NUM(name, lo, hi, def, doc, field)                                                         \
	SRV(name, RW_CONFIG_NUMBER, lo, hi, def, doc, set_number, field, NULL)

static const struct cfg_key keys[] = {
	SRV("listen", RW_CONFIG_ADDRESS, 0, 0, NULL, "address to answer clients on, repeatable",
	    add_listen, listen, NULL),
	SRV("outgoing-interface", RW_CONFIG_ADDRESS, 0, 0, NULL,
	    "source address of upstream queries, repeatable", add_outgoing, outgoing, NULL),
	SRV("root-hints", RW_CONFIG_STRING, 0, 0, NULL, "zone file of the root servers", set_string,
	    root_hints, NULL),
	SRV("trace-log", RW_CONFIG_STRING, 0, 0, "off", "file for per-query traces, or stderr",
	    set_trace_log, trace_log, NULL),
	SRV("trace-format", RW_CONFIG_CHOICE, 0, 0, "text", "layout of the traces", set_choice,
	    trace_format, formats),
	SRV("trace-names", RW_CONFIG_LIST, 0, 0, NULL, "trace only these names and below",
	    cfg_set_trace_names, trace_names, NULL),
	SRV("trace-clients", RW_CONFIG_LIST, 0, 0, NULL, "trace only these clients' questions",
	    cfg_set_trace_clients, trace_clients, NULL),
	SRV("trace-only", RW_CONFIG_CHOICE, 0, 0, "all", "trace every question, misses or failures",
	    set_choice, trace_only, trace_only),
	BOOL("do-not-query-localhost", "yes", "never ask loopback addresses learned from replies",
	     do_not_query_localhost),
	BOOL("do-ip4", "yes", "use IPv4 upstream", do_ip4),
	BOOL("do-ip6", "yes", "use IPv6 upstream", do_ip6),
	NUM("cache-max-ttl", 0, TTL_MAX, "86400", "largest TTL a cached record keeps (s)",
	    cache_max_ttl),
	NUM("cache-min-ttl", 0, TTL_MAX, "0", "smallest TTL a cached record keeps (s)",
	    cache_min_ttl),
	NUM("cache-max-negative-ttl", 0, TTL_MAX, "3600", "longest a negative answer is cached (s)",
	    cache_max_negative_ttl),
	SRV("cache-size", RW_CONFIG_SIZE, (uint64_t)64 << 10, (uint64_t)64 << 30, "64m",
	    "memory of the cache (bytes)", set_size, cache_size, NULL),
	NUM("max-cname-chain", 0, 64, "11", "CNAME links followed", max_cname_chain),
	NUM("max-ns-lookups", 0, 64, "5", "name-server address lookups one referral may start",
	    max_ns_lookups),
	NUM("max-upstream-queries", 1, 10000, "50", "upstream queries per client query",
	    max_upstream_queries),
	NUM("upstream-timeout", 1, 60000, "800", "longest wait for one upstream reply (ms)",
	    upstream_timeout_ms),
	NUM("query-budget", 1, 3600000, "10000", "time for a whole client query (ms)",
	    query_budget_ms),
	BOOL("qname-minimisation", "yes", "RFC 9156, with a fallback per server",
	     qname_minimisation),
	BOOL("local-zones", "yes", "answer the special-use and locally served zones", local_zones),
	BOOL("use-caps-for-id", "yes", "0x20 case randomisation of upstream questions",
	     use_caps_for_id),
	NUM("max-subresolution-depth", 1, 7, "6", "nesting of name-server address lookups",
	    max_subresolution_depth),
	NUM("infra-ttl", 1, 86400, "900", "how long facts about servers are kept (s)", infra_ttl),
	SRV("control-socket", RW_CONFIG_STRING, 0, 0, RW_DEFAULT_CONTROL_SOCKET,
	    "Unix socket for rootwalk(1), or off", set_control_socket, control_socket, NULL),
	SRV("control-socket-mode", RW_CONFIG_MODE, 0, 0, "0600", "permission bits of the socket",
	    set_mode, control_socket_mode, NULL),
	SRV("control-socket-owner", RW_CONFIG_STRING, 0, 0, NULL, "USER[:GROUP] of the socket",
	    set_string, control_socket_owner, NULL),
	SRV("upstream-port", RW_CONFIG_NUMBER, 1, 65535, "53", "port of authoritative servers",
	    set_port, upstream_port, NULL),
	BOOL("dnssec", "yes", "validate answers with DNSSEC", dnssec),
	SRV("trust-anchor-file", RW_CONFIG_STRING, 0, 0, NULL,
	    "DS or DNSKEY records to trust instead of the root's, repeatable",
	    cfg_set_trust_anchor_file, trust_anchor_files, NULL),
	SRV("domain-insecure", RW_CONFIG_NAME, 0, 0, NULL, "a zone not validated, repeatable",
	    cfg_set_domain_insecure, domain_insecure, NULL),
	BOOL("aggressive-nsec", "yes", "answer from cached NSEC/NSEC3 proofs (RFC 8198)",
	     aggressive_nsec),
	NUM("val-bogus-ttl", 0, 86400, "60", "how long a bogus verdict is kept (s)", val_bogus_ttl),
	SRV("local-zone", RW_CONFIG_NAME_TYPE, 0, 0, NULL, "a local zone and its type",
	    cfg_set_local_zone, lzones, NULL),
	SRV("local-data", RW_CONFIG_RECORD, 0, 0, NULL, "a record served from a local zone",
	    cfg_set_local_data, ldata, NULL),
	/* Running as a service (privdrop.c, runfiles.c in the daemon). */
	EMPTY_OK("username", "rootwalk", "user to run as after binding, \"\" to stay root",
		 set_string, username),
	EMPTY_OK("chroot", NULL, "directory to change root into after binding", set_optional_path,
		 chroot_dir),
	EMPTY_OK("pidfile", NULL, "file the process id is written to", set_optional_path, pidfile),
	/* Access control and rate limits (acl.c, ratelimit.c). */
	SRV("access-control", RW_CONFIG_LIST, 0, 0, NULL,
	    "NETBLOCK deny, refuse, allow or allow_snoop, repeatable", cfg_set_access_control, acl,
	    NULL),
	NUM("ip-ratelimit", 0, 1000000, "0", "UDP queries per second per /24 or /56, 0: off",
	    ip_ratelimit),
	NUM("ip-ratelimit-slip", 0, 1000, "2", "every Nth query over the limit gets TC, 0: none",
	    ip_ratelimit_slip),
	/* Load: every table bounded (issue 13). */
	NUM("num-queries-per-thread", 1, 1000000, "1024", "client queries being resolved at once",
	    num_queries_per_thread),
	NUM("jostle-timeout", 0, 3600000, "200",
	    "when full, a query older than this (ms) makes room for a new one", jostle_timeout_ms),
	NUM("outgoing-range", 16, 60000, "4096", "upstream queries (sockets) in flight at once",
	    outgoing_range),
	NUM("outgoing-num-tcp", 1, 60000, "64", "upstream TCP queries in flight at once",
	    outgoing_num_tcp),
	NUM("incoming-num-tcp", 1, 60000, "256", "client TCP connections open at once",
	    incoming_num_tcp),
	NUM("tcp-connections-per-client", 1, 60000, "32",
	    "client TCP connections from one /32 (IPv4) or /64 (IPv6)", tcp_connections_per_client),
	NUM("infra-cache-numhosts", 16, 10000000, "10000", "servers the infra cache remembers",
	    infra_cache_numhosts),
	/* Metrics (issue 14): the Prometheus endpoint (metrics.c, metrics_http.c). */
	SRV("metrics-listen", RW_CONFIG_ADDRESS, 0, 0, "off",
	    "ADDR@PORT serving /metrics (Prometheus text) over HTTP, or off", set_metrics_listen,
	    metrics_listen, NULL),
	FWD("name", RW_CONFIG_NAME, NULL, "the zone forwarded", cfg_set_zone_name, name, NULL),
	FWD("forward-addr", RW_CONFIG_ADDRESS, NULL, "a server to forward to", cfg_set_zone_addr,
	    addrs, NULL),
	FWD("forward-host", RW_CONFIG_NAME, NULL, "a server to forward to, by name",
	    cfg_set_zone_host, hosts, NULL),
	FWD("forward-first", RW_CONFIG_BOOL, "no", "resolve as usual when the forwarders fail",
	    set_bool, first, yes_no),
	STUB("name", RW_CONFIG_NAME, NULL, "the zone", cfg_set_zone_name, name, NULL),
	STUB("stub-addr", RW_CONFIG_ADDRESS, NULL, "an authoritative server of the zone",
	     cfg_set_zone_addr, addrs, NULL),
	STUB("stub-host", RW_CONFIG_NAME, NULL, "an authoritative server of the zone, by name",
	     cfg_set_zone_host, hosts, NULL),
	STUB("stub-prime", RW_CONFIG_BOOL, "no", "ask the stub servers for the zone's NS set first",
	     set_bool, prime, yes_no),
	STUB("stub-first", RW_CONFIG_BOOL, "no", "resolve as usual when the stub servers fail",
	     set_bool, first, yes_no),
	/* Upstream DNS cookies and 0x20 (issue 13). */
	BOOL("upstream-cookies", "yes",
	     "send DNS cookies (RFC 7873) to authoritative servers, check the echo",
	     upstream_cookies),
	/* Logging and CHAOS answers (issue 13). */
	NUM("verbosity", 0, 4, "1", "0 errors, 1 operational, 2 detailed, 3 queries, 4 algorithm",
	    verbosity),
	SRV("logfile", RW_CONFIG_STRING, 0, 0, "stderr", "log file, 'stderr' or 'syslog'",
	    set_string, logfile, NULL),
	BOOL("log-servfail", "no", "log one line per SERVFAIL with its reason", log_servfail),
	BOOL("hide-version", "no", "refuse version.bind and version.server", hide_version),
	BOOL("hide-identity", "no", "refuse id.server and hostname.bind", hide_identity),
	SRV("identity", RW_CONFIG_STRING, 0, 0, NULL, "answer to id.server (default: host name)",
	    set_string, identity, NULL),
	/* Serve-stale and prefetch (issue 14, RFC 8767). */
	BOOL("serve-expired", "no", "serve expired records when authorities fail", serve_expired),
	NUM("serve-expired-ttl", 1, 604800, "86400", "seconds past expiry served",
	    serve_expired_ttl),
	NUM("serve-expired-client-timeout", 0, 60000, "1800", "ms before a stale answer",
	    serve_expired_client_timeout_ms),
	BOOL("prefetch", "no", "refresh a record asked for in the last 10% of its TTL", prefetch),
	/* dnstap (issue 14): Unbound's names; the output is opened at startup. */
	BOOL("dnstap", "no", "log DNS messages in dnstap format", dnstap),
	SRV("dnstap-socket-path", RW_CONFIG_STRING, 0, 0, NULL, "Frame Streams socket of a reader",
	    set_string, dnstap_socket_path, NULL),
	SRV("dnstap-file", RW_CONFIG_STRING, 0, 0, NULL, "or a file to write the frames to",
	    set_string, dnstap_file, NULL),
	SRV("dnstap-identity", RW_CONFIG_STRING, 0, 0, NULL, "identity put in every message",
	    set_string, dnstap_identity, NULL),
	SRV("dnstap-version", RW_CONFIG_STRING, 0, 0, NULL, "version put in every message",
	    set_string, dnstap_version, NULL),
	BOOL("dnstap-log-client-query-messages", "no", "log queries from clients",
	     dnstap_client_query),
	BOOL("dnstap-log-client-response-messages", "no", "log responses to clients",
	     dnstap_client_response),
	BOOL("dnstap-log-resolver-query-messages", "no", "log queries to authoritative servers",
	     dnstap_resolver_query),
	BOOL("dnstap-log-resolver-response-messages", "no",
	     "log replies from authoritative servers", dnstap_resolver_response),
	/* Worker threads (issue 14, src/daemon/worker.c): unset (0), the online CPUs, at most 8. */
	NUM("num-threads", 1, 64, NULL,
	    "worker threads answering clients (default: the CPUs, <= 8)", num_threads),
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(N_KEYS <= CFG_MAX_KEYS, "CFG_MAX_KEYS is too small for the key table");

const struct rw_config_keyinfo *rw_config_key(size_t i)
{
	return i < N_KEYS ? &keys[i].info : NULL;
}

const struct cfg_key *cfg_key_find(const char *name, enum cfg_clause clause)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (keys[i].clause == clause && strcmp(keys[i].info.name, name) == 0)
			return &keys[i];
	return NULL;
}

size_t cfg_key_index(const struct cfg_key *k)
{
	return (size_t)(k - keys);
}

void cfg_apply_defaults(enum cfg_clause clause, void *obj)
{
	struct cfg_parser quiet = {.name = "default"};

	for (size_t i = 0; i < N_KEYS; i++) {
		if (keys[i].clause != clause || keys[i].info.def == NULL)
			continue;
		/* The defaults are values of the table's own keys: they cannot fail. */
		int rc = keys[i].set(&quiet, &keys[i], obj, keys[i].info.def);
		assert(rc == 0);
		(void)rc;
	}
}

/* The line of the later of two keys, or 0 when neither was given. */
static size_t later(const struct cfg_parser *p, const char *a, const char *b)
{
	size_t la = p->seen[cfg_key_index(cfg_key_find(a, CFG_SERVER))];
	size_t lb = p->seen[cfg_key_index(cfg_key_find(b, CFG_SERVER))];

	return la > lb ? la : lb;
}

static bool refused(const struct cfg_parser *p, const char *a, const char *b)
{
	return p->failed[cfg_key_index(cfg_key_find(a, CFG_SERVER))] ||
	       p->failed[cfg_key_index(cfg_key_find(b, CFG_SERVER))];
}

void cfg_check_server(struct cfg_parser *p)
{
	const struct rw_config *cfg = p->cfg;

	/* Each check names the later of its two lines; a key whose line was refused is left to
	 * that message. */
	if (cfg->cache_min_ttl > cfg->cache_max_ttl &&
	    !refused(p, "cache-min-ttl", "cache-max-ttl")) {
		p->line = later(p, "cache-min-ttl", "cache-max-ttl");
		cfg_fail(p, "cache-min-ttl (%u) is larger than cache-max-ttl (%u)",
			 cfg->cache_min_ttl, cfg->cache_max_ttl);
	}
	if (!cfg->do_ip4 && !cfg->do_ip6 && !refused(p, "do-ip4", "do-ip6")) {
		p->line = later(p, "do-ip4", "do-ip6");
		cfg_fail(p, "do-ip4 and do-ip6 cannot both be 'no'");
	}
}

/* Clauses and suggestions. */

static const char *const clause_names[] = {"server", "forward-zone", "stub-zone"};

/* Clauses of unbound.conf that rootwalkd does not have: reported once, their lines skipped. */
static const char *const foreign_clauses[] = {
	"remote-control", "auth-zone", "view",	 "python", "dynlib",
	"dnscrypt",	  "cachedb",   "dnstap", "rpz",	   NULL,
};

int cfg_clause_of(const char *name)
{
	for (size_t i = 0; i < sizeof(clause_names) / sizeof(clause_names[0]); i++)
		if (strcmp(name, clause_names[i]) == 0)
			return (int)i;
	for (size_t i = 0; foreign_clauses[i] != NULL; i++)
		if (strcmp(name, foreign_clauses[i]) == 0)
			return CFG_FOREIGN;
	return -1;
}

const char *cfg_clause_name(enum cfg_clause c)
{
	return c <= CFG_STUB ? clause_names[c] : "unbound.conf";
}

/* unbound.conf's names of rootwalkd's keys (only where the meaning is the same), and some
 * server keys of unbound.conf that rootwalkd does not have (ours is NULL). */
static const struct {
	const char *unbound, *ours;
} unbound_keys[] = {
	{"interface", "listen"},
	{"ip-address", "listen"},
	{"port", "listen"},
	{"msg-cache-size", "cache-size"},
	{"rrset-cache-size", "cache-size"},
	{"infra-host-ttl", "infra-ttl"},
	{"max-query-restarts", "max-cname-chain"},
	{"control-interface", "control-socket"},
	{"do-udp", NULL},
	{"do-tcp", NULL},
	{"directory", NULL},
	{"use-syslog", NULL},
	{"include", NULL},
	{"module-config", NULL},
	{"auto-trust-anchor-file", NULL},
};
#define N_UNBOUND (sizeof(unbound_keys) / sizeof(unbound_keys[0]))

/* The key of clause nearest to name, unbound.conf's names included, or NULL. */
static const char *suggest(const char *name, enum cfg_clause clause)
{
	const char *words[N_KEYS + N_UNBOUND + 1], *w;
	size_t n = 0;

	for (size_t i = 0; i < N_KEYS; i++)
		if (keys[i].clause == clause)
			words[n++] = keys[i].info.name;
	for (size_t i = 0; i < N_UNBOUND && clause == CFG_SERVER; i++)
		if (unbound_keys[i].ours != NULL)
			words[n++] = unbound_keys[i].unbound;
	words[n] = NULL;
	w = cfg_nearest(name, words);
	/* Our own key by that name first: the compiler may merge equal string literals, so an
	 * unbound.conf entry's pointer can be our key's. */
	if (w == NULL || cfg_key_find(w, clause) != NULL)
		return w;
	for (size_t i = 0; i < N_UNBOUND; i++)
		if (strcmp(w, unbound_keys[i].unbound) == 0)
			return unbound_keys[i].ours;
	return w;
}

/* "forward-zone:" or "forward-zone: or stub-zone:": the clauses that have the key name. */
static bool clauses_of(const char *name, char *buf, size_t cap)
{
	size_t len = 0;
	int n = 0;

	buf[0] = '\0';
	for (int c = CFG_SERVER; c <= CFG_STUB; c++)
		if (cfg_key_find(name, (enum cfg_clause)c) != NULL)
			len += (size_t)snprintf(buf + len, cap - len, "%s%s:", n++ ? " or " : "",
						clause_names[c]);
	return n > 0;
}

void cfg_unknown(struct cfg_parser *p, const char *name, enum cfg_clause clause)
{
	char where[64], buf[CFG_SHOWN];
	const char *near;

	/* In a skipped clause, only a server key is worth a word: it would be lost. */
	if (clause == CFG_FOREIGN && cfg_key_find(name, CFG_SERVER) != NULL) {
		cfg_fail(p, "'%s' is a server: key: put a 'server:' line before it", name);
		return;
	}
	if (clause != CFG_FOREIGN && clauses_of(name, where, sizeof(where))) {
		near = suggest(name, clause);
		if (near != NULL)
			cfg_fail(p, "'%s' is a %s key, not a %s: key (did you mean '%s'?)", name,
				 where, clause_names[clause], near);
		else if (cfg_key_find(name, CFG_SERVER) != NULL)
			cfg_fail(p,
				 "'%s' is a server: key, not a %s: key (put a 'server:' line "
				 "before it)",
				 name, clause_names[clause]);
		else
			cfg_fail(p, "'%s' is a %s key, not a %s: key", name, where,
				 clause_names[clause]);
		return;
	}
	if (clause == CFG_FOREIGN)
		return; /* a key of the clause being skipped */
	for (size_t i = 0; i < N_UNBOUND && clause == CFG_SERVER; i++) {
		if (strcmp(name, unbound_keys[i].unbound) != 0 || unbound_keys[i].ours != NULL)
			continue;
		cfg_fail(p, "unknown key '%s' (an unbound.conf key that rootwalkd does not have)",
			 name);
		return;
	}
	near = suggest(name, clause);
	if (near != NULL)
		cfg_fail(p, "unknown key '%s' (did you mean '%s'?)",
			 cfg_shown(name, buf, sizeof(buf)), near);
	else
		cfg_fail(p, "unknown key '%s'", cfg_shown(name, buf, sizeof(buf)));
}
