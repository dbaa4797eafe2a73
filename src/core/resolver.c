/* The resolver: client requests in, responses out; drives iterators and their sub-resolutions.
 *
 * Each client request owns a stack of iterators: the bottom one answers the client's question,
 * each one above resolves a name server address that the one below needs. Only the top of the
 * stack is ever active, and it has at most one upstream query in flight, whose id maps back to
 * the request. All I/O goes through struct rw_env.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rootwalk/cache.h"
#include "rootwalk/config.h"
#include "rootwalk/hints.h"
#include "rootwalk/infra.h"
#include "rootwalk/iter.h"
#include "rootwalk/localzone.h"
#include "rootwalk/norec.h"
#include "rootwalk/resolver.h"
#include "rootwalk/trace.h"
#include "rootwalk/wire.h"
#include "rootwalk/zonecut.h"
#include "prime.h"
#include "sbuf.h"
#include "sendshare.h"

#define MAX_DEPTH   8	 /* nested sub-resolutions per request */
#define ID_BUCKETS  4096 /* power of two */
#define UDP_NO_EDNS 512

/* A client that asked the same question while it was being resolved: answered with the rest. */
struct waiter {
	struct waiter *next;
	rw_response_cb cb;
	void *arg;
	struct rw_client_query cq;
	enum rw_proto proto;
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
	struct rw_iter *stack[MAX_DEPTH];
	int depth;
	uint64_t start_ms;
	int64_t start_us;
};

struct rw_resolver {
	const struct rw_env *env;
	const struct rw_config *cfg;
	struct rw_hints *hints;
	struct rw_cache *cache;
	struct rw_infra *infra;
	struct req *reqs;
	size_t n_reqs;
	struct req *ids[ID_BUCKETS];
	struct req *questions[ID_BUCKETS]; /* client requests by question, to join identical ones */
	uint8_t qkey[16];		   /* SipHash key of that table */
	uint64_t next_id;
	uint64_t next_handle;
	struct rw_sendshare *share; /* upstream queries in flight, by question and server */
	struct rw_prime prime;	    /* when to prime the root NS set */
	struct req *parked;	    /* client questions waiting for the priming under way */
	struct rw_stats stats;
	uint8_t fast[65535];	   /* responses built by the cache fast path */
	struct rw_cache_used used; /* what the fast path used, for its trace */
	struct rw_sbuf tbuf;	   /* its trace text, reused */
};

_Static_assert(RW_SERVFAIL_REASONS == RW_FAIL_REASONS, "one SERVFAIL counter per reason");
const char *const rw_servfail_reason_name[RW_SERVFAIL_REASONS] = {
	[RW_FAIL_NO_AUTHORITY] = "no_reachable_authority",
	[RW_FAIL_NETWORK] = "network_error",
	[RW_FAIL_LIMIT] = "limit",
	[RW_FAIL_CNAME_LOOP] = "cname_loop",
	[RW_FAIL_OTHER] = "other",
};

const uint32_t rw_rtt_bucket_ms[RW_RTT_BUCKETS - 1] = {1,   2,	 5,   10,   20,	 50,
						       100, 200, 500, 1000, 2000};

/* ---------------------------------------------------------------------------------------------
 * Id table
 */

static struct req **id_slot(struct rw_resolver *r, uint64_t id)
{
	return &r->ids[id & (ID_BUCKETS - 1)];
}

static void id_add(struct req *q, uint64_t id)
{
	struct req **head = id_slot(q->r, id);
	q->id = id;
	q->hnext = *head;
	*head = q;
}

static void id_remove(struct req *q)
{
	if (!q->id)
		return;
	for (struct req **pp = id_slot(q->r, q->id); *pp; pp = &(*pp)->hnext) {
		if (*pp == q) {
			*pp = q->hnext;
			break;
		}
	}
	q->id = 0;
	q->hnext = NULL;
}

static struct req *id_find(struct rw_resolver *r, uint64_t id)
{
	for (struct req *q = *id_slot(r, id); q; q = q->hnext)
		if (q->id == id)
			return q;
	return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Requests
 */

static void question_remove(struct req *q);

static void req_free(struct req *q)
{
	struct rw_resolver *r = q->r;

	if (q->parked) {
		struct req **pp = &r->parked;
		while (*pp && *pp != q)
			pp = &(*pp)->pnext;
		if (*pp)
			*pp = q->pnext;
	}
	question_remove(q);
	rw_sendshare_remove(r->share, q->share);
	if (q->leader) {
		struct req **pp = &q->leader->followers;
		while (*pp && *pp != q)
			pp = &(*pp)->fnext;
		if (*pp)
			*pp = q->fnext;
	}
	/* Only rw_resolver_free() frees a request that waits for a reply: its followers go too. */
	for (struct req *f = q->followers; f; f = f->fnext)
		f->leader = NULL;

	if (q->id) {
		r->env->cancel(r->env->ctx, q->id);
		id_remove(q);
	}
	for (int i = 0; i < q->depth; i++)
		rw_iter_free(q->stack[i]);
	while (q->waiters) {
		struct waiter *w = q->waiters;
		q->waiters = w->next;
		free(w);
	}
	rw_trace_free(q->sh.trace);
	if (q->prev)
		q->prev->next = q->next;
	else
		r->reqs = q->next;
	if (q->next)
		q->next->prev = q->prev;
	r->n_reqs--;
	free(q);
}

static uint32_t ttl_left(int64_t expires_us, uint32_t orig, int64_t now)
{
	int64_t left = (expires_us - now + 999999) / 1000000;
	if (left < 0)
		left = 0;
	if (left > orig)
		left = orig;
	return (uint32_t)left;
}

/* An Extended DNS Error option (RFC 8914): INFO-CODE and a short UTF-8 text. */
static void add_ede(ldns_pkt *p, int code, const char *text)
{
	uint8_t buf[4 + 2 + 200];
	size_t tlen = text ? strlen(text) : 0;
	if (tlen > 200)
		tlen = 200;
	buf[0] = 0, buf[1] = 15; /* OPTION-CODE 15: Extended DNS Error */
	buf[2] = (uint8_t)((2 + tlen) >> 8), buf[3] = (uint8_t)(2 + tlen);
	buf[4] = (uint8_t)(code >> 8), buf[5] = (uint8_t)code;
	if (tlen)
		memcpy(buf + 6, text, tlen);
	ldns_rdf *d = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, 6 + tlen, buf);
	if (d)
		ldns_pkt_set_edns_data(p, d);
}

/* Build the client response into a malloc'd buffer. */
/* How much of the response: all of it, without the additional section, or TC and the question. */
enum shape { FULL, NO_ADDITIONAL, TRUNCATED };

struct additional {
	ldns_pkt *p;
	int64_t now;
};

static bool push_addrs(void *arg, const struct rw_cache_entry *e, bool parent_side)
{
	struct additional *ad = arg;
	uint32_t ttl = rw_cache_ttl_left(e, ad->now);
	(void)parent_side;
	for (size_t k = 0; k < ldns_rr_list_rr_count(e->rrs); k++) {
		ldns_rr *rr = ldns_rr_clone(ldns_rr_list_rr(e->rrs, k));
		if (rr) {
			ldns_rr_set_ttl(rr, ttl);
			ldns_pkt_push_rr(ad->p, LDNS_SECTION_ADDITIONAL, rr);
		}
	}
	return true;
}

/* For an NS answer, the cached addresses of the name servers (what `dig +trace` reads). */
static void add_ns_addresses(struct rw_resolver *r, ldns_pkt *p, int64_t now)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	struct additional ad = {p, now};
	size_t n = ldns_rr_list_rr_count(an);
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *ns = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(ns) == LDNS_RR_TYPE_NS && ldns_rr_rdf(ns, 0))
			rw_zonecut_addrs(r->cache, ldns_rr_rdf(ns, 0), now, false, push_addrs, &ad);
	}
}

static uint8_t *build_response(struct req *q, const struct rw_client_query *cq,
			       const struct rw_iter *it, int rcode, enum shape shape, size_t *len)
{
	bool truncate = shape == TRUNCATED;
	int64_t now = q->r->env->now_wall_us(q->r->env->ctx);
	ldns_pkt *p = ldns_pkt_new();
	uint8_t *wire = NULL;

	if (!p)
		return NULL;
	ldns_pkt_set_id(p, cq->id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rd(p, (cq->flags & RW_FLAG_RD) != 0);
	ldns_pkt_set_cd(p, (cq->flags & RW_FLAG_CD) != 0);
	ldns_pkt_set_opcode(p, LDNS_PACKET_QUERY);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	ldns_pkt_set_tc(p, truncate);

	ldns_rr *qrr = ldns_rr_new();
	ldns_rdf *qname = ldns_dname_new_frm_data((uint16_t)cq->qname_len, cq->qname);
	if (!qrr || !qname) {
		ldns_rr_free(qrr);
		ldns_rdf_deep_free(qname);
		ldns_pkt_free(p);
		return NULL;
	}
	ldns_rr_set_owner(qrr, qname);
	ldns_rr_set_type(qrr, cq->qtype);
	ldns_rr_set_class(qrr, cq->qclass);
	ldns_rr_set_question(qrr, true);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, qrr);

	/* A failure carries no partial data (a CNAME chain that ended in a loop, say). */
	if (it && !truncate && rcode != LDNS_RCODE_SERVFAIL) {
		size_t n;
		const struct rw_iter_rec *recs = rw_iter_answer(it, &n);
		for (size_t i = 0; i < n; i++) {
			ldns_rr *rr = ldns_rr_clone(recs[i].rr);
			if (!rr)
				continue;
			ldns_rr_set_ttl(rr, ttl_left(recs[i].expires_us, recs[i].orig_ttl, now));
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
		}
		const struct rw_iter_rec *soa = rw_iter_soa(it);
		if (soa) {
			ldns_rr *rr = ldns_rr_clone(soa->rr);
			if (rr) {
				ldns_rr_set_ttl(rr, ttl_left(soa->expires_us, soa->orig_ttl, now));
				ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
			}
		}
		if (shape == FULL && cq->qtype == LDNS_RR_TYPE_NS)
			add_ns_addresses(q->r, p, now);
	}
	if (cq->edns) {
		ldns_pkt_set_edns_udp_size(p, RW_EDNS_BUFSIZE);
		ldns_pkt_set_edns_do(p, cq->do_bit); /* RFC 3225 3: DO is copied */
		if (it && rcode == LDNS_RCODE_SERVFAIL && rw_iter_ede(it) >= 0)
			add_ede(p, rw_iter_ede(it), rw_iter_fail_reason(it));
	}
	if (ldns_pkt2wire(&wire, p, len) != LDNS_STATUS_OK)
		wire = NULL;
	ldns_pkt_free(p);
	return wire;
}

static size_t udp_limit(const struct rw_client_query *cq)
{
	if (!cq->edns)
		return UDP_NO_EDNS;
	size_t n = cq->edns_bufsize < RW_EDNS_BUFSIZE ? cq->edns_bufsize : RW_EDNS_BUFSIZE;
	return n < UDP_NO_EDNS ? UDP_NO_EDNS : n;
}

static void write_trace(struct req *q, int rcode)
{
	const struct rw_env *env = q->r->env;
	struct rw_trace *t = q->sh.trace;

	if (!t || (!env->trace_write && !q->trace_cb))
		return;
	/* trace-only: skip what the operator did not ask for (on-demand traces always go) */
	enum rw_trace_only only = q->r->cfg->trace_only;
	bool keep = only == RW_TRACE_ALL || (only == RW_TRACE_MISS && q->sh.upstream > 0) ||
		    (only == RW_TRACE_FAIL && (rcode == LDNS_RCODE_SERVFAIL || q->sh.timeouts > 0));
	if (!keep && !q->trace_cb)
		return;
	struct rw_trace_event *e = rw_trace_add(t, RW_EV_DONE, "", env->now_wall_us(env->ctx));
	if (e) {
		e->elapsed_us = e->wall_us - q->start_us;
		e->upstream = q->sh.upstream;
		e->cache_hits = q->sh.cache_hits;
		e->subres = q->sh.subres;
		e->rcode = rcode;
	}
	size_t len = 0;
	char *text = rw_trace_format(t, &len);
	if (text && env->trace_write && keep && t->format == q->r->cfg->trace_format)
		env->trace_write(env->ctx, text, len);
	if (q->trace_cb)
		q->trace_cb(q->trace_arg, rcode, text ? text : "", text ? len : 0);
	free(text);
}

static void respond(struct req *q, rw_response_cb cb, void *arg, const struct rw_client_query *cq,
		    enum rw_proto proto, const struct rw_iter *it, int rcode)
{
	size_t len = 0;
	uint8_t *wire = build_response(q, cq, it, rcode, FULL, &len);

	q->r->stats.client_rcode[rcode & 15]++;
	/* too big for the client's UDP: drop the additional section first (RFC 2181 9), then TC */
	for (enum shape sh = NO_ADDITIONAL;
	     wire && proto == RW_PROTO_UDP && len > udp_limit(cq) && sh <= TRUNCATED; sh++) {
		free(wire);
		wire = build_response(q, cq, it, rcode, sh, &len);
	}
	/* out of memory: send nothing, the client retries */
	cb(arg, wire, wire ? len : 0);
	free(wire);
}

static int req_start(struct req *q, const ldns_rdf *qname, uint16_t qtype, uint16_t qclass);

/* Ask the edge for one timer: the next priming retry or the end of the oldest wait. */
static void arm_timer(struct rw_resolver *r)
{
	const struct rw_env *env = r->env;
	uint64_t now = env->now_mono_ms(env->ctx), at = UINT64_MAX;
	if (!env->set_timer)
		return;
	if (r->prime.phase == RW_PRIME_BACKOFF)
		at = r->prime.retry_at_ms;
	for (struct req *q = r->parked; q; q = q->pnext)
		if (q->park_until < at)
			at = q->park_until;
	if (at != UINT64_MAX)
		env->set_timer(env->ctx, at > now ? (uint32_t)(at - now) : 0);
}

/* Start the questions that waited for the priming (all, or those whose wait is over). */
static void unpark(struct rw_resolver *r, bool all)
{
	uint64_t now = r->env->now_mono_ms(r->env->ctx);
	struct req *list = NULL, **pp = &r->parked;
	while (*pp) {
		struct req *q = *pp;
		if (all || now >= q->park_until) {
			*pp = q->pnext;
			q->pnext = list;
			list = q;
		} else {
			pp = &q->pnext;
		}
	}
	while (list) {
		struct req *q = list;
		list = q->pnext;
		q->parked = false;
		q->pnext = NULL;
		ldns_rdf *qname = ldns_dname_new_frm_data((uint16_t)q->cq.qname_len, q->cq.qname);
		if (!qname || req_start(q, qname, q->cq.qtype, q->cq.qclass) < 0) {
			if (q->cb)
				q->cb(q->arg, NULL,
				      0); /* out of memory: no answer rather than none */
			req_free(q);
		}
		ldns_rdf_deep_free(qname);
	}
	arm_timer(r);
}

/* The priming query ended: on failure, log it and retry on the timer, with backoff. */
static void prime_finished(struct rw_resolver *r, const struct rw_iter *it, int rcode)
{
	size_t n = 0;
	rw_iter_answer(it, &n);
	bool ok = rcode == LDNS_RCODE_NOERROR && n > 0;
	uint32_t wait = rw_prime_finished(&r->prime, ok, r->env->now_mono_ms(r->env->ctx));
	if (!ok && r->env->log) {
		char msg[400];
		const char *why = rw_iter_fail_reason(it);
		snprintf(msg, sizeof(msg),
			 "priming the root NS set failed (%s): %u failure(s) in a row, retrying in "
			 "%u s",
			 why ? why : rw_rcode_str(rcode), r->prime.failures, wait / 1000);
		r->env->log(r->env->ctx, 4, msg);
	}
	arm_timer(r);
}

/* The bottom iterator is done: answer the clients and free the request. */
static void finish(struct req *q)
{
	struct rw_resolver *r = q->r;
	const struct rw_iter *it = q->stack[0];
	int rcode = rw_iter_rcode(it);

	if (rcode == LDNS_RCODE_SERVFAIL) {
		r->stats.servfail++;
		r->stats.servfail_reason[rw_iter_fail_why(it)]++;
	}
	if (q->sh.upstream == 0)
		r->stats.cache_hits++;
	else
		r->stats.cache_misses++;
	write_trace(q, rcode);
	/* A response can make the server read the next query of a TCP connection at once; if
	 * that asked the same question, it must not join this request, whose waiters are being
	 * answered now: it would never be answered. */
	q->finishing = true;
	if (q->cb)
		respond(q, q->cb, q->arg, &q->cq, q->proto, it, rcode);
	for (struct waiter *w = q->waiters; w; w = w->next)
		respond(q, w->cb, w->arg, &w->cq, w->proto, it, rcode);
	bool was_prime = q->prime;
	if (was_prime)
		prime_finished(r, it, rcode);
	/* RFC 8109 4: when the primed root NS set has expired, prime again (but a priming that
	 * failed waits for its timer) */
	bool reprime = q->sh.used_hints && !q->prime && rw_prime_after_hints(&r->prime);
	req_free(q);
	if (was_prime)
		unpark(r, true);
	if (reprime)
		rw_resolver_prime(r);
}

/* A resolution of the same question (name in any case, type, class, CD) already under way. */
/* The question table: client requests by (name in any case, type, class, CD), keyed with
 * SipHash so that crafted names cannot pile up in one chain. */
static uint64_t question_hash(const struct rw_resolver *r, const struct rw_client_query *cq)
{
	uint8_t buf[256 + 5], out[crypto_shorthash_BYTES];
	size_t n = cq->qname_len;
	uint64_t h;
	for (size_t i = 0; i < n; i++)
		buf[i] = (cq->qname[i] >= 'A' && cq->qname[i] <= 'Z') ? (uint8_t)(cq->qname[i] + 32)
								      : cq->qname[i];
	buf[n] = (uint8_t)(cq->qtype >> 8);
	buf[n + 1] = (uint8_t)cq->qtype;
	buf[n + 2] = (uint8_t)(cq->qclass >> 8);
	buf[n + 3] = (uint8_t)cq->qclass;
	buf[n + 4] = (cq->flags & RW_FLAG_CD) ? 1 : 0;
	crypto_shorthash(out, buf, n + 5, r->qkey);
	memcpy(&h, out, sizeof(h));
	return h;
}

static void question_add(struct req *q, uint64_t h)
{
	struct req **head = &q->r->questions[h & (ID_BUCKETS - 1)];
	q->qhash = h;
	q->qnext = *head;
	if (*head)
		(*head)->qprev = &q->qnext;
	*head = q;
	q->qprev = head;
}

static void question_remove(struct req *q)
{
	if (!q->qprev)
		return;
	*q->qprev = q->qnext;
	if (q->qnext)
		q->qnext->qprev = q->qprev;
	q->qprev = NULL;
	q->qnext = NULL;
}

/* A resolution of the same question (name in any case, type, class, CD) already under way. */
static struct req *in_flight(struct rw_resolver *r, const struct rw_client_query *cq, uint64_t h)
{
	for (struct req *q = r->questions[h & (ID_BUCKETS - 1)]; q; q = q->qnext)
		if (q->qhash == h && !q->finishing && q->cq.qtype == cq->qtype &&
		    q->cq.qclass == cq->qclass && ((q->cq.flags ^ cq->flags) & RW_FLAG_CD) == 0 &&
		    rw_wire_name_equal(q->cq.qname, q->cq.qname_len, cq->qname, cq->qname_len))
			return q;
	return NULL;
}

static bool on_stack(const struct req *q, const ldns_rdf *name, uint16_t type)
{
	for (int i = 0; i < q->depth; i++)
		if (rw_iter_qtype(q->stack[i]) == type &&
		    ldns_dname_compare(rw_iter_qname(q->stack[i]), name) == 0)
			return true;
	return false;
}

/* The send just traced joined an identical query in flight: say so. */
static void mark_shared(struct rw_trace *t)
{
	for (size_t i = t ? t->n : 0; i-- > 0;) {
		if (t->ev[i].type == RW_EV_SEND) {
			t->ev[i].shared = true;
			return;
		}
	}
}

/* Carry out actions until the request waits for the network or is finished. */
static void drive(struct req *q, struct rw_iter_out *out)
{
	struct rw_resolver *r = q->r;

	for (;;) {
		struct rw_iter *top = q->stack[q->depth - 1];
		uint64_t elapsed = r->env->now_mono_ms(r->env->ctx) - q->start_ms;

		if (out->act != RW_ACT_DONE && elapsed > r->cfg->query_budget_ms) {
			char reason[96];
			snprintf(reason, sizeof(reason), "limit query-budget (%u ms) used up",
				 r->cfg->query_budget_ms);
			while (q->depth > 1)
				rw_iter_free(q->stack[--q->depth]);
			rw_iter_fail(q->stack[0], RW_FAIL_LIMIT, reason, out);
			finish(q);
			return;
		}
		switch (out->act) {
		case RW_ACT_NONE:
			/* an event left no action: never hang the client, fail it */
			while (q->depth > 1)
				rw_iter_free(q->stack[--q->depth]);
			rw_iter_fail(q->stack[0], RW_FAIL_OTHER,
				     "internal error: the iterator produced no action", out);
			finish(q);
			return;
		case RW_ACT_SEND: {
			struct req *lead =
				rw_sendshare_find(r->share, (const struct sockaddr *)&out->addr,
						  out->addrlen, out->tcp, out->wire, out->len);
			if (lead && lead != q) {
				/* the same question to the same server is in flight: share it */
				q->leader = lead;
				q->fnext = lead->followers;
				lead->followers = q;
				q->fwire = out->wire;
				q->fwlen = out->len;
				r->stats.upstream_shared++;
				mark_shared(q->sh.trace);
				return;
			}
			struct rw_upstream_query uq = {
				.id = ++r->next_id,
				.addr = (const struct sockaddr *)&out->addr,
				.addrlen = out->addrlen,
				.tcp = out->tcp,
				.wire = out->wire,
				.len = out->len,
				.timeout_ms = out->timeout_ms,
			};
			r->stats.upstream_queries++;
			if (out->tcp)
				r->stats.upstream_tcp_retries++;
			id_add(q, uq.id);
			int rc = r->env->send(r->env->ctx, &uq);
			if (rc == 0) {
				q->share = rw_sendshare_add(r->share, q, uq.addr, uq.addrlen,
							    out->tcp, out->wire, out->len);
				return;
			}
			id_remove(q);
			out->act = RW_ACT_NONE;
			rw_iter_timeout(top, rc, out);
			break;
		}
		case RW_ACT_SUBRESOLVE: {
			struct rw_iter *child = NULL;
			if (q->depth <= (int)r->cfg->max_subresolution_depth &&
			    q->depth < MAX_DEPTH && !on_stack(q, out->sub_qname, out->sub_qtype))
				child = rw_iter_new(&q->sh, out->sub_qname, out->sub_qtype,
						    LDNS_RR_CLASS_IN, q->depth, out->sub_step);
			if (!child) {
				struct rw_trace_event *e =
					rw_trace_add(q->sh.trace, RW_EV_FAIL, out->sub_step,
						     r->env->now_wall_us(r->env->ctx));
				if (e) {
					char buf[300];
					char *n = rw_dname_str(out->sub_qname);
					snprintf(buf, sizeof(buf),
						 on_stack(q, out->sub_qname, out->sub_qtype)
							 ? "cannot look up %s: it depends on itself"
							 : "cannot look up %s: limit "
							   "max-subresolution-depth (%u) reached",
						 n, r->cfg->max_subresolution_depth);
					free(n);
					e->text = strdup(buf);
					e->depth = q->depth;
				}
				out->act = RW_ACT_NONE;
				rw_iter_subresult(top, NULL, out);
				break;
			}
			q->stack[q->depth++] = child;
			out->act = RW_ACT_NONE;
			rw_iter_start(child, out);
			break;
		}
		case RW_ACT_DONE:
			if (q->depth == 1) {
				finish(q);
				return;
			}
			q->depth--;
			out->act = RW_ACT_NONE;
			rw_iter_subresult(q->stack[q->depth - 1], top, out);
			rw_iter_free(top);
			break;
		}
	}
}

static struct req *req_new(struct rw_resolver *r, bool traced)
{
	struct req *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->r = r;
	q->sh.env = r->env;
	q->sh.cfg = r->cfg;
	q->sh.cache = r->cache;
	q->sh.hints = r->hints;
	q->sh.infra = r->infra;
	q->sh.rtt_hist = r->stats.rtt_hist;
	q->start_ms = r->env->now_mono_ms(r->env->ctx);
	q->sh.deadline_ms = q->start_ms + r->cfg->query_budget_ms;
	q->start_us = r->env->now_wall_us(r->env->ctx);
	if (traced && r->env->trace_write) {
		uint64_t tid;
		r->env->random_buf(r->env->ctx, &tid, sizeof(tid));
		q->sh.trace = rw_trace_new(tid, r->cfg->trace_format);
	}
	q->next = r->reqs;
	if (r->reqs)
		r->reqs->prev = q;
	r->reqs = q;
	r->n_reqs++;
	return q;
}

/* Start the bottom iterator for (qname, qtype) and run it. */
static int req_start(struct req *q, const ldns_rdf *qname, uint16_t qtype, uint16_t qclass)
{
	struct rw_iter *it = rw_iter_new(&q->sh, qname, qtype, qclass, 0, "");
	if (!it)
		return -ENOMEM;
	q->stack[0] = it;
	q->depth = 1;
	struct rw_iter_out out;
	memset(&out, 0, sizeof(out));
	rw_iter_start(it, &out);
	drive(q, &out);
	return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Public interface
 */

struct rw_resolver *rw_resolver_new(const struct rw_env *env, const struct rw_config *cfg,
				    char *err, size_t errlen)
{
	struct rw_resolver *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->env = env;
	r->cfg = cfg;
	rw_prime_init(&r->prime);
	r->hints = rw_hints_load(cfg->root_hints, err, errlen);
	if (!r->hints) {
		free(r);
		return NULL;
	}
	uint8_t key[16];
	env->random_buf(env->ctx, key, sizeof(key));
	env->random_buf(env->ctx, r->qkey, sizeof(r->qkey));
	struct rw_cache_opts opts = {
		.max_bytes = cfg->cache_size,
		.max_ttl = cfg->cache_max_ttl,
		.min_ttl = cfg->cache_min_ttl,
		.max_negative_ttl = cfg->cache_max_negative_ttl,
	};
	r->cache = rw_cache_new(&opts, key);
	r->infra = rw_infra_new(key, 10000, cfg->infra_ttl);
	r->share = rw_sendshare_new(r->qkey);
	if (!r->cache || !r->infra || !r->share) {
		rw_sendshare_free(r->share);
		rw_cache_free(r->cache);
		rw_infra_free(r->infra);
		rw_hints_free(r->hints);
		free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return r;
}

void rw_resolver_free(struct rw_resolver *r)
{
	if (!r)
		return;
	while (r->reqs)
		req_free(r->reqs);
	rw_cache_free(r->cache);
	rw_infra_free(r->infra);
	rw_sendshare_free(r->share);
	rw_hints_free(r->hints);
	free(r->tbuf.p);
	free(r);
}

int rw_resolver_prime(struct rw_resolver *r)
{
	/* an internal lookup has no client: traced only when the filters name no clients and
	 * allow the root */
	static const uint8_t root_wire[1] = {0};
	struct req *q = req_new(r, rw_config_trace_wanted(r->cfg, root_wire, 1, NULL));
	if (!q)
		return -ENOMEM;
	q->prime = true;
	rw_prime_started(&r->prime);
	q->sh.no_cache_answer = true;
	struct rw_trace_event *e =
		rw_trace_add(q->sh.trace, RW_EV_QUERY, "", r->env->now_wall_us(r->env->ctx));
	if (e) {
		e->qname = strdup(".");
		e->qtype = LDNS_RR_TYPE_NS;
		e->text = strdup("priming the root NS set, RFC 8109");
	}
	ldns_rdf *root = ldns_dname_new_frm_str(".");
	int rc = root ? req_start(q, root, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN) : -ENOMEM;
	ldns_rdf_deep_free(root);
	if (rc < 0) {
		req_free(q);
		rw_prime_finished(&r->prime, false, r->env->now_mono_ms(r->env->ctx));
		arm_timer(r);
	}
	return rc;
}

void rw_resolver_on_timer(struct rw_resolver *r)
{
	if (rw_prime_due(&r->prime, r->env->now_mono_ms(r->env->ctx)))
		rw_resolver_prime(r);
	unpark(r, false); /* and set the timer for what is left */
}

/* The trace of a fast-path cache hit: the records served, with where each came from. */
static void trace_fast_hit(struct rw_resolver *r, const struct sockaddr *client,
			   socklen_t clientlen, enum rw_proto proto, size_t len, int64_t t0)
{
	const struct rw_env *env = r->env;
	struct rw_trace_hit h = {
		.format = r->cfg->trace_format,
		.start_us = t0,
		.end_us = env->now_wall_us(env->ctx),
		.client = client,
		.clientlen = client ? clientlen : 0,
		.tcp = proto == RW_PROTO_TCP,
		.resp = r->fast,
		.len = len,
		.used = &r->used,
	};
	env->random_buf(env->ctx, &h.id, sizeof(h.id));
	r->tbuf.len = 0; /* the buffer is kept: no allocation once it has grown */
	r->tbuf.oom = false;
	if (rw_trace_hit_format(&r->tbuf, &h) == 0)
		env->trace_write(env->ctx, r->tbuf.p, r->tbuf.len);
}

/* A trace for a query answered without a walk, holding its query event; NULL if that fails. */
static struct rw_trace *trace_start_short(struct rw_resolver *r, const struct rw_client_query *cq,
					  const struct sockaddr *client, socklen_t clientlen,
					  enum rw_proto proto, int64_t t0)
{
	const struct rw_env *env = r->env;
	uint64_t id = 0;

	env->random_buf(env->ctx, &id, sizeof(id));
	struct rw_trace *t = rw_trace_new(id, r->cfg->trace_format);
	if (!t)
		return NULL;
	ldns_rdf *qname = ldns_dname_new_frm_data((uint16_t)cq->qname_len, cq->qname);
	struct rw_trace_event *e = rw_trace_add(t, RW_EV_QUERY, "", t0);
	if (e && qname) {
		e->qname = rw_dname_str(qname);
		e->qtype = cq->qtype;
		e->tcp = proto == RW_PROTO_TCP;
		if (client && clientlen <= sizeof(e->addr)) {
			memcpy(&e->addr, client, clientlen);
			e->addrlen = clientlen;
		}
	}
	ldns_rdf_deep_free(qname);
	return t;
}

/* Close a short trace with its done event, write it and free it. */
static void trace_end_short(struct rw_resolver *r, struct rw_trace *t, uint32_t cache_hits,
			    int rcode, int64_t t0)
{
	const struct rw_env *env = r->env;
	int64_t t1 = env->now_wall_us(env->ctx);
	struct rw_trace_event *e = rw_trace_add(t, RW_EV_DONE, "", t1);

	if (e) {
		e->elapsed_us = t1 - t0;
		e->cache_hits = cache_hits;
		e->rcode = rcode;
	}
	size_t len = 0;
	char *text = rw_trace_format(t, &len);
	if (text)
		env->trace_write(env->ctx, text, len);
	free(text);
	rw_trace_free(t);
}

/* The trace of a query with RD clear that the cache could not answer: the referral it got. */
static void trace_norec(struct rw_resolver *r, const struct rw_client_query *cq,
			const struct sockaddr *client, socklen_t clientlen, enum rw_proto proto,
			const struct rw_cache_entry *cut, int rcode, int64_t t0)
{
	struct rw_trace *t = trace_start_short(r, cq, client, clientlen, proto, t0);
	struct rw_trace_event *e;

	if (!t)
		return;
	if (cut && (e = rw_trace_add(t, RW_EV_NOREC, "", t0))) {
		e->zone = rw_dname_str(cut->owner);
		e->expires_us = cut->expires_us;
		uint32_t ttl = rw_cache_ttl_left(cut, t0);
		for (size_t i = 0; i < ldns_rr_list_rr_count(cut->rrs); i++)
			(void)rw_trace_add_rec(e, ldns_rr_list_rr(cut->rrs, i), ttl, cut->orig_ttl,
					       cut->stored_us, cut->expires_us, cut->src, true);
	} else if (!cut && (e = rw_trace_add(t, RW_EV_FAIL, "", t0))) {
		e->text = strdup("no recursion desired (RD=0) and no cached delegation to refer "
				 "to: REFUSED");
	}
	trace_end_short(r, t, cut ? 1 : 0, rcode, t0);
}

/* A name in a special-use or locally served zone: answered here, never asked upstream. */
static void answer_local(struct rw_resolver *r, int zone, const uint8_t *pkt, size_t len,
			 const struct rw_client_query *cq, const struct sockaddr *client,
			 socklen_t clientlen, enum rw_proto proto, bool traced, rw_response_cb cb,
			 void *arg)
{
	int64_t now = r->env->now_wall_us(r->env->ctx);
	size_t cap = proto == RW_PROTO_UDP ? udp_limit(cq) : sizeof(r->fast);
	int rcode = LDNS_RCODE_NOERROR;
	size_t n = rw_localzone_answer(zone, pkt, len, cq, r->fast, cap, &rcode);

	if (n == 0) {
		rcode = LDNS_RCODE_SERVFAIL;
		n = rw_wire_error_response(pkt, len, cq, rcode, r->fast, cap);
	}
	r->stats.local_answers++;
	r->stats.client_rcode[rcode]++;
	cb(arg, r->fast, n);
	if (!traced || r->cfg->trace_only != RW_TRACE_ALL)
		return;
	struct rw_trace *t = trace_start_short(r, cq, client, clientlen, proto, now);
	struct rw_trace_event *e;
	if (!t)
		return;
	if ((e = rw_trace_add(t, RW_EV_LOCAL, "", now))) {
		e->zone = strdup(rw_localzone_name(zone));
		e->text = strdup(rw_localzone_why(zone));
		e->rcode = rcode;
	}
	trace_end_short(r, t, 0, rcode, now);
}

/* RD clear and no cached answer: a referral to the closest cached cut, never a resolution
 * (norec.c); REFUSED when not even a cut is cached. */
static void answer_norec(struct rw_resolver *r, const uint8_t *pkt, size_t len,
			 const struct rw_client_query *cq, const struct sockaddr *client,
			 socklen_t clientlen, enum rw_proto proto, bool traced, rw_response_cb cb,
			 void *arg)
{
	int64_t now = r->env->now_wall_us(r->env->ctx);
	size_t cap = proto == RW_PROTO_UDP ? udp_limit(cq) : sizeof(r->fast);
	struct rw_cache_entry cut;
	int rcode = LDNS_RCODE_NOERROR;
	size_t n = 0;
	bool found = rw_norec_find_cut(r->cache, cq, now, &cut);

	if (found)
		n = rw_norec_referral(r->cache, pkt, len, cq, &cut, now, r->fast, cap);
	if (n == 0) {
		rcode = LDNS_RCODE_REFUSED;
		n = rw_wire_error_response(pkt, len, cq, rcode, r->fast, cap);
	}
	if (found)
		r->stats.cache_hits++;
	else
		r->stats.cache_misses++;
	r->stats.client_rcode[rcode]++;
	cb(arg, r->fast, n);
	if (traced && r->cfg->trace_only == RW_TRACE_ALL)
		trace_norec(r, cq, client, clientlen, proto, found ? &cut : NULL, rcode, now);
	if (found)
		rw_cache_entry_clear(&cut);
}

uint64_t rw_resolver_trace(struct rw_resolver *r, const char *qname, uint16_t qtype, bool fresh,
			   enum rw_trace_format format, rw_trace_cb cb, void *arg)
{
	ldns_rdf *name = NULL;
	if (ldns_str2rdf_dname(&name, qname) != LDNS_STATUS_OK || !name)
		return 0;
	struct req *q = req_new(r, true);
	if (!q) {
		ldns_rdf_deep_free(name);
		return 0;
	}
	if (!q->sh.trace)
		q->sh.trace = rw_trace_new(r->next_id + 1, format);
	else
		q->sh.trace->format = format;
	q->handle = ++r->next_handle;
	q->trace_cb = cb;
	q->trace_arg = arg;
	q->sh.no_cache_answer = fresh;
	struct rw_trace_event *e = rw_trace_add(q->sh.trace, RW_EV_QUERY, "", q->start_us);
	if (e) {
		e->qname = rw_dname_str(name);
		e->qtype = qtype;
		e->text = strdup(fresh ? "rootwalk trace --fresh: cached answers ignored"
				       : "rootwalk trace");
	}
	uint64_t handle = q->handle;
	int rc = q->sh.trace ? req_start(q, name, qtype, LDNS_RR_CLASS_IN) : -ENOMEM;
	ldns_rdf_deep_free(name);
	if (rc < 0) {
		req_free(q);
		return 0;
	}
	return handle; /* the request may already be done (cache hit): cb ran */
}

void rw_resolver_trace_cancel(struct rw_resolver *r, uint64_t handle)
{
	for (struct req *q = r->reqs; q; q = q->next)
		if (q->handle == handle)
			q->trace_cb = NULL;
}

int rw_resolver_reconfigure(struct rw_resolver *r, const struct rw_config *cfg, char *err,
			    size_t errlen)
{
	struct rw_hints *hints = rw_hints_load(cfg->root_hints, err, errlen);
	if (!hints)
		return -EINVAL;
	struct rw_cache_opts opts = {
		.max_bytes = cfg->cache_size,
		.max_ttl = cfg->cache_max_ttl,
		.min_ttl = cfg->cache_min_ttl,
		.max_negative_ttl = cfg->cache_max_negative_ttl,
	};
	rw_cache_set_opts(r->cache, &opts);
	for (struct req *q = r->reqs; q; q = q->next) {
		q->sh.cfg = cfg;
		q->sh.hints = hints;
	}
	rw_hints_free(r->hints);
	r->hints = hints;
	r->cfg = cfg;
	return 0;
}

int rw_resolver_query(struct rw_resolver *r, const uint8_t *pkt, size_t len,
		      const struct sockaddr *client, socklen_t clientlen, enum rw_proto proto,
		      rw_response_cb cb, void *arg)
{
	struct rw_client_query cq;
	enum rw_query_status st = rw_wire_parse_query(pkt, len, &cq);

	r->stats.client_queries[proto == RW_PROTO_TCP ? 1 : 0]++;
	if (st != RW_QUERY_OK) {
		uint8_t buf[512];
		size_t n = 0;
		int rcode = st == RW_QUERY_NOTIMP    ? LDNS_RCODE_NOTIMPL
			    : st == RW_QUERY_BADVERS ? 16
						     : LDNS_RCODE_FORMERR;
		r->stats.client_malformed++;
		if (st != RW_QUERY_DROP) {
			n = rw_wire_error_response(pkt, len, &cq, rcode, buf, sizeof(buf));
			if (rcode > 15)
				r->stats.client_badvers++;
			else
				r->stats.client_rcode[rcode]++;
		}
		cb(arg, buf, n);
		return 0;
	}
	/* Zone transfers are not for a resolver (REFUSED). Meta-types (RFC 6895 3.1: OPT, TSIG,
	 * TKEY, the obsolete MAILA and MAILB, and the unassigned 128-248) cannot be asked for:
	 * FORMERR, as Unbound answers, instead of a walk for something no zone holds. */
	bool meta = cq.qtype == LDNS_RR_TYPE_OPT || cq.qtype == LDNS_RR_TYPE_TSIG ||
		    cq.qtype == LDNS_RR_TYPE_TKEY || cq.qtype == LDNS_RR_TYPE_MAILA ||
		    cq.qtype == LDNS_RR_TYPE_MAILB || (cq.qtype >= 128 && cq.qtype <= 248);
	if (cq.qtype == LDNS_RR_TYPE_AXFR || cq.qtype == LDNS_RR_TYPE_IXFR || meta ||
	    cq.qclass != LDNS_RR_CLASS_IN) {
		uint8_t buf[512];
		int rcode = cq.qclass != LDNS_RR_CLASS_IN ? LDNS_RCODE_NOTIMPL
			    : meta			  ? LDNS_RCODE_FORMERR
							  : LDNS_RCODE_REFUSED;
		size_t n = rw_wire_error_response(pkt, len, &cq, rcode, buf, sizeof(buf));
		r->stats.client_rcode[rcode]++;
		cb(arg, buf, n);
		return 0;
	}
	bool traced = r->env->trace_write &&
		      rw_config_trace_wanted(r->cfg, cq.qname, cq.qname_len, client);
	/* localhost., invalid., the private reverse zones...: never sent upstream */
	if (r->cfg->local_zones) {
		int zone = rw_localzone_find(cq.qname, cq.qname_len);
		if (zone >= 0) {
			answer_local(r, zone, pkt, len, &cq, client, clientlen, proto, traced, cb,
				     arg);
			return 0;
		}
	}
	/* The fast path: the whole answer from the cache, built from wire data. With tracing off
	 * it allocates nothing; with tracing on, the trace is built from what it used. */
	{
		size_t cap = proto == RW_PROTO_UDP ? udp_limit(&cq) : sizeof(r->fast);
		int64_t now = r->env->now_wall_us(r->env->ctx);
		struct rw_cache_used *used =
			traced && r->cfg->trace_only == RW_TRACE_ALL ? &r->used : NULL;
		size_t n = rw_cache_answer_used(r->cache, &cq, now, r->cfg->max_cname_chain,
						r->fast, cap, used);
		if (n) {
			r->stats.cache_hits++;
			r->stats.fast_path++;
			r->stats.client_rcode[r->fast[3] & 15]++;
			cb(arg, r->fast, n);
			if (used)
				trace_fast_hit(r, client, clientlen, proto, n, now);
			return 0;
		}
	}
	/* RD clear: the client asks what we hold, not for a resolution (RFC 1034 4.3.1). */
	if (!(cq.flags & RW_FLAG_RD)) {
		answer_norec(r, pkt, len, &cq, client, clientlen, proto, traced, cb, arg);
		return 0;
	}
	uint64_t qh = question_hash(r, &cq);
	struct req *q = in_flight(r, &cq, qh);
	if (q) {
		/* the same question is being resolved: wait for that answer */
		struct waiter *w = calloc(1, sizeof(*w));
		if (!w)
			return -ENOMEM;
		w->cb = cb;
		w->arg = arg;
		w->cq = cq;
		w->proto = proto;
		w->next = q->waiters;
		q->waiters = w;
		r->stats.joined++;
		struct rw_trace_event *e = rw_trace_add(q->sh.trace, RW_EV_JOINED, "",
							r->env->now_wall_us(r->env->ctx));
		if (e && client && clientlen <= sizeof(e->addr)) {
			memcpy(&e->addr, client, clientlen);
			e->addrlen = clientlen;
			e->tcp = proto == RW_PROTO_TCP;
		}
		return 0;
	}
	q = req_new(r, traced);
	if (!q)
		return -ENOMEM;
	q->cb = cb;
	q->arg = arg;
	q->cq = cq;
	q->proto = proto;
	question_add(q, qh);
	ldns_rdf *qname = ldns_dname_new_frm_data((uint16_t)cq.qname_len, cq.qname);
	if (!qname) {
		req_free(q);
		return -ENOMEM;
	}
	struct rw_trace_event *e = rw_trace_add(q->sh.trace, RW_EV_QUERY, "", q->start_us);
	if (e) {
		e->qname = rw_dname_str(qname);
		e->qtype = cq.qtype;
		e->tcp = proto == RW_PROTO_TCP;
		if (client && clientlen <= sizeof(e->addr)) {
			memcpy(&e->addr, client, clientlen);
			e->addrlen = clientlen;
		}
	}
	if (r->prime.phase == RW_PRIME_PENDING && r->env->set_timer) {
		/* the root NS set is being primed: wait for it (bounded) rather than walk from
		 * the hints beside it */
		ldns_rdf_deep_free(qname);
		q->parked = true;
		q->park_until = q->start_ms + RW_PRIME_WAIT_MS;
		q->pnext = r->parked;
		r->parked = q;
		arm_timer(r);
		return 0;
	}
	int rc = req_start(q, qname, cq.qtype, cq.qclass);
	ldns_rdf_deep_free(qname);
	if (rc < 0) {
		req_free(q);
		return rc;
	}
	return 0;
}

/* The query q sent is over: it no longer takes others, and those that joined it are handed
 * back to be answered with its reply (or its timeout). */
static struct req *query_done(struct rw_resolver *r, struct req *q)
{
	struct req *f = q->followers;
	id_remove(q);
	rw_sendshare_remove(r->share, q->share);
	q->share = NULL;
	q->followers = NULL;
	for (struct req *x = f; x; x = x->fnext)
		x->leader = NULL;
	return f;
}

/* The requests that joined a query get its reply, with their own ID and question case written
 * in (the reply was checked against the query that was sent), or its failure (pkt NULL). */
static void answer_followers(struct rw_resolver *r, struct req *f, const struct sockaddr *from,
			     socklen_t fromlen, const uint8_t *pkt, size_t len, int err)
{
	uint8_t *copy = pkt ? malloc(len) : NULL;
	while (f) {
		struct req *next = f->fnext;
		struct rw_iter *top = f->stack[f->depth - 1];
		struct rw_iter_out out;
		memset(&out, 0, sizeof(out));
		f->fnext = NULL;
		if (!copy || !rw_sendshare_patch(pkt, len, f->fwire, f->fwlen, copy) ||
		    !rw_iter_reply(top, from, fromlen, copy, len, &out))
			rw_iter_timeout(top, pkt ? -EPROTO : err, &out);
		drive(f, &out);
		f = next;
	}
	free(copy);
}

int rw_resolver_on_reply(struct rw_resolver *r, uint64_t id, const struct sockaddr *from,
			 socklen_t fromlen, const uint8_t *pkt, size_t len)
{
	struct req *q = id_find(r, id);
	if (!q)
		return 1;
	struct rw_iter_out out;
	memset(&out, 0, sizeof(out));
	if (!rw_iter_reply(q->stack[q->depth - 1], from, fromlen, pkt, len, &out)) {
		r->stats.replies_rejected++;
		return 0;
	}
	struct req *f = query_done(r, q);
	drive(q, &out);
	answer_followers(r, f, from, fromlen, pkt, len, 0);
	return 1;
}

void rw_resolver_on_timeout(struct rw_resolver *r, uint64_t id, int err)
{
	struct req *q = id_find(r, id);
	if (!q)
		return;
	struct req *f = query_done(r, q);
	r->stats.upstream_timeouts++;
	struct rw_iter_out out;
	memset(&out, 0, sizeof(out));
	rw_iter_timeout(q->stack[q->depth - 1], err, &out);
	drive(q, &out);
	answer_followers(r, f, NULL, 0, NULL, 0, err);
}

size_t rw_resolver_pending(const struct rw_resolver *r)
{
	return r->n_reqs;
}

struct rw_cache *rw_resolver_cache(struct rw_resolver *r)
{
	return r->cache;
}

const struct rw_stats *rw_resolver_stats(const struct rw_resolver *r)
{
	return &r->stats;
}
