/* The cache walked in parts by a cursor (dump-cache): every entry held during the whole walk is
 * visited, once, while entries are stored (the shards' tables double) and removed between parts;
 * a part stops near its size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "check.h"
#include "rootwalk/cache.h"

#define SEC 1000000LL
static const int64_t T0 = 1795600800LL * SEC; /* 2026-11-25T10:00:00Z */
#define MAXN 20000

static struct rw_cache *cache(void)
{
	struct rw_cache_opts o = {
		.max_ttl = 86400, .max_negative_ttl = 3600, .max_bytes = 256 << 20};
	uint8_t key[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
	return rw_cache_new(&o, key);
}

static void name_of(unsigned i, char *buf, size_t len)
{
	snprintf(buf, len, "h%u.walk.example.", i);
}

static void store(struct rw_cache *c, unsigned i)
{
	char text[128], name[64];
	ldns_rr *rr = NULL;

	name_of(i, name, sizeof(name));
	snprintf(text, sizeof(text), "%s 3600 IN A 192.0.2.%u", name, i & 255);
	CHECK(ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL) == LDNS_STATUS_OK);
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rr_list_push_rr(l, rr);
	CHECK_EQ(rw_cache_store_rrset(c, l, RW_RANK_ANSWER, NULL, T0), 1);
	ldns_rr_list_deep_free(l);
}

static void drop(struct rw_cache *c, unsigned i)
{
	char name[64];

	name_of(i, name, sizeof(name));
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	CHECK_EQ(rw_cache_flush_name(c, d), 1);
	ldns_rdf_deep_free(d);
}

struct seen {
	unsigned count[MAXN];
	size_t in_part;
};

static void seen_cb(void *arg, const struct rw_cache_entry *e)
{
	struct seen *s = arg;
	char *name = ldns_rdf2str(e->owner);
	unsigned i;

	if (name && sscanf(name, "h%u.", &i) == 1 && i < MAXN)
		s->count[i]++;
	free(name);
	s->in_part++;
}

/* 2,000 entries, walked in parts of 50 while 100 more are stored and 10 of the first removed
 * between parts. */
static void test_walk_while_changing(void)
{
	struct rw_cache *c = cache();
	struct rw_cache_cursor cur = {0};
	struct seen *s = calloc(1, sizeof(*s));
	unsigned next = 2000, parts = 0, removed = 0;

	for (unsigned i = 0; i < 2000; i++)
		store(c, i);
	while (!cur.done && parts < 10000) {
		s->in_part = 0;
		size_t n = rw_cache_walk_part(c, &cur, 50, T0 + SEC, seen_cb, s);
		CHECK_EQ(n, s->in_part);
		CHECK(n < 50 + 16); /* it stops after the bucket that reached 50 */
		parts++;
		for (unsigned k = 0; k < 100 && next < MAXN; k++)
			store(c, next++);
		if (removed < 500) {
			for (unsigned k = 0; k < 10; k++)
				drop(c, 1000 + removed++); /* 1000..1499 go during the walk */
		}
	}
	CHECK(cur.done);
	CHECK(parts > 20);
	for (unsigned i = 0; i < 2000; i++) {
		if (i >= 1000 && i < 1500)
			CHECK(s->count[i] <= 1);
		else
			CHECK_EQ(s->count[i], 1); /* held throughout: listed, once */
	}
	for (unsigned i = 2000; i < next; i++)
		CHECK(s->count[i] <= 1);
	rw_cache_free(c);
	free(s);
}

/* Expired entries are skipped; an empty cache is done in one part. */
static void test_walk_expired_and_empty(void)
{
	struct rw_cache *c = cache();
	struct rw_cache_cursor cur = {0};
	struct seen *s = calloc(1, sizeof(*s));

	CHECK_EQ(rw_cache_walk_part(c, &cur, 10, T0, seen_cb, s), 0);
	CHECK(cur.done);
	for (unsigned i = 0; i < 30; i++)
		store(c, i);
	memset(&cur, 0, sizeof(cur));
	while (!cur.done)
		rw_cache_walk_part(c, &cur, 10, T0 + 4000 * SEC, seen_cb, s);
	CHECK_EQ(s->in_part, 0);
	rw_cache_free(c);
	free(s);
}

int main(void)
{
	test_walk_while_changing();
	test_walk_expired_and_empty();
	return rw_check_report("cache_walk");
}
