/* Writes the seed corpus of fuzz_dnssec into fuzz/corpus/dnssec/: signed messages made with keys
 * generated on the spot (so each run writes other bytes; the seeds are committed as made once).
 * Not built by meson:
 *
 *   cc fuzz/gen_dnssec_corpus.c -o /tmp/gen_dnssec_corpus -lldns && /tmp/gen_dnssec_corpus fuzz/corpus/dnssec
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#define NOW 1800000000u

static ldns_rr *rr(const char *s)
{
	ldns_rr *r = NULL;

	if (ldns_rr_new_frm_str(&r, s, 0, NULL, NULL) != LDNS_STATUS_OK) {
		fprintf(stderr, "bad rr: %s\n", s);
		exit(1);
	}
	return r;
}

static ldns_key *mkkey(ldns_signing_algorithm a, uint16_t bits, uint16_t flags)
{
	ldns_key *k = ldns_key_new_frm_algorithm(a, bits);
	ldns_rr *d;

	ldns_key_set_pubkey_owner(k, ldns_dname_new_frm_str("example."));
	ldns_key_set_flags(k, flags);
	d = ldns_key2rr(k);
	ldns_key_set_keytag(k, ldns_calc_keytag(d));
	ldns_rr_free(d);
	return k;
}

/* Push rrset and its signature by k (window [inc, exp]) into section of p. */
static void push_signed(ldns_pkt *p, ldns_pkt_section s, ldns_rr_list *rrset, ldns_key *k,
			uint32_t inc, uint32_t exp)
{
	ldns_key_list *kl = ldns_key_list_new();
	ldns_rr_list *sigs;

	ldns_key_set_inception(k, inc);
	ldns_key_set_expiration(k, exp);
	ldns_key_list_push_key(kl, k);
	sigs = ldns_sign_public(rrset, kl);
	ldns_key_list_set_key_count(kl, 0);
	ldns_key_list_free(kl);
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++)
		ldns_pkt_push_rr(p, s, ldns_rr_clone(ldns_rr_list_rr(rrset, i)));
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++)
		ldns_pkt_push_rr(p, s, ldns_rr_list_rr(sigs, i));
	ldns_rr_list_free(sigs);
}

static ldns_rr_list *one(const char *a, const char *b)
{
	ldns_rr_list *l = ldns_rr_list_new();

	ldns_rr_list_push_rr(l, rr(a));
	if (b != NULL)
		ldns_rr_list_push_rr(l, rr(b));
	return l;
}

static void write_pkt(const char *dir, const char *name, ldns_pkt *p)
{
	uint8_t *wire = NULL;
	size_t len = 0;
	char path[512];
	FILE *f;

	if (ldns_pkt2wire(&wire, p, &len) != LDNS_STATUS_OK)
		exit(1);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(wire, 1, len, f) != len)
		exit(1);
	fclose(f);
	free(wire);
	ldns_pkt_free(p);
}

static ldns_pkt *query(const char *qname, ldns_rr_type t, ldns_pkt_rcode rcode)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(qname), t, LDNS_RR_CLASS_IN, 0);

	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rcode(p, rcode);
	return p;
}

/* The zone's keys (ksk, zsk), signed by the KSK, and a DS for the KSK, into the additional. */
static void push_keys(ldns_pkt *p, ldns_key *ksk, ldns_key *zsk)
{
	ldns_rr_list *keys = ldns_rr_list_new();

	ldns_rr_list_push_rr(keys, ldns_key2rr(ksk));
	ldns_rr_list_push_rr(keys, ldns_key2rr(zsk));
	push_signed(p, LDNS_SECTION_ADDITIONAL, keys, ksk, NOW - 3600, NOW + 86400);
	ldns_pkt_push_rr(p, LDNS_SECTION_ADDITIONAL,
			 ldns_key_rr2ds(ldns_rr_list_rr(keys, 0), LDNS_SHA256));
	ldns_rr_list_deep_free(keys);
}

int main(int argc, char **argv)
{
	ldns_key *ksk = mkkey(LDNS_SIGN_ECDSAP256SHA256, 256, 257);
	ldns_key *zsk = mkkey(LDNS_SIGN_ED25519, 256, 256);
	const char *dir = argc > 1 ? argv[1] : "fuzz/corpus/dnssec";
	ldns_pkt *p;
	ldns_rr_list *l;

	/* A signed answer with the zone's keys and DS. */
	p = query("www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	l = one("www.example. 3600 IN A 192.0.2.1", "www.example. 3600 IN A 192.0.2.2");
	push_signed(p, LDNS_SECTION_ANSWER, l, zsk, NOW - 3600, NOW + 86400);
	ldns_rr_list_deep_free(l);
	push_keys(p, ksk, zsk);
	write_pkt(dir, "ok-signed-answer", p);

	/* The same, expired. */
	p = query("www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	l = one("www.example. 3600 IN A 192.0.2.1", NULL);
	push_signed(p, LDNS_SECTION_ANSWER, l, zsk, NOW - 86400, NOW - 60);
	ldns_rr_list_deep_free(l);
	push_keys(p, ksk, zsk);
	write_pkt(dir, "ok-expired-answer", p);

	/* A wildcard expansion, and the NSEC that shows no closer name. */
	p = query("a.b.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
	l = one("*.b.example. 3600 IN A 192.0.2.9", NULL);
	push_signed(p, LDNS_SECTION_ANSWER, l, zsk, NOW - 3600, NOW + 86400);
	ldns_rr_list_deep_free(l);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(p)); i++) {
		ldns_rr *r = ldns_rr_list_rr(ldns_pkt_answer(p), i);

		ldns_rdf_deep_free(ldns_rr_owner(r));
		ldns_rr_set_owner(r, ldns_dname_new_frm_str("a.b.example."));
	}
	l = one("*.b.example. 300 IN NSEC c.example. A RRSIG NSEC", NULL);
	push_signed(p, LDNS_SECTION_AUTHORITY, l, zsk, NOW - 3600, NOW + 86400);
	ldns_rr_list_deep_free(l);
	write_pkt(dir, "ok-wildcard-nsec", p);

	/* NXDOMAIN and NODATA by NSEC. */
	p = query("b.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY,
			 rr("example. 300 IN SOA ns.example. h.example. 1 2 3 4 300"));
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY,
			 rr("example. 300 IN NSEC a.example. NS SOA RRSIG NSEC DNSKEY"));
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY,
			 rr("a.example. 300 IN NSEC d.example. A RRSIG NSEC"));
	write_pkt(dir, "ok-nxdomain-nsec", p);
	p = query("d.example.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR);
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY,
			 rr("example. 300 IN SOA ns.example. h.example. 1 2 3 4 300"));
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY,
			 rr("d.example. 300 IN NSEC x.example. NS RRSIG NSEC"));
	write_pkt(dir, "ok-insecure-ds-nsec", p);

	/* NXDOMAIN by NSEC3 (hashes of example., nope.example., *.example. with no salt, 1 it.). */
	p = query("nope.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN);
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY,
			 rr("example. 300 IN SOA ns.example. h.example. 1 2 3 4 300"));
	{
		const char *names[] = {"example.", "a.example.", "nope.example.", "*.example."};
		char h[4][64], text[512];

		for (int i = 0; i < 4; i++) {
			ldns_rdf *n = ldns_dname_new_frm_str(names[i]);
			ldns_rdf *x = ldns_nsec3_hash_name(n, 1, 1, 0, NULL);
			char *s = ldns_rdf2str(x);

			snprintf(h[i], sizeof(h[i]), "%.32s", s);
			free(s);
			ldns_rdf_deep_free(x);
			ldns_rdf_deep_free(n);
		}
		/* Records at example. and a.example., each pointing at the other: whichever the
		 * hashes' order, one of them covers the rest. */
		snprintf(text, sizeof(text), "%s.example. 300 IN NSEC3 1 0 1 - %s SOA NS", h[0],
			 h[1]);
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr(text));
		snprintf(text, sizeof(text), "%s.example. 300 IN NSEC3 1 1 1 - %s A", h[1], h[0]);
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr(text));
	}
	write_pkt(dir, "ok-nxdomain-nsec3", p);
	ldns_key_deep_free(ksk);
	ldns_key_deep_free(zsk);
	return 0;
}
