/* A client query in wire form for the unit tests. */
#ifndef RW_TEST_QUERY_H
#define RW_TEST_QUERY_H

#include <stdint.h>
#include <string.h>

#include <ldns/ldns.h>

/* Write the query (ID id, header flags word flags, one question name/type/IN) into out, with
 * an OPT record of a 1232-byte buffer when edns is 0 or 1 (1: the DO bit set), none when it is
 * -1. Returns its length. */
static inline size_t test_query(uint8_t *out, uint16_t id, uint16_t flags, const char *name,
				uint16_t type, int edns)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	size_t off = 12;

	memset(out, 0, 12);
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	out[2] = (uint8_t)(flags >> 8);
	out[3] = (uint8_t)flags;
	out[5] = 1;
	memcpy(out + off, ldns_rdf_data(d), ldns_rdf_size(d));
	off += ldns_rdf_size(d);
	ldns_rdf_deep_free(d);
	out[off++] = (uint8_t)(type >> 8);
	out[off++] = (uint8_t)type;
	out[off++] = 0;
	out[off++] = 1;
	if (edns >= 0) {
		const uint8_t opt[11] = {0, 0, 41, 0x04, 0xd0, 0, 0, edns ? 0x80 : 0, 0, 0, 0};
		memcpy(out + off, opt, sizeof(opt));
		off += sizeof(opt);
		out[11] = 1;
	}
	return off;
}

#endif
