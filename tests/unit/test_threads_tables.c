/* The other tables the worker threads share (struct rw_shared), each under four threads at
 * once: the infrastructure cache, the key cache, the NSEC cache, the trust anchors with their
 * negative trust anchors, the kept ECDSA keys, and a reload (rw_shared_reconfigure) while the
 * others read and write. Each test checks that the results add up afterwards; under the TSan
 * build ThreadSanitizer also reports any access the locks do not order. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <ldns/ldns.h>

#include "fakenet.h"
#include "fakesign.h"
#include "rootwalk/dnssec.h"
#include "rootwalk/shared.h"
#include "threads.h"

#define SEC 1000000LL
static const int64_t T0 = 1795600800LL * SEC; /* 2026-11-25T10:00:00Z */
static const uint8_t test_key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static ldns_rdf *dname(const char *s)
{
	ldns_rdf *d = ldns_dname_new_frm_str(s);
	if (!d)
		abort();
	return d;
}

static ldns_rr *rr_new(const char *text)
{
	ldns_rr *rr = NULL;
	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		abort();
	return rr;
}

static struct sockaddr_in addr(int last)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(53)};
	sin.sin_addr.s_addr = htonl(0xc0000200u | (uint32_t)last); /* 192.0.2.last */
	return sin;
}

/* ---------------------------------------------------------------------------------------------
 * Infrastructure cache: every thread measures its own server and one they all share, marks its
 * own server lame for its own zone, and counts replies with the wrong case.
 */

#define INFRA_N 2000

static void *infra_main(void *p)
{
	struct tt_arg *a = p;
	struct rw_infra *inf = a->ctx;
	struct sockaddr_in own = addr(10 + a->id), shared = addr(1);
	char zone[64];
	struct rw_server_info si;

	snprintf(zone, sizeof(zone), "z.t%d.example.", a->id);
	ldns_rdf *z = dname(zone);
	for (int i = 0; i < INFRA_N; i++) {
		rw_infra_rtt(inf, (struct sockaddr *)&own, 20000, T0);
		rw_infra_rtt(inf, (struct sockaddr *)&shared, 30000, T0);
		if (i % 3 == 0)
			rw_infra_timeout(inf, (struct sockaddr *)&shared, T0);
		rw_infra_get(inf, (struct sockaddr *)&shared, T0, 12000, &si);
		/* every sample is 30 ms: the smoothed RTT cannot be anything else */
		if (!si.known || si.srtt_us != 30000 || si.timeouts > 16)
			a->errors++;
		rw_infra_get(inf, (struct sockaddr *)&own, T0, 12000, &si);
		if (!si.known || si.srtt_us != 20000 || si.timeouts != 0)
			a->errors++;
		if (i % 100 == 0) {
			rw_infra_set_lame(inf, (struct sockaddr *)&own, z, T0);
			if (!rw_infra_is_lame(inf, (struct sockaddr *)&own, z, T0))
				a->errors++;
		}
		a->count += (long)rw_infra_case_mismatch(inf, T0);
	}
	ldns_rdf_deep_free(z);
	return NULL;
}

static void test_infra(void)
{
	struct rw_infra *inf = rw_infra_new(test_key, 1000, 900);
	struct tt_arg args[TT_THREADS];

	CHECK_EQ(tt_run(infra_main, inf, args), 0);
	CHECK_EQ(rw_infra_count(inf), TT_THREADS + 1);
	/* every wrong-case reply counted once: the ones reported, plus the rest 100 s later */
	long reported = tt_sum(args) + (long)rw_infra_case_mismatch(inf, T0 + 100 * SEC);
	CHECK_EQ(reported, TT_THREADS * INFRA_N + 1);
	rw_infra_free(inf);
}

/* ---------------------------------------------------------------------------------------------
 * Key cache: every thread puts its own insecure zones (the reason names the zone), reads them
 * back at once, puts bogus zones that thread 0 flushes (bogus only) again and again, and walks.
 */

#define KEYS_N 1500

/* Put an entry whose reason is its zone's name; 1 when the put failed (counted by the caller:
 * CHECK is not for threads). */
static int key_put(struct rw_keycache *k, const char *zone, enum rw_vstate st)
{
	struct rw_keyentry e = {.state = st, .stored_us = T0, .expires_us = T0 + 600 * SEC};
	e.ede = st == RW_VSTATE_BOGUS ? 6 : -1;
	snprintf(e.why, sizeof(e.why), "%s", zone);
	ldns_rdf *z = dname(zone);
	int rc = rw_keycache_put(k, z, &e);
	ldns_rdf_deep_free(z);
	return rc != 0;
}

struct key_walk {
	long insecure, wrong;
};

static void key_walk_fn(void *arg, const char *zone, const struct rw_keyentry *e)
{
	struct key_walk *w = arg;
	/* each entry's reason is its own zone's name: no entry mixed with another */
	if (strcmp(zone, e->why) != 0 || (e->state == RW_VSTATE_BOGUS) != (zone[0] == 'b'))
		w->wrong++;
	w->insecure += e->state == RW_VSTATE_INSECURE;
}

static void *keys_main(void *p)
{
	struct tt_arg *a = p;
	struct rw_keycache *k = a->ctx;
	char zone[64];
	struct rw_keyentry e;

	for (int i = 0; i < KEYS_N; i++) {
		snprintf(zone, sizeof(zone), "z%d.t%d.", i, a->id);
		a->errors += key_put(k, zone, RW_VSTATE_INSECURE);
		ldns_rdf *z = dname(zone);
		if (!rw_keycache_get(k, z, T0 + SEC, &e)) {
			a->errors++;
		} else {
			a->errors += e.state != RW_VSTATE_INSECURE || strcmp(e.why, zone) != 0;
			rw_keyentry_clear(&e);
		}
		ldns_rdf_deep_free(z);
		snprintf(zone, sizeof(zone), "b%d.t%d.", i, a->id);
		a->errors += key_put(k, zone, RW_VSTATE_BOGUS);
		if (a->id == 0 && i % 10 == 0)
			a->count += (long)rw_keycache_flush(k, NULL, true);
		if (i % 250 == 0) {
			struct key_walk w = {0};
			rw_keycache_walk(k, T0 + SEC, key_walk_fn, &w);
			a->errors += (int)w.wrong;
		}
	}
	return NULL;
}

static void test_keycache(void)
{
	struct rw_keycache *k = rw_keycache_new(100000, test_key);
	struct tt_arg args[TT_THREADS];

	CHECK_EQ(tt_run(keys_main, k, args), 0);
	struct key_walk w = {0};
	size_t n = rw_keycache_walk(k, T0 + SEC, key_walk_fn, &w);
	CHECK_EQ(w.wrong, 0);
	/* no insecure entry lost; every bogus one either flushed or still there */
	CHECK_EQ(w.insecure, TT_THREADS * KEYS_N);
	CHECK_EQ((long)n - w.insecure + args[0].count, TT_THREADS * KEYS_N);
	CHECK(args[0].count > 0);
	rw_keycache_free(k);
}

/* ---------------------------------------------------------------------------------------------
 * NSEC cache: every thread puts NSEC records of its own zone and finds the NODATA they prove at
 * once; the last thread also flushes its zone now and then. The records left add up.
 */

#define NSEC_N 400

static int nsec_put(struct rw_nseccache *c, const char *zone, int i)
{
	char text[512];
	ldns_rr_list *proof = ldns_rr_list_new();

	snprintf(text, sizeof(text),
		 "%s 3600 IN RRSIG SOA 13 2 3600 20261225100000 20261124100000 4711 %s "
		 "AAAAAAAAAAAAAAAAAAAAAA==",
		 zone, zone);
	ldns_rr_list_push_rr(proof, rr_new(text));
	snprintf(text, sizeof(text), "n%d.%s 3600 IN NSEC n%d-.%s A RRSIG NSEC", i, zone, i, zone);
	ldns_rr_list_push_rr(proof, rr_new(text));
	snprintf(text, sizeof(text),
		 "n%d.%s 3600 IN RRSIG NSEC 13 3 3600 20261225100000 20261124100000 4711 %s "
		 "AAAAAAAAAAAAAAAAAAAAAA==",
		 i, zone, zone);
	ldns_rr_list_push_rr(proof, rr_new(text));
	snprintf(text, sizeof(text), "%s 3600 IN SOA ns.%s host.%s 1 1800 900 604800 300", zone,
		 zone, zone);
	ldns_rr *soa = rr_new(text);
	ldns_rdf *z = dname(zone);
	int n = rw_nseccache_put(c, z, soa, proof, T0);
	ldns_rdf_deep_free(z);
	ldns_rr_free(soa);
	ldns_rr_list_deep_free(proof);
	return n;
}

/* NODATA for TXT at nI.ZONE, proven by the NSEC at that name? */
static bool nsec_nodata(struct rw_nseccache *c, const char *zone, int i)
{
	char name[128];
	struct rw_nsec_hit h;

	snprintf(name, sizeof(name), "n%d.%s", i, zone);
	ldns_rdf *q = dname(name);
	bool ok = rw_nseccache_lookup(c, q, LDNS_RR_TYPE_TXT, T0 + SEC, &h);
	if (ok) {
		ok = h.rcode == LDNS_RCODE_NOERROR && h.nsec &&
		     ldns_dname_compare(ldns_rr_owner(h.nsec), q) == 0;
		rw_nsec_hit_clear(&h);
	}
	ldns_rdf_deep_free(q);
	return ok;
}

static void *nsec_main(void *p)
{
	struct tt_arg *a = p;
	struct rw_nseccache *c = a->ctx;
	char zone[64];
	long kept = 0; /* the last thread: records put since its last flush */

	snprintf(zone, sizeof(zone), "t%d.example.", a->id);
	ldns_rdf *z = dname(zone);
	for (int i = 0; i < NSEC_N; i++) {
		if (nsec_put(c, zone, i) != 1)
			a->errors++;
		kept++;
		/* an earlier record too: for the last thread, one put since its last flush */
		int back = a->id == TT_THREADS - 1 ? i - i % 50 : i / 2;
		if (!nsec_nodata(c, zone, i) || !nsec_nodata(c, zone, back))
			a->errors++;
		if (a->id == TT_THREADS - 1 && i % 50 == 49) {
			if ((long)rw_nseccache_flush(c, z) != kept)
				a->errors++;
			kept = 0;
		}
	}
	a->count = a->id == TT_THREADS - 1 ? kept : NSEC_N;
	ldns_rdf_deep_free(z);
	return NULL;
}

static void test_nseccache(void)
{
	struct rw_nseccache *c = rw_nseccache_new(50000, test_key);
	struct tt_arg args[TT_THREADS];
	size_t zones = 0;

	CHECK_EQ(tt_run(nsec_main, c, args), 0);
	CHECK_EQ(rw_nseccache_count(c, &zones), tt_sum(args));
	CHECK_EQ(zones, TT_THREADS - (args[TT_THREADS - 1].count == 0));
	rw_nseccache_free(c);
}

/* ---------------------------------------------------------------------------------------------
 * Trust anchors: the last thread replaces the anchors again and again (a reload: the built-in
 * root anchor's two DS, or a file's one) and adds and removes negative trust anchors; the others
 * always find an anchor of one set or the other, and the NTA added first stays throughout.
 */

#define ANCHOR_N 300

static void *anchors_main(void *p)
{
	struct tt_arg *a = p;
	struct rw_anchors *set = a->ctx;
	char err[256], name[64];

	if (a->id == TT_THREADS - 1) {
		for (int i = 0; i < ANCHOR_N; i++) {
			struct rw_anchors *next = rw_anchors_new();
			if (!next || (i % 2 ? rw_anchors_add_builtin(next)
					    : rw_anchors_add_text(next, ". DS 1 8 2 00ff", err,
								  sizeof(err))) < 0) {
				a->errors++;
				rw_anchors_free(next);
				continue;
			}
			rw_anchors_replace(set, next);
			rw_anchors_free(next);
			snprintf(name, sizeof(name), "nta%d.example.", i);
			ldns_rdf *n = dname(name);
			if (rw_anchors_nta_add(set, n, 3600, T0) < 0 ||
			    !rw_anchors_nta_remove(set, n))
				a->errors++;
			ldns_rdf_deep_free(n);
			a->count++;
		}
		return NULL;
	}
	ldns_rdf *www = dname("www.example."), *kept = dname("x.keep.example.");
	for (int i = 0; i < ANCHOR_N * 4; i++) {
		ldns_rdf *owner = NULL;
		ldns_rr_list *ds = NULL;
		if (!rw_anchors_find(set, www, &owner, &ds)) {
			a->errors++;
		} else {
			size_t n = ldns_rr_list_rr_count(ds);
			if (ldns_dname_label_count(owner) != 0 || (n != 1 && n != 2))
				a->errors++;
			ldns_rdf_deep_free(owner);
			ldns_rr_list_deep_free(ds);
		}
		if (rw_anchors_insecure(set, kept, T0 + SEC, NULL, 0) != RW_INSECURE_NTA ||
		    rw_anchors_insecure(set, www, T0 + SEC, NULL, 0) != RW_INSECURE_NOT)
			a->errors++;
		if (rw_anchors_nta_list(set, T0 + SEC, NULL, NULL) < 1)
			a->errors++;
	}
	ldns_rdf_deep_free(www);
	ldns_rdf_deep_free(kept);
	return NULL;
}

static void test_anchors(void)
{
	struct rw_anchors *set = rw_anchors_new();
	struct tt_arg args[TT_THREADS];
	ldns_rdf *keep = dname("keep.example.");

	CHECK(set && rw_anchors_add_builtin(set) == 0);
	CHECK_EQ(rw_anchors_nta_add(set, keep, 3600, T0), 0);
	CHECK_EQ(tt_run(anchors_main, set, args), 0);
	CHECK_EQ(args[TT_THREADS - 1].count, ANCHOR_N);
	CHECK_EQ(rw_anchors_nta_list(set, T0 + SEC, NULL, NULL), 1);
	CHECK_EQ(rw_anchors_each(set, NULL, NULL), 1);
	ldns_rdf_deep_free(keep);
	rw_anchors_free(set);
}

/* ---------------------------------------------------------------------------------------------
 * Kept ECDSA keys: more keys than the table has slots, so that a thread replaces a slot while
 * another verifies with the key it held; every signature verifies with its own key only.
 */

#define PKEY_KEYS 80
#define PKEY_N	  600

struct pkey_ctx {
	struct rw_dsec_pkeys *pk;
	ldns_rr_list *rrset;
	struct fs_key key[PKEY_KEYS];
	ldns_rr *sig[PKEY_KEYS];
};

static void *pkey_main(void *p)
{
	struct tt_arg *a = p;
	struct pkey_ctx *pc = a->ctx;

	for (int i = 0; i < PKEY_N; i++) {
		int k = (i * 7 + a->id * 13) % PKEY_KEYS;
		if (rw_dsec_pkey_verify(pc->pk, pc->rrset, pc->sig[k], pc->key[k].dnskey) != 1)
			a->errors++;
		if (i % 10 == 0 && rw_dsec_pkey_verify(pc->pk, pc->rrset, pc->sig[k],
						       pc->key[(k + 1) % PKEY_KEYS].dnskey) != 0)
			a->errors++;
		a->count++;
	}
	return NULL;
}

static void test_pkeys(void)
{
	struct pkey_ctx pc = {.pk = rw_dsec_pkeys_new(test_key), .rrset = ldns_rr_list_new()};
	struct tt_arg args[TT_THREADS];
	int made = 0;

	ldns_rr_list_push_rr(pc.rrset, rr_new("www.example. 3600 IN A 192.0.2.7"));
	for (int i = 0; i < PKEY_KEYS; i++) {
		ldns_key_list *keys = ldns_key_list_new();
		if (fs_key_new(&pc.key[i], "example.") < 0 || !keys)
			break;
		ldns_key_set_inception(pc.key[i].key, (uint32_t)(T0 / SEC - 86400));
		ldns_key_set_expiration(pc.key[i].key, (uint32_t)(T0 / SEC + 86400));
		ldns_key_list_push_key(keys, pc.key[i].key);
		ldns_rr_list *sigs = ldns_sign_public(pc.rrset, keys);
		ldns_key_list_set_key_count(keys, 0); /* the key stays pc.key[i]'s */
		ldns_key_list_free(keys);
		if (!sigs || ldns_rr_list_rr_count(sigs) != 1) {
			ldns_rr_list_deep_free(sigs);
			fs_key_free(&pc.key[i]);
			break;
		}
		pc.sig[i] = ldns_rr_list_pop_rr(sigs);
		ldns_rr_list_deep_free(sigs);
		made++;
	}
	CHECK_EQ(made, PKEY_KEYS);
	if (made == PKEY_KEYS) {
		CHECK_EQ(tt_run(pkey_main, &pc, args), 0);
		CHECK_EQ(tt_sum(args), TT_THREADS * PKEY_N);
	}
	for (int i = 0; i < made; i++) {
		fs_key_free(&pc.key[i]);
		ldns_rr_free(pc.sig[i]);
	}
	ldns_rr_list_deep_free(pc.rrset);
	rw_dsec_pkeys_free(pc.pk);
}

/* ---------------------------------------------------------------------------------------------
 * A reload of the shared state (rw_shared_reconfigure: new cache caps, new anchors, emptied key
 * and NSEC caches) in the last thread while the others use every table. The resolvers' own
 * pointer to the root hints is left out: a worker switches it when the reload reaches it.
 */

#define RELOAD_N 600

struct reload_ctx {
	struct rw_shared *s;
	struct rw_config *cfg[2]; /* cache-max-ttl 100 and 200 */
};

static int reload_store(struct rw_cache *c, int t, int i)
{
	char text[128];
	snprintf(text, sizeof(text), "h%d.t%d.example. 3600 IN A 10.%d.%d.%d", i, t, t, i >> 8,
		 i & 255);
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rr_list_push_rr(l, rr_new(text));
	int rc = rw_cache_store_rrset(c, l, RW_RANK_ANSWER, NULL, T0);
	ldns_rr_list_deep_free(l);
	return rc;
}

static void reload_walk_fn(void *arg, const struct rw_cache_entry *e)
{
	long *wrong = arg;
	*wrong += e->orig_ttl != 100 && e->orig_ttl != 200;
}

static void *reload_main(void *p)
{
	struct tt_arg *a = p;
	struct reload_ctx *rc = a->ctx;
	struct rw_shared *s = rc->s;
	char err[256], zone[64];

	if (a->id == TT_THREADS - 1) {
		for (int i = 0; i < 40; i++) {
			struct rw_hints *old =
				rw_shared_reconfigure(s, rc->cfg[i % 2], err, sizeof(err));
			a->errors += old == NULL;
			rw_hints_free(old);
			a->count += old != NULL;
		}
		return NULL;
	}
	ldns_rdf *www = dname("www.example.");
	for (int i = 0; i < RELOAD_N; i++) {
		if (reload_store(s->cache, a->id, i) != 1)
			a->errors++;
		snprintf(zone, sizeof(zone), "z%d.t%d.", i, a->id);
		a->errors += key_put(s->keys, zone, RW_VSTATE_INSECURE);
		if (nsec_put(s->nsec, "t.example.", a->id * RELOAD_N + i) != 1)
			a->errors++;
		ldns_rdf *owner = NULL;
		ldns_rr_list *ds = NULL;
		/* the built-in root anchor, before and after every reload */
		if (!rw_anchors_find(s->anchors, www, &owner, &ds) ||
		    ldns_rr_list_rr_count(ds) != 2)
			a->errors++;
		ldns_rdf_deep_free(owner);
		ldns_rr_list_deep_free(ds);
	}
	ldns_rdf_deep_free(www);
	return NULL;
}

static void test_shared_reload(void)
{
	char hints[64], err[256];
	struct fakenet fn;
	struct reload_ctx rc;
	struct tt_arg args[TT_THREADS];

	if (fn_hints_file(hints, sizeof(hints)) < 0) {
		CHECK(!"no hints file");
		return;
	}
	fn_init(&fn, false);
	rc.cfg[0] = fn_config(hints);
	rc.cfg[1] = fn_config(hints);
	rc.cfg[0]->cache_max_ttl = 100;
	rc.cfg[1]->cache_max_ttl = 200;
	rc.s = rw_shared_new(&fn.env, rc.cfg[0], err, sizeof(err));
	CHECK(rc.s != NULL);
	if (rc.s) {
		CHECK_EQ(tt_run(reload_main, &rc, args), 0);
		CHECK_EQ(args[TT_THREADS - 1].count, 40);
		long wrong = 0;
		CHECK_EQ(rw_cache_walk(rc.s->cache, NULL, 0, T0 + SEC, reload_walk_fn, &wrong),
			 (TT_THREADS - 1) * RELOAD_N);
		CHECK_EQ(wrong, 0);
		CHECK_EQ(rw_cache_cap_ttl(rc.s->cache, 3600, false), 200);
	}
	rw_shared_free(rc.s);
	rw_config_free(rc.cfg[0]);
	rw_config_free(rc.cfg[1]);
	fn_free(&fn);
	unlink(hints);
}

int main(void)
{
	test_infra();
	test_keycache();
	test_nseccache();
	test_anchors();
	test_pkeys();
	test_shared_reload();
	return rw_check_report("threads_tables");
}
