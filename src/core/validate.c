/* The validator: the second stage of a resolution (rootwalk/layer.h), after the iterator. It
 * checks every RRset of the answer (each link of a CNAME chain, the SOA and NSEC/NSEC3 proof of a
 * negative answer) with the keys of the zone that signed it, which val_chain.c establishes from
 * the trust anchor down. The verdict goes on the bottom iterator (secure: AD; insecure; bogus:
 * SERVFAIL with an Extended DNS Error that names the first broken link) and on the cached
 * entries, so the fast path serves secure data with AD. */
#include "rootwalk/layer.h"
#include "val_impl.h"

static void set_clear(struct vset *s)
{
	ldns_rr_list_deep_free(s->rrs);
	ldns_rr_list_deep_free(s->sigs);
	ldns_rdf_deep_free(s->zone);
	memset(s, 0, sizeof(*s));
}

static void val_free(struct val *v)
{
	for (int i = 0; i < v->n_sets; i++)
		set_clear(&v->sets[i]);
	val_chain_clear(v);
	free(v);
}

/* The zone whose keys must sign a set: its RRSIG's signer when it is an ancestor of the owner
 * (RFC 4035 5.3.1), else the zone the server was asked about. */
static ldns_rdf *zone_of(const ldns_rr_list *sigs, uint16_t type, const ldns_rdf *owner,
			 const struct rw_source *src)
{
	const ldns_rdf *signer = rw_dsec_signer(sigs, type);
	if (signer &&
	    (ldns_dname_compare(signer, owner) == 0 || ldns_dname_is_subdomain(owner, signer)))
		return ldns_rdf_clone(signer);
	if (src && src->zone && src->zone[0]) {
		ldns_rdf *z = NULL;
		if (ldns_str2rdf_dname(&z, src->zone) == LDNS_STATUS_OK)
			return z;
	}
	return ldns_rdf_clone(owner);
}

/* The answer's RRsets, in order, each with its RRSIGs. */
static void collect_answer(struct val *v)
{
	size_t n;
	const struct rw_iter_rec *recs = rw_iter_answer(v->bottom, &n);
	bool after_dname = false;
	for (size_t i = 0; i < n && v->n_sets < VAL_MAX_SETS; i++) {
		const ldns_rr *rr = recs[i].rr;
		uint16_t t = ldns_rr_get_type(rr);
		if (t == LDNS_RR_TYPE_RRSIG && rw_iter_qtype(v->bottom) != LDNS_RR_TYPE_RRSIG)
			continue;
		bool seen = false; /* the set was taken at its first record */
		for (int k = 0; k < v->n_sets && !seen; k++) {
			const ldns_rr *f = ldns_rr_list_rr(v->sets[k].rrs, 0);
			seen = !v->sets[k].negative && ldns_rr_get_type(f) == t &&
			       ldns_dname_compare(ldns_rr_owner(f), ldns_rr_owner(rr)) == 0;
		}
		if (seen)
			continue;
		struct vset *s = &v->sets[v->n_sets++];
		s->rrs = val_recs(recs, n, ldns_rr_owner(rr), t, false);
		s->sigs = val_recs(recs, n, ldns_rr_owner(rr), t, true);
		s->zone = zone_of(s->sigs, t, ldns_rr_owner(rr), recs[i].src);
		s->cached = recs[i].from_cache ? recs[i].vstate : RW_VSTATE_UNCHECKED;
		/* the CNAME a DNAME synthesised has no RRSIG of its own (RFC 6672 5.3.1) */
		s->synth = after_dname && t == LDNS_RR_TYPE_CNAME &&
			   ldns_rr_list_rr_count(s->sigs) == 0;
		after_dname = t == LDNS_RR_TYPE_DNAME;
	}
}

/* A negative answer (or the negative end of a CNAME chain): its SOA and proof, checked as one
 * item. */
static void collect_negative(struct val *v)
{
	const struct rw_iter_rec *soa = rw_iter_soa(v->bottom);
	size_t np;
	const struct rw_iter_rec *proof = rw_iter_proof(v->bottom, &np);
	if (v->n_sets >= VAL_MAX_SETS)
		return;
	struct vset *s = &v->sets[v->n_sets++];
	s->negative = true;
	s->rrs = ldns_rr_list_new();
	s->sigs = val_proof_list(v->bottom);
	const ldns_rdf *signer = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(s->sigs) && !signer; i++) {
		const ldns_rr *r = ldns_rr_list_rr(s->sigs, i);
		if (ldns_rr_get_type(r) == LDNS_RR_TYPE_RRSIG)
			signer = ldns_rr_rrsig_signame(r);
	}
	if (soa && s->rrs)
		ldns_rr_list_push_rr(s->rrs, ldns_rr_clone(soa->rr));
	if (signer)
		s->zone = ldns_rdf_clone(signer);
	else
		s->zone = zone_of(NULL, 0,
				  soa ? ldns_rr_owner(soa->rr) : rw_iter_final_qname(v->bottom),
				  soa ? soa->src : (np ? proof[0].src : NULL));
	s->cached = soa && soa->from_cache ? soa->vstate : RW_VSTATE_UNCHECKED;
}

/* Fold one finding into the verdict: bogus over insecure over secure; the first reason stays. */
static void verdict(struct val *v, enum rw_vstate st, int ede, const char *why)
{
	if (st == RW_VSTATE_BOGUS && v->verdict != RW_VSTATE_BOGUS) {
		v->verdict = st;
	} else if (st == RW_VSTATE_INSECURE && v->verdict == RW_VSTATE_SECURE) {
		v->verdict = st;
	} else {
		if (st == v->verdict && v->ede < 0 && ede >= 0)
			v->ede = ede; /* an insecure answer's EDE (27, 1, 2) when one says it */
		return;
	}
	v->ede = ede;
	snprintf(v->why, sizeof(v->why), "%s", why ? why : "");
}

static const ldns_rdf *set_owner(const struct vset *s)
{
	return ldns_rr_owner(ldns_rr_list_rr(s->rrs, 0));
}

static uint16_t set_type(const struct vset *s)
{
	return ldns_rr_get_type(ldns_rr_list_rr(s->rrs, 0));
}

/* The SOA of a negative answer, when it has one, against its RRSIGs in the proof. */
static bool soa_secure(struct val *v, const struct vset *s, const ldns_rr_list *proof,
		       struct rw_dsec_check *c)
{
	if (ldns_rr_list_rr_count(s->rrs) == 0)
		return true; /* a NODATA without an SOA: the NSEC records alone prove it */
	ldns_rr_list *sigs = ldns_rr_list_new();
	for (size_t i = 0; sigs && i < ldns_rr_list_rr_count(proof); i++) {
		ldns_rr *rr = ldns_rr_list_rr(proof, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG && ldns_rr_rrsig_typecovered(rr) &&
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == LDNS_RR_TYPE_SOA)
			ldns_rr_list_push_rr(sigs, rr);
	}
	rw_dsec_verify_rrset(s->rrs, sigs, s->zone, v->zkey.dnskeys, val_now_s(v), &v->budget, c);
	ldns_rr_list_free(sigs);
	return c->result == RW_DSEC_SECURE;
}

/* Check the proof records of the result with the zone's keys and run a denial proof over them:
 * for a negative answer (wild_labels 0) or a wildcard expansion of owner. */
static void check_denial(struct val *v, const struct vset *s, const ldns_rdf *owner,
			 uint8_t wild_labels, enum rw_entry_kind kind)
{
	ldns_rr_list *proof = val_proof_list(v->bottom), *nsecs = NULL;
	struct rw_dsec_check bad;
	const ldns_rdf *bad_owner;
	uint16_t bad_type, qtype = rw_iter_qtype(v->bottom);
	const ldns_rdf *qname = rw_iter_final_qname(v->bottom);
	char buf[300], *z = rw_present_name(s->zone), *q = rw_present_name(qname);
	enum rw_vstate st = RW_VSTATE_BOGUS;
	int ede = RW_EDE_NSEC_MISSING;
	bool nx = rw_iter_rcode(v->bottom) == LDNS_RCODE_NXDOMAIN;

	if (!wild_labels && !soa_secure(v, s, proof, &bad)) {
		/* the SOA that sets the negative TTL must be signed by the zone too */
		val_check_text(buf, sizeof(buf), &bad, set_owner(s), LDNS_RR_TYPE_SOA, s->zone,
			       val_now_s(v));
		ede = rw_dsec_result_ede(bad.result);
		goto out;
	}
	if (!val_proof_check(v, proof, s->zone, v->zkey.dnskeys, &nsecs, &bad, &bad_owner,
			     &bad_type)) {
		if (bad_owner) {
			val_check_text(buf, sizeof(buf), &bad, bad_owner, bad_type, s->zone,
				       val_now_s(v));
			ede = rw_dsec_result_ede(bad.result);
		} else {
			snprintf(buf, sizeof(buf), "%s from %s comes without NSEC or NSEC3 records",
				 wild_labels ? "a wildcard answer"
				 : nx	     ? "NXDOMAIN"
					     : "NODATA",
				 z);
		}
		goto out;
	}
	struct rw_denial_result d;
	if (wild_labels)
		rw_denial_wildcard(nsecs, s->zone, owner, wild_labels, &v->budget, &d);
	else
		rw_denial_prove(nsecs, s->zone, qname, qtype, nx, &v->budget, &d);
	struct rw_trace_event *e = val_ev(v, RW_VAL_DENIAL, s->zone);
	if (e) {
		e->qname = strdup(q);
		e->qtype = qtype;
		e->nsec3 = d.nsec3;
		e->text = strdup(rw_denial_name(d.kind));
	}
	bool proven = wild_labels ? d.kind == RW_DENIAL_WILDCARD
		      : nx	  ? d.kind == RW_DENIAL_NXDOMAIN
				  : d.kind == RW_DENIAL_NODATA ||
				      (qtype == LDNS_RR_TYPE_DS && d.kind == RW_DENIAL_INSECURE_DS);
	if (proven) {
		st = RW_VSTATE_SECURE;
		ede = -1;
		snprintf(buf, sizeof(buf), "proven by %s", d.nsec3 ? "NSEC3" : "NSEC");
		if (!wild_labels && !d.nsec3 && ldns_rr_list_rr_count(s->rrs) == 1)
			val_feed_nsec(v, s->zone, ldns_rr_list_rr(s->rrs, 0), proof,
				      v->zkey.dnskeys);
	} else if (d.kind == RW_DENIAL_OPTOUT || d.kind == RW_DENIAL_ITERATIONS) {
		st = RW_VSTATE_INSECURE;
		ede = d.kind == RW_DENIAL_ITERATIONS ? RW_EDE_NSEC3_ITERATIONS : -1;
		snprintf(buf, sizeof(buf),
			 d.kind == RW_DENIAL_ITERATIONS
				 ? "the NSEC3 records of %s use %u iterations, more than %u (RFC "
				   "9276): insecure"
				 : "%s: only an opt-out NSEC3 covers it: insecure",
			 z, d.iterations, RW_DSEC_MAX_NSEC3_ITER);
	} else {
		if (d.kind == RW_DENIAL_LIMIT)
			ede = RW_EDE_OTHER;
		snprintf(buf, sizeof(buf),
			 "the NSEC/NSEC3 records of %s do not prove %s for %s (%s)", z,
			 wild_labels ? "the wildcard expansion"
			 : nx	     ? "NXDOMAIN"
				     : "NODATA",
			 q, rw_denial_name(d.kind));
	}
out:
	verdict(v, st, ede, buf);
	val_mark(v, kind, kind == RW_ENTRY_RRSET ? owner : qname,
		 kind == RW_ENTRY_RRSET ? set_type(s) : qtype, st,
		 st == RW_VSTATE_BOGUS ? val_bogus_until(v) : 0);
	ldns_rr_list_free(nsecs);
	ldns_rr_list_deep_free(proof);
	free(z);
	free(q);
}

/* Check one set with the outcome for its zone in v->zkey. */
static void check_set(struct val *v, struct vset *s)
{
	enum rw_entry_kind kind = RW_ENTRY_RRSET;
	if (s->negative)
		kind = rw_iter_rcode(v->bottom) == LDNS_RCODE_NXDOMAIN ? RW_ENTRY_NXDOMAIN
								       : RW_ENTRY_NODATA;
	if (v->zkey.state != RW_VSTATE_SECURE) {
		verdict(v, v->zkey.state, v->zkey.ede, v->zkey.why);
		if (!s->negative && !s->synth && !v->zkey_nta)
			val_mark(v, kind, set_owner(s), set_type(s), v->zkey.state,
				 v->zkey.state == RW_VSTATE_BOGUS ? val_bogus_until(v) : 0);
		return;
	}
	if (s->synth)
		return; /* the DNAME it comes from was checked */
	if (s->negative) {
		check_denial(v, s, NULL, 0, kind);
		return;
	}
	struct rw_dsec_check c;
	rw_dsec_verify_rrset(s->rrs, s->sigs, s->zone, v->zkey.dnskeys, val_now_s(v), &v->budget,
			     &c);
	val_trace_check(v, &c, set_owner(s), set_type(s), s->zone);
	if (c.result == RW_DSEC_SECURE && c.wildcard) {
		check_denial(v, s, set_owner(s), c.sig_labels, RW_ENTRY_RRSET);
		return;
	}
	char buf[300];
	enum rw_vstate st = c.result == RW_DSEC_SECURE		  ? RW_VSTATE_SECURE
			    : c.result == RW_DSEC_UNSUPPORTED_ALG ? RW_VSTATE_INSECURE
								  : RW_VSTATE_BOGUS;
	val_check_text(buf, sizeof(buf), &c, set_owner(s), set_type(s), s->zone, val_now_s(v));
	verdict(v, st, st == RW_VSTATE_SECURE ? -1 : rw_dsec_result_ede(c.result), buf);
	val_mark(v, RW_ENTRY_RRSET, set_owner(s), set_type(s), st,
		 st == RW_VSTATE_SECURE	 ? v->now_us + (int64_t)c.ttl * 1000000
		 : st == RW_VSTATE_BOGUS ? val_bogus_until(v)
					 : 0);
}

static void finish(struct val *v, struct rw_iter_out *out)
{
	out->act = RW_ACT_DONE;
	v->sh->val_upstream = v->sh->upstream - v->upstream_at_begin;
	if (v->n_sets == 0)
		return;
	rw_iter_set_security(v->bottom, v->verdict, v->ede, v->why[0] ? v->why : NULL);
	struct rw_trace_event *e = val_ev(v, RW_VAL_RESULT, NULL);
	if (e) {
		e->vstate = v->verdict;
		e->ede = v->ede;
		if (v->verdict != RW_VSTATE_SECURE && v->why[0])
			e->text = strdup(v->why);
	}
}

/* Check the sets in order; returns when a sub-resolution is wanted or all are checked. */
static void run(struct val *v, struct rw_iter_out *out)
{
	while (v->cur < v->n_sets) {
		struct vset *s = &v->sets[v->cur];
		bool known =
			v->have_zkey && v->target && ldns_dname_compare(v->target, s->zone) == 0;
		if (!known && (s->cached == RW_VSTATE_SECURE || s->cached == RW_VSTATE_INSECURE)) {
			verdict(v, s->cached, -1, "as validated before (cached)");
			v->cur++;
			continue;
		}
		if (!known && !val_chain_begin(v, s->zone, out))
			return; /* waiting for a DS or DNSKEY */
		check_set(v, s);
		v->cur++;
	}
	finish(v, out);
}

static void *vbegin(struct rw_iter_shared *sh, const ldns_rdf *qname, uint16_t qtype,
		    uint16_t qclass, struct rw_iter *bottom, struct rw_iter_out *out)
{
	(void)qname, (void)qtype, (void)qclass;
	struct val *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->sh = sh;
	v->bottom = bottom;
	v->verdict = RW_VSTATE_SECURE;
	v->ede = -1;
	v->now_us = sh->env->now_wall_us(sh->env->ctx);
	v->upstream_at_begin = sh->upstream;
	rw_dsec_budget_init(&v->budget);
	v->budget.pkeys = sh->pkeys;
	int rc = rw_iter_rcode(bottom);
	/* the priming query and failures have nothing to check */
	if (!sh->no_cache_answer &&
	    (rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN || rc == LDNS_RCODE_YXDOMAIN)) {
		collect_answer(v);
		size_t n;
		rw_iter_answer(bottom, &n);
		if (rw_iter_soa(bottom) || rc == LDNS_RCODE_NXDOMAIN || v->n_sets == 0)
			collect_negative(v);
	}
	run(v, out);
	return v;
}

static bool vreply(void *state, const struct sockaddr *from, socklen_t fromlen, const uint8_t *pkt,
		   size_t len, struct rw_iter_out *out)
{
	(void)state, (void)from, (void)fromlen, (void)pkt, (void)len, (void)out;
	return false; /* the validator sends nothing itself: its lookups are iterators */
}

static void vtimeout(void *state, int err, struct rw_iter_out *out)
{
	(void)state, (void)err;
	out->act = RW_ACT_DONE;
}

static void vsubresult(void *state, const struct rw_iter *child, struct rw_iter_out *out)
{
	struct val *v = state;
	v->now_us = v->sh->env->now_wall_us(v->sh->env->ctx);
	if (val_chain_subresult(v, child, out))
		run(v, out);
}

static struct rw_iter *vresult(void *state)
{
	return ((struct val *)state)->bottom;
}

static void vend(void *state)
{
	val_free(state);
}

const struct rw_layer rw_layer_validator = {
	.name = "validator",
	.begin = vbegin,
	.reply = vreply,
	.timeout = vtimeout,
	.subresult = vsubresult,
	.result = vresult,
	.end = vend,
};
