/* A resolver's life: creating it (alone or on a shared cache), its stages, a reload, freeing it,
 * and what the edge may read of it. Requests run in resolver.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "rootwalk/config.h"
#include "rootwalk/hints.h"
#include "rootwalk/layer.h"
#include "rootwalk/resolver.h"
#include "rootwalk/shared.h"
#include "rootwalk/check.h"
#include "resolver_impl.h"

/* The stages of a resolution: the iterator, then (dnssec: yes) the validator. */
const struct rw_layer *const rw_default_layers[2] = {&rw_layer_iterator, &rw_layer_validator};

int rw_default_layer_count(const struct rw_config *cfg)
{
	return cfg->dnssec ? 2 : 1;
}

int rw_resolver_set_layers(struct rw_resolver *r, const struct rw_layer *const *layers, int n)
{
	if (n < 1 || n > RW_MAX_STAGES || layers[0] != &rw_layer_iterator || r->n_reqs)
		return -EINVAL;
	r->layers = layers;
	r->n_layers = n;
	return 0;
}

struct rw_resolver *rw_resolver_new_shared(const struct rw_env *env, const struct rw_config *cfg,
					   struct rw_shared *shared, char *err, size_t errlen)
{
	struct rw_resolver *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->env = env;
	r->cfg = cfg;
	r->shared = shared;
	r->hints = shared->hints;
	rw_tap_init(&r->taps, env, &r->stats);
	r->layers = rw_default_layers;
	r->n_layers = rw_default_layer_count(cfg);
	rw_prime_init(&r->prime);
	env->random_buf(env->ctx, r->qkey, sizeof(r->qkey));
	r->share = rw_sendshare_new(r->qkey);
	if (!r->share) {
		free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (rw_gate_init(&r->gate, env, cfg, shared) < 0) {
		rw_sendshare_free(r->share);
		free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->ans = (struct rw_answerer){.env = env,
				      .cfg = cfg,
				      .cache = shared->cache,
				      .stats = &r->stats,
				      .buf = r->buf,
				      .cap = sizeof(r->buf),
				      .prefetch = rw_resolver_prefetch,
				      .prefetch_ctx = r};
	return r;
}

struct rw_resolver *rw_resolver_new(const struct rw_env *env, const struct rw_config *cfg,
				    char *err, size_t errlen)
{
	struct rw_shared *shared = rw_shared_new(env, cfg, err, errlen);
	struct rw_resolver *r =
		shared ? rw_resolver_new_shared(env, cfg, shared, err, errlen) : NULL;
	if (!r) {
		rw_shared_free(shared);
		return NULL;
	}
	r->owns_shared = true;
	return r;
}

void rw_resolver_free(struct rw_resolver *r)
{
	if (!r)
		return;
	while (r->reqs)
		req_free(r->reqs);
	rw_shared_prime_finished(r->shared, false, r->prime.claimed); /* a priming dropped */
	rw_check_free_all(r);
	rw_sendshare_free(r->share);
	rw_gate_deinit(&r->gate);
	rw_tap_deinit(&r->taps);
	if (r->owns_shared)
		rw_shared_free(r->shared);
	free(r->ans.tbuf.p);
	free(r);
}

int rw_resolver_reconfigure(struct rw_resolver *r, const struct rw_config *cfg, char *err,
			    size_t errlen)
{
	if (r->owns_shared) {
		struct rw_hints *old = rw_shared_reconfigure(r->shared, cfg, err, errlen);
		if (!old)
			return -EINVAL;
		rw_resolver_use_config(r, cfg);
		rw_hints_free(old);
		return 0;
	}
	rw_resolver_use_config(r, cfg);
	return 0;
}

void rw_resolver_use_config(struct rw_resolver *r, const struct rw_config *cfg)
{
	for (struct req *q = r->reqs; q; q = q->next) {
		q->sh.cfg = cfg;
		q->sh.hints = r->shared->hints;
	}
	r->hints = r->shared->hints;
	r->cfg = cfg;
	r->ans.cfg = cfg;
	rw_gate_use_config(&r->gate, r->env, cfg);
	/* requests under way keep their stages; new ones get the new configuration's */
	if (r->layers == rw_default_layers)
		r->n_layers = rw_default_layer_count(cfg);
}

size_t rw_resolver_pending(const struct rw_resolver *r)
{
	return r->n_reqs;
}

struct rw_cache *rw_resolver_cache(struct rw_resolver *r)
{
	return r->shared->cache;
}

struct rw_shared *rw_resolver_shared(struct rw_resolver *r)
{
	return r->shared;
}

const struct rw_stats *rw_resolver_stats(const struct rw_resolver *r)
{
	return &r->stats;
}

/* Access control for the listeners beside DNS (the metrics endpoint): the same compiled lines. */
enum rw_acl_action rw_resolver_acl(const struct rw_resolver *r, const struct sockaddr *client)
{
	return rw_acl_lookup(r->gate.acl, client);
}
