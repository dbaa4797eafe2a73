/* Walking the cache in parts, by a cursor that survives changes between parts (dump-cache). See
 * rw_cache_walk_part in cache.h.
 *
 * A shard's table has a power-of-two number of buckets and a node sits in bucket hash & mask.
 * The cursor counts bucket indexes with their bits reversed: after bucket i of a table of 2^k
 * buckets come all buckets whose index ends in the same low bits in any larger table, so when the
 * table doubles between two parts, the buckets still to visit hold exactly the nodes not yet
 * visited (Redis's SCAN uses the same idea).
 */
#include "cache_impl.h"

/* Buckets looked at per part at most, however few entries they hold. */
#define WALK_MAX_BUCKETS 4096

static uint64_t rev64(uint64_t v)
{
	v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
	v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
	v = ((v >> 4) & 0x0f0f0f0f0f0f0f0full) | ((v & 0x0f0f0f0f0f0f0f0full) << 4);
	v = ((v >> 8) & 0x00ff00ff00ff00ffull) | ((v & 0x00ff00ff00ff00ffull) << 8);
	v = ((v >> 16) & 0x0000ffff0000ffffull) | ((v & 0x0000ffff0000ffffull) << 16);
	return (v >> 32) | (v << 32);
}

/* The bucket after v in reverse-binary order for a table of mask + 1 buckets; 0 after the last. */
static uint64_t next_bucket(uint64_t v, uint64_t mask)
{
	v |= ~mask;
	v = rev64(v);
	v++;
	return rev64(v);
}

size_t rw_cache_walk_part(struct rw_cache *c, struct rw_cache_cursor *cur, size_t max,
			  int64_t now_us, void (*fn)(void *arg, const struct rw_cache_entry *e),
			  void *arg)
{
	struct node *snaps = NULL;
	size_t taken = 0, buckets = 0;

	while (!cur->done && taken < max && buckets < WALK_MAX_BUCKETS) {
		struct shard *s = &c->shards[cur->shard];

		/* Copy the bucket's valid nodes under the lock; decode and call back without it. */
		pthread_mutex_lock(&s->lock);
		while (taken < max && buckets < WALK_MAX_BUCKETS) {
			uint64_t mask = s->n_buckets - 1;

			for (struct node *n = s->buckets[cur->bucket & mask]; n; n = n->hnext) {
				struct node *snap;

				if (n->expires_us <= now_us || !(snap = malloc(n->alloc)))
					continue;
				memcpy(snap, n, n->alloc);
				snap->hnext = snaps;
				snaps = snap;
				taken++;
			}
			buckets++;
			cur->bucket = next_bucket(cur->bucket, mask);
			if (cur->bucket == 0)
				break; /* the shard is done */
		}
		pthread_mutex_unlock(&s->lock);
		/* The inner loop looked at one bucket at least: 0 now means it wrapped. */
		if (cur->bucket == 0 && ++cur->shard == SHARDS)
			cur->done = true;
	}
	return cache_snaps_visit(snaps, fn, arg);
}
