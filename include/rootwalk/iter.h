/* The iterator: one resolution of (qname, qtype) as a state machine with no I/O.
 *
 * Events go in (start, reply, timeout, sub-result); each event yields exactly one action out:
 * send this query to server X, resolve this name server address first, or done (answer or
 * failure). The resolver (resolver.c) carries the actions out: it sends through the environment,
 * runs sub-resolutions as child iterators and turns a finished iterator into a client response.
 * Reading and writing the cache and recording trace events are the only side effects.
 */
#ifndef RW_ITER_H
#define RW_ITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <ldns/ldns.h>

#include "rootwalk/cache.h"
#include "rootwalk/config.h"
#include "rootwalk/env.h"
#include "rootwalk/hints.h"
#include "rootwalk/trace.h"

struct rw_anchors;
struct rw_keycache;
struct rw_dsec_pkeys;
struct rw_nseccache;
struct rw_stats;

/* Extended DNS Error info-codes (RFC 8914) the iterator can end with. */
#define RW_EDE_OTHER		      0
#define RW_EDE_STALE_ANSWER	      3 /* serve-stale (RFC 8767) */
#define RW_EDE_UNSUPPORTED_DNSKEY_ALG 1
#define RW_EDE_UNSUPPORTED_DS_DIGEST  2
#define RW_EDE_DNSSEC_INDETERMINATE   5
#define RW_EDE_DNSSEC_BOGUS	      6
#define RW_EDE_SIGNATURE_EXPIRED      7
#define RW_EDE_SIGNATURE_NOT_YET      8
#define RW_EDE_DNSKEY_MISSING	      9
#define RW_EDE_RRSIGS_MISSING	      10
#define RW_EDE_NSEC_MISSING	      12
#define RW_EDE_NSEC3_ITERATIONS	      27
#define RW_EDE_NO_REACHABLE_AUTHORITY 22
#define RW_EDE_NETWORK_ERROR	      23

/* Why a resolution failed: it sets the SERVFAIL counter and the Extended DNS Error the client
 * gets (rw_fail_ede); the text of the failure is for people. */
enum rw_fail_reason {
	RW_FAIL_NO_AUTHORITY = 0, /* no server of a zone could answer (EDE 22) */
	RW_FAIL_NETWORK,	  /* no server could be reached at all: send errors (EDE 23) */
	RW_FAIL_LIMIT,		  /* a limit: upstream queries, CNAME chain, time budget (EDE 0) */
	RW_FAIL_CNAME_LOOP,	  /* a CNAME chain that comes back to itself (EDE 0) */
	RW_FAIL_OTHER,		  /* anything else (EDE 0) */
	RW_FAIL_DNSSEC,		  /* validation failed: bogus (the validator's EDE, 6-12) */
	RW_FAIL_REASONS
};
/* The RFC 8914 info-code for a reason. */
int rw_fail_ede(enum rw_fail_reason reason);

#define RW_ITER_MAX_NS	  13 /* name servers kept per cut */
#define RW_ITER_MAX_ADDRS 4  /* addresses kept per name server */

/* What every iterator of one client request shares. Owned by the resolver. */
struct rw_iter_shared {
	const struct rw_env *env;
	const struct rw_config *cfg;
	struct rw_cache *cache;
	const struct rw_hints *hints;
	struct rw_trace *trace;	     /* NULL when tracing is off */
	struct rw_infra *infra;	     /* what we know about servers (RTT, lameness, EDNS, 0x20) */
	struct rw_anchors *anchors;  /* trust anchors, domain-insecure, NTAs (NULL: none) */
	struct rw_keycache *keys;    /* the validator's conclusions per zone (NULL: none) */
	struct rw_dsec_pkeys *pkeys; /* public keys kept converted (NULL: none) */
	struct rw_nseccache *nsec;   /* validated NSEC records per zone (NULL: none) */
	uint64_t *rtt_hist;	     /* RW_RTT_BUCKETS counters of upstream RTTs, or NULL */
	struct rw_stats *stats;	     /* the resolver's counters (cookies, 0x20), or NULL */
	uint32_t upstream;	     /* upstream queries sent for this request */
	uint32_t val_upstream;	     /* of those, sent for the validator's DS and DNSKEY lookups */
	uint32_t cache_hits;	     /* cached answers and delegations used */
	uint32_t subres;	     /* sub-resolutions started */
	uint32_t timeouts;	     /* upstream queries that got no reply */
	bool no_cache_answer;	     /* priming: always ask, never answer from the cache */
	uint64_t deadline_ms;	     /* monotonic time the query's budget runs out, 0 for none */
	bool used_hints;	     /* a cut came from the root hints, not the primed NS set */
	bool reasked;		     /* a parent was asked again for a failed cached cut (once) */
};

/* One record of a result, with where it came from and when it expires. */
struct rw_iter_rec {
	ldns_rr *rr;	       /* owned */
	struct rw_source *src; /* one reference */
	int64_t stored_us, expires_us;
	uint32_t orig_ttl;
	bool from_cache;
	enum rw_vstate vstate; /* as the cache held it (fresh records: unchecked) */
};

enum rw_iter_act {
	RW_ACT_NONE,	   /* no action was set: a bug in the iterator (the request fails) */
	RW_ACT_SEND,	   /* send out.wire to out.addr (over TCP when out.tcp) */
	RW_ACT_SUBRESOLVE, /* resolve out.sub_qname/out.sub_qtype, then call rw_iter_subresult() */
	RW_ACT_DONE,	   /* finished: read rcode/records from the iterator */
};

struct rw_iter_out {
	enum rw_iter_act act;
	/* RW_ACT_SEND. wire is borrowed from the iterator, valid until its next event. */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool tcp;
	const uint8_t *wire;
	size_t len;
	uint32_t timeout_ms;
	const uint8_t *zone; /* the zone asked (wire-format name, borrowed likewise), for dnstap */
	size_t zone_len;
	/* RW_ACT_SUBRESOLVE: borrowed from the iterator. */
	const ldns_rdf *sub_qname;
	uint16_t sub_qtype;
	char sub_step[32]; /* trace label prefix for the child's steps */
};

/* The state lives in iter.c; tests and the resolver see only these accessors. */
struct rw_iter;

/* A new iterator for (qname, qtype, qclass). depth is 0 for a client question and grows by one for
 * each nested sub-resolution; step is the trace label prefix ("" at the top, "2a" for the first
 * sub-resolution started at step 2). Returns NULL on allocation failure. */
struct rw_iter *rw_iter_new(struct rw_iter_shared *sh, const ldns_rdf *qname, uint16_t qtype,
			    uint16_t qclass, int depth, const char *step);
void rw_iter_free(struct rw_iter *it);

/* Events. Each fills *out with the next action. */
void rw_iter_start(struct rw_iter *it, struct rw_iter_out *out);
/* Returns false when the reply does not belong to the query in flight (address, port, ID or
 * question differ, or it is not a response): *out is untouched and the query keeps waiting.
 * Returns true when it was taken. */
bool rw_iter_reply(struct rw_iter *it, const struct sockaddr *from, socklen_t fromlen,
		   const uint8_t *pkt, size_t len, struct rw_iter_out *out);
/* The query in flight got no reply (err: negative errno-style code; -ETIMEDOUT for a timeout). */
void rw_iter_timeout(struct rw_iter *it, int err, struct rw_iter_out *out);
/* The sub-resolution asked for finished (child done), or could not run (child NULL). */
void rw_iter_subresult(struct rw_iter *it, const struct rw_iter *child, struct rw_iter_out *out);
/* Stop now with SERVFAIL for this reason, explained by text (a limit was hit outside the
 * iterator). */
void rw_iter_fail(struct rw_iter *it, enum rw_fail_reason reason, const char *text,
		  struct rw_iter_out *out);

/* Results, once RW_ACT_DONE was returned. */
int rw_iter_rcode(const struct rw_iter *it);
const struct rw_iter_rec *rw_iter_answer(const struct rw_iter *it, size_t *n);
/* The SOA for a negative answer (NULL otherwise) and its negative-TTL expiry. */
const struct rw_iter_rec *rw_iter_soa(const struct rw_iter *it);
/* DNSSEC proof records that came with the result (RRSIGs of the answer's RRsets are in the
 * answer, after their RRset): the SOA's RRSIG, NSEC/NSEC3 and their RRSIGs for a negative
 * answer, or the NSEC/NSEC3 proving a wildcard expansion. */
const struct rw_iter_rec *rw_iter_proof(const struct rw_iter *it, size_t *n);
/* The name the result is for: the end of a CNAME/DNAME chain (the name asked without one). */
const ldns_rdf *rw_iter_final_qname(const struct rw_iter *it);
/* The validator's verdict (validate.c): secure, insecure, or bogus, which turns the result into
 * SERVFAIL with the EDE code and text (why); rw_iter_raw_rcode() keeps what the servers said,
 * for clients that set CD. */
void rw_iter_set_security(struct rw_iter *it, enum rw_vstate v, int ede, const char *why);
enum rw_vstate rw_iter_vstate(const struct rw_iter *it);
int rw_iter_raw_rcode(const struct rw_iter *it);
const char *rw_iter_fail_reason(const struct rw_iter *it); /* NULL unless failed */
int rw_iter_ede(const struct rw_iter *it); /* RFC 8914 info-code of a failure, -1 for none */
/* Why it failed (only meaningful after a SERVFAIL). */
enum rw_fail_reason rw_iter_fail_why(const struct rw_iter *it);
const ldns_rdf *rw_iter_qname(const struct rw_iter *it); /* the name asked at start */
uint16_t rw_iter_qtype(const struct rw_iter *it);

#endif
