/* The key cache: see rootwalk/keycache.h.
 *
 * A chained hash table (SipHash with a per-process random key, as the cache) of zone -> entry,
 * and a list in order of use: the least recently stored or read entry is evicted when the table
 * is full. One mutex; readers get copies.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rootwalk/keycache.h"

struct kc_node {
	struct kc_node *hnext;	     /* bucket chain */
	struct kc_node *prev, *next; /* use order: head is the oldest */
	uint64_t hash;
	ldns_rdf *zone; /* canonical */
	struct rw_keyentry e;
};

struct rw_keycache {
	pthread_mutex_t lock;
	struct kc_node **buckets;
	size_t n_buckets, n, max;
	struct kc_node *head, *tail;
	uint8_t key[crypto_shorthash_KEYBYTES];
};

void rw_keyentry_clear(struct rw_keyentry *e)
{
	if (!e)
		return;
	ldns_rr_list_deep_free(e->dnskeys);
	e->dnskeys = NULL;
}

struct rw_keycache *rw_keycache_new(size_t max_entries)
{
	struct rw_keycache *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->max = max_entries ? max_entries : 1;
	k->n_buckets = 16;
	while (k->n_buckets < k->max && k->n_buckets < ((size_t)1 << 20))
		k->n_buckets *= 2;
	k->buckets = calloc(k->n_buckets, sizeof(*k->buckets));
	if (!k->buckets || pthread_mutex_init(&k->lock, NULL) != 0) {
		free(k->buckets);
		free(k);
		return NULL;
	}
	randombytes_buf(k->key, sizeof(k->key));
	return k;
}

static void node_free(struct kc_node *nd)
{
	ldns_rdf_deep_free(nd->zone);
	rw_keyentry_clear(&nd->e);
	free(nd);
}

void rw_keycache_free(struct rw_keycache *k)
{
	if (!k)
		return;
	for (struct kc_node *nd = k->head, *next; nd; nd = next) {
		next = nd->next;
		node_free(nd);
	}
	pthread_mutex_destroy(&k->lock);
	free(k->buckets);
	free(k);
}

static uint64_t zone_hash(const struct rw_keycache *k, const ldns_rdf *zone)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, ldns_rdf_data(zone), ldns_rdf_size(zone), k->key);
	memcpy(&h, out, sizeof(h));
	return h;
}

static void list_unlink(struct rw_keycache *k, struct kc_node *nd)
{
	if (nd->prev)
		nd->prev->next = nd->next;
	else
		k->head = nd->next;
	if (nd->next)
		nd->next->prev = nd->prev;
	else
		k->tail = nd->prev;
	nd->prev = nd->next = NULL;
}

static void list_append(struct rw_keycache *k, struct kc_node *nd)
{
	nd->prev = k->tail;
	nd->next = NULL;
	if (k->tail)
		k->tail->next = nd;
	else
		k->head = nd;
	k->tail = nd;
}

/* Take nd out of the table and free it. */
static void node_remove(struct rw_keycache *k, struct kc_node *nd)
{
	struct kc_node **pp = &k->buckets[nd->hash & (k->n_buckets - 1)];

	while (*pp && *pp != nd)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = nd->hnext;
	list_unlink(k, nd);
	node_free(nd);
	k->n--;
}

static struct kc_node *node_find(struct rw_keycache *k, const ldns_rdf *zone, uint64_t h)
{
	for (struct kc_node *nd = k->buckets[h & (k->n_buckets - 1)]; nd; nd = nd->hnext)
		if (nd->hash == h && ldns_dname_compare(nd->zone, zone) == 0)
			return nd;
	return NULL;
}

/* A deep copy of e into out (dnskeys cloned). Returns 0 or -ENOMEM. */
static int entry_copy(struct rw_keyentry *out, const struct rw_keyentry *e)
{
	*out = *e;
	out->why[sizeof(out->why) - 1] = '\0';
	out->dnskeys = NULL;
	if (e->dnskeys) {
		out->dnskeys = ldns_rr_list_clone(e->dnskeys);
		if (!out->dnskeys)
			return -ENOMEM;
	}
	return 0;
}

int rw_keycache_put(struct rw_keycache *k, const ldns_rdf *zone, const struct rw_keyentry *e)
{
	struct rw_keyentry copy;
	ldns_rdf *z = ldns_rdf_clone(zone);
	struct kc_node *nd;
	uint64_t h;

	if (!z || entry_copy(&copy, e) < 0) {
		ldns_rdf_deep_free(z);
		return -ENOMEM;
	}
	ldns_dname2canonical(z);
	h = zone_hash(k, z);
	pthread_mutex_lock(&k->lock);
	nd = node_find(k, z, h);
	if (nd) {
		rw_keyentry_clear(&nd->e);
		nd->e = copy;
		ldns_rdf_deep_free(z);
		list_unlink(k, nd);
		list_append(k, nd);
		pthread_mutex_unlock(&k->lock);
		return 0;
	}
	nd = calloc(1, sizeof(*nd));
	if (!nd) {
		pthread_mutex_unlock(&k->lock);
		ldns_rdf_deep_free(z);
		rw_keyentry_clear(&copy);
		return -ENOMEM;
	}
	while (k->n >= k->max && k->head)
		node_remove(k, k->head); /* the least recently used */
	nd->hash = h;
	nd->zone = z;
	nd->e = copy;
	nd->hnext = k->buckets[h & (k->n_buckets - 1)];
	k->buckets[h & (k->n_buckets - 1)] = nd;
	list_append(k, nd);
	k->n++;
	pthread_mutex_unlock(&k->lock);
	return 0;
}

bool rw_keycache_get(struct rw_keycache *k, const ldns_rdf *zone, int64_t now_us,
		     struct rw_keyentry *out)
{
	ldns_rdf *z = ldns_rdf_clone(zone);
	struct kc_node *nd;
	bool found = false;

	if (!z)
		return false;
	ldns_dname2canonical(z);
	pthread_mutex_lock(&k->lock);
	nd = node_find(k, z, zone_hash(k, z));
	if (nd && nd->e.expires_us <= now_us) {
		node_remove(k, nd);
		nd = NULL;
	}
	if (nd && entry_copy(out, &nd->e) == 0) {
		list_unlink(k, nd);
		list_append(k, nd);
		found = true;
	}
	pthread_mutex_unlock(&k->lock);
	ldns_rdf_deep_free(z);
	return found;
}

size_t rw_keycache_flush(struct rw_keycache *k, const ldns_rdf *name, bool bogus_only)
{
	size_t n = 0;

	pthread_mutex_lock(&k->lock);
	for (struct kc_node *nd = k->head, *next; nd; nd = next) {
		next = nd->next;
		if (bogus_only && nd->e.state != RW_VSTATE_BOGUS)
			continue;
		if (name && ldns_dname_compare(nd->zone, name) != 0 &&
		    !ldns_dname_is_subdomain(nd->zone, name))
			continue;
		node_remove(k, nd);
		n++;
	}
	pthread_mutex_unlock(&k->lock);
	return n;
}

/* An entry copied out of the lock for the walk. */
struct kc_copy {
	char *zone;
	struct rw_keyentry e;
};

size_t rw_keycache_walk(struct rw_keycache *k, int64_t now_us,
			void (*fn)(void *arg, const char *zone, const struct rw_keyentry *e),
			void *arg)
{
	struct kc_copy *v;
	size_t n = 0;

	pthread_mutex_lock(&k->lock);
	v = k->n ? calloc(k->n, sizeof(*v)) : NULL;
	for (struct kc_node *nd = k->head; v && nd; nd = nd->next) {
		if (nd->e.expires_us <= now_us)
			continue;
		v[n].zone = ldns_rdf2str(nd->zone);
		if (!v[n].zone || entry_copy(&v[n].e, &nd->e) < 0) {
			free(v[n].zone);
			continue;
		}
		n++;
	}
	pthread_mutex_unlock(&k->lock);
	for (size_t i = 0; i < n; i++) {
		if (fn)
			fn(arg, v[i].zone, &v[i].e);
		free(v[i].zone);
		rw_keyentry_clear(&v[i].e);
	}
	free(v);
	return n;
}
