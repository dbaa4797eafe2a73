/* Signature checks (dnssec_verify.c): RRsets signed here with keys made by ldns, at a fixed time,
 * checked against their keys and DS records; the budget's limits (KeyTrap). */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "testrr.h"
#include "rootwalk/dnssec.h"

#define NOW 1800000000LL

static ldns_rr_list *list(const char *a, const char *b)
{
	ldns_rr_list *l = ldns_rr_list_new();

	ldns_rr_list_push_rr(l, rr(a));
	if (b != NULL)
		ldns_rr_list_push_rr(l, rr(b));
	return l;
}

/* A key of zone, with its key tag set so that ldns_sign_public names it. */
static ldns_key *mkkey(ldns_signing_algorithm a, uint16_t bits, const char *zone, uint16_t flags)
{
	ldns_key *k = ldns_key_new_frm_algorithm(a, bits);
	ldns_rr *d;

	ldns_key_set_pubkey_owner(k, dn(zone));
	ldns_key_set_flags(k, flags);
	d = ldns_key2rr(k);
	ldns_key_set_keytag(k, ldns_calc_keytag(d));
	ldns_rr_free(d);
	return k;
}

static ldns_rr_list *sign(ldns_rr_list *rrset, ldns_key *k, int64_t inc, int64_t exp)
{
	ldns_key_list *kl = ldns_key_list_new();
	ldns_rr_list *sigs;

	ldns_key_set_inception(k, (uint32_t)inc);
	ldns_key_set_expiration(k, (uint32_t)exp);
	ldns_key_list_push_key(kl, k);
	sigs = ldns_sign_public(rrset, kl);
	ldns_key_list_set_key_count(
		kl, 0); /* freed by the caller (pop_key would free the array twice) */
	ldns_key_list_free(kl);
	return sigs;
}

static ldns_rr_list *keyset(ldns_key *a, ldns_key *b)
{
	ldns_rr_list *l = ldns_rr_list_new();

	ldns_rr_list_push_rr(l, ldns_key2rr(a));
	if (b != NULL)
		ldns_rr_list_push_rr(l, ldns_key2rr(b));
	return l;
}

/* The kept-key table (dnssec_pkey.c) when set: the tests run once without it, once with it. */
static struct rw_dsec_pkeys *pkeys;

static void verify(const ldns_rr_list *set, const ldns_rr_list *sigs, const char *zone,
		   const ldns_rr_list *keys, int64_t now, struct rw_dsec_check *out)
{
	struct rw_dsec_budget b;
	ldns_rdf *z = dn(zone);

	rw_dsec_budget_init(&b);
	b.pkeys = pkeys;
	rw_dsec_verify_rrset(set, sigs, z, keys, now, &b, out);
	ldns_rdf_deep_free(z);
}

static void test_secure_and_times(ldns_signing_algorithm a, uint16_t bits)
{
	ldns_key *k = mkkey(a, bits, "example.", 256);
	ldns_rr_list *keys = keyset(k, NULL);
	ldns_rr_list *set =
		list("www.example. 3600 IN A 192.0.2.1", "www.EXAMPLE. 3600 IN A 192.0.2.2");
	ldns_rr_list *sigs = sign(set, k, NOW - 1000, NOW + 1000);
	struct rw_dsec_check c;

	CHECK(sigs != NULL && ldns_rr_list_rr_count(sigs) == 1);
	verify(set, sigs, "example.", keys, NOW, &c);
	CHECK_EQ(c.result, RW_DSEC_SECURE);
	CHECK_EQ(c.key_tag, ldns_key_keytag(k));
	CHECK_EQ(c.alg, (uint8_t)a);
	CHECK_EQ(c.ttl, 1000); /* the signature expires before the TTL runs out */
	CHECK_EQ(c.verifications, 1);
	CHECK(!c.wildcard);
	CHECK_EQ(c.expiration_s, NOW + 1000);
	ldns_rr_list_deep_free(sigs);

	/* Expired one second ago; valid from ten seconds on: reported with their windows, and no
	 * verification spent on them. */
	sigs = sign(set, k, NOW - 2000, NOW - 1);
	verify(set, sigs, "example.", keys, NOW, &c);
	CHECK_EQ(c.result, RW_DSEC_EXPIRED);
	CHECK_EQ(c.expiration_s, NOW - 1);
	CHECK_EQ(c.inception_s, NOW - 2000);
	CHECK_EQ(c.verifications, 0);
	CHECK_EQ(c.key_tag, ldns_key_keytag(k));
	verify(set, sigs, "example.", keys, NOW - 1, &c); /* the last second is still valid */
	CHECK_EQ(c.result, RW_DSEC_SECURE);
	CHECK_EQ(c.ttl, 0);
	ldns_rr_list_deep_free(sigs);
	sigs = sign(set, k, NOW + 10, NOW + 5000);
	verify(set, sigs, "example.", keys, NOW, &c);
	CHECK_EQ(c.result, RW_DSEC_NOT_YET_VALID);
	CHECK_EQ(c.inception_s, NOW + 10);
	ldns_rr_list_deep_free(sigs);

	/* Tampered data: the signature does not verify. */
	sigs = sign(set, k, NOW - 1000, NOW + 100000);
	ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(set, 1), 0))[3] ^= 1;
	verify(set, sigs, "example.", keys, NOW, &c);
	CHECK_EQ(c.result, RW_DSEC_BAD_SIG);
	CHECK_EQ(c.key_tag, ldns_key_keytag(k));
	CHECK_EQ(c.verifications, 1);
	ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(set, 1), 0))[3] ^= 1;
	verify(set, sigs, "example.", keys, NOW, &c);
	CHECK_EQ(c.result, RW_DSEC_SECURE);
	CHECK_EQ(c.ttl, 3600);

	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(keys);
	ldns_key_deep_free(k);
}

/* Timestamps are serial numbers: after 2106 they wrap, and the window still resolves. */
static void test_serial_wrap(void)
{
	int64_t now = 0x100000000LL + 500;
	ldns_key *k = mkkey(LDNS_SIGN_ED25519, 256, "example.", 256);
	ldns_rr_list *keys = keyset(k, NULL);
	ldns_rr_list *set = list("a.example. 300 IN TXT \"x\"", NULL);
	ldns_rr_list *sigs = sign(set, k, now - 1000, now + 1000);
	struct rw_dsec_check c;

	verify(set, sigs, "example.", keys, now, &c);
	CHECK_EQ(c.result, RW_DSEC_SECURE);
	CHECK_EQ(c.inception_s, now - 1000);
	CHECK_EQ(c.expiration_s, now + 1000);
	CHECK_EQ(c.ttl, 300);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(keys);
	ldns_key_deep_free(k);
}

static void test_missing(void)
{
	ldns_key *k = mkkey(LDNS_SIGN_ECDSAP256SHA256, 256, "example.", 256);
	ldns_key *other = mkkey(LDNS_SIGN_ECDSAP256SHA256, 256, "example.", 256);
	ldns_key *sha1 = mkkey(LDNS_SIGN_RSASHA1, 1024, "example.", 256);
	ldns_rr_list *keys = keyset(k, sha1), *okeys = keyset(other, NULL);
	ldns_rr_list *nzkeys = keyset(k, NULL), *empty = ldns_rr_list_new();
	ldns_rr_list *set = list("www.example. 3600 IN A 192.0.2.1", NULL);
	ldns_rr_list *sigs = sign(set, k, NOW - 1000, NOW + 1000);
	ldns_rr_list *nzsigs = sign(set, k, NOW - 1000, NOW + 1000);
	ldns_rr *nz = ldns_rr_list_rr(nzkeys, 0);
	ldns_rr_list *s1 = sign(set, sha1, NOW - 1000, NOW + 1000);
	struct rw_dsec_check c;

	verify(set, empty, "example.", keys, NOW, &c);
	CHECK_EQ(c.result, RW_DSEC_NO_RRSIG);
	verify(set, sigs, "other.", keys, NOW, &c); /* the wrong signer */
	CHECK_EQ(c.result, RW_DSEC_NO_RRSIG);
	verify(set, sigs, "example.", okeys, NOW, &c); /* no key with that tag */
	CHECK_EQ(c.result, RW_DSEC_NO_DNSKEY);
	CHECK_EQ(c.key_tag, ldns_key_keytag(k));
	CHECK_EQ(c.verifications, 0);
	/* Not a zone key (flag bit 7 clear), named by the RRSIG: not tried. */
	ldns_rdf_data(ldns_rr_rdf(nz, 0))[0] = 0;
	ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(nzsigs, 0), 6))[0] =
		(uint8_t)(ldns_calc_keytag(nz) >> 8);
	ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(nzsigs, 0), 6))[1] =
		(uint8_t)ldns_calc_keytag(nz);
	verify(set, nzsigs, "example.", nzkeys, NOW, &c);
	CHECK_EQ(c.result, RW_DSEC_NO_DNSKEY);
	CHECK_EQ(c.verifications, 0);
	/* RSASHA1 only: unsupported; beside a supported signature it does not matter. */
	verify(set, s1, "example.", keys, NOW, &c);
	CHECK_EQ(c.result, RW_DSEC_UNSUPPORTED_ALG);
	CHECK_EQ(c.alg, LDNS_RSASHA1);
	ldns_rr_list_push_rr(s1, ldns_rr_clone(ldns_rr_list_rr(sigs, 0)));
	verify(set, s1, "example.", keys, NOW, &c);
	CHECK_EQ(c.result, RW_DSEC_SECURE);
	CHECK(ldns_dname_compare(rw_dsec_signer(sigs, LDNS_RR_TYPE_A),
				 ldns_rr_owner(ldns_rr_list_rr(keys, 0))) == 0);
	CHECK(rw_dsec_signer(sigs, LDNS_RR_TYPE_AAAA) == NULL);

	ldns_rr_list_deep_free(s1);
	ldns_rr_list_deep_free(nzsigs);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(empty);
	ldns_rr_list_deep_free(nzkeys);
	ldns_rr_list_deep_free(okeys);
	ldns_rr_list_deep_free(keys);
	ldns_key_deep_free(sha1);
	ldns_key_deep_free(other);
	ldns_key_deep_free(k);
}

static void test_wildcard(void)
{
	ldns_key *k = mkkey(LDNS_SIGN_ED25519, 256, "example.", 256);
	ldns_rr_list *keys = keyset(k, NULL);
	ldns_rr_list *set = list("*.example. 3600 IN A 192.0.2.1", NULL);
	ldns_rr_list *sigs = sign(set, k, NOW - 1000, NOW + 100000);
	ldns_rr *sig = ldns_rr_list_rr(sigs, 0);
	struct rw_dsec_check c;

	verify(set, sigs, "example.", keys, NOW, &c); /* the wildcard itself, asked for */
	CHECK_EQ(c.result, RW_DSEC_SECURE);
	CHECK(!c.wildcard);
	CHECK_EQ(c.sig_labels, 1);
	/* Expanded for a.b.example. */
	ldns_rdf_deep_free(ldns_rr_owner(ldns_rr_list_rr(set, 0)));
	ldns_rr_set_owner(ldns_rr_list_rr(set, 0), dn("a.b.example."));
	ldns_rdf_deep_free(ldns_rr_owner(sig));
	ldns_rr_set_owner(sig, dn("a.b.example."));
	verify(set, sigs, "example.", keys, NOW, &c);
	CHECK_EQ(c.result, RW_DSEC_SECURE);
	CHECK(c.wildcard);
	CHECK_EQ(c.sig_labels, 1);
	/* More labels than the owner has: bogus without trying a key. */
	ldns_rdf_data(ldns_rr_rdf(sig, 2))[0] = 4;
	verify(set, sigs, "example.", keys, NOW, &c);
	CHECK_EQ(c.result, RW_DSEC_BAD_SIG);
	CHECK_EQ(c.verifications, 0);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(keys);
	ldns_key_deep_free(k);
}

static ldns_rr *ds_of(const ldns_rr *key, ldns_hash h)
{
	return ldns_key_rr2ds(key, h);
}

static void dnskeys(const ldns_rr_list *keys, const ldns_rr_list *sigs, ldns_rr_list *ds,
		    struct rw_dsec_check *out, ldns_rr_list **trusted)
{
	struct rw_dsec_budget b;
	ldns_rdf *z = dn("example.");

	rw_dsec_budget_init(&b);
	b.pkeys = pkeys;
	rw_dsec_verify_dnskeys(keys, sigs, z, ds, NOW, &b, out, trusted);
	ldns_rdf_deep_free(z);
	ldns_rr_list_deep_free(ds);
}

static void test_ds(void)
{
	ldns_key *ksk = mkkey(LDNS_SIGN_ECDSAP256SHA256, 256, "example.", 257);
	ldns_key *zsk = mkkey(LDNS_SIGN_RSASHA256, 1024, "example.", 256);
	ldns_rr_list *keys = keyset(zsk, ksk), *trusted = NULL;
	ldns_rr_list *sigs = sign(keys, ksk, NOW - 1000, NOW + 1000);
	const ldns_rr *krr = ldns_rr_list_rr(keys, 1), *zrr = ldns_rr_list_rr(keys, 0);
	uint16_t tag = ldns_key_keytag(ksk);
	ldns_rr_list *ds;
	ldns_rr *bad;
	struct rw_dsec_check c;

	ds = ldns_rr_list_new();
	ldns_rr_list_push_rr(ds, ds_of(krr, LDNS_SHA256));
	dnskeys(keys, sigs, ds, &c, &trusted);
	CHECK_EQ(c.result, RW_DSEC_SECURE);
	CHECK_EQ(c.ds_tag, tag);
	CHECK_EQ(c.ds_digest, 2);
	CHECK_EQ(c.key_tag, tag);
	CHECK(trusted != NULL && ldns_rr_list_rr_count(trusted) == 2);
	ldns_rr_list_deep_free(trusted);

	ds = ldns_rr_list_new();
	ldns_rr_list_push_rr(ds, ds_of(krr, LDNS_SHA384));
	dnskeys(keys, sigs, ds, &c, NULL);
	CHECK_EQ(c.result, RW_DSEC_SECURE);
	CHECK_EQ(c.ds_digest, 4);

	/* A wrong digest: no match, and the DS named. */
	bad = ds_of(krr, LDNS_SHA256);
	ldns_rdf_data(ldns_rr_rdf(bad, 3))[0] ^= 0xff;
	ds = ldns_rr_list_new();
	ldns_rr_list_push_rr(ds, ldns_rr_clone(bad));
	dnskeys(keys, sigs, ds, &c, &trusted);
	CHECK_EQ(c.result, RW_DSEC_DS_NO_MATCH);
	CHECK_EQ(c.ds_tag, tag);
	CHECK(trusted == NULL);

	/* A right SHA-1 beside a wrong SHA-256 for the same key: SHA-1 is ignored. Alone, it counts. */
	ds = ldns_rr_list_new();
	ldns_rr_list_push_rr(ds, ds_of(krr, LDNS_SHA1));
	ldns_rr_list_push_rr(ds, ldns_rr_clone(bad));
	dnskeys(keys, sigs, ds, &c, NULL);
	CHECK_EQ(c.result, RW_DSEC_DS_NO_MATCH);
	ds = ldns_rr_list_new();
	ldns_rr_list_push_rr(ds, ds_of(krr, LDNS_SHA1));
	dnskeys(keys, sigs, ds, &c, NULL);
	CHECK_EQ(c.result, RW_DSEC_SECURE);
	CHECK_EQ(c.ds_digest, 1);

	/* Only digests we do not know, or only algorithms we do not validate: insecure. */
	ds = ldns_rr_list_new();
	ldns_rr_list_push_rr(ds, ldns_rr_clone(bad));
	ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(ds, 0), 2))[0] = 3; /* GOST */
	dnskeys(keys, sigs, ds, &c, NULL);
	CHECK_EQ(c.result, RW_DSEC_UNSUPPORTED_DIGEST);
	ds = ldns_rr_list_new();
	ldns_rr_list_push_rr(ds, ldns_rr_clone(bad));
	ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(ds, 0), 1))[0] = 5; /* RSASHA1 */
	dnskeys(keys, sigs, ds, &c, NULL);
	CHECK_EQ(c.result, RW_DSEC_UNSUPPORTED_ALG);
	CHECK_EQ(c.ds_alg, 5);

	/* The DS matches the ZSK, which did not sign the set. */
	ds = ldns_rr_list_new();
	ldns_rr_list_push_rr(ds, ds_of(zrr, LDNS_SHA256));
	dnskeys(keys, sigs, ds, &c, NULL);
	CHECK_EQ(c.result, RW_DSEC_NO_DNSKEY);
	CHECK_EQ(c.ds_tag, ldns_key_keytag(zsk));

	/* The matching key signed, but the signature has expired. */
	ldns_rr_list_deep_free(sigs);
	sigs = sign(keys, ksk, NOW - 1000, NOW - 10);
	ds = ldns_rr_list_new();
	ldns_rr_list_push_rr(ds, ds_of(krr, LDNS_SHA256));
	dnskeys(keys, sigs, ds, &c, NULL);
	CHECK_EQ(c.result, RW_DSEC_EXPIRED);
	CHECK_EQ(c.expiration_s, NOW - 10);
	CHECK_EQ(c.ds_tag, tag);

	ldns_rr_free(bad);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(keys);
	ldns_key_deep_free(ksk);
	ldns_key_deep_free(zsk);
}

/* A DNSKEY with the same tag as key but other key bits: two 16-bit words moved by one each. */
static ldns_rr *collide(const ldns_rr *key, size_t m)
{
	ldns_rr *c = ldns_rr_clone(key);
	ldns_rdf *f = ldns_rr_rdf(c, 3);
	uint8_t *d = ldns_rdf_data(f);
	size_t a = 2 * m, b = a + 2; /* even offsets in the key: rdata offsets 4 + a, 4 + b */

	if (b >= ldns_rdf_size(f) || d[a] == 0xff || d[b] == 0)
		return c;
	d[a]++;
	d[b]--;
	return c;
}

static void test_keytrap(void)
{
	ldns_key *k = mkkey(LDNS_SIGN_ED25519, 256, "example.", 256);
	ldns_rr *real = ldns_key2rr(k);
	ldns_rr_list *keys = ldns_rr_list_new();
	ldns_rr_list *set = list("www.example. 3600 IN A 192.0.2.1", NULL);
	ldns_rr_list *sigs = sign(set, k, NOW - 1000, NOW + 1000), *many = ldns_rr_list_new();
	struct rw_dsec_budget b;
	struct rw_dsec_check c;
	int collided = 0;

	for (size_t m = 0; m < 16 && collided < 12; m++) {
		ldns_rr *x = collide(real, m);

		/* only true collisions: an unchanged copy of the real key would verify */
		if (ldns_calc_keytag(x) == ldns_calc_keytag(real) &&
		    ldns_rr_compare(x, real) != 0) {
			collided++;
			ldns_rr_list_push_rr(keys, x);
		} else {
			ldns_rr_free(x);
		}
	}
	CHECK(collided >= 9);
	ldns_rr_list_push_rr(keys, ldns_rr_clone(real)); /* the real key comes too late */
	verify(set, sigs, "example.", keys, NOW, &c);
	CHECK_EQ(c.result, RW_DSEC_LIMIT);
	CHECK(strstr(c.limit, "keys per RRSIG") != NULL);
	CHECK_EQ(c.verifications, RW_DSEC_MAX_KEY_TRY);

	/* Ten RRSIGs that do not verify: eight are tried. */
	for (int i = 0; i < 10; i++) {
		ldns_rr *s = ldns_rr_clone(ldns_rr_list_rr(sigs, 0));

		ldns_rdf_data(ldns_rr_rdf(s, 8))[i] ^= 1;
		ldns_rr_list_push_rr(many, s);
	}
	ldns_rr_list_push_rr(many, ldns_rr_clone(ldns_rr_list_rr(sigs, 0)));
	ldns_rr_list_deep_free(keys);
	keys = ldns_rr_list_new();
	ldns_rr_list_push_rr(keys, real);
	verify(set, many, "example.", keys, NOW, &c);
	CHECK_EQ(c.result, RW_DSEC_LIMIT);
	CHECK(strstr(c.limit, "RRSIGs per RRset") != NULL);
	CHECK_EQ(c.verifications, RW_DSEC_MAX_SIG_TRY);

	/* The query's budget runs out across RRsets. */
	rw_dsec_budget_init(&b);
	{
		ldns_rdf *z = dn("example.");
		int secure = 0;

		for (int i = 0; i < RW_DSEC_MAX_VERIFY; i++) {
			rw_dsec_verify_rrset(set, sigs, z, keys, NOW, &b, &c);
			secure += c.result == RW_DSEC_SECURE;
		}
		CHECK_EQ(secure, RW_DSEC_MAX_VERIFY);
		CHECK_EQ(b.verify_left, 0);
		rw_dsec_verify_rrset(set, sigs, z, keys, NOW, &b, &c);
		CHECK_EQ(c.result, RW_DSEC_LIMIT);
		CHECK(strstr(c.limit, "64 verifications") != NULL);
		CHECK_EQ(c.verifications, 0);
		ldns_rdf_deep_free(z);
	}
	ldns_rr_list_deep_free(many);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(keys);
	ldns_key_deep_free(k);
}

static void test_names(void)
{
	CHECK(rw_dsec_alg_supported(8) && rw_dsec_alg_supported(13) && rw_dsec_alg_supported(15));
	CHECK(!rw_dsec_alg_supported(5) && !rw_dsec_alg_supported(7) && !rw_dsec_alg_supported(3));
	CHECK(rw_dsec_digest_supported(2) && rw_dsec_digest_supported(4) &&
	      !rw_dsec_digest_supported(3));
	CHECK(strcmp(rw_dsec_result_name(RW_DSEC_EXPIRED), "signature expired") == 0);
	CHECK_EQ(rw_dsec_result_ede(RW_DSEC_EXPIRED), 7);
	CHECK_EQ(rw_dsec_result_ede(RW_DSEC_NOT_YET_VALID), 8);
	CHECK_EQ(rw_dsec_result_ede(RW_DSEC_NO_RRSIG), 10);
	CHECK_EQ(rw_dsec_result_ede(RW_DSEC_UNSUPPORTED_DIGEST), 2);
	CHECK_EQ(rw_dsec_result_ede(RW_DSEC_BAD_SIG), 6);
}

int main(void)
{
	static const uint8_t hkey[16] = {1, 2, 3};
	test_names();
	for (int pass = 0; pass < 2; pass++) {
		/* the second pass verifies ECDSA through kept keys, twice each (cache hits) */
		pkeys = pass ? rw_dsec_pkeys_new(hkey) : NULL;
		for (int again = 0; again <= pass; again++) {
			test_secure_and_times(LDNS_SIGN_ECDSAP256SHA256, 256);
			test_secure_and_times(LDNS_SIGN_ED25519, 256);
			test_secure_and_times(LDNS_SIGN_RSASHA256, 1024);
			test_serial_wrap();
			test_missing();
			test_wildcard();
			test_ds();
			test_keytrap();
		}
		rw_dsec_pkeys_free(pkeys);
	}
	return rw_check_report("dnssec_verify");
}
