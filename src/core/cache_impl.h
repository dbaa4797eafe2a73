/* Internals of the cache, shared by cache.c (shards, storing, flushing) and cache_read.c
 * (copies out, the wire fast path, walking). Not installed. */
#ifndef RW_CACHE_IMPL_H
#define RW_CACHE_IMPL_H

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>

#include "rootwalk/cache.h"
#include "rootwalk/wire.h"

#define SHARDS		  16 /* power of two */
#define SHARD_BITS	  4
#define MIN_BUCKETS	  64
#define DEFAULT_MAX_BYTES ((size_t)64 << 20)

struct node {
	struct node *hnext;	    /* bucket chain */
	struct node *lprev, *lnext; /* LRU: head is the most recently used */
	uint64_t hash;
	int64_t stored_us, expires_us;
	int64_t sig_expires_us; /* earliest RRSIG expiration, 0 when none */
	uint32_t orig_ttl;
	uint32_t size;	/* bytes accounted */
	uint32_t alloc; /* bytes allocated */
	uint32_t rrs_len, sigs_len, proof_len;
	uint16_t soa_len;
	uint16_t type, klass;
	uint16_t n_rrs, n_sigs, n_proof;
	uint16_t src_port;
	uint8_t kind, rank, vstate, owner_len;
	uint8_t server_len, zone_len; /* string lengths, NUL not stored */
	uint8_t src_family;
	uint8_t flags; /* NODE_WILDCARD */
	uint8_t src_addr[16];
	uint8_t data[]; /* owner | rrs | sigs | soa | proof | server | zone */
};

/* An RRset stored with proof: a wildcard expansion. */
#define NODE_WILDCARD 1u

/* Each shard on cache lines of its own (SHARD_ALIGN): workers answering from two shards do not
 * pass one line between their cores at every lock and unlock. */
#define SHARD_ALIGN 64

struct shard {
	_Alignas(SHARD_ALIGN) pthread_mutex_t lock;
	struct node **buckets;
	size_t n_buckets;
	struct node *lru_head, *lru_tail;
	size_t count, bytes, max_bytes;
	int64_t keep_us; /* expired entries are kept this long (serve-expired), 0: reaped */
	uint64_t evictions;
};

struct rw_cache {
	/* A reload (rw_cache_set_opts) changes the options while workers store and answer:
	 * opts_lock covers opts, whose TTL caps a store reads together (never one configuration's
	 * maximum with the other's minimum); validating is opts.validating for the fast path, which
	 * reads it without a lock (a relaxed load: a plain load on x86). */
	pthread_mutex_t opts_lock;
	struct rw_cache_opts opts;
	atomic_bool validating;
	uint8_t key[crypto_shorthash_KEYBYTES];
	struct shard shards[SHARDS];
};

static inline void lower_copy(uint8_t *dst, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? (uint8_t)(src[i] + 32) : src[i];
}

static inline const uint8_t *node_owner(const struct node *n)
{
	return n->data;
}

/* The proof region: whole wire records (owner uncompressed, type, class, TTL, rdata). */
static inline const uint8_t *node_proof(const struct node *n)
{
	return n->data + n->owner_len + n->rrs_len + n->sigs_len + n->soa_len;
}

/* The provenance strings: server then zone. */
static inline const uint8_t *node_strings(const struct node *n)
{
	return node_proof(n) + n->proof_len;
}

static inline uint32_t node_ttl_left(const struct node *n, int64_t now_us)
{
	if (n->expires_us <= now_us)
		return 0;
	int64_t left = (n->expires_us - now_us + 999999) / 1000000;
	return left > (int64_t)n->orig_ttl ? n->orig_ttl : (uint32_t)left;
}

static inline struct shard *shard_of(struct rw_cache *c, uint64_t h)
{
	return &c->shards[h >> (64 - SHARD_BITS)];
}

/* Decode a copy of a node (taken under its shard's lock) into a caller-owned entry; false when
 * it cannot be decoded (cache_read.c). */
bool node_decode(const struct node *n, struct rw_cache_entry *out);
/* Decode each copied node of the list snaps (chained by hnext), call fn with it, free it.
 * Returns how many were decoded. */
size_t cache_snaps_visit(struct node *snaps, void (*fn)(void *arg, const struct rw_cache_entry *e),
			 void *arg);
/* The keyed SipHash of a lower-cased owner name, and an entry's key hash derived from it. */
uint64_t cache_owner_hash(const struct rw_cache *c, const uint8_t *owner, size_t len);
uint64_t cache_key_mix(uint64_t owner_hash, uint16_t type, uint16_t klass, uint8_t kind);
/* cache_key_mix(cache_owner_hash(owner), type, klass, kind) */
uint64_t cache_key_hash(const struct rw_cache *c, const uint8_t *owner, size_t len, uint16_t type,
			uint16_t klass, uint8_t kind);
/* Does a node match a flush/walk selection (name, RW_FLUSH_SUBTREE, RW_FLUSH_NEGATIVE)? */
bool cache_matches(const struct node *n, const uint8_t *name, size_t len, unsigned flags);
/* Lower-cased wire form of a name into out; its length, or 0 when unusable. */
size_t cache_owner_key(const ldns_rdf *name, uint8_t out[255]);
/* The key of an entry (kind, name, type, class): the lower-cased owner into owner, its length
 * (0: unusable), the hash in *h; the type of an NXDOMAIN entry is 0. */
static inline size_t cache_key_of(const struct rw_cache *c, enum rw_entry_kind kind,
				  const ldns_rdf *name, uint16_t *type, uint16_t klass,
				  uint8_t owner[255], uint64_t *h)
{
	size_t len = cache_owner_key(name, owner);
	if (kind == RW_ENTRY_NXDOMAIN)
		*type = 0;
	if (len)
		*h = cache_key_hash(c, owner, len, *type, klass, (uint8_t)kind);
	return len;
}
/* A valid node of at least min_rank, touched in the LRU; an expired one is unlinked and handed
 * back in *reaped for the caller to free after the lock, unless expired less than keep_us ago:
 * then it is kept, and returned when stale is true. The caller holds the shard's lock. */
struct node *cache_shard_get(struct shard *s, uint64_t h, const uint8_t *owner, size_t len,
			     uint16_t type, uint16_t klass, uint8_t kind, int64_t now_us,
			     enum rw_rank min_rank, struct node **reaped, bool stale);

/* cache_dnssec.c: proof records and RRSIG expirations (calls nothing in cache.c or
 * cache_read.c). */

/* Append the records of proof to b as whole wire records (owners uncompressed); count them in
 * *n and lower *min_ttl to the smallest of their TTLs. Returns false on failure. */
bool cache_proof_encode(ldns_buffer *b, const ldns_rr_list *proof, uint16_t *n, uint32_t *min_ttl);
/* The earliest expiration (wall-clock microseconds, serial arithmetic around now_us, RFC 4034
 * 3.1.5) of the RRSIGs in list, or earliest when it is earlier and non-zero; 0 when none. */
int64_t cache_sig_expiry(const ldns_rr_list *list, int64_t now_us, int64_t earliest);
/* The proof region of a node as a new list with TTLs ttl; NULL when empty or on failure
 * (*failed then says which). */
ldns_rr_list *cache_proof_decode(const uint8_t *p, uint32_t len, uint16_t count, uint32_t ttl,
				 bool *failed);

#endif
