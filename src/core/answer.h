/* Client answers (answer.c): everything the resolver answers without walking, the fast path,
 * and the final answer of a walk. Internal to src/core. */
#ifndef RW_ANSWER_H
#define RW_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rootwalk/cache.h"
#include "rootwalk/config.h"
#include "rootwalk/cookie.h"
#include "rootwalk/env.h"
#include "rootwalk/iter.h"
#include "rootwalk/resolver.h"
#include "rootwalk/trace.h"
#include "rootwalk/wire.h"
#include "sbuf.h"
#include "stats.h"

struct rw_answer_client;

/* What answering needs, borrowed from the resolver (cfg is updated by a reload). */
struct rw_answerer {
	const struct rw_env *env;
	const struct rw_config *cfg;
	struct rw_cache *cache;
	struct rw_stats *stats;
	uint8_t *buf; /* answers built without a walk go here; cap bytes */
	size_t cap;
	struct rw_cache_used used; /* what the fast path used, for its trace */
	struct rw_sbuf tbuf;	   /* the fast path's trace text, reused */
	struct rw_trace_ids ids;   /* the fast path's trace ids */
	/* prefetch: yes (set by the resolver): start a background refresh of the question of a
	 * cache hit whose entry had left of orig seconds; true when one started. */
	bool (*prefetch)(void *ctx, const struct rw_client_query *cq,
			 const struct rw_answer_client *to, uint32_t left, uint32_t orig);
	void *prefetch_ctx;
	uint32_t pf_left, pf_orig; /* the last fast-path answer started a prefetch (orig > 0) */
	/* rw_resolver_set_received: the wall clock when the queries now handed in were read from
	 * their socket, in one batch; 0: unknown (read the clock). */
	int64_t recv_wall_us;
};

/* The client asking. */
struct rw_answer_client {
	const struct sockaddr *addr;
	socklen_t addrlen;
	enum rw_proto proto;
	bool traced; /* its question is to be traced (the filters say so) */
	rw_response_cb cb;
	void *arg;
};

/* The largest UDP answer for this client: its EDNS size (at most ours, 1232: DNS flag day
 * 2020, RFC 9715), 512 without EDNS. */
static inline size_t rw_answer_udp_limit(const struct rw_client_query *cq)
{
	if (!cq->edns)
		return 512;
	size_t n = cq->edns_bufsize < RW_EDNS_BUFSIZE ? cq->edns_bufsize : RW_EDNS_BUFSIZE;
	return n < 512 ? 512 : n;
}
/* Zone transfers are not for a resolver (REFUSED). Meta-types (RFC 6895 3.1: OPT, TSIG, TKEY,
 * the obsolete MAILA and MAILB, and the unassigned 128-248) cannot be asked for: FORMERR, as
 * Unbound answers, instead of a walk for something no zone holds. Inline: every query asks. */
static inline bool rw_answer_meta_type(uint16_t qtype)
{
	return qtype == LDNS_RR_TYPE_OPT || qtype == LDNS_RR_TYPE_TSIG ||
	       qtype == LDNS_RR_TYPE_TKEY || qtype == LDNS_RR_TYPE_MAILA ||
	       qtype == LDNS_RR_TYPE_MAILB || (qtype >= 128 && qtype <= 248);
}

/* Whether a query is not a question for a resolver: malformed, a zone transfer, a meta-type,
 * another class. */
static inline bool rw_answer_is_refusal(enum rw_query_status st, const struct rw_client_query *cq)
{
	return st != RW_QUERY_OK || cq->qtype == LDNS_RR_TYPE_AXFR ||
	       cq->qtype == LDNS_RR_TYPE_IXFR || rw_answer_meta_type(cq->qtype) ||
	       cq->qclass != LDNS_RR_CLASS_IN;
}

/* Answer such a query (FORMERR, NOTIMP, BADVERS, REFUSED) or drop it. True when handled. */
bool rw_answer_refusal(struct rw_answerer *a, const uint8_t *pkt, size_t len,
		       const struct rw_client_query *cq, enum rw_query_status st,
		       const struct rw_answer_client *to);
/* A name in a special-use or locally served zone (localzone.c), answered and traced. */
void rw_answer_local(struct rw_answerer *a, int zone, const uint8_t *pkt, size_t len,
		     const struct rw_client_query *cq, const struct rw_answer_client *to);
/* RD clear, no cached answer: a referral to the closest cached cut (norec.c) or REFUSED. */
void rw_answer_norec(struct rw_answerer *a, const uint8_t *pkt, size_t len,
		     const struct rw_client_query *cq, const struct rw_answer_client *to);
/* The trace of a fast-path answer of len bytes in a->buf, started at t0. */
void rw_answer_trace_fast_hit(struct rw_answerer *a, const struct rw_answer_client *to, size_t len,
			      int64_t t0);

/* The fast path: the whole answer from the cache's wire data (no allocation with tracing off).
 * True when it answered. Inline: it is every cache hit's path. */
static inline bool rw_answer_from_cache(struct rw_answerer *a, const struct rw_client_query *cq,
					const struct rw_answer_client *to)
{
	size_t cap = to->proto == RW_PROTO_UDP ? rw_answer_udp_limit(cq) : a->cap;
	/* room for the COOKIE option, added after (no allocation either) */
	size_t extra = cq->cookie_answer ? RW_COOKIE_OPT_LEN : 0;
	/* The batch's receipt time, as Unbound counts TTLs from its event's time: older than the
	 * clock by the time the batch's earlier queries took (microseconds to a few ms), which
	 * moves no TTL shown (whole seconds, rounded up) but the last moment an entry is served. */
	int64_t now = a->recv_wall_us ? a->recv_wall_us : a->env->now_wall_us(a->env->ctx);
	struct rw_cache_used *used =
		to->traced && a->cfg->trace_only == RW_TRACE_ALL ? &a->used : NULL;
	struct rw_cache_read rd = {.used = used};
	size_t n = rw_cache_answer_read(a->cache, cq, now, a->cfg->max_cname_chain, a->buf,
					cap - extra, &rd);
	if (!n)
		return false;
	if (extra)
		n = rw_cookie_append(a->buf, n, cap, cq->cookie_reply);
	a->stats->cache_hits++;
	a->stats->fast_path++;
	rw_stats_rcode(a->stats, a->buf[3]);
	to->cb(to->arg, a->buf, n);
	a->pf_orig = 0;
	/* in the last 10% of its TTL: refresh it in the background (once: while one runs, the
	 * question is in flight and none starts) */
	if (rd.short_orig && a->prefetch &&
	    a->prefetch(a->prefetch_ctx, cq, to, rd.short_left, rd.short_orig)) {
		a->pf_left = rd.short_left;
		a->pf_orig = rd.short_orig;
	}
	if (used)
		rw_answer_trace_fast_hit(a, to, n, now);
	return true;
}
/* The answer of a finished walk: its records with their TTLs counted down, the SOA of a negative
 * answer, the servers' addresses for NS, the EDE of a failure; over UDP shortened (additional
 * section first, then TC) to the client's size. */
void rw_answer_final(const struct rw_answerer *a, const struct rw_client_query *cq,
		     enum rw_proto proto, const struct rw_iter *it, int rcode, rw_response_cb cb,
		     void *arg);

/* The TTL of records served stale (RFC 8767 4: 30 seconds). */
#define RW_STALE_TTL 30
/* Serve-stale: the answer from the cache, expired records included (those kept for
 * serve-expired-ttl) with TTL RW_STALE_TTL, and EDE 3 "Stale Answer" (RFC 8914) when the
 * client used EDNS; counted in stats.stale_answers. Returns true when it answered (the answer
 * is in a->buf until the next answer), with *expired_us how long ago the longest-expired record
 * used expired (0: none was); false when the cache holds nothing to answer with. */
bool rw_answer_stale(struct rw_answerer *a, const struct rw_client_query *cq, enum rw_proto proto,
		     rw_response_cb cb, void *arg, int64_t *expired_us);
/* The trace of a stale answer given without a resolution (text: why), answer in a->buf. */
void rw_answer_trace_stale(const struct rw_answerer *a, const struct rw_client_query *cq,
			   const struct rw_answer_client *to, const char *text, int64_t t0);

#endif
