/* What the resolvers of one daemon share: see rootwalk/shared.h. */
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "rootwalk/shared.h"

static struct rw_cache_opts cache_opts(const struct rw_config *cfg)
{
	struct rw_cache_opts opts = {
		.max_bytes = cfg->cache_size,
		.max_ttl = cfg->cache_max_ttl,
		.min_ttl = cfg->cache_min_ttl,
		.max_negative_ttl = cfg->cache_max_negative_ttl,
		.validating = cfg->dnssec,
		.stale_keep = cfg->serve_expired ? cfg->serve_expired_ttl : 0,
	};
	return opts;
}

struct rw_anchors *rw_shared_anchors(const struct rw_config *cfg, char *err, size_t errlen)
{
	struct rw_anchors *a = rw_anchors_new();
	int rc = a ? 0 : -1;

	if (!a)
		snprintf(err, errlen, "out of memory");
	for (size_t i = 0; rc == 0 && i < cfg->n_trust_anchor_files; i++)
		rc = rw_anchors_load_file(a, cfg->trust_anchor_files[i], err, errlen);
	if (rc == 0 && cfg->n_trust_anchor_files == 0 && rw_anchors_add_builtin(a) < 0) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < cfg->n_domain_insecure; i++) {
		const uint8_t *w = cfg->domain_insecure[i];
		size_t len = 0;
		while (w[len] != 0)
			len += (size_t)w[len] + 1;
		ldns_rdf *name = ldns_dname_new_frm_data((uint16_t)(len + 1), w);
		if (!name || rw_anchors_add_insecure(a, name) < 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
		ldns_rdf_deep_free(name);
	}
	if (rc < 0) {
		rw_anchors_free(a);
		return NULL;
	}
	return a;
}

struct rw_shared *rw_shared_new(const struct rw_env *env, const struct rw_config *cfg, char *err,
				size_t errlen)
{
	struct rw_shared *s = calloc(1, sizeof(*s));
	uint8_t *key;

	if (!s || pthread_mutex_init(&s->gate_lock, NULL) != 0) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	key = s->key;
	s->hints = rw_hints_load(cfg->root_hints, err, errlen);
	if (!s->hints) {
		free(s);
		return NULL;
	}
	s->anchors = rw_shared_anchors(cfg, err, errlen);
	if (!s->anchors) {
		rw_shared_free(s);
		return NULL;
	}
	/* One SipHash key for the five tables: the core draws randomness only from env. */
	env->random_buf(env->ctx, key, sizeof(s->key));
	struct rw_cache_opts opts = cache_opts(cfg);
	s->cache = rw_cache_new(&opts, key);
	s->infra = rw_infra_new(key, cfg->infra_cache_numhosts, cfg->infra_ttl);
	s->keys = rw_keycache_new(RW_SHARED_KEYCACHE_MAX, key);
	s->nsec = rw_nseccache_new(RW_SHARED_NSECCACHE_MAX, key);
	s->pkeys = rw_dsec_pkeys_new(key);
	if (!s->cache || !s->infra || !s->keys || !s->nsec || !s->pkeys) {
		rw_shared_free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return s;
}

void rw_shared_free(struct rw_shared *s)
{
	if (!s)
		return;
	rw_cache_free(s->cache);
	rw_infra_free(s->infra);
	rw_hints_free(s->hints);
	rw_anchors_free(s->anchors);
	rw_keycache_free(s->keys);
	rw_nseccache_free(s->nsec);
	rw_dsec_pkeys_free(s->pkeys);
	rw_ratelimit_free(s->rl);
	sodium_memzero(s->cookie_secret, sizeof(s->cookie_secret));
	pthread_mutex_destroy(&s->gate_lock);
	free(s);
}

struct rw_hints *rw_shared_reconfigure(struct rw_shared *s, const struct rw_config *cfg, char *err,
				       size_t errlen)
{
	struct rw_hints *hints = rw_hints_load(cfg->root_hints, err, errlen);
	if (!hints)
		return NULL;
	struct rw_anchors *anchors = rw_shared_anchors(cfg, err, errlen);
	if (!anchors) {
		rw_hints_free(hints);
		return NULL;
	}
	/* Nothing fails from here. The anchors object stays where the workers find it: it takes
	 * the new anchors and insecure names and keeps its NTAs; the old contents go. */
	rw_anchors_replace(s->anchors, anchors);
	rw_anchors_free(anchors);
	rw_keycache_flush(s->keys, NULL, false);
	rw_nseccache_flush(s->nsec, NULL);
	struct rw_cache_opts opts = cache_opts(cfg);
	rw_cache_set_opts(s->cache, &opts);
	struct rw_hints *old = s->hints;
	s->hints = hints;
	return old;
}

const uint8_t *rw_shared_cookie_secret(struct rw_shared *s, const struct rw_env *env)
{
	if (!atomic_load_explicit(&s->have_secret, memory_order_acquire)) {
		pthread_mutex_lock(&s->gate_lock);
		if (!atomic_load_explicit(&s->have_secret, memory_order_relaxed)) {
			env->random_buf(env->ctx, s->cookie_secret, sizeof(s->cookie_secret));
			atomic_store_explicit(&s->have_secret, true, memory_order_release);
		}
		pthread_mutex_unlock(&s->gate_lock);
	}
	return s->cookie_secret;
}

bool rw_shared_primed(struct rw_shared *s)
{
	return atomic_load_explicit(&s->primed, memory_order_relaxed);
}

bool rw_shared_reprime_claim(struct rw_shared *s)
{
	return rw_shared_primed(s) &&
	       !atomic_exchange_explicit(&s->repriming, true, memory_order_relaxed);
}

void rw_shared_prime_finished(struct rw_shared *s, bool ok, bool claimed)
{
	if (ok)
		atomic_store_explicit(&s->primed, true, memory_order_relaxed);
	if (claimed)
		atomic_store_explicit(&s->repriming, false, memory_order_relaxed);
}

enum rw_rl_verdict rw_shared_ratelimit(struct rw_shared *s, const struct sockaddr *client,
				       uint64_t now_ms, uint32_t qps, uint32_t slip, bool *sample)
{
	enum rw_rl_verdict v = RW_RL_PASS;

	*sample = false;
	pthread_mutex_lock(&s->gate_lock);
	if (!s->rl)
		s->rl = rw_ratelimit_new(s->key, RW_RATELIMIT_SLOTS);
	if (s->rl)
		v = rw_ratelimit_check(s->rl, client, now_ms, qps, slip, sample);
	pthread_mutex_unlock(&s->gate_lock);
	return v;
}
