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
#include "rootwalk/env.h"
#include "rootwalk/iter.h"
#include "rootwalk/resolver.h"
#include "rootwalk/wire.h"
#include "sbuf.h"

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

/* The largest UDP answer for this client: its EDNS size (at most ours), 512 without EDNS. */
size_t rw_answer_udp_limit(const struct rw_client_query *cq);
/* A query that is not a question for a resolver (malformed, a zone transfer, a meta-type,
 * another class): answered (FORMERR, NOTIMP, BADVERS, REFUSED) or dropped. True when handled. */
bool rw_answer_refusal(struct rw_answerer *a, const uint8_t *pkt, size_t len,
		       const struct rw_client_query *cq, enum rw_query_status st,
		       const struct rw_answer_client *to);
/* A name in a special-use or locally served zone (localzone.c), answered and traced. */
void rw_answer_local(struct rw_answerer *a, int zone, const uint8_t *pkt, size_t len,
		     const struct rw_client_query *cq, const struct rw_answer_client *to);
/* RD clear, no cached answer: a referral to the closest cached cut (norec.c) or REFUSED. */
void rw_answer_norec(struct rw_answerer *a, const uint8_t *pkt, size_t len,
		     const struct rw_client_query *cq, const struct rw_answer_client *to);
/* The fast path: the whole answer from the cache's wire data (no allocation with tracing off).
 * True when it answered. */
bool rw_answer_from_cache(struct rw_answerer *a, const struct rw_client_query *cq,
			  const struct rw_answer_client *to);
/* The answer of a finished walk: its records with their TTLs counted down, the SOA of a negative
 * answer, the servers' addresses for NS, the EDE of a failure; over UDP shortened (additional
 * section first, then TC) to the client's size. */
void rw_answer_final(const struct rw_answerer *a, const struct rw_client_query *cq,
		     enum rw_proto proto, const struct rw_iter *it, int rcode, rw_response_cb cb,
		     void *arg);

#endif
