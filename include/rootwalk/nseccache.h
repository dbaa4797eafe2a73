/* The NSEC cache: validated NSEC records per zone, for aggressive use of the DNSSEC-validated
 * cache (RFC 8198). NSEC only: NSEC3 records are not kept.
 *
 * The validator puts in the NSEC records (each with its RRSIGs) and the SOA (with its RRSIGs)
 * of every negative answer it proved secure with NSEC. The iterator asks, before it walks
 * upstream, whether they already prove that a name does not exist (a covering NSEC and an NSEC
 * covering the wildcard at the closest encloser: NXDOMAIN) or has no data of a type (an NSEC at
 * the name without the type and without CNAME: NODATA). The proof itself is rw_denial_prove's
 * (dnssec.h), run over the candidate records.
 *
 * Each record lives until min(its TTL, the zone's SOA negative TTL (min of SOA MINIMUM and SOA
 * TTL, RFC 8198 5.4), the end of its signatures). The number of records is bounded: the zone
 * used least recently goes first. Shared by every worker: it locks itself. Time is passed in.
 */
#ifndef RW_NSECCACHE_H
#define RW_NSECCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>

struct rw_nseccache;

/* The server name of the source of what is synthesised (trace, cache provenance). */
#define RW_NSEC_SYNTH_SOURCE "(NSEC cache, RFC 8198)"

/* A synthesised negative answer: copies, the caller's (rw_nsec_hit_clear). */
struct rw_nsec_hit {
	int rcode;	     /* LDNS_RCODE_NXDOMAIN or LDNS_RCODE_NOERROR (NODATA) */
	ldns_rdf *zone;	     /* the zone whose NSEC records prove it */
	ldns_rr *soa;	     /* the zone's SOA */
	ldns_rr_list *proof; /* the NSEC records used, their RRSIGs, the SOA's RRSIGs */
	/* The records the proof rests on (borrowed from proof): the NSEC at the name (NODATA) or
	 * covering it, and the one covering (NXDOMAIN) or matching (wildcard NODATA) the wildcard
	 * at the closest encloser, NULL when not used. */
	const ldns_rr *nsec, *wild;
	char encloser[256]; /* the closest encloser, presentation format, or "" */
	int64_t stored_us;  /* when the oldest record used was put in */
	int64_t expires_us; /* when the first record used (or the SOA) expires */
};
void rw_nsec_hit_clear(struct rw_nsec_hit *h);

/* max_records: NSEC records held over every zone (at least 1); key: the SipHash key of its
 * table of zones, drawn by the caller (rw_env's random_buf: the core draws no randomness
 * itself). NULL when out of memory. */
struct rw_nseccache *rw_nseccache_new(size_t max_records, const uint8_t key[16]);
void rw_nseccache_free(struct rw_nseccache *c); /* NULL does nothing */

/* Put the NSEC records of proof (a validated negative answer of zone: NSEC records, their
 * RRSIGs, the SOA's RRSIGs; other records ignored), with their RRSIGs, and soa, at now_us.
 * NSEC records not in zone and records without an RRSIG are skipped. Returns the number of NSEC
 * records kept (0 when none), or negative when out of memory. */
int rw_nseccache_put(struct rw_nseccache *c, const ldns_rdf *zone, const ldns_rr *soa,
		     const ldns_rr_list *proof, int64_t now_us);

/* Whether the cached NSEC records of the closest enclosing zone that has any prove that qname
 * does not exist or has no qtype at now_us; true with the answer in *out. For a name at a
 * delegation (NS without SOA in its NSEC) only a DS question is answered. */
bool rw_nseccache_lookup(struct rw_nseccache *c, const ldns_rdf *qname, uint16_t qtype,
			 int64_t now_us, struct rw_nsec_hit *out);

/* Forget zones at or below name and the zones above it (NULL: every zone). Returns the number
 * of records removed. */
size_t rw_nseccache_flush(struct rw_nseccache *c, const ldns_rdf *name);
/* Records held (expired ones not yet dropped included), and zones. */
size_t rw_nseccache_count(struct rw_nseccache *c, size_t *zones);

#endif
