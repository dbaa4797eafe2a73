/* The resolver's requests: the tables that find them (upstream query ids, client questions),
 * creating and freeing them, and writing their traces. See resolver_impl.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "resolver_impl.h"
#include "stats.h"

static struct req **req_id_slot(struct rw_resolver *r, uint64_t id)
{
	return &r->ids[id & (ID_BUCKETS - 1)];
}

void req_id_add(struct req *q, uint64_t id)
{
	struct req **head = req_id_slot(q->r, id);
	q->id = id;
	q->hnext = *head;
	*head = q;
}

void req_id_remove(struct req *q)
{
	if (!q->id)
		return;
	for (struct req **pp = req_id_slot(q->r, q->id); *pp; pp = &(*pp)->hnext) {
		if (*pp == q) {
			*pp = q->hnext;
			break;
		}
	}
	q->id = 0;
	q->hnext = NULL;
}

struct req *req_id_find(struct rw_resolver *r, uint64_t id)
{
	for (struct req *q = *req_id_slot(r, id); q; q = q->hnext)
		if (q->id == id)
			return q;
	return NULL;
}

void req_free(struct req *q)
{
	struct rw_resolver *r = q->r;

	if (q->parked) {
		struct req **pp = &r->parked;
		while (*pp && *pp != q)
			pp = &(*pp)->pnext;
		if (*pp)
			*pp = q->pnext;
	}
	req_question_remove(q);
	req_stale_unlink(q);
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
		req_id_remove(q);
	}
	for (int i = 1; i < q->depth; i++)
		rw_iter_free(q->stack[i]);
	for (int i = 0; i < RW_MAX_STAGES; i++) /* a reload may change n_layers meanwhile */
		if (q->stages[i])
			r->layers[i]->end(q->stages[i]);
	while (q->waiters) {
		struct waiter *w = q->waiters;
		q->waiters = w->next;
		free(w);
		r->n_waiters--;
	}
	if (q->client)
		r->n_client--;
	rw_trace_free(q->sh.trace);
	if (q->prev)
		q->prev->next = q->next;
	else
		r->reqs = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		r->reqs_tail = q->prev;
	r->n_reqs--;
	free(q);
}

void req_write_trace(struct req *q, int rcode)
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
		e->val_upstream = q->sh.val_upstream;
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

/* A resolution of the same question (name in any case, type, class, CD) already under way. */
/* The question table: client requests by (name in any case, type, class, CD), keyed with
 * SipHash so that crafted names cannot pile up in one chain. */
uint64_t req_question_hash(const struct rw_resolver *r, const struct rw_client_query *cq)
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

void req_question_add(struct req *q, uint64_t h)
{
	struct req **head = &q->r->questions[h & (ID_BUCKETS - 1)];
	q->qhash = h;
	q->qnext = *head;
	if (*head)
		(*head)->qprev = &q->qnext;
	*head = q;
	q->qprev = head;
}

void req_question_remove(struct req *q)
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
struct req *req_in_flight(struct rw_resolver *r, const struct rw_client_query *cq, uint64_t h)
{
	for (struct req *q = r->questions[h & (ID_BUCKETS - 1)]; q; q = q->qnext)
		if (q->qhash == h && !q->finishing && q->cq.qtype == cq->qtype &&
		    q->cq.qclass == cq->qclass && ((q->cq.flags ^ cq->flags) & RW_FLAG_CD) == 0 &&
		    rw_wire_name_equal(q->cq.qname, q->cq.qname_len, cq->qname, cq->qname_len))
			return q;
	return NULL;
}

bool req_on_stack(const struct req *q, const ldns_rdf *name, uint16_t type)
{
	for (int i = 0; i < q->depth; i++)
		if (rw_iter_qtype(q->stack[i]) == type &&
		    ldns_dname_compare(rw_iter_qname(q->stack[i]), name) == 0)
			return true;
	return false;
}

/* The send just traced joined an identical query in flight: say so. */
void req_mark_shared(struct rw_trace *t)
{
	for (size_t i = t ? t->n : 0; i-- > 0;) {
		if (t->ev[i].type == RW_EV_SEND) {
			t->ev[i].shared = true;
			return;
		}
	}
}

void req_trace_client(struct rw_trace_event *e, const struct rw_answer_client *to)
{
	e->tcp = to->proto == RW_PROTO_TCP;
	if (to->addr && to->addrlen <= sizeof(e->addr)) {
		memcpy(&e->addr, to->addr, to->addrlen);
		e->addrlen = to->addrlen;
	}
}

int req_join(struct req *q, const struct rw_client_query *cq, const struct rw_answer_client *to)
{
	struct rw_resolver *r = q->r;
	struct waiter *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	r->n_waiters++;
	w->cb = to->cb;
	w->arg = to->arg;
	w->cq = *cq;
	w->proto = to->proto;
	w->mono_us = rw_stats_now_us(r->env);
	w->next = q->waiters;
	q->waiters = w;
	r->stats.joined++;
	struct rw_trace_event *e =
		rw_trace_add(q->sh.trace, RW_EV_JOINED, "", r->env->now_wall_us(r->env->ctx));
	if (e)
		req_trace_client(e, to);
	return 0;
}

struct req *req_new(struct rw_resolver *r, bool traced)
{
	struct req *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->r = r;
	q->sh.env = r->env;
	q->sh.cfg = r->cfg;
	q->sh.cache = r->shared->cache;
	q->sh.hints = r->hints;
	q->sh.infra = r->shared->infra;
	q->sh.anchors = r->shared->anchors;
	q->sh.keys = r->shared->keys;
	q->sh.pkeys = r->shared->pkeys;
	q->sh.nsec = r->shared->nsec;
	q->sh.rtt_hist = r->stats.rtt_hist;
	q->sh.stats = &r->stats;
	q->start_ms = r->env->now_mono_ms(r->env->ctx);
	q->sh.deadline_ms = q->start_ms + r->cfg->query_budget_ms;
	q->start_us = r->env->now_wall_us(r->env->ctx);
	q->mono_us = rw_stats_now_us(r->env);
	q->primed_before = rw_shared_primed(r->shared);
	if (traced && r->env->trace_write) {
		uint64_t tid;
		r->env->random_buf(r->env->ctx, &tid, sizeof(tid));
		q->sh.trace = rw_trace_new(tid, r->cfg->trace_format);
	}
	q->next = r->reqs;
	if (r->reqs)
		r->reqs->prev = q;
	else
		r->reqs_tail = q;
	r->reqs = q;
	r->n_reqs++;
	return q;
}

void req_stale_link(struct req *q, uint64_t stale_at)
{
	struct rw_resolver *r = q->r;
	q->stale_at = stale_at ? stale_at : 1;
	q->snext = NULL;
	q->sprev = r->stale_tail;
	if (r->stale_tail)
		r->stale_tail->snext = q;
	else
		r->stale_head = q;
	r->stale_tail = q;
}

void req_stale_unlink(struct req *q)
{
	struct rw_resolver *r = q->r;
	if (!q->stale_at)
		return;
	if (q->sprev)
		q->sprev->snext = q->snext;
	else
		r->stale_head = q->snext;
	if (q->snext)
		q->snext->sprev = q->sprev;
	else
		r->stale_tail = q->sprev;
	q->snext = q->sprev = NULL;
	q->stale_at = 0;
}
