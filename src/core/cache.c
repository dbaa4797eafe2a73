/* The cache: a chained hash table of RRsets and negative entries, keyed with SipHash so that
 * crafted names cannot flood one bucket. Single-threaded for now; the locking design (sharded
 * tables) comes with the multi-threaded server. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "rootwalk/cache.h"

#define RW_CACHE_MIN_BUCKETS 1024

struct node {
	struct node *next;
	uint64_t hash;
	uint16_t type, klass;
	uint8_t kind;
	uint8_t owner_len;
	uint8_t owner[255]; /* lower-cased wire format */
	struct rw_cache_entry e;
};

struct rw_cache {
	struct rw_cache_opts opts;
	uint8_t key[crypto_shorthash_KEYBYTES];
	struct node **buckets;
	size_t n_buckets, n_entries;
};

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
	if (ldns_rr_rd_count(soa) >= 7) {
		uint32_t min = ldns_rdf2native_int32(ldns_rr_rdf(soa, 6));
		if (min < ttl)
			ttl = min;
	}
	return ttl;
}

struct rw_cache *rw_cache_new(const struct rw_cache_opts *opts, const uint8_t key[16])
{
	struct rw_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->opts = *opts;
	memcpy(c->key, key, sizeof(c->key));
	c->n_buckets = RW_CACHE_MIN_BUCKETS;
	c->buckets = calloc(c->n_buckets, sizeof(*c->buckets));
	if (!c->buckets) {
		free(c);
		return NULL;
	}
	return c;
}

static void entry_clear(struct rw_cache_entry *e)
{
	ldns_rr_list_deep_free(e->rrs);
	ldns_rr_list_deep_free(e->sigs);
	ldns_rr_free(e->soa);
	rw_source_unref(e->src);
	memset(e, 0, sizeof(*e));
}

static void node_free(struct node *n)
{
	entry_clear(&n->e);
	free(n);
}

size_t rw_cache_flush_all(struct rw_cache *c)
{
	size_t removed = 0;
	for (size_t i = 0; i < c->n_buckets; i++) {
		struct node *n = c->buckets[i];
		while (n) {
			struct node *next = n->next;
			node_free(n);
			removed++;
			n = next;
		}
		c->buckets[i] = NULL;
	}
	c->n_entries = 0;
	return removed;
}

void rw_cache_free(struct rw_cache *c)
{
	if (!c)
		return;
	rw_cache_flush_all(c);
	free(c->buckets);
	free(c);
}

size_t rw_cache_count(const struct rw_cache *c)
{
	return c->n_entries;
}

/* Lower-cased wire form of a dname rdf. Returns its length or 0 if unusable. */
static size_t owner_key(const ldns_rdf *name, uint8_t out[255])
{
	size_t len = ldns_rdf_size(name);
	if (ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME || len == 0 || len > 255)
		return 0;
	const uint8_t *p = ldns_rdf_data(name);
	for (size_t i = 0; i < len; i++)
		out[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (uint8_t)(p[i] + 32) : p[i];
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

static struct node **find_slot(struct rw_cache *c, const uint8_t *owner, size_t len, uint16_t type,
			       uint16_t klass, uint8_t kind, uint64_t h)
{
	struct node **pp = &c->buckets[h & (c->n_buckets - 1)];
	for (; *pp; pp = &(*pp)->next) {
		struct node *n = *pp;
		if (n->hash == h && n->type == type && n->klass == klass && n->kind == kind &&
		    n->owner_len == len && memcmp(n->owner, owner, len) == 0)
			return pp;
	}
	return pp;
}

static void maybe_grow(struct rw_cache *c)
{
	if (c->n_entries < c->n_buckets)
		return;
	size_t nb = c->n_buckets * 2;
	struct node **b = calloc(nb, sizeof(*b));
	if (!b)
		return; /* keep working with longer chains */
	for (size_t i = 0; i < c->n_buckets; i++) {
		struct node *n = c->buckets[i];
		while (n) {
			struct node *next = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
			n = next;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->n_buckets = nb;
}

/* TTL after the caps; a TTL with the top bit set counts as 0 (RFC 2181 8). */
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

/* Find or make the node for a key; returns NULL when a valid higher-ranked entry must be kept
 * (*kept set) or on allocation failure. */
static struct node *prepare(struct rw_cache *c, const ldns_rdf *name, uint16_t type, uint16_t klass,
			    uint8_t kind, enum rw_rank rank, int64_t now_us, bool *kept)
{
	uint8_t owner[255];
	size_t len = owner_key(name, owner);
	*kept = false;
	if (!len)
		return NULL;
	uint64_t h = key_hash(c, owner, len, type, klass, kind);
	struct node **pp = find_slot(c, owner, len, type, klass, kind, h);
	if (*pp) {
		struct node *n = *pp;
		if (n->e.expires_us > now_us && n->e.rank > rank) {
			*kept = true;
			return NULL;
		}
		entry_clear(&n->e);
		return n;
	}
	struct node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->hash = h;
	n->type = type;
	n->klass = klass;
	n->kind = kind;
	n->owner_len = (uint8_t)len;
	memcpy(n->owner, owner, len);
	n->next = *pp;
	*pp = n;
	c->n_entries++;
	maybe_grow(c);
	return n;
}

int rw_cache_store_rrset(struct rw_cache *c, const ldns_rr_list *rrset, enum rw_rank rank,
			 struct rw_source *src, int64_t now_us)
{
	size_t count = ldns_rr_list_rr_count(rrset);
	if (count == 0)
		return -1;
	/* The RRset's type is that of its first non-RRSIG record. */
	const ldns_rr *first = NULL;
	for (size_t i = 0; i < count; i++) {
		if (ldns_rr_get_type(ldns_rr_list_rr(rrset, i)) != LDNS_RR_TYPE_RRSIG) {
			first = ldns_rr_list_rr(rrset, i);
			break;
		}
	}
	if (!first)
		return -1;
	uint16_t type = (uint16_t)ldns_rr_get_type(first);
	uint16_t klass = (uint16_t)ldns_rr_get_class(first);
	bool kept;
	struct node *n =
		prepare(c, ldns_rr_owner(first), type, klass, RW_ENTRY_RRSET, rank, now_us, &kept);
	if (!n)
		return kept ? 0 : -1;

	/* The RRset's TTL is the smallest of its records' (RFC 2181 5.2). */
	uint32_t ttl = UINT32_MAX;
	n->e.rrs = ldns_rr_list_new();
	for (size_t i = 0; i < count; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrset, i);
		ldns_rr *copy = ldns_rr_clone(rr);
		if (!copy)
			continue;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG) {
			if (!n->e.sigs)
				n->e.sigs = ldns_rr_list_new();
			ldns_rr_list_push_rr(n->e.sigs, copy);
			continue;
		}
		if (ldns_rr_ttl(rr) < ttl)
			ttl = ldns_rr_ttl(rr);
		ldns_rr_list_push_rr(n->e.rrs, copy);
	}
	ttl = rw_cache_cap_ttl(c, ttl, false);
	for (size_t i = 0; i < ldns_rr_list_rr_count(n->e.rrs); i++)
		ldns_rr_set_ttl(ldns_rr_list_rr(n->e.rrs, i), ttl);
	n->e.kind = RW_ENTRY_RRSET;
	n->e.src = rw_source_ref(src);
	n->e.stored_us = now_us;
	n->e.orig_ttl = ttl;
	n->e.expires_us = now_us + (int64_t)ttl * 1000000;
	n->e.rank = rank;
	n->e.vstate = RW_VSTATE_UNCHECKED;
	return 1;
}

int rw_cache_store_negative(struct rw_cache *c, enum rw_entry_kind kind, const ldns_rdf *name,
			    uint16_t type, uint16_t klass, const ldns_rr *soa, enum rw_rank rank,
			    struct rw_source *src, int64_t now_us)
{
	if (kind == RW_ENTRY_NXDOMAIN)
		type = 0;
	else if (kind != RW_ENTRY_NODATA)
		return -1;
	bool kept;
	struct node *n = prepare(c, name, type, klass, (uint8_t)kind, rank, now_us, &kept);
	if (!n)
		return kept ? 0 : -1;
	uint32_t ttl = rw_cache_cap_ttl(c, rw_soa_negative_ttl(soa), true);
	n->e.kind = kind;
	n->e.soa = ldns_rr_clone(soa);
	if (n->e.soa)
		ldns_rr_set_ttl(n->e.soa, ttl);
	n->e.src = rw_source_ref(src);
	n->e.stored_us = now_us;
	n->e.orig_ttl = ttl;
	n->e.expires_us = now_us + (int64_t)ttl * 1000000;
	n->e.rank = rank;
	return 1;
}

const struct rw_cache_entry *rw_cache_get(struct rw_cache *c, enum rw_entry_kind kind,
					  const ldns_rdf *name, uint16_t type, uint16_t klass,
					  int64_t now_us, enum rw_rank min_rank)
{
	uint8_t owner[255];
	size_t len = owner_key(name, owner);
	if (!len)
		return NULL;
	if (kind == RW_ENTRY_NXDOMAIN)
		type = 0;
	uint64_t h = key_hash(c, owner, len, type, klass, (uint8_t)kind);
	struct node **pp = find_slot(c, owner, len, type, klass, (uint8_t)kind, h);
	struct node *n = *pp;
	if (!n)
		return NULL;
	if (n->e.expires_us <= now_us) {
		/* Never served after expiry: reap it now. */
		*pp = n->next;
		node_free(n);
		c->n_entries--;
		return NULL;
	}
	if (n->e.rank < min_rank)
		return NULL;
	return &n->e;
}

uint32_t rw_cache_ttl_left(const struct rw_cache_entry *e, int64_t now_us)
{
	if (e->expires_us <= now_us)
		return 0;
	int64_t left = (e->expires_us - now_us + 999999) / 1000000;
	return left > (int64_t)e->orig_ttl ? e->orig_ttl : (uint32_t)left;
}

size_t rw_cache_flush_name(struct rw_cache *c, const ldns_rdf *name)
{
	uint8_t owner[255];
	size_t len = owner_key(name, owner), removed = 0;
	if (!len)
		return 0;
	for (size_t i = 0; i < c->n_buckets; i++) {
		struct node **pp = &c->buckets[i];
		while (*pp) {
			struct node *n = *pp;
			if (n->owner_len == len && memcmp(n->owner, owner, len) == 0) {
				*pp = n->next;
				node_free(n);
				c->n_entries--;
				removed++;
			} else {
				pp = &n->next;
			}
		}
	}
	return removed;
}
