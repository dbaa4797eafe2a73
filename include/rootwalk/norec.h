/* Queries with RD clear: answered from what the cache holds, never by resolving (norec.c). */
#ifndef RW_NOREC_H
#define RW_NOREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rootwalk/cache.h"
#include "rootwalk/wire.h"

/* The closest cut at or above the query name (above it for DS) whose NS set is cached.
 * On true, *cut holds a copy (rw_cache_entry_clear it); on false *cut is empty. */
bool rw_norec_find_cut(struct rw_cache *c, const struct rw_client_query *cq, int64_t now_us,
		       struct rw_cache_entry *cut);

/* Write a referral to cut (RFC 1034 4.3.2 step 4) in answer to the query pkt/len parsed as cq:
 * NOERROR without AA, the question as sent, cut's NS records with their remaining TTL in the
 * authority section, the cached addresses of those servers in the additional section as far as
 * they fit in cap, and OPT when the client sent one. TC is set, with no records, if the NS set
 * does not fit. Returns the length, or 0 if not even the header and question fit. */
size_t rw_norec_referral(struct rw_cache *c, const uint8_t *pkt, size_t len,
			 const struct rw_client_query *cq, const struct rw_cache_entry *cut,
			 int64_t now_us, uint8_t *out, size_t cap);

#endif
