/* What the resolvers of one daemon share: see rootwalk/shared.h. */
#include <stdio.h>
#include <stdlib.h>

#include "rootwalk/shared.h"

static struct rw_cache_opts cache_opts(const struct rw_config *cfg)
{
	struct rw_cache_opts opts = {
		.max_bytes = cfg->cache_size,
		.max_ttl = cfg->cache_max_ttl,
		.min_ttl = cfg->cache_min_ttl,
		.max_negative_ttl = cfg->cache_max_negative_ttl,
	};
	return opts;
}

struct rw_shared *rw_shared_new(const struct rw_env *env, const struct rw_config *cfg, char *err,
				size_t errlen)
{
	struct rw_shared *s = calloc(1, sizeof(*s));
	uint8_t key[16];

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->hints = rw_hints_load(cfg->root_hints, err, errlen);
	if (!s->hints) {
		free(s);
		return NULL;
	}
	env->random_buf(env->ctx, key, sizeof(key));
	struct rw_cache_opts opts = cache_opts(cfg);
	s->cache = rw_cache_new(&opts, key);
	s->infra = rw_infra_new(key, 10000, cfg->infra_ttl);
	if (!s->cache || !s->infra) {
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
	free(s);
}

struct rw_hints *rw_shared_reconfigure(struct rw_shared *s, const struct rw_config *cfg, char *err,
				       size_t errlen)
{
	struct rw_hints *hints = rw_hints_load(cfg->root_hints, err, errlen);
	if (!hints)
		return NULL;
	struct rw_cache_opts opts = cache_opts(cfg);
	rw_cache_set_opts(s->cache, &opts);
	struct rw_hints *old = s->hints;
	s->hints = hints;
	return old;
}
