/* Server cookies: the test vectors of RFC 9018 Appendix A, the checks of a returned cookie
 * (hash, address, age window of 4.3), the option added to answers, and the COOKIE option of a
 * query as the wire parser reads it (malformed lengths are FORMERR). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testaddr.h"
#include "rootwalk/cookie.h"
#include "rootwalk/wire.h"

static void unhex(const char *s, uint8_t *out)
{
	for (size_t i = 0; s[2 * i]; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static bool made(const char *secret, const char *cc, const char *ip, uint32_t ts, const char *want)
{
	uint8_t s[16], c[8], w[16], out[16];
	struct sockaddr_storage a = addr(ip);
	unhex(secret, s);
	unhex(cc, c);
	unhex(want, w);
	rw_cookie_make(s, c, (const struct sockaddr *)&a, ts, out);
	return memcmp(out, w, 16) == 0;
}

static void test_rfc9018_vectors(void)
{
	/* A.1: learning a new server cookie */
	CHECK(made("e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100",
		   1559731985, "010000005cf79f111f8130c3eee29480"));
	/* A.2: the same client, a renewed cookie */
	CHECK(made("e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100",
		   1559734385, "010000005cf7a871d4a564a1442aca77"));
	/* A.3: another client */
	CHECK(made("e5e973e5a6b2a43f48e7dc849e37bfcf", "fc93fc62807ddb86", "203.0.113.203",
		   1559734700, "010000005cf7a9acf73a7810aca2381e"));
	/* A.4: an IPv6 client, after the secret rolled over */
	CHECK(made("445536bcd2513298075a5d379663c962", "22681ab97d52c298",
		   "2001:db8:220:1:59de:d0f4:8769:82b8", 1559741961,
		   "010000005cf7c609a6bb79d16625507a"));
	/* a different address or secret gives another hash */
	CHECK(!made("e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.101",
		    1559731985, "010000005cf79f111f8130c3eee29480"));
}

static void test_check(void)
{
	uint8_t s[16], q[40];
	struct sockaddr_storage a = addr("198.51.100.100"), b = addr("198.51.100.101");
	const struct sockaddr *ca = (const struct sockaddr *)&a, *cb = (const struct sockaddr *)&b;
	uint32_t t = 1559731985;
	unhex("e5e973e5a6b2a43f48e7dc849e37bfcf", s);
	unhex("2464c4abcf10c957010000005cf79f111f8130c3eee29480", q);

	CHECK_EQ(rw_cookie_check(s, q, 0, ca, t), RW_COOKIE_NONE);
	CHECK_EQ(rw_cookie_check(s, q, 8, ca, t), RW_COOKIE_CLIENT_ONLY);
	CHECK_EQ(rw_cookie_check(s, q, 24, ca, t), RW_COOKIE_VALID);
	CHECK_EQ(rw_cookie_check(s, q, 24, ca, t + 3600), RW_COOKIE_VALID);
	CHECK_EQ(rw_cookie_check(s, q, 24, ca, t + 3601), RW_COOKIE_INVALID); /* > 1 hour old */
	CHECK_EQ(rw_cookie_check(s, q, 24, ca, t - 300), RW_COOKIE_VALID);
	CHECK_EQ(rw_cookie_check(s, q, 24, ca, t - 301), RW_COOKIE_INVALID); /* > 5 min ahead */
	CHECK_EQ(rw_cookie_check(s, q, 24, cb, t), RW_COOKIE_INVALID);	     /* another client */
	CHECK_EQ(rw_cookie_check(s, q, 20, ca, t), RW_COOKIE_INVALID);	     /* not ours */
	q[20] ^= 1;
	CHECK_EQ(rw_cookie_check(s, q, 24, ca, t), RW_COOKIE_INVALID); /* hash changed */
	q[20] ^= 1;
	q[8] = 2;
	CHECK_EQ(rw_cookie_check(s, q, 24, ca, t), RW_COOKIE_INVALID); /* version 2 */
	q[8] = 1;
	/* A.3: reserved bytes are hashed as received (made at 0x5cf78f71) */
	struct sockaddr_storage c3 = addr("203.0.113.203");
	unhex("fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5", q);
	CHECK_EQ(rw_cookie_check(s, q, 24, (const struct sockaddr *)&c3, 0x5cf78f71 + 10),
		 RW_COOKIE_VALID);
	CHECK_EQ(rw_cookie_check(s, q, 24, (const struct sockaddr *)&c3, 1559734700),
		 RW_COOKIE_INVALID); /* 1h52m later: too old */
	/* and the reply then is A.3's fresh cookie */
	uint8_t r[24], w[24];
	rw_cookie_reply(s, q, 24, RW_COOKIE_INVALID, (const struct sockaddr *)&c3, 1559734700, r);
	unhex("fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e", w);
	CHECK(memcmp(r, w, 24) == 0);
}

static void test_reply_reuse(void)
{
	uint8_t s[16], q[24], r[24];
	struct sockaddr_storage a = addr("198.51.100.100");
	const struct sockaddr *ca = (const struct sockaddr *)&a;
	uint32_t t = 1559731985;
	unhex("e5e973e5a6b2a43f48e7dc849e37bfcf", s);
	unhex("2464c4abcf10c957010000005cf79f111f8130c3eee29480", q);
	/* younger than half an hour: returned unchanged */
	rw_cookie_reply(s, q, 24, RW_COOKIE_VALID, ca, t + 1799, r);
	CHECK(memcmp(r, q, 24) == 0);
	/* older (A.2, 40 minutes later): renewed */
	uint8_t w[24];
	rw_cookie_reply(s, q, 24, RW_COOKIE_VALID, ca, 1559734385, r);
	unhex("2464c4abcf10c957010000005cf7a871d4a564a1442aca77", w);
	CHECK(memcmp(r, w, 24) == 0);
	/* a client cookie alone: a new one (A.1) */
	rw_cookie_reply(s, q, 8, RW_COOKIE_CLIENT_ONLY, ca, t, r);
	CHECK(memcmp(r, q, 24) == 0);
}

/* A query for "a." A with an OPT holding options (opts, olen bytes). */
static size_t query(uint8_t *out, const uint8_t *opts, size_t olen)
{
	static const uint8_t head[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0,
				       0,    1,	   1,	 'a',  0, 0, 1, 0, 1};
	memcpy(out, head, sizeof(head));
	size_t n = sizeof(head);
	n += rw_wire_put_opt(out + n, 0, 0);
	rw_put16(out + n - 2, (uint16_t)olen);
	if (olen)
		memcpy(out + n, opts, olen);
	return n + olen;
}

static void test_parse(void)
{
	uint8_t pkt[200], opt[60];
	struct rw_client_query q;
	rw_put16(opt, RW_OPT_COOKIE);
	for (size_t len = 0; len <= 48; len++) {
		rw_put16(opt + 2, (uint16_t)len);
		memset(opt + 4, 0xab, len);
		size_t n = query(pkt, opt, 4 + len);
		enum rw_query_status st = rw_wire_parse_query(pkt, n, &q);
		bool ok = len == 8 || (len >= 16 && len <= 40);
		CHECK_EQ(st, ok ? RW_QUERY_OK : RW_QUERY_FORMERR);
		CHECK_EQ(q.cookie_len, ok ? len : 0);
		/* the FORMERR answer keeps the OPT record (RFC 7873 5.2.2) */
		if (!ok) {
			CHECK_EQ(q.edns, 1);
			uint8_t resp[512];
			size_t r = rw_wire_error_response(pkt, n, &q, 1, resp, sizeof(resp));
			CHECK(r > 12 && (resp[3] & 15) == 1 && rw_get16(resp + 10) == 1);
		}
	}
	/* two COOKIE options: malformed */
	rw_put16(opt + 2, 8);
	memcpy(opt + 12, opt, 12);
	CHECK_EQ(rw_wire_parse_query(pkt, query(pkt, opt, 24), &q), RW_QUERY_FORMERR);
	/* another option beside it is fine */
	rw_put16(opt + 12, 8); /* client subnet code, 0 bytes */
	rw_put16(opt + 14, 0);
	CHECK_EQ(rw_wire_parse_query(pkt, query(pkt, opt, 16), &q), RW_QUERY_OK);
	CHECK_EQ(q.cookie_len, 8);
}

static void test_append(void)
{
	uint8_t pkt[200], msg[300], reply[24];
	struct rw_client_query q;
	memset(reply, 0x5a, sizeof(reply));
	size_t n = query(pkt, NULL, 0);
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_OK);
	size_t m = rw_wire_error_response(pkt, n, &q, 0, msg, sizeof(msg));
	/* no room: unchanged */
	CHECK_EQ(rw_cookie_append(msg, m, m + 27, reply), m);
	size_t m2 = rw_cookie_append(msg, m, sizeof(msg), reply);
	CHECK_EQ(m2, m + 28);
	CHECK_EQ(rw_get16(msg + m - 2), 28); /* the OPT's RDLENGTH */
	CHECK_EQ(rw_get16(msg + m), RW_OPT_COOKIE);
	CHECK_EQ(rw_get16(msg + m + 2), 24);
	CHECK(memcmp(msg + m + 4, reply, 24) == 0);
	/* the OPT already holds an option: found by walking the message */
	size_t m3 = rw_cookie_append(msg, m2, sizeof(msg), reply);
	CHECK_EQ(m3, m2 + 28);
	CHECK_EQ(rw_get16(msg + m - 2), 56);
	/* without an OPT: unchanged */
	q.edns = 0;
	m = rw_wire_error_response(pkt, n, &q, 0, msg, sizeof(msg));
	CHECK_EQ(rw_cookie_append(msg, m, sizeof(msg), reply), m);
}

int main(void)
{
	test_rfc9018_vectors();
	test_check();
	test_reply_reuse();
	test_parse();
	test_append();
	return rw_check_report("test_cookie");
}
