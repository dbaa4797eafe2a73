/* Internals of `rootwalk check` (rootwalk/check.h): check.c runs a check (its queries, its
 * phases, its end), check_walk.c the walks down the delegations, check_probe.c the questions to
 * every server of the zone, check_find.c the findings, check_format.c the report. Internal to
 * src/core. */
#ifndef RW_CHECK_IMPL_H
#define RW_CHECK_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "rootwalk/cache.h"
#include "rootwalk/check.h"
#include "sbuf.h"

#define CK_MAX_WALKS	24 /* the main walk and the address and target walks */
#define CK_MAX_ADDRS	16 /* addresses of one cut a walk may ask */
#define CK_MAX_PROBES	600
#define CK_MAX_FINDINGS 48
#define CK_MAX_TARGETS	8 /* MX, NS and CNAME targets looked up */

struct ck_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Where the check learnt a server address (the JSON "source" list). */
enum { CK_SRC_GLUE = 1, CK_SRC_CHILD = 2, CK_SRC_RESOLVED = 4 };

enum ck_state {
	CK_ST_PENDING = 0,
	CK_ST_OK,
	CK_ST_REFUSED,
	CK_ST_NOTAUTH,
	CK_ST_TIMEOUT,
	CK_ST_WRONGZONE,
	CK_ST_ERROR,
};
extern const char *const ck_state_name[];

enum ck_tcp { CK_TCP_NOT_TRIED = 0, CK_TCP_OK, CK_TCP_FAILED };

/* What one server said to NAME/TYPE. */
struct ck_answer {
	bool got;
	int rcode;
	bool aa;
	ldns_rr_list *rrs; /* the answer section (owned) */
	ldns_rr *soa;	   /* a negative answer's SOA (owned), or NULL */
	uint32_t min_ttl, max_ttl;
};

struct ck_server {
	ldns_rdf *nsname; /* owned */
	struct ck_addr addr;
	unsigned src; /* CK_SRC_* */
	enum ck_state state;
	bool have_rtt;
	int64_t rtt_us;
	bool have_serial;
	uint32_t serial;
	ldns_rr *soa; /* its SOA record (owned), or NULL */
	enum ck_tcp tcp;
	bool probed;
	bool no_edns; /* answered FORMERR to EDNS, and then without it */
	struct ck_answer ans;
	ldns_rr_list *ns; /* its NS set at the apex (owned), or NULL */
	uint32_t ns_ttl;
	char detail[400]; /* why it is not ok, for people */
};

enum ck_purpose {
	CK_P_WALK = 0, /* a walk's question */
	CK_P_SOA,      /* SOA at the apex, UDP */
	CK_P_NS,       /* NS at the apex */
	CK_P_QUERY,    /* NAME/TYPE */
	CK_P_SOA_TCP,  /* SOA at the apex over TCP, once per server */
	CK_P_NSADDR,   /* the child's own A/AAAA of an in-zone NS name */
	CK_P_TYPES,    /* what types NAME has (ANY, or one common type) */
	CK_P_APEX,     /* CNAME at the apex */
	CK_P_DS,       /* the zone's DS set, asked of a server of the parent */
	CK_P_DNSKEY,   /* the zone's DNSKEY set and its RRSIGs */
	CK_P_SIGS,     /* NAME/TYPE with DO: its RRSIGs */
};

struct ck_probe {
	struct ck_probe *next;
	uint64_t id;
	enum ck_purpose purpose;
	int server; /* index into servers, -1 for a walk's */
	int walk;   /* index into walks, -1 for a server's */
	ldns_rdf *qname;
	uint16_t qtype;
	bool tcp;
	int tries;
	bool no_edns; /* asked again without EDNS after a FORMERR */
	uint16_t qid;
	struct ck_addr addr;
	uint64_t sent_us;
};

/* Why a walk is run: the question of the check, a name server's addresses, a target's. */
enum ck_walk_kind { CK_W_MAIN = 0, CK_W_NSADDR, CK_W_TARGET };

/* A walk down the delegations, as the iterator does, keeping all it learns to itself. */
struct ck_walk {
	enum ck_walk_kind kind;
	int parent;  /* the walk waiting for these addresses, -1 */
	int depth;   /* 0 for the main walk */
	int waiting; /* address walks it waits for */
	ldns_rdf *qname;
	uint16_t qtype;
	ldns_rdf *cut; /* the zone whose servers are asked now */
	ldns_rr_list *cut_ns;
	struct ck_addr addrs[CK_MAX_ADDRS];
	int n_addrs, next, steps, referrals;
	bool from_hints;
	bool done, failed;
	bool reported;	 /* its end was handed on (ck_walks_report) */
	int timeouts;	 /* servers that never answered */
	ldns_pkt *final; /* the authoritative answer (owned), NULL when it failed */
	struct ck_addr final_from;
	/* the last referral: the parent zone, its NS set and glue, and its servers */
	ldns_rdf *ref_parent;
	ldns_rr_list *ref_ns, *ref_glue;
	bool ref_tcp; /* that referral came over TCP */
	/* a UDP referral without glue for some in-domain NS names (owned), kept while the same
	 * server is asked again over TCP: taken when TCP fails */
	ldns_pkt *udp_ref;
	struct ck_addr ref_servers[CK_MAX_ADDRS];
	int n_ref_servers;
	char why[320]; /* why it failed */
	int target;    /* CK_W_TARGET: index into targets */
};

enum ck_severity { CK_INFO = 0, CK_WARNING, CK_ERROR };

struct ck_finding {
	enum ck_severity sev;
	const char *code;
	char *text;	   /* owned */
	char servers[256]; /* addresses, space separated */
};

/* An MX, NS or CNAME target whose addresses are looked up. */
struct ck_target {
	ldns_rdf *name;
	uint16_t from_type; /* MX, NS or CNAME */
	int walks_left;
	bool resolved, cname;
};

enum ck_phase { CK_PH_WALK = 0, CK_PH_ADDRS, CK_PH_PROBE, CK_PH_DETAIL, CK_PH_PROBE2, CK_PH_DONE };

struct rw_check {
	struct rw_check *next;
	struct rw_resolver *r;
	uint64_t handle;
	ldns_rdf *name;
	uint16_t qtype;
	bool json;
	bool serials;		/* RW_CHECK_SERIALS */
	struct rw_trace *trace; /* for the trace log (check_trace.c), or NULL */
	rw_check_cb cb;
	void *arg;
	uint64_t start_ms, deadline_ms;
	int64_t start_wall_us;
	bool over_budget;
	bool kick; /* nothing in flight at the start: go on from the timer */
	enum ck_phase phase;
	struct ck_probe *probes;
	int inflight, sent;
	struct ck_walk walks[CK_MAX_WALKS];
	int n_walks;
	/* what the walk found */
	ldns_rdf *zone;
	bool have_parent;
	ldns_rdf *parent;
	ldns_rr_list *parent_ns, *glue;
	bool glue_tcp; /* the parent's referral came over TCP (all its glue) */
	uint32_t parent_ns_ttl;
	struct ck_addr parent_servers[CK_MAX_ADDRS];
	int n_parent_servers;
	/* the servers of the zone */
	struct ck_server servers[RW_CHECK_MAX_SERVERS];
	int n_servers;
	int ref;		/* the server the details are asked of, -1 */
	ldns_rr_list *child_ns; /* the NS set of ref (a copy) */
	uint32_t child_ns_ttl;
	ldns_rr_list *child_addrs; /* the child's own A/AAAA of in-zone NS names */
	uint16_t types[32];	   /* the types NAME has (NODATA) */
	int n_types;
	bool types_asked, any_done;
	bool apex_cname; /* the apex has a CNAME */
	/* what this resolver holds for NAME/TYPE (read at the end) */
	bool cached;
	struct rw_cache_entry cache;
	bool cache_differs;
	/* DNSSEC (check_dnssec.c): the parent's DS set, the zone's DNSKEY set and its RRSIGs */
	bool ds_got, dnskey_got;
	ldns_rr_list *ds, *dnskeys, *dnskey_sigs;
	ldns_rr_list *rrset, *rrset_sigs; /* NAME/TYPE and its RRSIGs, asked with DO */
	const char *dnssec_result; /* NULL: not checked; "unsigned", "secure", or what failed */
	/* secure: when the first of the signatures that verified (DNSKEY set, NAME/TYPE) ends,
	 * seconds since the epoch; 0 if none verified */
	int64_t sig_earliest_s;
	struct ck_target targets[CK_MAX_TARGETS];
	int n_targets;
	struct ck_finding findings[CK_MAX_FINDINGS];
	int n_findings;
};

/* check.c */
int64_t ck_now_us(const struct rw_check *ck);
/* Send a question (qname borrowed). Returns 0, or negative when it could not be sent (then
 * nothing follows). */
int ck_send(struct rw_check *ck, enum ck_purpose purpose, int server, int walk,
	    const ldns_rdf *qname, uint16_t qtype, const struct ck_addr *a, bool tcp, int tries);
/* p's question again, to the same server (over TCP, asked tries times before, without EDNS). */
int ck_resend(struct rw_check *ck, const struct ck_probe *p, bool tcp, int tries, bool no_edns);
bool ck_addr_equal(const struct ck_addr *a, const struct ck_addr *b);
void ck_addr_text(const struct ck_addr *a, char *buf, size_t len);
/* Add a server (nsname borrowed) unless that pair is known; sources are merged. Returns its
 * index, or -1 when the table is full. */
int ck_server_add(struct rw_check *ck, const ldns_rdf *nsname, const struct ck_addr *a,
		  unsigned src);
/* Addresses in rrs (A and AAAA records owned by name) into out, at most max. */
int ck_addrs_from(const ldns_rr_list *rrs, const ldns_rdf *name, struct ck_addr *out, int max);

/* check_walk.c */
int ck_walk_new(struct rw_check *ck, enum ck_walk_kind kind, const ldns_rdf *qname, uint16_t qtype,
		int parent);
void ck_walk_start(struct rw_check *ck, int w);
void ck_walk_reply(struct rw_check *ck, struct ck_probe *p, ldns_pkt *pkt);
void ck_walk_timeout(struct rw_check *ck, struct ck_probe *p);
void ck_walk_free(struct ck_walk *w);

/* check_probe.c */
void ck_probe_server(struct rw_check *ck, int i);
void ck_probe_reply(struct rw_check *ck, struct ck_probe *p, ldns_pkt *pkt, int64_t rtt_us);
/* err: -ETIMEDOUT, or what the edge reported (-ECONNREFUSED: ICMP port unreachable). */
void ck_probe_timeout(struct rw_check *ck, struct ck_probe *p, int err);
/* After the walk: the servers of the zone from the parent's NS set (address walks started for
 * names without any). */
void ck_servers_from_parent(struct rw_check *ck);
/* After the probes: the child's NS set, its own addresses, the types at NAME, the targets. */
void ck_detail_start(struct rw_check *ck);
/* RW_CHECK_SERIALS: the servers of the closest cached cut, their SOA questions sent. */
void ck_serials_start(struct rw_check *ck);
/* The child's own addresses of its in-zone name servers join the servers (source child). */
void ck_servers_from_child(struct rw_check *ck);
/* Hand on the ends of address and target walks not reported yet. */
void ck_walks_report(struct rw_check *ck);

/* check_trace.c: the check's queries in the trace log (when it is on and the filters let the
 * name through); server NULL: not known by name (a walk's). */
void ck_trace_begin(struct rw_check *ck);
void ck_trace_send(struct rw_check *ck, const struct ck_probe *p, const ldns_rdf *zone,
		   const ldns_rdf *server, uint32_t timeout_ms);
void ck_trace_reply(struct rw_check *ck, const struct ck_probe *p, const ldns_pkt *pkt,
		    int64_t rtt_us, size_t bytes);
void ck_trace_timeout(struct rw_check *ck, const struct ck_probe *p, const ldns_rdf *server,
		      const char *why);
/* Write the trace (trace-only fail: only when the check found errors) and drop it. */
void ck_trace_end(struct rw_check *ck, int status);

/* check_dnssec.c: DS against DNSKEY, asked in the details phase. */
void ck_dnssec_start(struct rw_check *ck);
void ck_dnssec_reply(struct rw_check *ck, const struct ck_probe *p, const ldns_pkt *pkt);
void ck_dnssec_find(struct rw_check *ck);
void ck_dnssec_json(const struct rw_check *ck, struct rw_sbuf *b);
void ck_dnssec_free(struct rw_check *ck);

/* check_find.c */
void ck_find(struct rw_check *ck);
void ck_finding(struct rw_check *ck, enum ck_severity sev, const char *code, const char *servers,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
enum rw_check_status ck_status(const struct rw_check *ck);
bool ck_same_rrset(const ldns_rr_list *a, const ldns_rr_list *b);

/* check_format.c */
/* "15:05:00 UTC" for whole epoch seconds, with the date in front when it is a day or more
 * after now_s. */
void ck_hms(int64_t secs, int64_t now_s, char *buf, size_t len);
void ck_format_text(const struct rw_check *ck, struct rw_sbuf *b);
void ck_format_json(const struct rw_check *ck, struct rw_sbuf *b);
/* RW_CHECK_SERIALS: nothing when the servers agree, else the line. */
void ck_format_serials(const struct rw_check *ck, struct rw_sbuf *b);

#endif
