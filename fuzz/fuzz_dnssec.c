/* Fuzz target: the DNSSEC primitives (dnssec_verify.c, dnssec_denial.c) over a hostile packet.
 *
 * Input: a DNS message. The answer section is one RRset (the first record's owner, type and
 * class) with its RRSIGs; the authority section's NSEC and NSEC3 records are the denial, of the
 * zone its SOA names (else the question's name); the additional section holds the zone's DNSKEY
 * RRset, its RRSIGs and the DS RRset. Each check runs at a fixed time, with one budget.
 *
 * Checked: no crash, leak or sanitizer report; results are in range; the budget never grows;
 * records reported come from the lists given. */
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "rootwalk/dnssec.h"
#include "fuzz.h"

#define NOW 1800000000LL /* 2027-01-15T08:00:00Z */

static bool in_list(const ldns_rr_list *l, const ldns_rr *r)
{
	if (r == NULL)
		return true;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_list_rr(l, i) == r)
			return true;
	return false;
}

static void check_result(const struct rw_dsec_check *c, const struct rw_dsec_budget *b)
{
	REQUIRE(c->result >= RW_DSEC_SECURE && c->result <= RW_DSEC_LIMIT);
	REQUIRE(memchr(c->limit, '\0', sizeof(c->limit)) != NULL);
	REQUIRE(c->verifications <= RW_DSEC_MAX_VERIFY && b->verify_left <= RW_DSEC_MAX_VERIFY);
	REQUIRE(rw_dsec_result_name(c->result) != NULL);
}

static void check_denial(const struct rw_denial_result *r, const ldns_rr_list *nsecs,
			 const struct rw_dsec_budget *b)
{
	REQUIRE(r->kind >= RW_DENIAL_NONE && r->kind <= RW_DENIAL_WILDCARD);
	REQUIRE(memchr(r->encloser, '\0', sizeof(r->encloser)) != NULL);
	REQUIRE(in_list(nsecs, r->match) && in_list(nsecs, r->cover) &&
		in_list(nsecs, r->cover_wild));
	REQUIRE(b->hash_left <= RW_DSEC_MAX_NSEC3_HASH);
	REQUIRE(rw_denial_name(r->kind) != NULL);
}

/* The records of section of type t (t 0: the RRset of the first record that is no RRSIG). */
static ldns_rr_list *pick(const ldns_rr_list *section, ldns_rr_type t)
{
	ldns_rr_list *l = ldns_rr_list_new();
	const ldns_rr *first = NULL;

	REQUIRE(l != NULL);
	for (size_t i = 0; i < ldns_rr_list_rr_count(section); i++) {
		ldns_rr *r = ldns_rr_list_rr(section, i);

		if (t != 0 ? ldns_rr_get_type(r) != t : ldns_rr_get_type(r) == LDNS_RR_TYPE_RRSIG)
			continue;
		if (t == 0 && first == NULL)
			first = r;
		if (t == 0 && (ldns_rr_get_type(r) != ldns_rr_get_type(first) ||
			       ldns_rr_get_class(r) != ldns_rr_get_class(first) ||
			       ldns_dname_compare(ldns_rr_owner(r), ldns_rr_owner(first)) != 0))
			continue;
		REQUIRE(ldns_rr_list_push_rr(l, r));
	}
	return l;
}

static void run_denial(const ldns_pkt *p, const ldns_rr_list *an_sigs, struct rw_dsec_budget *b)
{
	ldns_rr_list *nsecs = pick(ldns_pkt_authority(p), LDNS_RR_TYPE_NSEC);
	ldns_rr_list *n3 = pick(ldns_pkt_authority(p), LDNS_RR_TYPE_NSEC3);
	ldns_rr_list *soa = pick(ldns_pkt_authority(p), LDNS_RR_TYPE_SOA);
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	const ldns_rdf *zone;
	struct rw_denial_result r;

	ldns_rr_list_cat(nsecs, n3);
	if (q != NULL) {
		zone = ldns_rr_list_rr_count(soa) > 0 ? ldns_rr_owner(ldns_rr_list_rr(soa, 0))
						      : ldns_rr_owner(q);
		for (int nx = 0; nx < 2; nx++) {
			rw_denial_prove(nsecs, zone, ldns_rr_owner(q), ldns_rr_get_type(q), nx, b,
					&r);
			check_denial(&r, nsecs, b);
		}
		if (ldns_rr_list_rr_count(an_sigs) > 0 &&
		    ldns_rr_rd_count(ldns_rr_list_rr(an_sigs, 0)) > 2 &&
		    ldns_rdf_size(ldns_rr_rdf(ldns_rr_list_rr(an_sigs, 0), 2)) == 1) {
			uint8_t labels =
				ldns_rdf2native_int8(ldns_rr_rdf(ldns_rr_list_rr(an_sigs, 0), 2));

			rw_denial_wildcard(nsecs, zone, ldns_rr_owner(q), labels, b, &r);
			check_denial(&r, nsecs, b);
		}
	}
	ldns_rr_list_free(soa);
	ldns_rr_list_free(n3);
	ldns_rr_list_free(nsecs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ldns_pkt *p = NULL;
	ldns_rr_list *set, *sigs, *keys, *ksigs, *ds, *trusted = NULL;
	struct rw_dsec_budget b;
	struct rw_dsec_check c;
	const ldns_rdf *zone;

	if (ldns_wire2pkt(&p, data, size) != LDNS_STATUS_OK)
		return 0;
	rw_dsec_budget_init(&b);
	set = pick(ldns_pkt_answer(p), 0);
	sigs = pick(ldns_pkt_answer(p), LDNS_RR_TYPE_RRSIG);
	keys = pick(ldns_pkt_additional(p), LDNS_RR_TYPE_DNSKEY);
	ksigs = pick(ldns_pkt_additional(p), LDNS_RR_TYPE_RRSIG);
	ds = pick(ldns_pkt_additional(p), LDNS_RR_TYPE_DS);
	if (ldns_rr_list_rr_count(set) > 0) {
		zone = rw_dsec_signer(sigs, ldns_rr_get_type(ldns_rr_list_rr(set, 0)));
		if (zone == NULL)
			zone = ldns_rr_owner(ldns_rr_list_rr(set, 0));
		rw_dsec_verify_rrset(set, sigs, zone, keys, NOW, &b, &c);
		check_result(&c, &b);
	}
	if (ldns_rr_list_rr_count(keys) > 0) {
		zone = ldns_rr_owner(ldns_rr_list_rr(keys, 0));
		rw_dsec_verify_dnskeys(keys, ksigs, zone, ds, NOW, &b, &c, &trusted);
		check_result(&c, &b);
		REQUIRE((c.result == RW_DSEC_SECURE) == (trusted != NULL));
		ldns_rr_list_deep_free(trusted);
	}
	run_denial(p, sigs, &b);
	ldns_rr_list_free(ds);
	ldns_rr_list_free(ksigs);
	ldns_rr_list_free(keys);
	ldns_rr_list_free(sigs);
	ldns_rr_list_free(set);
	ldns_pkt_free(p);
	return 0;
}
