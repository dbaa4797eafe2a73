/* Names and records from text for the DNSSEC unit tests. */
#ifndef RW_TEST_RR_H
#define RW_TEST_RR_H

#include <stdio.h>
#include <ldns/ldns.h>

static inline ldns_rdf *dn(const char *s)
{
	return ldns_dname_new_frm_str(s);
}

/* A record from zone-file text (TTL 0 unless given); NULL, said on stderr, when it is bad. */
static inline ldns_rr *rr(const char *s)
{
	ldns_rr *r = NULL;

	if (ldns_rr_new_frm_str(&r, s, 0, NULL, NULL) != LDNS_STATUS_OK)
		fprintf(stderr, "bad rr: %s\n", s);
	return r;
}

#endif
