/* The cache: RRsets and negative answers keyed by (owner, type, class), with provenance.
 *
 * Every entry records who supplied it (server name, address, zone), when it was stored, its
 * original TTL, its absolute wall-clock expiry, its trust rank (RFC 2181 5.4.1) and its validation
 * state. Entries are stored as wire data in one allocation each, in shards that each have their
 * own lock, hash table (SipHash with a per-process key) and least-recently-used list; the total
 * size (keys, records, provenance and overhead) is bounded by max_bytes. Time is always passed in
 * by the caller (wall-clock microseconds): the cache never reads a clock.
 *
 * Readers get copies (rw_cache_get) or a response written straight into their buffer
 * (rw_cache_answer), never pointers into the cache, so several threads can share one cache.
 */
#ifndef RW_CACHE_H
#define RW_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <ldns/ldns.h>

struct rw_client_query;

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

/* DNSSEC validation state of an entry; validation comes later, the cache is ready for it. */
enum rw_vstate { RW_VSTATE_UNCHECKED = 0, RW_VSTATE_SECURE, RW_VSTATE_INSECURE, RW_VSTATE_BOGUS };
const char *rw_vstate_name(enum rw_vstate v);

enum rw_entry_kind {
	RW_ENTRY_RRSET = 0,
	RW_ENTRY_NXDOMAIN, /* stored under type 0: the name does not exist */
	RW_ENTRY_NODATA,   /* the name exists but has no data of this type */
	/* Addresses of a name server as the parent zone's referral gave them (glue), kept beside
	 * the child's own RRset of the same name and type: a fallback when every child-side
	 * address fails. Never an answer. */
	RW_ENTRY_PARENT_GLUE,
};
const char *rw_entry_kind_name(enum rw_entry_kind kind);

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

/* A copy of one cache entry, owned by the caller: release it with rw_cache_entry_clear(). */
struct rw_cache_entry {
	enum rw_entry_kind kind;
	ldns_rdf *owner;    /* the key's owner name (lower case) */
	uint16_t type;	    /* 0 for NXDOMAIN */
	ldns_rr_list *rrs;  /* RRset (kind RRSET), TTLs as stored after the caps */
	ldns_rr_list *sigs; /* RRSIGs covering the RRset, or NULL */
	ldns_rr *soa;	    /* the SOA that justified a negative entry, or NULL */
	/* Proof records, each with its own owner (NSEC, NSEC3, their RRSIGs, the SOA's RRSIG of a
	 * negative entry; for an RRset, what proves its wildcard expansion), TTLs the entry's;
	 * NULL when there are none. */
	ldns_rr_list *proof;
	bool wildcard;		/* an RRset stored with proof: a wildcard expansion */
	int64_t sig_expires_us; /* earliest RRSIG expiration (sigs and proof), 0 when none */
	struct rw_source *src;
	int64_t stored_us;  /* wall clock when stored */
	int64_t expires_us; /* wall clock when it stops being served */
	uint32_t orig_ttl;  /* TTL after the caps, when stored */
	enum rw_rank rank;
	enum rw_vstate vstate;
};
void rw_cache_entry_clear(struct rw_cache_entry *e);

struct rw_cache_opts {
	uint32_t max_ttl, min_ttl, max_negative_ttl;
	size_t max_bytes; /* 0: the default, 64 MiB */
	/* DNSSEC validation is on: the fast path serves only SECURE and INSECURE entries to
	 * clients without CD, and sets AD when all it used is SECURE. Off: vstate is ignored. */
	bool validating;
	/* serve-expired: expired entries are kept (not served by the ordinary reads) this many
	 * seconds past expiry, for rw_cache_answer_read() with stale_ttl; 0: reaped at once. */
	uint32_t stale_keep;
};

struct rw_cache;

/* key: 16 random bytes for the hash function. Returns NULL on allocation failure. */
struct rw_cache *rw_cache_new(const struct rw_cache_opts *opts, const uint8_t key[16]);
void rw_cache_free(struct rw_cache *c);
/* New limits and TTL caps (a reload); a smaller size evicts as entries are next stored. */
void rw_cache_set_opts(struct rw_cache *c, const struct rw_cache_opts *opts);

/* A TTL after the cache's caps (max, min, and max-negative when negative); a TTL with the top
 * bit set counts as 0 (RFC 2181 8). */
uint32_t rw_cache_cap_ttl(const struct rw_cache *c, uint32_t ttl, bool negative);

/* Store an RRset (all records share owner, type and class; RRSIGs may be included and are kept
 * with it). The TTL is the smallest of the set's, after the caps. Returns 1 if stored, 0 if a
 * valid entry of higher rank was kept instead, negative on error. */
int rw_cache_store_rrset(struct rw_cache *c, const ldns_rr_list *rrset, enum rw_rank rank,
			 struct rw_source *src, int64_t now_us);
/* rw_cache_store_rrset() with proof records (NULL or empty: none): the NSEC/NSEC3 records and
 * their RRSIGs that prove the RRset's wildcard expansion; an RRset stored with proof is marked
 * a wildcard expansion. The entry's TTL is also at most the smallest TTL of the proof. */
int rw_cache_store_rrset_proof(struct rw_cache *c, const ldns_rr_list *rrset,
			       const ldns_rr_list *proof, enum rw_rank rank, struct rw_source *src,
			       int64_t now_us);

/* Store the parent-side glue (A or AAAA RRset of one name server, from a referral) as an
 * RW_ENTRY_PARENT_GLUE entry. Returns 1 if stored, 0 if kept, negative on error. */
int rw_cache_store_parent_glue(struct rw_cache *c, const ldns_rr_list *rrset, struct rw_source *src,
			       int64_t now_us);

/* How long a NODATA that came without any SOA is cached (as Unbound and Knot Resolver do). */
#define RW_NODATA_NO_SOA_TTL 5

/* Store a negative answer: kind NXDOMAIN (type ignored) or NODATA for (name, type). The TTL is
 * min(SOA TTL, SOA MINIMUM) capped by max_negative_ttl; a NODATA without an SOA (soa NULL) is
 * kept for at most RW_NODATA_NO_SOA_TTL seconds. Returns 1 stored, 0 kept, negative error. */
/* The TTL a negative answer is kept for: from its SOA after the caps, or at most
 * RW_NODATA_NO_SOA_TTL without one (soa NULL). */
uint32_t rw_cache_negative_ttl(const struct rw_cache *c, const ldns_rr *soa);
int rw_cache_store_negative(struct rw_cache *c, enum rw_entry_kind kind, const ldns_rdf *name,
			    uint16_t type, uint16_t klass, const ldns_rr *soa, enum rw_rank rank,
			    struct rw_source *src, int64_t now_us);
/* rw_cache_store_negative() with proof records (NULL or empty: none): the SOA's RRSIG, the
 * NSEC/NSEC3 records and their RRSIGs, served after the SOA to clients that set DO. The entry's
 * TTL is also at most the smallest TTL of the proof, after the negative caps. */
int rw_cache_store_negative_proof(struct rw_cache *c, enum rw_entry_kind kind, const ldns_rdf *name,
				  uint16_t type, uint16_t klass, const ldns_rr *soa,
				  const ldns_rr_list *proof, enum rw_rank rank,
				  struct rw_source *src, int64_t now_us);

/* Set the validation state of the valid entry at (kind, name, type, klass) (NXDOMAIN: type 0)
 * and, when max_expires_us is non-zero and earlier than its expiry, shorten its life to it (a
 * signature that ends sooner, the short life of a bogus result). Returns whether an entry was
 * found. */
bool rw_cache_set_vstate(struct rw_cache *c, enum rw_entry_kind kind, const ldns_rdf *name,
			 uint16_t type, uint16_t klass, enum rw_vstate v, int64_t max_expires_us,
			 int64_t now_us);

/* Look up a valid entry of at least min_rank and copy it into *out (on success the caller must
 * call rw_cache_entry_clear). For kind NXDOMAIN pass type 0. Returns true when found. */
bool rw_cache_get(struct rw_cache *c, enum rw_entry_kind kind, const ldns_rdf *name, uint16_t type,
		  uint16_t klass, int64_t now_us, enum rw_rank min_rank,
		  struct rw_cache_entry *out);

/* The fast path: answer a parsed client query entirely from the cache, following cached CNAMEs
 * (at most max_chain links), writing the whole response (header, the question as the client sent
 * it, answer records with their remaining TTLs, the SOA for negative answers, OPT when the
 * client used EDNS) into out. No allocation. Returns the response length, or 0 when the cache
 * cannot answer completely or the response would not fit in cap.
 *
 * DNSSEC: when the cache is validating and the client did not set CD, an UNCHECKED or BOGUS
 * entry makes it return 0. A client with DO gets each RRset's RRSIGs after it, and in the
 * authority section a negative entry's SOA and proof, and the proof of wildcard expansions.
 * AD is set when validating, everything used is SECURE and the client set DO or AD. */
size_t rw_cache_answer(struct rw_cache *c, const struct rw_client_query *cq, int64_t now_us,
		       uint32_t max_chain, uint8_t *out, size_t cap);

/* What the fast path used, for a trace of a cache hit: one item per RRset or negative entry, in
 * the order their records appear in the response (answer section, then the SOA). Each item's
 * records are n_rrs of its own (1 for a negative entry: the SOA) then n_dnssec RRSIGs or proof
 * records (DO clients only). The proof of a wildcard expansion, in the authority section, is
 * one more item at the end: a copy of the RRset's with n_rrs 0 and n_dnssec its proof count. */
#define RW_CACHE_USED_MAX 16
struct rw_cache_used_set {
	enum rw_entry_kind kind;
	uint16_t type, n_rrs;
	uint16_t n_dnssec;
	enum rw_rank rank;
	enum rw_vstate vstate;
	int64_t sig_expires_us; /* earliest RRSIG expiration of the entry, 0 when none */
	uint32_t orig_ttl, ttl_left;
	int64_t stored_us, expires_us;
	char server[256], zone[256];
	struct sockaddr_storage addr;
	socklen_t addrlen;
};
struct rw_cache_used {
	int n;
	struct rw_cache_used_set set[RW_CACHE_USED_MAX];
};
/* rw_cache_answer() that also says what it used (used may be NULL). */
size_t rw_cache_answer_used(struct rw_cache *c, const struct rw_client_query *cq, int64_t now_us,
			    uint32_t max_chain, uint8_t *out, size_t cap,
			    struct rw_cache_used *used);

/* One read of the fast path with its options and findings (rw_cache_answer_read). */
struct rw_cache_read {
	struct rw_cache_used *used; /* in: filled with what was used, or NULL */
	/* in: non-zero: entries expired less than stale_keep seconds ago are used too, with this
	 * TTL (RFC 8767: 30); 0: only valid entries */
	uint32_t stale_ttl;
	int64_t expired_us; /* out: how long ago the longest-expired entry used expired; 0: none */
	/* out: the entry used nearest its end among those in the last 10% of their original TTL
	 * (for prefetch): its seconds left and original TTL; short_orig 0: none */
	uint32_t short_left, short_orig;
};
/* rw_cache_answer_used() with the options and findings of rd (used, stale_ttl in; the rest
 * out). Returns the response length, or 0. No allocation. */
size_t rw_cache_answer_read(struct rw_cache *c, const struct rw_client_query *cq, int64_t now_us,
			    uint32_t max_chain, uint8_t *out, size_t cap, struct rw_cache_read *rd);

/* Remaining whole seconds of an entry at now_us (rounded up; 0 when expired; never above the
 * original TTL). */
uint32_t rw_cache_ttl_left(const struct rw_cache_entry *e, int64_t now_us);

/* Flush: entries at name (every type, negative and delegation entries included); with
 * RW_FLUSH_SUBTREE also every name below it; with RW_FLUSH_NEGATIVE only negative entries;
 * with RW_FLUSH_BOGUS only entries whose vstate is BOGUS. name NULL means every name. Returns
 * the number removed. */
#define RW_FLUSH_SUBTREE  1u
#define RW_FLUSH_NEGATIVE 2u
#define RW_FLUSH_BOGUS	  4u
size_t rw_cache_flush(struct rw_cache *c, const ldns_rdf *name, unsigned flags);
size_t rw_cache_flush_name(struct rw_cache *c, const ldns_rdf *name);
size_t rw_cache_flush_all(struct rw_cache *c);

/* Call fn for a copy of every valid entry at name (or below it with RW_FLUSH_SUBTREE in flags;
 * name NULL: every entry). The copy is valid during the call only. Returns the count visited. */
size_t rw_cache_walk(struct rw_cache *c, const ldns_rdf *name, unsigned flags, int64_t now_us,
		     void (*fn)(void *arg, const struct rw_cache_entry *e), void *arg);

/* A walk of the whole cache in parts (dump-cache), so that no part holds a shard's lock, or its
 * caller, for long. The walk is not a snapshot: an entry held during the whole walk is visited
 * at least once (twice only when its shard was emptied, e.g. by flush-all, and refilled
 * meanwhile); entries stored or removed between parts may be visited or not. It follows each
 * shard's buckets in reverse-binary order of their index (the order Redis's SCAN uses), which a
 * table that doubled meanwhile keeps. Start from a zeroed cursor. */
struct rw_cache_cursor {
	unsigned shard;
	uint64_t bucket; /* reverse-binary cursor within the shard's table */
	bool done;
};
/* Call fn for a copy (valid during the call) of each valid entry of the next buckets, stopping
 * after the bucket in which about max entries were reached or a bounded number of buckets was
 * looked at; sets cur->done after the last bucket. Returns the number of entries visited. */
size_t rw_cache_walk_part(struct rw_cache *c, struct rw_cache_cursor *cur, size_t max,
			  int64_t now_us, void (*fn)(void *arg, const struct rw_cache_entry *e),
			  void *arg);

/* Number of entries held (valid or not yet reaped), and bytes accounted for them. */
size_t rw_cache_count(const struct rw_cache *c);
size_t rw_cache_bytes(const struct rw_cache *c);
/* Entries evicted to stay within max_bytes since creation. */
uint64_t rw_cache_evictions(const struct rw_cache *c);

/* Negative TTL from an SOA (RFC 2308 5): min(SOA TTL, MINIMUM). */
uint32_t rw_soa_negative_ttl(const ldns_rr *soa);

#endif
