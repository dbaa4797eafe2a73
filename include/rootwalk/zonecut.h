/* Zone cuts held in the cache: the closest cached delegation above a name, and the cached
 * addresses of a name server. One answer to each question for every caller: the iterator (where
 * a walk starts), the RD=0 referral, `rootwalk lookup` and the NS answer's additional section.
 * Reads the cache only; no tracing (callers trace what they use).
 */
#ifndef RW_ZONECUT_H
#define RW_ZONECUT_H

#include <stdbool.h>
#include <stdint.h>
#include <ldns/ldns.h>

#include "rootwalk/cache.h"

/* An NS set counts as a delegation from this rank up (a referral or better). */
#define RW_ZONECUT_MIN_RANK RW_RANK_REFERRAL

/* The closest cut at or above name whose NS set is cached: for DS (ds true) the search starts
 * one label up, since DS lives on the parent side of a cut. usable, when not NULL, may turn a
 * cut down (the iterator's "no server of it can be reached"); the search then goes on above it.
 * On success the NS entry is copied into *ns (the caller clears it) and true is returned. */
bool rw_zonecut_find(struct rw_cache *c, const ldns_rdf *name, bool ds, int64_t now_us,
		     bool (*usable)(void *arg, const struct rw_cache_entry *ns), void *arg,
		     struct rw_cache_entry *ns);

/* Each cached address RRset of name server nsname: its A, then its AAAA RRset (glue rank or
 * better, the child's own records when it has them), then, with parent_too, the parent-side glue
 * kept beside them (RW_ENTRY_PARENT_GLUE). fn gets each entry (valid during the call only) and
 * whether it is the parent side; it returns false to stop. Returns the number of RRsets found. */
int rw_zonecut_addrs(struct rw_cache *c, const ldns_rdf *nsname, int64_t now_us, bool parent_too,
		     bool (*fn)(void *arg, const struct rw_cache_entry *e, bool parent_side),
		     void *arg);

#endif
