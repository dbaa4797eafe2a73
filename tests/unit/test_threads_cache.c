/* One cache under four threads at once, as the worker threads of one daemon share it: stores,
 * copies out, the wire fast path, walks, flushes, evictions and a reload's new limits, all at
 * the same time. Each test checks that the results add up afterwards: no entry lost, none
 * counted twice, no value torn between an old and a new configuration. Under the TSan build
 * (tests/run_all.sh, suite tsan) ThreadSanitizer also reports any access the locks do not order.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "rootwalk/cache.h"
#include "rootwalk/wire.h"
#include "threads.h"

#define SEC 1000000LL
static const int64_t T0 = 1795600800LL * SEC; /* 2026-11-25T10:00:00Z */
static const uint8_t test_key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static struct rw_cache *cache_new(size_t max_bytes, uint32_t max_ttl, uint32_t min_ttl)
{
	struct rw_cache_opts o = {.max_ttl = max_ttl,
				  .min_ttl = min_ttl,
				  .max_negative_ttl = 3600,
				  .max_bytes = max_bytes};
	return rw_cache_new(&o, test_key);
}

/* Entry i of thread t lives at hI.tT.ZONE with the address 10.T.(I/256).(I%256), so a reader
 * can tell from the name alone what the data must be. */
static void entry_name(char *buf, size_t len, int t, int i, const char *zone)
{
	snprintf(buf, len, "h%d.t%d.%s", i, t, zone);
}

static int store(struct rw_cache *c, int t, int i, const char *zone, uint32_t ttl)
{
	char name[128], text[192];
	ldns_rr *rr = NULL;

	entry_name(name, sizeof(name), t, i, zone);
	snprintf(text, sizeof(text), "%s %u IN A 10.%d.%d.%d", name, ttl, t, i >> 8, i & 255);
	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		return -1;
	ldns_rr_list *l = ldns_rr_list_new();
	if (!l) {
		ldns_rr_free(rr);
		return -1;
	}
	ldns_rr_list_push_rr(l, rr);
	int rc = rw_cache_store_rrset(c, l, RW_RANK_ANSWER, NULL, T0);
	ldns_rr_list_deep_free(l);
	return rc;
}

/* Does the entry hold the address its name says? */
static bool entry_ok(const struct rw_cache_entry *e)
{
	char *owner = ldns_rdf2str(e->owner);
	int t = -1, i = -1;
	bool ok = false;

	if (owner && sscanf(owner, "h%d.t%d.", &i, &t) == 2 && e->kind == RW_ENTRY_RRSET &&
	    e->rrs && ldns_rr_list_rr_count(e->rrs) == 1) {
		const ldns_rdf *a = ldns_rr_rdf(ldns_rr_list_rr(e->rrs, 0), 0);
		const uint8_t want[4] = {10, (uint8_t)t, (uint8_t)(i >> 8), (uint8_t)i};
		ok = a && ldns_rdf_size(a) == 4 && memcmp(ldns_rdf_data(a), want, 4) == 0;
	}
	free(owner);
	return ok;
}

/* Look up entry i of thread t: 1 found and right, 0 not found, -1 found and wrong. */
static int lookup(struct rw_cache *c, int t, int i, const char *zone, int64_t now)
{
	char name[128];
	struct rw_cache_entry e;

	entry_name(name, sizeof(name), t, i, zone);
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	if (!d)
		return -1;
	bool found = rw_cache_get(c, RW_ENTRY_RRSET, d, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, now,
				  RW_RANK_NONE, &e);
	ldns_rdf_deep_free(d);
	if (!found)
		return 0;
	int rc = entry_ok(&e) ? 1 : -1;
	rw_cache_entry_clear(&e);
	return rc;
}

/* The fast path for entry i of thread t: 1 answered with the right address (the last four bytes
 * of a response without OPT), 0 not answered, -1 answered wrong. */
static int answer(struct rw_cache *c, int t, int i, const char *zone, int64_t now)
{
	char name[128];
	struct rw_client_query q;
	uint8_t out[512];

	memset(&q, 0, sizeof(q));
	entry_name(name, sizeof(name), t, i, zone);
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	if (!d)
		return -1;
	memcpy(q.qname, ldns_rdf_data(d), ldns_rdf_size(d));
	q.qname_len = ldns_rdf_size(d);
	ldns_rdf_deep_free(d);
	q.qtype = LDNS_RR_TYPE_A;
	q.qclass = LDNS_RR_CLASS_IN;
	q.edns_bufsize = 512;
	size_t n = rw_cache_answer(c, &q, now, 11, out, sizeof(out));
	if (n == 0)
		return 0;
	const uint8_t want[4] = {10, (uint8_t)t, (uint8_t)(i >> 8), (uint8_t)i};
	return n > 16 && memcmp(out + n - 4, want, 4) == 0 ? 1 : -1;
}

struct walk_check {
	long seen, wrong;
	uint32_t ttl_a, ttl_b; /* non-zero: every entry's original TTL is one of them */
};

static void walk_fn(void *arg, const struct rw_cache_entry *e)
{
	struct walk_check *w = arg;
	w->seen++;
	if (!entry_ok(e) || (w->ttl_a && e->orig_ttl != w->ttl_a && e->orig_ttl != w->ttl_b))
		w->wrong++;
}

static long walk(struct rw_cache *c, const char *below, int64_t now, struct walk_check *w)
{
	ldns_rdf *d = below ? ldns_dname_new_frm_str(below) : NULL;
	size_t n = rw_cache_walk(c, d, below ? RW_FLUSH_SUBTREE : 0, now, walk_fn, w);
	ldns_rdf_deep_free(d);
	return (long)n;
}

/* ---------------------------------------------------------------------------------------------
 * Every thread stores its own names and reads the others' at the same time (copies, the fast
 * path, whole-cache walks); nothing is evicted, so every entry stored must be there afterwards.
 */

#define PRIVATE_N 1500

static void *private_main(void *p)
{
	struct tt_arg *a = p;
	struct rw_cache *c = a->ctx;

	for (int i = 0; i < PRIVATE_N; i++) {
		if (store(c, a->id, i, "example.", 3600) != 1)
			a->errors++;
		int other = (a->id + 1 + i % (TT_THREADS - 1)) % TT_THREADS;
		if (lookup(c, other, (i * 7) % PRIVATE_N, "example.", T0 + SEC) < 0 ||
		    answer(c, other, (i * 13) % PRIVATE_N, "example.", T0 + SEC) < 0)
			a->errors++;
		/* what this thread stored is there at once, whatever the others do */
		if (lookup(c, a->id, i, "example.", T0 + SEC) != 1 ||
		    answer(c, a->id, i / 2, "example.", T0 + SEC) != 1)
			a->errors++;
		if (i % 300 == 299) {
			struct walk_check w = {0};
			walk(c, NULL, T0 + SEC, &w);
			a->errors += (int)w.wrong;
			a->count += w.seen > 0;
		}
	}
	return NULL;
}

static void test_private_entries(void)
{
	struct rw_cache *c = cache_new(16 << 20, 86400, 0);
	struct tt_arg args[TT_THREADS];

	CHECK_EQ(tt_run(private_main, c, args), 0);
	CHECK_EQ(tt_sum(args), TT_THREADS * (PRIVATE_N / 300));
	CHECK_EQ(rw_cache_count(c), TT_THREADS * PRIVATE_N);
	int right = 0;
	for (int t = 0; t < TT_THREADS; t++)
		for (int i = 0; i < PRIVATE_N; i++)
			right += lookup(c, t, i, "example.", T0 + SEC) == 1;
	CHECK_EQ(right, TT_THREADS * PRIVATE_N);
	struct walk_check w = {0};
	CHECK_EQ(walk(c, NULL, T0 + SEC, &w), TT_THREADS * PRIVATE_N);
	CHECK_EQ(w.wrong, 0);
	CHECK_EQ(rw_cache_evictions(c), 0);
	rw_cache_free(c);
}

/* ---------------------------------------------------------------------------------------------
 * A cache far too small: every thread stores new names, so each one stored is either still held
 * or was evicted, never both, never neither.
 */

#define EVICT_N	  3000
#define EVICT_MAX (48 * 1024)

static void *evict_main(void *p)
{
	struct tt_arg *a = p;
	struct rw_cache *c = a->ctx;

	for (int i = 0; i < EVICT_N; i++) {
		if (store(c, a->id, i, "example.", 3600) != 1)
			a->errors++;
		int other = (a->id + 1) % TT_THREADS;
		if (lookup(c, other, i, "example.", T0 + SEC) < 0 ||
		    answer(c, other, i / 3, "example.", T0 + SEC) < 0)
			a->errors++;
		if (rw_cache_bytes(c) > EVICT_MAX)
			a->errors++;
	}
	return NULL;
}

static void test_evict(void)
{
	struct rw_cache *c = cache_new(EVICT_MAX, 86400, 0);
	struct tt_arg args[TT_THREADS];

	CHECK_EQ(tt_run(evict_main, c, args), 0);
	size_t held = rw_cache_count(c);
	uint64_t evicted = rw_cache_evictions(c);
	CHECK(evicted > 0);
	CHECK_EQ(held + evicted, TT_THREADS * EVICT_N);
	CHECK(rw_cache_bytes(c) <= EVICT_MAX);
	struct walk_check w = {0};
	CHECK_EQ(walk(c, NULL, T0 + SEC, &w), held);
	CHECK_EQ(w.wrong, 0);
	CHECK_EQ(rw_cache_flush_all(c), held);
	CHECK_EQ(rw_cache_count(c), 0);
	rw_cache_free(c);
}

/* ---------------------------------------------------------------------------------------------
 * Two threads store under a.example., one under b.example., and the fourth flushes a.example.'s
 * subtree again and again: what it removed and what is left add up to what was stored, and
 * b.example. loses nothing.
 */

#define FLUSH_N 2000

struct flush_ctx {
	struct rw_cache *c;
	atomic_int storing; /* threads still storing */
};

static void *flush_main(void *p)
{
	struct tt_arg *a = p;
	struct flush_ctx *fc = a->ctx;
	struct rw_cache *c = fc->c;

	if (a->id == TT_THREADS - 1) {
		ldns_rdf *sub = ldns_dname_new_frm_str("a.example.");
		/* flush until the others are done (at most 20,000 times) */
		for (int i = 0; i < 20000 && atomic_load(&fc->storing) > 0; i++) {
			a->count += (long)rw_cache_flush(c, sub, RW_FLUSH_SUBTREE);
			struct walk_check w = {0};
			walk(c, "b.example.", T0 + SEC, &w);
			a->errors += (int)w.wrong;
		}
		ldns_rdf_deep_free(sub);
		return NULL;
	}
	const char *zone = a->id < 2 ? "a.example." : "b.example.";
	for (int i = 0; i < FLUSH_N; i++) {
		if (store(c, a->id, i, zone, 3600) != 1)
			a->errors++;
		if (lookup(c, a->id, i / 2, zone, T0 + SEC) < 0)
			a->errors++;
		/* b.example. is never flushed: what was stored there stays */
		if (a->id == 2 && lookup(c, a->id, i, zone, T0 + SEC) != 1)
			a->errors++;
	}
	atomic_fetch_sub(&fc->storing, 1);
	return NULL;
}

static void test_flush(void)
{
	struct rw_cache *c = cache_new(16 << 20, 86400, 0);
	struct tt_arg args[TT_THREADS];
	struct flush_ctx fc = {.c = c};

	atomic_init(&fc.storing, TT_THREADS - 1);
	CHECK_EQ(tt_run(flush_main, &fc, args), 0);
	struct walk_check wa = {0}, wb = {0};
	long left_a = walk(c, "a.example.", T0 + SEC, &wa);
	long left_b = walk(c, "b.example.", T0 + SEC, &wb);
	CHECK_EQ(args[TT_THREADS - 1].count + left_a, 2 * FLUSH_N);
	CHECK(args[TT_THREADS - 1].count > 0);
	CHECK_EQ(left_b, FLUSH_N);
	CHECK_EQ(wa.wrong + wb.wrong, 0);
	CHECK_EQ(rw_cache_count(c), (size_t)(left_a + left_b));
	rw_cache_free(c);
}

/* ---------------------------------------------------------------------------------------------
 * A reload while the others store: the fourth thread switches the cache between two sets of TTL
 * caps (max 100, and max 200 with min 150). Every TTL stored is one set's result, 100 or 200:
 * never a mix (150, from one set's maximum and the other's minimum).
 */

#define RELOAD_N 1500

static const struct rw_cache_opts reload_a = {
	.max_ttl = 100, .max_negative_ttl = 3600, .max_bytes = 16 << 20};
static const struct rw_cache_opts reload_b = {
	.max_ttl = 200, .min_ttl = 150, .max_negative_ttl = 3600, .max_bytes = 16 << 20};

static void *reload_main(void *p)
{
	struct tt_arg *a = p;
	struct rw_cache *c = a->ctx;

	if (a->id == TT_THREADS - 1) {
		for (int i = 0; i < 2000; i++) {
			rw_cache_set_opts(c, i % 2 ? &reload_a : &reload_b);
			uint32_t ttl = rw_cache_cap_ttl(c, 3600, false);
			a->errors += ttl != 100 && ttl != 200;
		}
		return NULL;
	}
	for (int i = 0; i < RELOAD_N; i++) {
		if (store(c, a->id, i, "example.", 3600) != 1)
			a->errors++;
		uint32_t ttl = rw_cache_cap_ttl(c, 3600, false);
		a->errors += ttl != 100 && ttl != 200;
		if (answer(c, a->id, i, "example.", T0 + SEC) != 1)
			a->errors++;
	}
	return NULL;
}

static void test_reload(void)
{
	struct rw_cache *c = rw_cache_new(&reload_a, test_key);
	struct tt_arg args[TT_THREADS];

	CHECK_EQ(tt_run(reload_main, c, args), 0);
	struct walk_check w = {.ttl_a = 100, .ttl_b = 200};
	CHECK_EQ(walk(c, NULL, T0 + SEC, &w), (TT_THREADS - 1) * RELOAD_N);
	CHECK_EQ(w.wrong, 0);
	rw_cache_free(c);
}

/* ---------------------------------------------------------------------------------------------
 * dump-cache's walk in parts while the others store (the tables double under the cursor) and
 * flush: an entry held during the whole walk is visited at least once (cache.h). The walker
 * checks it for 400 entries under p.example. that nobody removes, walk after walk.
 */

#define PART_KEEP 400
#define PART_N	  3000

struct part_ctx {
	struct rw_cache *c;
	atomic_int storing;
};

struct part_seen {
	bool seen[PART_KEEP];
	long wrong;
};

static void part_fn(void *arg, const struct rw_cache_entry *e)
{
	struct part_seen *ps = arg;
	char *owner = ldns_rdf2str(e->owner);
	int i = -1, t = -1;

	if (!entry_ok(e))
		ps->wrong++;
	else if (owner && strstr(owner, ".p.example.") && sscanf(owner, "h%d.t%d.", &i, &t) == 2 &&
		 i >= 0 && i < PART_KEEP)
		ps->seen[i] = true;
	free(owner);
}

static void *part_main(void *p)
{
	struct tt_arg *a = p;
	struct part_ctx *pc = a->ctx;
	struct rw_cache *c = pc->c;

	if (a->id == TT_THREADS - 1) {
		/* whole walks, 50 entries a part, until the others are done (at most 200 walks) */
		for (int w = 0; w < 200 && (w < 2 || atomic_load(&pc->storing) > 0); w++) {
			struct rw_cache_cursor cur = {0};
			struct part_seen ps = {0};
			for (int parts = 0; !cur.done && parts < 100000; parts++)
				rw_cache_walk_part(c, &cur, 50, T0 + SEC, part_fn, &ps);
			int missed = 0;
			for (int i = 0; i < PART_KEEP; i++)
				missed += !ps.seen[i];
			a->errors += missed + (int)ps.wrong + !cur.done;
			a->count++;
		}
		return NULL;
	}
	ldns_rdf *sub = ldns_dname_new_frm_str("a.example.");
	for (int i = 0; i < PART_N; i++) {
		if (a->id < 2 && store(c, a->id, i, "a.example.", 3600) != 1)
			a->errors++;
		if (a->id == 2 && i % 50 == 49)
			rw_cache_flush(c, sub, RW_FLUSH_SUBTREE);
	}
	ldns_rdf_deep_free(sub);
	atomic_fetch_sub(&pc->storing, 1);
	return NULL;
}

static void test_walk_part(void)
{
	struct rw_cache *c = cache_new(16 << 20, 86400, 0);
	struct tt_arg args[TT_THREADS];
	struct part_ctx pc = {.c = c};
	int stored = 0;

	for (int i = 0; i < PART_KEEP; i++)
		stored += store(c, 9, i, "p.example.", 3600) == 1;
	CHECK_EQ(stored, PART_KEEP);
	atomic_init(&pc.storing, TT_THREADS - 1);
	CHECK_EQ(tt_run(part_main, &pc, args), 0);
	CHECK(args[TT_THREADS - 1].count >= 2);
	printf("walk_part: %ld whole walks beside the stores and flushes\n",
	       args[TT_THREADS - 1].count);
	struct walk_check w = {0};
	CHECK_EQ(walk(c, "p.example.", T0 + SEC, &w), PART_KEEP);
	rw_cache_free(c);
}

/* ---------------------------------------------------------------------------------------------
 * Serve-expired, validation states and negative entries at once: two threads store short-lived
 * RRsets and NXDOMAIN entries, a third marks RRsets SECURE and reads them 20 s later as stale
 * answers (TTL 30), the fourth flushes the negative entries again and again. Every stale answer
 * has its own address; no RRset is lost; every negative entry is flushed or still there.
 */

#define STALE_N 1500

static int store_nxdomain(struct rw_cache *c, int t, int i)
{
	char name[128];
	ldns_rr *soa = NULL;

	snprintf(name, sizeof(name), "n%d.t%d.example.", i, t);
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	if (!d ||
	    ldns_rr_new_frm_str(&soa, "example. 300 IN SOA ns.example. h.example. 1 2 3 4 300", 0,
				NULL, NULL) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(d);
		return -1;
	}
	int rc = rw_cache_store_negative(c, RW_ENTRY_NXDOMAIN, d, 0, LDNS_RR_CLASS_IN, soa,
					 RW_RANK_ANSWER, NULL, T0);
	ldns_rr_free(soa);
	ldns_rdf_deep_free(d);
	return rc;
}

/* A stale answer for entry i of thread t at T0 + 20 s: 1 right (its address, TTL 30, expired
 * 10 s ago), 0 none, -1 wrong. */
static int stale_answer(struct rw_cache *c, int t, int i)
{
	char name[128];
	struct rw_client_query q = {.qtype = LDNS_RR_TYPE_A, .qclass = LDNS_RR_CLASS_IN};
	struct rw_cache_read rd = {.stale_ttl = 30};
	uint8_t out[512];

	entry_name(name, sizeof(name), t, i, "example.");
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	if (!d)
		return -1;
	memcpy(q.qname, ldns_rdf_data(d), ldns_rdf_size(d));
	q.qname_len = ldns_rdf_size(d);
	ldns_rdf_deep_free(d);
	size_t n = rw_cache_answer_read(c, &q, T0 + 20 * SEC, 11, out, sizeof(out), &rd);
	if (n == 0)
		return 0;
	const uint8_t want[4] = {10, (uint8_t)t, (uint8_t)(i >> 8), (uint8_t)i};
	const uint8_t ttl30[4] = {0, 0, 0, 30};
	return n > 16 && memcmp(out + n - 4, want, 4) == 0 && memcmp(out + n - 10, ttl30, 4) == 0 &&
			       rd.expired_us == 10 * SEC
		       ? 1
		       : -1;
}

static void *stale_main(void *p)
{
	struct tt_arg *a = p;
	struct rw_cache *c = a->ctx;

	for (int i = 0; i < STALE_N; i++) {
		if (a->id < 2) {
			if (store(c, a->id, i, "example.", 10) != 1 ||
			    store_nxdomain(c, a->id, i) != 1)
				a->errors++;
		} else if (a->id == 2) {
			int t = i % 2, k = i / 2;
			char name[128];
			entry_name(name, sizeof(name), t, k, "example.");
			ldns_rdf *d = ldns_dname_new_frm_str(name);
			a->count += rw_cache_set_vstate(c, RW_ENTRY_RRSET, d, LDNS_RR_TYPE_A,
							LDNS_RR_CLASS_IN, RW_VSTATE_SECURE, 0,
							T0 + SEC);
			ldns_rdf_deep_free(d);
			if (stale_answer(c, t, k) < 0)
				a->errors++;
		} else if (i % 20 == 19) {
			a->count += (long)rw_cache_flush(c, NULL, RW_FLUSH_NEGATIVE);
		}
	}
	return NULL;
}

struct kinds {
	long rrsets, negative, secure;
};

static void kinds_fn(void *arg, const struct rw_cache_entry *e)
{
	struct kinds *k = arg;
	k->rrsets += e->kind == RW_ENTRY_RRSET;
	k->negative += e->kind == RW_ENTRY_NXDOMAIN;
	k->secure += e->kind == RW_ENTRY_RRSET && e->vstate == RW_VSTATE_SECURE;
}

static void test_stale_vstate(void)
{
	struct rw_cache_opts o = {.max_ttl = 86400,
				  .max_negative_ttl = 3600,
				  .max_bytes = 16 << 20,
				  .stale_keep = 3600};
	struct rw_cache *c = rw_cache_new(&o, test_key);
	struct tt_arg args[TT_THREADS];
	struct kinds k = {0};

	CHECK_EQ(tt_run(stale_main, c, args), 0);
	rw_cache_walk(c, NULL, 0, T0 + SEC, kinds_fn, &k);
	CHECK_EQ(k.rrsets, 2 * STALE_N);
	CHECK_EQ(k.negative + args[3].count, 2 * STALE_N);
	CHECK(k.secure >= args[2].count && args[2].count > 0);
	/* after the threads: every RRset a stale answer with its own address */
	int right = 0;
	for (int t = 0; t < 2; t++)
		for (int i = 0; i < STALE_N; i++)
			right += stale_answer(c, t, i) == 1;
	CHECK_EQ(right, 2 * STALE_N);
	rw_cache_free(c);
}

int main(void)
{
	test_private_entries();
	test_evict();
	test_flush();
	test_reload();
	test_walk_part();
	test_stale_vstate();
	return rw_check_report("threads_cache");
}
