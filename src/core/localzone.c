/* Special-use and locally served zones, answered without asking anyone.
 *
 * RFC 6761 asks caching servers not to send queries for localhost., invalid. and test. to the
 * root but to answer them at once (localhost. names: the loopback address; the others:
 * negative answers), RFC 7686 the same for onion., RFC 8375 for home.arpa.; RFC 6303 lists the
 * reverse zones of private and special addresses that no public server can answer for. Each is
 * answered here as Unbound's built-in zones answer it: the zone has an SOA
 * "localhost. nobody.invalid. 1 3600 1200 604800 10800" and an NS "localhost." at its apex,
 * everything has TTL 10800, names below the apex do not exist (NXDOMAIN), except that every name
 * under localhost. has what localhost. has (the loopback addresses, the SOA and NS), and
 * 1.0.0.127.in-addr.arpa. and the ::1 reverse name point back at localhost.
 *
 * The reverse zones of the documentation prefixes (192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24, 2001:db8::/32), which Unbound also serves by default, are left out: the lab,
 * and many test setups, give them real zones.
 */
#include <string.h>

#include "rootwalk/localzone.h"

#define LZ_TTL 10800
/* indexes in zones[] of the zones with data of their own */
#define LZ_LOCALHOST 0
#define LZ_127	     5
#define LZ_IP6_LO    6

struct lz_zone {
	const char *name; /* presentation form, lower case */
	const char *why;
};

static const struct lz_zone zones[] = {
	{"localhost.", "RFC 6761 6.3"},
	{"invalid.", "RFC 6761 6.4"},
	{"test.", "RFC 6761 6.2"},
	{"onion.", "RFC 7686"},
	{"home.arpa.", "RFC 8375"},
	{"127.in-addr.arpa.", "RFC 6303 4.2"},
	{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	 "RFC 6303 4.3"},
	{"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	 "RFC 6303 4.3"},
	{"0.in-addr.arpa.", "RFC 6303 4.2"},
	{"254.169.in-addr.arpa.", "RFC 6303 4.2"},
	{"255.255.255.255.in-addr.arpa.", "RFC 6303 4.2"},
	{"10.in-addr.arpa.", "RFC 6303 4.1"},
	{"16.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"17.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"18.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"19.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"20.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"21.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"22.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"23.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"24.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"25.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"26.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"27.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"28.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"29.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"30.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"31.172.in-addr.arpa.", "RFC 6303 4.1"},
	{"168.192.in-addr.arpa.", "RFC 6303 4.1"},
	{"d.f.ip6.arpa.", "RFC 6303 4.4"},
	{"8.e.f.ip6.arpa.", "RFC 6303 4.5"},
	{"9.e.f.ip6.arpa.", "RFC 6303 4.5"},
	{"a.e.f.ip6.arpa.", "RFC 6303 4.5"},
	{"b.e.f.ip6.arpa.", "RFC 6303 4.5"},
};

static size_t to_wire(const char *text, uint8_t *out)
{
	size_t n = 0;
	const char *p = text;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = (size_t)(dot - p);
		out[n++] = (uint8_t)l;
		memcpy(out + n, p, l);
		n += l;
		p = dot + 1;
	}
	out[n++] = 0;
	return n;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Whether the wire name (len bytes) ends with the zone's labels (presentation form, lower
 * case, with its final dot), case-insensitively. */
static bool ends_with(const uint8_t *name, size_t len, const char *zone)
{
	size_t zlen = strlen(zone) + 1; /* its length in wire form */
	size_t off = 0;

	/* step label by label until the rest is as long as the zone */
	while (off < len && len - off > zlen)
		off += (size_t)name[off] + 1;
	if (off >= len || len - off != zlen)
		return false;
	for (const uint8_t *p = name + off; *p; p += *p + 1) {
		for (size_t i = 0; i < *p; i++)
			if (lower(p[1 + i]) != (uint8_t)zone[i])
				return false;
		if (zone[*p] != '.')
			return false;
		zone += *p + 1;
	}
	return *zone == '\0';
}

/* Whether the wire name ends in the bytes of a one-label name (length byte, text, root),
 * case-insensitively. A match may be a coincidence inside a longer label: the exact search that
 * follows settles it. */
static bool ends_in(const uint8_t *name, size_t len, const char *tld)
{
	size_t n = strlen(tld);

	if (len < n + 2 || name[len - n - 2] != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(name[len - n - 1 + i]) != (uint8_t)tld[i])
			return false;
	return true;
}

int rw_localzone_find(const uint8_t *qname, size_t len)
{
	/* Every query comes through here: look at the end of the name first, and search the
	 * table only under the five top-level names it has zones under. */
	if (!ends_in(qname, len, "arpa") && !ends_in(qname, len, "localhost") &&
	    !ends_in(qname, len, "test") && !ends_in(qname, len, "invalid") &&
	    !ends_in(qname, len, "onion"))
		return -1;
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (ends_with(qname, len, zones[i].name))
			return (int)i;
	return -1;
}

const char *rw_localzone_name(int zone)
{
	return zones[zone].name;
}

const char *rw_localzone_why(int zone)
{
	return zones[zone].why;
}

static size_t soa_rdata(uint8_t *out)
{
	static const uint32_t nums[5] = {1, 3600, 1200, 604800, 10800};
	size_t n = to_wire("localhost.", out);

	n += to_wire("nobody.invalid.", out + n);
	for (int i = 0; i < 5; i++) {
		rw_put16(out + n, (uint16_t)(nums[i] >> 16));
		rw_put16(out + n + 2, (uint16_t)nums[i]);
		n += 4;
	}
	return n;
}

size_t rw_localzone_answer(int zone, const uint8_t *pkt, size_t len,
			   const struct rw_client_query *cq, uint8_t *out, size_t cap, int *rcode)
{
	struct rw_client_query q = *cq;
	uint8_t apex[256];
	size_t alen = to_wire(zones[zone].name, apex), off, room, an = 0, ns = 0;
	bool at_apex = cq->qname_len == alen;
	bool localhost = zone == LZ_LOCALHOST;
	uint8_t rdata[64];
	size_t rdlen = 0;
	uint16_t type = cq->qtype;

	/* 1.0.0.127.in-addr.arpa. has a PTR; 0.0.127 and 0.127 above it are empty non-terminals */
	static const uint8_t lo127[6] = {1, '1', 1, '0', 1, '0'};
	bool is_lo127 =
		zone == LZ_127 && cq->qname_len == alen + 6 && memcmp(cq->qname, lo127, 6) == 0;
	bool is_ent127 = zone == LZ_127 &&
			 ((cq->qname_len == alen + 4 && memcmp(cq->qname, lo127 + 2, 4) == 0) ||
			  (cq->qname_len == alen + 2 && memcmp(cq->qname, lo127 + 4, 2) == 0));

	/* what the name has of the asked type: rdata (rdlen > 0), or nothing */
	if (localhost && type == LDNS_RR_TYPE_A) {
		static const uint8_t a[4] = {127, 0, 0, 1};
		memcpy(rdata, a, rdlen = 4);
	} else if (localhost && type == LDNS_RR_TYPE_AAAA) {
		memset(rdata, 0, 16);
		rdata[15] = 1;
		rdlen = 16;
	} else if ((at_apex || localhost) && type == LDNS_RR_TYPE_SOA) {
		rdlen = soa_rdata(rdata);
	} else if ((at_apex || localhost) && type == LDNS_RR_TYPE_NS) {
		rdlen = to_wire("localhost.", rdata);
	} else if (type == LDNS_RR_TYPE_PTR && (is_lo127 || (zone == LZ_IP6_LO && at_apex))) {
		rdlen = to_wire("localhost.", rdata);
	}
	bool exists = at_apex || localhost || is_lo127 || is_ent127;
	*rcode = exists ? LDNS_RCODE_NOERROR : LDNS_RCODE_NXDOMAIN;

	q.edns = 0;
	room = cq->edns ? cap - (cap < RW_OPT_LEN ? cap : RW_OPT_LEN) : cap;
	off = rw_wire_error_response(pkt, len, &q, *rcode, out, room);
	if (off == 0 || rw_get16(out + 4) != 1)
		return 0;
	rw_put16(out + 2, rw_get16(out + 2) | RW_FLAG_AA); /* our own data */
	if (rdlen > 0) {
		/* the answer, owned by the name as the client wrote it */
		if (rw_wire_put_rr(out, room, &off, cq->qname, cq->qname_len, type, LZ_TTL, rdata,
				   rdlen) < 0)
			return 0;
		an = 1;
	} else {
		uint8_t soa[64];
		size_t slen = soa_rdata(soa);
		if (rw_wire_put_rr(out, room, &off, apex, alen, LDNS_RR_TYPE_SOA, LZ_TTL, soa,
				   slen) < 0)
			return 0;
		ns = 1;
	}
	size_t ar = 0;
	if (cq->edns) {
		off += rw_wire_put_opt(out + off, LDNS_RCODE_NOERROR, cq->do_bit);
		ar = 1;
	}
	rw_put16(out + 6, (uint16_t)an);
	rw_put16(out + 8, (uint16_t)ns);
	rw_put16(out + 10, (uint16_t)ar);
	return off;
}
