/* Internals of the resolver: a request (one client question, or priming, or an on-demand trace)
 * and the resolver's tables. resolver.c runs requests; request.c keeps them (the id and question
 * tables, creating and freeing, writing the trace). Internal to src/core. */
#ifndef RW_RESOLVER_IMPL_H
#define RW_RESOLVER_IMPL_H

#include "answer.h"
#include "gate.h"
#include "prime.h"
#include "rootwalk/iter.h"
#include "rootwalk/layer.h"
#include "rootwalk/resolver.h"
#include "rootwalk/shared.h"
#include "rootwalk/trace.h"
#include "sendshare.h"
#include "stale.h"
#include "tap.h"

#define MAX_DEPTH  8	/* nested sub-resolutions per request */
#define ID_BUCKETS 4096 /* power of two */

/* A client that asked the same question while it was being resolved: answered with the rest. */
struct waiter {
	struct waiter *next;
	rw_response_cb cb;
	void *arg;
	struct rw_client_query cq;
	enum rw_proto proto;
	uint64_t mono_us; /* monotonic time it joined, for the latency histogram */
};

struct req {
	struct rw_resolver *r;
	struct waiter *waiters;
	struct req *prev, *next;    /* all requests */
	struct req *hnext;	    /* id table chain */
	struct req *qnext, **qprev; /* question table chain (client requests); qprev NULL if out */
	uint64_t qhash;
	uint64_t id; /* upstream query in flight, 0 when none */
	rw_response_cb cb;
	void *arg;
	/* An identical upstream query in flight is sent once (sendshare.h): the request that sent
	 * it keeps its entry and the requests that joined it; a joined request keeps its own
	 * query (its iterator's buffer, valid while it waits) to receive a copy of the reply. */
	struct rw_sendshare_entry *share;
	struct req *leader, *followers, *fnext;
	const uint8_t *fwire;
	size_t fwlen;
	bool prime;
	bool primed_before;   /* some priming had succeeded when it began: hints mean it expired */
	bool client;	      /* a client's question: counts against num-queries-per-thread */
	bool parked;	      /* waiting for the priming under way before it starts */
	struct req *pnext;    /* the parked list */
	uint64_t park_until;  /* monotonic ms: starts then at the latest */
	bool finishing;	      /* answering its clients: no new client may join it */
	uint64_t handle;      /* an on-demand trace (rw_resolver_trace), 0 otherwise */
	rw_trace_cb trace_cb; /* NULL once cancelled */
	void *trace_arg;
	struct rw_client_query cq;
	enum rw_proto proto;
	struct rw_iter_shared sh;
	/* stack[0]: the first stage's iterator, whose result answers the client; stack[1..]: the
	 * iterators of nested sub-resolutions, the top one active. With depth 1 the current stage
	 * (stages[stage]) gets the events. */
	struct rw_iter *stack[MAX_DEPTH];
	int depth;
	int stage;
	void *stages[RW_MAX_STAGES];
	uint64_t start_ms;
	int64_t start_us;
	uint64_t mono_us; /* monotonic start, for the latency histogram */
	/* Serve-stale (stale.c): when its clients get the expired records (monotonic ms; 0: not
	 * on the list), the list of such requests in that order, and whether they got them (the
	 * resolution goes on as a refresh). */
	uint64_t stale_at;
	struct req *snext, *sprev;
	bool stale_served;
	bool background; /* a refresh nobody asked for (prefetch, serve-stale): no client stats */
	struct rw_tap_sent tap; /* dnstap: the upstream query in flight (tap.h) */
};

struct rw_resolver {
	const struct rw_env *env;
	const struct rw_config *cfg;
	struct rw_shared *shared; /* cache, infra cache, root hints: borrowed, or owned */
	/* shared->hints when this resolver last took its configuration: the owner of the shared
	 * state swaps shared->hints at a reload while the resolvers of other threads run, so
	 * each reads it only in rw_resolver_use_config (on its own thread). */
	const struct rw_hints *hints;
	const struct rw_layer *const *layers; /* the stages of a resolution (layer.h) */
	int n_layers;
	bool owns_shared;
	struct req *reqs, *reqs_tail; /* newest first: the tail is the oldest */
	size_t n_reqs;
	size_t n_client;  /* requests with client set (admit.c) */
	size_t n_waiters; /* clients that joined a request under way */
	unsigned busy;	  /* calls into the resolver under way (re-entered from callbacks) */
	bool stale;	  /* rw_resolver_set_stale: the queries now handed in waited long */
	/* rw_resolver_set_received: the queries now handed in were read then; 0: unknown */
	uint64_t recv_mono_us;
	struct req *ids[ID_BUCKETS];
	struct req *questions[ID_BUCKETS]; /* client requests by question, to join identical ones */
	uint8_t qkey[16];		   /* SipHash key of that table */
	uint64_t next_id;
	uint64_t next_handle;
	struct rw_sendshare *share; /* upstream queries in flight, by question and server */
	struct rw_prime prime;	    /* when to prime the root NS set */
	struct req *parked;	    /* client questions waiting for the priming under way */
	struct rw_stats stats;
	struct rw_answerer ans;		     /* answers: its buffer, the fast path's trace */
	struct rw_gate gate;		     /* access control, cookies, rate limit (gate.c) */
	struct req *stale_head, *stale_tail; /* requests with a client timer, soonest first */
	struct rw_stale_fail fails[RW_STALE_FAILS]; /* failed refreshes, by question hash */
	uint8_t buf[65535];			    /* answers built without a walk (ans.buf) */
	struct rw_taps taps;			    /* dnstap (tap.h) */
	struct rw_check *checks;		    /* `rootwalk check`s under way (check.c) */
};

/* Admission under load (admit.c). Room for a new client request, made by dropping the oldest
 * slow one if need be; returns false when the new one is to be dropped (counted). */
bool req_admit(struct rw_resolver *r);
/* Whether a client may join a request under way (bounded apart); counted when not. */
bool req_admit_join(struct rw_resolver *r);
/* The request to drop to make room (the oldest client request under way longer than
 * jostle-timeout, with no other request waiting on its upstream query), or NULL. */
struct req *req_admit_victim(const struct rw_resolver *r, uint64_t now_ms);

/* The table of upstream queries in flight: id -> request. */
void req_id_add(struct req *q, uint64_t id);
void req_id_remove(struct req *q);
struct req *req_id_find(struct rw_resolver *r, uint64_t id);
/* The table of client questions under way, to join identical ones (name in any case, type,
 * class, CD), keyed with SipHash so that crafted names cannot pile up in one chain. */
uint64_t req_question_hash(const struct rw_resolver *r, const struct rw_client_query *cq);
void req_question_add(struct req *q, uint64_t h);
void req_question_remove(struct req *q);
struct req *req_in_flight(struct rw_resolver *r, const struct rw_client_query *cq, uint64_t h);
/* A new request (traced: with a trace object), or NULL; freeing drops its upstream queries,
 * its iterators and stages, its waiters and its trace. */
/* The client (address, transport) of to into a trace event. */
void req_trace_client(struct rw_trace_event *e, const struct rw_answer_client *to);
/* A client asking the question q resolves waits for its answer (a waiter). 0 or -ENOMEM. */
int req_join(struct req *q, const struct rw_client_query *cq, const struct rw_answer_client *to);
struct req *req_new(struct rw_resolver *r, bool traced);
/* The list of requests with a client timer (stale.c): append at stale_at (later than those on
 * it), and take off (nothing when not on it). */
void req_stale_link(struct req *q, uint64_t stale_at);
void req_stale_unlink(struct req *q);
/* Begin the first stage for (qname, qtype) and run it (resolver.c). 0 or -ENOMEM. */
int req_start(struct req *q, const ldns_rdf *qname, uint16_t qtype, uint16_t qclass);
/* The prefetch hook of the answerer (resolver.c, struct rw_answerer.prefetch). */
bool rw_resolver_prefetch(void *ctx, const struct rw_client_query *cq,
			  const struct rw_answer_client *to, uint32_t left, uint32_t orig);
/* The stages of a resolution by default (resolver_life.c) and how many a config uses. */
extern const struct rw_layer *const rw_default_layers[2];
int rw_default_layer_count(const struct rw_config *cfg);
void req_free(struct req *q);
/* Whether (name, type) is being resolved on the request's stack already (a loop). */
bool req_on_stack(const struct req *q, const ldns_rdf *name, uint16_t type);
/* The send just traced joined an identical query in flight: say so in the trace. */
void req_mark_shared(struct rw_trace *t);
/* Close the request's trace with its done event and write it (trace-only filters applied). */
void req_write_trace(struct req *q, int rcode);

#endif
