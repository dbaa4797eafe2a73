/* Unit tests for src/core/cache.c with a fake clock: every call takes the time as an argument,
 * so the tests step across TTL boundaries to the microsecond. */
#include "rootwalk/cache.h"
#include "rootwalk/wire.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define SEC 1000000LL
/* 2023-11-14T22:13:20Z: any fixed wall-clock time will do. */
#define T0 (1700000000LL * SEC)

static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static struct rw_cache *new_cache(uint32_t max_ttl, uint32_t min_ttl, uint32_t max_neg,
				  size_t max_bytes)
{
	struct rw_cache_opts o = {.max_ttl = max_ttl,
				  .min_ttl = min_ttl,
				  .max_negative_ttl = max_neg,
				  .max_bytes = max_bytes};
	struct rw_cache *c = rw_cache_new(&o, key);

	CHECK(c != NULL);
	return c;
}

static struct rw_cache *default_cache(void)
{
	return new_cache(86400, 0, 3600, 0);
}

static ldns_rr *rr(const char *text)
{
	ldns_rr *r = NULL;

	if (ldns_rr_new_frm_str(&r, text, 0, NULL, NULL) != LDNS_STATUS_OK) {
		fprintf(stderr, "bad test record: %s\n", text);
		CHECK(r != NULL); /* counted only when a test's own record is broken */
		return NULL;
	}
	return r;
}

/* An RR list from records in presentation format (NULL-terminated). */
static ldns_rr_list *rrset(const char *first, ...)
{
	ldns_rr_list *l = ldns_rr_list_new();
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s != NULL; s = va_arg(ap, const char *)) {
		ldns_rr *r = rr(s);

		if (r != NULL)
			ldns_rr_list_push_rr(l, r);
	}
	va_end(ap);
	return l;
}

static ldns_rdf *dname(const char *s)
{
	ldns_rdf *d = ldns_dname_new_frm_str(s);

	if (d == NULL)
		CHECK(d != NULL);
	return d;
}

static struct rw_source *source(const char *server, const char *zone, const char *ip)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(53)};

	inet_pton(AF_INET, ip, &sin.sin_addr);
	return rw_source_new(server, zone, (const struct sockaddr *)&sin, sizeof(sin));
}

/* Store a one-record RRset given as text. */
static int store(struct rw_cache *c, const char *text, enum rw_rank rank, struct rw_source *src,
		 int64_t now)
{
	ldns_rr_list *l = rrset(text, NULL);
	int rc = rw_cache_store_rrset(c, l, rank, src, now);

	ldns_rr_list_deep_free(l);
	return rc;
}

static int store_neg(struct rw_cache *c, enum rw_entry_kind kind, const char *name,
		     ldns_rr_type type, const char *soa_text, enum rw_rank rank,
		     struct rw_source *src, int64_t now)
{
	ldns_rdf *d = dname(name);
	ldns_rr *soa = rr(soa_text);
	int rc = rw_cache_store_negative(c, kind, d, (uint16_t)type, LDNS_RR_CLASS_IN, soa, rank,
					 src, now);

	ldns_rr_free(soa);
	ldns_rdf_deep_free(d);
	return rc;
}

/* Lookups copy into these; each helper call releases what the previous one of its kind held,
 * and release() frees both at the end of a test. */
static struct rw_cache_entry got, got_neg;

static const struct rw_cache_entry *get(struct rw_cache *c, const char *name, ldns_rr_type type,
					int64_t now, enum rw_rank min_rank)
{
	ldns_rdf *d = dname(name);
	bool found;

	rw_cache_entry_clear(&got);
	found = rw_cache_get(c, RW_ENTRY_RRSET, d, (uint16_t)type, LDNS_RR_CLASS_IN, now, min_rank,
			     &got);
	ldns_rdf_deep_free(d);
	return found ? &got : NULL;
}

static const struct rw_cache_entry *get_neg(struct rw_cache *c, enum rw_entry_kind kind,
					    const char *name, ldns_rr_type type, int64_t now)
{
	ldns_rdf *d = dname(name);
	bool found;

	rw_cache_entry_clear(&got_neg);
	found = rw_cache_get(c, kind, d, (uint16_t)type, LDNS_RR_CLASS_IN, now, RW_RANK_NONE,
			     &got_neg);
	ldns_rdf_deep_free(d);
	return found ? &got_neg : NULL;
}

static void release(void)
{
	rw_cache_entry_clear(&got);
	rw_cache_entry_clear(&got_neg);
}

/* The address of the first A record of an entry, as text ("" if none). */
static const char *first_a(const struct rw_cache_entry *e)
{
	static char buf[INET6_ADDRSTRLEN];
	const ldns_rr *r;

	buf[0] = '\0';
	if (e == NULL || e->rrs == NULL || ldns_rr_list_rr_count(e->rrs) == 0)
		return buf;
	r = ldns_rr_list_rr(e->rrs, 0);
	if (ldns_rr_get_type(r) == LDNS_RR_TYPE_A && ldns_rr_rd_count(r) == 1)
		inet_ntop(AF_INET, ldns_rdf_data(ldns_rr_rdf(r, 0)), buf, sizeof(buf));
	return buf;
}

/* 1 if the entry came from server/zone at IPv4 address ip, port 53. */
static int from(const struct rw_cache_entry *e, const char *server, const char *zone,
		const char *ip)
{
	const struct sockaddr_in *sin;
	struct in_addr want;

	if (e == NULL || e->src == NULL || inet_pton(AF_INET, ip, &want) != 1)
		return 0;
	sin = (const struct sockaddr_in *)&e->src->addr;
	return strcmp(e->src->server, server) == 0 && strcmp(e->src->zone, zone) == 0 &&
	       e->src->addrlen == sizeof(*sin) && sin->sin_family == AF_INET &&
	       ntohs(sin->sin_port) == 53 && sin->sin_addr.s_addr == want.s_addr;
}

static void test_store_get(void)
{
	struct rw_cache *c = default_cache();
	struct rw_source *src = source("ns1.dnshost.net.", "video-platform.com.", "127.3.1.1");
	ldns_rr_list *l = rrset("video-platform.com. 300 IN A 203.0.113.42",
				"video-platform.com. 300 IN A 203.0.113.43", NULL);
	const struct rw_cache_entry *e;
	ldns_rdf *d;

	CHECK_EQ(rw_cache_count(c), 0);
	CHECK(get(c, "video-platform.com.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE) == NULL);
	CHECK_EQ(rw_cache_store_rrset(c, l, RW_RANK_ANSWER, src, T0), 1);
	CHECK_EQ(rw_cache_count(c), 1);
	CHECK(rw_cache_bytes(c) > 0);
	e = get(c, "video-platform.com.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(e != NULL);
	if (e != NULL) {
		CHECK_EQ(e->kind, RW_ENTRY_RRSET);
		CHECK_EQ(e->type, LDNS_RR_TYPE_A);
		CHECK(e->owner != NULL &&
		      ldns_dname_compare(e->owner, ldns_rr_owner(ldns_rr_list_rr(l, 0))) == 0);
		CHECK_EQ(ldns_rr_list_rr_count(e->rrs), 2);
		CHECK(ldns_rr_compare(ldns_rr_list_rr(e->rrs, 0), ldns_rr_list_rr(l, 0)) == 0);
		CHECK(ldns_rr_compare(ldns_rr_list_rr(e->rrs, 1), ldns_rr_list_rr(l, 1)) == 0);
		CHECK(e->sigs == NULL || ldns_rr_list_rr_count(e->sigs) == 0);
		CHECK(e->soa == NULL);
		CHECK_EQ(e->orig_ttl, 300);
		CHECK_EQ(e->stored_us, T0);
		CHECK_EQ(e->expires_us, T0 + 300 * SEC);
		CHECK_EQ(e->rank, RW_RANK_ANSWER);
		CHECK_EQ(e->vstate, RW_VSTATE_UNCHECKED);
	}
	/* Changing the caller's list afterwards does not reach the cache. */
	ldns_rr_set_ttl(ldns_rr_list_rr(l, 0), 5);
	ldns_rr_list_deep_free(l);
	e = get(c, "video-platform.com.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(e != NULL && ldns_rr_ttl(ldns_rr_list_rr(e->rrs, 0)) == 300);
	/* Nor does changing a copy. */
	if (e != NULL)
		ldns_rr_set_ttl(ldns_rr_list_rr(e->rrs, 0), 7);
	e = get(c, "video-platform.com.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(e != NULL && ldns_rr_ttl(ldns_rr_list_rr(e->rrs, 0)) == 300);

	/* Other types, other names and other classes are other keys. */
	CHECK(get(c, "video-platform.com.", LDNS_RR_TYPE_AAAA, T0, RW_RANK_NONE) == NULL);
	CHECK(get(c, "www.video-platform.com.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE) == NULL);
	CHECK(get(c, "com.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE) == NULL);
	d = dname("video-platform.com.");
	CHECK(!rw_cache_get(c, RW_ENTRY_RRSET, d, LDNS_RR_TYPE_A, LDNS_RR_CLASS_CH, T0,
			    RW_RANK_NONE, &got));
	/* An RRset is not a negative entry of the same name and type. */
	CHECK(!rw_cache_get(c, RW_ENTRY_NODATA, d, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, T0,
			    RW_RANK_NONE, &got));
	ldns_rdf_deep_free(d);
	CHECK_EQ(store(c, "video-platform.com. 300 CH TXT \"chaos\"", RW_RANK_ANSWER, src, T0), 1);
	CHECK_EQ(store(c, "video-platform.com. 300 IN AAAA 2001:db8::1", RW_RANK_ANSWER, src, T0),
		 1);
	CHECK_EQ(rw_cache_count(c), 3);
	e = get(c, "video-platform.com.", LDNS_RR_TYPE_AAAA, T0, RW_RANK_NONE);
	CHECK(e != NULL && ldns_rr_get_type(ldns_rr_list_rr(e->rrs, 0)) == LDNS_RR_TYPE_AAAA);

	/* Types ldns has no name for are stored like any other, rdata intact. */
	CHECK_EQ(store(c, "video-platform.com. 60 IN TYPE65280 \\# 3 010203", RW_RANK_ANSWER, src,
		       T0),
		 1);
	e = get(c, "video-platform.com.", (ldns_rr_type)65280, T0, RW_RANK_NONE);
	CHECK(e != NULL && ldns_rr_rd_count(ldns_rr_list_rr(e->rrs, 0)) == 1);
	CHECK(e != NULL && ldns_rdf_size(ldns_rr_rdf(ldns_rr_list_rr(e->rrs, 0), 0)) == 3);
	CHECK(e != NULL &&
	      memcmp(ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(e->rrs, 0), 0)), "\1\2\3", 3) == 0);

	/* Nothing to store, or only signatures, is an error and stores nothing. */
	{
		ldns_rr_list *empty = ldns_rr_list_new();
		size_t before = rw_cache_count(c);

		CHECK(rw_cache_store_rrset(c, empty, RW_RANK_ANSWER, src, T0) < 0);
		ldns_rr_list_free(empty);
		CHECK(store(c,
			    "x.video-platform.com. 300 IN RRSIG A 8 3 300 20301231000000 "
			    "20200101000000 12345 video-platform.com. AAAA",
			    RW_RANK_ANSWER, src, T0) < 0);
		CHECK_EQ(rw_cache_count(c), before);
	}
	rw_source_unref(src);
	release();
	rw_cache_free(c);
	rw_cache_free(NULL);
}

static void test_case_insensitive(void)
{
	struct rw_cache *c = default_cache();
	const struct rw_cache_entry *e;

	CHECK_EQ(
		store(c, "WWW.Video-Platform.COM. 300 IN A 203.0.113.42", RW_RANK_ANSWER, NULL, T0),
		1);
	e = get(c, "www.video-platform.com.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(strcmp(first_a(e), "203.0.113.42") == 0);
	e = get(c, "wWw.ViDeO-pLaTfOrM.cOm.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(strcmp(first_a(e), "203.0.113.42") == 0);
	/* The key is kept in lower case. */
	{
		ldns_rdf *lower = dname("www.video-platform.com.");
		CHECK(e != NULL && e->owner != NULL &&
		      memcmp(ldns_rdf_data(e->owner), ldns_rdf_data(lower), ldns_rdf_size(lower)) ==
			      0);
		ldns_rdf_deep_free(lower);
	}
	/* The same key in other case replaces, not adds. */
	CHECK_EQ(store(c, "www.video-platform.COM. 300 IN A 203.0.113.7", RW_RANK_ANSWER, NULL, T0),
		 1);
	CHECK_EQ(rw_cache_count(c), 1);
	e = get(c, "WWW.VIDEO-PLATFORM.COM.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(strcmp(first_a(e), "203.0.113.7") == 0);
	/* Only ASCII letters fold: "[" and "{" differ by 0x20 but are different labels. */
	CHECK_EQ(store(c, "a[.example. 300 IN A 192.0.2.1", RW_RANK_ANSWER, NULL, T0), 1);
	CHECK(get(c, "a{.example.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE) == NULL);
	CHECK(get(c, "A[.EXAMPLE.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE) != NULL);
	/* Negative entries too. */
	CHECK_EQ(store_neg(c, RW_ENTRY_NXDOMAIN, "NoPe.Example.", 0,
			   "example. 300 IN SOA ns. host. 1 2 3 4 60", RW_RANK_AUTH_AUTHORITY, NULL,
			   T0),
		 1);
	CHECK(get_neg(c, RW_ENTRY_NXDOMAIN, "nope.example.", 0, T0) != NULL);
	release();
	rw_cache_free(c);
}

static void test_ttl_min_and_caps(void)
{
	struct rw_cache *c = default_cache();
	const struct rw_cache_entry *e;
	ldns_rr_list *l;

	/* The RRset's TTL is the smallest of its records' (RFC 2181 5.2), and every record is
	 * served with it. */
	l = rrset("m.example. 300 IN MX 10 a.example.", "m.example. 100 IN MX 20 b.example.",
		  "m.example. 200 IN MX 30 c.example.", NULL);
	CHECK_EQ(rw_cache_store_rrset(c, l, RW_RANK_ANSWER, NULL, T0), 1);
	ldns_rr_list_deep_free(l);
	e = get(c, "m.example.", LDNS_RR_TYPE_MX, T0, RW_RANK_NONE);
	CHECK(e != NULL);
	if (e != NULL) {
		CHECK_EQ(e->orig_ttl, 100);
		CHECK_EQ(e->expires_us, T0 + 100 * SEC);
		CHECK_EQ(ldns_rr_list_rr_count(e->rrs), 3);
		for (size_t i = 0; i < ldns_rr_list_rr_count(e->rrs); i++)
			CHECK_EQ(ldns_rr_ttl(ldns_rr_list_rr(e->rrs, i)), 100);
	}
	rw_cache_free(c);

	/* cache-max-ttl lowers, cache-min-ttl raises. */
	c = new_cache(1000, 10, 3600, 0);
	CHECK_EQ(rw_cache_cap_ttl(c, 5000, false), 1000);
	CHECK_EQ(rw_cache_cap_ttl(c, 5, false), 10);
	CHECK_EQ(rw_cache_cap_ttl(c, 500, false), 500);
	CHECK_EQ(rw_cache_cap_ttl(c, 0x80000000u, false), 10);
	CHECK_EQ(store(c, "hi.example. 5000 IN A 192.0.2.1", RW_RANK_ANSWER, NULL, T0), 1);
	CHECK_EQ(store(c, "lo.example. 5 IN A 192.0.2.2", RW_RANK_ANSWER, NULL, T0), 1);
	CHECK_EQ(store(c, "mid.example. 500 IN A 192.0.2.3", RW_RANK_ANSWER, NULL, T0), 1);
	CHECK_EQ(store(c, "edge.example. 1000 IN A 192.0.2.4", RW_RANK_ANSWER, NULL, T0), 1);
	e = get(c, "hi.example.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(e != NULL && e->orig_ttl == 1000 && e->expires_us == T0 + 1000 * SEC);
	CHECK(e != NULL && ldns_rr_ttl(ldns_rr_list_rr(e->rrs, 0)) == 1000);
	e = get(c, "lo.example.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(e != NULL && e->orig_ttl == 10 && e->expires_us == T0 + 10 * SEC);
	e = get(c, "mid.example.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(e != NULL && e->orig_ttl == 500);
	e = get(c, "edge.example.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(e != NULL && e->orig_ttl == 1000);
	rw_cache_free(c);

	/* A TTL with the top bit set counts as 0 (RFC 2181 8), not as a huge or capped value: it
	 * must not be served at all, not even in the same second. */
	c = default_cache();
	CHECK_EQ(rw_cache_cap_ttl(c, 0x80000000u, false), 0);
	CHECK_EQ(rw_cache_cap_ttl(c, 0xffffffffu, false), 0);
	CHECK_EQ(rw_cache_cap_ttl(c, 0x7fffffffu, false), 86400);
	CHECK_EQ(rw_cache_cap_ttl(c, 7200, true), 3600);
	CHECK_EQ(rw_cache_cap_ttl(c, 7200, false), 7200);
	l = rrset("neg.example. 0 IN A 192.0.2.9", NULL);
	ldns_rr_set_ttl(ldns_rr_list_rr(l, 0), 0x80000000u);
	CHECK(rw_cache_store_rrset(c, l, RW_RANK_ANSWER, NULL, T0) >= 0);
	CHECK(get(c, "neg.example.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE) == NULL);
	ldns_rr_set_ttl(ldns_rr_list_rr(l, 0), 0xffffffffu);
	CHECK(rw_cache_store_rrset(c, l, RW_RANK_ANSWER, NULL, T0) >= 0);
	CHECK(get(c, "neg.example.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE) == NULL);
	ldns_rr_list_deep_free(l);
	/* 2^31 - 1 is a legal TTL and only the max-ttl cap limits it. */
	l = rrset("big.example. 0 IN A 192.0.2.9", NULL);
	ldns_rr_set_ttl(ldns_rr_list_rr(l, 0), 0x7fffffffu);
	CHECK_EQ(rw_cache_store_rrset(c, l, RW_RANK_ANSWER, NULL, T0), 1);
	ldns_rr_list_deep_free(l);
	e = get(c, "big.example.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(e != NULL && e->orig_ttl == 86400);
	/* A TTL of 0 is for this transaction only: it is never served from the cache. */
	CHECK(store(c, "zero.example. 0 IN A 192.0.2.10", RW_RANK_ANSWER, NULL, T0) >= 0);
	CHECK(get(c, "zero.example.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE) == NULL);
	/* One record of the set with the top bit set makes that record's TTL 0 (RFC 2181 8) and
	 * so the set's (5.2): the minimum is taken after the rule, not before. */
	l = rrset("mix.example. 300 IN A 192.0.2.1", "mix.example. 300 IN A 192.0.2.2", NULL);
	ldns_rr_set_ttl(ldns_rr_list_rr(l, 1), 0x80000001u);
	CHECK(rw_cache_store_rrset(c, l, RW_RANK_ANSWER, NULL, T0) >= 0);
	ldns_rr_list_deep_free(l);
	CHECK(get(c, "mix.example.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE) == NULL);
	rw_cache_free(c);

	/* With a min-ttl, a top-bit TTL is 0 raised to the minimum. */
	c = new_cache(86400, 30, 3600, 0);
	l = rrset("neg.example. 0 IN A 192.0.2.9", NULL);
	ldns_rr_set_ttl(ldns_rr_list_rr(l, 0), 0x80000000u);
	CHECK_EQ(rw_cache_store_rrset(c, l, RW_RANK_ANSWER, NULL, T0), 1);
	ldns_rr_list_deep_free(l);
	e = get(c, "neg.example.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(e != NULL && e->orig_ttl == 30);
	release();
	rw_cache_free(c);
}

static void test_expiry(void)
{
	struct rw_cache *c = default_cache();
	const struct rw_cache_entry *e;

	CHECK_EQ(store(c, "e.example. 300 IN A 192.0.2.1", RW_RANK_ANSWER, NULL, T0), 1);
	/* Served up to the last microsecond before T0 + 300 s, never at or after it. */
	CHECK(get(c, "e.example.", LDNS_RR_TYPE_A, T0 + 299 * SEC, RW_RANK_NONE) != NULL);
	CHECK(get(c, "e.example.", LDNS_RR_TYPE_A, T0 + 300 * SEC - 1, RW_RANK_NONE) != NULL);
	CHECK(get(c, "e.example.", LDNS_RR_TYPE_A, T0 + 300 * SEC, RW_RANK_NONE) == NULL);
	/* The expired entry was reaped by that lookup; it does not come back. */
	CHECK_EQ(rw_cache_count(c), 0);
	CHECK(get(c, "e.example.", LDNS_RR_TYPE_A, T0 + 100 * SEC, RW_RANK_NONE) == NULL);

	/* The propagation story: after expiry, fresh data is served with its own expiry. */
	CHECK_EQ(store(c, "e.example. 300 IN A 192.0.2.1", RW_RANK_ANSWER, NULL, T0), 1);
	CHECK(get(c, "e.example.", LDNS_RR_TYPE_A, T0 + 301 * SEC, RW_RANK_NONE) == NULL);
	CHECK_EQ(store(c, "e.example. 300 IN A 192.0.2.2", RW_RANK_ANSWER, NULL, T0 + 301 * SEC),
		 1);
	e = get(c, "e.example.", LDNS_RR_TYPE_A, T0 + 302 * SEC, RW_RANK_NONE);
	CHECK(strcmp(first_a(e), "192.0.2.2") == 0);
	CHECK(e != NULL && e->expires_us == T0 + 601 * SEC && e->stored_us == T0 + 301 * SEC);
	/* Replacing an expired entry without looking it up first works the same. */
	CHECK_EQ(store(c, "f.example. 10 IN A 192.0.2.1", RW_RANK_ANSWER, NULL, T0), 1);
	CHECK_EQ(store(c, "f.example. 10 IN A 192.0.2.3", RW_RANK_ANSWER, NULL, T0 + 10 * SEC), 1);
	e = get(c, "f.example.", LDNS_RR_TYPE_A, T0 + 10 * SEC, RW_RANK_NONE);
	CHECK(strcmp(first_a(e), "192.0.2.3") == 0);
	CHECK_EQ(rw_cache_count(c), 2);
	release();
	rw_cache_free(c);
}

static void test_ttl_left(void)
{
	struct rw_cache *c = default_cache();
	const struct rw_cache_entry *e;

	CHECK_EQ(store(c, "t.example. 300 IN A 192.0.2.1", RW_RANK_ANSWER, NULL, T0), 1);
	e = get(c, "t.example.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(e != NULL);
	if (e == NULL) {
		rw_cache_free(c);
		return;
	}
	/* Whole seconds, counting down; a part second counts as a second. */
	CHECK_EQ(rw_cache_ttl_left(e, T0), 300);
	CHECK_EQ(rw_cache_ttl_left(e, T0 + 1), 300);
	CHECK_EQ(rw_cache_ttl_left(e, T0 + SEC / 2), 300);
	CHECK_EQ(rw_cache_ttl_left(e, T0 + SEC), 299);
	CHECK_EQ(rw_cache_ttl_left(e, T0 + SEC + 1), 299);
	CHECK_EQ(rw_cache_ttl_left(e, T0 + 100 * SEC), 200);
	CHECK_EQ(rw_cache_ttl_left(e, T0 + 299 * SEC), 1);
	CHECK_EQ(rw_cache_ttl_left(e, T0 + 300 * SEC - 1), 1);
	CHECK_EQ(rw_cache_ttl_left(e, T0 + 300 * SEC), 0);
	CHECK_EQ(rw_cache_ttl_left(e, T0 + 1000 * SEC), 0);
	/* Never above what was stored, even if the wall clock steps back. */
	CHECK_EQ(rw_cache_ttl_left(e, T0 - 50 * SEC), 300);
	CHECK_EQ(rw_cache_ttl_left(e, 0), 300);
	/* Monotone: every quarter second it goes down by at most one and never up. */
	{
		uint32_t prev = rw_cache_ttl_left(e, T0);
		int ok = 1;

		for (int64_t t = T0; t <= T0 + 301 * SEC; t += SEC / 4) {
			uint32_t left = rw_cache_ttl_left(e, t);

			if (left > prev || left > 300 || prev - left > 1)
				ok = 0;
			prev = left;
		}
		CHECK(ok);
	}
	release();
	rw_cache_free(c);
}

#define SOA_300 "example.com. 3600 IN SOA ns1.example.com. host.example.com. 1 7200 900 1209600 300"
#define SOA_60	"example.com. 60 IN SOA ns1.example.com. host.example.com. 1 7200 900 1209600 300"
#define SOA_BIG                                                                                    \
	"example.com. 86400 IN SOA ns1.example.com. host.example.com. 1 7200 900 1209600 86400"

static void test_negative(void)
{
	struct rw_cache *c = default_cache();
	struct rw_source *src = source("ns1.example.com.", "example.com.", "127.3.2.1");
	const struct rw_cache_entry *e;
	ldns_rr *soa;

	/* RFC 2308 5: min(SOA TTL, SOA MINIMUM); a top-bit TTL or MINIMUM counts as 0. */
	soa = rr(SOA_300);
	CHECK_EQ(rw_soa_negative_ttl(soa), 300);
	ldns_rr_set_ttl(soa, 0x80000000u);
	CHECK_EQ(rw_soa_negative_ttl(soa), 0);
	ldns_rr_free(soa);
	soa = rr(SOA_60);
	CHECK_EQ(rw_soa_negative_ttl(soa), 60);
	ldns_rr_free(soa);
	soa = rr("example.com. 60 IN SOA ns1.example.com. host.example.com. 1 7200 900 1209600 "
		 "2147483648");
	CHECK_EQ(rw_soa_negative_ttl(soa), 0);
	ldns_rr_free(soa);

	/* NXDOMAIN: one entry per name, whatever type is asked. */
	CHECK_EQ(store_neg(c, RW_ENTRY_NXDOMAIN, "nope.example.com.", LDNS_RR_TYPE_A, SOA_300,
			   RW_RANK_AUTH_AUTHORITY, src, T0),
		 1);
	e = get_neg(c, RW_ENTRY_NXDOMAIN, "nope.example.com.", 0, T0);
	CHECK(e != NULL);
	if (e != NULL) {
		CHECK_EQ(e->kind, RW_ENTRY_NXDOMAIN);
		CHECK_EQ(e->type, 0);
		CHECK_EQ(e->orig_ttl, 300);
		CHECK_EQ(e->expires_us, T0 + 300 * SEC);
		CHECK_EQ(e->stored_us, T0);
		CHECK_EQ(e->rank, RW_RANK_AUTH_AUTHORITY);
		CHECK(from(e, "ns1.example.com.", "example.com.", "127.3.2.1"));
		/* The SOA that justified it is kept, with the negative TTL, to serve in the
		 * authority section. */
		CHECK(e->soa != NULL && ldns_rr_get_type(e->soa) == LDNS_RR_TYPE_SOA);
		CHECK(e->soa != NULL && ldns_rr_ttl(e->soa) == 300);
		CHECK(e->soa != NULL && ldns_rr_rd_count(e->soa) == 7);
	}
	CHECK(get_neg(c, RW_ENTRY_NXDOMAIN, "NOPE.example.COM.", LDNS_RR_TYPE_MX, T0) != NULL);
	CHECK(get_neg(c, RW_ENTRY_NXDOMAIN, "nope.example.com.", 0, T0 + 300 * SEC - 1) != NULL);
	CHECK(get_neg(c, RW_ENTRY_NXDOMAIN, "nope.example.com.", 0, T0 + 300 * SEC) == NULL);
	/* NXDOMAIN is not NODATA, and not an RRset. */
	CHECK_EQ(store_neg(c, RW_ENTRY_NXDOMAIN, "gone.example.com.", 0, SOA_60,
			   RW_RANK_AUTH_AUTHORITY, src, T0),
		 1);
	CHECK(get_neg(c, RW_ENTRY_NODATA, "gone.example.com.", LDNS_RR_TYPE_A, T0) == NULL);
	CHECK(get(c, "gone.example.com.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE) == NULL);
	e = get_neg(c, RW_ENTRY_NXDOMAIN, "gone.example.com.", 0, T0);
	CHECK(e != NULL && e->orig_ttl == 60);

	/* NODATA: per (name, type). */
	CHECK_EQ(store_neg(c, RW_ENTRY_NODATA, "www.example.com.", LDNS_RR_TYPE_AAAA, SOA_300,
			   RW_RANK_AUTH_AUTHORITY, src, T0),
		 1);
	e = get_neg(c, RW_ENTRY_NODATA, "www.example.com.", LDNS_RR_TYPE_AAAA, T0 + 10 * SEC);
	CHECK(e != NULL && e->kind == RW_ENTRY_NODATA && e->orig_ttl == 300);
	CHECK(e != NULL && e->type == LDNS_RR_TYPE_AAAA);
	CHECK(e != NULL && rw_cache_ttl_left(e, T0 + 10 * SEC) == 290);
	CHECK(get_neg(c, RW_ENTRY_NODATA, "www.example.com.", LDNS_RR_TYPE_MX, T0) == NULL);
	CHECK(get_neg(c, RW_ENTRY_NXDOMAIN, "www.example.com.", 0, T0) == NULL);
	CHECK(get(c, "www.example.com.", LDNS_RR_TYPE_AAAA, T0, RW_RANK_NONE) == NULL);
	/* A bad kind, or no SOA, is refused. */
	CHECK(store_neg(c, RW_ENTRY_RRSET, "x.example.com.", LDNS_RR_TYPE_A, SOA_300,
			RW_RANK_AUTH_AUTHORITY, src, T0) < 0);
	{
		ldns_rdf *d = dname("x.example.com.");
		CHECK(rw_cache_store_negative(c, RW_ENTRY_NXDOMAIN, d, 0, LDNS_RR_CLASS_IN, NULL,
					      RW_RANK_AUTH_AUTHORITY, src, T0) < 0);
		ldns_rdf_deep_free(d);
	}
	rw_source_unref(src);
	rw_cache_free(c);

	/* Capped by cache-max-negative-ttl. */
	c = new_cache(86400, 0, 3600, 0);
	CHECK_EQ(store_neg(c, RW_ENTRY_NXDOMAIN, "a.example.com.", 0, SOA_BIG,
			   RW_RANK_AUTH_AUTHORITY, NULL, T0),
		 1);
	e = get_neg(c, RW_ENTRY_NXDOMAIN, "a.example.com.", 0, T0);
	CHECK(e != NULL && e->orig_ttl == 3600 && e->expires_us == T0 + 3600 * SEC);
	CHECK(e != NULL && e->soa != NULL && ldns_rr_ttl(e->soa) == 3600);
	rw_cache_free(c);
	c = new_cache(86400, 0, 100, 0);
	CHECK_EQ(store_neg(c, RW_ENTRY_NODATA, "a.example.com.", LDNS_RR_TYPE_TXT, SOA_300,
			   RW_RANK_AUTH_AUTHORITY, NULL, T0),
		 1);
	e = get_neg(c, RW_ENTRY_NODATA, "a.example.com.", LDNS_RR_TYPE_TXT, T0);
	CHECK(e != NULL && e->orig_ttl == 100);
	CHECK(get_neg(c, RW_ENTRY_NODATA, "a.example.com.", LDNS_RR_TYPE_TXT, T0 + 100 * SEC) ==
	      NULL);
	rw_cache_free(c);
	/* cache-max-ttl applies to negative answers too. */
	c = new_cache(50, 0, 3600, 0);
	CHECK_EQ(store_neg(c, RW_ENTRY_NXDOMAIN, "a.example.com.", 0, SOA_300,
			   RW_RANK_AUTH_AUTHORITY, NULL, T0),
		 1);
	e = get_neg(c, RW_ENTRY_NXDOMAIN, "a.example.com.", 0, T0);
	CHECK(e != NULL && e->orig_ttl == 50);
	/* An SOA with a top-bit TTL gives a negative TTL of 0: nothing is served. */
	{
		ldns_rdf *d = dname("b.example.com.");
		ldns_rr *s = rr(SOA_300);

		ldns_rr_set_ttl(s, 0x80000000u);
		CHECK(rw_cache_store_negative(c, RW_ENTRY_NXDOMAIN, d, 0, LDNS_RR_CLASS_IN, s,
					      RW_RANK_AUTH_AUTHORITY, NULL, T0) >= 0);
		CHECK(get_neg(c, RW_ENTRY_NXDOMAIN, "b.example.com.", 0, T0) == NULL);
		ldns_rr_free(s);
		ldns_rdf_deep_free(d);
	}
	release();
	rw_cache_free(c);
}

static void test_rank(void)
{
	struct rw_cache *c = default_cache();
	struct rw_source *auth = source("ns1.dnshost.net.", "dnshost.net.", "127.3.3.1");
	struct rw_source *tld = source("a.gtld.net.", "net.", "127.2.0.2");
	const struct rw_cache_entry *e;

	/* Glue first, then the authoritative answer: the answer replaces it. */
	CHECK_EQ(store(c, "ns1.dnshost.net. 172800 IN A 127.3.3.99", RW_RANK_GLUE, tld, T0), 1);
	e = get(c, "ns1.dnshost.net.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(e != NULL && e->rank == RW_RANK_GLUE);
	/* Glue is never served as an answer: asking for answer rank finds nothing. */
	CHECK(get(c, "ns1.dnshost.net.", LDNS_RR_TYPE_A, T0, RW_RANK_NONAUTH_ANSWER) == NULL);
	CHECK(get(c, "ns1.dnshost.net.", LDNS_RR_TYPE_A, T0, RW_RANK_GLUE) != NULL);
	CHECK_EQ(store(c, "ns1.dnshost.net. 3600 IN A 127.3.3.1", RW_RANK_ANSWER, auth, T0), 1);
	e = get(c, "ns1.dnshost.net.", LDNS_RR_TYPE_A, T0, RW_RANK_ANSWER);
	CHECK(e != NULL && e->rank == RW_RANK_ANSWER);
	CHECK(from(e, "ns1.dnshost.net.", "dnshost.net.", "127.3.3.1"));
	CHECK(strcmp(first_a(e), "127.3.3.1") == 0);

	/* Later glue from another referral does not overwrite the valid answer (issue 3's ranking
	 * story), and the answer keeps its own TTL and provenance. */
	CHECK_EQ(store(c, "ns1.dnshost.net. 172800 IN A 127.3.3.99", RW_RANK_GLUE, tld,
		       T0 + 10 * SEC),
		 0);
	CHECK_EQ(store(c, "ns1.dnshost.net. 172800 IN A 127.3.3.98", RW_RANK_REFERRAL, tld,
		       T0 + 10 * SEC),
		 0);
	CHECK_EQ(store(c, "ns1.dnshost.net. 172800 IN A 127.3.3.97", RW_RANK_NONAUTH_ANSWER, tld,
		       T0 + 10 * SEC),
		 0);
	CHECK_EQ(store(c, "ns1.dnshost.net. 172800 IN A 127.3.3.96", RW_RANK_AUTH_AUTHORITY, tld,
		       T0 + 10 * SEC),
		 0);
	e = get(c, "ns1.dnshost.net.", LDNS_RR_TYPE_A, T0 + 10 * SEC, RW_RANK_NONE);
	CHECK(e != NULL && e->rank == RW_RANK_ANSWER);
	CHECK(from(e, "ns1.dnshost.net.", "dnshost.net.", "127.3.3.1"));
	CHECK(e != NULL && e->orig_ttl == 3600 && e->stored_us == T0);
	CHECK(strcmp(first_a(e), "127.3.3.1") == 0);
	CHECK_EQ(rw_cache_count(c), 1);
	/* Equal rank replaces: that is how fresh data arrives. */
	CHECK_EQ(store(c, "ns1.dnshost.net. 600 IN A 127.3.3.2", RW_RANK_ANSWER, auth,
		       T0 + 20 * SEC),
		 1);
	e = get(c, "ns1.dnshost.net.", LDNS_RR_TYPE_A, T0 + 20 * SEC, RW_RANK_NONE);
	CHECK(strcmp(first_a(e), "127.3.3.2") == 0);
	CHECK(e != NULL && e->orig_ttl == 600 && e->stored_us == T0 + 20 * SEC);

	/* Once the higher-ranked entry has expired, lower-ranked data may take its place. */
	CHECK_EQ(store(c, "ns1.dnshost.net. 172800 IN A 127.3.3.99", RW_RANK_GLUE, tld,
		       T0 + 620 * SEC - 1),
		 0);
	CHECK_EQ(store(c, "ns1.dnshost.net. 172800 IN A 127.3.3.99", RW_RANK_GLUE, tld,
		       T0 + 620 * SEC),
		 1);
	e = get(c, "ns1.dnshost.net.", LDNS_RR_TYPE_A, T0 + 620 * SEC, RW_RANK_NONE);
	CHECK(e != NULL && e->rank == RW_RANK_GLUE);
	CHECK(from(e, "a.gtld.net.", "net.", "127.2.0.2"));
	CHECK(strcmp(first_a(e), "127.3.3.99") == 0);

	/* The same rules hold for negative entries. */
	CHECK_EQ(store_neg(c, RW_ENTRY_NODATA, "x.example.com.", LDNS_RR_TYPE_A, SOA_300,
			   RW_RANK_AUTH_AUTHORITY, auth, T0),
		 1);
	CHECK_EQ(store_neg(c, RW_ENTRY_NODATA, "x.example.com.", LDNS_RR_TYPE_A, SOA_60,
			   RW_RANK_REFERRAL, tld, T0),
		 0);
	e = get_neg(c, RW_ENTRY_NODATA, "x.example.com.", LDNS_RR_TYPE_A, T0);
	CHECK(e != NULL && e->orig_ttl == 300);
	CHECK(from(e, "ns1.dnshost.net.", "dnshost.net.", "127.3.3.1"));

	CHECK_EQ(strcmp(rw_rank_name(RW_RANK_GLUE), "glue"), 0);
	CHECK_EQ(strcmp(rw_rank_name(RW_RANK_ANSWER), "authoritative answer"), 0);
	CHECK(rw_rank_name((enum rw_rank)99) != NULL);
	CHECK(rw_vstate_name(RW_VSTATE_UNCHECKED) != NULL &&
	      strcmp(rw_vstate_name(RW_VSTATE_UNCHECKED), "unchecked") == 0);
	CHECK(rw_vstate_name((enum rw_vstate)99) != NULL);
	CHECK(rw_entry_kind_name(RW_ENTRY_NXDOMAIN) != NULL);
	CHECK(rw_entry_kind_name((enum rw_entry_kind)99) != NULL);
	rw_source_unref(auth);
	rw_source_unref(tld);
	release();
	rw_cache_free(c);
}

static void test_rrsig(void)
{
	struct rw_cache *c = default_cache();
	const struct rw_cache_entry *e;
	/* The signature first: the RRset's type comes from the records it covers. */
	ldns_rr_list *l = rrset("s.example. 300 IN RRSIG A 8 2 300 20301231000000 20200101000000 "
				"12345 example. AAAA",
				"s.example. 300 IN A 192.0.2.1", "s.example. 300 IN A 192.0.2.2",
				"s.example. 300 IN RRSIG A 13 2 300 20301231000000 20200101000000 "
				"54321 example. BBBB",
				NULL);
	ldns_rr *sig0 = ldns_rr_clone(ldns_rr_list_rr(l, 0));

	CHECK_EQ(rw_cache_store_rrset(c, l, RW_RANK_ANSWER, NULL, T0), 1);
	ldns_rr_list_deep_free(l);
	CHECK(get(c, "s.example.", LDNS_RR_TYPE_RRSIG, T0, RW_RANK_NONE) == NULL);
	e = get(c, "s.example.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(e != NULL);
	if (e != NULL) {
		CHECK_EQ(ldns_rr_list_rr_count(e->rrs), 2);
		CHECK(e->sigs != NULL && ldns_rr_list_rr_count(e->sigs) == 2);
		for (size_t i = 0; i < ldns_rr_list_rr_count(e->rrs); i++)
			CHECK_EQ(ldns_rr_get_type(ldns_rr_list_rr(e->rrs, i)), LDNS_RR_TYPE_A);
		for (size_t i = 0; e->sigs != NULL && i < ldns_rr_list_rr_count(e->sigs); i++)
			CHECK_EQ(ldns_rr_get_type(ldns_rr_list_rr(e->sigs, i)), LDNS_RR_TYPE_RRSIG);
		/* The signature's rdata comes back intact (validation will need every byte). */
		if (e->sigs != NULL && ldns_rr_list_rr_count(e->sigs) > 0) {
			ldns_rr *s = ldns_rr_list_rr(e->sigs, 0);
			CHECK_EQ(ldns_rr_rd_count(s), ldns_rr_rd_count(sig0));
			for (size_t i = 0; i < ldns_rr_rd_count(s) && i < ldns_rr_rd_count(sig0);
			     i++)
				CHECK(ldns_rdf_compare(ldns_rr_rdf(s, i), ldns_rr_rdf(sig0, i)) ==
				      0);
		}
		CHECK_EQ(e->vstate, RW_VSTATE_UNCHECKED);
	}
	ldns_rr_free(sig0);
	/* Replacing the RRset without signatures drops the old ones: they signed other data. */
	CHECK_EQ(store(c, "s.example. 300 IN A 192.0.2.3", RW_RANK_ANSWER, NULL, T0 + SEC), 1);
	e = get(c, "s.example.", LDNS_RR_TYPE_A, T0 + SEC, RW_RANK_NONE);
	CHECK(e != NULL && (e->sigs == NULL || ldns_rr_list_rr_count(e->sigs) == 0));
	release();
	rw_cache_free(c);
}

/* Fill the cache with the lab story's names at several levels. */
static void fill_tree(struct rw_cache *c)
{
	CHECK_EQ(store(c, "video-platform.com. 300 IN A 203.0.113.42", RW_RANK_ANSWER, NULL, T0),
		 1);
	CHECK_EQ(store(c, "video-platform.com. 300 IN AAAA 2001:db8::1", RW_RANK_ANSWER, NULL, T0),
		 1);
	CHECK_EQ(store(c, "video-platform.com. 300 IN NS ns1.dnshost.net.", RW_RANK_REFERRAL, NULL,
		       T0),
		 1);
	CHECK_EQ(store_neg(c, RW_ENTRY_NODATA, "video-platform.com.", LDNS_RR_TYPE_CAA, SOA_300,
			   RW_RANK_AUTH_AUTHORITY, NULL, T0),
		 1);
	CHECK_EQ(store(c, "www.video-platform.com. 300 IN CNAME video-platform.com.",
		       RW_RANK_ANSWER, NULL, T0),
		 1);
	CHECK_EQ(store_neg(c, RW_ENTRY_NXDOMAIN, "a.b.video-platform.com.", 0, SOA_300,
			   RW_RANK_AUTH_AUTHORITY, NULL, T0),
		 1);
	/* Not below video-platform.com. though it ends in the same letters. */
	CHECK_EQ(store(c, "xvideo-platform.com. 300 IN A 192.0.2.7", RW_RANK_ANSWER, NULL, T0), 1);
	CHECK_EQ(store(c, "com. 172800 IN NS a.gtld-servers.net.", RW_RANK_REFERRAL, NULL, T0), 1);
	CHECK_EQ(store_neg(c, RW_ENTRY_NXDOMAIN, "nope.com.", 0, SOA_300, RW_RANK_AUTH_AUTHORITY,
			   NULL, T0),
		 1);
	CHECK_EQ(rw_cache_count(c), 9);
}

static size_t flush(struct rw_cache *c, const char *name, unsigned flags)
{
	ldns_rdf *d = name != NULL ? dname(name) : NULL;
	size_t n = rw_cache_flush(c, d, flags);

	ldns_rdf_deep_free(d);
	return n;
}

static void test_flush(void)
{
	struct rw_cache *c = default_cache();
	ldns_rdf *d;

	/* One name: every type, negative and delegation entries included; names below and above
	 * it stay. Case does not matter. */
	fill_tree(c);
	d = dname("Video-Platform.COM.");
	CHECK_EQ(rw_cache_flush_name(c, d), 4);
	CHECK_EQ(rw_cache_flush_name(c, d), 0);
	ldns_rdf_deep_free(d);
	CHECK_EQ(rw_cache_count(c), 5);
	CHECK(get(c, "video-platform.com.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE) == NULL);
	CHECK(get(c, "video-platform.com.", LDNS_RR_TYPE_NS, T0, RW_RANK_NONE) == NULL);
	CHECK(get_neg(c, RW_ENTRY_NODATA, "video-platform.com.", LDNS_RR_TYPE_CAA, T0) == NULL);
	CHECK(get(c, "www.video-platform.com.", LDNS_RR_TYPE_CNAME, T0, RW_RANK_NONE) != NULL);
	CHECK(get(c, "com.", LDNS_RR_TYPE_NS, T0, RW_RANK_NONE) != NULL);
	CHECK(get_neg(c, RW_ENTRY_NXDOMAIN, "nope.com.", 0, T0) != NULL);
	/* Everything; the cache stays usable afterwards. */
	CHECK_EQ(rw_cache_flush_all(c), 5);
	CHECK_EQ(rw_cache_count(c), 0);
	CHECK_EQ(rw_cache_flush_all(c), 0);
	CHECK(get(c, "com.", LDNS_RR_TYPE_NS, T0, RW_RANK_NONE) == NULL);
	CHECK_EQ(store(c, "com. 172800 IN NS a.gtld-servers.net.", RW_RANK_REFERRAL, NULL, T0), 1);
	CHECK(get(c, "com.", LDNS_RR_TYPE_NS, T0, RW_RANK_NONE) != NULL);
	CHECK_EQ(flush(c, NULL, 0), 1);

	/* A subtree: the name and everything below it, by whole labels. */
	fill_tree(c);
	CHECK_EQ(flush(c, "VIDEO-platform.com.", RW_FLUSH_SUBTREE), 6);
	CHECK(get(c, "www.video-platform.com.", LDNS_RR_TYPE_CNAME, T0, RW_RANK_NONE) == NULL);
	CHECK(get_neg(c, RW_ENTRY_NXDOMAIN, "a.b.video-platform.com.", 0, T0) == NULL);
	CHECK(get(c, "xvideo-platform.com.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE) != NULL);
	CHECK(get(c, "com.", LDNS_RR_TYPE_NS, T0, RW_RANK_NONE) != NULL);
	CHECK_EQ(rw_cache_count(c), 3);
	/* The root's subtree is everything. */
	CHECK_EQ(flush(c, ".", RW_FLUSH_SUBTREE), 3);
	CHECK_EQ(rw_cache_count(c), 0);

	/* Negative entries only: at one name, below a name, or everywhere. */
	fill_tree(c);
	CHECK_EQ(flush(c, "video-platform.com.", RW_FLUSH_NEGATIVE), 1);
	CHECK(get_neg(c, RW_ENTRY_NODATA, "video-platform.com.", LDNS_RR_TYPE_CAA, T0) == NULL);
	CHECK(get(c, "video-platform.com.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE) != NULL);
	CHECK_EQ(flush(c, "video-platform.com.", RW_FLUSH_NEGATIVE | RW_FLUSH_SUBTREE), 1);
	CHECK(get_neg(c, RW_ENTRY_NXDOMAIN, "a.b.video-platform.com.", 0, T0) == NULL);
	CHECK(get_neg(c, RW_ENTRY_NXDOMAIN, "nope.com.", 0, T0) != NULL);
	CHECK_EQ(flush(c, NULL, RW_FLUSH_NEGATIVE), 1);
	CHECK_EQ(rw_cache_count(c), 6);
	CHECK(get(c, "www.video-platform.com.", LDNS_RR_TYPE_CNAME, T0, RW_RANK_NONE) != NULL);
	/* A name that is not a domain name flushes nothing. */
	{
		ldns_rdf *notname = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "192.0.2.1");
		CHECK_EQ(rw_cache_flush(c, notname, 0), 0);
		ldns_rdf_deep_free(notname);
	}
	CHECK_EQ(rw_cache_count(c), 6);
	release();
	rw_cache_free(c);
}

struct walk_seen {
	size_t n, rrsets, negative;
	int bad;
};

static void walk_cb(void *arg, const struct rw_cache_entry *e)
{
	struct walk_seen *w = arg;

	w->n++;
	if (e->kind == RW_ENTRY_RRSET)
		w->rrsets++;
	else
		w->negative++;
	if (e->owner == NULL || (e->kind == RW_ENTRY_RRSET && e->rrs == NULL) ||
	    (e->kind != RW_ENTRY_RRSET && e->soa == NULL))
		w->bad = 1;
}

static void test_walk(void)
{
	struct rw_cache *c = default_cache();
	struct walk_seen w = {0};
	ldns_rdf *d;

	fill_tree(c);
	CHECK_EQ(rw_cache_walk(c, NULL, 0, T0, walk_cb, &w), 9);
	CHECK_EQ(w.n, 9);
	CHECK_EQ(w.rrsets, 6);
	CHECK_EQ(w.negative, 3);
	CHECK(!w.bad);
	d = dname("video-platform.com.");
	memset(&w, 0, sizeof(w));
	CHECK_EQ(rw_cache_walk(c, d, 0, T0, walk_cb, &w), 4);
	memset(&w, 0, sizeof(w));
	CHECK_EQ(rw_cache_walk(c, d, RW_FLUSH_SUBTREE, T0, walk_cb, &w), 6);
	memset(&w, 0, sizeof(w));
	CHECK_EQ(rw_cache_walk(c, d, RW_FLUSH_SUBTREE | RW_FLUSH_NEGATIVE, T0, walk_cb, &w), 2);
	CHECK_EQ(w.negative, 2);
	ldns_rdf_deep_free(d);
	/* Expired entries are not visited. */
	CHECK_EQ(store(c, "short.example. 5 IN A 192.0.2.1", RW_RANK_ANSWER, NULL, T0), 1);
	memset(&w, 0, sizeof(w));
	CHECK_EQ(rw_cache_walk(c, NULL, 0, T0 + 4 * SEC, walk_cb, &w), 10);
	memset(&w, 0, sizeof(w));
	CHECK_EQ(rw_cache_walk(c, NULL, 0, T0 + 5 * SEC, walk_cb, &w), 9);
	memset(&w, 0, sizeof(w));
	CHECK_EQ(rw_cache_walk(c, NULL, 0, T0 + 300 * SEC, walk_cb, &w), 1); /* com. NS */
	rw_cache_free(c);
}

static void test_provenance(void)
{
	struct rw_cache *c = default_cache();
	struct rw_source *src = source("ns1.dnshost.net.", "video-platform.com.", "127.3.1.1");
	const struct rw_cache_entry *e;

	CHECK(src != NULL && src->refs == 1);
	CHECK_EQ(store(c, "video-platform.com. 300 IN A 203.0.113.42", RW_RANK_ANSWER, src,
		       T0 + 123456),
		 1);
	CHECK_EQ(store(c, "video-platform.com. 300 IN MX 10 mail.video-platform.com.",
		       RW_RANK_ANSWER, src, T0 + 123456),
		 1);
	/* The caller's source can go; the cache keeps what it needs. */
	rw_source_unref(src);
	e = get(c, "video-platform.com.", LDNS_RR_TYPE_A, T0 + 5 * SEC, RW_RANK_NONE);
	CHECK(e != NULL);
	if (e != NULL) {
		CHECK(from(e, "ns1.dnshost.net.", "video-platform.com.", "127.3.1.1"));
		CHECK_EQ(e->stored_us, T0 + 123456);
		CHECK_EQ(e->expires_us, T0 + 123456 + 300 * SEC);
		CHECK_EQ(e->orig_ttl, 300);
		CHECK_EQ(e->rank, RW_RANK_ANSWER);
		CHECK_EQ(e->vstate, RW_VSTATE_UNCHECKED);
	}
	e = get(c, "video-platform.com.", LDNS_RR_TYPE_MX, T0 + 5 * SEC, RW_RANK_NONE);
	CHECK(from(e, "ns1.dnshost.net.", "video-platform.com.", "127.3.1.1"));
	/* IPv6 servers too. */
	{
		struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(5353)};
		struct rw_source *s6;
		const struct sockaddr_in6 *got6;

		inet_pton(AF_INET6, "2001:db8::53", &sin6.sin6_addr);
		s6 = rw_source_new("ns6.example.", "example.", (const struct sockaddr *)&sin6,
				   sizeof(sin6));
		CHECK_EQ(store(c, "v6.example. 60 IN A 192.0.2.6", RW_RANK_ANSWER, s6, T0), 1);
		rw_source_unref(s6);
		e = get(c, "v6.example.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
		CHECK(e != NULL && e->src != NULL && e->src->addrlen == sizeof(sin6));
		if (e != NULL && e->src != NULL) {
			got6 = (const struct sockaddr_in6 *)&e->src->addr;
			CHECK_EQ(got6->sin6_family, AF_INET6);
			CHECK_EQ(ntohs(got6->sin6_port), 5353);
			CHECK(memcmp(&got6->sin6_addr, &sin6.sin6_addr, 16) == 0);
			CHECK(strcmp(e->src->server, "ns6.example.") == 0);
		}
	}
	/* Sources: strings are copied, NULL strings become "", no address is allowed. */
	{
		char server[] = "ns.example.";
		struct rw_source *s = rw_source_new(server, NULL, NULL, 0);

		CHECK(s != NULL);
		if (s != NULL) {
			server[0] = 'X';
			CHECK(strcmp(s->server, "ns.example.") == 0);
			CHECK(strcmp(s->zone, "") == 0);
			CHECK_EQ(s->addrlen, 0);
			CHECK(rw_source_ref(s) == s && s->refs == 2);
			rw_source_unref(s);
			rw_source_unref(s);
		}
		rw_source_unref(NULL);
		CHECK(rw_source_ref(NULL) == NULL);
	}
	/* Entries stored without a source say so. */
	CHECK_EQ(store(c, "x.example. 300 IN A 192.0.2.1", RW_RANK_ANSWER, NULL, T0), 1);
	e = get(c, "x.example.", LDNS_RR_TYPE_A, T0, RW_RANK_NONE);
	CHECK(e != NULL && (e->src == NULL || (e->src->server[0] == '\0' && e->src->addrlen == 0)));
	release();
	rw_cache_free(c);
}

static void test_many(void)
{
	struct rw_cache *c = default_cache();
	char text[128], name[64];
	int ok = 1;

	/* Enough entries to make the tables grow several times; each is still found with its own
	 * data, and each expires on its own second. */
	for (int i = 0; i < 5000; i++) {
		snprintf(text, sizeof(text), "n%d.example. %d IN A 10.%d.%d.%d", i, 1 + i % 600,
			 (i >> 16) & 255, (i >> 8) & 255, i & 255);
		if (store(c, text, RW_RANK_ANSWER, NULL, T0) != 1)
			ok = 0;
	}
	CHECK(ok);
	CHECK_EQ(rw_cache_count(c), 5000);
	CHECK_EQ(rw_cache_evictions(c), 0);
	for (int i = 0; i < 5000 && ok; i++) {
		char want[32];
		const struct rw_cache_entry *e;

		snprintf(name, sizeof(name), "N%d.EXAMPLE.", i);
		snprintf(want, sizeof(want), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255,
			 i & 255);
		e = get(c, name, LDNS_RR_TYPE_A, T0 + (int64_t)(i % 600) * SEC, RW_RANK_NONE);
		if (e == NULL || strcmp(first_a(e), want) != 0 ||
		    e->orig_ttl != (uint32_t)(1 + i % 600))
			ok = 0;
		if (get(c, name, LDNS_RR_TYPE_A, T0 + (int64_t)(1 + i % 600) * SEC, RW_RANK_NONE) !=
		    NULL)
			ok = 0;
	}
	CHECK(ok);
	/* Every lookup past expiry reaped its entry. */
	CHECK_EQ(rw_cache_count(c), 0);
	release();
	rw_cache_free(c);
}

/* Heap bytes in use, or 0 when the allocator does not say (under ASan it does not). */
static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks;
}

static void test_size_bound(void)
{
	const size_t max = 256 * 1024;
	size_t heap0 = heap_in_use(), peak = 0;
	struct rw_cache *c = new_cache(86400, 0, 3600, max);
	char text[160];
	int hot_kept = 1;

	CHECK(rw_cache_bytes(c) <= max);
	CHECK_EQ(store(c, "hot.example. 3600 IN A 192.0.2.1", RW_RANK_ANSWER, NULL, T0), 1);
	/* Fill far past the bound (about 40 times) with a mix of sizes. */
	for (int i = 0; i < 40000; i++) {
		snprintf(text, sizeof(text),
			 i % 3 ? "filler-%d.example. 3600 IN A 10.0.0.1"
			       : "filler-%d.example. 3600 IN TXT \"%0100d\"",
			 i, i);
		if (store(c, text, RW_RANK_ANSWER, NULL, T0 + i) != 1)
			hot_kept = 0;
		if (rw_cache_bytes(c) > peak)
			peak = rw_cache_bytes(c);
		/* The least recently used go first: an entry in use stays. */
		if (i % 16 == 0 &&
		    get(c, "hot.example.", LDNS_RR_TYPE_A, T0 + i, RW_RANK_NONE) == NULL)
			hot_kept = 0;
	}
	CHECK(hot_kept);
	CHECK(peak <= max);
	CHECK(rw_cache_bytes(c) <= max);
	CHECK(rw_cache_evictions(c) > 0);
	CHECK(rw_cache_count(c) < 40000);
	CHECK(rw_cache_count(c) > 500); /* and it is not emptied either */
	/* The newest entries are there; the oldest are gone. */
	CHECK(get(c, "filler-39998.example.", LDNS_RR_TYPE_A, T0 + 40000, RW_RANK_NONE) != NULL);
	CHECK(get(c, "filler-1.example.", LDNS_RR_TYPE_A, T0 + 40000, RW_RANK_NONE) == NULL);
	/* Counted honestly: the heap grew by about what the cache says it holds. */
	if (heap0 > 0) {
		size_t heap = heap_in_use() - heap0;

		if (getenv("RW_TEST_VERBOSE") != NULL ||
		    heap > rw_cache_bytes(c) + rw_cache_bytes(c) / 4 + 16384) {
			fprintf(stderr, "heap %zu bytes for %zu accounted\n", heap,
				rw_cache_bytes(c));
			CHECK(heap <= rw_cache_bytes(c) + rw_cache_bytes(c) / 4 + 16384);
		}
	}
	/* Counters reflect removals. */
	CHECK(rw_cache_flush_all(c) > 0);
	CHECK_EQ(rw_cache_count(c), 0);
	CHECK(rw_cache_bytes(c) <= 16 * 1024); /* only the bucket arrays remain */
	release();
	rw_cache_free(c);
}

/* A client query for name/type, parsed as the daemon would. */
static int client_query(struct rw_client_query *q, const char *name, uint16_t type, int edns)
{
	uint8_t pkt[512];
	ldns_rdf *d = dname(name);
	size_t n = 12, len;

	if (d == NULL)
		return -1;
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0xab;
	pkt[1] = 0xcd;
	pkt[2] = 0x01; /* RD */
	pkt[5] = 1;
	pkt[11] = edns ? 1 : 0;
	len = ldns_rdf_size(d);
	memcpy(pkt + n, ldns_rdf_data(d), len);
	ldns_rdf_deep_free(d);
	n += len;
	pkt[n++] = (uint8_t)(type >> 8);
	pkt[n++] = (uint8_t)type;
	pkt[n++] = 0;
	pkt[n++] = 1;
	if (edns) {
		static const uint8_t opt[11] = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};
		memcpy(pkt + n, opt, sizeof(opt));
		n += sizeof(opt);
	}
	return rw_wire_parse_query(pkt, n, q) == RW_QUERY_OK ? 0 : -1;
}

/* Answer from the cache and parse the result with ldns; NULL when the cache did not answer. */
static ldns_pkt *cache_answer(struct rw_cache *c, const char *name, uint16_t type, int edns,
			      int64_t now, size_t cap)
{
	static uint8_t out[4096 + 1];
	struct rw_client_query q;
	ldns_pkt *p = NULL;
	size_t n;

	if (cap > sizeof(out) - 1)
		cap = sizeof(out) - 1;
	if (client_query(&q, name, type, edns) < 0) {
		CHECK(!"test query does not parse");
		return NULL;
	}
	out[cap] = 0x5a;
	n = rw_cache_answer(c, &q, now, 11, out, cap);
	CHECK(n <= cap);
	CHECK_EQ(out[cap], 0x5a);
	if (n == 0)
		return NULL;
	if (ldns_wire2pkt(&p, out, n) != LDNS_STATUS_OK) {
		CHECK(!"cache answer does not parse");
		return NULL;
	}
	/* Whatever the answer, it is a response to this query: ID, QR, RA, RD, the question as
	 * the client sent it. */
	CHECK_EQ(ldns_pkt_id(p), 0xabcd);
	CHECK(ldns_pkt_qr(p) && ldns_pkt_ra(p) && ldns_pkt_rd(p) && !ldns_pkt_aa(p));
	CHECK_EQ(ldns_pkt_qdcount(p), 1);
	CHECK(memcmp(out + 12, q.qname, q.qname_len) == 0);
	CHECK_EQ(ldns_pkt_edns(p), edns != 0);
	return p;
}

static uint32_t section_ttl(ldns_pkt *p, ldns_pkt_section s, size_t i)
{
	ldns_rr_list *l = ldns_pkt_get_section_clone(p, s);
	uint32_t ttl = (l != NULL && i < ldns_rr_list_rr_count(l))
			       ? ldns_rr_ttl(ldns_rr_list_rr(l, i))
			       : 0xffffffffu;

	ldns_rr_list_deep_free(l);
	return ttl;
}

static void test_answer(void)
{
	struct rw_cache *c = default_cache();
	ldns_pkt *p;

	CHECK_EQ(store(c, "video-platform.com. 300 IN A 203.0.113.42", RW_RANK_ANSWER, NULL, T0),
		 1);
	CHECK_EQ(store(c, "www.video-platform.com. 600 IN CNAME video-platform.com.",
		       RW_RANK_ANSWER, NULL, T0),
		 1);
	CHECK_EQ(store_neg(c, RW_ENTRY_NXDOMAIN, "nope.video-platform.com.", 0,
			   "video-platform.com. 3600 IN SOA ns1.dnshost.net. h.x. 1 2 3 4 120",
			   RW_RANK_AUTH_AUTHORITY, NULL, T0),
		 1);
	CHECK_EQ(store_neg(c, RW_ENTRY_NODATA, "video-platform.com.", LDNS_RR_TYPE_CAA,
			   "video-platform.com. 3600 IN SOA ns1.dnshost.net. h.x. 1 2 3 4 120",
			   RW_RANK_AUTH_AUTHORITY, NULL, T0),
		 1);
	CHECK_EQ(store(c, "ns1.dnshost.net. 3600 IN A 127.3.3.1", RW_RANK_GLUE, NULL, T0), 1);
	CHECK_EQ(store(c, "loop-a.example. 300 IN CNAME loop-b.example.", RW_RANK_ANSWER, NULL, T0),
		 1);
	CHECK_EQ(store(c, "loop-b.example. 300 IN CNAME loop-a.example.", RW_RANK_ANSWER, NULL, T0),
		 1);
	CHECK_EQ(store(c, "dangling.example. 300 IN CNAME nowhere.example.", RW_RANK_ANSWER, NULL,
		       T0),
		 1);

	/* A positive answer, TTL counted down, question case preserved. */
	p = cache_answer(c, "Video-Platform.COM.", LDNS_RR_TYPE_A, 0, T0 + 100 * SEC, 512);
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK_EQ(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
		CHECK_EQ(ldns_pkt_ancount(p), 1);
		CHECK_EQ(section_ttl(p, LDNS_SECTION_ANSWER, 0), 200);
		ldns_pkt_free(p);
	}
	/* A CNAME followed in the cache: both records, each with its own remaining TTL. */
	p = cache_answer(c, "www.video-platform.com.", LDNS_RR_TYPE_A, 1, T0 + 100 * SEC, 512);
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK_EQ(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
		CHECK_EQ(ldns_pkt_ancount(p), 2);
		CHECK_EQ(section_ttl(p, LDNS_SECTION_ANSWER, 0), 500);
		CHECK_EQ(section_ttl(p, LDNS_SECTION_ANSWER, 1), 200);
		ldns_pkt_free(p);
	}
	/* NXDOMAIN and NODATA carry the SOA in the authority section with the remaining TTL. */
	p = cache_answer(c, "nope.video-platform.com.", LDNS_RR_TYPE_AAAA, 0, T0 + 20 * SEC, 512);
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK_EQ(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
		CHECK_EQ(ldns_pkt_ancount(p), 0);
		CHECK_EQ(ldns_pkt_nscount(p), 1);
		CHECK_EQ(section_ttl(p, LDNS_SECTION_AUTHORITY, 0), 100);
		ldns_pkt_free(p);
	}
	p = cache_answer(c, "video-platform.com.", LDNS_RR_TYPE_CAA, 0, T0 + 20 * SEC, 512);
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK_EQ(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
		CHECK_EQ(ldns_pkt_ancount(p), 0);
		CHECK_EQ(ldns_pkt_nscount(p), 1);
		ldns_pkt_free(p);
	}
	/* Glue is never an answer; nothing cached, expired, a CNAME loop or a CNAME to nowhere:
	 * the cache does not answer (the iterator takes over). */
	CHECK(cache_answer(c, "ns1.dnshost.net.", LDNS_RR_TYPE_A, 0, T0, 512) == NULL);
	CHECK(cache_answer(c, "other.example.", LDNS_RR_TYPE_A, 0, T0, 512) == NULL);
	CHECK(cache_answer(c, "video-platform.com.", LDNS_RR_TYPE_A, 0, T0 + 300 * SEC, 512) ==
	      NULL);
	CHECK(cache_answer(c, "loop-a.example.", LDNS_RR_TYPE_A, 0, T0, 512) == NULL);
	CHECK(cache_answer(c, "dangling.example.", LDNS_RR_TYPE_A, 0, T0, 512) == NULL);
	/* Asking for the CNAME itself gets the CNAME. */
	p = cache_answer(c, "www.video-platform.com.", LDNS_RR_TYPE_CNAME, 0, T0, 512);
	CHECK(p != NULL && ldns_pkt_ancount(p) == 1);
	ldns_pkt_free(p);
	/* Never more than cap: a buffer too small for the answer gets nothing. */
	for (size_t cap = 0; cap < 80; cap++) {
		p = cache_answer(c, "www.video-platform.com.", LDNS_RR_TYPE_A, 1, T0, cap);
		ldns_pkt_free(p);
	}
	release();
	rw_cache_free(c);
}

struct worker {
	struct rw_cache *c;
	int id, errors;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char text[128], name[64];

	for (int i = 0; i < 3000; i++) {
		struct rw_cache_entry e;
		ldns_rdf *d;
		int k = (i * 7 + w->id) % 500;

		snprintf(text, sizeof(text), "t%d.example. 300 IN A 10.0.%d.%d", k, k >> 8,
			 k & 255);
		if (store(w->c, text, RW_RANK_ANSWER, NULL, T0) < 0)
			w->errors++;
		snprintf(name, sizeof(name), "t%d.example.", (k * 3) % 500);
		d = ldns_dname_new_frm_str(name);
		if (d != NULL && rw_cache_get(w->c, RW_ENTRY_RRSET, d, LDNS_RR_TYPE_A,
					      LDNS_RR_CLASS_IN, T0 + SEC, RW_RANK_NONE, &e)) {
			if (e.rrs == NULL || ldns_rr_list_rr_count(e.rrs) != 1)
				w->errors++;
			rw_cache_entry_clear(&e);
		}
		ldns_rdf_deep_free(d);
		if (i % 500 == 0)
			(void)flush(w->c, "example.", RW_FLUSH_SUBTREE | RW_FLUSH_NEGATIVE);
	}
	return NULL;
}

static void test_threads(void)
{
	/* Small enough to evict while four threads store, read and flush at once. */
	struct rw_cache *c = new_cache(86400, 0, 3600, 32 * 1024);
	struct worker w[4];
	pthread_t t[4];
	int errors = 0;

	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){.c = c, .id = i};
		CHECK_EQ(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		errors += w[i].errors;
	}
	CHECK_EQ(errors, 0);
	CHECK(rw_cache_bytes(c) <= 32 * 1024);
	rw_cache_free(c);
}

int main(void)
{
	test_store_get();
	test_case_insensitive();
	test_ttl_min_and_caps();
	test_expiry();
	test_ttl_left();
	test_negative();
	test_rank();
	test_rrsig();
	test_flush();
	test_walk();
	test_provenance();
	test_many();
	test_size_bound();
	test_answer();
	test_threads();
	return rw_check_report("test_cache");
}
