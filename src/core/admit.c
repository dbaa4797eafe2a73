/* Admission of client requests under load, as Unbound's num-queries-per-thread and
 * jostle-timeout: at most num-queries-per-thread client requests are resolved at once. When the
 * table is full, a new question takes the place of the oldest request if that one has run longer
 * than jostle-timeout (a slow zone's question is worth less than a fresh one); the one dropped
 * gets no answer, as in Unbound. Else the new question is dropped. Cache hits never get here:
 * they are answered before admission. Clients that join an identical question under way cost a
 * little memory, not a resolution: they are bounded apart. */
#include <stdlib.h>

#include "resolver_impl.h"

/* Clients that may wait on requests under way, per admitted request. */
#define WAITERS_PER_REQUEST 8
/* Requests looked at, from the oldest, for one that may be dropped. */
#define VICTIM_LOOKS 32

bool req_admit_join(struct rw_resolver *r)
{
	if (r->n_waiters < (size_t)r->cfg->num_queries_per_thread * WAITERS_PER_REQUEST)
		return true;
	r->stats.dropped++;
	return false;
}

struct req *req_admit_victim(const struct rw_resolver *r, uint64_t now_ms)
{
	int looks = 0;

	/* The list is kept newest first, so its tail is the oldest. Internal requests (priming,
	 * on-demand traces) are not the clients' to drop. Nor is one whose upstream query others
	 * joined: they would wait for a reply that never comes. */
	for (struct req *q = r->reqs_tail; q && looks < VICTIM_LOOKS; q = q->prev) {
		if (!q->client)
			continue;
		looks++;
		if (now_ms - q->start_ms < r->cfg->jostle_timeout_ms)
			return NULL; /* the rest are younger still */
		if (!q->finishing && !q->followers)
			return q;
	}
	return NULL;
}

/* Drop q without an answer: its clients get a callback with nothing to send. */
static void jostle(struct req *q)
{
	struct rw_resolver *r = q->r;
	struct waiter *w = q->waiters;
	rw_response_cb cb = q->cb;
	void *arg = q->arg;

	q->waiters = NULL;
	req_free(q); /* cancels its upstream query */
	r->busy++;   /* the callbacks may bring new queries: none of them may drop another */
	r->stats.jostled++;
	if (cb)
		cb(arg, NULL, 0);
	while (w) {
		struct waiter *next = w->next;
		r->n_waiters--;
		r->stats.jostled++;
		if (w->cb)
			w->cb(w->arg, NULL, 0);
		free(w);
		w = next;
	}
	r->busy--;
}

bool req_admit(struct rw_resolver *r)
{
	/* Never from inside a callback of the resolver (busy): a caller up the stack may hold
	 * the request that would be freed. A few tries: the callbacks of one drop may take the
	 * room it made. */
	if (r->stale && r->n_client >= r->cfg->num_queries_per_thread) {
		r->stats.stale++;
		return false;
	}
	for (int tries = 0; r->n_client >= r->cfg->num_queries_per_thread; tries++) {
		struct req *v = NULL;
		if (!r->busy && tries < 4)
			v = req_admit_victim(r, r->env->now_mono_ms(r->env->ctx));
		if (!v) {
			r->stats.dropped++;
			return false;
		}
		jostle(v);
	}
	return true;
}

void rw_resolver_set_stale(struct rw_resolver *r, bool stale)
{
	r->stale = stale;
}

void rw_resolver_set_received(struct rw_resolver *r, int64_t wall_us, uint64_t mono_us)
{
	r->ans.recv_wall_us = wall_us;
	r->recv_mono_us = mono_us;
}

bool rw_resolver_full(const struct rw_resolver *r)
{
	return r->n_client >= r->cfg->num_queries_per_thread;
}

void rw_resolver_count_load(struct rw_resolver *r, enum rw_load_event ev)
{
	if (ev == RW_LOAD_TCP_EVICTED)
		r->stats.tcp_evicted++;
	else if (ev == RW_LOAD_TCP_PER_CLIENT)
		r->stats.tcp_per_client++;
}
