/* Internals of the iterator, shared by iter.c (events, results, the start from the cache),
 * iter_cut.c (zone cuts, server choice, sending), iter_reply.c (what a reply means) and
 * iter_sections.c (reading a reply's sections).
 * Not installed: nothing outside src/core includes it. */
#ifndef RW_ITER_IMPL_H
#define RW_ITER_IMPL_H
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/cookie_client.h"
#include "rootwalk/infra.h"
#include "rootwalk/iter.h"
#include "rootwalk/resolver.h"
#include "rootwalk/wire.h"

#define QBUF_MAX 340 /* header + name + question + OPT with a COOKIE option */

#define MAX_ATTEMPTS 2	/* per address and cut: a second try only after a timeout */
#define MAX_MINIMISE 10 /* RFC 9156 MAX_MINIMISE_COUNT */

struct ns_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	uint8_t attempts;
	bool dead;	  /* lame, failing or broken for this cut: not asked again */
	bool parent_side; /* known only from the parent's glue: asked when the rest failed */
};

/* Where an address of a name server came from. */
enum addr_origin {
	ADDR_DNS,    /* the cache or a reply: child-side, or the best we have */
	ADDR_PARENT, /* the parent's glue, kept as a fallback */
	ADDR_HINTS,  /* the root hints: the operator's choice, not filtered */
};

struct ns_entry {
	ldns_rdf *name; /* owned */
	struct ns_addr addr[RW_ITER_MAX_ADDRS];
	int n_addr;
	bool looked_a, looked_aaaa; /* address lookups done (or impossible) */
};

struct rw_iter {
	struct rw_iter_shared *sh;
	ldns_rdf *orig_qname; /* as asked */
	ldns_rdf *qname;      /* current name: moves along a CNAME chain */
	uint16_t qtype, qclass;
	int depth;
	char prefix[24];
	int nstep, nsub, sub_at_step;
	char step[32];

	/* The current cut: the zone whose servers we ask. */
	ldns_rdf *zone;
	struct ns_entry ns[RW_ITER_MAX_NS];
	int n_ns;
	uint32_t lookups; /* address lookups started for this cut */
	int rr_start;	  /* where the round over the servers starts */
	bool cut_cached;  /* the cut came from the cache, not from a referral in this walk */
	/* After the parent is asked again: the zone and the addresses that failed for it, so the
	 * new delegation does not ask them once more for this query. */
	ldns_rdf *reask_zone;
	struct sockaddr_storage *reask_dead; /* owned; made once, when the parent is asked */
	int n_reask_dead;

	/* QNAME minimisation for the current cut (RFC 9156). */
	bool qm_off;   /* ask the full name from now on */
	int qm_labels; /* labels of the name to ask next */
	int qm_count;  /* minimised queries sent for this cut */

	/* The query in flight: the name and type actually sent (minimised or not, 0x20 case). */
	ldns_rdf *sname;
	uint16_t stype;
	bool cur_edns, cur_0x20, case_mismatch;
	bool cur_cookie;		  /* a COOKIE option went with it (client cookie cc) */
	bool cur_sc;			  /* ... with a server cookie: the server does cookies */
	bool cookie_missing;		  /* a UDP reply without the COOKIE was dropped */
	uint8_t cc[RW_COOKIE_CLIENT_LEN]; /* the client cookie for this server */
	uint8_t badcookies;		  /* BADCOOKIE replies for this question */
	bool waiting;
	uint16_t qid;
	int cur_ns, cur_addr;
	bool cur_tcp;
	uint64_t sent_ms, sent_us;
	uint8_t qbuf[QBUF_MAX + 2];
	size_t qlen;
	int sub_ns; /* name server whose address is being resolved */
	uint16_t sub_type;

	/* The result. */
	int rcode;
	struct rw_iter_rec *recs;
	size_t n_recs, cap_recs;
	struct rw_iter_rec soa;
	bool has_soa;
	struct rw_iter_rec *proof; /* NSEC/NSEC3, RRSIGs of the SOA and of those */
	size_t n_proof, cap_proof;
	enum rw_vstate vstate; /* the validator's verdict */
	int raw_rcode;	       /* the rcode before a bogus verdict made it SERVFAIL */
	int sec_ede;	       /* EDE of a bogus or insecure verdict, -1 for none */
	char *fail_reason;
	enum rw_fail_reason why;       /* why it failed (rcode SERVFAIL) */
	uint32_t timeouts, net_errors; /* how the upstream queries of this iterator failed */
	uint32_t cnames;
	bool done;
};

/* Small helpers */

static inline char *dstr(const ldns_rdf *d)
{
	return rw_present_name(d);
}

static inline bool is_root(const ldns_rdf *d)
{
	return ldns_rdf_size(d) == 1;
}

static inline bool name_eq(const ldns_rdf *a, const ldns_rdf *b)
{
	return ldns_dname_compare(a, b) == 0;
}

static inline bool name_under(const ldns_rdf *a, const ldns_rdf *b)
{
	return name_eq(a, b) || ldns_dname_is_subdomain(a, b);
}

static inline uint64_t now_mono_us(const struct rw_iter *it)
{
	const struct rw_env *env = it->sh->env;
	return env->now_mono_us ? env->now_mono_us(env->ctx) : env->now_mono_ms(env->ctx) * 1000;
}

static inline uint64_t now_ms(const struct rw_iter *it)
{
	return it->sh->env->now_mono_ms(it->sh->env->ctx);
}

static inline int64_t now_us(const struct rw_iter *it)
{
	return it->sh->env->now_wall_us(it->sh->env->ctx);
}

static inline bool tracing(const struct rw_iter *it)
{
	return it->sh->trace != NULL;
}

/* Shared between the iterator's files */

int iter_add_rec(struct rw_iter *it, const ldns_rr *rr, struct rw_source *src, int64_t stored,
		 int64_t expires, uint32_t orig_ttl, bool from_cache);
/* The same for a proof record (rw_iter_proof). */
int iter_add_proof(struct rw_iter *it, const ldns_rr *rr, struct rw_source *src, int64_t stored,
		   int64_t expires, uint32_t orig_ttl, bool from_cache);
bool iter_choose_sname(struct rw_iter *it);
void iter_clear_cut(struct rw_iter *it);
/* A new cut from a referral: addresses that already failed for this zone in this query stay
 * out of it. */
void iter_skip_failed(struct rw_iter *it);
/* Stop with SERVFAIL for a reason (which sets the Extended DNS Error the client gets). */
void iter_fail(struct rw_iter *it, struct rw_iter_out *out, enum rw_fail_reason why,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void iter_find_cut(struct rw_iter *it);
/* The closest cut at or above name (for DS, above it), from the cache or else the root hints. */
void iter_find_cut_from(struct rw_iter *it, const ldns_rdf *name, bool ds);
void iter_finish(struct rw_iter *it, int rcode, struct rw_iter_out *out);
bool iter_follow_cname(struct rw_iter *it, const ldns_rdf *target, struct rw_iter_out *out);
/* Follow a DNAME (RFC 6672 2.2): add the CNAME it synthesises for the current name to the result
 * (never cached), then follow it like a CNAME. The DNAME itself must already be in the result.
 * Finishes with YXDOMAIN when the new name would be too long, and with the synthesised CNAME as
 * the answer for a CNAME question. Returns true when the walk goes on with the new name. */
bool iter_follow_dname(struct rw_iter *it, const ldns_rr *dname, struct rw_source *src,
		       int64_t stored_us, int64_t expires_us, uint32_t orig_ttl, bool from_cache,
		       struct rw_iter_out *out);
struct rw_source *iter_make_source(struct rw_iter *it);
bool iter_minimised(const struct rw_iter *it);
void iter_next_server(struct rw_iter *it, struct rw_iter_out *out);
struct ns_entry *iter_ns_add(struct rw_iter *it, const ldns_rdf *name);
bool iter_ns_add_addr(struct rw_iter *it, struct ns_entry *ns, const ldns_rr *rr,
		      enum addr_origin origin);
void iter_ns_addrs_from_cache(struct rw_iter *it, struct ns_entry *ns);
uint32_t iter_rrset_min_ttl(const ldns_rr_list *l);
void iter_send_query(struct rw_iter *it, bool tcp, bool fresh, struct rw_iter_out *out);
void iter_set_soa(struct rw_iter *it, const ldns_rr *soa, struct rw_source *src, int64_t stored,
		  int64_t expires, uint32_t ttl, bool from_cache);
void iter_set_step(struct rw_iter *it);
struct rw_trace_event *iter_trace_ev(struct rw_iter *it, enum rw_ev type);
void iter_walk(struct rw_iter *it, struct rw_iter_out *out);
/* What a reply to the query in flight means, once iter_accept.c accepted it (iter_reply.c). */
void iter_handle_reply(struct rw_iter *it, const uint8_t *pkt, size_t len, struct rw_iter_out *out);
/* Trace a reply to the query in flight (p may be NULL); returns the event or NULL. */
struct rw_trace_event *iter_trace_reply(struct rw_iter *it, const ldns_pkt *p, size_t len,
					enum rw_reply_kind kind);

/* Reading a reply (iter_sections.c) */

/* Records of one type at one owner from a section, as a new list of borrowed records. */
ldns_rr_list *iter_rrset_of(const ldns_rr_list *sec, const ldns_rdf *owner, uint16_t type,
			    uint16_t klass);
/* RRsets are sets (RFC 2181 5): merge records listed twice in a section. */
void iter_dedup_section(ldns_rr_list *sec);
/* The DNAME in the answer section over the current name, inside the zone asked, or NULL. */
const ldns_rr *iter_dname_over(const struct rw_iter *it, const ldns_rr_list *an);
/* The zone a referral in the authority section delegates (borrowed from p), or NULL. */
const ldns_rdf *iter_find_referral(const struct rw_iter *it, const ldns_pkt *p);
/* The SOA in the authority section that covers name within the zone asked, or NULL. */
const ldns_rr *iter_find_soa(const struct rw_iter *it, const ldns_pkt *p, const ldns_rdf *name);
/* The RRSIGs in a section that cover type at owner, as a new list of borrowed records. */
ldns_rr_list *iter_sigs_of(const ldns_rr_list *sec, const ldns_rdf *owner, uint16_t type,
			   uint16_t klass);
/* NSEC and NSEC3 records of the authority section with their RRSIGs, and the RRSIGs of soa
 * (when not NULL): a new list of borrowed records. */
ldns_rr_list *iter_proof_of(const ldns_pkt *p, const ldns_rr *soa);
/* Whether an RRSIG in sigs says its RRset was expanded from a wildcard (RFC 4035 5.3.4). */
bool iter_wildcard_expanded(const ldns_rr_list *sigs);
/* NS records in the authority section: at the zone's apex, and elsewhere (the last owner). */
void iter_authority_ns(const struct rw_iter *it, const ldns_pkt *p, bool *apex, bool *other,
		       const ldns_rdf **other_owner);

#endif
