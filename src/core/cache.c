/* The cache: sharded hash tables of wire-format entries with LRU eviction. See cache.h.
 *
 * Each entry is one allocation: a fixed header, then the lower-cased owner name, the records'
 * rdata (each as RDLENGTH + RDATA, uncompressed), the RRSIGs likewise, the SOA of a negative
 * entry as a whole wire record, the proof records (NSEC, NSEC3, RRSIGs: whole wire records with
 * their own owners, see cache_dnssec.c), and the provenance strings. Its accounted size is the allocation
 * plus the allocator's overhead; bucket arrays are accounted too. A shard's lock covers its table,
 * its LRU list and its byte count; no pointer into a shard survives the lock.
 */
#include "cache_impl.h"

/* ---------------------------------------------------------------------------------------------
 * Names, sources, small helpers
 */

const char *rw_rank_name(enum rw_rank rank)
{
	switch (rank) {
	case RW_RANK_GLUE:
		return "glue";
	case RW_RANK_REFERRAL:
		return "referral";
	case RW_RANK_NONAUTH_ANSWER:
		return "non-authoritative answer";
	case RW_RANK_AUTH_AUTHORITY:
		return "authoritative authority";
	case RW_RANK_ANSWER:
		return "authoritative answer";
	default:
		return "none";
	}
}

const char *rw_entry_kind_name(enum rw_entry_kind kind)
{
	switch (kind) {
	case RW_ENTRY_NXDOMAIN:
		return "nxdomain";
	case RW_ENTRY_NODATA:
		return "nodata";
	case RW_ENTRY_PARENT_GLUE:
		return "parent-glue";
	default:
		return "rrset";
	}
}

struct rw_source *rw_source_new(const char *server, const char *zone, const struct sockaddr *addr,
				socklen_t addrlen)
{
	struct rw_source *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->refs = 1;
	s->server = strdup(server ? server : "");
	s->zone = strdup(zone ? zone : "");
	if (!s->server || !s->zone) {
		free(s->server);
		free(s->zone);
		free(s);
		return NULL;
	}
	if (addr && addrlen <= sizeof(s->addr)) {
		memcpy(&s->addr, addr, addrlen);
		s->addrlen = addrlen;
	}
	return s;
}

struct rw_source *rw_source_ref(struct rw_source *s)
{
	if (s)
		s->refs++;
	return s;
}

void rw_source_unref(struct rw_source *s)
{
	if (!s || --s->refs > 0)
		return;
	free(s->server);
	free(s->zone);
	free(s);
}

uint32_t rw_soa_negative_ttl(const ldns_rr *soa)
{
	uint32_t ttl = ldns_rr_ttl(soa);
	if (ttl & 0x80000000u)
		ttl = 0;
	if (ldns_rr_rd_count(soa) >= 7) {
		uint32_t min = ldns_rdf2native_int32(ldns_rr_rdf(soa, 6));
		if (min & 0x80000000u)
			min = 0;
		if (min < ttl)
			ttl = min;
	}
	return ttl;
}

uint32_t rw_cache_cap_ttl(const struct rw_cache *c, uint32_t ttl, bool negative)
{
	struct rw_cache *m = (struct rw_cache *)c; /* the lock only */
	pthread_mutex_lock(&m->opts_lock);
	uint32_t max = c->opts.max_ttl, max_neg = c->opts.max_negative_ttl, min = c->opts.min_ttl;
	pthread_mutex_unlock(&m->opts_lock);
	if (ttl & 0x80000000u)
		ttl = 0;
	if (negative && max_neg < max)
		max = max_neg;
	if (ttl > max)
		ttl = max;
	return ttl < min ? min : ttl;
}

/* What an allocation really costs: its usable size plus the allocator's chunk header. */
static size_t heap_size(void *p)
{
	return malloc_usable_size(p) + sizeof(size_t);
}

/* Lower-cased wire form of a dname rdf. Returns its length or 0 if unusable. */
size_t cache_owner_key(const ldns_rdf *name, uint8_t out[255])
{
	size_t len = ldns_rdf_size(name);
	if (ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME || len == 0 || len > 255)
		return 0;
	lower_copy(out, ldns_rdf_data(name), len);
	return len;
}

uint64_t cache_owner_hash(const struct rw_cache *c, const uint8_t *owner, size_t len)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h;
	crypto_shorthash(out, owner, len, c->key);
	memcpy(&h, out, sizeof(h));
	return h;
}

uint64_t cache_key_mix(uint64_t owner_hash, uint16_t type, uint16_t klass, uint8_t kind)
{
	/* The owner's keyed hash is unpredictable to an attacker; type, class and kind are few
	 * and public, so a fixed mixer (the MurmurHash3 finaliser) spreads them well enough. */
	uint64_t x = owner_hash ^
		     (((uint64_t)type << 24 | (uint64_t)klass << 8 | kind) * 0x9e3779b97f4a7c15ULL);
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint64_t cache_key_hash(const struct rw_cache *c, const uint8_t *owner, size_t len, uint16_t type,
			uint16_t klass, uint8_t kind)
{
	return cache_key_mix(cache_owner_hash(c, owner, len), type, klass, kind);
}

uint32_t rw_cache_ttl_left(const struct rw_cache_entry *e, int64_t now_us)
{
	if (e->expires_us <= now_us)
		return 0;
	int64_t left = (e->expires_us - now_us + 999999) / 1000000;
	return left > (int64_t)e->orig_ttl ? e->orig_ttl : (uint32_t)left;
}

/* ---------------------------------------------------------------------------------------------
 * Shards: table, LRU, accounting. Callers hold the shard lock.
 */

static void lru_unlink(struct shard *s, struct node *n)
{
	if (n->lprev)
		n->lprev->lnext = n->lnext;
	else
		s->lru_head = n->lnext;
	if (n->lnext)
		n->lnext->lprev = n->lprev;
	else
		s->lru_tail = n->lprev;
	n->lprev = n->lnext = NULL;
}

static void lru_push_head(struct shard *s, struct node *n)
{
	n->lprev = NULL;
	n->lnext = s->lru_head;
	if (s->lru_head)
		s->lru_head->lprev = n;
	s->lru_head = n;
	if (!s->lru_tail)
		s->lru_tail = n;
}

static void lru_touch(struct shard *s, struct node *n)
{
	if (s->lru_head == n)
		return;
	lru_unlink(s, n);
	lru_push_head(s, n);
}

static struct node **slot_of(struct shard *s, const struct node *n)
{
	struct node **pp = &s->buckets[n->hash & (s->n_buckets - 1)];
	while (*pp && *pp != n)
		pp = &(*pp)->hnext;
	return pp;
}

/* Unlink a node from its shard (table, LRU, accounting). The caller frees it. */
static void shard_remove(struct shard *s, struct node *n)
{
	struct node **pp = slot_of(s, n);
	if (*pp)
		*pp = n->hnext;
	lru_unlink(s, n);
	s->count--;
	s->bytes -= n->size;
}

static struct node *shard_find(struct shard *s, uint64_t h, const uint8_t *owner, size_t len,
			       uint16_t type, uint16_t klass, uint8_t kind)
{
	for (struct node *n = s->buckets[h & (s->n_buckets - 1)]; n; n = n->hnext)
		if (n->hash == h && n->type == type && n->klass == klass && n->kind == kind &&
		    n->owner_len == len && memcmp(node_owner(n), owner, len) == 0)
			return n;
	return NULL;
}

static void shard_grow(struct shard *s)
{
	if (s->count < s->n_buckets)
		return;
	size_t nb = s->n_buckets * 2;
	struct node **b = calloc(nb, sizeof(*b));
	if (!b)
		return; /* keep working with longer chains */
	for (size_t i = 0; i < s->n_buckets; i++) {
		struct node *n = s->buckets[i];
		while (n) {
			struct node *next = n->hnext;
			n->hnext = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
			n = next;
		}
	}
	s->bytes -= heap_size(s->buckets);
	free(s->buckets);
	s->bytes += heap_size(b);
	s->buckets = b;
	s->n_buckets = nb;
}

/* Find a valid node (or with stale, one expired less than the shard's keep_us ago); reaps it
 * when expired past keep_us (never served after expiry, except stale by serve-expired). */
struct node *cache_shard_get(struct shard *s, uint64_t h, const uint8_t *owner, size_t len,
			     uint16_t type, uint16_t klass, uint8_t kind, int64_t now_us,
			     enum rw_rank min_rank, struct node **reaped, bool stale)
{
	struct node *n = shard_find(s, h, owner, len, type, klass, kind);
	if (!n)
		return NULL;
	if (n->expires_us <= now_us && n->expires_us + s->keep_us <= now_us) {
		shard_remove(s, n);
		*reaped = n;
		return NULL;
	}
	if (n->expires_us <= now_us && !stale) /* kept for serve-expired, not served */
		return NULL;
	if (n->rank < min_rank)
		return NULL;
	lru_touch(s, n);
	return n;
}

/* ---------------------------------------------------------------------------------------------
 * Life cycle
 */

struct rw_cache *rw_cache_new(const struct rw_cache_opts *opts, const uint8_t key[16])
{
	/* aligned as its shards are: calloc gives 16 bytes at most */
	size_t size = (sizeof(struct rw_cache) + SHARD_ALIGN - 1) / SHARD_ALIGN * SHARD_ALIGN;
	struct rw_cache *c = aligned_alloc(SHARD_ALIGN, size);
	if (!c)
		return NULL;
	memset(c, 0, size);
	pthread_mutex_init(&c->opts_lock, NULL);
	memcpy(c->key, key, sizeof(c->key));
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shards[i];
		pthread_mutex_init(&s->lock, NULL);
		s->n_buckets = MIN_BUCKETS;
		s->buckets = calloc(s->n_buckets, sizeof(*s->buckets));
		if (!s->buckets) {
			rw_cache_free(c);
			return NULL;
		}
		/* the cache's own struct is charged to the shards too */
		s->bytes = heap_size(s->buckets) + heap_size(c) / SHARDS;
	}
	rw_cache_set_opts(c, opts);
	return c;
}

void rw_cache_free(struct rw_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shards[i];
		struct node *n = s->lru_head;
		while (n) {
			struct node *next = n->lnext;
			free(n);
			n = next;
		}
		free(s->buckets);
		pthread_mutex_destroy(&s->lock);
	}
	pthread_mutex_destroy(&c->opts_lock);
	free(c);
}

void rw_cache_set_opts(struct rw_cache *c, const struct rw_cache_opts *opts)
{
	size_t max_bytes = opts->max_bytes ? opts->max_bytes : DEFAULT_MAX_BYTES;

	pthread_mutex_lock(&c->opts_lock);
	c->opts = *opts;
	c->opts.max_bytes = max_bytes;
	atomic_store_explicit(&c->validating, opts->validating, memory_order_relaxed);
	pthread_mutex_unlock(&c->opts_lock);
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shards[i];
		pthread_mutex_lock(&s->lock);
		s->max_bytes = max_bytes / SHARDS;
		s->keep_us = (int64_t)opts->stale_keep * 1000000;
		pthread_mutex_unlock(&s->lock);
	}
}

enum shard_total { TOTAL_COUNT, TOTAL_BYTES, TOTAL_EVICTIONS };

/* One of the shards' counters summed, each read under its shard's lock. */
static uint64_t shards_total(const struct rw_cache *c, enum shard_total what)
{
	uint64_t n = 0;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = (struct shard *)&c->shards[i];
		pthread_mutex_lock(&s->lock);
		n += what == TOTAL_COUNT ? s->count : what == TOTAL_BYTES ? s->bytes : s->evictions;
		pthread_mutex_unlock(&s->lock);
	}
	return n;
}

size_t rw_cache_count(const struct rw_cache *c)
{
	return (size_t)shards_total(c, TOTAL_COUNT);
}

size_t rw_cache_bytes(const struct rw_cache *c)
{
	return (size_t)shards_total(c, TOTAL_BYTES);
}

uint64_t rw_cache_evictions(const struct rw_cache *c)
{
	return shards_total(c, TOTAL_EVICTIONS);
}

/* ---------------------------------------------------------------------------------------------
 * Storing
 */

/* rdata of rr appended to b as RDLENGTH + RDATA (uncompressed). */
static bool put_rdata(ldns_buffer *b, const ldns_rr *rr)
{
	size_t at = ldns_buffer_position(b);
	if (!ldns_buffer_reserve(b, 2))
		return false;
	ldns_buffer_write_u16(b, 0);
	if (ldns_rr_rdata2buffer_wire(b, rr) != LDNS_STATUS_OK)
		return false;
	size_t len = ldns_buffer_position(b) - at - 2;
	if (len > 65535)
		return false;
	ldns_buffer_write_u16_at(b, at, (uint16_t)len);
	return ldns_buffer_status_ok(b);
}

/* Copy the provenance into a node: the strings at p (slen and zlen bytes), the address. */
static void node_put_src(struct node *n, uint8_t *p, const struct rw_source *src, size_t slen,
			 size_t zlen)
{
	n->server_len = (uint8_t)slen;
	n->zone_len = (uint8_t)zlen;
	if (!src)
		return;
	memcpy(p, src->server, slen);
	memcpy(p + slen, src->zone, zlen);
	if (src->addr.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&src->addr;
		n->src_family = 4;
		memcpy(n->src_addr, &sin->sin_addr, 4);
		n->src_port = ntohs(sin->sin_port);
	} else if (src->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)&src->addr;
		n->src_family = 6;
		memcpy(n->src_addr, &sin6->sin6_addr, 16);
		n->src_port = ntohs(sin6->sin6_port);
	}
}

/* What node_build found: counts and the smallest TTLs of the RRset and of the proof. */
struct built {
	uint16_t n_rrs, n_sigs, n_proof;
	uint32_t min_ttl, proof_ttl; /* UINT32_MAX when there are no such records */
};

/* Split an RRset into its records' and its RRSIGs' rdata (RDLENGTH + RDATA each). */
static bool encode_rrset(ldns_buffer *rrs, ldns_buffer *sigs, const ldns_rr_list *rrset,
			 struct built *o)
{
	for (size_t i = 0; rrset && i < ldns_rr_list_rr_count(rrset); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrset, i);
		bool sig = ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG;
		if (!put_rdata(sig ? sigs : rrs, rr))
			return false;
		if (sig) {
			o->n_sigs++;
			continue;
		}
		o->n_rrs++;
		uint32_t t = ldns_rr_ttl(rr);
		if (t & 0x80000000u)
			t = 0; /* RFC 2181 8, per record, before the smallest is taken */
		if (t < o->min_ttl)
			o->min_ttl = t;
	}
	return true;
}

/* Build a detached node: owner | rrs | sigs | soa | proof | server | zone. The key fields and
 * TTLs are filled by the caller from *o. */
static struct node *node_build(const uint8_t *owner, size_t owner_len, const ldns_rr_list *rrset,
			       const ldns_rr *soa, const ldns_rr_list *proof,
			       const struct rw_source *src, struct built *o)
{
	ldns_buffer *rrs = ldns_buffer_new(256), *sigs = ldns_buffer_new(64);
	ldns_buffer *sb = ldns_buffer_new(128), *pb = ldns_buffer_new(proof ? 512 : 16);
	struct node *n = NULL;

	*o = (struct built){.min_ttl = UINT32_MAX, .proof_ttl = UINT32_MAX};
	if (!rrs || !sigs || !sb || !pb || !encode_rrset(rrs, sigs, rrset, o))
		goto out;
	if (soa && ldns_rr2buffer_wire(sb, soa, LDNS_SECTION_AUTHORITY) != LDNS_STATUS_OK)
		goto out;
	if (!cache_proof_encode(pb, proof, &o->n_proof, &o->proof_ttl))
		goto out;
	size_t slen = src ? strlen(src->server) : 0, zlen = src ? strlen(src->zone) : 0;
	if (slen > 255)
		slen = 255;
	if (zlen > 255)
		zlen = 255;
	size_t plen = ldns_buffer_position(pb);
	size_t dlen = owner_len + ldns_buffer_position(rrs) + ldns_buffer_position(sigs) +
		      ldns_buffer_position(sb) + plen + slen + zlen;
	if (ldns_buffer_position(sb) > 65535 || dlen > UINT32_MAX / 2)
		goto out;
	n = calloc(1, sizeof(*n) + dlen);
	if (!n)
		goto out;
	n->alloc = (uint32_t)(sizeof(*n) + dlen);
	n->size = (uint32_t)heap_size(n); /* every region is in the one allocation */
	n->owner_len = (uint8_t)owner_len;
	n->rrs_len = (uint32_t)ldns_buffer_position(rrs);
	n->sigs_len = (uint32_t)ldns_buffer_position(sigs);
	n->soa_len = (uint16_t)ldns_buffer_position(sb);
	n->proof_len = (uint32_t)plen;
	n->n_rrs = o->n_rrs;
	n->n_sigs = o->n_sigs;
	n->n_proof = o->n_proof;
	uint8_t *p = n->data;
	memcpy(p, owner, owner_len);
	p += owner_len;
	memcpy(p, ldns_buffer_begin(rrs), n->rrs_len);
	p += n->rrs_len;
	memcpy(p, ldns_buffer_begin(sigs), n->sigs_len);
	p += n->sigs_len;
	memcpy(p, ldns_buffer_begin(sb), n->soa_len);
	p += n->soa_len;
	memcpy(p, ldns_buffer_begin(pb), plen);
	node_put_src(n, p + plen, src, slen, zlen);
out:
	ldns_buffer_free(rrs);
	ldns_buffer_free(sigs);
	ldns_buffer_free(sb);
	ldns_buffer_free(pb);
	return n;
}

/* Put a built node in its shard: keeps a valid higher-ranked entry (returns 0, frees n), else
 * replaces any old entry and evicts from the LRU tail to stay within the budget (returns 1). */
static int insert(struct rw_cache *c, struct node *n, int64_t now_us)
{
	struct shard *s = shard_of(c, n->hash);
	struct node *old, *freelist = NULL;

	pthread_mutex_lock(&s->lock);
	old = shard_find(s, n->hash, node_owner(n), n->owner_len, n->type, n->klass, n->kind);
	if (old && old->expires_us > now_us && old->rank > n->rank) {
		pthread_mutex_unlock(&s->lock);
		free(n);
		return 0;
	}
	if (old) {
		shard_remove(s, old);
		old->hnext = freelist;
		freelist = old;
	}
	struct node **head = &s->buckets[n->hash & (s->n_buckets - 1)];
	n->hnext = *head;
	*head = n;
	lru_push_head(s, n);
	s->count++;
	s->bytes += n->size;
	shard_grow(s);
	while (s->bytes > s->max_bytes && s->lru_tail && s->lru_tail != n) {
		struct node *v = s->lru_tail;
		shard_remove(s, v);
		s->evictions++;
		v->hnext = freelist;
		freelist = v;
	}
	pthread_mutex_unlock(&s->lock);
	while (freelist) {
		struct node *next = freelist->hnext;
		free(freelist);
		freelist = next;
	}
	return 1;
}

static int store_set(struct rw_cache *c, const ldns_rr_list *rrset, const ldns_rr_list *proof,
		     enum rw_entry_kind kind, enum rw_rank rank, struct rw_source *src,
		     int64_t now_us)
{
	const ldns_rr *first = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++) {
		if (ldns_rr_get_type(ldns_rr_list_rr(rrset, i)) != LDNS_RR_TYPE_RRSIG) {
			first = ldns_rr_list_rr(rrset, i);
			break;
		}
	}
	if (!first)
		return -1;
	uint8_t owner[255];
	size_t len = cache_owner_key(ldns_rr_owner(first), owner);
	if (!len)
		return -1;
	struct built b;
	struct node *n = node_build(owner, len, rrset, NULL, proof, src, &b);
	if (!n)
		return -1;
	n->type = (uint16_t)ldns_rr_get_type(first);
	n->klass = (uint16_t)ldns_rr_get_class(first);
	n->kind = (uint8_t)kind;
	n->hash = cache_key_hash(c, owner, len, n->type, n->klass, n->kind);
	/* The RRset's TTL is the smallest of its records' (RFC 2181 5.2), after the caps; its
	 * proof is served with it, so never longer than the proof's. */
	n->orig_ttl = rw_cache_cap_ttl(c, b.min_ttl == UINT32_MAX ? 0 : b.min_ttl, false);
	if (b.n_proof) {
		uint32_t pt = rw_cache_cap_ttl(c, b.proof_ttl, false);
		if (pt < n->orig_ttl)
			n->orig_ttl = pt;
		n->flags |= NODE_WILDCARD;
	}
	n->sig_expires_us = cache_sig_expiry(proof, now_us, cache_sig_expiry(rrset, now_us, 0));
	n->stored_us = now_us;
	n->expires_us = now_us + (int64_t)n->orig_ttl * 1000000;
	n->rank = (uint8_t)rank;
	n->vstate = RW_VSTATE_UNCHECKED;
	return insert(c, n, now_us);
}

int rw_cache_store_rrset_proof(struct rw_cache *c, const ldns_rr_list *rrset,
			       const ldns_rr_list *proof, enum rw_rank rank, struct rw_source *src,
			       int64_t now_us)
{
	return store_set(c, rrset, proof, RW_ENTRY_RRSET, rank, src, now_us);
}

int rw_cache_store_rrset(struct rw_cache *c, const ldns_rr_list *rrset, enum rw_rank rank,
			 struct rw_source *src, int64_t now_us)
{
	return store_set(c, rrset, NULL, RW_ENTRY_RRSET, rank, src, now_us);
}

int rw_cache_store_parent_glue(struct rw_cache *c, const ldns_rr_list *rrset, struct rw_source *src,
			       int64_t now_us)
{
	return store_set(c, rrset, NULL, RW_ENTRY_PARENT_GLUE, RW_RANK_GLUE, src, now_us);
}

uint32_t rw_cache_negative_ttl(const struct rw_cache *c, const ldns_rr *soa)
{
	if (soa)
		return rw_cache_cap_ttl(c, rw_soa_negative_ttl(soa), true);
	uint32_t ttl = rw_cache_cap_ttl(c, RW_NODATA_NO_SOA_TTL, true);
	return ttl > RW_NODATA_NO_SOA_TTL ? RW_NODATA_NO_SOA_TTL
					  : ttl; /* min-ttl stretches no guess */
}

int rw_cache_store_negative_proof(struct rw_cache *c, enum rw_entry_kind kind, const ldns_rdf *name,
				  uint16_t type, uint16_t klass, const ldns_rr *soa,
				  const ldns_rr_list *proof, enum rw_rank rank,
				  struct rw_source *src, int64_t now_us)
{
	if (kind == RW_ENTRY_NXDOMAIN)
		type = 0;
	else if (kind != RW_ENTRY_NODATA)
		return -1;
	if (!soa && kind != RW_ENTRY_NODATA)
		return -1;
	uint8_t owner[255];
	size_t len = cache_owner_key(name, owner);
	if (!len)
		return -1;
	struct built b;
	struct node *n = node_build(owner, len, NULL, soa, proof, src, &b);
	if (!n)
		return -1;
	n->type = type;
	n->klass = klass;
	n->kind = (uint8_t)kind;
	n->hash = cache_key_hash(c, owner, len, type, klass, n->kind);
	n->orig_ttl = rw_cache_negative_ttl(c, soa);
	if (b.n_proof) {
		/* the proof is served with the SOA: never longer than its own TTL */
		uint32_t pt = rw_cache_cap_ttl(c, b.proof_ttl, true);
		if (pt < n->orig_ttl)
			n->orig_ttl = pt;
	}
	n->sig_expires_us = cache_sig_expiry(proof, now_us, 0);
	n->stored_us = now_us;
	n->expires_us = now_us + (int64_t)n->orig_ttl * 1000000;
	n->rank = (uint8_t)rank;
	n->vstate = RW_VSTATE_UNCHECKED;
	return insert(c, n, now_us);
}

int rw_cache_store_negative(struct rw_cache *c, enum rw_entry_kind kind, const ldns_rdf *name,
			    uint16_t type, uint16_t klass, const ldns_rr *soa, enum rw_rank rank,
			    struct rw_source *src, int64_t now_us)
{
	return rw_cache_store_negative_proof(c, kind, name, type, klass, soa, NULL, rank, src,
					     now_us);
}

/* ---------------------------------------------------------------------------------------------
 * Flush and walk
 */

/* Is the lower-cased wire name a at or below b? */
static bool wire_under(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t off = 0;
	while (alen - off > blen) {
		if (a[off] == 0)
			return false;
		off += (size_t)a[off] + 1;
		if (off > alen)
			return false;
	}
	return alen - off == blen && memcmp(a + off, b, blen) == 0;
}

bool cache_matches(const struct node *n, const uint8_t *name, size_t len, unsigned flags)
{
	if ((flags & RW_FLUSH_NEGATIVE) &&
	    (n->kind == RW_ENTRY_RRSET || n->kind == RW_ENTRY_PARENT_GLUE))
		return false;
	if ((flags & RW_FLUSH_BOGUS) && n->vstate != RW_VSTATE_BOGUS)
		return false;
	if (!len)
		return true;
	if (flags & RW_FLUSH_SUBTREE)
		return wire_under(node_owner(n), n->owner_len, name, len);
	return n->owner_len == len && memcmp(node_owner(n), name, len) == 0;
}

size_t rw_cache_flush(struct rw_cache *c, const ldns_rdf *name, unsigned flags)
{
	uint8_t key[255];
	size_t len = 0, removed = 0;
	if (name && !(len = cache_owner_key(name, key)))
		return 0;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shards[i];
		struct node *freelist = NULL;
		pthread_mutex_lock(&s->lock);
		for (struct node *n = s->lru_head, *next; n; n = next) {
			next = n->lnext;
			if (!cache_matches(n, key, len, flags))
				continue;
			shard_remove(s, n);
			n->hnext = freelist;
			freelist = n;
			removed++;
		}
		if (s->count == 0 && s->n_buckets > MIN_BUCKETS) {
			/* emptied: give the grown table back */
			struct node **b = calloc(MIN_BUCKETS, sizeof(*b));
			if (b) {
				s->bytes -= heap_size(s->buckets);
				free(s->buckets);
				s->buckets = b;
				s->n_buckets = MIN_BUCKETS;
				s->bytes += heap_size(b);
			}
		}
		pthread_mutex_unlock(&s->lock);
		while (freelist) {
			struct node *next = freelist->hnext;
			free(freelist);
			freelist = next;
		}
	}
	return removed;
}

size_t rw_cache_flush_name(struct rw_cache *c, const ldns_rdf *name)
{
	return rw_cache_flush(c, name, 0);
}

size_t rw_cache_flush_all(struct rw_cache *c)
{
	return rw_cache_flush(c, NULL, 0);
}
