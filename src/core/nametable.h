/* A table of domain names: the hash table and use order that the key cache and the NSEC cache
 * keep their zones in. Internal to the core.
 *
 * Intrusive: the user embeds struct rw_ntab_node as the FIRST member of its own node, allocates
 * and frees the nodes itself, and casts back. Chained buckets hashed with SipHash
 * (crypto_shorthash) under a key the user passes in (drawn from rw_env), and a doubly linked
 * list in order of use: the oldest first, for eviction. Names are kept in canonical form
 * (lower-cased, RFC 4034 6.2) and found whatever their case. No lock: the user holds its own.
 */
#ifndef RW_NAMETABLE_H
#define RW_NAMETABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>

struct rw_ntab_node {
	struct rw_ntab_node *hnext;	  /* bucket chain */
	struct rw_ntab_node *prev, *next; /* use order: the oldest first */
	uint64_t hash;
	ldns_rdf *name; /* canonical; the node's: free it with the node */
};

/* The fields are the table's; read n if you like. */
struct rw_ntab {
	struct rw_ntab_node **buckets;
	size_t n_buckets, n;
	struct rw_ntab_node *head, *tail;
	void (*free_node)(struct rw_ntab_node *nd);
	uint8_t key[16];
};

/* An empty table with a bucket for every expected name (a power of two, at least 16, at most
 * max_buckets when that is a larger power of two), hashed under key; free_node frees a node (its
 * name too) at rw_ntab_fini. 0, or -ENOMEM (then *t is as rw_ntab_fini leaves it). */
int rw_ntab_init(struct rw_ntab *t, size_t expected, size_t max_buckets, const uint8_t key[16],
		 void (*free_node)(struct rw_ntab_node *nd));
/* Free every node (free_node) and the buckets; *t is left zeroed (fini again does nothing). */
void rw_ntab_fini(struct rw_ntab *t);

/* The node named name (any case), or NULL. */
struct rw_ntab_node *rw_ntab_find(const struct rw_ntab *t, const ldns_rdf *name);
/* Put nd in as the most recently used, named name (taken and lower-cased in place). No node of
 * that name may be in the table already (rw_ntab_find first). */
void rw_ntab_insert(struct rw_ntab *t, struct rw_ntab_node *nd, ldns_rdf *name);
/* Take nd out of the table; it stays the caller's to free, with its name. */
void rw_ntab_remove(struct rw_ntab *t, struct rw_ntab_node *nd);
/* Make nd the most recently used. */
void rw_ntab_touch(struct rw_ntab *t, struct rw_ntab_node *nd);

/* In use order: the least recently used node (NULL when empty), and the one used after nd (NULL
 * after the last). To remove while walking, take the next one first. */
struct rw_ntab_node *rw_ntab_oldest(const struct rw_ntab *t);
struct rw_ntab_node *rw_ntab_newer(const struct rw_ntab_node *nd);

/* Whether name is top or below it (ldns_dname_compare, then ldns_dname_is_subdomain: whose
 * labels compare byte for byte, so pass both in canonical form). */
bool rw_ntab_at_or_below(const ldns_rdf *name, const ldns_rdf *top);

#endif
