/* Internals of the validator, shared by validate.c (the stage: what to check, the verdict),
 * val_chain.c (the chain of trust from an anchor down to a zone's keys) and val_trace.c (its
 * trace events and the texts of its findings). Not installed. */
#ifndef RW_VAL_IMPL_H
#define RW_VAL_IMPL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/anchor.h"
#include "rootwalk/dnssec.h"
#include "rootwalk/iter.h"
#include "rootwalk/keycache.h"
#include "rootwalk/nseccache.h"
#include "rootwalk/trace.h"

#define VAL_MAX_SETS 24 /* RRsets of one answer checked (a CNAME chain's links, the proof) */

/* One RRset of the result to check. */
struct vset {
	ldns_rr_list *rrs;     /* records (owned clones) */
	ldns_rr_list *sigs;    /* the RRSIGs that came with them (owned clones) */
	ldns_rdf *zone;	       /* the zone whose keys must sign it (signer, else the zone asked) */
	enum rw_vstate cached; /* the state the cache gave it */
	bool negative;	       /* the SOA + proof of a negative answer */
	bool synth;	       /* a CNAME synthesised from a DNAME: checked through the DNAME */
	bool wildcard_proof;   /* a positive set with a wildcard proof in the result's proof */
};

/* What the chain walk is waiting for. */
enum val_wait { W_NONE, W_ANCHOR_KEYS, W_DS, W_DNSKEY };

struct val {
	struct rw_iter_shared *sh;
	struct rw_iter *bottom;
	struct rw_dsec_budget budget;
	struct vset sets[VAL_MAX_SETS];
	int n_sets, cur;

	/* the chain walk towards the keys of target */
	ldns_rdf *target;
	ldns_rdf *kzone;     /* the lowest zone with trusted keys so far */
	ldns_rr_list *kkeys; /* its DNSKEY RRset (owned) */
	ldns_rdf *probe;     /* the name below kzone whose DS (then DNSKEY) is asked */
	ldns_rr_list *ds;    /* the DS RRset vouching for probe's keys (owned) */
	int64_t kexp_us;     /* when the trust in kkeys runs out (TTLs, signatures) */
	enum val_wait wait;
	int nsub;
	struct rw_keyentry zkey; /* the outcome for target */
	bool have_zkey;
	bool zkey_nta; /* insecure only while a negative trust anchor lasts: not marked in the
			* cache, which would serve it as insecure after the NTA is gone */

	/* the verdict so far */
	enum rw_vstate verdict;
	int ede;
	char why[256];
	int64_t now_us;
	uint32_t upstream_at_begin; /* the request's upstream count when the stage began */
};

static inline int64_t val_now_s(const struct val *v)
{
	return v->now_us / 1000000;
}

/* How long a bogus verdict (and the bogus data) is kept: val-bogus-ttl from now. */
static inline int64_t val_bogus_until(const struct val *v)
{
	return v->now_us + (int64_t)v->sh->cfg->val_bogus_ttl * 1000000;
}

/* Trace events and texts (val_trace.c). */
struct rw_trace_event *val_ev(struct val *v, enum rw_val_step step, const ldns_rdf *zone);
/* The text of a check that failed ("RRSIG A of www.example. expired 2026-11-30T00:00:00Z, 3 days
 * ago (key 12345/13)") into buf. */
void val_check_text(char *buf, size_t len, const struct rw_dsec_check *c, const ldns_rdf *owner,
		    uint16_t type, const ldns_rdf *zone, int64_t now_s);
/* Trace an RRset's signature check. */
void val_trace_check(struct val *v, const struct rw_dsec_check *c, const ldns_rdf *owner,
		     uint16_t type, const ldns_rdf *zone);

/* Records of a result (val_proof.c). */
/* Clones of the records (or, with sigs, of the RRSIGs covering type) at owner: a new list. */
ldns_rr_list *val_recs(const struct rw_iter_rec *recs, size_t n, const ldns_rdf *owner,
		       uint16_t type, bool sigs);
/* Clones of every proof record of a result (rw_iter_proof). */
ldns_rr_list *val_proof_list(const struct rw_iter *it);
/* Check the signature of every NSEC and NSEC3 RRset in proof with zone's keys. True when all are
 * secure (and there is at least one): *nsecs is then a new list of borrowed NSEC/NSEC3 records;
 * false with the first failure in *bad (its owner and type in bad_owner/bad_type). */
bool val_proof_check(struct val *v, const ldns_rr_list *proof, const ldns_rdf *zone,
		     const ldns_rr_list *keys, ldns_rr_list **nsecs, struct rw_dsec_check *bad,
		     const ldns_rdf **bad_owner, uint16_t *bad_type);
/* A negative answer of zone proven secure with NSEC: when aggressive-nsec is on, check the
 * SOA's signature with keys and put the NSEC records of proof (with their RRSIGs) and the SOA in
 * the NSEC cache (RFC 8198). proof holds NSEC3 records: nothing is kept. */
void val_feed_nsec(struct val *v, const ldns_rdf *zone, const ldns_rr *soa,
		   const ldns_rr_list *proof, const ldns_rr_list *keys);
/* Mark a cached RRset's validation state (and cap its life). */
void val_mark(struct val *v, enum rw_entry_kind kind, const ldns_rdf *owner, uint16_t type,
	      enum rw_vstate st, int64_t until_us);

/* The chain walk (val_chain.c). Both return true when v->zkey holds target's outcome; false when
 * *out holds a sub-resolution to run first. */
bool val_chain_begin(struct val *v, const ldns_rdf *zone, struct rw_iter_out *out);
bool val_chain_subresult(struct val *v, const struct rw_iter *child, struct rw_iter_out *out);
void val_chain_clear(struct val *v);

#endif
