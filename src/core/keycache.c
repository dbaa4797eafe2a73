/* The key cache: see rootwalk/keycache.h.
 *
 * A table of zone -> entry (nametable.h: hashed under the key given, kept in order of use): the
 * least recently stored or read entry is evicted when the table is full. One mutex; readers get
 * copies.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nametable.h"
#include "rootwalk/keycache.h"

struct kc_node {
	struct rw_ntab_node t; /* first: the zone, canonical */
	struct rw_keyentry e;
};

struct rw_keycache {
	pthread_mutex_t lock;
	struct rw_ntab tab;
	size_t max;
};

void rw_keyentry_clear(struct rw_keyentry *e)
{
	if (!e)
		return;
	ldns_rr_list_deep_free(e->dnskeys);
	e->dnskeys = NULL;
}

static void node_free(struct rw_ntab_node *t)
{
	struct kc_node *nd = (struct kc_node *)t;

	ldns_rdf_deep_free(nd->t.name);
	rw_keyentry_clear(&nd->e);
	free(nd);
}

struct rw_keycache *rw_keycache_new(size_t max_entries, const uint8_t key[16])
{
	struct rw_keycache *k = calloc(1, sizeof(*k));

	if (!k || pthread_mutex_init(&k->lock, NULL) != 0) {
		free(k);
		return NULL;
	}
	k->max = max_entries ? max_entries : 1;
	if (rw_ntab_init(&k->tab, k->max, (size_t)1 << 20, key, node_free) < 0) {
		rw_keycache_free(k);
		return NULL;
	}
	return k;
}

void rw_keycache_free(struct rw_keycache *k)
{
	if (!k)
		return;
	rw_ntab_fini(&k->tab);
	pthread_mutex_destroy(&k->lock);
	free(k);
}

/* Take nd out of the table and free it. */
static void node_remove(struct rw_keycache *k, struct kc_node *nd)
{
	rw_ntab_remove(&k->tab, &nd->t);
	node_free(&nd->t);
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

	if (!z || entry_copy(&copy, e) < 0) {
		ldns_rdf_deep_free(z);
		return -ENOMEM;
	}
	pthread_mutex_lock(&k->lock);
	nd = (struct kc_node *)rw_ntab_find(&k->tab, z);
	if (nd) {
		rw_keyentry_clear(&nd->e);
		nd->e = copy;
		ldns_rdf_deep_free(z);
		rw_ntab_touch(&k->tab, &nd->t);
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
	while (k->tab.n >= k->max && rw_ntab_oldest(&k->tab)) /* the least recently used */
		node_remove(k, (struct kc_node *)rw_ntab_oldest(&k->tab));
	nd->e = copy;
	rw_ntab_insert(&k->tab, &nd->t, z);
	pthread_mutex_unlock(&k->lock);
	return 0;
}

bool rw_keycache_get(struct rw_keycache *k, const ldns_rdf *zone, int64_t now_us,
		     struct rw_keyentry *out)
{
	struct kc_node *nd;
	bool found = false;

	pthread_mutex_lock(&k->lock);
	nd = (struct kc_node *)rw_ntab_find(&k->tab, zone);
	if (nd && nd->e.expires_us <= now_us) {
		node_remove(k, nd);
		nd = NULL;
	}
	if (nd && entry_copy(out, &nd->e) == 0) {
		rw_ntab_touch(&k->tab, &nd->t);
		found = true;
	}
	pthread_mutex_unlock(&k->lock);
	return found;
}

size_t rw_keycache_flush(struct rw_keycache *k, const ldns_rdf *name, bool bogus_only)
{
	size_t n = 0;

	pthread_mutex_lock(&k->lock);
	for (struct rw_ntab_node *t = rw_ntab_oldest(&k->tab), *next; t; t = next) {
		struct kc_node *nd = (struct kc_node *)t;
		next = rw_ntab_newer(t);
		if (bogus_only && nd->e.state != RW_VSTATE_BOGUS)
			continue;
		if (name && !rw_ntab_at_or_below(t->name, name))
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
	v = k->tab.n ? calloc(k->tab.n, sizeof(*v)) : NULL;
	for (struct rw_ntab_node *t = v ? rw_ntab_oldest(&k->tab) : NULL; t; t = rw_ntab_newer(t)) {
		const struct kc_node *nd = (const struct kc_node *)t;
		if (nd->e.expires_us <= now_us)
			continue;
		v[n].zone = ldns_rdf2str(t->name);
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
