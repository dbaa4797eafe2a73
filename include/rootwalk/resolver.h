/* The resolver: the core's entry point for the daemon (and for tests).
 *
 * The edge hands in raw client packets and raw upstream replies; the resolver hands back raw
 * response packets. It owns the cache, the root hints, the trace formatting and the iterators.
 */
#ifndef RW_RESOLVER_H
#define RW_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rootwalk/config.h"
#include "rootwalk/env.h"

struct rw_config;
struct rw_resolver;
struct rw_cache;

enum rw_proto { RW_PROTO_UDP = 0, RW_PROTO_TCP = 1 };

/* Called once per client query with the response to send. resp is borrowed and valid only during
 * the call. len == 0 means "send nothing" (the packet was not worth an answer). The callback may
 * run before rw_resolver_query() returns (cache hits, malformed queries). */
typedef void (*rw_response_cb)(void *arg, const uint8_t *resp, size_t len);

/* Create a resolver. env is borrowed and must outlive the resolver; cfg is borrowed likewise.
 * Loads the root hints named by cfg (or the built-in IANA hints). Returns NULL on failure and
 * writes a reason into err. */
struct rw_resolver *rw_resolver_new(const struct rw_env *env, const struct rw_config *cfg,
				    char *err, size_t errlen);
struct rw_shared;
/* A resolver over shared state (rootwalk/shared.h), borrowed: it must outlive the resolver. One
 * per worker thread; rw_resolver_new() makes a resolver that owns its own. */
struct rw_resolver *rw_resolver_new_shared(const struct rw_env *env, const struct rw_config *cfg,
					   struct rw_shared *shared, char *err, size_t errlen);
/* The stages a resolution runs through (rootwalk/layer.h), borrowed: the iterator first, then
 * up to RW_MAX_STAGES - 1 more (the validator). Only before the first request. Returns 0, or
 * -EINVAL. */
#define RW_MAX_STAGES 4
struct rw_layer;
int rw_resolver_set_layers(struct rw_resolver *r, const struct rw_layer *const *layers, int n);
/* Free the resolver. Outstanding requests are dropped without callbacks; their upstream queries
 * are cancelled through env->cancel. NULL does nothing. */
void rw_resolver_free(struct rw_resolver *r);

/* Prime the root NS set from the hints (RFC 8109). Asynchronous; returns 0 or negative. From then
 * on the resolver keeps it primed: a failed priming is retried on env->set_timer (1 s doubling
 * to 60 s) and logged, and client questions that arrive while a priming is under way wait for
 * it (at most 1.5 s). */
int rw_resolver_prime(struct rw_resolver *r);
/* The timer asked for with env->set_timer fired. */
void rw_resolver_on_timer(struct rw_resolver *r);

/* Handle one client packet. client is the client's address (borrowed). Returns 0 when cb was or
 * will be called exactly once, negative on internal failure (cb not called). -EBUSY: dropped
 * under load (num-queries-per-thread requests under way, none older than jostle-timeout), not
 * to be answered at all, counted in stats.dropped. Cache hits are answered before the load is
 * looked at. A request dropped later to make room for a new one gets cb with len 0 (nothing to
 * send), counted in stats.jostled. */
int rw_resolver_query(struct rw_resolver *r, const uint8_t *pkt, size_t len,
		      const struct sockaddr *client, socklen_t clientlen, enum rw_proto proto,
		      rw_response_cb cb, void *arg);

/* An upstream reply arrived for query id from address from. Returns true if the reply was accepted
 * (the edge then releases the socket and the timer: the id is finished), false if it was rejected
 * (wrong ID, address, port or question: the edge keeps waiting for the real reply). A reply for an
 * id the resolver no longer knows returns true. */
bool rw_resolver_on_reply(struct rw_resolver *r, uint64_t id, const struct sockaddr *from,
			  socklen_t fromlen, const uint8_t *pkt, size_t len);
/* The upstream query id timed out or failed at the network level (err: negative errno-style code,
 * -ETIMEDOUT for a timeout). The id is finished. */
void rw_resolver_on_timeout(struct rw_resolver *r, uint64_t id, int err);

/* On-demand trace (the control socket's `rootwalk trace`): resolve qname/qtype now and hand the
 * trace of this one resolution, formatted as asked, to cb with the final rcode, whatever the
 * trace-log setting (it is also written to the trace log when that is on and in the same format).
 * With fresh, cached answers are ignored (cached delegations are still used) and the fresh answer
 * replaces them. cb may run before this returns. Returns a handle (> 0), or 0 on failure (cb not
 * called). */
typedef void (*rw_trace_cb)(void *arg, int rcode, const char *trace, size_t len);
uint64_t rw_resolver_trace(struct rw_resolver *r, const char *qname, uint16_t qtype, bool fresh,
			   enum rw_trace_format format, rw_trace_cb cb, void *arg);
/* The caller of rw_resolver_trace() went away: cb will not be called for this handle. */
void rw_resolver_trace_cancel(struct rw_resolver *r, uint64_t handle);

/* Use a new configuration (borrowed; must outlive the resolver or the next reconfigure): root
 * hints are reloaded, cache limits and TTL caps change in place, the cache and the
 * infrastructure cache are kept. On error (hints) nothing changes: returns negative with err.
 * For a resolver over borrowed shared state only the configuration changes: the owner calls
 * rw_shared_reconfigure() first. */
int rw_resolver_reconfigure(struct rw_resolver *r, const struct rw_config *cfg, char *err,
			    size_t errlen);
/* Switch to cfg and to the shared state's current root hints (after rw_shared_reconfigure). */
void rw_resolver_use_config(struct rw_resolver *r, const struct rw_config *cfg);

/* Number of client requests still being resolved. */
size_t rw_resolver_pending(const struct rw_resolver *r);

/* The cache (borrowed), for inspection by tests and the control socket. */
struct rw_cache *rw_resolver_cache(struct rw_resolver *r);
/* The shared state (borrowed): the trust anchors and key cache, for the control socket. */
struct rw_shared *rw_resolver_shared(struct rw_resolver *r);

/* Why SERVFAILs were answered: no reachable authority, network error, a limit (queries, NS
 * lookups, CNAME chain, time budget, depth), a CNAME loop, anything else. */
#define RW_SERVFAIL_REASONS 6
extern const char *const rw_servfail_reason_name[RW_SERVFAIL_REASONS];

/* Counters since start. */
#define RW_RTT_BUCKETS 12
/* A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV, NAPTR, DS, DNSKEY, SVCB, HTTPS, ANY, other */
#define RW_STATS_QTYPES 16
extern const char *const rw_stats_qtype_name[RW_STATS_QTYPES];
/* The index of qtype in client_qtype (RW_STATS_QTYPES - 1: other). */
int rw_stats_qtype_index(uint16_t qtype);
#define RW_LATENCY_BUCKETS 13
extern const uint32_t rw_stats_latency_us[RW_LATENCY_BUCKETS - 1];
struct rw_stats {
	uint64_t client_queries[2]; /* by enum rw_proto */
	uint64_t client_rcode[16];
	uint64_t client_answers; /* every answer sent: the rcodes' sum, BADVERS included */
	uint64_t client_malformed;
	uint64_t cache_hits, cache_misses;
	uint64_t fast_path;	/* cache hits answered from wire data without allocation */
	uint64_t joined;	/* client queries that joined an identical one in flight */
	uint64_t local_answers; /* answered from a special-use zone (localhost. ...) */
	uint64_t upstream_queries, upstream_timeouts, upstream_tcp_retries;
	uint64_t upstream_shared; /* queries not sent: an identical one was in flight */
	uint64_t replies_rejected;
	uint64_t servfail;
	uint64_t servfail_reason[RW_SERVFAIL_REASONS]; /* by rw_servfail_reason_name[] */
	uint64_t client_badvers;		       /* BADVERS (16) answers */
	/* walked answers by the validator's verdict (enum rw_vstate: unchecked, secure, insecure,
	 * bogus); fast-path answers are counted as cache hits only */
	uint64_t dnssec[4];
	/* upstream RTTs: < 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000 ms, and longer */
	uint64_t rtt_hist[RW_RTT_BUCKETS];
	/* Upstream DNS cookies and 0x20 (issue 13) */
	uint64_t upstream_case_mismatch; /* UDP replies with the wrong 0x20 case: dropped */
	uint64_t upstream_no_0x20; /* servers found (over TCP or by cookie) not to echo case */
	uint64_t upstream_cookie_mismatch; /* replies whose client cookie was not ours: dropped */
	uint64_t upstream_badcookie;	   /* BADCOOKIE replies (asked again with the new cookie) */
	uint64_t
		upstream_cookie_missing; /* UDP replies without the COOKIE a server gave: dropped */
	/* The client gate (gate.c): queries refused (REFUSED: by access-control, or RD=0 from a
	 * client allowed recursion only) and dropped by access-control (deny); over
	 * ip-ratelimit, dropped or answered TC=1; COOKIE options by enum rw_cookie_state
	 * (none is not counted, client only, valid, invalid). */
	uint64_t acl_refused, acl_denied;
	uint64_t ratelimit_dropped, ratelimit_slipped;
	uint64_t cookies[4];
	/* Load (issue 13): client queries dropped without an answer, none of them SERVFAILed. */
	uint64_t jostled; /* under way longer than jostle-timeout, dropped to make room */
	uint64_t dropped; /* new, num-queries-per-thread full and nothing old enough to drop */
	uint64_t stale;	  /* new, full, and they had waited too long in the socket's queue */
	uint64_t upstream_range_full; /* sends refused: outgoing-range upstream queries in flight */
	uint64_t tcp_evicted;	      /* client TCP connections closed to make room for a new one */
	uint64_t tcp_per_client;      /* TCP connections refused: tcp-connections-per-client */
	/* Metrics (issue 14): parsed client questions by type (index rw_stats_qtype_index(),
	 * names rw_stats_qtype_name[]), and the latency of every client answer, cache hits and
	 * resolutions alike, from rw_resolver_query() to the answer (rw_stats_latency_us[]
	 * upper bounds, the last bucket unbounded; not cumulative). */
	uint64_t client_qtype[RW_STATS_QTYPES];
	uint64_t answer_latency[RW_LATENCY_BUCKETS];
	uint64_t answer_latency_sum_us;
	/* Serve-stale and prefetch (issue 14, stale.c). */
	uint64_t stale_answers; /* clients answered with expired records (RFC 8767) */
	uint64_t prefetches;	/* background refreshes started by prefetch */
	/* dnstap (issue 14): messages handed to env->dnstap and queued, or dropped (no reader
	 * connected, or its queue full) */
	uint64_t dnstap_sent, dnstap_dropped;
};
extern const uint32_t rw_rtt_bucket_ms[RW_RTT_BUCKETS - 1];
const struct rw_stats *rw_resolver_stats(const struct rw_resolver *r);
/* Add every counter of st to sum (the daemon sums its worker threads' counters). */
void rw_stats_add(struct rw_stats *sum, const struct rw_stats *st);

/* What access-control says about client (borrowed), for listeners beside DNS (metrics). */
enum rw_acl_action rw_resolver_acl(const struct rw_resolver *r, const struct sockaddr *client);

/* The next queries handed to rw_resolver_query() waited too long in the socket's queue (stale
 * true): while every num-queries-per-thread request is taken, they are dropped (-EBUSY,
 * stats.stale) rather than take the place of one under way; cache hits and clients joining a
 * question under way are answered as always. Draining a deep queue so costs little, and the
 * cache hits behind it wait less. */
void rw_resolver_set_stale(struct rw_resolver *r, bool stale);
/* The next queries handed to rw_resolver_query() were read from their socket, in one batch, at
 * wall_us (env's wall clock) and mono_us (env's monotonic microseconds); 0, 0: unknown, the
 * resolver reads the clocks itself. The latency histogram then counts a query answered during
 * the call from mono_us (the time it waited behind the batch's earlier queries included), and
 * the fast path counts TTLs down to wall_us: one read of each clock per batch instead of three
 * per answer. The caller sets them back to 0 once the batch is handed in. */
void rw_resolver_set_received(struct rw_resolver *r, int64_t wall_us, uint64_t mono_us);
/* Whether every num-queries-per-thread request is taken: only then does it matter whether a
 * query is stale, so the edge looks at its receive time only then. */
bool rw_resolver_full(const struct rw_resolver *r);

/* What the edge did under load, counted in the resolver's stats. */
enum rw_load_event {
	RW_LOAD_TCP_EVICTED,	/* a client TCP connection closed to make room */
	RW_LOAD_TCP_PER_CLIENT, /* a TCP connection refused: too many from that client */
};
void rw_resolver_count_load(struct rw_resolver *r, enum rw_load_event ev);

#endif
