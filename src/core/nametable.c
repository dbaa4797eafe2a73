/* A table of domain names: see nametable.h.
 *
 * Names are hashed and compared lower-cased (ASCII only, as DNS names compare: RFC 4343); the
 * length bytes of a name are at most 63 and so are never changed by it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "nametable.h"

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

int rw_ntab_init(struct rw_ntab *t, size_t expected, size_t max_buckets, const uint8_t key[16],
		 void (*free_node)(struct rw_ntab_node *nd))
{
	size_t nb = 16;

	memset(t, 0, sizeof(*t));
	while (nb < expected && nb < max_buckets)
		nb *= 2;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->n_buckets = nb;
	t->free_node = free_node;
	memcpy(t->key, key, sizeof(t->key));
	return 0;
}

void rw_ntab_fini(struct rw_ntab *t)
{
	for (struct rw_ntab_node *nd = t->head, *next; nd; nd = next) {
		next = nd->next;
		t->free_node(nd);
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

/* The hash of name lower-cased. A name longer than the DNS allows is hashed by its first
 * LDNS_MAX_DOMAINLEN bytes: the same for names that are equal, which is all a hash needs. */
static uint64_t name_hash(const struct rw_ntab *t, const ldns_rdf *name)
{
	uint8_t buf[LDNS_MAX_DOMAINLEN], out[crypto_shorthash_BYTES];
	const uint8_t *d = ldns_rdf_data(name);
	size_t len = ldns_rdf_size(name);
	uint64_t h;

	if (len > sizeof(buf))
		len = sizeof(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = lower(d[i]);
	crypto_shorthash(out, buf, len, t->key);
	memcpy(&h, out, sizeof(h));
	return h;
}

/* Whether the canonical name a and name b (any case) are the same name. */
static bool name_eq(const ldns_rdf *a, const ldns_rdf *b)
{
	const uint8_t *x = ldns_rdf_data(a), *y = ldns_rdf_data(b);
	size_t len = ldns_rdf_size(a);

	if (len != ldns_rdf_size(b))
		return false;
	for (size_t i = 0; i < len; i++)
		if (x[i] != lower(y[i]))
			return false;
	return true;
}

static struct rw_ntab_node **bucket_of(const struct rw_ntab *t, uint64_t h)
{
	return &t->buckets[h & (t->n_buckets - 1)];
}

struct rw_ntab_node *rw_ntab_find(const struct rw_ntab *t, const ldns_rdf *name)
{
	uint64_t h = name_hash(t, name);

	for (struct rw_ntab_node *nd = *bucket_of(t, h); nd; nd = nd->hnext)
		if (nd->hash == h && name_eq(nd->name, name))
			return nd;
	return NULL;
}

static void list_unlink(struct rw_ntab *t, struct rw_ntab_node *nd)
{
	if (nd->prev)
		nd->prev->next = nd->next;
	else
		t->head = nd->next;
	if (nd->next)
		nd->next->prev = nd->prev;
	else
		t->tail = nd->prev;
	nd->prev = nd->next = NULL;
}

static void list_append(struct rw_ntab *t, struct rw_ntab_node *nd)
{
	nd->prev = t->tail;
	nd->next = NULL;
	if (t->tail)
		t->tail->next = nd;
	else
		t->head = nd;
	t->tail = nd;
}

void rw_ntab_insert(struct rw_ntab *t, struct rw_ntab_node *nd, ldns_rdf *name)
{
	uint8_t *d = ldns_rdf_data(name);
	struct rw_ntab_node **b;

	for (size_t i = 0; i < ldns_rdf_size(name); i++)
		d[i] = lower(d[i]);
	nd->name = name;
	nd->hash = name_hash(t, name);
	b = bucket_of(t, nd->hash);
	nd->hnext = *b;
	*b = nd;
	list_append(t, nd);
	t->n++;
}

void rw_ntab_remove(struct rw_ntab *t, struct rw_ntab_node *nd)
{
	struct rw_ntab_node **pp = bucket_of(t, nd->hash);

	while (*pp && *pp != nd)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = nd->hnext;
	nd->hnext = NULL;
	list_unlink(t, nd);
	t->n--;
}

void rw_ntab_touch(struct rw_ntab *t, struct rw_ntab_node *nd)
{
	list_unlink(t, nd);
	list_append(t, nd);
}

struct rw_ntab_node *rw_ntab_oldest(const struct rw_ntab *t)
{
	return t->head;
}

struct rw_ntab_node *rw_ntab_newer(const struct rw_ntab_node *nd)
{
	return nd->next;
}

bool rw_ntab_at_or_below(const ldns_rdf *name, const ldns_rdf *top)
{
	return ldns_dname_compare(name, top) == 0 || ldns_dname_is_subdomain(name, top);
}
