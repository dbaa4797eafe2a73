/* `rootwalk check`: a check's life (see rootwalk/check.h). A check runs in phases: the walk down
 * to the zone, the addresses of name servers without glue, the questions to every server, the
 * details (the child's NS set and addresses, the types at NAME, MX/NS/CNAME targets), questions
 * to the servers found only then; each phase begins when the one before has no query in flight.
 * Replies and timeouts for the check's ids come from the resolver (resolver.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/present.h"
#include "rootwalk/trace.h"
#include "rootwalk/wire.h"
#include "check_impl.h"
#include "resolver_impl.h"

static uint64_t now_ms(const struct rw_check *ck)
{
	return ck->r->env->now_mono_ms(ck->r->env->ctx);
}

static void probe_free(struct ck_probe *p)
{
	ldns_rdf_deep_free(p->qname);
	free(p);
}

static void check_free(struct rw_check *ck)
{
	while (ck->probes) {
		struct ck_probe *p = ck->probes;
		ck->probes = p->next;
		ck->r->env->cancel(ck->r->env->ctx, p->id);
		probe_free(p);
	}
	for (int i = 0; i < ck->n_walks; i++)
		ck_walk_free(&ck->walks[i]);
	for (int i = 0; i < ck->n_servers; i++) {
		struct ck_server *s = &ck->servers[i];
		ldns_rdf_deep_free(s->nsname);
		ldns_rr_list_deep_free(s->ans.rrs);
		ldns_rr_free(s->ans.soa);
		ldns_rr_list_deep_free(s->ns);
		ldns_rr_free(s->soa);
	}
	if (ck->cached)
		rw_cache_entry_clear(&ck->cache);
	for (int i = 0; i < ck->n_targets; i++)
		ldns_rdf_deep_free(ck->targets[i].name);
	for (int i = 0; i < ck->n_findings; i++)
		free(ck->findings[i].text);
	ck_dnssec_free(ck);
	rw_trace_free(ck->trace);
	ldns_rdf_deep_free(ck->name);
	ldns_rdf_deep_free(ck->zone);
	ldns_rdf_deep_free(ck->parent);
	ldns_rr_list_deep_free(ck->parent_ns);
	ldns_rr_list_deep_free(ck->glue);
	ldns_rr_list_deep_free(ck->child_ns);
	ldns_rr_list_deep_free(ck->child_addrs);
	free(ck);
}

static void unlink_check(struct rw_check *ck)
{
	for (struct rw_check **pp = &ck->r->checks; *pp; pp = &(*pp)->next)
		if (*pp == ck) {
			*pp = ck->next;
			return;
		}
}

/* The end: findings, the report, the callback; the check is freed. */
static void finish(struct rw_check *ck)
{
	struct rw_sbuf b = {0};
	ck->phase = CK_PH_DONE;
	if (ck->serials) {
		ck_format_serials(ck, &b);
	} else {
		ck_find(ck);
		if (ck->json)
			ck_format_json(ck, &b);
		else
			ck_format_text(ck, &b);
	}
	unlink_check(ck);
	rw_check_cb cb = ck->cb;
	void *arg = ck->arg;
	enum rw_check_status st = ck_status(ck);
	ck_trace_end(ck, st);
	check_free(ck); /* cancels what is still in flight */
	cb(arg, st, b.oom ? NULL : (b.p ? b.p : ""), b.oom ? 0 : b.len);
	free(b.p);
}

/* No query in flight: the next phase, or the end. */
static void advance(struct rw_check *ck)
{
	ck_walks_report(ck);
	while (ck->inflight == 0 && ck->phase != CK_PH_DONE) {
		switch (ck->phase) {
		case CK_PH_WALK:
			ck->phase = CK_PH_ADDRS;
			ck_servers_from_parent(ck);
			break;
		case CK_PH_ADDRS:
			ck->phase = CK_PH_PROBE;
			for (int i = 0; i < ck->n_servers; i++)
				ck_probe_server(ck, i);
			break;
		case CK_PH_PROBE:
			if (ck->serials) {
				finish(ck);
				return;
			}
			ck->phase = CK_PH_DETAIL;
			ck_detail_start(ck);
			break;
		case CK_PH_DETAIL:
			ck->phase = CK_PH_PROBE2;
			ck_servers_from_child(ck);
			for (int i = 0; i < ck->n_servers; i++)
				ck_probe_server(ck, i);
			break;
		case CK_PH_PROBE2:
		case CK_PH_DONE:
			finish(ck);
			return;
		}
		ck_walks_report(ck);
	}
}

/* The budget is used up: whatever is still in flight counts as silent. */
static void over_budget(struct rw_check *ck)
{
	ck->over_budget = true;
	while (ck->probes) {
		struct ck_probe *p = ck->probes;
		ck->probes = p->next;
		ck->inflight--;
		ck->r->env->cancel(ck->r->env->ctx, p->id);
		ck_trace_timeout(ck, p, p->server >= 0 ? ck->servers[p->server].nsname : NULL,
				 "the check's time budget ran out");
		if (p->walk < 0)
			ck_probe_timeout(ck, p, -ETIMEDOUT);
		probe_free(p);
	}
	for (int i = 0; i < ck->n_walks; i++) {
		struct ck_walk *w = &ck->walks[i];
		if (!w->done) {
			w->done = w->failed = true;
			snprintf(w->why, sizeof(w->why), "the check's time budget (%u ms) ran out",
				 RW_CHECK_BUDGET_MS);
		}
	}
	finish(ck);
}

static struct rw_check *find_probe(struct rw_resolver *r, uint64_t id, struct ck_probe ***pp)
{
	for (struct rw_check *ck = r->checks; ck; ck = ck->next)
		for (*pp = &ck->probes; **pp; *pp = &(**pp)->next)
			if ((**pp)->id == id)
				return ck;
	return NULL;
}

/* Whether pkt is the reply to p: its id and its question. */
static bool matches(const struct ck_probe *p, const ldns_pkt *pkt)
{
	if (!ldns_pkt_qr(pkt) || ldns_pkt_id(pkt) != p->qid ||
	    ldns_rr_list_rr_count(ldns_pkt_question(pkt)) != 1)
		return false;
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	return ldns_rr_get_type(q) == p->qtype &&
	       ldns_dname_compare(ldns_rr_owner(q), p->qname) == 0;
}

bool rw_check_on_reply(struct rw_resolver *r, uint64_t id, const struct sockaddr *from,
		       socklen_t fromlen, const uint8_t *pkt, size_t len)
{
	struct ck_probe **pp = NULL;
	struct rw_check *ck = find_probe(r, id, &pp);
	if (!ck)
		return true;
	struct ck_probe *p = *pp;
	struct ck_addr src = {.len = fromlen};
	if (fromlen > sizeof(src.ss))
		return false;
	memcpy(&src.ss, from, fromlen);
	ldns_pkt *reply = NULL;
	if (!ck_addr_equal(&src, &p->addr) || ldns_wire2pkt(&reply, pkt, len) != LDNS_STATUS_OK)
		return false;
	if (!matches(p, reply)) {
		ldns_pkt_free(reply);
		return false;
	}
	*pp = p->next;
	ck->inflight--;
	int64_t rtt = ck_now_us(ck) - (int64_t)p->sent_us;
	ck_trace_reply(ck, p, reply, rtt, len);
	if (p->walk >= 0)
		ck_walk_reply(ck, p, reply);
	else
		ck_probe_reply(ck, p, reply, rtt);
	ldns_pkt_free(reply);
	probe_free(p);
	if (now_ms(ck) >= ck->deadline_ms)
		over_budget(ck);
	else
		advance(ck);
	return true;
}

void rw_check_on_timeout(struct rw_resolver *r, uint64_t id, int err)
{
	struct ck_probe **pp = NULL;
	struct rw_check *ck = find_probe(r, id, &pp);
	if (!ck)
		return;
	struct ck_probe *p = *pp;
	*pp = p->next;
	ck->inflight--;
	ck_trace_timeout(ck, p, p->server >= 0 ? ck->servers[p->server].nsname : NULL,
			 err == -ETIMEDOUT ? "timeout" : strerror(-err));
	if (p->walk >= 0)
		ck_walk_timeout(ck, p);
	else
		ck_probe_timeout(ck, p, err);
	probe_free(p);
	if (now_ms(ck) >= ck->deadline_ms)
		over_budget(ck);
	else
		advance(ck);
}

void rw_check_on_timer(struct rw_resolver *r)
{
	uint64_t now = r->env->now_mono_ms(r->env->ctx);
	struct rw_check *ck = r->checks;
	while (ck) {
		struct rw_check *next = ck->next;
		if (ck->kick) {
			ck->kick = false;
			advance(ck);
		} else if (now >= ck->deadline_ms) {
			over_budget(ck);
		}
		ck = next;
	}
}

uint64_t rw_check_deadline(const struct rw_resolver *r)
{
	uint64_t at = UINT64_MAX;
	for (const struct rw_check *ck = r->checks; ck; ck = ck->next)
		if ((ck->kick ? ck->start_ms : ck->deadline_ms) < at)
			at = ck->kick ? ck->start_ms : ck->deadline_ms;
	return at;
}

size_t rw_check_running(const struct rw_resolver *r)
{
	size_t n = 0;
	for (const struct rw_check *ck = r->checks; ck; ck = ck->next)
		n++;
	return n;
}

void rw_check_free_all(struct rw_resolver *r)
{
	while (r->checks) {
		struct rw_check *ck = r->checks;
		r->checks = ck->next;
		check_free(ck);
	}
}

void rw_check_cancel(struct rw_resolver *r, uint64_t handle)
{
	for (struct rw_check *ck = r->checks; ck; ck = ck->next)
		if (ck->handle == handle) {
			unlink_check(ck);
			check_free(ck);
			return;
		}
}

uint64_t rw_check_start(struct rw_resolver *r, const uint8_t *name, size_t name_len, uint16_t qtype,
			unsigned flags, rw_check_cb cb, void *arg)
{
	struct rw_check *ck = calloc(1, sizeof(*ck));
	if (!ck)
		return 0;
	ck->r = r;
	ck->name = ldns_dname_new_frm_data((uint16_t)name_len, name);
	if (!ck->name) {
		free(ck);
		return 0;
	}
	ldns_dname2canonical(ck->name);
	ck->qtype = qtype;
	ck->json = flags & RW_CHECK_JSON;
	ck->serials = flags & RW_CHECK_SERIALS;
	ck->cb = cb;
	ck->arg = arg;
	ck->ref = -1;
	ck->start_ms = now_ms(ck);
	ck->deadline_ms = ck->start_ms + RW_CHECK_BUDGET_MS;
	ck->start_wall_us = r->env->now_wall_us(r->env->ctx);
	ck->handle = ++r->next_handle;
	ck_trace_begin(ck);
	ck->next = r->checks;
	r->checks = ck;
	int w = ck_walk_new(ck, CK_W_MAIN, ck->name, qtype, -1);
	if (w < 0) {
		unlink_check(ck);
		check_free(ck);
		return 0;
	}
	/* Nothing is answered during this call: a check that could not send anything goes on
	 * from the timer, due at once. */
	if (ck->serials)
		ck_serials_start(ck);
	else
		ck_walk_start(ck, w);
	ck->kick = ck->inflight == 0;
	return ck->handle; /* the caller arms the resolver's timer (rw_resolver_check) */
}
