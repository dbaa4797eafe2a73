/* DNSSEC signature checks: one RRset's RRSIGs against a zone's DNSKEY RRset (RFC 4035 5.3), and a
 * DNSKEY RRset against the DS RRset that vouches for it (RFC 4035 5.2, RFC 6840 5.2).
 *
 * The cryptography is ldns's: each call verifies one RRSIG with one key and no clock, so that
 * every verification is counted against the query's budget (KeyTrap, CVE-2023-50387) and the
 * time checks are ours, done with RFC 1982 serial arithmetic against the now_s we are given.
 * RRSIGs whose window does not hold are not verified at all: they cannot make the set secure.
 */
#include <stdio.h>
#include <string.h>

#include "rootwalk/dnssec.h"

#define DNSKEY_ZONE_FLAG 0x0100 /* bit 7 of the flags */
#define DNSKEY_PROTOCOL	 3

void rw_dsec_budget_init(struct rw_dsec_budget *b)
{
	b->verify_left = RW_DSEC_MAX_VERIFY;
	b->hash_left = RW_DSEC_MAX_NSEC3_HASH;
	b->pkeys = NULL;
}

bool rw_dsec_alg_supported(uint8_t alg)
{
	switch (alg) {
	case LDNS_RSASHA256:
	case LDNS_RSASHA512:
	case LDNS_ECDSAP256SHA256:
	case LDNS_ECDSAP384SHA384:
	case LDNS_ED25519:
	case LDNS_ED448:
		return true;
	default:
		return false;
	}
}

bool rw_dsec_digest_supported(uint8_t digest)
{
	return digest == LDNS_SHA1 || digest == LDNS_SHA256 || digest == LDNS_SHA384;
}

const char *rw_dsec_result_name(enum rw_dsec_result r)
{
	switch (r) {
	case RW_DSEC_SECURE:
		return "secure";
	case RW_DSEC_BAD_SIG:
		return "signature does not verify";
	case RW_DSEC_EXPIRED:
		return "signature expired";
	case RW_DSEC_NOT_YET_VALID:
		return "signature not yet valid";
	case RW_DSEC_NO_DNSKEY:
		return "no DNSKEY matches the RRSIG";
	case RW_DSEC_NO_RRSIG:
		return "no RRSIG";
	case RW_DSEC_DS_NO_MATCH:
		return "no DNSKEY matches the DS";
	case RW_DSEC_UNSUPPORTED_ALG:
		return "unsupported algorithm";
	case RW_DSEC_UNSUPPORTED_DIGEST:
		return "unsupported DS digest";
	case RW_DSEC_LIMIT:
		return "validation limit reached";
	}
	return "unknown";
}

int rw_dsec_result_ede(enum rw_dsec_result r)
{
	switch (r) {
	case RW_DSEC_SECURE:
		return -1;
	case RW_DSEC_BAD_SIG:
		return 6; /* DNSSEC Bogus */
	case RW_DSEC_EXPIRED:
		return 7; /* Signature Expired */
	case RW_DSEC_NOT_YET_VALID:
		return 8; /* Signature Not Yet Valid */
	case RW_DSEC_NO_DNSKEY:
	case RW_DSEC_DS_NO_MATCH:
		return 9; /* DNSKEY Missing */
	case RW_DSEC_NO_RRSIG:
		return 10; /* RRSIGs Missing */
	case RW_DSEC_UNSUPPORTED_ALG:
		return 1; /* Unsupported DNSKEY Algorithm */
	case RW_DSEC_UNSUPPORTED_DIGEST:
		return 2; /* Unsupported DS Digest Type */
	case RW_DSEC_LIMIT:
		return 0; /* Other Error */
	}
	return 0;
}

/* A 32-bit timestamp as the absolute second nearest to now (RFC 1982, RFC 4034 3.1.5): at most
 * 2^31 - 1 seconds ahead, else behind. */
static int64_t serial_abs(uint32_t t, int64_t now_s)
{
	uint32_t d = t - (uint32_t)now_s;

	return now_s + (d < 0x80000000u ? (int64_t)d : (int64_t)d - 0x100000000ll);
}

static uint32_t rdf_u32(const ldns_rdf *f)
{
	return f != NULL && ldns_rdf_size(f) == 4 ? ldns_rdf2native_int32(f) : 0;
}

static uint16_t rdf_u16(const ldns_rdf *f)
{
	return f != NULL && ldns_rdf_size(f) == 2 ? ldns_rdf2native_int16(f) : 0;
}

static uint8_t rdf_u8(const ldns_rdf *f)
{
	return f != NULL && ldns_rdf_size(f) == 1 ? ldns_rdf2native_int8(f) : 0;
}

/* Labels of an owner name as RRSIG counts them: no root, no leading "*" (RFC 4034 3.1.3). */
static uint8_t sig_label_count(const ldns_rdf *owner)
{
	uint8_t n = ldns_dname_label_count(owner);

	if (n > 0 && ldns_dname_is_wildcard(owner))
		n--;
	return n;
}

static bool same_name(const ldns_rdf *a, const ldns_rdf *b)
{
	return a != NULL && b != NULL && ldns_dname_compare(a, b) == 0;
}

/* A DNSKEY that may sign for zone: a zone key, protocol 3, owned by the zone (RFC 4035 5.3.1). */
static bool zone_key(const ldns_rr *k, const ldns_rdf *zone)
{
	return ldns_rr_get_type(k) == LDNS_RR_TYPE_DNSKEY && ldns_rr_rd_count(k) >= 4 &&
	       (rdf_u16(ldns_rr_rdf(k, 0)) & DNSKEY_ZONE_FLAG) != 0 &&
	       rdf_u8(ldns_rr_rdf(k, 1)) == DNSKEY_PROTOCOL && same_name(ldns_rr_owner(k), zone);
}

/* An RRSIG that claims to cover rrset for zone: type covered, owner, class and signer. */
static bool sig_candidate(const ldns_rr *sig, const ldns_rr *first, const ldns_rdf *zone)
{
	if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG || ldns_rr_rd_count(sig) < 9)
		return false;
	if (ldns_rdf_get_type(ldns_rr_rdf(sig, 0)) != LDNS_RDF_TYPE_TYPE ||
	    ldns_rdf_size(ldns_rr_rdf(sig, 0)) != 2 ||
	    ldns_rdf2rr_type(ldns_rr_rdf(sig, 0)) != ldns_rr_get_type(first))
		return false;
	return ldns_rr_get_class(sig) == ldns_rr_get_class(first) &&
	       same_name(ldns_rr_owner(sig), ldns_rr_owner(first)) &&
	       same_name(ldns_rr_rdf(sig, 7), zone);
}

/* How telling a failure is: the higher, the more the report should show it. */
static int rank(enum rw_dsec_result r)
{
	switch (r) {
	case RW_DSEC_EXPIRED:
	case RW_DSEC_NOT_YET_VALID:
		return 4;
	case RW_DSEC_BAD_SIG:
		return 3;
	case RW_DSEC_NO_DNSKEY:
		return 2;
	case RW_DSEC_UNSUPPORTED_ALG:
		return 1;
	default:
		return 0;
	}
}

/* Remember a failure for sig if it tells more than the one kept so far. */
static void note(struct rw_dsec_check *out, enum rw_dsec_result r, const ldns_rr *sig,
		 int64_t now_s)
{
	if (rank(r) <= rank(out->result) && out->result != RW_DSEC_NO_RRSIG)
		return;
	out->result = r;
	out->key_tag = rdf_u16(ldns_rr_rdf(sig, 6));
	out->alg = rdf_u8(ldns_rr_rdf(sig, 1));
	out->sig_labels = rdf_u8(ldns_rr_rdf(sig, 2));
	out->inception_s = serial_abs(rdf_u32(ldns_rr_rdf(sig, 5)), now_s);
	out->expiration_s = serial_abs(rdf_u32(ldns_rr_rdf(sig, 4)), now_s);
}

static bool out_of_budget(struct rw_dsec_check *out, const char *what)
{
	out->result = RW_DSEC_LIMIT;
	snprintf(out->limit, sizeof(out->limit), "%s", what);
	return false;
}

/* One verification of sig by key, counted. ldns checks no time here: the window is ours. */
static bool verify_one(const ldns_rr_list *rrset, const ldns_rr *sig, const ldns_rr *key,
		       struct rw_dsec_budget *b, struct rw_dsec_check *out)
{
	ldns_rr_list *one = ldns_rr_list_new(), *good = ldns_rr_list_new();
	ldns_rr *sig_copy = ldns_rr_clone(sig); /* ldns lowercases the RRSIG's owner in place */
	bool ok = false;

	b->verify_left--;
	out->verifications++;
	int fast = rw_dsec_pkey_verify(b->pkeys, rrset, sig, key);
	if (fast >= 0) {
		ok = fast == 1;
	} else if (one != NULL && good != NULL && sig_copy != NULL &&
		   ldns_rr_list_push_rr(one, (ldns_rr *)key))
		ok = ldns_verify_rrsig_keylist_notime(rrset, sig_copy, one, good) == LDNS_STATUS_OK;
	ldns_rr_free(sig_copy);
	ldns_rr_list_free(one);
	ldns_rr_list_free(good);
	return ok;
}

static uint32_t rrset_min_ttl(const ldns_rr_list *rrset)
{
	uint32_t ttl = UINT32_MAX;

	for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++)
		if (ldns_rr_ttl(ldns_rr_list_rr(rrset, i)) < ttl)
			ttl = ldns_rr_ttl(ldns_rr_list_rr(rrset, i));
	return ttl;
}

/* sig verified with key: fill out as secure. */
static void secure(struct rw_dsec_check *out, const ldns_rr_list *rrset, const ldns_rr *sig,
		   int64_t now_s, uint8_t owner_labels)
{
	uint32_t ttl = rrset_min_ttl(rrset), orig = rdf_u32(ldns_rr_rdf(sig, 3));
	int64_t left;

	out->result = RW_DSEC_NO_RRSIG; /* so that note() takes this signature's fields */
	note(out, RW_DSEC_EXPIRED, sig, now_s);
	out->result = RW_DSEC_SECURE;
	out->wildcard = out->sig_labels < owner_labels;
	left = out->expiration_s - now_s;
	if (orig < ttl)
		ttl = orig;
	if (left < (int64_t)ttl)
		ttl = (uint32_t)left;
	out->ttl = ttl;
}

/* Try the keys of keys that match sig; *tried counts them. Returns true when one verifies, or
 * when a limit stops the check (out->result is then RW_DSEC_LIMIT). */
static bool try_keys(const ldns_rr_list *rrset, const ldns_rr *sig, const ldns_rdf *zone,
		     const ldns_rr_list *keys, struct rw_dsec_budget *b, struct rw_dsec_check *out,
		     int *tried)
{
	uint16_t tag = rdf_u16(ldns_rr_rdf(sig, 6));
	uint8_t alg = rdf_u8(ldns_rr_rdf(sig, 1));

	for (size_t i = 0; i < ldns_rr_list_rr_count(keys); i++) {
		const ldns_rr *k = ldns_rr_list_rr(keys, i);

		if (!zone_key(k, zone) || rdf_u8(ldns_rr_rdf(k, 2)) != alg ||
		    ldns_calc_keytag(k) != tag)
			continue;
		if (*tried == RW_DSEC_MAX_KEY_TRY)
			return !out_of_budget(out, "max 8 keys per RRSIG");
		if (b->verify_left == 0)
			return !out_of_budget(out, "max 64 verifications");
		(*tried)++;
		if (verify_one(rrset, sig, k, b, out))
			return true;
	}
	return false;
}

/* The checks of RFC 4035 5.3.1 that need no key, and the window at now_s. Returns the failure,
 * or RW_DSEC_SECURE when the signature is worth verifying. */
static enum rw_dsec_result sig_usable(const ldns_rr *sig, uint8_t owner_labels, int64_t now_s)
{
	int64_t inception = serial_abs(rdf_u32(ldns_rr_rdf(sig, 5)), now_s);
	int64_t expiration = serial_abs(rdf_u32(ldns_rr_rdf(sig, 4)), now_s);

	if (rdf_u8(ldns_rr_rdf(sig, 2)) > owner_labels || expiration < inception)
		return RW_DSEC_BAD_SIG;
	if (now_s < inception)
		return RW_DSEC_NOT_YET_VALID;
	if (now_s > expiration)
		return RW_DSEC_EXPIRED;
	return RW_DSEC_SECURE;
}

void rw_dsec_verify_rrset(const ldns_rr_list *rrset, const ldns_rr_list *sigs, const ldns_rdf *zone,
			  const ldns_rr_list *keys, int64_t now_s, struct rw_dsec_budget *b,
			  struct rw_dsec_check *out)
{
	const ldns_rr *first;
	uint8_t owner_labels;
	int tried = 0, keys_tried;

	memset(out, 0, sizeof(*out));
	out->result = RW_DSEC_NO_RRSIG;
	if (rrset == NULL || ldns_rr_list_rr_count(rrset) == 0 || zone == NULL)
		return;
	first = ldns_rr_list_rr(rrset, 0);
	owner_labels = sig_label_count(ldns_rr_owner(first));
	if (!ldns_dname_is_subdomain(ldns_rr_owner(first), zone) &&
	    !same_name(ldns_rr_owner(first), zone))
		return;
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		enum rw_dsec_result r;

		if (!sig_candidate(sig, first, zone))
			continue;
		if (!rw_dsec_alg_supported(rdf_u8(ldns_rr_rdf(sig, 1)))) {
			note(out, RW_DSEC_UNSUPPORTED_ALG, sig, now_s);
			continue;
		}
		if (tried == RW_DSEC_MAX_SIG_TRY) {
			out_of_budget(out, "max 8 RRSIGs per RRset");
			return;
		}
		tried++;
		r = sig_usable(sig, owner_labels, now_s);
		if (r != RW_DSEC_SECURE) {
			note(out, r, sig, now_s);
			continue;
		}
		keys_tried = 0;
		if (try_keys(rrset, sig, zone, keys, b, out, &keys_tried)) {
			if (out->result != RW_DSEC_LIMIT)
				secure(out, rrset, sig, now_s, owner_labels);
			return;
		}
		/* No key matched at all, or the ones that did failed to verify. */
		note(out, keys_tried > 0 ? RW_DSEC_BAD_SIG : RW_DSEC_NO_DNSKEY, sig, now_s);
	}
}

/* A DS of zone whose fixed fields are there to read. */
static bool ds_wellformed(const ldns_rr *ds, const ldns_rdf *zone)
{
	return ldns_rr_get_type(ds) == LDNS_RR_TYPE_DS && ldns_rr_rd_count(ds) >= 4 &&
	       ldns_rdf_size(ldns_rr_rdf(ds, 0)) == 2 && ldns_rdf_size(ldns_rr_rdf(ds, 1)) == 1 &&
	       ldns_rdf_size(ldns_rr_rdf(ds, 2)) == 1 && same_name(ldns_rr_owner(ds), zone);
}

/* A SHA-1 DS is ignored when the set offers SHA-256 or SHA-384 for the same key (RFC 4509 3). */
static bool sha1_superseded(const ldns_rr *ds, const ldns_rr_list *dsset, const ldns_rdf *zone)
{
	if (rdf_u8(ldns_rr_rdf(ds, 2)) != LDNS_SHA1)
		return false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(dsset); i++) {
		const ldns_rr *o = ldns_rr_list_rr(dsset, i);
		uint8_t d;

		if (!ds_wellformed(o, zone))
			continue;
		d = rdf_u8(ldns_rr_rdf(o, 2));
		if ((d == LDNS_SHA256 || d == LDNS_SHA384) &&
		    rdf_u16(ldns_rr_rdf(o, 0)) == rdf_u16(ldns_rr_rdf(ds, 0)) &&
		    rdf_u8(ldns_rr_rdf(o, 1)) == rdf_u8(ldns_rr_rdf(ds, 1)))
			return true;
	}
	return false;
}

/* key's digest (ldns computes it) equals the one in ds. */
static bool ds_matches(const ldns_rr *ds, const ldns_rr *key)
{
	ldns_rr *mine = ldns_key_rr2ds(key, (ldns_hash)rdf_u8(ldns_rr_rdf(ds, 2)));
	bool same = mine != NULL && ldns_rr_rd_count(mine) >= 4 &&
		    ldns_rdf_compare(ldns_rr_rdf(mine, 3), ldns_rr_rdf(ds, 3)) == 0;

	ldns_rr_free(mine);
	return same;
}

static void set_ds(struct rw_dsec_check *out, const ldns_rr *ds)
{
	out->ds_tag = rdf_u16(ldns_rr_rdf(ds, 0));
	out->ds_alg = rdf_u8(ldns_rr_rdf(ds, 1));
	out->ds_digest = rdf_u8(ldns_rr_rdf(ds, 2));
}

/* The keys of dnskeys that ds names and matches, each asked to sign the RRset. Returns true when
 * the check is over: secure, or a limit reached. *matched: some key matched ds. */
static bool try_ds(const ldns_rr *ds, const ldns_rr_list *dnskeys, const ldns_rr_list *sigs,
		   const ldns_rdf *zone, int64_t now_s, struct rw_dsec_budget *b,
		   struct rw_dsec_check *out, bool *matched)
{
	uint16_t tag = rdf_u16(ldns_rr_rdf(ds, 0));
	uint8_t alg = rdf_u8(ldns_rr_rdf(ds, 1));
	int tried = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(dnskeys); i++) {
		const ldns_rr *k = ldns_rr_list_rr(dnskeys, i);
		ldns_rr_list *one;
		struct rw_dsec_check c;
		uint32_t used = out->verifications;

		if (!zone_key(k, zone) || rdf_u8(ldns_rr_rdf(k, 2)) != alg ||
		    ldns_calc_keytag(k) != tag)
			continue;
		if (tried++ == RW_DSEC_MAX_KEY_TRY)
			return !out_of_budget(out, "max 8 keys per DS");
		if (!ds_matches(ds, k))
			continue;
		one = ldns_rr_list_new();
		if (one == NULL || !ldns_rr_list_push_rr(one, (ldns_rr *)k)) {
			ldns_rr_list_free(one);
			continue;
		}
		rw_dsec_verify_rrset(dnskeys, sigs, zone, one, now_s, b, &c);
		ldns_rr_list_free(one);
		c.verifications += used;
		if (c.result == RW_DSEC_SECURE || c.result == RW_DSEC_LIMIT || !*matched ||
		    rank(c.result) > rank(out->result)) {
			*out = c;
			set_ds(out, ds);
		}
		out->verifications = c.verifications;
		*matched = true;
		if (c.result == RW_DSEC_SECURE || c.result == RW_DSEC_LIMIT)
			return true;
	}
	return false;
}

void rw_dsec_verify_dnskeys(const ldns_rr_list *dnskeys, const ldns_rr_list *sigs,
			    const ldns_rdf *zone, const ldns_rr_list *ds, int64_t now_s,
			    struct rw_dsec_budget *b, struct rw_dsec_check *out,
			    ldns_rr_list **trusted)
{
	bool alg_ok = false, digest_ok = false, matched = false, first = true;

	memset(out, 0, sizeof(*out));
	out->result = RW_DSEC_DS_NO_MATCH;
	if (trusted != NULL)
		*trusted = NULL;
	if (dnskeys == NULL || zone == NULL)
		return;
	for (size_t i = 0; i < ldns_rr_list_rr_count(ds); i++) {
		const ldns_rr *d = ldns_rr_list_rr(ds, i);

		if (!ds_wellformed(d, zone))
			continue;
		if (first)
			set_ds(out, d); /* the first that did not match, until one does */
		first = false;
		if (!rw_dsec_alg_supported(rdf_u8(ldns_rr_rdf(d, 1))))
			continue;
		alg_ok = true;
		if (!rw_dsec_digest_supported(rdf_u8(ldns_rr_rdf(d, 2))))
			continue;
		if (!digest_ok && !matched)
			set_ds(out, d);
		digest_ok = true;
		if (sha1_superseded(d, ds, zone))
			continue;
		if (try_ds(d, dnskeys, sigs, zone, now_s, b, out, &matched))
			break;
	}
	if (out->result == RW_DSEC_SECURE && trusted != NULL)
		*trusted = ldns_rr_list_clone(dnskeys);
	if (matched || out->result == RW_DSEC_LIMIT || first)
		return;
	out->result = !alg_ok	   ? RW_DSEC_UNSUPPORTED_ALG
		      : !digest_ok ? RW_DSEC_UNSUPPORTED_DIGEST
				   : RW_DSEC_DS_NO_MATCH;
}

const ldns_rdf *rw_dsec_signer(const ldns_rr_list *sigs, uint16_t type)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *s = ldns_rr_list_rr(sigs, i);

		if (ldns_rr_get_type(s) == LDNS_RR_TYPE_RRSIG && ldns_rr_rd_count(s) >= 8 &&
		    ldns_rdf_size(ldns_rr_rdf(s, 0)) == 2 &&
		    ldns_rdf2native_int16(ldns_rr_rdf(s, 0)) == type &&
		    ldns_rdf_get_type(ldns_rr_rdf(s, 7)) == LDNS_RDF_TYPE_DNAME)
			return ldns_rr_rdf(s, 7);
	}
	return NULL;
}
