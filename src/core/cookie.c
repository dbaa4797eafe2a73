/* Server cookies: made, checked and added to answers. */
#include "rootwalk/cookie.h"

#include <netinet/in.h>
#include <string.h>

#include <sodium.h>

#include "rootwalk/wire.h"

#define COOKIE_MAX_AGE	  3600 /* RFC 9018 4.3: a cookie older than an hour is refused */
#define COOKIE_MAX_AHEAD  300  /* and one more than five minutes ahead */
#define COOKIE_RENEW_AGE  1800 /* reused when younger than this, else made anew */
#define COOKIE_VERSION	  1
#define COOKIE_HASH_INPUT (RW_COOKIE_CLIENT_LEN + 8 + 16)

_Static_assert(crypto_shorthash_siphash24_KEYBYTES == RW_COOKIE_SECRET_LEN, "SipHash key");

/* SipHash-2-4 over client cookie | version | reserved | timestamp | client IP. */
static void hash(const uint8_t secret[RW_COOKIE_SECRET_LEN], const uint8_t *cc,
		 const uint8_t head[8], const struct sockaddr *client, uint8_t out[8])
{
	uint8_t in[COOKIE_HASH_INPUT];
	size_t n = RW_COOKIE_CLIENT_LEN + 8;

	memcpy(in, cc, RW_COOKIE_CLIENT_LEN);
	memcpy(in + RW_COOKIE_CLIENT_LEN, head, 8);
	if (client->sa_family == AF_INET) {
		memcpy(in + n, &((const struct sockaddr_in *)(const void *)client)->sin_addr, 4);
		n += 4;
	} else if (client->sa_family == AF_INET6) {
		memcpy(in + n, &((const struct sockaddr_in6 *)(const void *)client)->sin6_addr, 16);
		n += 16;
	}
	crypto_shorthash_siphash24(out, in, n, secret);
}

void rw_cookie_make(const uint8_t secret[RW_COOKIE_SECRET_LEN],
		    const uint8_t cc[RW_COOKIE_CLIENT_LEN], const struct sockaddr *client,
		    uint32_t ts, uint8_t out[RW_COOKIE_SERVER_LEN])
{
	out[0] = COOKIE_VERSION;
	out[1] = out[2] = out[3] = 0;
	rw_put32(out + 4, ts);
	hash(secret, cc, out, client, out + 8);
}

/* Seconds from then to now in serial arithmetic (negative: then is ahead). */
static int64_t age(uint32_t then, uint32_t now)
{
	return (int32_t)(now - then);
}

enum rw_cookie_state rw_cookie_check(const uint8_t secret[RW_COOKIE_SECRET_LEN],
				     const uint8_t *cookie, size_t len,
				     const struct sockaddr *client, uint32_t now)
{
	uint8_t mac[8];

	if (len == 0)
		return RW_COOKIE_NONE;
	if (len == RW_COOKIE_CLIENT_LEN)
		return RW_COOKIE_CLIENT_ONLY;
	/* only our own kind: version 1, 16 bytes (the reserved bytes are hashed as received) */
	if (len != RW_COOKIE_REPLY_LEN || cookie[8] != COOKIE_VERSION)
		return RW_COOKIE_INVALID;
	int64_t a = age(rw_get32(cookie + 12), now);
	if (a > COOKIE_MAX_AGE || a < -COOKIE_MAX_AHEAD)
		return RW_COOKIE_INVALID;
	hash(secret, cookie, cookie + 8, client, mac);
	return sodium_memcmp(mac, cookie + 16, sizeof(mac)) == 0 ? RW_COOKIE_VALID
								 : RW_COOKIE_INVALID;
}

void rw_cookie_reply(const uint8_t secret[RW_COOKIE_SECRET_LEN], const uint8_t *cookie, size_t len,
		     enum rw_cookie_state state, const struct sockaddr *client, uint32_t now,
		     uint8_t out[RW_COOKIE_REPLY_LEN])
{
	memcpy(out, cookie, RW_COOKIE_CLIENT_LEN);
	if (state == RW_COOKIE_VALID && len == RW_COOKIE_REPLY_LEN && cookie[9] == 0 &&
	    cookie[10] == 0 && cookie[11] == 0 && age(rw_get32(cookie + 12), now) >= 0 &&
	    age(rw_get32(cookie + 12), now) < COOKIE_RENEW_AGE) {
		memcpy(out + RW_COOKIE_CLIENT_LEN, cookie + RW_COOKIE_CLIENT_LEN,
		       RW_COOKIE_SERVER_LEN);
		return;
	}
	rw_cookie_make(secret, cookie, client, now, out + RW_COOKIE_CLIENT_LEN);
}

/* Offset of the last record of msg, or 0 when the message does not parse. */
static size_t last_rr(const uint8_t *msg, size_t len)
{
	uint8_t name[256];
	size_t off = RW_DNS_HEADER_LEN, last = 0;
	unsigned qd = rw_get16(msg + 4);
	unsigned rrs = (unsigned)rw_get16(msg + 6) + rw_get16(msg + 8) + rw_get16(msg + 10);

	for (unsigned i = 0; i < qd; i++) {
		if (rw_wire_read_name(msg, len, &off, name) < 0 || len - off < 4)
			return 0;
		off += 4;
	}
	for (unsigned i = 0; i < rrs; i++) {
		last = off;
		if (rw_wire_read_name(msg, len, &off, name) < 0 || len - off < RW_RR_FIXED)
			return 0;
		size_t rdlen = rw_get16(msg + off + 8);
		off += RW_RR_FIXED;
		if (len - off < rdlen)
			return 0;
		off += rdlen;
	}
	return off == len ? last : 0;
}

size_t rw_cookie_append(uint8_t *msg, size_t len, size_t cap,
			const uint8_t reply[RW_COOKIE_REPLY_LEN])
{
	size_t opt;

	if (len < RW_DNS_HEADER_LEN + RW_OPT_LEN || cap - len < RW_COOKIE_OPT_LEN ||
	    rw_get16(msg + 10) == 0)
		return len;
	/* the fast path's OPT is the last 11 bytes, with no options: no walk needed */
	opt = len - RW_OPT_LEN;
	if (!(msg[opt] == 0 && rw_get16(msg + opt + 1) == RW_TYPE_OPT &&
	      rw_get16(msg + opt + 9) == 0)) {
		opt = last_rr(msg, len);
		if (opt == 0 || msg[opt] != 0 || rw_get16(msg + opt + 1) != RW_TYPE_OPT)
			return len;
	}
	size_t rdlen = rw_get16(msg + opt + 9);
	if (rdlen + RW_COOKIE_OPT_LEN > 0xffff)
		return len;
	rw_put16(msg + opt + 9, (uint16_t)(rdlen + RW_COOKIE_OPT_LEN));
	rw_put16(msg + len, RW_OPT_COOKIE);
	rw_put16(msg + len + 2, RW_COOKIE_REPLY_LEN);
	memcpy(msg + len + 4, reply, RW_COOKIE_REPLY_LEN);
	return len + RW_COOKIE_OPT_LEN;
}
