/* The cache: sharded hash tables of wire-format entries with LRU eviction. See cache.h.
 *
 * Each entry is one allocation: a fixed header, then the lower-cased owner name, the records'
 * rdata (each as RDLENGTH + RDATA, uncompressed), the RRSIGs likewise, the SOA of a negative
 * entry as a whole wire record, and the provenance strings. Its accounted size is the allocation
 * plus the allocator's overhead; bucket arrays are accounted too. A shard's lock covers its table,
 * its LRU list and its byte count; no pointer into a shard survives the lock.
 */
#include <malloc.h>
#include <pthread.h>
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
	uint32_t orig_ttl;
	uint32_t size;	/* bytes accounted */
	uint32_t alloc; /* bytes allocated */
	uint32_t rrs_len, sigs_len;
	uint16_t soa_len;
	uint16_t type, klass;
	uint16_t n_rrs, n_sigs;
	uint16_t src_port;
	uint8_t kind, rank, vstate, owner_len;
	uint8_t server_len, zone_len; /* string lengths, NUL not stored */
	uint8_t src_family;
	uint8_t src_addr[16];
	uint8_t data[]; /* owner | rrs | sigs | soa | server | zone */
};

struct shard {
	pthread_mutex_t lock;
	struct node **buckets;
	size_t n_buckets;
	struct node *lru_head, *lru_tail;
	size_t count, bytes, max_bytes;
	uint64_t evictions;
};

struct rw_cache {
	struct rw_cache_opts opts;
	uint8_t key[crypto_shorthash_KEYBYTES];
	struct shard shards[SHARDS];
};

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

const char *rw_vstate_name(enum rw_vstate v)
{
	switch (v) {
	case RW_VSTATE_SECURE:
		return "secure";
	case RW_VSTATE_INSECURE:
		return "insecure";
	case RW_VSTATE_BOGUS:
		return "bogus";
	default:
		return "unchecked";
	}
}

const char *rw_entry_kind_name(enum rw_entry_kind kind)
{
	switch (kind) {
	case RW_ENTRY_NXDOMAIN:
		return "nxdomain";
	case RW_ENTRY_NODATA:
		return "nodata";
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
	if (ttl & 0x80000000u)
		ttl = 0;
	if (ttl > c->opts.max_ttl)
		ttl = c->opts.max_ttl;
	if (negative && ttl > c->opts.max_negative_ttl)
		ttl = c->opts.max_negative_ttl;
	if (ttl < c->opts.min_ttl)
		ttl = c->opts.min_ttl;
	return ttl;
}

/* What an allocation really costs: its usable size plus the allocator's chunk header. */
static size_t heap_size(void *p)
{
	return malloc_usable_size(p) + sizeof(size_t);
}

static void lower_copy(uint8_t *dst, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? (uint8_t)(src[i] + 32) : src[i];
}

/* Lower-cased wire form of a dname rdf. Returns its length or 0 if unusable. */
static size_t owner_key(const ldns_rdf *name, uint8_t out[255])
{
	size_t len = ldns_rdf_size(name);
	if (ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME || len == 0 || len > 255)
		return 0;
	lower_copy(out, ldns_rdf_data(name), len);
	return len;
}

static uint64_t key_hash(const struct rw_cache *c, const uint8_t *owner, size_t len, uint16_t type,
			 uint16_t klass, uint8_t kind)
{
	uint8_t buf[255 + 5];
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h;
	memcpy(buf, owner, len);
	buf[len] = (uint8_t)(type >> 8);
	buf[len + 1] = (uint8_t)type;
	buf[len + 2] = (uint8_t)(klass >> 8);
	buf[len + 3] = (uint8_t)klass;
	buf[len + 4] = kind;
	crypto_shorthash(out, buf, len + 5, c->key);
	memcpy(&h, out, sizeof(h));
	return h;
}

static struct shard *shard_of(struct rw_cache *c, uint64_t h)
{
	return &c->shards[h >> (64 - SHARD_BITS)];
}

static uint32_t node_ttl_left(const struct node *n, int64_t now_us)
{
	if (n->expires_us <= now_us)
		return 0;
	int64_t left = (n->expires_us - now_us + 999999) / 1000000;
	return left > (int64_t)n->orig_ttl ? n->orig_ttl : (uint32_t)left;
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

static const uint8_t *node_owner(const struct node *n)
{
	return n->data;
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

/* Find a valid node; reaps it when expired (never served after expiry). */
static struct node *shard_get(struct shard *s, uint64_t h, const uint8_t *owner, size_t len,
			      uint16_t type, uint16_t klass, uint8_t kind, int64_t now_us,
			      enum rw_rank min_rank, struct node **reaped)
{
	struct node *n = shard_find(s, h, owner, len, type, klass, kind);
	if (!n)
		return NULL;
	if (n->expires_us <= now_us) {
		shard_remove(s, n);
		*reaped = n;
		return NULL;
	}
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
	struct rw_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->opts = *opts;
	if (!c->opts.max_bytes)
		c->opts.max_bytes = DEFAULT_MAX_BYTES;
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
		s->max_bytes = c->opts.max_bytes / SHARDS;
	}
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
	free(c);
}

void rw_cache_set_opts(struct rw_cache *c, const struct rw_cache_opts *opts)
{
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shards[i];
		pthread_mutex_lock(&s->lock);
		if (i == 0) {
			c->opts = *opts;
			if (!c->opts.max_bytes)
				c->opts.max_bytes = DEFAULT_MAX_BYTES;
		}
		s->max_bytes = c->opts.max_bytes / SHARDS;
		pthread_mutex_unlock(&s->lock);
	}
}

size_t rw_cache_count(const struct rw_cache *c)
{
	size_t n = 0;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = (struct shard *)&c->shards[i];
		pthread_mutex_lock(&s->lock);
		n += s->count;
		pthread_mutex_unlock(&s->lock);
	}
	return n;
}

size_t rw_cache_bytes(const struct rw_cache *c)
{
	size_t n = 0;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = (struct shard *)&c->shards[i];
		pthread_mutex_lock(&s->lock);
		n += s->bytes;
		pthread_mutex_unlock(&s->lock);
	}
	return n;
}

uint64_t rw_cache_evictions(const struct rw_cache *c)
{
	uint64_t n = 0;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = (struct shard *)&c->shards[i];
		pthread_mutex_lock(&s->lock);
		n += s->evictions;
		pthread_mutex_unlock(&s->lock);
	}
	return n;
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

/* Build a detached node. rrset/soa as given; the key fields are filled by the caller. */
static struct node *node_build(const uint8_t *owner, size_t owner_len, const ldns_rr_list *rrset,
			       const ldns_rr *soa, const struct rw_source *src, uint16_t *n_rrs,
			       uint16_t *n_sigs, uint32_t *min_ttl)
{
	ldns_buffer *rrs = ldns_buffer_new(256), *sigs = ldns_buffer_new(64);
	ldns_buffer *sb = ldns_buffer_new(128);
	struct node *n = NULL;
	uint32_t ttl = UINT32_MAX;

	*n_rrs = *n_sigs = 0;
	if (!rrs || !sigs || !sb)
		goto out;
	for (size_t i = 0; rrset && i < ldns_rr_list_rr_count(rrset); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrset, i);
		bool sig = ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG;
		if (!put_rdata(sig ? sigs : rrs, rr))
			goto out;
		if (sig) {
			(*n_sigs)++;
			continue;
		}
		(*n_rrs)++;
		uint32_t t = ldns_rr_ttl(rr);
		if (t & 0x80000000u)
			t = 0; /* RFC 2181 8, per record, before the smallest is taken */
		if (t < ttl)
			ttl = t;
	}
	if (soa && ldns_rr2buffer_wire(sb, soa, LDNS_SECTION_AUTHORITY) != LDNS_STATUS_OK)
		goto out;
	size_t slen = src ? strlen(src->server) : 0, zlen = src ? strlen(src->zone) : 0;
	if (slen > 255)
		slen = 255;
	if (zlen > 255)
		zlen = 255;
	size_t dlen = owner_len + ldns_buffer_position(rrs) + ldns_buffer_position(sigs) +
		      ldns_buffer_position(sb) + slen + zlen;
	if (ldns_buffer_position(sb) > 65535 || dlen > UINT32_MAX / 2)
		goto out;
	n = calloc(1, sizeof(*n) + dlen);
	if (!n)
		goto out;
	n->alloc = (uint32_t)(sizeof(*n) + dlen);
	n->size = (uint32_t)heap_size(n);
	n->owner_len = (uint8_t)owner_len;
	n->rrs_len = (uint32_t)ldns_buffer_position(rrs);
	n->sigs_len = (uint32_t)ldns_buffer_position(sigs);
	n->soa_len = (uint16_t)ldns_buffer_position(sb);
	n->server_len = (uint8_t)slen;
	n->zone_len = (uint8_t)zlen;
	uint8_t *p = n->data;
	memcpy(p, owner, owner_len);
	p += owner_len;
	memcpy(p, ldns_buffer_begin(rrs), n->rrs_len);
	p += n->rrs_len;
	memcpy(p, ldns_buffer_begin(sigs), n->sigs_len);
	p += n->sigs_len;
	memcpy(p, ldns_buffer_begin(sb), n->soa_len);
	p += n->soa_len;
	if (src) {
		memcpy(p, src->server, slen);
		p += slen;
		memcpy(p, src->zone, zlen);
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
out:
	ldns_buffer_free(rrs);
	ldns_buffer_free(sigs);
	ldns_buffer_free(sb);
	*min_ttl = ttl == UINT32_MAX ? 0 : ttl;
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

int rw_cache_store_rrset(struct rw_cache *c, const ldns_rr_list *rrset, enum rw_rank rank,
			 struct rw_source *src, int64_t now_us)
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
	size_t len = owner_key(ldns_rr_owner(first), owner);
	if (!len)
		return -1;
	uint16_t n_rrs, n_sigs;
	uint32_t ttl;
	struct node *n = node_build(owner, len, rrset, NULL, src, &n_rrs, &n_sigs, &ttl);
	if (!n)
		return -1;
	n->type = (uint16_t)ldns_rr_get_type(first);
	n->klass = (uint16_t)ldns_rr_get_class(first);
	n->kind = RW_ENTRY_RRSET;
	n->n_rrs = n_rrs;
	n->n_sigs = n_sigs;
	n->hash = key_hash(c, owner, len, n->type, n->klass, n->kind);
	/* The RRset's TTL is the smallest of its records' (RFC 2181 5.2), after the caps. */
	n->orig_ttl = rw_cache_cap_ttl(c, ttl, false);
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
	if (kind == RW_ENTRY_NXDOMAIN)
		type = 0;
	else if (kind != RW_ENTRY_NODATA)
		return -1;
	if (!soa)
		return -1;
	uint8_t owner[255];
	size_t len = owner_key(name, owner);
	if (!len)
		return -1;
	uint16_t n_rrs, n_sigs;
	uint32_t unused;
	struct node *n = node_build(owner, len, NULL, soa, src, &n_rrs, &n_sigs, &unused);
	if (!n)
		return -1;
	n->type = type;
	n->klass = klass;
	n->kind = (uint8_t)kind;
	n->hash = key_hash(c, owner, len, type, klass, n->kind);
	n->orig_ttl = rw_cache_cap_ttl(c, rw_soa_negative_ttl(soa), true);
	n->stored_us = now_us;
	n->expires_us = now_us + (int64_t)n->orig_ttl * 1000000;
	n->rank = (uint8_t)rank;
	n->vstate = RW_VSTATE_UNCHECKED;
	return insert(c, n, now_us);
}

/* ---------------------------------------------------------------------------------------------
 * Reading: copies
 */

void rw_cache_entry_clear(struct rw_cache_entry *e)
{
	ldns_rdf_deep_free(e->owner);
	ldns_rr_list_deep_free(e->rrs);
	ldns_rr_list_deep_free(e->sigs);
	ldns_rr_free(e->soa);
	rw_source_unref(e->src);
	memset(e, 0, sizeof(*e));
}

/* Records from RDLENGTH+RDATA blocks into a new list. */
static ldns_rr_list *decode_rrs(const struct node *n, const uint8_t *p, uint32_t len, uint16_t type,
				uint16_t count)
{
	ldns_rr_list *l = ldns_rr_list_new();
	size_t pos = 0;
	for (uint16_t i = 0; l && i < count && pos < len; i++) {
		ldns_rr *rr = ldns_rr_new();
		ldns_rdf *owner = ldns_dname_new_frm_data(n->owner_len, node_owner(n));
		if (!rr || !owner) {
			ldns_rr_free(rr);
			ldns_rdf_deep_free(owner);
			break;
		}
		ldns_rr_set_owner(rr, owner);
		ldns_rr_set_type(rr, type);
		ldns_rr_set_class(rr, n->klass);
		ldns_rr_set_ttl(rr, n->orig_ttl);
		if (ldns_wire2rdf(rr, p, len, &pos) != LDNS_STATUS_OK) {
			ldns_rr_free(rr);
			break;
		}
		ldns_rr_list_push_rr(l, rr);
	}
	return l;
}

/* The address of the server an entry came from; returns its length (0 when unknown). */
static socklen_t node_src_addr(const struct node *n, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (n->src_family == 4) {
		struct sockaddr_in *sin = (void *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(n->src_port);
		memcpy(&sin->sin_addr, n->src_addr, 4);
		return sizeof(*sin);
	}
	if (n->src_family == 6) {
		struct sockaddr_in6 *sin6 = (void *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(n->src_port);
		memcpy(&sin6->sin6_addr, n->src_addr, 16);
		return sizeof(*sin6);
	}
	return 0;
}

/* Decode a snapshot of a node into a caller-owned entry. */
static bool node_decode(const struct node *n, struct rw_cache_entry *out)
{
	memset(out, 0, sizeof(*out));
	const uint8_t *p = n->data + n->owner_len;
	out->kind = (enum rw_entry_kind)n->kind;
	out->type = n->type;
	out->owner = ldns_dname_new_frm_data(n->owner_len, node_owner(n));
	if (n->kind == RW_ENTRY_RRSET) {
		out->rrs = decode_rrs(n, p, n->rrs_len, n->type, n->n_rrs);
		if (n->n_sigs)
			out->sigs = decode_rrs(n, p + n->rrs_len, n->sigs_len, LDNS_RR_TYPE_RRSIG,
					       n->n_sigs);
	}
	p += n->rrs_len + n->sigs_len;
	if (n->soa_len) {
		size_t pos = 0;
		if (ldns_wire2rr(&out->soa, p, n->soa_len, &pos, LDNS_SECTION_AUTHORITY) ==
		    LDNS_STATUS_OK)
			ldns_rr_set_ttl(out->soa, n->orig_ttl);
		else
			out->soa = NULL;
	}
	p += n->soa_len;
	char server[256], zone[256];
	memcpy(server, p, n->server_len);
	server[n->server_len] = '\0';
	memcpy(zone, p + n->server_len, n->zone_len);
	zone[n->zone_len] = '\0';
	struct sockaddr_storage ss;
	socklen_t sslen = node_src_addr(n, &ss);
	bool has_src = n->server_len || n->zone_len || n->src_family;
	if (has_src)
		out->src =
			rw_source_new(server, zone, sslen ? (struct sockaddr *)&ss : NULL, sslen);
	out->stored_us = n->stored_us;
	out->expires_us = n->expires_us;
	out->orig_ttl = n->orig_ttl;
	out->rank = (enum rw_rank)n->rank;
	out->vstate = (enum rw_vstate)n->vstate;
	if (!out->owner || (has_src && !out->src) || (n->kind == RW_ENTRY_RRSET && !out->rrs) ||
	    (n->soa_len && !out->soa)) {
		rw_cache_entry_clear(out);
		return false;
	}
	return true;
}

bool rw_cache_get(struct rw_cache *c, enum rw_entry_kind kind, const ldns_rdf *name, uint16_t type,
		  uint16_t klass, int64_t now_us, enum rw_rank min_rank, struct rw_cache_entry *out)
{
	uint8_t owner[255];
	size_t len = owner_key(name, owner);
	if (!len)
		return false;
	if (kind == RW_ENTRY_NXDOMAIN)
		type = 0;
	uint64_t h = key_hash(c, owner, len, type, klass, (uint8_t)kind);
	struct shard *s = shard_of(c, h);
	struct node *reaped = NULL, *snap = NULL;

	pthread_mutex_lock(&s->lock);
	struct node *n =
		shard_get(s, h, owner, len, type, klass, (uint8_t)kind, now_us, min_rank, &reaped);
	if (n) {
		snap = malloc(n->alloc);
		if (snap)
			memcpy(snap, n, n->alloc);
	}
	pthread_mutex_unlock(&s->lock);
	free(reaped);
	if (!snap)
		return false;
	bool ok = node_decode(snap, out);
	free(snap);
	return ok;
}

/* ---------------------------------------------------------------------------------------------
 * The fast path: a whole response from the cache, no allocation
 */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

struct wbuf {
	uint8_t *p;
	size_t off, cap;
	bool full;
};

/* Write an owner (a pointer to ptr when possible, else the name) and the fixed RR fields. */
static void put_rr_head(struct wbuf *w, uint16_t ptr, const uint8_t *name, size_t nlen,
			uint16_t type, uint16_t klass, uint32_t ttl, uint16_t rdlen)
{
	size_t olen = ptr < 0x4000 ? 2 : nlen;
	if (w->off + olen + 10 + rdlen > w->cap) {
		w->full = true;
		return;
	}
	if (ptr < 0x4000)
		put16(w->p + w->off, (uint16_t)(0xc000 | ptr));
	else
		memcpy(w->p + w->off, name, nlen);
	w->off += olen;
	put16(w->p + w->off, type);
	put16(w->p + w->off + 2, klass);
	put32(w->p + w->off + 4, ttl);
	put16(w->p + w->off + 8, rdlen);
	w->off += 10;
}

/* Write a node's records at the owner; returns the offset of the last record's rdata. */
static size_t put_rrset(struct wbuf *w, const struct node *n, uint16_t ptr, const uint8_t *name,
			size_t nlen, uint32_t ttl, int *count)
{
	const uint8_t *p = n->data + n->owner_len;
	size_t pos = 0, rdata_at = 0;
	for (uint16_t i = 0; i < n->n_rrs && pos + 2 <= n->rrs_len; i++) {
		uint16_t rdlen = (uint16_t)((p[pos] << 8) | p[pos + 1]);
		put_rr_head(w, ptr, name, nlen, n->type, n->klass, ttl, rdlen);
		if (w->full)
			return 0;
		rdata_at = w->off;
		memcpy(w->p + w->off, p + pos + 2, rdlen);
		w->off += rdlen;
		pos += 2u + rdlen;
		(*count)++;
	}
	return rdata_at;
}

/* Write a negative entry's SOA (stored as a whole wire record) with the remaining TTL. */
static void put_soa(struct wbuf *w, const struct node *n, uint32_t ttl, int *count)
{
	const uint8_t *soa = n->data + n->owner_len + n->rrs_len + n->sigs_len;
	size_t off = 0;
	uint8_t name[256];
	int nl = rw_wire_read_name(soa, n->soa_len, &off, name);
	if (nl <= 0 || off + 10 > n->soa_len || w->off + n->soa_len > w->cap) {
		w->full = true;
		return;
	}
	memcpy(w->p + w->off, soa, n->soa_len);
	put32(w->p + w->off + off + 4, ttl);
	w->off += n->soa_len;
	(*count)++;
}

/* Note what the fast path used (under the shard lock). */
static void note_used(struct rw_cache_used *used, const struct node *n, uint32_t ttl_left)
{
	if (!used || used->n >= RW_CACHE_USED_MAX)
		return;
	struct rw_cache_used_set *u = &used->set[used->n++];
	const uint8_t *p = n->data + n->owner_len + n->rrs_len + n->sigs_len + n->soa_len;
	u->kind = (enum rw_entry_kind)n->kind;
	u->type = n->type;
	u->n_rrs = n->kind == RW_ENTRY_RRSET ? n->n_rrs : 1;
	u->rank = (enum rw_rank)n->rank;
	u->orig_ttl = n->orig_ttl;
	u->ttl_left = ttl_left;
	u->stored_us = n->stored_us;
	u->expires_us = n->expires_us;
	memcpy(u->server, p, n->server_len);
	u->server[n->server_len] = '\0';
	memcpy(u->zone, p + n->server_len, n->zone_len);
	u->zone[n->zone_len] = '\0';
	u->addrlen = node_src_addr(n, &u->addr);
}

size_t rw_cache_answer(struct rw_cache *c, const struct rw_client_query *cq, int64_t now_us,
		       uint32_t max_chain, uint8_t *out, size_t cap)
{
	return rw_cache_answer_used(c, cq, now_us, max_chain, out, cap, NULL);
}

size_t rw_cache_answer_used(struct rw_cache *c, const struct rw_client_query *cq, int64_t now_us,
			    uint32_t max_chain, uint8_t *out, size_t cap,
			    struct rw_cache_used *used)
{
	if (used)
		used->n = 0;
	struct wbuf w = {out, 0, cap, false};
	uint8_t cur[256];
	size_t curlen = cq->qname_len;
	uint16_t ptr = 12;
	int an = 0, ns = 0, rcode = -1;

	if (curlen == 0 || curlen > 255 || 12 + curlen + 4 + 11 > cap)
		return 0;
	/* NS answers carry the servers' addresses in the additional section: the slow path */
	if (cq->qtype == LDNS_RR_TYPE_NS)
		return 0;
	put16(out, cq->id);
	put16(out + 2, (uint16_t)(0x8000 | (cq->flags & 0x0100) | 0x0080 | (cq->flags & 0x0010)));
	put16(out + 4, 1);
	memcpy(out + 12, cq->qname, curlen);
	put16(out + 12 + curlen, cq->qtype);
	put16(out + 12 + curlen + 2, cq->qclass);
	w.off = 12 + curlen + 4;
	lower_copy(cur, cq->qname, curlen);

	for (uint32_t hop = 0; hop <= max_chain && rcode < 0 && !w.full; hop++) {
		static const uint8_t kinds[3] = {RW_ENTRY_RRSET, RW_ENTRY_NXDOMAIN,
						 RW_ENTRY_NODATA};
		bool found = false;
		for (int k = 0; k < 3 && !found; k++) {
			uint16_t type = kinds[k] == RW_ENTRY_NXDOMAIN ? 0 : cq->qtype;
			enum rw_rank min =
				kinds[k] == RW_ENTRY_RRSET ? RW_RANK_NONAUTH_ANSWER : RW_RANK_NONE;
			uint64_t h = key_hash(c, cur, curlen, type, cq->qclass, kinds[k]);
			struct shard *s = shard_of(c, h);
			struct node *reaped = NULL;
			pthread_mutex_lock(&s->lock);
			struct node *n = shard_get(s, h, cur, curlen, type, cq->qclass, kinds[k],
						   now_us, min, &reaped);
			if (n) {
				uint32_t ttl = node_ttl_left(n, now_us);
				if (kinds[k] == RW_ENTRY_RRSET) {
					put_rrset(&w, n, ptr, cur, curlen, ttl, &an);
					note_used(used, n, ttl);
					rcode = LDNS_RCODE_NOERROR;
				} else {
					put_soa(&w, n, ttl, &ns);
					note_used(used, n, ttl);
					rcode = kinds[k] == RW_ENTRY_NXDOMAIN ? LDNS_RCODE_NXDOMAIN
									      : LDNS_RCODE_NOERROR;
				}
				found = true;
			}
			pthread_mutex_unlock(&s->lock);
			free(reaped); /* an expired entry met on the way */
		}
		if (found || cq->qtype == LDNS_RR_TYPE_CNAME)
			break;
		/* A cached CNAME: write it and continue with its target. */
		uint64_t h =
			key_hash(c, cur, curlen, LDNS_RR_TYPE_CNAME, cq->qclass, RW_ENTRY_RRSET);
		struct shard *s = shard_of(c, h);
		struct node *reaped = NULL;
		size_t rdata_at = 0;
		pthread_mutex_lock(&s->lock);
		struct node *n = shard_get(s, h, cur, curlen, LDNS_RR_TYPE_CNAME, cq->qclass,
					   RW_ENTRY_RRSET, now_us, RW_RANK_NONAUTH_ANSWER, &reaped);
		if (n && n->n_rrs == 1) {
			rdata_at =
				put_rrset(&w, n, ptr, cur, curlen, node_ttl_left(n, now_us), &an);
			note_used(used, n, node_ttl_left(n, now_us));
		}
		pthread_mutex_unlock(&s->lock);
		free(reaped);
		if (!rdata_at)
			return 0;
		size_t off = rdata_at;
		int tl = rw_wire_read_name(w.p, w.off, &off, cur);
		if (tl <= 0)
			return 0;
		lower_copy(cur, cur, (size_t)tl);
		curlen = (size_t)tl;
		ptr = rdata_at < 0x4000 ? (uint16_t)rdata_at : 0xffff;
	}
	if (rcode < 0 || w.full)
		return 0;
	if (cq->edns) {
		if (w.off + 11 > cap)
			return 0;
		uint8_t *p = out + w.off;
		p[0] = 0;
		put16(p + 1, LDNS_RR_TYPE_OPT);
		put16(p + 3, RW_EDNS_BUFSIZE);
		put32(p + 5, 0);
		put16(p + 9, 0);
		w.off += 11;
	}
	out[3] = (uint8_t)(out[3] | rcode);
	put16(out + 6, (uint16_t)an);
	put16(out + 8, (uint16_t)ns);
	put16(out + 10, cq->edns ? 1 : 0);
	return w.off;
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

static bool matches(const struct node *n, const uint8_t *name, size_t len, unsigned flags)
{
	if ((flags & RW_FLUSH_NEGATIVE) && n->kind == RW_ENTRY_RRSET)
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
	if (name && !(len = owner_key(name, key)))
		return 0;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shards[i];
		struct node *freelist = NULL;
		pthread_mutex_lock(&s->lock);
		for (struct node *n = s->lru_head, *next; n; n = next) {
			next = n->lnext;
			if (!matches(n, key, len, flags))
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

size_t rw_cache_walk(struct rw_cache *c, const ldns_rdf *name, unsigned flags, int64_t now_us,
		     void (*fn)(void *arg, const struct rw_cache_entry *e), void *arg)
{
	uint8_t key[255];
	size_t len = 0, visited = 0;
	if (name && !(len = owner_key(name, key)))
		return 0;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shards[i];
		struct node *snaps = NULL;
		/* Copy what matches under the lock; decode and call back without it. */
		pthread_mutex_lock(&s->lock);
		for (struct node *n = s->lru_head; n; n = n->lnext) {
			if (n->expires_us <= now_us || !matches(n, key, len, flags))
				continue;
			struct node *snap = malloc(n->alloc);
			if (!snap)
				break;
			memcpy(snap, n, n->alloc);
			snap->hnext = snaps;
			snaps = snap;
		}
		pthread_mutex_unlock(&s->lock);
		while (snaps) {
			struct node *next = snaps->hnext;
			struct rw_cache_entry e;
			if (node_decode(snaps, &e)) {
				fn(arg, &e);
				rw_cache_entry_clear(&e);
				visited++;
			}
			free(snaps);
			snaps = next;
		}
	}
	return visited;
}
