/* The validator's records: picking an RRset and its RRSIGs out of a result, checking the
 * signatures over the NSEC/NSEC3 records of a proof, and marking what the cache holds. Calls no
 * other part of the validator. */
#include "val_impl.h"

ldns_rr_list *val_recs(const struct rw_iter_rec *recs, size_t n, const ldns_rdf *owner,
		       uint16_t type, bool sigs)
{
	ldns_rr_list *l = ldns_rr_list_new();
	for (size_t i = 0; l && i < n; i++) {
		const ldns_rr *rr = recs[i].rr;
		if (ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
			continue;
		bool match;
		if (sigs)
			match = ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
				ldns_rr_rrsig_typecovered(rr) &&
				ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == type;
		else
			match = ldns_rr_get_type(rr) == type;
		if (match)
			ldns_rr_list_push_rr(l, ldns_rr_clone(rr));
	}
	return l;
}

ldns_rr_list *val_proof_list(const struct rw_iter *it)
{
	size_t n;
	const struct rw_iter_rec *p = rw_iter_proof(it, &n);
	ldns_rr_list *l = ldns_rr_list_new();
	for (size_t i = 0; l && i < n; i++)
		ldns_rr_list_push_rr(l, ldns_rr_clone(p[i].rr));
	return l;
}

/* The records of proof at owner of type (borrowed), or its RRSIGs over type. */
static ldns_rr_list *pick(const ldns_rr_list *proof, const ldns_rdf *owner, uint16_t type,
			  bool sigs)
{
	ldns_rr_list *l = ldns_rr_list_new();
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(proof); i++) {
		ldns_rr *rr = ldns_rr_list_rr(proof, i);
		if (ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
			continue;
		if (sigs ? ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
				    ldns_rr_rrsig_typecovered(rr) &&
				    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == type
			 : ldns_rr_get_type(rr) == type)
			ldns_rr_list_push_rr(l, rr);
	}
	return l;
}

/* Whether an NSEC/NSEC3 RRset at this owner and type was checked already (the proof lists each
 * record of a set; the set is checked once). */
static bool seen_before(const ldns_rr_list *proof, size_t i)
{
	const ldns_rr *rr = ldns_rr_list_rr(proof, i);
	for (size_t k = 0; k < i; k++) {
		const ldns_rr *o = ldns_rr_list_rr(proof, k);
		if (ldns_rr_get_type(o) == ldns_rr_get_type(rr) &&
		    ldns_dname_compare(ldns_rr_owner(o), ldns_rr_owner(rr)) == 0)
			return true;
	}
	return false;
}

bool val_proof_check(struct val *v, const ldns_rr_list *proof, const ldns_rdf *zone,
		     const ldns_rr_list *keys, ldns_rr_list **nsecs, struct rw_dsec_check *bad,
		     const ldns_rdf **bad_owner, uint16_t *bad_type)
{
	*bad_owner = NULL; /* stays NULL when the proof holds no NSEC or NSEC3 at all */
	*bad_type = 0;
	memset(bad, 0, sizeof(*bad));
	bad->result = RW_DSEC_NO_RRSIG;
	*nsecs = ldns_rr_list_new();
	if (!*nsecs)
		return false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(proof); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(proof, i);
		uint16_t t = ldns_rr_get_type(rr);
		if (t != LDNS_RR_TYPE_NSEC && t != LDNS_RR_TYPE_NSEC3)
			continue;
		ldns_rr_list_push_rr(*nsecs, (ldns_rr *)rr);
		if (seen_before(proof, i))
			continue;
		ldns_rr_list *set = pick(proof, ldns_rr_owner(rr), t, false);
		ldns_rr_list *sigs = pick(proof, ldns_rr_owner(rr), t, true);
		struct rw_dsec_check c;
		memset(&c, 0, sizeof(c));
		if (set && sigs)
			rw_dsec_verify_rrset(set, sigs, zone, keys, val_now_s(v), &v->budget, &c);
		else
			c.result = RW_DSEC_BAD_SIG; /* out of memory */
		ldns_rr_list_free(set);
		ldns_rr_list_free(sigs);
		if (c.result != RW_DSEC_SECURE) {
			*bad = c;
			*bad_owner = ldns_rr_owner(rr);
			*bad_type = t;
			ldns_rr_list_free(*nsecs);
			*nsecs = NULL;
			return false;
		}
	}
	if (ldns_rr_list_rr_count(*nsecs) == 0) {
		ldns_rr_list_free(*nsecs);
		*nsecs = NULL;
		return false;
	}
	return true;
}

void val_feed_nsec(struct val *v, const ldns_rdf *zone, const ldns_rr *soa,
		   const ldns_rr_list *proof, const ldns_rr_list *keys)
{
	if (!v->sh->cfg->aggressive_nsec || !v->sh->nsec || !soa || !zone || !keys)
		return;
	for (size_t i = 0; i < ldns_rr_list_rr_count(proof); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(proof, i)) == LDNS_RR_TYPE_NSEC3)
			return;
	ldns_rr_list *set = ldns_rr_list_new();
	struct rw_dsec_check c;
	memset(&c, 0, sizeof(c));
	c.result = RW_DSEC_BAD_SIG;
	/* the SOA gives the life of what is synthesised from the records: its signature too */
	if (set && ldns_rr_list_push_rr(set, (ldns_rr *)soa))
		rw_dsec_verify_rrset(set, proof, zone, keys, val_now_s(v), &v->budget, &c);
	if (c.result == RW_DSEC_SECURE)
		(void)rw_nseccache_put(v->sh->nsec, zone, soa, proof, v->now_us);
	ldns_rr_list_free(set);
}

void val_mark(struct val *v, enum rw_entry_kind kind, const ldns_rdf *owner, uint16_t type,
	      enum rw_vstate st, int64_t until_us)
{
	rw_cache_set_vstate(v->sh->cache, kind, owner, kind == RW_ENTRY_NXDOMAIN ? 0 : type,
			    LDNS_RR_CLASS_IN, st, until_us, v->now_us);
}
