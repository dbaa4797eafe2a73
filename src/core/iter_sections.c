/* The iterator, part 4: reading a reply's sections (RRsets and their RRSIGs, the referral, the
 * SOA, NS records above or at the cut, a DNAME over the name, DNSSEC proofs) and merging
 * duplicate records. No state is changed
 * here but the reply's own sections. */
#include "iter_impl.h"

/* Records of one type at one owner from a section, as a new list (shallow: borrowed records). */
ldns_rr_list *iter_rrset_of(const ldns_rr_list *sec, const ldns_rdf *owner, uint16_t type,
			    uint16_t klass)
{
	ldns_rr_list *l = ldns_rr_list_new();
	if (!l)
		return NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(sec); i++) {
		ldns_rr *rr = ldns_rr_list_rr(sec, i);
		if (ldns_rr_get_type(rr) == type && ldns_rr_get_class(rr) == klass &&
		    name_eq(ldns_rr_owner(rr), owner))
			ldns_rr_list_push_rr(l, rr);
	}
	return l;
}

struct rr_at {
	ldns_rr *rr;
	size_t at;
};

static int rr_at_cmp(const void *a, const void *b)
{
	const struct rr_at *x = a, *y = b;
	int c = ldns_rr_compare(x->rr, y->rr); /* owner, class, type, rdata; not the TTL */
	if (c)
		return c;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* RRsets are sets (RFC 2181 5): a record listed twice in a section is kept once, in its first
 * place, with the smaller of the two TTLs. */
void iter_dedup_section(ldns_rr_list *sec)
{
	size_t n = ldns_rr_list_rr_count(sec);
	if (n < 2)
		return;
	struct rr_at *v = malloc(n * sizeof(*v));
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		v[i].rr = ldns_rr_list_rr(sec, i);
		v[i].at = i;
	}
	qsort(v, n, sizeof(*v), rr_at_cmp);
	size_t dups = 0;
	for (size_t i = 1, keep = 0; i < n; i++) {
		if (ldns_rr_compare(v[keep].rr, v[i].rr) != 0) {
			keep = i;
			continue;
		}
		if (ldns_rr_ttl(v[i].rr) < ldns_rr_ttl(v[keep].rr))
			ldns_rr_set_ttl(v[keep].rr, ldns_rr_ttl(v[i].rr));
		ldns_rr_free(v[i].rr);
		ldns_rr_list_set_rr(sec, NULL, v[i].at);
		dups++;
	}
	free(v);
	if (!dups)
		return;
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (ldns_rr_list_rr(sec, i))
			ldns_rr_list_set_rr(sec, ldns_rr_list_rr(sec, i), w++);
	ldns_rr_list_set_rr_count(sec, w);
}

/* The DNAME in the answer section whose owner is a proper ancestor of the current name inside
 * the zone asked (RFC 6672 2.3), or NULL. */
const ldns_rr *iter_dname_over(const struct rw_iter *it, const ldns_rr_list *an)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNAME && ldns_rr_rd_count(rr) == 1 &&
		    ldns_rr_get_class(rr) == it->qclass &&
		    ldns_dname_is_subdomain(it->qname, ldns_rr_owner(rr)) &&
		    name_under(ldns_rr_owner(rr), it->zone))
			return rr;
	}
	return NULL;
}

/* Find a referral in the authority section: an NS set for a zone strictly below the current cut
 * that contains the current qname. Returns the zone name (borrowed from the packet) or NULL. */
const ldns_rdf *iter_find_referral(const struct rw_iter *it, const ldns_pkt *p)
{
	const ldns_rr_list *auth = ldns_pkt_authority(p);
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS)
			continue;
		const ldns_rdf *owner = ldns_rr_owner(rr);
		if (!ldns_dname_is_subdomain(owner, it->zone))
			continue; /* not below the cut: upward or sideways */
		if (it->qtype == LDNS_RR_TYPE_DS ? !ldns_dname_is_subdomain(it->sname, owner)
						 : !name_under(it->sname, owner))
			continue;
		return owner;
	}
	return NULL;
}

/* The SOA in the authority section that covers name within the zone asked, or NULL. */
const ldns_rr *iter_find_soa(const struct rw_iter *it, const ldns_pkt *p, const ldns_rdf *name)
{
	const ldns_rr_list *auth = ldns_pkt_authority(p);
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    name_under(name, ldns_rr_owner(rr)) &&
		    name_under(ldns_rr_owner(rr), it->zone) && ldns_rr_rd_count(rr) >= 7)
			return rr;
	}
	return NULL;
}

/* NS records in the authority section: at the zone's apex, and anywhere else (upward or
 * sideways, since a referral below was looked for first). */
void iter_authority_ns(const struct rw_iter *it, const ldns_pkt *p, bool *apex, bool *other,
		       const ldns_rdf **other_owner)
{
	const ldns_rr_list *auth = ldns_pkt_authority(p);
	*apex = *other = false;
	*other_owner = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS)
			continue;
		if (name_eq(ldns_rr_owner(rr), it->zone)) {
			*apex = true;
		} else {
			*other = true;
			*other_owner = ldns_rr_owner(rr);
		}
	}
}

/* The RRSIGs in a section that cover type at owner (a new list of borrowed records). */
ldns_rr_list *iter_sigs_of(const ldns_rr_list *sec, const ldns_rdf *owner, uint16_t type,
			   uint16_t klass)
{
	ldns_rr_list *l = iter_rrset_of(sec, owner, LDNS_RR_TYPE_RRSIG, klass);
	size_t w = 0;
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *sig = ldns_rr_list_rr(l, i);
		const ldns_rdf *tc = ldns_rr_rrsig_typecovered(sig);
		if (tc && ldns_rdf2rr_type(tc) == type)
			ldns_rr_list_set_rr(l, sig, w++);
	}
	if (l)
		ldns_rr_list_set_rr_count(l, w);
	return l;
}

/* The NSEC and NSEC3 records of the authority section with their RRSIGs, and (for a negative
 * answer) the RRSIGs of its SOA: what proves a denial or a wildcard expansion. */
ldns_rr_list *iter_proof_of(const ldns_pkt *p, const ldns_rr *soa)
{
	const ldns_rr_list *auth = ldns_pkt_authority(p);
	ldns_rr_list *l = ldns_rr_list_new();
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(auth); i++) {
		ldns_rr *rr = ldns_rr_list_rr(auth, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		if (t == LDNS_RR_TYPE_RRSIG && ldns_rr_rrsig_typecovered(rr)) {
			ldns_rr_type c = ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr));
			bool of_soa = c == LDNS_RR_TYPE_SOA && soa &&
				      name_eq(ldns_rr_owner(rr), ldns_rr_owner(soa));
			if (c == LDNS_RR_TYPE_NSEC || c == LDNS_RR_TYPE_NSEC3 || of_soa)
				ldns_rr_list_push_rr(l, rr);
		} else if (t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3) {
			ldns_rr_list_push_rr(l, rr);
		}
	}
	return l;
}

/* Whether an RRSIG of the set says it was expanded from a wildcard (fewer labels than its owner,
 * RFC 4035 5.3.4). */
bool iter_wildcard_expanded(const ldns_rr_list *sigs)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		const ldns_rdf *labels = ldns_rr_rrsig_labels(sig);
		if (labels && ldns_rdf2native_int8(labels) <
				      ldns_dname_label_count(ldns_rr_owner(sig)) -
					      (ldns_dname_is_wildcard(ldns_rr_owner(sig)) ? 1 : 0))
			return true;
	}
	return false;
}
