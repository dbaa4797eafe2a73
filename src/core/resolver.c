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
#include "rootwalk/check.h"
#include "rootwalk/config.h"
#include "rootwalk/hints.h"
#include "rootwalk/infra.h"
#include "rootwalk/iter.h"
#include "rootwalk/layer.h"
#include "rootwalk/localzone.h"
#include "rootwalk/norec.h"
#include "rootwalk/resolver.h"
#include "rootwalk/shared.h"
#include "rootwalk/trace.h"
#include "rootwalk/wire.h"
#include "rootwalk/zonecut.h"
#include "resolver_impl.h"
#include "sbuf.h"
#include "querylog.h"
#include "stats.h"

_Static_assert(RW_SERVFAIL_REASONS == RW_FAIL_REASONS, "one SERVFAIL counter per reason");
const char *const rw_servfail_reason_name[RW_SERVFAIL_REASONS] = {
	[RW_FAIL_NO_AUTHORITY] = "no_reachable_authority",
	[RW_FAIL_NETWORK] = "network_error",
	[RW_FAIL_LIMIT] = "limit",
	[RW_FAIL_CNAME_LOOP] = "cname_loop",
	[RW_FAIL_OTHER] = "other",
	[RW_FAIL_DNSSEC] = "dnssec_bogus",
};

const uint32_t rw_rtt_bucket_ms[RW_RTT_BUCKETS - 1] = {1,   2,	 5,   10,   20,	 50,
						       100, 200, 500, 1000, 2000};

/* Ask the edge for one timer: the next priming retry, the end of the oldest wait, or the end of
 * a check's budget. */
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
	if (r->stale_head && r->stale_head->stale_at < at)
		at = r->stale_head->stale_at; /* serve-expired-client-timeout */
	if (rw_check_deadline(r) < at)
		at = rw_check_deadline(r);
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

/* A priming of r ended: the daemon's resolvers learn whether it worked, and the claim to prime
 * again (rw_shared_reprime_claim) goes back if r held it. */
static void prime_release(struct rw_resolver *r, bool ok)
{
	rw_shared_prime_finished(r->shared, ok, r->prime.claimed);
	r->prime.claimed = false;
}

/* The priming query ended: on failure, log it and retry on the timer, with backoff. */
static void prime_finished(struct rw_resolver *r, const struct rw_iter *it, int rcode)
{
	size_t n = 0;
	rw_iter_answer(it, &n);
	bool ok = rcode == LDNS_RCODE_NOERROR && n > 0;
	prime_release(r, ok);
	uint32_t wait = rw_prime_finished(&r->prime, ok, r->env->now_mono_ms(r->env->ctx));
	if (!ok && r->env->log) {
		char msg[400];
		const char *why = rw_iter_fail_reason(it);
		snprintf(msg, sizeof(msg),
			 "priming the root NS set failed (%s): %u failure(s) in a row, retrying in "
			 "%u s",
			 why ? why : rw_present_rcode(rcode), r->prime.failures, wait / 1000);
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
	/* serve-expired: clients answered stale (now or before): the SERVFAIL is nobody's */
	bool stale = rw_stale_finish(q, it, rcode) || q->stale_served || q->background;

	if (rcode == LDNS_RCODE_SERVFAIL && !stale) {
		r->stats.servfail++;
		r->stats.servfail_reason[rw_iter_fail_why(it)]++;
	}
	if (r->env->log && rw_querylog_wanted(r->cfg, rcode))
		rw_querylog_finish(r->env, r->cfg, &q->cq, it, rcode, q->sh.upstream,
				   r->env->now_mono_ms(r->env->ctx) - q->start_ms);
	r->stats.dnssec[rw_iter_vstate(it) & 3]++;
	if (q->background)
		; /* a refresh: no client asked */
	else if (q->sh.upstream == 0)
		r->stats.cache_hits++;
	else
		r->stats.cache_misses++;
	req_write_trace(q, rcode);
	/* A response can make the server read the next query of a TCP connection at once; if
	 * that asked the same question, it must not join this request, whose waiters are being
	 * answered now: it would never be answered. */
	q->finishing = true;
	uint64_t now_us = rw_stats_now_us(r->env);
	if (q->cb) {
		rw_answer_final(&r->ans, &q->cq, q->proto, it, rcode, q->cb, q->arg);
		rw_stats_answered(&r->stats, now_us - q->mono_us);
	}
	for (struct waiter *w = q->waiters; w; w = w->next) {
		rw_answer_final(&r->ans, &w->cq, w->proto, it, rcode, w->cb, w->arg);
		rw_stats_answered(&r->stats, now_us - w->mono_us);
	}
	bool was_prime = q->prime;
	if (was_prime)
		prime_finished(r, it, rcode);
	/* RFC 8109 4: when the primed root NS set has expired, prime again, one resolver of the
	 * daemon at a time (but a priming that failed waits for its timer) */
	bool reprime = q->sh.used_hints && q->primed_before && !q->prime &&
		       rw_prime_after_hints(&r->prime) && rw_shared_reprime_claim(r->shared);
	req_free(q);
	if (was_prime)
		unpark(r, true);
	r->prime.claimed |= reprime;
	if (reprime && rw_resolver_prime(r) < 0)
		prime_release(r, false);
}

/* An event for the request goes to the top of its stack: the iterator of a sub-resolution, or
 * with none, the current stage. */
static bool ev_reply(struct req *q, const struct sockaddr *from, socklen_t fromlen,
		     const uint8_t *pkt, size_t len, struct rw_iter_out *out)
{
	if (q->depth > 1)
		return rw_iter_reply(q->stack[q->depth - 1], from, fromlen, pkt, len, out);
	return q->r->layers[q->stage]->reply(q->stages[q->stage], from, fromlen, pkt, len, out);
}

static void ev_timeout(struct req *q, int err, struct rw_iter_out *out)
{
	if (q->depth > 1)
		rw_iter_timeout(q->stack[q->depth - 1], err, out);
	else
		q->r->layers[q->stage]->timeout(q->stages[q->stage], err, out);
}

static void ev_subresult(struct req *q, const struct rw_iter *child, struct rw_iter_out *out)
{
	if (q->depth > 1)
		rw_iter_subresult(q->stack[q->depth - 1], child, out);
	else
		q->r->layers[q->stage]->subresult(q->stages[q->stage], child, out);
}

/* Stop the request now with SERVFAIL (a limit, or a stage that produced nothing). */
static void fail_now(struct req *q, enum rw_fail_reason why, const char *text,
		     struct rw_iter_out *out)
{
	while (q->depth > 1)
		rw_iter_free(q->stack[--q->depth]);
	rw_iter_fail(q->stack[0], why, text, out);
	finish(q);
}

/* Send the query out asks for, or join an identical one in flight. Returns true when the request
 * now waits for a reply; false when sending failed and out holds the next action. */
static bool send_query(struct req *q, struct rw_iter_out *out)
{
	struct rw_resolver *r = q->r;
	struct req *lead = rw_sendshare_find(r->share, (const struct sockaddr *)&out->addr,
					     out->addrlen, out->tcp, out->wire, out->len);
	if (lead && lead != q) {
		/* the same question to the same server is in flight: share it */
		q->leader = lead;
		q->fnext = lead->followers;
		lead->followers = q;
		q->fwire = out->wire;
		q->fwlen = out->len;
		r->stats.upstream_shared++;
		req_mark_shared(q->sh.trace);
		return true;
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
	req_id_add(q, uq.id);
	int rc = r->env->send(r->env->ctx, &uq);
	if (rc == -EBUSY)
		r->stats.upstream_range_full++;
	if (rc == 0) {
		if (r->env->dnstap) /* dnstap (tap.c) */
			rw_tap_upstream_query(&r->taps, r->cfg, &uq, out->zone, out->zone_len,
					      &q->tap);
		q->share = rw_sendshare_add(r->share, q, uq.addr, uq.addrlen, out->tcp, out->wire,
					    out->len);
		return true;
	}
	req_id_remove(q);
	out->act = RW_ACT_NONE;
	ev_timeout(q, rc, out);
	return false;
}

/* A name server address to resolve first: a new iterator on top of the stack, unless the limit
 * of nesting is reached or the name depends on itself. */
static void subresolve(struct req *q, struct rw_iter_out *out)
{
	struct rw_resolver *r = q->r;
	struct rw_iter *child = NULL;
	bool loop = req_on_stack(q, out->sub_qname, out->sub_qtype);

	if (q->depth <= (int)r->cfg->max_subresolution_depth && q->depth < MAX_DEPTH && !loop)
		child = rw_iter_new(&q->sh, out->sub_qname, out->sub_qtype, LDNS_RR_CLASS_IN,
				    q->depth, out->sub_step);
	if (child) {
		q->stack[q->depth++] = child;
		out->act = RW_ACT_NONE;
		rw_iter_start(child, out);
		return;
	}
	struct rw_trace_event *e = rw_trace_add(q->sh.trace, RW_EV_FAIL, out->sub_step,
						r->env->now_wall_us(r->env->ctx));
	if (e) {
		char buf[300];
		char *n = rw_present_name(out->sub_qname);
		snprintf(buf, sizeof(buf),
			 loop ? "cannot look up %s: it depends on itself"
			      : "cannot look up %s: limit max-subresolution-depth (%u) reached",
			 n, r->cfg->max_subresolution_depth);
		free(n);
		e->text = strdup(buf);
		e->depth = q->depth;
	}
	out->act = RW_ACT_NONE;
	ev_subresult(q, NULL, out);
}

/* Something finished: a sub-resolution (its result goes to the one below), a stage (the next
 * begins), or the last stage (the clients are answered). Returns false when the request is
 * finished and freed. */
static bool done(struct req *q, struct rw_iter_out *out)
{
	struct rw_resolver *r = q->r;

	if (q->depth > 1) {
		struct rw_iter *top = q->stack[--q->depth];
		out->act = RW_ACT_NONE;
		ev_subresult(q, top, out);
		rw_iter_free(top);
		return true;
	}
	if (q->stage + 1 < r->n_layers) {
		const ldns_rdf *qname = rw_iter_qname(q->stack[0]);
		q->stage++;
		out->act = RW_ACT_NONE;
		q->stages[q->stage] =
			r->layers[q->stage]->begin(&q->sh, qname, rw_iter_qtype(q->stack[0]),
						   LDNS_RR_CLASS_IN, q->stack[0], out);
		if (q->stages[q->stage])
			return true;
		fail_now(q, RW_FAIL_OTHER, "out of memory", out);
		return false;
	}
	finish(q);
	return false;
}

/* Carry out actions until the request waits for the network or is finished. */
static void drive(struct req *q, struct rw_iter_out *out)
{
	struct rw_resolver *r = q->r;

	for (;;) {
		uint64_t elapsed = r->env->now_mono_ms(r->env->ctx) - q->start_ms;

		if (out->act != RW_ACT_DONE && elapsed > r->cfg->query_budget_ms) {
			char reason[96];
			snprintf(reason, sizeof(reason), "limit query-budget (%u ms) used up",
				 r->cfg->query_budget_ms);
			fail_now(q, RW_FAIL_LIMIT, reason, out);
			return;
		}
		switch (out->act) {
		case RW_ACT_NONE:
			/* an event left no action: never hang the client, fail it */
			fail_now(q, RW_FAIL_OTHER,
				 "internal error: the iterator produced no action", out);
			return;
		case RW_ACT_SEND:
			if (send_query(q, out))
				return;
			break;
		case RW_ACT_SUBRESOLVE:
			subresolve(q, out);
			break;
		case RW_ACT_DONE:
			if (!done(q, out))
				return;
			break;
		}
	}
}

int req_start(struct req *q, const ldns_rdf *qname, uint16_t qtype, uint16_t qclass)
{
	const struct rw_layer *first = q->r->layers[0];
	struct rw_iter_out out;
	memset(&out, 0, sizeof(out));
	q->stages[0] = first->begin(&q->sh, qname, qtype, qclass, NULL, &out);
	if (!q->stages[0])
		return -ENOMEM;
	q->stack[0] = first->result(q->stages[0]);
	q->depth = 1;
	q->stage = 0;
	drive(q, &out);
	return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Public interface
 */

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
	r->busy++; /* a priming that fails at once answers the parked questions */
	int rc = root ? req_start(q, root, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN) : -ENOMEM;
	r->busy--;
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
	r->busy++;
	if (rw_prime_due(&r->prime, r->env->now_mono_ms(r->env->ctx)))
		rw_resolver_prime(r);
	rw_stale_due(r);
	rw_check_on_timer(r);
	unpark(r, false); /* and set the timer for what is left */
	r->busy--;
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
		e->qname = rw_present_name(name);
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

uint64_t rw_resolver_check(struct rw_resolver *r, const uint8_t *name, size_t name_len,
			   uint16_t qtype, unsigned flags, rw_check_cb cb, void *arg)
{
	uint64_t h = rw_check_start(r, name, name_len, qtype, flags, cb, arg);
	arm_timer(r); /* the check's budget */
	return h;
}

void rw_resolver_trace_cancel(struct rw_resolver *r, uint64_t handle)
{
	for (struct req *q = r->reqs; q; q = q->next)
		if (q->handle == handle)
			q->trace_cb = NULL;
}

/* A refresh nobody waits for (prefetch, serve-stale): the question resolved again, the cached
 * answer ignored, its result stored in the cache. Not started when the requests are at
 * num-queries-per-thread. Returns whether it started. */
static bool start_background(struct rw_resolver *r, const struct rw_client_query *cq, uint64_t qh,
			     bool traced, const char *why)
{
	if (r->n_reqs >= r->cfg->num_queries_per_thread)
		return false;
	struct req *q = req_new(r, traced);
	if (!q)
		return false;
	q->background = true;
	q->cq = *cq;
	q->sh.no_cache_answer = true;
	req_question_add(q, qh);
	ldns_rdf *qname = ldns_dname_new_frm_data((uint16_t)cq->qname_len, cq->qname);
	struct rw_trace_event *e = rw_trace_add(q->sh.trace, RW_EV_QUERY, "", q->start_us);
	if (e && qname) {
		e->qname = rw_present_name(qname);
		e->qtype = cq->qtype;
	}
	if ((e = rw_trace_add(q->sh.trace, RW_EV_PREFETCH, "", q->start_us)))
		e->text = strdup(why);
	int rc = qname ? req_start(q, qname, cq->qtype, cq->qclass) : -ENOMEM;
	ldns_rdf_deep_free(qname);
	if (rc < 0)
		req_free(q);
	return rc == 0;
}

bool rw_resolver_prefetch(void *ctx, const struct rw_client_query *cq,
			  const struct rw_answer_client *to, uint32_t left, uint32_t orig)
{
	struct rw_resolver *r = ctx;
	if (!r->cfg->prefetch || !(cq->flags & RW_FLAG_RD))
		return false;
	uint64_t qh = req_question_hash(r, cq);
	if (req_in_flight(r, cq, qh)) /* once per entry while its refresh runs */
		return false;
	char why[120];
	snprintf(why, sizeof(why), "prefetch: refreshing in the background, %u s of %u s left",
		 left, orig);
	if (!start_background(r, cq, qh, to->traced, why))
		return false;
	r->stats.prefetches++;
	return true;
}

/* The root NS set is being primed: q waits for it (bounded) rather than walk from the hints
 * beside it. */
static void park(struct rw_resolver *r, struct req *q)
{
	q->parked = true;
	q->park_until = q->start_ms + RW_PRIME_WAIT_MS;
	q->pnext = r->parked;
	r->parked = q;
	arm_timer(r);
}

static int query(struct rw_resolver *r, const uint8_t *pkt, size_t len,
		 const struct sockaddr *client, socklen_t clientlen, enum rw_proto proto,
		 rw_response_cb cb, void *arg)
{
	struct rw_client_query cq;
	struct rw_answer_client to = {client, client ? clientlen : 0, proto, false, cb, arg};
	enum rw_acl_action acl;

	r->stats.client_queries[proto == RW_PROTO_TCP ? 1 : 0]++;
	/* who may ask is settled first, before the query is parsed */
	if (rw_gate_access(&r->gate, &r->ans, pkt, len, &to, &acl))
		return 0;
	enum rw_query_status st = rw_wire_parse_query(pkt, len, &cq);
	if (st == RW_QUERY_OK)
		r->stats.client_qtype[rw_stats_qtype_index(cq.qtype)]++;
	if (st != RW_QUERY_OK && rw_answer_refusal(&r->ans, pkt, len, &cq, st, &to))
		return 0;
	if (rw_gate_limit(&r->gate, &r->ans, pkt, len, &cq, &to))
		return 0;
	if (rw_answer_is_refusal(st, &cq) && rw_answer_refusal(&r->ans, pkt, len, &cq, st, &to))
		return 0;
	to.traced = r->env->trace_write &&
		    rw_config_trace_wanted(r->cfg, cq.qname, cq.qname_len, client);
	/* localhost., invalid., the private reverse zones...: never sent upstream */
	if (r->cfg->local_zones) {
		int zone = rw_localzone_find(cq.qname, cq.qname_len);
		if (zone >= 0) {
			rw_answer_local(&r->ans, zone, pkt, len, &cq, &to);
			return 0;
		}
	}
	/* RD clear from a client allowed recursion only: REFUSED, cached or not (Unbound) */
	if (!(cq.flags & RW_FLAG_RD) && acl != RW_ACL_ALLOW_SNOOP) {
		rw_gate_refuse_norec(&r->ans, pkt, len, &cq, &to);
		return 0;
	}
	if (rw_answer_from_cache(&r->ans, &cq, &to))
		return 0;
	/* RD clear: the client asks what we hold, not for a resolution (RFC 1034 4.3.1). */
	if (!(cq.flags & RW_FLAG_RD)) {
		rw_answer_norec(&r->ans, pkt, len, &cq, &to);
		return 0;
	}
	uint64_t qh = req_question_hash(r, &cq);
	struct req *q = req_in_flight(r, &cq, qh);
	bool refresh = false;
	if (r->cfg->serve_expired && rw_stale_early(r, &cq, &to, qh, q, &refresh)) {
		if (refresh)
			start_background(r, &cq, qh, to.traced,
					 "serve-stale: refreshing in the "
					 "background after a stale answer");
		return 0;
	}
	if (q) /* the same question is being resolved: wait for that answer */
		return req_admit_join(r) ? req_join(q, &cq, &to) : -EBUSY;
	if (!req_admit(r))
		return -EBUSY;
	q = req_new(r, to.traced);
	if (!q)
		return -ENOMEM;
	q->client = true;
	r->n_client++;
	q->cb = cb;
	q->arg = arg;
	q->cq = cq;
	q->proto = proto;
	req_question_add(q, qh);
	if (r->cfg->serve_expired) { /* the client timer (RFC 8767 5) */
		req_stale_link(q, q->start_ms + r->cfg->serve_expired_client_timeout_ms);
		if (r->stale_head == q)
			arm_timer(r);
	}
	ldns_rdf *qname = ldns_dname_new_frm_data((uint16_t)cq.qname_len, cq.qname);
	if (!qname) {
		req_free(q);
		return -ENOMEM;
	}
	struct rw_trace_event *e = rw_trace_add(q->sh.trace, RW_EV_QUERY, "", q->start_us);
	if (e) {
		e->qname = rw_present_name(qname);
		e->qtype = cq.qtype;
		req_trace_client(e, &to);
	}
	if (r->prime.phase == RW_PRIME_PENDING && r->env->set_timer) {
		ldns_rdf_deep_free(qname);
		park(r, q);
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

/* The answers given during the call (cache hits, local, refusals) go into the latency
 * histogram here, from the batch's receipt when the caller gave it (rw_resolver_set_received);
 * resolutions in finish(). */
int rw_resolver_query(struct rw_resolver *r, const uint8_t *pkt, size_t len,
		      const struct sockaddr *client, socklen_t clientlen, enum rw_proto proto,
		      rw_response_cb cb, void *arg)
{
	uint64_t t0 = r->recv_mono_us ? r->recv_mono_us : rw_stats_now_us(r->env);
	uint64_t n0 = rw_stats_answers(&r->stats);
	struct rw_tap_wrap *w = NULL;
	if (r->env->dnstap) /* dnstap (tap.c): the query, and a wrapper to tap the response */
		w = rw_tap_client_query(&r->taps, r->cfg, pkt, len, client, clientlen, proto, &cb,
					&arg);
	int rc = query(r, pkt, len, client, clientlen, proto, cb, arg);
	if (rc < 0 && w)
		rw_tap_unwrap(&r->taps, w);
	if (rw_stats_answers(&r->stats) != n0)
		rw_stats_answered(&r->stats, rw_stats_now_us(r->env) - t0);
	return rc;
}

/* The query q sent is over: it no longer takes others, and those that joined it are handed
 * back to be answered with its reply (or its timeout). */
static struct req *query_done(struct rw_resolver *r, struct req *q)
{
	struct req *f = q->followers;
	req_id_remove(q);
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
		struct rw_iter_out out;
		memset(&out, 0, sizeof(out));
		f->fnext = NULL;
		if (!copy || !rw_sendshare_patch(pkt, len, f->fwire, f->fwlen, copy) ||
		    !ev_reply(f, from, fromlen, copy, len, &out))
			ev_timeout(f, pkt ? -EPROTO : err, &out);
		drive(f, &out);
		f = next;
	}
	free(copy);
}

bool rw_resolver_on_reply(struct rw_resolver *r, uint64_t id, const struct sockaddr *from,
			  socklen_t fromlen, const uint8_t *pkt, size_t len)
{
	struct req *q = req_id_find(r, id);
	if (!q) /* one of a check's queries, or an id no longer known */
		return rw_check_on_reply(r, id, from, fromlen, pkt, len);
	struct rw_iter_out out;
	memset(&out, 0, sizeof(out));
	if (!ev_reply(q, from, fromlen, pkt, len, &out)) {
		r->stats.replies_rejected++;
		return false;
	}
	if (r->env->dnstap) /* dnstap (tap.c) */
		rw_tap_upstream_reply(&r->taps, r->cfg, &q->tap, from, fromlen, pkt, len);
	r->busy++;
	struct req *f = query_done(r, q);
	drive(q, &out);
	answer_followers(r, f, from, fromlen, pkt, len, 0);
	r->busy--;
	return true;
}

void rw_resolver_on_timeout(struct rw_resolver *r, uint64_t id, int err)
{
	struct req *q = req_id_find(r, id);
	if (!q) {
		rw_check_on_timeout(r, id, err);
		return;
	}
	r->busy++;
	struct req *f = query_done(r, q);
	r->stats.upstream_timeouts++;
	struct rw_iter_out out;
	memset(&out, 0, sizeof(out));
	ev_timeout(q, err, &out);
	drive(q, &out);
	answer_followers(r, f, NULL, 0, NULL, 0, err);
	r->busy--;
}
