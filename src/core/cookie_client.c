/* DNS cookies, client side: see cookie_client.h. */
#include <netinet/in.h>
#include <string.h>

#include <sodium.h>

#include "rootwalk/cookie_client.h"
#include "rootwalk/wire.h"

_Static_assert(RW_COOKIE_KEY_LEN == crypto_shorthash_siphash24_KEYBYTES, "SipHash key size");
_Static_assert(RW_COOKIE_CLIENT_LEN == crypto_shorthash_siphash24_BYTES, "SipHash output size");

int rw_cookie_client_make(const uint8_t key[RW_COOKIE_KEY_LEN], const struct sockaddr *sa,
			  uint8_t out[RW_COOKIE_CLIENT_LEN])
{
	uint8_t in[17];
	size_t n;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;
		in[0] = 4;
		memcpy(in + 1, &sin->sin_addr, 4);
		n = 5;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;
		in[0] = 6;
		memcpy(in + 1, &sin6->sin6_addr, 16);
		n = 17;
	} else {
		return -1;
	}
	crypto_shorthash_siphash24(out, in, n, key);
	return 0;
}

size_t rw_cookie_opt_write(uint8_t *p, const uint8_t cc[RW_COOKIE_CLIENT_LEN], const uint8_t *sc,
			   size_t sclen)
{
	if (!sc || sclen < RW_COOKIE_SERVER_MIN || sclen > RW_COOKIE_SERVER_MAX)
		sclen = 0;
	rw_put16(p, RW_COOKIE_OPT);
	rw_put16(p + 2, (uint16_t)(RW_COOKIE_CLIENT_LEN + sclen));
	memcpy(p + 4, cc, RW_COOKIE_CLIENT_LEN);
	if (sclen)
		memcpy(p + 4 + RW_COOKIE_CLIENT_LEN, sc, sclen);
	return 4 + RW_COOKIE_CLIENT_LEN + sclen;
}

/* Skip one record at *off (the question has no TTL or data: question). Returns false when it
 * runs past the message. */
static bool skip_rr(const uint8_t *pkt, size_t len, size_t *off, bool question)
{
	uint8_t name[256];
	if (rw_wire_read_name(pkt, len, off, name) <= 0)
		return false;
	if (question)
		return *off + 4 <= len ? (*off += 4, true) : false;
	if (*off + 10 > len)
		return false;
	size_t rdlen = rw_get16(pkt + *off + 8);
	if (*off + 10 + rdlen > len)
		return false;
	*off += 10 + rdlen;
	return true;
}

/* The options of an OPT record's data. */
static void read_options(const uint8_t *d, size_t dlen, struct rw_cookie_seen *out)
{
	size_t o = 0;
	while (o + 4 <= dlen) {
		uint16_t code = rw_get16(d + o), olen = rw_get16(d + o + 2);
		if (o + 4 + olen > dlen) {
			if (code == RW_COOKIE_OPT)
				out->malformed = out->cookie = true;
			return;
		}
		if (code == RW_COOKIE_OPT && !out->cookie) {
			out->cookie = true;
			/* 8 bytes alone, or 8 + 8..32 (RFC 7873 4) */
			if (olen != RW_COOKIE_CLIENT_LEN &&
			    (olen < RW_COOKIE_CLIENT_LEN + RW_COOKIE_SERVER_MIN ||
			     olen > RW_COOKIE_CLIENT_LEN + RW_COOKIE_SERVER_MAX)) {
				out->malformed = true;
			} else {
				memcpy(out->client, d + o + 4, RW_COOKIE_CLIENT_LEN);
				out->server_len = olen - RW_COOKIE_CLIENT_LEN;
				memcpy(out->server, d + o + 4 + RW_COOKIE_CLIENT_LEN,
				       out->server_len);
			}
		}
		o += 4 + olen;
	}
}

int rw_cookie_reply_parse(const uint8_t *pkt, size_t len, struct rw_cookie_seen *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 12)
		return -1;
	out->rcode = pkt[3] & 0xf;
	size_t off = 12;
	unsigned counts[4];
	for (int s = 0; s < 4; s++)
		counts[s] = rw_get16(pkt + 4 + 2 * s);
	for (int s = 0; s < 3; s++)
		for (unsigned i = 0; i < counts[s]; i++)
			if (!skip_rr(pkt, len, &off, s == 0))
				return -1;
	for (unsigned i = 0; i < counts[3]; i++) {
		size_t at = off;
		uint8_t name[256];
		if (!skip_rr(pkt, len, &off, false))
			return -1;
		size_t p = at;
		int n = rw_wire_read_name(pkt, len, &p, name);
		if (n != 1 || rw_get16(pkt + p) != 41 || out->opt)
			continue; /* not an OPT at the root, or a second one (ignored) */
		out->opt = true;
		out->rcode |= pkt[p + 4] << 4; /* the TTL's first byte: the rcode's upper 8 bits */
		read_options(pkt + p + 10, rw_get16(pkt + p + 8), out);
	}
	return 0;
}
