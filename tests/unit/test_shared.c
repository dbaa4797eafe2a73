/* One cache, infrastructure cache and set of root hints (struct rw_shared) under two resolvers,
 * as worker threads will have it: what one learns, the other answers from; a reload goes
 * through the shared state and then each resolver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "fakenet.h"
#include "rootwalk/resolver.h"
#include "rootwalk/shared.h"

static ldns_rdf *dname(const char *s)
{
	ldns_rdf *d = ldns_dname_new_frm_str(s);
	if (!d)
		abort();
	return d;
}

/* The owner of the anchor above name, "" when there is none. */
static const char *anchor_of(struct rw_shared *s, const char *name)
{
	static char buf[256];
	ldns_rdf *n = dname(name), *owner = NULL;
	ldns_rr_list *ds = NULL;

	buf[0] = '\0';
	if (rw_anchors_find(s->anchors, n, &owner, &ds)) {
		char *o = ldns_rdf2str(owner);
		snprintf(buf, sizeof(buf), "%s/%zu", o ? o : "?", ldns_rr_list_rr_count(ds));
		free(o);
	}
	ldns_rdf_deep_free(n);
	ldns_rdf_deep_free(owner);
	ldns_rr_list_deep_free(ds);
	return buf;
}

static void add_file(struct rw_config *cfg, const char *path)
{
	cfg->trust_anchor_files = realloc(cfg->trust_anchor_files, sizeof(char *));
	cfg->trust_anchor_files[0] = strdup(path);
	cfg->n_trust_anchor_files = 1;
}

/* Trust anchors and the key cache: built from the configuration, replaced by a reload that
 * keeps the negative trust anchors and empties the key cache; a reload with a file that does
 * not load changes nothing. */
static void test_trust(struct fakenet *fn, struct rw_shared *s, const char *hints)
{
	char ta[] = "/tmp/rw-shared-ta-XXXXXX", err[256];
	int fd = mkstemp(ta);
	struct rw_keyentry e = {.state = RW_VSTATE_BOGUS, .expires_us = INT64_MAX};
	ldns_rdf *corp = dname("corp."), *nta = dname("broken.example.");
	struct rw_config *cfg = fn_config(hints), *bad = fn_config(hints);

	CHECK(fd >= 0 && write(fd, "example. DS 1 8 2 00ff\n", 23) == 23);
	close(fd);
	CHECK(strcmp(anchor_of(s, "www.example."), "./2") == 0); /* the built-in root anchor */
	CHECK(s->keys != NULL);
	CHECK_EQ(rw_keycache_put(s->keys, corp, &e), 0);
	CHECK_EQ(rw_anchors_nta_add(s->anchors, nta, 3600, fn->wall_us), 0);

	add_file(bad, "/nonexistent/ta");
	struct rw_anchors *before = s->anchors;
	CHECK(rw_shared_reconfigure(s, bad, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "/nonexistent/ta") != NULL);
	CHECK(strcmp(anchor_of(s, "www.example."), "./2") == 0);
	CHECK_EQ(rw_keycache_walk(s->keys, fn->wall_us, NULL, NULL), 1);

	add_file(cfg, ta);
	cfg->domain_insecure = calloc(1, 256);
	memcpy(cfg->domain_insecure[0], "\4corp", 6);
	cfg->n_domain_insecure = 1;
	struct rw_hints *old = rw_shared_reconfigure(s, cfg, err, sizeof(err));
	CHECK(old != NULL);
	rw_hints_free(old);
	CHECK(s->anchors == before);
	CHECK(strcmp(anchor_of(s, "www.example."), "example./1") == 0);
	CHECK(strcmp(anchor_of(s, "org."), "") == 0);
	CHECK_EQ(rw_anchors_insecure(s->anchors, corp, fn->wall_us, NULL, 0), RW_INSECURE_DOMAIN);
	CHECK_EQ(rw_anchors_insecure(s->anchors, nta, fn->wall_us, NULL, 0), RW_INSECURE_NTA);
	CHECK_EQ(rw_keycache_walk(s->keys, fn->wall_us, NULL, NULL), 0);

	/* a new shared state from cfg: the file's anchor, the insecure name */
	struct rw_shared *t = rw_shared_new(&fn->env, cfg, err, sizeof(err));
	CHECK(t != NULL);
	if (t) {
		CHECK(strcmp(anchor_of(t, "a.example."), "example./1") == 0);
		CHECK_EQ(rw_anchors_insecure(t->anchors, corp, fn->wall_us, NULL, 0),
			 RW_INSECURE_DOMAIN);
	}
	rw_shared_free(t);
	CHECK(rw_shared_new(&fn->env, bad, err, sizeof(err)) == NULL);

	ldns_rdf_deep_free(corp);
	ldns_rdf_deep_free(nta);
	rw_config_free(cfg);
	rw_config_free(bad);
	unlink(ta);
}

/* Whether the root NS set is cached as an answer (a priming's), now. */
static bool root_primed(struct fakenet *fn, struct rw_shared *s)
{
	ldns_rdf *root = dname(".");
	struct rw_cache_entry e;
	bool ok = rw_cache_get(s->cache, RW_ENTRY_RRSET, root, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN,
			       fn->wall_us, RW_RANK_ANSWER, &e);

	if (ok)
		rw_cache_entry_clear(&e);
	ldns_rdf_deep_free(root);
	return ok;
}

/* RFC 8109 4 under two resolvers, as with worker threads: only the first primes (the daemon's
 * main loop); once the primed root NS set has expired, the second, whose walk falls back to the
 * root hints, primes it again. */
static void test_reprime(struct fakenet *fn, struct rw_shared *s, struct rw_resolver *one,
			 struct rw_resolver *two)
{
	fn->r = one;
	CHECK_EQ(rw_resolver_prime(one), 0);
	fn_run(fn, 20);
	CHECK(root_primed(fn, s));
	fn_advance(fn, 86401); /* cache-max-ttl: the primed set has expired */
	CHECK(!root_primed(fn, s));
	fn->r = two;
	CHECK_EQ(fn_ask(fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	fn_run(fn, 20);
	CHECK(root_primed(fn, s));
	CHECK_EQ(rw_resolver_pending(two), 0);
}

int main(void)
{
	char hints[64], err[256];
	struct fakenet fn;

	if (fn_hints_file(hints, sizeof(hints)) < 0)
		return 1;
	fn_init(&fn, false);
	fn_example_world(&fn);
	struct rw_config *cfg = fn_config(hints);
	struct rw_shared *shared = rw_shared_new(&fn.env, cfg, err, sizeof(err));
	CHECK(shared != NULL);
	struct rw_resolver *one = rw_resolver_new_shared(&fn.env, cfg, shared, err, sizeof(err));
	struct rw_resolver *two = rw_resolver_new_shared(&fn.env, cfg, shared, err, sizeof(err));
	CHECK(one && two);

	/* the first resolver walks; the second answers from the same cache, asking nobody */
	fn.r = one;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	unsigned sent = fn.sent_total;
	CHECK(sent >= 2);
	fn.r = two;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&fn, "203.0.113.7"));
	CHECK_EQ(fn.sent_total, sent);
	CHECK(rw_resolver_cache(one) == rw_resolver_cache(two));
	CHECK_EQ(rw_resolver_stats(two)->fast_path, 1);
	test_reprime(&fn, shared, one, two);

	/* a reload: bad hints change nothing; good ones reach both resolvers */
	struct rw_config *bad = fn_config("/nonexistent/hints");
	CHECK(rw_shared_reconfigure(shared, bad, err, sizeof(err)) == NULL);
	struct rw_config *cfg2 = fn_config(hints);
	cfg2->cache_max_ttl = 60;
	struct rw_hints *old = rw_shared_reconfigure(shared, cfg2, err, sizeof(err));
	CHECK(old != NULL && old != shared->hints);
	rw_resolver_use_config(one, cfg2);
	rw_resolver_use_config(two, cfg2);
	rw_hints_free(old);
	CHECK_EQ(rw_cache_cap_ttl(shared->cache, 300, false), 60);
	fn.r = one;
	CHECK_EQ(fn_ask(&fn, "example.", LDNS_RR_TYPE_SOA, true), LDNS_RCODE_NOERROR);
	CHECK(fn_ttl(&fn, LDNS_RR_TYPE_SOA) <= 60);

	test_trust(&fn, shared, hints);

	/* a resolver made alone owns its shared state and reloads it itself */
	fn.r = NULL;
	rw_resolver_free(one);
	rw_resolver_free(two);
	struct rw_resolver *alone = rw_resolver_new(&fn.env, cfg, err, sizeof(err));
	CHECK(alone && rw_resolver_reconfigure(alone, cfg2, err, sizeof(err)) == 0);
	CHECK(rw_resolver_reconfigure(alone, bad, err, sizeof(err)) < 0);
	rw_resolver_free(alone);
	rw_shared_free(shared);
	fn_free(&fn);
	rw_config_free(cfg);
	rw_config_free(cfg2);
	rw_config_free(bad);
	unlink(hints);
	return rw_check_report("shared");
}
