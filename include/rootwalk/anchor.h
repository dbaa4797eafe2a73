/* Trust anchors and names validated as insecure by choice.
 *
 * Anchors are kept as DS RRsets (a DNSKEY anchor is turned into its SHA-256 DS when loaded): the
 * built-in root anchor (KSK-2017, key tag 20326, and KSK-2024, key tag 38696, as IANA's
 * root-anchors.xml and Debian's /usr/share/dns/root.ds give them), or a trust-anchor-file that
 * replaces it. Names under domain-insecure (config) or under a negative trust anchor (RFC 7646,
 * added at run time with an expiry) are not validated. Shared by every worker (rw_shared): the
 * negative trust anchors change at run time, so the set locks itself.
 */
#ifndef RW_ANCHOR_H
#define RW_ANCHOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>

struct rw_anchors;

#define RW_NTA_DEFAULT_TTL 3600 /* seconds, as Unbound's and BIND's default */

struct rw_anchors *rw_anchors_new(void);
void rw_anchors_free(struct rw_anchors *a); /* NULL does nothing */

/* The built-in root anchor (two DS records, SHA-256). Returns 0, or negative. */
int rw_anchors_add_builtin(struct rw_anchors *a);
/* DS or DNSKEY records in zone-file format (comments, $ORIGIN, $TTL as a zone file; DNSKEYs
 * without the SEP bit are taken too, as Unbound does). Returns 0, or -1 with the reason (file
 * and line) in err. */
int rw_anchors_load_file(struct rw_anchors *a, const char *path, char *err, size_t errlen);
/* One record in presentation format ("example. DS 12345 13 2 ab..."), as the file holds them. */
int rw_anchors_add_text(struct rw_anchors *a, const char *rr, char *err, size_t errlen);
/* domain-insecure: name and everything below is not validated. */
int rw_anchors_add_insecure(struct rw_anchors *a, const ldns_rdf *name);

/* The closest anchor at or above name: copies of its owner and DS RRset (the caller frees
 * both), true; false when there is none (the name is not validated: insecure). */
bool rw_anchors_find(struct rw_anchors *a, const ldns_rdf *name, ldns_rdf **owner,
		     ldns_rr_list **ds);

enum rw_insecure_why {
	RW_INSECURE_NOT = 0, /* validate */
	RW_INSECURE_DOMAIN,  /* under a domain-insecure name */
	RW_INSECURE_NTA,     /* under a negative trust anchor that has not expired */
};
/* Whether name is not to be validated, and the name that says so (presentation format) in
 * which when not NULL. */
enum rw_insecure_why rw_anchors_insecure(struct rw_anchors *a, const ldns_rdf *name, int64_t now_us,
					 char *which, size_t whichlen);

/* Negative trust anchors (RFC 7646). Add (or renew) name for ttl_s seconds from now_us; returns
 * 0 or negative. Remove returns whether it was there. */
int rw_anchors_nta_add(struct rw_anchors *a, const ldns_rdf *name, uint32_t ttl_s, int64_t now_us);
bool rw_anchors_nta_remove(struct rw_anchors *a, const ldns_rdf *name);
/* Call fn for every unexpired NTA (name in presentation format, absolute expiry); returns the
 * count. Expired ones are dropped. */
size_t rw_anchors_nta_list(struct rw_anchors *a, int64_t now_us,
			   void (*fn)(void *arg, const char *name, int64_t expires_us), void *arg);
/* Move the negative trust anchors of from into to (a reload keeps them). */
void rw_anchors_nta_move(struct rw_anchors *to, struct rw_anchors *from);
/* A reload: to takes the anchors and domain-insecure names of from, in one step under its lock,
 * and keeps its own negative trust anchors; from gets to's old ones (free it after). The set a
 * worker holds never changes address, and never goes without anchors or NTAs. */
void rw_anchors_replace(struct rw_anchors *to, struct rw_anchors *from);
/* Number of anchors (owners) and their text, for `rootwalkd -n` and the control socket: fn gets
 * each DS record in presentation format. */
size_t rw_anchors_each(struct rw_anchors *a, void (*fn)(void *arg, const char *rr), void *arg);

#endif
