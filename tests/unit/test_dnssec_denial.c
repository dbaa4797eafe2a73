/* Proofs of non-existence (dnssec_denial.c) over an NSEC chain and NSEC3 chains of one small zone:
 *
 *   example.      SOA NS DNSKEY         c.example.    (empty non-terminal)
 *   a.example.    A                     w.example.    (empty non-terminal)
 *   b.c.example.  A                     *.w.example.  TXT
 *   d.example.    NS (no DS: insecure)  x.example.    NS DS (secure delegation)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "testrr.h"
#include "rootwalk/dnssec.h"

static const char *const nsec_chain[] = {
	"example. 300 IN NSEC a.example. NS SOA RRSIG NSEC DNSKEY",
	"a.example. 300 IN NSEC b.c.example. A RRSIG NSEC",
	"b.c.example. 300 IN NSEC d.example. A RRSIG NSEC",
	"d.example. 300 IN NSEC *.w.example. NS RRSIG NSEC",
	"*.w.example. 300 IN NSEC x.example. TXT RRSIG NSEC",
	"x.example. 300 IN NSEC example. NS DS RRSIG NSEC",
};

/* The chain without record skip (-1: all). */
static ldns_rr_list *nsecs(int skip)
{
	ldns_rr_list *l = ldns_rr_list_new();

	for (int i = 0; i < 6; i++)
		if (i != skip)
			ldns_rr_list_push_rr(l, rr(nsec_chain[i]));
	return l;
}

static struct rw_denial_result res;
static struct rw_dsec_budget budget;

static enum rw_denial prove(const ldns_rr_list *l, const char *qname, uint16_t qtype, bool nx)
{
	ldns_rdf *z = dn("example."), *q = dn(qname);

	rw_dsec_budget_init(&budget);
	rw_denial_prove(l, z, q, qtype, nx, &budget, &res);
	ldns_rdf_deep_free(z);
	ldns_rdf_deep_free(q);
	return res.kind;
}

static enum rw_denial wild(const ldns_rr_list *l, const char *qname, uint8_t labels)
{
	ldns_rdf *z = dn("example."), *q = dn(qname);

	rw_dsec_budget_init(&budget);
	rw_denial_wildcard(l, z, q, labels, &budget, &res);
	ldns_rdf_deep_free(z);
	ldns_rdf_deep_free(q);
	return res.kind;
}

static bool owner_is(const ldns_rr *r, const char *name)
{
	ldns_rdf *n = dn(name);
	bool same = r != NULL && ldns_dname_compare(ldns_rr_owner(r), n) == 0;

	ldns_rdf_deep_free(n);
	return same;
}

static void test_nsec(void)
{
	ldns_rr_list *l = nsecs(-1), *noapex = nsecs(0);

	/* NXDOMAIN: b.example is covered, and so is *.example, by the apex's NSEC. */
	CHECK_EQ(prove(l, "b.example.", LDNS_RR_TYPE_A, true), RW_DENIAL_NXDOMAIN);
	CHECK(owner_is(res.cover, "a.example."));
	CHECK(owner_is(res.cover_wild, "example."));
	CHECK(strcmp(res.encloser, "example.") == 0);
	CHECK(!res.nsec3);
	CHECK_EQ(prove(noapex, "b.example.", LDNS_RR_TYPE_A, true), RW_DENIAL_NONE);
	CHECK_EQ(prove(l, "a.example.", LDNS_RR_TYPE_A, true), RW_DENIAL_NONE); /* it exists */
	/* NODATA at a name, at an empty non-terminal, at the wildcard that would match. */
	CHECK_EQ(prove(l, "a.example.", LDNS_RR_TYPE_AAAA, false), RW_DENIAL_NODATA);
	CHECK(owner_is(res.match, "a.example."));
	CHECK_EQ(prove(l, "a.example.", LDNS_RR_TYPE_A, false), RW_DENIAL_NONE);
	CHECK_EQ(prove(l, "c.example.", LDNS_RR_TYPE_A, false), RW_DENIAL_NODATA);
	CHECK(strcmp(res.encloser, "c.example.") == 0);
	CHECK_EQ(prove(l, "c.example.", LDNS_RR_TYPE_A, true), RW_DENIAL_NONE);
	CHECK_EQ(prove(l, "q.w.example.", LDNS_RR_TYPE_A, false), RW_DENIAL_NODATA);
	CHECK(owner_is(res.cover_wild, "*.w.example."));
	CHECK(strcmp(res.encloser, "w.example.") == 0);
	CHECK_EQ(prove(l, "q.w.example.", LDNS_RR_TYPE_TXT, false), RW_DENIAL_NONE);
	/* DS: an insecure delegation, a secure one, no delegation, the apex's own record. */
	CHECK_EQ(prove(l, "d.example.", LDNS_RR_TYPE_DS, false), RW_DENIAL_INSECURE_DS);
	CHECK_EQ(prove(l, "x.example.", LDNS_RR_TYPE_DS, false), RW_DENIAL_NONE);
	CHECK_EQ(prove(l, "a.example.", LDNS_RR_TYPE_DS, false), RW_DENIAL_NODATA);
	CHECK_EQ(prove(l, "example.", LDNS_RR_TYPE_DS, false), RW_DENIAL_NONE);
	CHECK_EQ(prove(l, "c.example.", LDNS_RR_TYPE_DS, false), RW_DENIAL_NODATA);
	/* The record at a cut proves neither other types there nor names below it. */
	CHECK_EQ(prove(l, "d.example.", LDNS_RR_TYPE_A, false), RW_DENIAL_NONE);
	CHECK_EQ(prove(l, "foo.d.example.", LDNS_RR_TYPE_A, true), RW_DENIAL_NONE);
	/* Names outside the zone are not its to deny. */
	CHECK_EQ(prove(l, "example.org.", LDNS_RR_TYPE_A, true), RW_DENIAL_NONE);
	/* Wildcard answers: q.w.example from *.w.example (2 labels), not from *.example. */
	CHECK_EQ(wild(l, "q.w.example.", 2), RW_DENIAL_WILDCARD);
	CHECK(owner_is(res.cover, "*.w.example."));
	CHECK(strcmp(res.encloser, "w.example.") == 0);
	CHECK_EQ(wild(l, "q.w.example.", 1), RW_DENIAL_NONE);
	CHECK_EQ(wild(l, "a.example.", 1), RW_DENIAL_NONE);   /* it exists */
	CHECK_EQ(wild(l, "z.c.example.", 1), RW_DENIAL_NONE); /* c.example exists */
	CHECK_EQ(wild(l, "q.w.example.", 3), RW_DENIAL_NONE); /* as many labels as the name */
	ldns_rr_list_deep_free(noapex);
	ldns_rr_list_deep_free(l);
}

struct n3name {
	const char *name, *types;
};

static const struct n3name zone_names[] = {
	{"example.", "SOA NS DNSKEY NSEC3PARAM RRSIG"},
	{"a.example.", "A RRSIG"},
	{"c.example.", ""},
	{"b.c.example.", "A RRSIG"},
	{"d.example.", "NS"},
	{"w.example.", ""},
	{"*.w.example.", "TXT RRSIG"},
	{"x.example.", "NS DS RRSIG"},
};

struct hashed {
	char h[64];
	const char *types;
};

static int cmp_hashed(const void *a, const void *b)
{
	return strcmp(((const struct hashed *)a)->h, ((const struct hashed *)b)->h);
}

/* The NSEC3 chain of the zone, without the name skip. */
static ldns_rr_list *nsec3s(uint16_t iter, uint8_t flags, const char *skip)
{
	struct hashed hs[8];
	ldns_rr_list *l = ldns_rr_list_new();
	const uint8_t salt[2] = {0xab, 0xcd};
	int n = 0;

	for (int i = 0; i < 8; i++) {
		ldns_rdf *name, *h;
		char *s;

		if (skip != NULL && strcmp(skip, zone_names[i].name) == 0)
			continue;
		name = dn(zone_names[i].name);
		h = ldns_nsec3_hash_name(name, 1, iter, 2, salt);
		s = ldns_rdf2str(h);
		snprintf(hs[n].h, sizeof(hs[n].h), "%.32s", s);
		hs[n++].types = zone_names[i].types;
		free(s);
		ldns_rdf_deep_free(h);
		ldns_rdf_deep_free(name);
	}
	qsort(hs, n, sizeof(hs[0]), cmp_hashed);
	for (int i = 0; i < n; i++) {
		char text[512];

		snprintf(text, sizeof(text), "%s.example. 300 IN NSEC3 1 %u %u ABCD %s %s", hs[i].h,
			 flags, iter, hs[(i + 1) % n].h, hs[i].types);
		ldns_rr_list_push_rr(l, rr(text));
	}
	return l;
}

/* The record of l that covers or matches the hash of name, removed. */
static void drop_hash_of(ldns_rr_list *l, const char *name)
{
	ldns_rdf *n = dn(name);

	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *r = ldns_rr_list_rr(l, i);
		ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(r, n);
		char *hs = ldns_rdf2str(h), *own = ldns_rdf2str(ldns_rr_owner(r));
		char *next = ldns_rdf2str(ldns_rr_rdf(r, 4));
		bool hit = strncasecmp(own, next, 32) < 0
				   ? strncasecmp(own, hs, 32) <= 0 && strncasecmp(hs, next, 32) < 0
				   : strncasecmp(own, hs, 32) <= 0 || strncasecmp(hs, next, 32) < 0;

		free(hs);
		free(own);
		free(next);
		ldns_rdf_deep_free(h);
		if (hit) {
			ldns_rr_free(r);
			for (size_t j = i + 1; j < ldns_rr_list_rr_count(l); j++)
				ldns_rr_list_set_rr(l, ldns_rr_list_rr(l, j), j - 1);
			ldns_rr_list_set_rr_count(l, ldns_rr_list_rr_count(l) - 1);
			break;
		}
	}
	ldns_rdf_deep_free(n);
}

static void test_nsec3(void)
{
	ldns_rr_list *l = nsec3s(5, 0, NULL), *nowild = nsec3s(5, 0, NULL);

	CHECK_EQ(ldns_rr_list_rr_count(l), 8);
	/* NXDOMAIN: the apex encloses, nope.example and *.example are covered. */
	CHECK_EQ(prove(l, "nope.example.", LDNS_RR_TYPE_A, true), RW_DENIAL_NXDOMAIN);
	CHECK(res.nsec3 && res.iterations == 5);
	CHECK(strcmp(res.encloser, "example.") == 0);
	CHECK(res.cover != NULL && res.cover_wild != NULL);
	CHECK_EQ(budget.hash_left, RW_DSEC_MAX_NSEC3_HASH - 3);
	CHECK_EQ(prove(l, "p.q.a.example.", LDNS_RR_TYPE_A, true), RW_DENIAL_NXDOMAIN);
	CHECK(strcmp(res.encloser, "a.example.") == 0);
	drop_hash_of(nowild, "*.example.");
	CHECK_EQ(ldns_rr_list_rr_count(nowild), 7);
	/* A name whose next closer is still covered (by another record than the wildcard's). */
	{
		static const char *const try[] = {"b.example.", "e.example.", "f.example.",
						  "g.example.", "h.example.", "i.example.",
						  "j.example."};
		int found = 0;

		for (int i = 0; i < 7 && !found; i++) {
			enum rw_denial k = prove(nowild, try[i], LDNS_RR_TYPE_A, true);

			found = res.cover != NULL;
			if (found)
				CHECK_EQ(k, RW_DENIAL_NONE);
		}
		CHECK(found);
	}
	CHECK_EQ(prove(l, "a.example.", LDNS_RR_TYPE_A, true), RW_DENIAL_NONE);
	/* NODATA: at a name, an empty non-terminal, a wildcard. */
	CHECK_EQ(prove(l, "a.example.", LDNS_RR_TYPE_AAAA, false), RW_DENIAL_NODATA);
	CHECK(res.match != NULL);
	CHECK_EQ(prove(l, "a.example.", LDNS_RR_TYPE_A, false), RW_DENIAL_NONE);
	CHECK_EQ(prove(l, "c.example.", LDNS_RR_TYPE_A, false), RW_DENIAL_NODATA);
	CHECK_EQ(prove(l, "q.w.example.", LDNS_RR_TYPE_A, false), RW_DENIAL_NODATA);
	CHECK(strcmp(res.encloser, "w.example.") == 0);
	CHECK(res.cover_wild != NULL && res.cover_wild == res.match);
	CHECK_EQ(prove(l, "q.w.example.", LDNS_RR_TYPE_TXT, false), RW_DENIAL_NONE);
	/* DS */
	CHECK_EQ(prove(l, "d.example.", LDNS_RR_TYPE_DS, false), RW_DENIAL_INSECURE_DS);
	CHECK_EQ(prove(l, "x.example.", LDNS_RR_TYPE_DS, false), RW_DENIAL_NONE);
	CHECK_EQ(prove(l, "a.example.", LDNS_RR_TYPE_DS, false), RW_DENIAL_NODATA);
	CHECK_EQ(prove(l, "example.", LDNS_RR_TYPE_DS, false), RW_DENIAL_NONE);
	CHECK_EQ(prove(l, "d.example.", LDNS_RR_TYPE_A, false), RW_DENIAL_NONE);
	/* Below a cut: the cut is no closest encloser. */
	CHECK_EQ(prove(l, "foo.d.example.", LDNS_RR_TYPE_A, true), RW_DENIAL_NONE);
	/* No NSEC3 for the name, and no opt-out: no proof that a DS is absent. */
	CHECK_EQ(prove(l, "nope.example.", LDNS_RR_TYPE_DS, false), RW_DENIAL_NONE);
	/* Wildcard answers. */
	CHECK_EQ(wild(l, "q.w.example.", 2), RW_DENIAL_WILDCARD);
	CHECK(res.cover != NULL && strcmp(res.encloser, "w.example.") == 0);
	CHECK_EQ(wild(l, "a.example.", 1), RW_DENIAL_NONE);
	CHECK_EQ(wild(l, "z.c.example.", 1), RW_DENIAL_NONE);
	ldns_rr_list_deep_free(nowild);
	ldns_rr_list_deep_free(l);
}

static void test_nsec3_optout_and_limits(void)
{
	ldns_rr_list *l = nsec3s(0, 1, "d.example.");
	ldns_rdf *z = dn("example."), *q = dn("a.b.c.d.e.f.g.nope.example.");

	/* d.example is an unsigned delegation in an opt-out span. */
	CHECK_EQ(prove(l, "d.example.", LDNS_RR_TYPE_DS, false), RW_DENIAL_INSECURE_DS);
	CHECK(strcmp(res.encloser, "example.") == 0);
	CHECK_EQ(prove(l, "nope.example.", LDNS_RR_TYPE_A, true), RW_DENIAL_OPTOUT);
	CHECK_EQ(wild(l, "q.w.example.", 2), RW_DENIAL_OPTOUT);
	CHECK_EQ(prove(l, "a.example.", LDNS_RR_TYPE_AAAA, false), RW_DENIAL_NODATA);
	ldns_rr_list_deep_free(l);

	/* Unknown hash algorithm, unknown flags: the records are not read. */
	l = nsec3s(0, 2, NULL);
	CHECK_EQ(prove(l, "a.example.", LDNS_RR_TYPE_AAAA, false), RW_DENIAL_NONE);
	CHECK(!res.nsec3);
	ldns_rr_list_deep_free(l);
	l = nsec3s(0, 0, NULL);
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(l, i), 0))[0] = 2;
	CHECK_EQ(prove(l, "a.example.", LDNS_RR_TYPE_AAAA, false), RW_DENIAL_NONE);
	ldns_rr_list_deep_free(l);

	/* 200 iterations: insecure, before any hash is computed. */
	l = nsec3s(200, 0, NULL);
	CHECK_EQ(prove(l, "nope.example.", LDNS_RR_TYPE_A, true), RW_DENIAL_ITERATIONS);
	CHECK_EQ(res.iterations, 200);
	CHECK_EQ(budget.hash_left, RW_DSEC_MAX_NSEC3_HASH);
	CHECK_EQ(wild(l, "q.w.example.", 2), RW_DENIAL_ITERATIONS);
	ldns_rr_list_deep_free(l);

	/* The hash budget: a deep name when few hashes are left. */
	l = nsec3s(1, 0, NULL);
	rw_dsec_budget_init(&budget);
	budget.hash_left = 4;
	rw_denial_prove(l, z, q, LDNS_RR_TYPE_A, true, &budget, &res);
	CHECK_EQ(res.kind, RW_DENIAL_LIMIT);
	CHECK_EQ(budget.hash_left, 0);
	ldns_rr_list_deep_free(l);
	ldns_rdf_deep_free(q);
	ldns_rdf_deep_free(z);
}

static void test_names(void)
{
	CHECK(strcmp(rw_denial_name(RW_DENIAL_NXDOMAIN), "name does not exist") == 0);
	CHECK(strcmp(rw_denial_name(RW_DENIAL_ITERATIONS), "too many NSEC3 iterations") == 0);
}

int main(void)
{
	test_names();
	test_nsec();
	test_nsec3();
	test_nsec3_optout_and_limits();
	return rw_check_report("dnssec_denial");
}
