/* The NSEC cache (RFC 8198): NXDOMAIN from a covering NSEC and the NSEC covering the wildcard,
 * NODATA from the NSEC at the name, the delegation-point rule, the closest enclosing zone,
 * expiry (NSEC TTL, SOA negative TTL, signature end), the bound on records, and flushing. The
 * module checks no signatures (the validator did): the RRSIGs here only have to be there. */
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "check.h"
#include "rootwalk/nseccache.h"

/* The SipHash key of the table (shared.c draws it from rw_env). */
static const uint8_t test_key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

#define NOW_S  1795600800LL /* 2026-11-25T10:00:00Z */
#define NOW_US (NOW_S * 1000000)

static ldns_rdf *dn(const char *s)
{
	ldns_rdf *d = NULL;
	CHECK(ldns_str2rdf_dname(&d, s) == LDNS_STATUS_OK);
	return d;
}

static void push(ldns_rr_list *l, const char *text)
{
	ldns_rr *rr = NULL;
	ldns_status st = ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL);
	if (st != LDNS_STATUS_OK)
		fprintf(stderr, "bad record %s: %s\n", text, ldns_get_errorstr_by_id(st));
	CHECK(st == LDNS_STATUS_OK);
	if (rr)
		ldns_rr_list_push_rr(l, rr);
}

/* An NSEC "owner -> next types" with its RRSIG (signature ending at sig_end, YYYYMMDDHHmmSS). */
static void nsec(ldns_rr_list *l, const char *owner, const char *next, const char *types,
		 uint32_t ttl, const char *sig_end)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s %u IN NSEC %s %s", owner, ttl, next, types);
	push(l, buf);
	snprintf(buf, sizeof(buf), "%s %u IN RRSIG NSEC 13 %d 3600 %s 20261124100000 4711 %s %s",
		 owner, ttl,
		 ldns_dname_label_count(
			 ldns_rr_owner(ldns_rr_list_rr(l, ldns_rr_list_rr_count(l) - 1))),
		 sig_end, "example.", "AAAAAAAAAAAAAAAAAAAAAA==");
	push(l, buf);
}

static ldns_rr *soa_rr(uint32_t ttl, uint32_t minimum)
{
	char buf[256];
	ldns_rr *rr = NULL;
	snprintf(buf, sizeof(buf),
		 "example. %u IN SOA ns.example. host.example. 1 1800 900 604800 %u", ttl, minimum);
	CHECK(ldns_rr_new_frm_str(&rr, buf, 0, NULL, NULL) == LDNS_STATUS_OK);
	return rr;
}

/* A proof list of example. with the SOA's RRSIG. */
static ldns_rr_list *proof_new(void)
{
	ldns_rr_list *l = ldns_rr_list_new();
	push(l, "example. 3600 IN RRSIG SOA 13 1 3600 20261225100000 20261124100000 4711 example. "
		"AAAAAAAAAAAAAAAAAAAAAA==");
	return l;
}

static int put(struct rw_nseccache *c, ldns_rr_list *proof, uint32_t soa_ttl, uint32_t minimum,
	       int64_t now_us)
{
	ldns_rdf *z = dn("example.");
	ldns_rr *soa = soa_rr(soa_ttl, minimum);
	int n = rw_nseccache_put(c, z, soa, proof, now_us);
	ldns_rr_free(soa);
	ldns_rdf_deep_free(z);
	ldns_rr_list_deep_free(proof);
	return n;
}

/* The lookup's rcode (-1 for a miss); the owners of the NSECs used into nsec_owner/wild_owner. */
static int ask(struct rw_nseccache *c, const char *name, uint16_t type, int64_t now_us,
	       char *nsec_owner, char *wild_owner, struct rw_nsec_hit *keep)
{
	struct rw_nsec_hit h;
	ldns_rdf *q = dn(name);
	int rc = -1;
	if (nsec_owner)
		nsec_owner[0] = '\0';
	if (wild_owner)
		wild_owner[0] = '\0';
	if (rw_nseccache_lookup(c, q, type, now_us, &h)) {
		rc = h.rcode;
		CHECK(h.soa != NULL && ldns_rr_get_type(h.soa) == LDNS_RR_TYPE_SOA);
		CHECK(h.nsec != NULL);
		char *s = h.nsec ? ldns_rdf2str(ldns_rr_owner(h.nsec)) : NULL;
		if (nsec_owner && s)
			snprintf(nsec_owner, 64, "%s", s);
		free(s);
		s = h.wild ? ldns_rdf2str(ldns_rr_owner(h.wild)) : NULL;
		if (wild_owner && s)
			snprintf(wild_owner, 64, "%s", s);
		free(s);
		if (keep)
			*keep = h;
		else
			rw_nsec_hit_clear(&h);
	}
	ldns_rdf_deep_free(q);
	return rc;
}

static size_t count_type(const ldns_rr_list *l, uint16_t t, uint16_t covered)
{
	size_t n = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(rr) != t)
			continue;
		if (covered && ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) != covered)
			continue;
		n++;
	}
	return n;
}

#define END "20261225100000"

static void test_nxdomain(void)
{
	struct rw_nseccache *c = rw_nseccache_new(100, test_key);
	char o[64], w[64];
	struct rw_nsec_hit h;

	/* only the span a -> c: b.example. is covered, but the wildcard is not: no answer */
	ldns_rr_list *p = proof_new();
	nsec(p, "a.example.", "c.example.", "A RRSIG NSEC", 3600, END);
	CHECK_EQ(put(c, p, 3600, 300, NOW_US), 1);
	CHECK_EQ(ask(c, "b.example.", LDNS_RR_TYPE_A, NOW_US, o, w, NULL), -1);
	/* the apex NSEC covers *.example.: now NXDOMAIN, also in other case */
	p = proof_new();
	nsec(p, "example.", "a.example.", "NS SOA RRSIG NSEC DNSKEY", 3600, END);
	CHECK_EQ(put(c, p, 3600, 300, NOW_US), 1);
	CHECK_EQ(ask(c, "b.example.", LDNS_RR_TYPE_A, NOW_US, o, w, &h), LDNS_RCODE_NXDOMAIN);
	CHECK(strcmp(o, "a.example.") == 0);
	CHECK(strcmp(w, "example.") == 0);
	CHECK(strcmp(h.encloser, "example.") == 0);
	CHECK_EQ(count_type(h.proof, LDNS_RR_TYPE_NSEC, 0), 2);
	CHECK_EQ(count_type(h.proof, LDNS_RR_TYPE_RRSIG, LDNS_RR_TYPE_NSEC), 2);
	CHECK_EQ(count_type(h.proof, LDNS_RR_TYPE_RRSIG, LDNS_RR_TYPE_SOA), 1);
	CHECK(h.zone && ldns_rdf_size(h.zone) == 9);
	CHECK_EQ(h.expires_us, NOW_US + 300 * 1000000LL); /* the SOA's negative TTL */
	CHECK_EQ(h.stored_us, NOW_US);
	rw_nsec_hit_clear(&h);
	CHECK_EQ(ask(c, "BBB.Example.", LDNS_RR_TYPE_AAAA, NOW_US, o, w, NULL),
		 LDNS_RCODE_NXDOMAIN);
	/* below a name that does not exist: the closest encloser is still example. */
	CHECK_EQ(ask(c, "x.b.example.", LDNS_RR_TYPE_A, NOW_US, o, w, NULL), LDNS_RCODE_NXDOMAIN);
	/* names outside the cached spans, or existing (a.example.): no answer */
	CHECK_EQ(ask(c, "d.example.", LDNS_RR_TYPE_A, NOW_US, o, w, NULL), -1);
	CHECK_EQ(ask(c, "a.example.", LDNS_RR_TYPE_A, NOW_US, o, w, NULL), -1);
	CHECK_EQ(ask(c, "b.other.", LDNS_RR_TYPE_A, NOW_US, o, w, NULL), -1);
	/* the last NSEC wraps to the apex: it covers everything after its owner */
	p = proof_new();
	nsec(p, "m.example.", "example.", "A RRSIG NSEC", 3600, END);
	CHECK_EQ(put(c, p, 3600, 300, NOW_US), 1);
	CHECK_EQ(ask(c, "zz.example.", LDNS_RR_TYPE_A, NOW_US, o, w, NULL), LDNS_RCODE_NXDOMAIN);
	CHECK(strcmp(o, "m.example.") == 0);
	/* a wildcard that exists (its NSEC is cached): no NXDOMAIN under it */
	struct rw_nseccache *c2 = rw_nseccache_new(100, test_key);
	p = proof_new();
	nsec(p, "example.", "*.example.", "NS SOA RRSIG NSEC", 3600, END);
	nsec(p, "*.example.", "c.example.", "TXT RRSIG NSEC", 3600, END);
	CHECK_EQ(put(c2, p, 3600, 300, NOW_US), 2);
	CHECK_EQ(ask(c2, "b.example.", LDNS_RR_TYPE_TXT, NOW_US, o, w, NULL), -1);
	/* ... but NODATA for a type the wildcard does not have */
	CHECK_EQ(ask(c2, "b.example.", LDNS_RR_TYPE_A, NOW_US, o, w, NULL), LDNS_RCODE_NOERROR);
	CHECK(strcmp(w, "*.example.") == 0);
	rw_nseccache_free(c2);
	rw_nseccache_free(c);
}

static void test_nodata(void)
{
	struct rw_nseccache *c = rw_nseccache_new(100, test_key);
	char o[64], w[64];

	ldns_rr_list *p = proof_new();
	nsec(p, "c.example.", "d.example.", "A TXT RRSIG NSEC", 3600, END);
	nsec(p, "d.example.", "x.e.example.", "CNAME RRSIG NSEC", 3600, END);
	nsec(p, "sub.example.", "t.example.", "NS RRSIG NSEC", 3600, END);
	nsec(p, "secure.example.", "sub.example.", "NS DS RRSIG NSEC", 3600, END);
	CHECK_EQ(put(c, p, 3600, 300, NOW_US), 4);
	CHECK_EQ(ask(c, "c.example.", LDNS_RR_TYPE_AAAA, NOW_US, o, w, NULL), LDNS_RCODE_NOERROR);
	CHECK(strcmp(o, "c.example.") == 0);
	CHECK(w[0] == '\0');
	CHECK_EQ(ask(c, "c.example.", LDNS_RR_TYPE_A, NOW_US, o, w, NULL), -1); /* it exists */
	CHECK_EQ(ask(c, "c.example.", LDNS_RR_TYPE_TXT, NOW_US, o, w, NULL), -1);
	/* a CNAME there: the CNAME answers, not a NODATA */
	CHECK_EQ(ask(c, "d.example.", LDNS_RR_TYPE_A, NOW_US, o, w, NULL), -1);
	/* an empty non-terminal (e.example., since x.e.example. follows d.example.) */
	CHECK_EQ(ask(c, "e.example.", LDNS_RR_TYPE_A, NOW_US, o, w, NULL), LDNS_RCODE_NOERROR);
	CHECK(strcmp(o, "d.example.") == 0);
	/* a delegation (NS, no SOA): the parent knows only about the DS there */
	CHECK_EQ(ask(c, "sub.example.", LDNS_RR_TYPE_A, NOW_US, o, w, NULL), -1);
	CHECK_EQ(ask(c, "sub.example.", LDNS_RR_TYPE_NS, NOW_US, o, w, NULL), -1);
	CHECK_EQ(ask(c, "sub.example.", LDNS_RR_TYPE_DS, NOW_US, o, w, NULL), LDNS_RCODE_NOERROR);
	CHECK_EQ(ask(c, "secure.example.", LDNS_RR_TYPE_DS, NOW_US, o, w, NULL), -1);
	/* nothing below a delegation, though its NSEC's span would hold the name */
	CHECK_EQ(ask(c, "www.sub.example.", LDNS_RR_TYPE_A, NOW_US, o, w, NULL), -1);
	CHECK_EQ(ask(c, "www.sub.example.", LDNS_RR_TYPE_DS, NOW_US, o, w, NULL), -1);
	rw_nseccache_free(c);
}

/* The closest enclosing zone with NSECs answers; DS is the parent's. */
static void test_zones(void)
{
	struct rw_nseccache *c = rw_nseccache_new(100, test_key);
	char o[64];

	ldns_rr_list *p = proof_new();
	nsec(p, "example.", "a.example.", "NS SOA RRSIG NSEC DNSKEY", 3600, END);
	CHECK_EQ(put(c, p, 3600, 300, NOW_US), 1);
	/* the apex NSEC: NODATA for TXT at the apex; the DS of example. is not its business */
	CHECK_EQ(ask(c, "example.", LDNS_RR_TYPE_TXT, NOW_US, o, NULL, NULL), LDNS_RCODE_NOERROR);
	CHECK_EQ(ask(c, "example.", LDNS_RR_TYPE_DS, NOW_US, o, NULL, NULL), -1);
	/* records of another zone are not taken, nor records without RRSIG */
	ldns_rr_list *q = proof_new();
	nsec(q, "a.other.", "c.other.", "A RRSIG NSEC", 3600, END);
	push(q, "b.example. 3600 IN NSEC c.example. A RRSIG NSEC");
	CHECK_EQ(put(c, q, 3600, 300, NOW_US), 0);
	/* without the SOA's RRSIG nothing is kept */
	q = ldns_rr_list_new();
	nsec(q, "a.example.", "c.example.", "A RRSIG NSEC", 3600, END);
	CHECK_EQ(put(c, q, 3600, 300, NOW_US), 0);
	size_t zones = 0;
	CHECK_EQ(rw_nseccache_count(c, &zones), 1);
	CHECK_EQ(zones, 1);
	rw_nseccache_free(c);
}

static void test_expiry(void)
{
	struct rw_nseccache *c = rw_nseccache_new(100, test_key);
	struct rw_nsec_hit h;

	/* NSEC TTL 3600, SOA TTL 3600 and MINIMUM 300: 300 s */
	ldns_rr_list *p = proof_new();
	nsec(p, "example.", "c.example.", "NS SOA RRSIG NSEC", 3600, END);
	CHECK_EQ(put(c, p, 3600, 300, NOW_US), 1);
	CHECK_EQ(ask(c, "b.example.", LDNS_RR_TYPE_A, NOW_US + 299000000LL, NULL, NULL, NULL),
		 LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(ask(c, "b.example.", LDNS_RR_TYPE_A, NOW_US + 300000000LL, NULL, NULL, NULL), -1);
	/* the SOA's own TTL when it is lower than MINIMUM (RFC 8198 5.4) */
	p = proof_new();
	nsec(p, "example.", "c.example.", "NS SOA RRSIG NSEC", 3600, END);
	CHECK_EQ(put(c, p, 120, 300, NOW_US), 1);
	CHECK_EQ(ask(c, "b.example.", LDNS_RR_TYPE_A, NOW_US + 119000000LL, NULL, NULL, &h),
		 LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(h.expires_us, NOW_US + 120000000LL);
	rw_nsec_hit_clear(&h);
	CHECK_EQ(ask(c, "b.example.", LDNS_RR_TYPE_A, NOW_US + 121000000LL, NULL, NULL, NULL), -1);
	/* the NSEC's TTL when lower */
	p = proof_new();
	nsec(p, "example.", "c.example.", "NS SOA RRSIG NSEC", 60, END);
	CHECK_EQ(put(c, p, 3600, 300, NOW_US), 1);
	CHECK_EQ(ask(c, "b.example.", LDNS_RR_TYPE_A, NOW_US + 59000000LL, NULL, NULL, NULL),
		 LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(ask(c, "b.example.", LDNS_RR_TYPE_A, NOW_US + 61000000LL, NULL, NULL, NULL), -1);
	/* the signature's end when sooner: 2026-11-25T10:01:40Z is NOW + 100 s */
	p = proof_new();
	nsec(p, "example.", "c.example.", "NS SOA RRSIG NSEC", 3600, "20261125100140");
	CHECK_EQ(put(c, p, 3600, 300, NOW_US), 1);
	CHECK_EQ(ask(c, "b.example.", LDNS_RR_TYPE_A, NOW_US + 99000000LL, NULL, NULL, NULL),
		 LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(ask(c, "b.example.", LDNS_RR_TYPE_A, NOW_US + 101000000LL, NULL, NULL, NULL), -1);
	rw_nseccache_free(c);
}

static void test_bounds_flush(void)
{
	struct rw_nseccache *c = rw_nseccache_new(3, test_key);
	size_t zones = 0;
	ldns_rr_list *p = proof_new();
	nsec(p, "example.", "c.example.", "NS SOA RRSIG NSEC", 3600, END);
	nsec(p, "c.example.", "e.example.", "A RRSIG NSEC", 3600, END);
	CHECK_EQ(put(c, p, 3600, 300, NOW_US), 2);
	/* another zone with two records: the least recently used zone (example.) goes */
	ldns_rdf *z = dn("other.");
	ldns_rr *soa = NULL;
	CHECK(ldns_rr_new_frm_str(&soa, "other. 3600 IN SOA ns.other. h.other. 1 2 3 4 300", 0,
				  NULL, NULL) == LDNS_STATUS_OK);
	ldns_rr_list *q = ldns_rr_list_new();
	push(q, "other. 3600 IN RRSIG SOA 13 1 3600 " END " 20261124100000 4711 other. "
		"AAAAAAAAAAAAAAAAAAAAAA==");
	nsec(q, "other.", "c.other.", "NS SOA RRSIG NSEC", 3600, END);
	nsec(q, "c.other.", "d.other.", "A RRSIG NSEC", 3600, END);
	CHECK_EQ(rw_nseccache_put(c, z, soa, q, NOW_US), 2);
	CHECK(rw_nseccache_count(c, &zones) <= 3);
	CHECK_EQ(zones, 1);
	CHECK_EQ(ask(c, "b.example.", LDNS_RR_TYPE_A, NOW_US, NULL, NULL, NULL), -1);
	CHECK_EQ(ask(c, "b.other.", LDNS_RR_TYPE_A, NOW_US, NULL, NULL, NULL), LDNS_RCODE_NXDOMAIN);
	/* more records of one zone than the bound: its earliest-expiring ones go */
	ldns_rr_list_deep_free(q);
	q = ldns_rr_list_new();
	push(q, "other. 3600 IN RRSIG SOA 13 1 3600 " END " 20261124100000 4711 other. "
		"AAAAAAAAAAAAAAAAAAAAAA==");
	nsec(q, "d.other.", "e.other.", "A RRSIG NSEC", 100, END);
	nsec(q, "e.other.", "f.other.", "A RRSIG NSEC", 3600, END);
	CHECK(rw_nseccache_put(c, z, soa, q, NOW_US) > 0);
	CHECK_EQ(rw_nseccache_count(c, &zones), 3);
	CHECK_EQ(ask(c, "d.other.", LDNS_RR_TYPE_TXT, NOW_US, NULL, NULL, NULL), -1);
	CHECK_EQ(ask(c, "e.other.", LDNS_RR_TYPE_TXT, NOW_US, NULL, NULL, NULL),
		 LDNS_RCODE_NOERROR);
	/* flushing a name below the zone forgets the zone (its NSECs speak for the name) */
	ldns_rdf *n = dn("x.other.");
	CHECK_EQ(rw_nseccache_flush(c, n), 3);
	CHECK_EQ(rw_nseccache_count(c, &zones), 0);
	CHECK_EQ(zones, 0);
	CHECK_EQ(ask(c, "b.other.", LDNS_RR_TYPE_A, NOW_US, NULL, NULL, NULL), -1);
	CHECK_EQ(rw_nseccache_put(c, z, soa, q, NOW_US), 2);
	CHECK_EQ(rw_nseccache_flush(c, NULL), 2);
	ldns_rdf_deep_free(n);
	ldns_rr_list_deep_free(q);
	ldns_rr_free(soa);
	ldns_rdf_deep_free(z);
	rw_nseccache_free(c);
}

int main(void)
{
	test_nxdomain();
	test_nodata();
	test_zones();
	test_expiry();
	test_bounds_flush();
	return rw_check_report("nseccache");
}
