/* The cache file: the text line of one cache entry, as `rootwalk dump-cache` prints it and
 * `rootwalk load-cache` reads it back (cachefile.c).
 *
 * A line is the owner, the type ("-" for NXDOMAIN), the kind, then "key=value" fields (ttl,
 * orig_ttl, stored, expires, local, server, addr, zone, rank, vstate, rrsigs), then sections, each
 * a keyword and items separated by " | ":
 *
 *   soa:    the SOA of a negative entry, a whole record
 *   data:   the records' rdata (the owner, orig_ttl, class IN and type are the line's)
 *   sigs:   the RRSIGs' rdata
 *   proof:  whole records (NSEC, NSEC3, their RRSIGs; the SOA's RRSIG of a negative entry)
 *
 * Rdata is in presentation form when that reads back to the same wire data and splits as one
 * item; otherwise it is written in the generic form of RFC 3597 ("\# LEN HEX"), so that every line
 * reads back to the entry it was written from. Reading tokenizes with quoted strings and
 * backslash escapes respected, so that a TXT string holding " | " or " data: " stays one item.
 * stored and expires are absolute (UTC, milliseconds): an entry keeps its expiry across a dump
 * and a load, and its provenance (server, addr, zone, stored), trust rank and validation state.
 */
#ifndef RW_CACHEFILE_H
#define RW_CACHEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "rootwalk/cache.h"

struct rw_sbuf;

/* The longest line load-cache takes, newline included: an RRset of a 64 KiB message written as
 * text, with its signatures, fits well within it. */
#define RW_CACHEFILE_MAX_LINE (1024 * 1024)
/* The most records a section may hold (a 64 KiB message holds fewer). */
#define RW_CACHEFILE_MAX_ITEMS 4096

/* Append the line of entry e (newline included) to b; ttl= is counted at now_us. Allocation
 * failure sets b->oom. */
void rw_cachefile_format(struct rw_sbuf *b, const struct rw_cache_entry *e, int64_t now_us);

/* Parse one line (len bytes, no newline needed; a trailing "\r" is ignored). Returns 1 with the
 * entry in *out (the caller clears it with rw_cache_entry_clear), 0 for a blank line or a comment
 * (starting with ";"), or -EINVAL with a one-line reason in err (nothing to clear). Nothing is
 * stored. */
int rw_cachefile_parse(const char *line, size_t len, struct rw_cache_entry *out, char *err,
		       size_t errlen);

enum rw_cachefile_result {
	RW_CACHEFILE_STORED = 0,
	RW_CACHEFILE_EXPIRED, /* its expiry has passed (or the cache's TTL caps end it sooner) */
	RW_CACHEFILE_PRESENT, /* a valid entry with the same key is already cached: kept */
};

/* Store a parsed entry into c as it was: the same stored time (never later than now_us),
 * absolute expiry (never later than the cache's TTL caps allow), provenance, rank and validation
 * state. Goes through the cache's ordinary store, so cache-size bounds it like any store.
 * Returns an rw_cachefile_result, or -ENOMEM. */
int rw_cachefile_store(struct rw_cache *c, const struct rw_cache_entry *e, int64_t now_us);

#endif
