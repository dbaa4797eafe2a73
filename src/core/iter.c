/* The iterator: the delegation walk of one (qname, qtype) as a state machine. See iter.h.
 * This file: its life cycle and the start of a walk, from the cache (cached answers, CNAMEs and
 * DNAMEs) or from the closest cut. Replies, timeouts and sub-results are iter_reply.c's. */
#include "iter_impl.h"
#include "rootwalk/anchor.h"
#include "rootwalk/nseccache.h"

/* A cached entry's proof records (NSEC/NSEC3 and RRSIGs) into the result's proof. */
static void add_proof(struct rw_iter *it, const struct rw_cache_entry *e)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(e->proof); i++)
		if (iter_add_proof(it, ldns_rr_list_rr(e->proof, i), e->src, e->stored_us,
				   e->expires_us, e->orig_ttl, true) == 0)
			it->proof[it->n_proof - 1].vstate = e->vstate;
}

/* Add a cached entry's records, then its RRSIGs, with the entry's validation state. */
static void add_entry(struct rw_iter *it, const struct rw_cache_entry *e)
{
	const ldns_rr_list *lists[2] = {e->rrs, e->sigs};
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < ldns_rr_list_rr_count(lists[l]); i++)
			if (iter_add_rec(it, ldns_rr_list_rr(lists[l], i), e->src, e->stored_us,
					 e->expires_us, e->orig_ttl, true) == 0)
				it->recs[it->n_recs - 1].vstate = e->vstate;
	add_proof(it, e);
}

static void trace_cache_hit(struct rw_iter *it, const struct rw_cache_entry *e, size_t first)
{
	struct rw_trace_event *ev = iter_trace_ev(it, RW_EV_CACHE_HIT);
	if (!ev)
		return;
	int64_t now = ev->wall_us;
	ev->qname = dstr(it->qname);
	ev->qtype = it->qtype;
	if (e && e->kind != RW_ENTRY_RRSET && e->soa) {
		ev->text = strdup(e->kind == RW_ENTRY_NXDOMAIN ? "nxdomain" : "nodata");
		rw_trace_add_rec(ev, e->soa, rw_cache_ttl_left(e, now), e->orig_ttl, e->stored_us,
				 e->expires_us, e->src, true);
		return;
	}
	for (size_t i = first; i < it->n_recs; i++) {
		const struct rw_iter_rec *r = &it->recs[i];
		if (ldns_rr_get_type(r->rr) == LDNS_RR_TYPE_RRSIG &&
		    it->qtype != LDNS_RR_TYPE_RRSIG)
			continue;
		rw_trace_add_rec(ev, r->rr, e ? rw_cache_ttl_left(e, now) : 0, r->orig_ttl,
				 r->stored_us, r->expires_us, r->src, true);
	}
}

/* A cached DNAME at a proper ancestor of the current name (RFC 6672 3.2): synthesise the CNAME
 * from it without asking. Returns 0 when there is none, 1 when the walk goes on with the new
 * name, -1 when the iterator finished or failed. */
static int dname_from_cache(struct rw_iter *it, size_t first, struct rw_iter_out *out)
{
	int64_t now = now_us(it);
	ldns_rdf *name = is_root(it->qname) ? NULL : ldns_dname_left_chop(it->qname);
	int rc = 0;

	while (name && !is_root(name) && rc == 0) {
		struct rw_cache_entry e;
		if (rw_cache_get(it->sh->cache, RW_ENTRY_RRSET, name, LDNS_RR_TYPE_DNAME,
				 it->qclass, now, RW_RANK_NONAUTH_ANSWER, &e)) {
			if (ldns_rr_list_rr_count(e.rrs) == 1) {
				add_entry(it, &e);
				it->sh->cache_hits++;
				trace_cache_hit(it, &e, first);
				rc = iter_follow_dname(it, ldns_rr_list_rr(e.rrs, 0), e.src,
						       e.stored_us, e.expires_us, e.orig_ttl, true,
						       out)
					     ? 1
					     : -1;
			}
			rw_cache_entry_clear(&e);
			if (rc == 0)
				break; /* a broken DNAME set: let the servers say */
		}
		ldns_rdf *up = ldns_dname_left_chop(name);
		ldns_rdf_deep_free(name);
		name = up;
	}
	ldns_rdf_deep_free(name);
	return rc;
}

/* Trace a negative answer synthesised from the NSEC cache: the NSEC records it rests on. */
static void trace_synth(struct rw_iter *it, const struct rw_nsec_hit *h, struct rw_source *src)
{
	struct rw_trace_event *ev = iter_trace_ev(it, RW_EV_DNSSEC);
	if (!ev)
		return;
	ev->vstep = RW_VAL_AGGRESSIVE;
	ev->vstate = RW_VSTATE_SECURE;
	ev->ede = -1;
	ev->qname = dstr(it->qname);
	ev->qtype = it->qtype;
	ev->zone = dstr(h->zone);
	ev->rcode = h->rcode;
	ev->expires_us = h->expires_us;
	uint32_t ttl = (uint32_t)((h->expires_us - h->stored_us) / 1000000);
	const ldns_rr *used[2] = {h->nsec, h->wild != h->nsec ? h->wild : NULL};
	for (int i = 0; i < 2; i++)
		if (used[i])
			rw_trace_add_rec(ev, used[i], ttl, ttl, h->stored_us, h->expires_us, src,
					 true);
	size_t n = strlen(h->encloser) + 3;
	if (h->wild && h->encloser[0] && (ev->text = malloc(n))) /* the wildcard it denies */
		snprintf(ev->text, n, "*.%s", strcmp(h->encloser, ".") ? h->encloser : "");
}

/* RFC 8198: a negative answer proven by validated NSEC records already cached (the NSEC
 * cache), synthesised without asking; stored in the cache as a negative entry as well, so the
 * fast path serves it next time. Returns true when it finished. */
static bool nsec_from_cache(struct rw_iter *it, struct rw_iter_out *out)
{
	const struct rw_iter_shared *sh = it->sh;
	struct rw_nsec_hit h;
	int64_t now = now_us(it);

	if (!sh->cfg->dnssec || !sh->cfg->aggressive_nsec || !sh->nsec || sh->no_cache_answer ||
	    it->qclass != LDNS_RR_CLASS_IN)
		return false;
	if (sh->anchors && rw_anchors_insecure(sh->anchors, it->qname, now, NULL, 0))
		return false; /* not validated here (domain-insecure, NTA): nothing to say */
	if (!rw_nseccache_lookup(sh->nsec, it->qname, it->qtype, now, &h))
		return false;
	char *zone = dstr(h.zone);
	struct rw_source *src = rw_source_new(RW_NSEC_SYNTH_SOURCE, zone, NULL, 0);
	free(zone);
	enum rw_entry_kind kind =
		h.rcode == LDNS_RCODE_NXDOMAIN ? RW_ENTRY_NXDOMAIN : RW_ENTRY_NODATA;
	uint32_t ttl = (uint32_t)((h.expires_us - h.stored_us) / 1000000);
	iter_set_soa(it, h.soa, src, h.stored_us, h.expires_us, ttl, true);
	it->soa.vstate = RW_VSTATE_SECURE;
	for (size_t i = 0; i < ldns_rr_list_rr_count(h.proof); i++)
		if (iter_add_proof(it, ldns_rr_list_rr(h.proof, i), src, h.stored_us, h.expires_us,
				   ttl, true) == 0)
			it->proof[it->n_proof - 1].vstate = RW_VSTATE_SECURE;
	if (rw_cache_store_negative_proof(sh->cache, kind, it->qname, it->qtype, it->qclass, h.soa,
					  h.proof, RW_RANK_NONAUTH_ANSWER, src, now) > 0)
		rw_cache_set_vstate(sh->cache, kind, it->qname,
				    kind == RW_ENTRY_NXDOMAIN ? 0 : it->qtype, it->qclass,
				    RW_VSTATE_SECURE, h.expires_us, now);
	it->sh->cache_hits++;
	trace_synth(it, &h, src);
	rw_source_unref(src);
	int rcode = h.rcode;
	rw_nsec_hit_clear(&h);
	iter_finish(it, rcode, out);
	return true;
}

/* A cached NODATA. One with a proof but no SOA is a DS denial a referral carried (iter_reply.c):
 * the validator's chain of trust uses it, but a client asking DS gets the parent's own answer,
 * with its SOA (validators such as delv refuse a NODATA without one). Clears e when unusable. */
static bool usable_nodata(const struct rw_iter *it, struct rw_cache_entry *e)
{
	if (e->soa || !e->proof || it->depth > 0)
		return true;
	rw_cache_entry_clear(e);
	return false;
}

/* Try to finish from the cache, following cached CNAMEs. Returns true when done (or failed). */
static bool answer_from_cache(struct rw_iter *it, struct rw_iter_out *out)
{
	struct rw_cache *c = it->sh->cache;

	if (it->sh->no_cache_answer && it->depth == 0)
		return false;
	for (;;) {
		int64_t now = now_us(it);
		struct rw_cache_entry e;
		size_t first = it->n_recs;

		if (rw_cache_get(c, RW_ENTRY_RRSET, it->qname, it->qtype, it->qclass, now,
				 RW_RANK_NONAUTH_ANSWER, &e)) {
			add_entry(it, &e);
			it->sh->cache_hits++;
			trace_cache_hit(it, &e, first);
			rw_cache_entry_clear(&e);
			iter_finish(it, LDNS_RCODE_NOERROR, out);
			return true;
		}
		if (rw_cache_get(c, RW_ENTRY_NXDOMAIN, it->qname, 0, it->qclass, now, RW_RANK_NONE,
				 &e) ||
		    (rw_cache_get(c, RW_ENTRY_NODATA, it->qname, it->qtype, it->qclass, now,
				  RW_RANK_NONE, &e) &&
		     usable_nodata(it, &e))) {
			it->sh->cache_hits++;
			if (e.soa) {
				iter_set_soa(it, e.soa, e.src, e.stored_us, e.expires_us,
					     e.orig_ttl, true);
				it->soa.vstate = e.vstate;
			}
			add_proof(it, &e);
			trace_cache_hit(it, &e, first);
			int rcode = e.kind == RW_ENTRY_NXDOMAIN ? LDNS_RCODE_NXDOMAIN
								: LDNS_RCODE_NOERROR;
			rw_cache_entry_clear(&e);
			iter_finish(it, rcode, out);
			return true;
		}
		if (it->qtype == LDNS_RR_TYPE_CNAME ||
		    !rw_cache_get(c, RW_ENTRY_RRSET, it->qname, LDNS_RR_TYPE_CNAME, it->qclass, now,
				  RW_RANK_NONAUTH_ANSWER, &e)) {
			int d = dname_from_cache(it, first, out);
			if (d == 0 && nsec_from_cache(it, out))
				return true;
			if (d <= 0)
				return d < 0;
			continue;
		}
		if (ldns_rr_list_rr_count(e.rrs) == 0) {
			rw_cache_entry_clear(&e);
			return false;
		}
		add_entry(it, &e);
		it->sh->cache_hits++;
		trace_cache_hit(it, &e, first);
		const ldns_rdf *t0 = ldns_rr_rdf(ldns_rr_list_rr(e.rrs, 0), 0);
		ldns_rdf *target = t0 ? ldns_rdf_clone(t0) : NULL;
		rw_cache_entry_clear(&e);
		bool ok = target && iter_follow_cname(it, target, out);
		ldns_rdf_deep_free(target);
		if (!ok)
			return true;
	}
}

void iter_walk(struct rw_iter *it, struct rw_iter_out *out)
{
	if (answer_from_cache(it, out))
		return;
	iter_find_cut(it);
	uint8_t r = 0;
	it->sh->env->random_buf(it->sh->env->ctx, &r, 1);
	it->rr_start = it->n_ns ? r % it->n_ns : 0;
	iter_next_server(it, out);
}

void rw_iter_start(struct rw_iter *it, struct rw_iter_out *out)
{
	iter_walk(it, out);
}

struct rw_iter *rw_iter_new(struct rw_iter_shared *sh, const ldns_rdf *qname, uint16_t qtype,
			    uint16_t qclass, int depth, const char *step)
{
	struct rw_iter *it = calloc(1, sizeof(*it));
	if (!it)
		return NULL;
	it->sh = sh;
	it->orig_qname = ldns_rdf_clone(qname);
	it->qname = ldns_rdf_clone(qname);
	if (!it->orig_qname || !it->qname) {
		rw_iter_free(it);
		return NULL;
	}
	it->qtype = qtype;
	it->qclass = qclass;
	it->depth = depth;
	snprintf(it->prefix, sizeof(it->prefix), "%s", step ? step : "");
	snprintf(it->step, sizeof(it->step), "%s", it->prefix);
	return it;
}

void rw_iter_free(struct rw_iter *it)
{
	if (!it)
		return;
	iter_clear_cut(it);
	ldns_rdf_deep_free(it->orig_qname);
	ldns_rdf_deep_free(it->qname);
	ldns_rdf_deep_free(it->sname);
	ldns_rdf_deep_free(it->reask_zone);
	free(it->reask_dead);
	for (size_t i = 0; i < it->n_recs; i++) {
		ldns_rr_free(it->recs[i].rr);
		rw_source_unref(it->recs[i].src);
	}
	free(it->recs);
	for (size_t i = 0; i < it->n_proof; i++) {
		ldns_rr_free(it->proof[i].rr);
		rw_source_unref(it->proof[i].src);
	}
	free(it->proof);
	if (it->has_soa) {
		ldns_rr_free(it->soa.rr);
		rw_source_unref(it->soa.src);
	}
	free(it->fail_reason);
	free(it);
}
