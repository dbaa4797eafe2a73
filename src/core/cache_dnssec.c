/* The cache's DNSSEC helpers: proof records in wire form and RRSIG expirations. A leaf of the
 * cache: cache.c (storing) and cache_read.c (copies out) call it; it calls neither. */
#include "cache_impl.h"

const char *rw_vstate_name(enum rw_vstate v)
{
	switch (v) {
	case RW_VSTATE_SECURE:
		return "secure";
	case RW_VSTATE_INSECURE:
		return "insecure";
	case RW_VSTATE_BOGUS:
		return "bogus";
	default:
		return "unchecked";
	}
}

bool cache_proof_encode(ldns_buffer *b, const ldns_rr_list *proof, uint16_t *n, uint32_t *min_ttl)
{
	*n = 0;
	for (size_t i = 0; proof && i < ldns_rr_list_rr_count(proof); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(proof, i);
		if (*n == UINT16_MAX ||
		    ldns_rr2buffer_wire(b, rr, LDNS_SECTION_AUTHORITY) != LDNS_STATUS_OK ||
		    !ldns_buffer_status_ok(b))
			return false;
		uint32_t t = ldns_rr_ttl(rr);
		if (t & 0x80000000u)
			t = 0; /* RFC 2181 8 */
		if (t < *min_ttl)
			*min_ttl = t;
		(*n)++;
	}
	return true;
}

int64_t cache_sig_expiry(const ldns_rr_list *list, int64_t now_us, int64_t earliest)
{
	int64_t now_s = now_us / 1000000;
	for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG || ldns_rr_rd_count(rr) < 6)
			continue;
		const ldns_rdf *f = ldns_rr_rdf(rr, 4); /* signature expiration */
		if (ldns_rdf_size(f) != 4)
			continue;
		uint32_t exp = ldns_rdf2native_int32(f);
		/* The 32-bit field is a serial number: the instant nearest to now with it. */
		int32_t delta = (int32_t)(exp - (uint32_t)now_s);
		int64_t at = (now_s + delta) * 1000000;
		if (!earliest || at < earliest)
			earliest = at;
	}
	return earliest;
}

ldns_rr_list *cache_proof_decode(const uint8_t *p, uint32_t len, uint16_t count, uint32_t ttl,
				 bool *failed)
{
	*failed = false;
	if (!count)
		return NULL;
	ldns_rr_list *l = ldns_rr_list_new();
	size_t pos = 0;
	for (uint16_t i = 0; l && i < count; i++) {
		ldns_rr *rr = NULL;
		if (ldns_wire2rr(&rr, p, len, &pos, LDNS_SECTION_AUTHORITY) != LDNS_STATUS_OK ||
		    !ldns_rr_list_push_rr(l, rr)) {
			ldns_rr_free(rr);
			ldns_rr_list_deep_free(l);
			l = NULL;
			break;
		}
		ldns_rr_set_ttl(rr, ttl);
	}
	*failed = l == NULL;
	return l;
}
