/* Configuration: parsed once into an immutable, validated struct. */
#ifndef RW_CONFIG_H
#define RW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RW_CONFIG_MAX_ADDRS 32

/* Where rootwalkd and rootwalk look when no -c or -s is given. meson.build may set the config
 * path for another prefix; the socket's directory is the one systemd's RuntimeDirectory=
 * makes. */
#ifndef RW_DEFAULT_CONFIG
#define RW_DEFAULT_CONFIG "/etc/rootwalk/rootwalkd.conf"
#endif
/* The control socket when the file names none: rootwalkd creates its directory (0750, owned by
 * the service user) when it is missing; rootwalk(1) looks there by default. */
#define RW_DEFAULT_CONTROL_SOCKET "/run/rootwalk/control.sock"

struct rw_sockaddr {
	struct sockaddr_storage ss;
	socklen_t len;
};

enum rw_trace_format { RW_TRACE_TEXT = 0, RW_TRACE_JSON = 1 };

#define RW_CONFIG_MAX_FILTERS 16

struct rw_config {
	struct rw_sockaddr listen[RW_CONFIG_MAX_ADDRS]; /* default 127.0.0.1@53 and ::1@53 */
	size_t n_listen;
	struct rw_sockaddr outgoing[RW_CONFIG_MAX_ADDRS]; /* port 0; empty: any address */
	size_t n_outgoing;
	char *root_hints; /* path, or NULL for the built-in IANA hints */
	char *trace_log;  /* path, "stderr", or NULL for off (the default) */
	enum rw_trace_format trace_format;
	/* Trace filters: which queries get a trace when the trace log is on. */
	uint8_t trace_names[RW_CONFIG_MAX_FILTERS][256]; /* lower-case wire names: at or below */
	size_t n_trace_names;				 /* 0: every name */
	struct rw_netblock {
		struct sockaddr_storage addr;
		unsigned prefix;
	} trace_clients[RW_CONFIG_MAX_FILTERS];
	size_t n_trace_clients; /* 0: every client */
	enum rw_trace_only { RW_TRACE_ALL = 0, RW_TRACE_MISS, RW_TRACE_FAIL } trace_only;
	bool do_not_query_localhost;	 /* default true */
	bool do_ip4, do_ip6;		 /* default true, true */
	uint32_t cache_max_ttl;		 /* default 86400 */
	uint32_t cache_min_ttl;		 /* default 0 */
	uint32_t cache_max_negative_ttl; /* default 3600 */
	size_t cache_size;		 /* bytes, default 64 MiB (64k..64g) */
	uint32_t max_cname_chain;	 /* default 11 */
	uint32_t max_ns_lookups;	 /* address lookups one referral may start, default 5 */
	uint32_t max_upstream_queries;	 /* per client query, default 50 */
	uint32_t upstream_timeout_ms;	 /* per upstream query, default 800 */
	uint32_t query_budget_ms;	 /* whole client query, default 10000 */
	uint16_t upstream_port;	 /* port of authoritative servers, default 53 (tests only) */
	bool qname_minimisation; /* RFC 9156, default yes */
	bool local_zones;	 /* answer special-use and locally served zones, default yes */
	bool use_caps_for_id;	 /* 0x20 case randomisation, default yes (as Knot Resolver) */
	uint32_t max_subresolution_depth; /* nested name server lookups, default 6 */
	uint32_t infra_ttl;		  /* seconds server facts are kept, default 900 */
	char *control_socket;		  /* Unix socket path, NULL = no control socket; default
			       * RW_DEFAULT_CONTROL_SOCKET */
	uint32_t control_socket_mode;	  /* permission bits, default 0600 */
	char *control_socket_owner;	  /* "USER[:GROUP]", NULL = the daemon's own */

	/* Running as a service. */
	char *username;	  /* user to switch to when started as root; "" = stay root */
	char *chroot_dir; /* directory to chroot into after binding, NULL = none */
	char *pidfile;	  /* NULL = none */
	/* Load: every table bounded (issue 13). */
	uint32_t num_queries_per_thread;     /* client requests being resolved at once, 1024 */
	uint32_t jostle_timeout_ms;	     /* a request older than this may be dropped, 200 */
	uint32_t outgoing_range;	     /* upstream queries (sockets) in flight, 4096 */
	uint32_t outgoing_num_tcp;	     /* of which over TCP, 64 */
	uint32_t incoming_num_tcp;	     /* client TCP connections open at once, 256 */
	uint32_t tcp_connections_per_client; /* of one /32 (IPv4) or /64 (IPv6), 32 */
	uint32_t infra_cache_numhosts;	     /* servers the infra cache remembers, 10000 */

	/* DNSSEC. */
	bool dnssec;		   /* validate, default yes */
	bool aggressive_nsec;	   /* RFC 8198 synthesis from cached NSEC/NSEC3, default yes */
	uint32_t val_bogus_ttl;	   /* seconds a bogus verdict is kept, default 60 */
	char **trust_anchor_files; /* trust-anchor-file: paths in file order, each checked
					  * when the file is read; none: the built-in root anchor */
	size_t n_trust_anchor_files;
	uint8_t (*domain_insecure)[256]; /* domain-insecure: wire names, lower case, no repeats */
	size_t n_domain_insecure;

	/* Clauses and local zones, in unbound.conf's form. They are parsed and checked, but
	 * nothing uses them yet: the issues that add forwarding, stubs and local data will. */
	struct rw_config_zone *zones; /* forward-zone: and stub-zone: clauses, in file order */
	size_t n_zones;
	struct rw_config_local_zone *lzones; /* local-zone: lines, in file order */
	size_t n_lzones;
	struct rw_config_local_data *ldata; /* local-data: lines, in file order */
	size_t n_ldata;

	/* Upstream DNS cookies and 0x20 (issue 13). */
	bool upstream_cookies; /* send and check DNS cookies (RFC 7873) upstream, default yes */
	/* Logging and CHAOS answers. */
	uint32_t verbosity; /* 0 errors and warnings .. 4 algorithm-level, default 1 */
	char *logfile;	    /* path, "stderr" (the default) or "syslog" */
	bool log_servfail;  /* one log line per SERVFAIL with its reason, default no */
	bool hide_version;  /* REFUSED to version.bind and version.server, default no */
	bool hide_identity; /* REFUSED to id.server and hostname.bind, default no */
	char *identity;	    /* the answer to id.server; NULL: the host's name (env) */
	/* Access control, rate limits (acl.c, ratelimit.c). */
	struct rw_config_acl *acl; /* access-control: lines, in file order; owned */
	size_t n_acl;
	uint32_t ip_ratelimit;	    /* queries per second per /24 or /56 over UDP, 0: off */
	uint32_t ip_ratelimit_slip; /* every Nth query over the limit gets TC=1, default 2 */
	/* Metrics (issue 14). */
	struct rw_sockaddr metrics_listen; /* HTTP /metrics address; len 0: off (the default) */
	/* Serve-stale and prefetch (RFC 8767; stale.c). */
	bool serve_expired;			  /* default no */
	uint32_t serve_expired_ttl;		  /* seconds past expiry, default 86400 */
	uint32_t serve_expired_client_timeout_ms; /* default 1800; 0: stale at once */
	bool prefetch;				  /* default no */

	/* dnstap (issue 14; the daemon's dnstap.c writes, the core chooses what). The output is
	 * opened at startup: a reload changes which messages are logged, not where. */
	bool dnstap;		       /* default no */
	char *dnstap_socket_path;      /* Frame Streams Unix socket of a reader, or NULL */
	char *dnstap_file;	       /* or a file, written directly; NULL */
	char *dnstap_identity;	       /* sent in every message when set */
	char *dnstap_version;	       /* likewise */
	bool dnstap_client_query;      /* dnstap-log-client-query-messages, default no */
	bool dnstap_client_response;   /* dnstap-log-client-response-messages, default no */
	bool dnstap_resolver_query;    /* dnstap-log-resolver-query-messages, default no */
	bool dnstap_resolver_response; /* dnstap-log-resolver-response-messages, default no */

	/* Worker threads (issue 14): 1..64; 0 when not set, meaning the online CPUs, at most 8
	 * (the daemon counts them: rw_daemon_num_threads). */
	uint32_t num_threads;
};

/* What access-control: says about a netblock, as in unbound.conf. */
enum rw_acl_action {
	RW_ACL_DENY,	    /* drop the query, say nothing */
	RW_ACL_REFUSE,	    /* answer REFUSED */
	RW_ACL_ALLOW,	    /* recursion; RD=0 questions are REFUSED (local zones still answered) */
	RW_ACL_ALLOW_SNOOP, /* recursion and RD=0 questions (answered from the cache) */
};

/* "access-control: NETBLOCK ACTION": host bits cleared. */
struct rw_config_acl {
	struct rw_netblock nb;
	enum rw_acl_action action;
	size_t line;
};

enum rw_config_zone_kind { RW_ZONE_FORWARD, RW_ZONE_STUB };

/* A forward-zone: or stub-zone: clause. Names are in wire form and lower case; the arrays are
 * owned by the config. */
struct rw_config_zone {
	enum rw_config_zone_kind kind;
	size_t line;	   /* of the clause line, for messages */
	uint8_t name[256]; /* name: */
	/* forward-addr: / stub-addr: ADDRESS[@PORT], port 53 unless given */
	struct rw_sockaddr *addrs;
	size_t n_addrs;
	uint8_t (*hosts)[256]; /* forward-host: / stub-host: names of servers, to be looked up */
	size_t n_hosts;
	bool first; /* forward-first: / stub-first: resolve as usual when these servers fail */
	bool prime; /* stub-prime: ask the stub servers for the zone's NS set first (stubs only) */
};

/* The types of unbound.conf's local-zone: line. */
enum rw_config_local_type {
	RW_LZ_DENY,
	RW_LZ_REFUSE,
	RW_LZ_STATIC,
	RW_LZ_TRANSPARENT,
	RW_LZ_TYPETRANSPARENT,
	RW_LZ_REDIRECT,
	RW_LZ_NODEFAULT,
	RW_LZ_INFORM,
	RW_LZ_INFORM_DENY,
	RW_LZ_INFORM_REDIRECT,
	RW_LZ_ALWAYS_TRANSPARENT,
	RW_LZ_ALWAYS_REFUSE,
	RW_LZ_ALWAYS_NXDOMAIN,
	RW_LZ_ALWAYS_NODATA,
	RW_LZ_ALWAYS_DENY,
	RW_LZ_ALWAYS_NULL,
	RW_LZ_NOVIEW,
};

/* "local-zone: NAME TYPE". */
struct rw_config_local_zone {
	uint8_t name[256]; /* wire form, lower case */
	enum rw_config_local_type type;
	size_t line;
};

/* "local-data: "RR"": one record in wire form (owner, type, class, TTL, RDLENGTH, RDATA), the
 * owner in lower case; the TTL is 3600 when the line gives none, as in Unbound. Owned. */
struct rw_config_local_data {
	uint8_t *rr;
	size_t len;
	uint16_t type;
	size_t line;
};

/* One key of the file as the parser's table has it: for documentation and tests. */
enum rw_config_type {
	RW_CONFIG_BOOL,	     /* yes or no */
	RW_CONFIG_NUMBER,    /* decimal in lo..hi */
	RW_CONFIG_SIZE,	     /* bytes with an optional k, m or g, in lo..hi */
	RW_CONFIG_CHOICE,    /* one word of a fixed list */
	RW_CONFIG_STRING,    /* a path or other text */
	RW_CONFIG_ADDRESS,   /* ADDRESS[@PORT], repeatable */
	RW_CONFIG_LIST,	     /* several items on one line */
	RW_CONFIG_MODE,	     /* octal permission bits */
	RW_CONFIG_NAME,	     /* a domain name */
	RW_CONFIG_NAME_TYPE, /* a domain name and a word, each may be quoted */
	RW_CONFIG_RECORD,    /* a resource record in zone-file form */
};

struct rw_config_keyinfo {
	const char *clause; /* "server", "forward-zone" or "stub-zone" */
	const char *name;
	enum rw_config_type type;
	uint64_t lo, hi; /* range of numbers and sizes (0, 0 for other types) */
	const char *def; /* the default as it would be written in the file, or NULL */
	const char *doc; /* one line */
};

/* The i-th key of the table (0-based), or NULL past the last one. */
const struct rw_config_keyinfo *rw_config_key(size_t i);

/* Parse configuration text. name is used in error messages (the file name). On success returns 0
 * and *out (caller frees with rw_config_free). On error returns -EINVAL (-ENOMEM when memory ran
 * out), *out is NULL and err holds every error of the text on one line, joined by "; "
 * ("NAME:LINE: reason; NAME:LINE: reason"), in the order they are found: line by line, a
 * clause's missing name or servers when the clause ends, then the checks of the whole file
 * (cache-min-ttl above cache-max-ttl, both IP families off); each names its line. The first
 * message is cut to errlen if need be; later ones are shown whole or counted in a final
 * "; N more errors" when that fits. Messages are printable ASCII, never a newline (the log and
 * the control socket's replies are lines). */
int rw_config_parse(const char *text, size_t len, const char *name, struct rw_config **out,
		    char *err, size_t errlen);
/* Read and parse a file; as rw_config_parse. */
int rw_config_load(const char *path, struct rw_config **out, char *err, size_t errlen);
/* The value of the last "KEY: VALUE" line of the file at path, read without parsing the rest:
 * other lines, right or wrong, are skipped (rootwalk finds the control socket of a file with
 * errors this way). Quotes and comments are taken off as by the parser. Returns 1 with the value
 * in out, 0 when no line sets key (or its value does not fit in outlen), or a negative errno
 * code when the file cannot be read (its reason in err). */
int rw_config_peek(const char *path, const char *key, char *out, size_t outlen, char *err,
		   size_t errlen);
/* The same on text in memory: 1 (value in out) or 0. */
int rw_config_peek_text(const char *text, size_t len, const char *key, char *out, size_t outlen);
/* The errors of rw_config_parse or _load of a file called name, one a line: each "; " that
 * starts a message (or the "N more errors" count) becomes a newline, in place. Returns the
 * number of lines. */
size_t rw_config_errors_lines(char *err, const char *name);
/* A config with every default. NULL on allocation failure. */
struct rw_config *rw_config_default(void);
void rw_config_free(struct rw_config *cfg);

/* Parse "ADDRESS[@PORT]" (IPv4 or IPv6) into sa with default_port when no port is given.
 * Returns 0 or negative. */
int rw_config_parse_addr(const char *s, uint16_t default_port, struct rw_sockaddr *sa);

/* Does the query (lower-cased or not, wire-format qname; client address) pass the trace-names
 * and trace-clients filters? */
bool rw_config_trace_wanted(const struct rw_config *cfg, const uint8_t *qname, size_t qlen,
			    const struct sockaddr *client);

#endif
