/* Unit tests for the cache's DNSSEC side: proof records, validation states, the validating fast
 * path (AD, CD, DO with RRSIGs and proofs), flushing bogus entries and the accounting of
 * proofs. Time is passed in, as everywhere in the cache. */
#include "rootwalk/cache.h"
#include "rootwalk/wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testquery.h"

#define SEC 1000000LL
#define T0  (1700000000LL * SEC)
/* 2030-01-01T00:00:00Z, the expiration of the test signatures */
#define SIG_END (1893456000LL * SEC)

static const uint8_t key[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};

#define SOA  "example.com. 3600 IN SOA ns1.example.com. h.example.com. 1 2 3 4 300"
#define SIGS " 8 2 300 20300101000000 20200101000000 12345 example.com. AAAA"

static struct rw_cache *cache(bool validating)
{
	struct rw_cache_opts o = {.max_ttl = 86400, .max_negative_ttl = 3600};
	o.validating = validating;
	struct rw_cache *c = rw_cache_new(&o, key);
	CHECK(c != NULL);
	return c;
}

/* A list of records in presentation form, NULL-terminated. */
static ldns_rr_list *list(const char *first, ...)
{
	ldns_rr_list *l = ldns_rr_list_new();
	va_list ap;
	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *)) {
		ldns_rr *r = NULL;
		if (ldns_rr_new_frm_str(&r, s, 0, NULL, NULL) != LDNS_STATUS_OK) {
			fprintf(stderr, "bad test record: %s\n", s);
			CHECK(r != NULL);
			continue;
		}
		ldns_rr_list_push_rr(l, r);
	}
	va_end(ap);
	return l;
}

static int store(struct rw_cache *c, ldns_rr_list *set, ldns_rr_list *proof)
{
	int rc = rw_cache_store_rrset_proof(c, set, proof, RW_RANK_ANSWER, NULL, T0);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(proof);
	return rc;
}

static int store_neg(struct rw_cache *c, enum rw_entry_kind kind, const char *name, uint16_t type,
		     ldns_rr_list *proof)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	ldns_rr_list *soa = list(SOA, NULL);
	int rc = rw_cache_store_negative_proof(c, kind, d, type, LDNS_RR_CLASS_IN,
					       ldns_rr_list_rr(soa, 0), proof, RW_RANK_ANSWER, NULL,
					       T0);
	ldns_rr_list_deep_free(soa);
	ldns_rr_list_deep_free(proof);
	ldns_rdf_deep_free(d);
	return rc;
}

/* The three proof records of the negative answers below. */
static ldns_rr_list *neg_proof(void)
{
	return list("example.com. 300 IN RRSIG SOA" SIGS,
		    "a.example.com. 300 IN NSEC c.example.com. A RRSIG NSEC",
		    "a.example.com. 300 IN RRSIG NSEC 8 3 300 20300101000000 20200101000000 "
		    "12345 example.com. AAAA",
		    NULL);
}

static bool set_vstate(struct rw_cache *c, enum rw_entry_kind kind, const char *name, uint16_t type,
		       enum rw_vstate v, int64_t max_exp, int64_t now)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	bool ok = rw_cache_set_vstate(c, kind, d, type, LDNS_RR_CLASS_IN, v, max_exp, now);
	ldns_rdf_deep_free(d);
	return ok;
}

static bool get(struct rw_cache *c, enum rw_entry_kind kind, const char *name, uint16_t type,
		int64_t now, struct rw_cache_entry *e)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	bool ok = rw_cache_get(c, kind, d, type, LDNS_RR_CLASS_IN, now, RW_RANK_NONE, e);
	ldns_rdf_deep_free(d);
	return ok;
}

static struct rw_cache_used used;

/* The fast path's response to a query (flags: header word; edns -1 none, 0, 1 with DO),
 * parsed; NULL when it did not answer. */
static ldns_pkt *ask(struct rw_cache *c, const char *name, uint16_t type, uint16_t flags, int edns,
		     int64_t now, size_t cap)
{
	uint8_t q[512], out[4096];
	struct rw_client_query cq;
	size_t qlen = test_query(q, 0x1234, flags, name, type, edns);
	if (rw_wire_parse_query(q, qlen, &cq) != RW_QUERY_OK) {
		CHECK(!"query did not parse");
		return NULL;
	}
	size_t n = rw_cache_answer_used(c, &cq, now, 8, out, cap, &used);
	CHECK(n <= cap);
	ldns_pkt *p = NULL;
	if (n && ldns_wire2pkt(&p, out, n) != LDNS_STATUS_OK) {
		CHECK(!"response did not parse");
		return NULL;
	}
	return p;
}

/* Type, owner and TTL of record i of a section (type 0 when absent). */
static uint16_t rtype(ldns_pkt *p, ldns_pkt_section s, size_t i)
{
	ldns_rr_list *l = ldns_pkt_get_section_clone(p, s);
	uint16_t t = l && i < ldns_rr_list_rr_count(l)
			     ? (uint16_t)ldns_rr_get_type(ldns_rr_list_rr(l, i))
			     : 0;
	ldns_rr_list_deep_free(l);
	return t;
}

static bool rowner(ldns_pkt *p, ldns_pkt_section s, size_t i, const char *name)
{
	ldns_rr_list *l = ldns_pkt_get_section_clone(p, s);
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	bool ok = l && i < ldns_rr_list_rr_count(l) &&
		  ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(l, i)), d) == 0;
	ldns_rdf_deep_free(d);
	ldns_rr_list_deep_free(l);
	return ok;
}

static uint32_t rttl(ldns_pkt *p, ldns_pkt_section s, size_t i)
{
	ldns_rr_list *l = ldns_pkt_get_section_clone(p, s);
	uint32_t t = l && i < ldns_rr_list_rr_count(l) ? ldns_rr_ttl(ldns_rr_list_rr(l, i))
						       : 0xffffffffu;
	ldns_rr_list_deep_free(l);
	return t;
}

/* Records of a type in a section. */
static int count_type(ldns_pkt *p, ldns_pkt_section s, uint16_t type)
{
	int n = 0;
	for (size_t i = 0; rtype(p, s, i); i++)
		n += rtype(p, s, i) == type;
	return n;
}

static bool same_rr(const ldns_rr *a, const ldns_rr *b)
{
	if (ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b)) != 0 ||
	    ldns_rr_get_type(a) != ldns_rr_get_type(b) ||
	    ldns_rr_rd_count(a) != ldns_rr_rd_count(b))
		return false;
	for (size_t i = 0; i < ldns_rr_rd_count(a); i++)
		if (ldns_rdf_compare(ldns_rr_rdf(a, i), ldns_rr_rdf(b, i)) != 0)
			return false;
	return true;
}

static void test_proof_roundtrip(void)
{
	struct rw_cache *c = cache(false);
	struct rw_cache_entry e;

	CHECK_EQ(store_neg(c, RW_ENTRY_NXDOMAIN, "b.example.com.", 0, neg_proof()), 1);
	CHECK(get(c, RW_ENTRY_NXDOMAIN, "b.example.com.", 0, T0 + SEC, &e));
	ldns_rr_list *want = neg_proof();
	CHECK(e.proof != NULL && ldns_rr_list_rr_count(e.proof) == 3);
	for (size_t i = 0; e.proof && i < ldns_rr_list_rr_count(e.proof) && i < 3; i++)
		CHECK(same_rr(ldns_rr_list_rr(e.proof, i), ldns_rr_list_rr(want, i)));
	CHECK(e.soa != NULL);
	CHECK(!e.wildcard);
	CHECK_EQ(e.sig_expires_us, SIG_END);
	/* the proof's TTL (300) bounds the entry's, below the SOA's 300/3600 */
	CHECK_EQ(e.orig_ttl, 300);
	rw_cache_entry_clear(&e);

	/* A positive RRset with proof is a wildcard expansion; its TTL is at most the proof's. */
	CHECK_EQ(store(c,
		       list("w.example.com. 600 IN A 192.0.2.1",
			    "w.example.com. 600 IN RRSIG A 8 2 600 20300101000000 20200101000000 "
			    "12345 example.com. AAAA",
			    NULL),
		       list("v.example.com. 120 IN NSEC x.example.com. A RRSIG NSEC", NULL)),
		 1);
	CHECK(get(c, RW_ENTRY_RRSET, "w.example.com.", LDNS_RR_TYPE_A, T0, &e));
	CHECK(e.wildcard);
	CHECK(e.proof != NULL && ldns_rr_list_rr_count(e.proof) == 1);
	CHECK(e.sigs != NULL && ldns_rr_list_rr_count(e.sigs) == 1);
	CHECK_EQ(e.orig_ttl, 120);
	if (e.proof && ldns_rr_list_rr_count(e.proof) == 1) {
		ldns_rr_list *w =
			list("v.example.com. 120 IN NSEC x.example.com. A RRSIG NSEC", NULL);
		CHECK(same_rr(ldns_rr_list_rr(e.proof, 0), ldns_rr_list_rr(w, 0)));
		ldns_rr_list_deep_free(w);
	}
	rw_cache_entry_clear(&e);
	/* Without proof: none, not a wildcard, no signature expiry. */
	CHECK_EQ(store(c, list("p.example.com. 600 IN A 192.0.2.2", NULL), NULL), 1);
	CHECK(get(c, RW_ENTRY_RRSET, "p.example.com.", LDNS_RR_TYPE_A, T0, &e));
	CHECK(e.proof == NULL && !e.wildcard && e.sig_expires_us == 0);
	CHECK_EQ(e.orig_ttl, 600);
	rw_cache_entry_clear(&e);
	ldns_rr_list_deep_free(want);
	rw_cache_free(c);
}

static void test_set_vstate(void)
{
	struct rw_cache *c = cache(false);
	struct rw_cache_entry e;

	CHECK_EQ(store(c, list("a.example.com. 600 IN A 192.0.2.1", NULL), NULL), 1);
	CHECK(get(c, RW_ENTRY_RRSET, "a.example.com.", LDNS_RR_TYPE_A, T0, &e));
	CHECK_EQ(e.vstate, RW_VSTATE_UNCHECKED);
	rw_cache_entry_clear(&e);
	/* state set, expiry kept when max is 0 or later */
	CHECK(set_vstate(c, RW_ENTRY_RRSET, "A.example.com.", LDNS_RR_TYPE_A, RW_VSTATE_SECURE,
			 T0 + 9999 * SEC, T0));
	CHECK(get(c, RW_ENTRY_RRSET, "a.example.com.", LDNS_RR_TYPE_A, T0, &e));
	CHECK_EQ(e.vstate, RW_VSTATE_SECURE);
	CHECK_EQ(e.expires_us, T0 + 600 * SEC);
	rw_cache_entry_clear(&e);
	/* shortened to an earlier end */
	CHECK(set_vstate(c, RW_ENTRY_RRSET, "a.example.com.", LDNS_RR_TYPE_A, RW_VSTATE_BOGUS,
			 T0 + 60 * SEC, T0));
	CHECK(get(c, RW_ENTRY_RRSET, "a.example.com.", LDNS_RR_TYPE_A, T0, &e));
	CHECK_EQ(e.vstate, RW_VSTATE_BOGUS);
	CHECK_EQ(e.expires_us, T0 + 60 * SEC);
	CHECK_EQ(rw_cache_ttl_left(&e, T0 + 30 * SEC), 30);
	rw_cache_entry_clear(&e);
	CHECK(!get(c, RW_ENTRY_RRSET, "a.example.com.", LDNS_RR_TYPE_A, T0 + 60 * SEC, &e));
	/* nothing there, or expired: not found */
	CHECK(!set_vstate(c, RW_ENTRY_RRSET, "a.example.com.", LDNS_RR_TYPE_A, RW_VSTATE_SECURE, 0,
			  T0 + 61 * SEC));
	CHECK(!set_vstate(c, RW_ENTRY_RRSET, "a.example.com.", LDNS_RR_TYPE_AAAA, RW_VSTATE_SECURE,
			  0, T0));
	/* negative entries: NXDOMAIN under type 0 whatever the type given */
	CHECK_EQ(store_neg(c, RW_ENTRY_NXDOMAIN, "n.example.com.", 0, NULL), 1);
	CHECK(set_vstate(c, RW_ENTRY_NXDOMAIN, "n.example.com.", LDNS_RR_TYPE_A, RW_VSTATE_INSECURE,
			 0, T0));
	CHECK(get(c, RW_ENTRY_NXDOMAIN, "n.example.com.", 0, T0, &e));
	CHECK_EQ(e.vstate, RW_VSTATE_INSECURE);
	rw_cache_entry_clear(&e);
	rw_cache_free(c);
}

static void test_validating_gate(void)
{
	struct rw_cache *c = cache(true), *plain = cache(false);
	ldns_pkt *p;

	CHECK_EQ(store(c, list("a.example.com. 600 IN A 192.0.2.1", NULL), NULL), 1);
	CHECK_EQ(store(plain, list("a.example.com. 600 IN A 192.0.2.1", NULL), NULL), 1);
	/* not validating: unchecked is served as before, never AD */
	p = ask(plain, "a.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD | RW_FLAG_AD, 1, T0, 1232);
	CHECK(p != NULL && !ldns_pkt_ad(p));
	ldns_pkt_free(p);
	/* validating: unchecked and bogus are left to the slow path */
	CHECK(ask(c, "a.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0, 1232) == NULL);
	set_vstate(c, RW_ENTRY_RRSET, "a.example.com.", LDNS_RR_TYPE_A, RW_VSTATE_BOGUS, 0, T0);
	CHECK(ask(c, "a.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0, 1232) == NULL);
	/* ... unless the client set CD: bogus data served, without AD */
	p = ask(c, "a.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD | RW_FLAG_CD, 1, T0, 1232);
	CHECK(p != NULL && ldns_pkt_ancount(p) == 1 && !ldns_pkt_ad(p) && ldns_pkt_cd(p));
	CHECK(used.n == 1 && used.set[0].vstate == RW_VSTATE_BOGUS);
	ldns_pkt_free(p);
	/* insecure: served, no AD */
	set_vstate(c, RW_ENTRY_RRSET, "a.example.com.", LDNS_RR_TYPE_A, RW_VSTATE_INSECURE, 0, T0);
	p = ask(c, "a.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0, 1232);
	CHECK(p != NULL && ldns_pkt_ancount(p) == 1 && !ldns_pkt_ad(p));
	ldns_pkt_free(p);
	/* secure: served */
	set_vstate(c, RW_ENTRY_RRSET, "a.example.com.", LDNS_RR_TYPE_A, RW_VSTATE_SECURE, 0, T0);
	p = ask(c, "a.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 0, T0, 1232);
	CHECK(p != NULL && ldns_pkt_ancount(p) == 1);
	CHECK(used.n == 1 && used.set[0].vstate == RW_VSTATE_SECURE);
	ldns_pkt_free(p);
	/* a CNAME chain with one unchecked link is refused */
	CHECK_EQ(store(c, list("www.example.com. 600 IN CNAME a.example.com.", NULL), NULL), 1);
	CHECK(ask(c, "www.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0, 1232) == NULL);
	rw_cache_free(c);
	rw_cache_free(plain);
}

static void test_ad(void)
{
	struct rw_cache *c = cache(true);
	ldns_pkt *p;

	CHECK_EQ(store(c, list("a.example.com. 600 IN A 192.0.2.1", NULL), NULL), 1);
	CHECK_EQ(store(c, list("www.example.com. 600 IN CNAME a.example.com.", NULL), NULL), 1);
	set_vstate(c, RW_ENTRY_RRSET, "a.example.com.", LDNS_RR_TYPE_A, RW_VSTATE_SECURE, 0, T0);
	set_vstate(c, RW_ENTRY_RRSET, "www.example.com.", LDNS_RR_TYPE_CNAME, RW_VSTATE_INSECURE, 0,
		   T0);
	/* all secure: AD with DO, with AD, not without either */
	p = ask(c, "a.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0, 1232);
	CHECK(p != NULL && ldns_pkt_ad(p));
	ldns_pkt_free(p);
	p = ask(c, "a.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD | RW_FLAG_AD, -1, T0, 512);
	CHECK(p != NULL && ldns_pkt_ad(p));
	ldns_pkt_free(p);
	p = ask(c, "a.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 0, T0, 1232);
	CHECK(p != NULL && !ldns_pkt_ad(p));
	ldns_pkt_free(p);
	/* one insecure link: no AD */
	p = ask(c, "www.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0, 1232);
	CHECK(p != NULL && ldns_pkt_ancount(p) == 2 && !ldns_pkt_ad(p));
	ldns_pkt_free(p);
	set_vstate(c, RW_ENTRY_RRSET, "www.example.com.", LDNS_RR_TYPE_CNAME, RW_VSTATE_SECURE, 0,
		   T0);
	p = ask(c, "www.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0, 1232);
	CHECK(p != NULL && ldns_pkt_ancount(p) == 2 && ldns_pkt_ad(p));
	ldns_pkt_free(p);
	rw_cache_free(c);
}

static void test_do_rrsigs(void)
{
	struct rw_cache *c = cache(false);
	ldns_pkt *p;

	CHECK_EQ(
		store(c,
		      list("a.example.com. 600 IN A 192.0.2.1", "a.example.com. 600 IN A 192.0.2.2",
			   "a.example.com. 600 IN RRSIG A" SIGS,
			   "a.example.com. 600 IN RRSIG A 13 3 600 20300101000000 20200101000000 "
			   "777 example.com. AAAA",
			   NULL),
		      NULL),
		1);
	CHECK_EQ(store(c,
		       list("www.example.com. 600 IN CNAME a.example.com.",
			    "www.example.com. 600 IN RRSIG CNAME" SIGS, NULL),
		       NULL),
		 1);
	/* DO: the RRSIGs right after their RRset, owner as asked, TTL counted down */
	p = ask(c, "A.Example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0 + 100 * SEC, 1232);
	CHECK(p != NULL);
	if (p) {
		CHECK_EQ(ldns_pkt_ancount(p), 4);
		CHECK_EQ(rtype(p, LDNS_SECTION_ANSWER, 1), LDNS_RR_TYPE_A);
		CHECK_EQ(rtype(p, LDNS_SECTION_ANSWER, 2), LDNS_RR_TYPE_RRSIG);
		CHECK_EQ(rtype(p, LDNS_SECTION_ANSWER, 3), LDNS_RR_TYPE_RRSIG);
		CHECK(rowner(p, LDNS_SECTION_ANSWER, 3, "a.example.com."));
		CHECK_EQ(rttl(p, LDNS_SECTION_ANSWER, 3), 500);
		CHECK_EQ(ldns_pkt_nscount(p), 0);
		CHECK(used.n == 1 && used.set[0].n_rrs == 2 && used.set[0].n_dnssec == 2);
		CHECK(used.n == 1 && used.set[0].sig_expires_us == SIG_END);
		ldns_pkt_free(p);
	}
	/* along a CNAME: CNAME, its RRSIG, then the target's */
	p = ask(c, "www.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0, 1232);
	CHECK(p != NULL);
	if (p) {
		CHECK_EQ(ldns_pkt_ancount(p), 6);
		CHECK_EQ(rtype(p, LDNS_SECTION_ANSWER, 0), LDNS_RR_TYPE_CNAME);
		CHECK_EQ(rtype(p, LDNS_SECTION_ANSWER, 1), LDNS_RR_TYPE_RRSIG);
		CHECK(rowner(p, LDNS_SECTION_ANSWER, 1, "www.example.com."));
		CHECK_EQ(rtype(p, LDNS_SECTION_ANSWER, 2), LDNS_RR_TYPE_A);
		CHECK(rowner(p, LDNS_SECTION_ANSWER, 5, "a.example.com."));
		ldns_pkt_free(p);
	}
	/* without DO (EDNS or not): no RRSIG */
	for (int edns = -1; edns <= 0; edns++) {
		p = ask(c, "www.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, edns, T0, 512);
		CHECK(p != NULL && ldns_pkt_ancount(p) == 3);
		if (p)
			CHECK_EQ(count_type(p, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_RRSIG), 0);
		ldns_pkt_free(p);
	}
	rw_cache_free(c);
}

static void check_negative(ldns_pkt *p, int rcode)
{
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_EQ(ldns_pkt_get_rcode(p), rcode);
	CHECK_EQ(ldns_pkt_nscount(p), 4);
	CHECK_EQ(rtype(p, LDNS_SECTION_AUTHORITY, 0), LDNS_RR_TYPE_SOA);
	CHECK_EQ(rtype(p, LDNS_SECTION_AUTHORITY, 1), LDNS_RR_TYPE_RRSIG);
	CHECK(rowner(p, LDNS_SECTION_AUTHORITY, 1, "example.com."));
	CHECK_EQ(rtype(p, LDNS_SECTION_AUTHORITY, 2), LDNS_RR_TYPE_NSEC);
	CHECK(rowner(p, LDNS_SECTION_AUTHORITY, 2, "a.example.com."));
	CHECK_EQ(rtype(p, LDNS_SECTION_AUTHORITY, 3), LDNS_RR_TYPE_RRSIG);
	CHECK_EQ(rttl(p, LDNS_SECTION_AUTHORITY, 2), 290);
	CHECK_EQ(rttl(p, LDNS_SECTION_AUTHORITY, 0), 290);
}

static void test_negative_proof(void)
{
	struct rw_cache *c = cache(false);
	ldns_pkt *p;

	CHECK_EQ(store_neg(c, RW_ENTRY_NXDOMAIN, "b.example.com.", 0, neg_proof()), 1);
	CHECK_EQ(store_neg(c, RW_ENTRY_NODATA, "a.example.com.", LDNS_RR_TYPE_MX, neg_proof()), 1);
	CHECK_EQ(store(c,
		       list("to-b.example.com. 600 IN CNAME b.example.com.",
			    "to-b.example.com. 600 IN RRSIG CNAME" SIGS, NULL),
		       NULL),
		 1);
	p = ask(c, "b.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0 + 10 * SEC, 1232);
	check_negative(p, LDNS_RCODE_NXDOMAIN);
	CHECK(used.n == 1 && used.set[0].n_rrs == 1 && used.set[0].n_dnssec == 3);
	ldns_pkt_free(p);
	p = ask(c, "a.example.com.", LDNS_RR_TYPE_MX, RW_FLAG_RD, 1, T0 + 10 * SEC, 1232);
	check_negative(p, LDNS_RCODE_NOERROR);
	CHECK(p == NULL || ldns_pkt_ancount(p) == 0);
	ldns_pkt_free(p);
	/* a CNAME chain ending in NXDOMAIN: CNAME + RRSIG, then SOA + proof */
	p = ask(c, "to-b.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0 + 10 * SEC, 1232);
	check_negative(p, LDNS_RCODE_NXDOMAIN);
	CHECK(p == NULL || ldns_pkt_ancount(p) == 2);
	ldns_pkt_free(p);
	/* without DO: the SOA alone */
	p = ask(c, "to-b.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 0, T0 + 10 * SEC, 1232);
	CHECK(p != NULL);
	if (p) {
		CHECK_EQ(ldns_pkt_ancount(p), 1);
		CHECK_EQ(ldns_pkt_nscount(p), 1);
		CHECK_EQ(count_type(p, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_NSEC), 0);
		CHECK_EQ(used.set[used.n - 1].n_dnssec, 0);
		ldns_pkt_free(p);
	}
	/* the DO response does not fit where the plain one does: left to the slow path */
	p = ask(c, "b.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 0, T0, 150);
	CHECK(p != NULL);
	ldns_pkt_free(p);
	CHECK(ask(c, "b.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0, 150) == NULL);
	for (size_t cap = 0; cap < 400; cap++)
		ldns_pkt_free(ask(c, "to-b.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0, cap));
	rw_cache_free(c);
}

static void test_wildcard_proof(void)
{
	struct rw_cache *c = cache(false);
	ldns_pkt *p;

	CHECK_EQ(store(c,
		       list("w.example.com. 300 IN CNAME b.example.com.",
			    "w.example.com. 300 IN RRSIG CNAME 8 2 300 20300101000000 "
			    "20200101000000 12345 example.com. AAAA",
			    NULL),
		       list("v.example.com. 300 IN NSEC x.example.com. A RRSIG NSEC",
			    "v.example.com. 300 IN RRSIG NSEC 8 3 300 20300101000000 "
			    "20200101000000 12345 example.com. AAAA",
			    NULL)),
		 1);
	CHECK_EQ(store(c, list("z.example.com. 300 IN A 192.0.2.9", NULL),
		       list("y.example.com. 300 IN NSEC za.example.com. A RRSIG NSEC", NULL)),
		 1);
	CHECK_EQ(store_neg(c, RW_ENTRY_NXDOMAIN, "b.example.com.", 0, neg_proof()), 1);
	/* a wildcard answer: its proof in the authority section */
	p = ask(c, "z.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0, 1232);
	CHECK(p != NULL);
	if (p) {
		CHECK_EQ(ldns_pkt_ancount(p), 1);
		CHECK_EQ(ldns_pkt_nscount(p), 1);
		CHECK_EQ(rtype(p, LDNS_SECTION_AUTHORITY, 0), LDNS_RR_TYPE_NSEC);
		CHECK(rowner(p, LDNS_SECTION_AUTHORITY, 0, "y.example.com."));
		CHECK(used.n == 2 && used.set[1].n_rrs == 0 && used.set[1].n_dnssec == 1);
		ldns_pkt_free(p);
	}
	/* a wildcard CNAME to an NXDOMAIN: the negative proof, then the wildcard's */
	p = ask(c, "w.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0 + SEC, 1232);
	CHECK(p != NULL);
	if (p) {
		CHECK_EQ(ldns_pkt_ancount(p), 2);
		CHECK_EQ(ldns_pkt_nscount(p), 6);
		CHECK_EQ(rtype(p, LDNS_SECTION_AUTHORITY, 0), LDNS_RR_TYPE_SOA);
		CHECK_EQ(rtype(p, LDNS_SECTION_AUTHORITY, 4), LDNS_RR_TYPE_NSEC);
		CHECK(rowner(p, LDNS_SECTION_AUTHORITY, 4, "v.example.com."));
		CHECK_EQ(rttl(p, LDNS_SECTION_AUTHORITY, 4), 299);
		CHECK_EQ(rtype(p, LDNS_SECTION_AUTHORITY, 5), LDNS_RR_TYPE_RRSIG);
		CHECK_EQ(used.n, 3);
		CHECK(used.n == 3 && used.set[2].type == LDNS_RR_TYPE_CNAME &&
		      used.set[2].n_dnssec == 2);
		ldns_pkt_free(p);
	}
	/* without DO: no proof */
	p = ask(c, "z.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 0, T0, 1232);
	CHECK(p != NULL && ldns_pkt_ancount(p) == 1 && ldns_pkt_nscount(p) == 0);
	ldns_pkt_free(p);
	for (size_t cap = 0; cap < 500; cap++)
		ldns_pkt_free(ask(c, "w.example.com.", LDNS_RR_TYPE_A, RW_FLAG_RD, 1, T0, cap));
	rw_cache_free(c);
}

static void test_flush_bogus(void)
{
	struct rw_cache *c = cache(true);

	CHECK_EQ(store(c, list("a.example.com. 600 IN A 192.0.2.1", NULL), NULL), 1);
	CHECK_EQ(store(c, list("b.example.com. 600 IN A 192.0.2.2", NULL), NULL), 1);
	CHECK_EQ(store_neg(c, RW_ENTRY_NXDOMAIN, "c.example.com.", 0, NULL), 1);
	set_vstate(c, RW_ENTRY_RRSET, "b.example.com.", LDNS_RR_TYPE_A, RW_VSTATE_BOGUS, 0, T0);
	set_vstate(c, RW_ENTRY_NXDOMAIN, "c.example.com.", 0, RW_VSTATE_SECURE, 0, T0);
	CHECK_EQ(rw_cache_flush(c, NULL, RW_FLUSH_BOGUS), 1);
	CHECK_EQ(rw_cache_count(c), 2);
	struct rw_cache_entry e;
	CHECK(!get(c, RW_ENTRY_RRSET, "b.example.com.", LDNS_RR_TYPE_A, T0, &e));
	CHECK(get(c, RW_ENTRY_RRSET, "a.example.com.", LDNS_RR_TYPE_A, T0, &e));
	rw_cache_entry_clear(&e);
	/* combined with a name and with negative: bogus negatives at that name only */
	set_vstate(c, RW_ENTRY_NXDOMAIN, "c.example.com.", 0, RW_VSTATE_BOGUS, 0, T0);
	set_vstate(c, RW_ENTRY_RRSET, "a.example.com.", LDNS_RR_TYPE_A, RW_VSTATE_BOGUS, 0, T0);
	ldns_rdf *d = ldns_dname_new_frm_str("example.com.");
	CHECK_EQ(rw_cache_flush(c, d, RW_FLUSH_BOGUS | RW_FLUSH_NEGATIVE | RW_FLUSH_SUBTREE), 1);
	ldns_rdf_deep_free(d);
	CHECK_EQ(rw_cache_count(c), 1);
	rw_cache_free(c);
}

static void test_accounting(void)
{
	struct rw_cache *plain = cache(false), *proved = cache(false);
	size_t b0 = rw_cache_bytes(plain);

	CHECK_EQ(store_neg(plain, RW_ENTRY_NXDOMAIN, "b.example.com.", 0, NULL), 1);
	CHECK_EQ(store_neg(proved, RW_ENTRY_NXDOMAIN, "b.example.com.", 0, neg_proof()), 1);
	size_t without = rw_cache_bytes(plain) - b0, with = rw_cache_bytes(proved) - b0;
	/* the three proof records take well over 100 bytes of wire data */
	CHECK(with >= without + 100);
	CHECK_EQ(rw_cache_flush_all(proved), 1);
	CHECK_EQ(rw_cache_bytes(proved), b0);
	rw_cache_free(plain);
	rw_cache_free(proved);
}

int main(void)
{
	test_proof_roundtrip();
	test_set_vstate();
	test_validating_gate();
	test_ad();
	test_do_rrsigs();
	test_negative_proof();
	test_wildcard_proof();
	test_flush_bogus();
	test_accounting();
	return rw_check_report("cache_dnssec");
}
