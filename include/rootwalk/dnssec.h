/* DNSSEC primitives: checking an RRset's signatures against a zone's keys, a DNSKEY RRset against
 * its DS records, and proofs of non-existence with NSEC and NSEC3 (RFC 4033-4035, 5155, 6840).
 *
 * Pure functions over ldns records. The cryptography is ldns's (OpenSSL underneath); the time is
 * passed in (seconds since the epoch), never read; the work is bounded by a budget the caller
 * carries for the whole query (KeyTrap, CVE-2023-50387; NSEC3 hashing, CVE-2023-50868). The
 * validator (validate.c) decides what to check and in what order; these say whether it holds.
 */
#ifndef RW_DNSSEC_H
#define RW_DNSSEC_H

#include <stdbool.h>
#include <stdint.h>
#include <ldns/ldns.h>

/* Limits for one client query. */
#define RW_DSEC_MAX_VERIFY     64  /* signature verifications (all RRsets of the query) */
#define RW_DSEC_MAX_KEY_TRY    8   /* keys tried for one RRSIG (colliding key tags) */
#define RW_DSEC_MAX_SIG_TRY    8   /* RRSIGs tried for one RRset */
#define RW_DSEC_MAX_NSEC3_HASH 150 /* NSEC3 hash computations */
#define RW_DSEC_MAX_NSEC3_ITER 150 /* more iterations than this: insecure (RFC 9276, EDE 27) */

struct rw_dsec_pkeys;
struct rw_dsec_budget {
	uint32_t verify_left; /* starts at RW_DSEC_MAX_VERIFY */
	uint32_t hash_left;   /* starts at RW_DSEC_MAX_NSEC3_HASH */
	/* converted public keys kept across queries (dnssec_pkey.c), or NULL (budget_init) */
	struct rw_dsec_pkeys *pkeys;
};
void rw_dsec_budget_init(struct rw_dsec_budget *b);

/* Algorithms (RFC 8624) and DS digests we validate: RSASHA256 (8), RSASHA512 (10),
 * ECDSAP256SHA256 (13), ECDSAP384SHA384 (14), ED25519 (15), ED448 (16); digests SHA-256 (2),
 * SHA-384 (4) and SHA-1 (1). */
bool rw_dsec_alg_supported(uint8_t alg);
bool rw_dsec_digest_supported(uint8_t digest);

enum rw_dsec_result {
	RW_DSEC_SECURE = 0,
	RW_DSEC_BAD_SIG,	    /* a signature that does not verify (EDE 6, bogus) */
	RW_DSEC_EXPIRED,	    /* every usable signature has expired (EDE 7) */
	RW_DSEC_NOT_YET_VALID,	    /* every usable signature is from the future (EDE 8) */
	RW_DSEC_NO_DNSKEY,	    /* no key of the zone matches any RRSIG (EDE 9) */
	RW_DSEC_NO_RRSIG,	    /* no RRSIG from the zone covers the set (EDE 10) */
	RW_DSEC_DS_NO_MATCH,	    /* DNSKEY RRset: no key matches a DS (EDE 9) */
	RW_DSEC_UNSUPPORTED_ALG,    /* only unsupported algorithms: insecure (EDE 1) */
	RW_DSEC_UNSUPPORTED_DIGEST, /* only unsupported DS digests: insecure (EDE 2) */
	RW_DSEC_LIMIT,		    /* the budget ran out (bogus, EDE 0 naming the limit) */
};
/* "secure", "signature does not verify", "signature expired", ... */
const char *rw_dsec_result_name(enum rw_dsec_result r);
/* The RFC 8914 info-code for a result that is not secure. */
int rw_dsec_result_ede(enum rw_dsec_result r);

/* What a check found, for the trace and the EDE text. */
struct rw_dsec_check {
	enum rw_dsec_result result;
	uint16_t key_tag; /* the key that verified (or the one a failing RRSIG names) */
	uint8_t alg;	  /* its algorithm */
	uint16_t ds_tag;  /* DNSKEY checks: the DS that matched (or the first that did not) */
	uint8_t ds_alg, ds_digest;
	int64_t inception_s;	/* the signature's window, absolute (RFC 1982 serial time */
	int64_t expiration_s;	/* resolved against now) */
	uint8_t sig_labels;	/* the RRSIG's labels field */
	bool wildcard;		/* the set is a wildcard expansion (labels < the owner's) */
	uint32_t ttl;		/* how long the set may be kept: min(TTL, original TTL, expiry) */
	uint32_t verifications; /* verify operations this check used */
	char limit[48];		/* RW_DSEC_LIMIT: which limit ("max 64 verifications") */
};

/* Check rrset (one owner, type and class; no RRSIGs in it) with the RRSIGs in sigs that cover its
 * type and name zone as signer, against keys (the zone's trusted DNSKEY RRset), at now_s. */
void rw_dsec_verify_rrset(const ldns_rr_list *rrset, const ldns_rr_list *sigs, const ldns_rdf *zone,
			  const ldns_rr_list *keys, int64_t now_s, struct rw_dsec_budget *b,
			  struct rw_dsec_check *out);

/* Check a zone's DNSKEY RRset (dnskeys, with its RRSIGs in sigs) against the DS RRset that
 * vouches for it (from the parent, or a trust anchor): some DS with a supported algorithm and
 * digest (SHA-1 ignored when SHA-256 or SHA-384 is offered for the key) matches a zone key, and
 * that key signs the RRset. On RW_DSEC_SECURE, *trusted (when not NULL) is a new list of clones
 * of the whole DNSKEY RRset, the caller's to free. */
void rw_dsec_verify_dnskeys(const ldns_rr_list *dnskeys, const ldns_rr_list *sigs,
			    const ldns_rdf *zone, const ldns_rr_list *ds, int64_t now_s,
			    struct rw_dsec_budget *b, struct rw_dsec_check *out,
			    ldns_rr_list **trusted);

/* The signer name of the first RRSIG in sigs that covers type (borrowed), or NULL. */
const ldns_rdf *rw_dsec_signer(const ldns_rr_list *sigs, uint16_t type);

/* "*." + name (the wildcard at a closest encloser), a new name; NULL when too long. */
ldns_rdf *rw_dsec_wildcard_of(const ldns_rdf *name);

/* Public keys kept converted (dnssec_pkey.c): shared by the workers, locked; key is the hash
 * key (from rw_env's randomness). */
struct rw_dsec_pkeys *rw_dsec_pkeys_new(const uint8_t key[16]);
void rw_dsec_pkeys_free(struct rw_dsec_pkeys *pk); /* NULL does nothing */
/* Verify sig over rrset with key (ECDSA only) through the kept key: 1 verified, 0 not, -1 not
 * done here (another algorithm, no table, out of memory): verify the general way. */
int rw_dsec_pkey_verify(struct rw_dsec_pkeys *pk, const ldns_rr_list *rrset, const ldns_rr *sig,
			const ldns_rr *key);

/* Denial of existence. */
enum rw_denial {
	RW_DENIAL_NONE = 0,    /* nothing proves it: bogus (EDE 12, NSEC missing) */
	RW_DENIAL_NXDOMAIN,    /* the name and any wildcard that could match it do not exist */
	RW_DENIAL_NODATA,      /* the name (or the wildcard matching it) has no such type; for DS:
				 * the name is no delegation (no NS bit), or has NS and DS absent
				 * with SOA: see ds_delegation */
	RW_DENIAL_INSECURE_DS, /* DS: a delegation without DS (NS bit, no DS, no SOA), or a name
				 * covered by an opt-out NSEC3: the child is insecure */
	RW_DENIAL_OPTOUT,      /* covered only by an opt-out NSEC3: insecure, no AD */
	RW_DENIAL_ITERATIONS,  /* NSEC3 with more than RW_DSEC_MAX_NSEC3_ITER iterations:
				 * insecure (EDE 27) */
	RW_DENIAL_LIMIT,       /* the hash budget ran out (bogus) */
	RW_DENIAL_WILDCARD,    /* rw_denial_wildcard: the name asked does not exist (proven) */
};
const char *rw_denial_name(enum rw_denial d);

struct rw_denial_result {
	enum rw_denial kind;
	bool nsec3;
	uint16_t iterations;	   /* NSEC3 */
	const ldns_rr *match;	   /* borrowed from nsecs: the record matching the name (NODATA) */
	const ldns_rr *cover;	   /* the record covering the name (or next closer) */
	const ldns_rr *cover_wild; /* the record covering (or matching) the wildcard */
	char encloser[256];	   /* the closest encloser, presentation format, or "" */
};

/* Prove that qname does not exist (nxdomain) or has no qtype (!nxdomain), from nsecs: NSEC or
 * NSEC3 records of zone, already checked (RRSIGs in the list are ignored). */
void rw_denial_prove(const ldns_rr_list *nsecs, const ldns_rdf *zone, const ldns_rdf *qname,
		     uint16_t qtype, bool nxdomain, struct rw_dsec_budget *b,
		     struct rw_denial_result *out);

/* A wildcard answer for qname, signed with sig_labels labels (fewer than qname's): prove that
 * no closer name exists (RFC 4035 5.3.4, RFC 5155 8.8). kind is RW_DENIAL_WILDCARD when proven,
 * RW_DENIAL_OPTOUT when only an opt-out covers it, else as above. */
void rw_denial_wildcard(const ldns_rr_list *nsecs, const ldns_rdf *zone, const ldns_rdf *qname,
			uint8_t sig_labels, struct rw_dsec_budget *b, struct rw_denial_result *out);

#endif
