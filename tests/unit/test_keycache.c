/* The key cache (src/core/keycache.c): store, copies out, expiry, eviction, flush, walk, and
 * several threads at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "check.h"
#include "rootwalk/keycache.h"

/* The SipHash key of the table (shared.c draws it from rw_env). */
static const uint8_t test_key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

#define SEC 1000000LL

static ldns_rdf *dname(const char *s)
{
	ldns_rdf *d = ldns_dname_new_frm_str(s);
	if (!d)
		abort();
	return d;
}

static int put(struct rw_keycache *k, const char *zone, enum rw_vstate st, int64_t stored,
	       int64_t ttl_s)
{
	struct rw_keyentry e = {
		.state = st, .stored_us = stored, .expires_us = stored + ttl_s * SEC, .ede = -1};
	ldns_rdf *z = dname(zone);
	int rc;

	if (st == RW_VSTATE_SECURE) {
		ldns_rr *key = NULL;
		e.dnskeys = ldns_rr_list_new();
		if (ldns_rr_new_frm_str(&key, "example. 3600 IN DNSKEY 257 3 13 AAAA", 0, NULL,
					NULL) != LDNS_STATUS_OK)
			abort();
		ldns_rr_list_push_rr(e.dnskeys, key);
		e.key_tag = 4242;
		e.alg = 13;
	} else if (st == RW_VSTATE_BOGUS) {
		e.ede = 6;
		snprintf(e.why, sizeof(e.why), "no signature of %s verifies", zone);
	}
	rc = rw_keycache_put(k, z, &e);
	rw_keyentry_clear(&e); /* put copies */
	ldns_rdf_deep_free(z);
	return rc;
}

static bool get(struct rw_keycache *k, const char *zone, int64_t now, struct rw_keyentry *out)
{
	ldns_rdf *z = dname(zone);
	bool ok = rw_keycache_get(k, z, now, out);
	ldns_rdf_deep_free(z);
	return ok;
}

static int walked;
static void walk_cb(void *arg, const char *zone, const struct rw_keyentry *e)
{
	(void)arg;
	(void)zone;
	(void)e;
	walked++;
}

static void test_basic(void)
{
	struct rw_keycache *k = rw_keycache_new(100, test_key);
	struct rw_keyentry e;
	int64_t now = 5000 * SEC;
	ldns_rdf *n;

	CHECK(k != NULL);
	CHECK(!get(k, "example.", now, &e));
	CHECK_EQ(put(k, "Example.", RW_VSTATE_SECURE, now, 60), 0);
	CHECK(get(k, "EXAMPLE.", now + 59 * SEC, &e));
	CHECK_EQ(e.state, RW_VSTATE_SECURE);
	CHECK_EQ(e.key_tag, 4242);
	CHECK(e.dnskeys && ldns_rr_list_rr_count(e.dnskeys) == 1);
	rw_keyentry_clear(&e);
	CHECK(e.dnskeys == NULL);
	/* replaced */
	CHECK_EQ(put(k, "example.", RW_VSTATE_BOGUS, now, 60), 0);
	CHECK(get(k, "example.", now, &e));
	CHECK_EQ(e.state, RW_VSTATE_BOGUS);
	CHECK_EQ(e.ede, 6);
	CHECK(strcmp(e.why, "no signature of example. verifies") == 0);
	CHECK(e.dnskeys == NULL);
	rw_keyentry_clear(&e);
	/* expired */
	CHECK(!get(k, "example.", now + 60 * SEC, &e));
	CHECK(!get(k, "example.", now, &e)); /* and dropped */

	/* flush: bogus only, at/below a name, all */
	put(k, "example.", RW_VSTATE_BOGUS, now, 60);
	put(k, "a.example.", RW_VSTATE_SECURE, now, 60);
	put(k, "b.a.example.", RW_VSTATE_BOGUS, now, 60);
	put(k, "org.", RW_VSTATE_BOGUS, now, 60);
	put(k, "net.", RW_VSTATE_INSECURE, now, 60);
	put(k, "old.", RW_VSTATE_INSECURE, now - 120 * SEC, 60);
	walked = 0;
	CHECK_EQ(rw_keycache_walk(k, now, walk_cb, NULL), 5);
	CHECK_EQ(walked, 5);
	n = dname("a.example.");
	CHECK_EQ(rw_keycache_flush(k, n, true), 1); /* b.a.example. */
	CHECK(get(k, "a.example.", now, &e));
	rw_keyentry_clear(&e);
	CHECK_EQ(rw_keycache_flush(k, NULL, true), 2); /* example., org. */
	CHECK_EQ(rw_keycache_flush(k, n, false), 1);
	ldns_rdf_deep_free(n);
	CHECK_EQ(rw_keycache_flush(k, NULL, false), 2); /* net. and the expired old. */
	CHECK_EQ(rw_keycache_walk(k, now, walk_cb, NULL), 0);
	rw_keycache_free(k);
	rw_keycache_free(NULL);
}

static void test_evict(void)
{
	struct rw_keycache *k = rw_keycache_new(3, test_key);
	struct rw_keyentry e;
	int64_t now = 10 * SEC;

	put(k, "a.", RW_VSTATE_INSECURE, now, 600);
	put(k, "b.", RW_VSTATE_INSECURE, now, 600);
	put(k, "c.", RW_VSTATE_INSECURE, now, 600);
	CHECK(get(k, "a.", now, &e)); /* a. is now the most recently used */
	put(k, "d.", RW_VSTATE_INSECURE, now, 600);
	CHECK(!get(k, "b.", now, &e));
	CHECK(get(k, "a.", now, &e));
	CHECK(get(k, "c.", now, &e));
	CHECK(get(k, "d.", now, &e));
	CHECK_EQ(rw_keycache_walk(k, now, NULL, NULL), 3);
	rw_keycache_free(k);
}

static struct rw_keycache *shared_k;

static void *worker(void *arg)
{
	char zone[64];
	struct rw_keyentry e;
	long id = (long)arg;

	for (int i = 0; i < 2000; i++) {
		snprintf(zone, sizeof(zone), "z%d.t%ld.", i % 50, id);
		put(shared_k, zone, i % 3 ? RW_VSTATE_SECURE : RW_VSTATE_BOGUS, SEC, 600);
		if (get(shared_k, zone, SEC, &e))
			rw_keyentry_clear(&e);
		if (i % 100 == 0)
			rw_keycache_flush(shared_k, NULL, true);
		if (i % 500 == 0)
			rw_keycache_walk(shared_k, SEC, NULL, NULL);
	}
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[4];

	shared_k = rw_keycache_new(64, test_key);
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK(rw_keycache_walk(shared_k, SEC, NULL, NULL) <= 64);
	rw_keycache_free(shared_k);
}

int main(void)
{
	test_basic();
	test_evict();
	test_threads();
	return rw_check_report("keycache");
}
