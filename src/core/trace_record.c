/* Per-query trace, recording: typed events appended during a resolution, with the bounds that
 * keep a trace small whatever upstream servers send (rootwalk/trace.h). Formatted in trace.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/env.h"
#include "rootwalk/trace.h"

struct rw_trace *rw_trace_new(uint64_t id, enum rw_trace_format format)
{
	struct rw_trace *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	snprintf(t->id, sizeof(t->id), "%016" PRIx64, id);
	t->format = format;
	return t;
}

static void event_clear(struct rw_trace_event *e)
{
	free(e->qname);
	free(e->zone);
	free(e->server);
	free(e->text);
	for (size_t i = 0; i < e->n_ns; i++)
		free(e->ns[i]);
	free(e->ns);
	for (size_t i = 0; i < e->n_recs; i++) {
		ldns_rr_free(e->recs[i].rr);
		rw_source_unref(e->recs[i].src);
	}
	free(e->recs);
}

void rw_trace_free(struct rw_trace *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		event_clear(&t->ev[i]);
	free(t->ev);
	free(t);
}

/* Events that end a resolution: recorded past RW_TRACE_MAX_EVENTS, so that a long trace still
 * says how it ended. */
static bool ev_ends(enum rw_ev type)
{
	return type == RW_EV_ANSWER || type == RW_EV_FAIL || type == RW_EV_DONE;
}

struct rw_trace_event *rw_trace_add(struct rw_trace *t, enum rw_ev type, const char *step,
				    int64_t wall_us)
{
	if (!t)
		return NULL;
	if (t->n >= RW_TRACE_MAX_EVENTS &&
	    (!ev_ends(type) || t->n >= RW_TRACE_MAX_EVENTS + RW_TRACE_MAX_ENDING)) {
		t->events_dropped++;
		return NULL;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct rw_trace_event *ev = realloc(t->ev, cap * sizeof(*ev));
		if (!ev)
			return NULL;
		t->ev = ev;
		t->cap = cap;
	}
	struct rw_trace_event *e = &t->ev[t->n++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->wall_us = wall_us;
	snprintf(e->step, sizeof(e->step), "%s", step ? step : "");
	return e;
}

bool rw_trace_keep_rejected(struct rw_trace *t)
{
	if (!t)
		return false;
	if (t->rejected >= RW_TRACE_MAX_REJECTED || t->n >= RW_TRACE_MAX_EVENTS) {
		t->rejected_more++;
		return false;
	}
	t->rejected++;
	t->last_rejected = t->n; /* the index its event gets */
	return true;
}

int rw_trace_add_rec(struct rw_trace_event *e, const ldns_rr *rr, uint32_t ttl_left,
		     uint32_t orig_ttl, int64_t stored_us, int64_t expires_us,
		     struct rw_source *src, bool from_cache)
{
	if (!e)
		return 0;
	struct rw_trace_rec *recs = realloc(e->recs, (e->n_recs + 1) * sizeof(*recs));
	if (!recs)
		return -1;
	e->recs = recs;
	struct rw_trace_rec *r = &recs[e->n_recs];
	r->rr = ldns_rr_clone(rr);
	if (!r->rr)
		return -1;
	ldns_rr_set_ttl(r->rr, ttl_left);
	r->ttl_left = ttl_left;
	r->orig_ttl = orig_ttl;
	r->stored_us = stored_us;
	r->expires_us = expires_us;
	r->src = rw_source_ref(src);
	r->from_cache = from_cache;
	e->n_recs++;
	return 0;
}

int rw_trace_add_ns(struct rw_trace_event *e, const ldns_rdf *name)
{
	if (!e || !name)
		return 0;
	char **ns = realloc(e->ns, (e->n_ns + 1) * sizeof(*ns));
	if (!ns)
		return -1;
	e->ns = ns;
	ns[e->n_ns] = rw_present_name(name);
	if (!ns[e->n_ns])
		return -1;
	e->n_ns++;
	return 0;
}

uint64_t rw_trace_id_next(struct rw_trace_ids *g, const struct rw_env *env)
{
	uint64_t x;

	if (!g->keyed) {
		env->random_buf(env->ctx, &g->key, sizeof(g->key));
		g->keyed = true;
	}
	/* xorshifts and odd multipliers: a bijection of 64 bits, so no id repeats before the
	 * counter wraps; the random start makes two generators' ids unrelated */
	x = g->key + g->n++;
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15u;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9u;
	x ^= x >> 32;
	return x;
}
