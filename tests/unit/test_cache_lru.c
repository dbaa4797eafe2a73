/* The cache's size bound, LRU order, flushes, walk and the locking between threads. */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "check.h"
#include "rootwalk/cache.h"
#include "rootwalk/wire.h"

#define SEC 1000000LL
static const int64_t T0 = 1795600800LL * SEC; /* 2026-11-25T10:00:00Z */

static struct rw_cache *cache(size_t max_bytes)
{
	struct rw_cache_opts o = {
		.max_ttl = 86400, .min_ttl = 0, .max_negative_ttl = 3600, .max_bytes = max_bytes};
	uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	return rw_cache_new(&o, key);
}

static int store_a(struct rw_cache *c, struct rw_source *src, unsigned i, int64_t now)
{
	char text[128];
	ldns_rr *rr = NULL;
	snprintf(text, sizeof(text), "host%u.zone%u.example. 3600 IN A 192.0.%u.%u", i, i % 97,
		 (i >> 8) & 255, i & 255);
	if (ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL) != LDNS_STATUS_OK)
		return -1;
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rr_list_push_rr(l, rr);
	int rc = rw_cache_store_rrset(c, l, RW_RANK_ANSWER, src, now);
	ldns_rr_list_deep_free(l);
	return rc;
}

static bool has_a(struct rw_cache *c, unsigned i, int64_t now)
{
	char name[64];
	snprintf(name, sizeof(name), "host%u.zone%u.example.", i, i % 97);
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	struct rw_cache_entry e;
	bool found = rw_cache_get(c, RW_ENTRY_RRSET, d, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, now,
				  RW_RANK_NONE, &e);
	if (found)
		rw_cache_entry_clear(&e);
	ldns_rdf_deep_free(d);
	return found;
}

static size_t heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return 0; /* the sanitizer's allocator is not glibc's: no honest figure */
#else
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
#endif
}

/* Fill far past the bound: the accounted size and the real heap stay within it, the oldest
 * entries are gone and the newest are there. */
static void test_bound(void)
{
	const size_t bound = 256 * 1024;
	const unsigned n = 100000;
	struct rw_source *src = rw_source_new("ns1.example.", "example.", NULL, 0);
	size_t heap0 = heap_in_use();
	struct rw_cache *c = cache(bound);
	size_t max_seen = 0;

	for (unsigned i = 0; i < n; i++) {
		CHECK_EQ(store_a(c, src, i, T0), 1);
		size_t b = rw_cache_bytes(c);
		if (b > max_seen)
			max_seen = b;
	}
	CHECK(max_seen <= bound);
	size_t count = rw_cache_count(c);
	CHECK(count > 500 && count < n);
	CHECK_EQ(rw_cache_evictions(c), n - count);
	size_t heap1 = heap_in_use();
	printf("bound %zu B: %zu entries kept of %u, %zu B accounted (%.0f B per RRset)\n", bound,
	       count, n, rw_cache_bytes(c), (double)rw_cache_bytes(c) / (double)count);
	if (heap0 || heap1) {
		/* the real heap: within the bound, give or take the allocator's bookkeeping */
		printf("heap growth %zu B for a %zu B bound\n", heap1 - heap0, bound);
		CHECK(heap1 - heap0 <= bound + 8192);
	}
	/* the newest are there, the oldest are gone */
	int newest = 0, oldest = 0;
	for (unsigned i = 0; i < 100; i++) {
		newest += has_a(c, n - 1 - i, T0);
		oldest += has_a(c, i, T0);
	}
	CHECK_EQ(newest, 100);
	CHECK_EQ(oldest, 0);
	rw_cache_free(c);
	rw_source_unref(src);
}

/* An entry that is read keeps its place; one that is not goes first. */
static void test_lru_order(void)
{
	struct rw_cache *c = cache(64 * 1024);
	CHECK_EQ(store_a(c, NULL, 0, T0), 1);
	CHECK_EQ(store_a(c, NULL, 1, T0), 1);
	for (unsigned i = 2; i < 20000; i++) {
		store_a(c, NULL, i, T0);
		if (i % 16 == 0)
			CHECK(has_a(c, 0, T0)); /* keeps entry 0 recently used */
	}
	CHECK(has_a(c, 0, T0));
	CHECK(!has_a(c, 1, T0));
	CHECK(rw_cache_bytes(c) <= 64 * 1024);
	rw_cache_free(c);
}

static ldns_rr_list *list_of(const char *a, const char *b)
{
	ldns_rr_list *l = ldns_rr_list_new();
	const char *texts[2] = {a, b};
	for (int i = 0; i < 2 && texts[i]; i++) {
		ldns_rr *rr = NULL;
		ldns_rr_new_frm_str(&rr, texts[i], 3600, NULL, NULL);
		ldns_rr_list_push_rr(l, rr);
	}
	return l;
}

static void store_text(struct rw_cache *c, const char *a, const char *b)
{
	ldns_rr_list *l = list_of(a, b);
	CHECK_EQ(rw_cache_store_rrset(c, l, RW_RANK_ANSWER, NULL, T0), 1);
	ldns_rr_list_deep_free(l);
}

static void store_nx(struct rw_cache *c, const char *name)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	ldns_rr *soa = NULL;
	ldns_rr_new_frm_str(&soa,
			    "example.com. 300 IN SOA ns.example.com. h.example.com. 1 2 3 4 60", 0,
			    NULL, NULL);
	CHECK_EQ(rw_cache_store_negative(c, RW_ENTRY_NXDOMAIN, d, 0, LDNS_RR_CLASS_IN, soa,
					 RW_RANK_AUTH_AUTHORITY, NULL, T0),
		 1);
	ldns_rr_free(soa);
	ldns_rdf_deep_free(d);
}

static void count_entry(void *arg, const struct rw_cache_entry *e)
{
	(void)e;
	(*(int *)arg)++;
}

static size_t walk_count(struct rw_cache *c, const char *name, unsigned flags)
{
	int n = 0;
	ldns_rdf *d = name ? ldns_dname_new_frm_str(name) : NULL;
	rw_cache_walk(c, d, flags, T0, count_entry, &n);
	ldns_rdf_deep_free(d);
	return (size_t)n;
}

static size_t flush(struct rw_cache *c, const char *name, unsigned flags)
{
	ldns_rdf *d = name ? ldns_dname_new_frm_str(name) : NULL;
	size_t n = rw_cache_flush(c, d, flags);
	ldns_rdf_deep_free(d);
	return n;
}

static void fill(struct rw_cache *c)
{
	store_text(c, "example.com. 3600 IN NS ns.example.com.", NULL);
	store_text(c, "example.com. 300 IN A 192.0.2.1", "example.com. 300 IN A 192.0.2.2");
	store_text(c, "www.example.com. 300 IN CNAME example.com.", NULL);
	store_text(c, "a.b.example.com. 300 IN TXT \"deep\"", NULL);
	store_text(c, "notexample.com. 300 IN A 192.0.2.9", NULL);
	store_nx(c, "gone.example.com.");
	store_nx(c, "gone.other.org.");
}

static void test_flush_and_walk(void)
{
	struct rw_cache *c = cache(0);
	fill(c);
	CHECK_EQ(rw_cache_count(c), 7);
	CHECK_EQ(walk_count(c, NULL, 0), 7);
	CHECK_EQ(walk_count(c, "example.com.", 0), 2);
	CHECK_EQ(walk_count(c, "EXAMPLE.com.", RW_FLUSH_SUBTREE), 5);
	CHECK_EQ(walk_count(c, NULL, RW_FLUSH_NEGATIVE), 2);
	/* one name: every type there, the delegation included, nothing below or beside it */
	CHECK_EQ(flush(c, "example.com.", 0), 2);
	CHECK_EQ(rw_cache_count(c), 5);
	/* negative only, in a subtree */
	CHECK_EQ(flush(c, "example.com.", RW_FLUSH_SUBTREE | RW_FLUSH_NEGATIVE), 1);
	CHECK_EQ(walk_count(c, "gone.other.org.", 0), 1);
	/* a subtree stops at label boundaries: notexample.com. is not below example.com. */
	CHECK_EQ(flush(c, "example.com.", RW_FLUSH_SUBTREE), 2);
	CHECK_EQ(walk_count(c, "notexample.com.", 0), 1);
	CHECK_EQ(rw_cache_flush_all(c), 2);
	CHECK_EQ(rw_cache_count(c), 0);
	/* expired entries are not walked */
	fill(c);
	int n = 0;
	rw_cache_walk(c, NULL, 0, T0 + 301 * SEC, count_entry, &n);
	CHECK_EQ(n, 1); /* only the NS set (3600 s) outlives 301 s */
	rw_cache_free(c);
}

struct worker {
	struct rw_cache *c;
	unsigned seed;
	unsigned answered;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	uint8_t buf[1232];
	for (unsigned i = 0; i < 20000; i++) {
		unsigned k = (w->seed * 7919u + i * 31u) % 3000u;
		if (i % 3 == 0) {
			store_a(w->c, NULL, k, T0);
		} else if (i % 3 == 1) {
			has_a(w->c, k, T0);
		} else {
			struct rw_client_query q;
			memset(&q, 0, sizeof(q));
			char name[64];
			snprintf(name, sizeof(name), "host%u.zone%u.example.", k, k % 97);
			ldns_rdf *d = ldns_dname_new_frm_str(name);
			memcpy(q.qname, ldns_rdf_data(d), ldns_rdf_size(d));
			q.qname_len = ldns_rdf_size(d);
			ldns_rdf_deep_free(d);
			q.qtype = LDNS_RR_TYPE_A;
			q.qclass = LDNS_RR_CLASS_IN;
			if (rw_cache_answer(w->c, &q, T0, 11, buf, sizeof(buf)) > 0)
				w->answered++;
		}
		if (i % 5000 == 4999)
			flush(w->c, "zone3.example.", RW_FLUSH_SUBTREE);
	}
	return NULL;
}

static void test_threads(void)
{
	struct rw_cache *c = cache(128 * 1024);
	struct worker w[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){c, (unsigned)i + 1, 0};
		CHECK_EQ(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	unsigned answered = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		answered += w[i].answered;
	}
	CHECK(answered > 0);
	CHECK(rw_cache_bytes(c) <= 128 * 1024);
	CHECK_EQ(walk_count(c, NULL, 0), rw_cache_count(c));
	rw_cache_free(c);
}

int main(void)
{
	test_bound();
	test_lru_order();
	test_flush_and_walk();
	test_threads();
	return rw_check_report("cache_lru");
}
