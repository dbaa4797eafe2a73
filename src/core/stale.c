/* Serve-stale (RFC 8767) for the resolver's requests: see stale.h.
 *
 * A client request gets a timer when serve-expired is on (resolver.c links it). When the timer
 * passes before the resolution ends, the client is answered from the expired records the cache
 * kept, and the request goes on: its result refreshes the cache. When the resolution fails, the
 * clients still waiting get the expired records instead of SERVFAIL, and the failure is
 * remembered for RW_STALE_RECHECK_MS so that the next clients are answered stale at once,
 * without a resolution each (RFC 8767 4, the "failure recheck timer").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolver_impl.h"
#include "stale.h"

static struct rw_stale_fail *fail_slot(struct rw_resolver *r, uint64_t qh)
{
	return &r->fails[qh & (RW_STALE_FAILS - 1)];
}

/* Answer the request's clients stale where the cache can (served ones leave the request); a
 * trace event says "served stale: expired N s ago; " and then. Returns whether any was. */
static bool serve_clients(struct req *q, const char *then)
{
	struct rw_resolver *r = q->r;
	int64_t exp = 0, e1 = 0;
	bool served = false;

	if (q->cb && rw_answer_stale(&r->ans, &q->cq, q->proto, q->cb, q->arg, &e1)) {
		q->cb = NULL;
		served = true;
		exp = e1;
	}
	struct waiter **pp = &q->waiters;
	while (*pp) {
		struct waiter *w = *pp;
		if (rw_answer_stale(&r->ans, &w->cq, w->proto, w->cb, w->arg, &e1)) {
			*pp = w->next;
			free(w);
			r->n_waiters--;
			served = true;
			exp = e1 > exp ? e1 : exp;
		} else {
			pp = &w->next;
		}
	}
	if (!served)
		return false;
	q->stale_served = true;
	struct rw_trace_event *e =
		rw_trace_add(q->sh.trace, RW_EV_STALE, "", r->env->now_wall_us(r->env->ctx));
	if (e) {
		char buf[300];
		snprintf(buf, sizeof(buf), "served stale: expired %lld s ago; %s",
			 (long long)(exp / 1000000), then);
		e->text = strdup(buf);
	}
	return true;
}

void rw_stale_due(struct rw_resolver *r)
{
	uint64_t now = r->env->now_mono_ms(r->env->ctx);
	while (r->stale_head && r->stale_head->stale_at <= now) {
		struct req *q = r->stale_head;
		char then[80];
		snprintf(then, sizeof(then), "refresh still under way after %llu ms",
			 (unsigned long long)(now - q->start_ms));
		req_stale_unlink(q);
		if (!q->finishing)
			serve_clients(q, then);
	}
}

bool rw_stale_finish(struct req *q, const struct rw_iter *it, int rcode)
{
	struct rw_resolver *r = q->r;
	req_stale_unlink(q);
	if (!r->cfg->serve_expired || !q->qprev)
		return false; /* not in the question table: priming, an on-demand trace */
	struct rw_stale_fail *f = fail_slot(r, q->qhash);
	if (rcode != LDNS_RCODE_SERVFAIL) {
		if (f->qh == q->qhash)
			memset(f, 0, sizeof(*f));
		return false;
	}
	const char *why = rw_iter_fail_reason(it);
	f->qh = q->qhash;
	f->until_ms = r->env->now_mono_ms(r->env->ctx) + RW_STALE_RECHECK_MS;
	f->at_us = r->env->now_wall_us(r->env->ctx);
	snprintf(f->why, sizeof(f->why), "%s", why ? why : "SERVFAIL");
	char then[200];
	snprintf(then, sizeof(then), "refresh failed because %s", f->why);
	if (!q->stale_served)
		return serve_clients(q, then);
	struct rw_trace_event *e = rw_trace_add(q->sh.trace, RW_EV_STALE, "", f->at_us);
	if (e)
		e->text = strdup(then);
	return false;
}

bool rw_stale_early(struct rw_resolver *r, const struct rw_client_query *cq,
		    const struct rw_answer_client *to, uint64_t qh, const struct req *q,
		    bool *refresh)
{
	uint64_t now = r->env->now_mono_ms(r->env->ctx);
	const struct rw_stale_fail *f = fail_slot(r, qh);
	bool failed = f->qh == qh && f->until_ms > now;
	bool joined = q && q->stale_served;
	bool at_once = r->cfg->serve_expired_client_timeout_ms == 0;
	int64_t exp = 0, t0 = r->env->now_wall_us(r->env->ctx);

	*refresh = false;
	if (!failed && !joined && !at_once)
		return false;
	if (!rw_answer_stale(&r->ans, cq, to->proto, to->cb, to->arg, &exp))
		return false;
	*refresh = !failed && !q;
	if (!to->traced)
		return true;
	char buf[300];
	int n = snprintf(buf, sizeof(buf), "served stale: expired %lld s ago; ",
			 (long long)(exp / 1000000));
	if (failed)
		snprintf(buf + n, sizeof(buf) - (size_t)n,
			 "refresh failed %lld s ago because %s; next try in %llu s",
			 (long long)((t0 - f->at_us) / 1000000), f->why,
			 (unsigned long long)((f->until_ms - now + 999) / 1000));
	else
		snprintf(buf + n, sizeof(buf) - (size_t)n, "refresh %s",
			 q ? "under way" : "started in the background");
	rw_answer_trace_stale(&r->ans, cq, to, buf, t0);
	return true;
}
