/* The cache: RRsets and negative answers keyed by (owner, type, class), with provenance.
 *
 * Every entry records who supplied it (server name, address, zone), when it was stored, its
 * original TTL, its absolute wall-clock expiry and its trust rank (RFC 2181 5.4.1). Time is always
 * passed in by the caller (wall-clock microseconds): the cache never reads a clock.
 */
#ifndef RW_CACHE_H
#define RW_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <ldns/ldns.h>

/* Trust ranks, lowest first. Lower-ranked data never replaces valid higher-ranked data. */
enum rw_rank {
	RW_RANK_NONE = 0,
	RW_RANK_GLUE,		/* additional section: addresses of name servers */
	RW_RANK_REFERRAL,	/* authority section of a referral (non-authoritative NS) */
	RW_RANK_NONAUTH_ANSWER, /* answer section without AA */
	RW_RANK_AUTH_AUTHORITY, /* authority section of an authoritative answer */
	RW_RANK_ANSWER,		/* answer section of an authoritative answer */
};
const char *rw_rank_name(enum rw_rank rank);

enum rw_vstate { RW_VSTATE_UNCHECKED = 0 };

enum rw_entry_kind {
	RW_ENTRY_RRSET = 0,
	RW_ENTRY_NXDOMAIN, /* stored under type 0: the name does not exist */
	RW_ENTRY_NODATA,   /* the name exists but has no data of this type */
};

/* Where data came from. Reference counted: every RRset from one reply shares one source. */
struct rw_source {
	unsigned refs;
	char *server; /* name server name in presentation format ("ns1.dnshost.net."), or "" */
	char *zone;   /* zone the server was asked about ("video-platform.com.") */
	struct sockaddr_storage addr;
	socklen_t addrlen;
};
/* Returns a new source with one reference, or NULL. Strings are copied. */
struct rw_source *rw_source_new(const char *server, const char *zone, const struct sockaddr *addr,
				socklen_t addrlen);
struct rw_source *rw_source_ref(struct rw_source *s);
void rw_source_unref(struct rw_source *s); /* NULL does nothing */

struct rw_cache_entry {
	enum rw_entry_kind kind;
	ldns_rr_list *rrs;  /* RRset (kind RRSET), TTLs as stored after the caps; owned */
	ldns_rr_list *sigs; /* RRSIGs covering the RRset (may be NULL); owned */
	ldns_rr *soa;	    /* the SOA that justified a negative entry; owned */
	struct rw_source *src;
	int64_t stored_us;  /* wall clock when stored */
	int64_t expires_us; /* wall clock when it stops being served */
	uint32_t orig_ttl;  /* TTL after the caps, when stored */
	enum rw_rank rank;
	enum rw_vstate vstate;
};

struct rw_cache_opts {
	uint32_t max_ttl, min_ttl, max_negative_ttl;
};

struct rw_cache;

/* key: 16 random bytes for the hash function. Returns NULL on allocation failure. */
struct rw_cache *rw_cache_new(const struct rw_cache_opts *opts, const uint8_t key[16]);
void rw_cache_free(struct rw_cache *c);

/* Store an RRset (all records share owner, type and class; RRSIGs may be included and are kept
 * with it). The records are copied. Returns 1 if stored, 0 if a valid entry of higher rank was
 * kept instead, negative on error. */
int rw_cache_store_rrset(struct rw_cache *c, const ldns_rr_list *rrset, enum rw_rank rank,
			 struct rw_source *src, int64_t now_us);

/* Store a negative answer: kind NXDOMAIN (type ignored) or NODATA for (name, type). The TTL is
 * min(SOA TTL, SOA MINIMUM) capped by max_negative_ttl. Returns 1 stored, 0 kept, negative error. */
int rw_cache_store_negative(struct rw_cache *c, enum rw_entry_kind kind, const ldns_rdf *name,
			    uint16_t type, uint16_t klass, const ldns_rr *soa, enum rw_rank rank,
			    struct rw_source *src, int64_t now_us);

/* Look up a valid entry of at least min_rank. Returns a borrowed pointer valid until the next
 * modification of the cache, or NULL. For kind NXDOMAIN pass type 0. */
const struct rw_cache_entry *rw_cache_get(struct rw_cache *c, enum rw_entry_kind kind,
					  const ldns_rdf *name, uint16_t type, uint16_t klass,
					  int64_t now_us, enum rw_rank min_rank);

/* Remaining whole seconds of an entry at now_us (rounded up; 0 when expired). */
uint32_t rw_cache_ttl_left(const struct rw_cache_entry *e, int64_t now_us);

/* Remove every entry at name (all types, negative included). Returns the number removed. */
size_t rw_cache_flush_name(struct rw_cache *c, const ldns_rdf *name);
/* Remove everything. Returns the number removed. */
size_t rw_cache_flush_all(struct rw_cache *c);
/* Number of entries held (valid or not yet reaped). */
size_t rw_cache_count(const struct rw_cache *c);

/* A TTL after the cache's caps (max, min, and max-negative when negative); a TTL with the top
 * bit set counts as 0 (RFC 2181 8). */
uint32_t rw_cache_cap_ttl(const struct rw_cache *c, uint32_t ttl, bool negative);

/* Negative TTL from an SOA (RFC 2308 5): min(SOA TTL, MINIMUM). */
uint32_t rw_soa_negative_ttl(const ldns_rr *soa);

#endif
