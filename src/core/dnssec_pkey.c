/* Verifying with public keys kept converted: an ECDSA DNSKEY is turned into an OpenSSL EVP_PKEY
 * once (by ldns) and kept in a table that worker threads share; each RRSIG is then checked by
 * ldns's ldns_verify_rrsig_evp over the signed data (RFC 4034 3.1.8.1: the RRSIG's fields, then
 * the RRset in canonical form and order, with the signature's original TTL, a wildcard owner
 * where the RRSIG's labels say so). Converting the key for every verification, as the general
 * ldns call does, costs OpenSSL 3 about a third of an ECDSA verification. Other algorithms go
 * the general way (rw_dsec_pkey_verify returns -1). No cryptography here: ldns and OpenSSL do it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "rootwalk/dnssec.h"

#define PK_SLOTS                                                                                   \
	64 /* power of two; a collision only converts a key again. Small: a kept key
		     * costs OpenSSL 2 KB, and the keys in use at one moment are few */

struct pk_slot {
	uint8_t alg;
	uint16_t len;
	uint8_t *data; /* the DNSKEY's public key field */
	EVP_PKEY *pkey;
};

struct rw_dsec_pkeys {
	pthread_mutex_t lock;
	uint8_t key[crypto_shorthash_KEYBYTES];
	struct pk_slot slot[PK_SLOTS];
};

struct rw_dsec_pkeys *rw_dsec_pkeys_new(const uint8_t key[16])
{
	struct rw_dsec_pkeys *pk = calloc(1, sizeof(*pk));
	if (!pk)
		return NULL;
	if (pthread_mutex_init(&pk->lock, NULL) != 0) {
		free(pk);
		return NULL;
	}
	memcpy(pk->key, key, sizeof(pk->key));
	return pk;
}

void rw_dsec_pkeys_free(struct rw_dsec_pkeys *pk)
{
	if (!pk)
		return;
	for (size_t i = 0; i < PK_SLOTS; i++) {
		free(pk->slot[i].data);
		EVP_PKEY_free(pk->slot[i].pkey);
	}
	pthread_mutex_destroy(&pk->lock);
	free(pk);
}

static struct pk_slot *slot_of(struct rw_dsec_pkeys *pk, uint8_t alg, const uint8_t *d, size_t n)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h;
	crypto_shorthash(out, d, n, pk->key);
	memcpy(&h, out, sizeof(h));
	return &pk->slot[(h ^ alg) & (PK_SLOTS - 1)];
}

/* The key as an EVP_PKEY with a reference for the caller (put_pkey it), or NULL. */
static EVP_PKEY *get_pkey(struct rw_dsec_pkeys *pk, uint8_t alg, const ldns_rdf *pub)
{
	const uint8_t *d = ldns_rdf_data(pub);
	size_t n = ldns_rdf_size(pub);
	struct pk_slot *s = slot_of(pk, alg, d, n);
	EVP_PKEY *p = NULL;

	pthread_mutex_lock(&pk->lock);
	if (s->pkey && s->alg == alg && s->len == n && memcmp(s->data, d, n) == 0 &&
	    EVP_PKEY_up_ref(s->pkey) == 1)
		p = s->pkey;
	pthread_mutex_unlock(&pk->lock);
	if (p || n > 65535)
		return p;
	p = ldns_ecdsa2pkey_raw(d, n, alg);
	uint8_t *copy = malloc(n ? n : 1);
	if (!p || !copy || EVP_PKEY_up_ref(p) != 1) {
		free(copy);
		EVP_PKEY_free(p);
		return NULL;
	}
	memcpy(copy, d, n);
	pthread_mutex_lock(&pk->lock);
	uint8_t *old_data = s->data;
	EVP_PKEY *old = s->pkey;
	s->alg = alg;
	s->len = (uint16_t)n;
	s->data = copy;
	s->pkey = p;	    /* the table's reference; the caller has the other */
	EVP_PKEY_free(old); /* under the lock: see put_pkey */
	pthread_mutex_unlock(&pk->lock);
	free(old_data);
	return p;
}

/* Drop a reference taken by get_pkey. Under the table's lock, as the table drops its own when a
 * slot takes another key: OpenSSL counts references with atomics, which ThreadSanitizer does not
 * see in an uninstrumented libcrypto, so without the lock it cannot tell that every use of a
 * replaced key ends before the last reference frees it. Dropping a reference that is not the
 * last costs one atomic decrement. */
static void put_pkey(struct rw_dsec_pkeys *pk, EVP_PKEY *p)
{
	pthread_mutex_lock(&pk->lock);
	EVP_PKEY_free(p);
	pthread_mutex_unlock(&pk->lock);
}

/* The owner a signature covers: the RRset's, or "*." and its last labels for a wildcard. */
static ldns_rdf *signed_owner(const ldns_rdf *owner, uint8_t labels)
{
	ldns_rdf *o = ldns_rdf_clone(owner);
	if (!o || ldns_dname_label_count(o) <= labels)
		return o;
	while (o && ldns_dname_label_count(o) > labels) {
		ldns_rdf *up = ldns_dname_left_chop(o);
		ldns_rdf_deep_free(o);
		o = up;
	}
	ldns_rdf *w = o ? rw_dsec_wildcard_of(o) : NULL;
	ldns_rdf_deep_free(o);
	return w;
}

/* RFC 4034 3.1.8.1: the RRSIG's fields without the signature, then the RRset canonical. */
static bool signed_data(ldns_buffer *buf, const ldns_rr_list *rrset, const ldns_rr *sig)
{
	ldns_rr *s = ldns_rr_clone(sig);
	ldns_rr_list *c = ldns_rr_list_clone(rrset);
	bool ok = s && c;
	if (ok) {
		ldns_rr2canonical(s);
		ok = ldns_rrsig2buffer_wire(buf, s) == LDNS_STATUS_OK;
	}
	uint8_t labels = ok ? ldns_rdf2native_int8(ldns_rr_rdf(sig, 2)) : 0;
	uint32_t ttl = ok ? ldns_rdf2native_int32(ldns_rr_rdf(sig, 3)) : 0;
	for (size_t i = 0; ok && i < ldns_rr_list_rr_count(c); i++) {
		ldns_rr *rr = ldns_rr_list_rr(c, i);
		ldns_rdf *owner = signed_owner(ldns_rr_owner(rr), labels);
		ok = owner != NULL;
		if (ok) {
			ldns_rdf_deep_free(ldns_rr_owner(rr));
			ldns_rr_set_owner(rr, owner);
			ldns_rr2canonical(rr);
			ldns_rr_set_ttl(rr, ttl);
		}
	}
	if (ok)
		ldns_rr_list_sort(c);
	for (size_t i = 0; ok && i < ldns_rr_list_rr_count(c); i++)
		ok = ldns_rr2buffer_wire_canonical(buf, ldns_rr_list_rr(c, i),
						   LDNS_SECTION_ANSWER) == LDNS_STATUS_OK;
	ldns_rr_free(s);
	ldns_rr_list_deep_free(c);
	return ok;
}

int rw_dsec_pkey_verify(struct rw_dsec_pkeys *pk, const ldns_rr_list *rrset, const ldns_rr *sig,
			const ldns_rr *key)
{
	uint8_t alg = ldns_rdf2native_int8(ldns_rr_rdf(key, 2));
	if (!pk || (alg != LDNS_ECDSAP256SHA256 && alg != LDNS_ECDSAP384SHA384) ||
	    ldns_rr_rd_count(key) < 4 || ldns_rr_rd_count(sig) < 9)
		return -1;
	EVP_PKEY *p = get_pkey(pk, alg, ldns_rr_rdf(key, 3));
	if (!p)
		return -1;
	ldns_buffer *data = ldns_buffer_new(512), *asn = ldns_buffer_new(128);
	int rc = -1;
	if (data && asn && signed_data(data, rrset, sig) &&
	    ldns_convert_ecdsa_rrsig_rdf2asn1(asn, ldns_rr_rdf(sig, 8)) == LDNS_STATUS_OK)
		rc = ldns_verify_rrsig_evp(asn, data, p,
					   alg == LDNS_ECDSAP256SHA256
						   ? EVP_sha256()
						   : EVP_sha384()) == LDNS_STATUS_OK;
	ldns_buffer_free(data);
	ldns_buffer_free(asn);
	put_pkey(pk, p);
	return rc;
}
