/* The key cache: what the validator concluded about each zone (as Unbound's key cache).
 *
 * For a zone: secure, with its trusted DNSKEY RRset; insecure (a proven absence of DS above it,
 * an unsupported algorithm, domain-insecure); or bogus, with the reason and its EDE, kept for a
 * short time (val-bogus-ttl) so a broken zone is not fetched again at every query. Entries expire
 * with the TTLs of the DS and DNSKEY RRsets and the signatures' end. Shared by every worker: it
 * locks itself. Time is passed in.
 */
#ifndef RW_KEYCACHE_H
#define RW_KEYCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>

#include "rootwalk/cache.h"

struct rw_keycache;

struct rw_keyentry {
	enum rw_vstate state;  /* SECURE, INSECURE or BOGUS */
	ldns_rr_list *dnskeys; /* SECURE: the trusted DNSKEY RRset (copy, owned) */
	int64_t stored_us, expires_us;
	uint16_t key_tag; /* SECURE: the key the DS matched */
	uint8_t alg;
	int ede;       /* BOGUS / INSECURE: RFC 8914 code, -1 for none */
	char why[240]; /* BOGUS / INSECURE: the first broken link, for people */
};
void rw_keyentry_clear(struct rw_keyentry *e);

/* max_entries: zones held (at least 1); key: the SipHash key of its table, drawn by the caller
 * (rw_env's random_buf: the core draws no randomness itself). NULL when out of memory. */
struct rw_keycache *rw_keycache_new(size_t max_entries, const uint8_t key[16]);
void rw_keycache_free(struct rw_keycache *k);
/* Store (replace) what is known about zone; dnskeys are copied. */
int rw_keycache_put(struct rw_keycache *k, const ldns_rdf *zone, const struct rw_keyentry *e);
/* A copy of the unexpired entry for zone (rw_keyentry_clear it after), true; false when none. */
bool rw_keycache_get(struct rw_keycache *k, const ldns_rdf *zone, int64_t now_us,
		     struct rw_keyentry *out);
/* Remove entries: all, or only bogus ones, or those at/below name (NULL: every name). Returns
 * the count removed. */
size_t rw_keycache_flush(struct rw_keycache *k, const ldns_rdf *name, bool bogus_only);
/* Call fn for every unexpired entry (zone in presentation format). Returns the count. */
size_t rw_keycache_walk(struct rw_keycache *k, int64_t now_us,
			void (*fn)(void *arg, const char *zone, const struct rw_keyentry *e),
			void *arg);

#endif
