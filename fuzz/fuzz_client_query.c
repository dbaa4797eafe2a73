/* Fuzz target: a client query as it arrives on UDP or TCP. Parses it, then builds every kind of
 * error answer the daemon may send, and the referral it sends when RD is clear (norec.c), at
 * every output size that matters, and checks what comes back against the promises in wire.h
 * and norec.h. A broken promise aborts, so the fuzzer reports it. */
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "rootwalk/cookie.h"
#include "rootwalk/localzone.h"
#include "rootwalk/norec.h"
#include "rootwalk/wire.h"
#include "fuzz.h"

static int is_letter(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void check_answer(const uint8_t *data, size_t size, const struct rw_client_query *q,
			 int rcode, size_t cap)
{
	/* One byte past cap is a guard: nothing may be written there. */
	uint8_t out[600];
	size_t n;

	if (cap >= sizeof(out))
		cap = sizeof(out) - 1;
	out[cap] = 0xa5;
	n = rw_wire_error_response(data, size, q, rcode, out, cap);
	REQUIRE(n <= cap);
	REQUIRE(out[cap] == 0xa5);
	if (n == 0)
		return;
	REQUIRE(n >= RW_DNS_HEADER_LEN);
	REQUIRE(out[0] == data[0] && out[1] == data[1]); /* the query's ID */
	REQUIRE((out[2] & 0x80) != 0);			 /* QR */
	REQUIRE((out[3] & 0x0f) == (rcode & 0x0f));
	/* A question in the answer is the client's, byte for byte. */
	if (out[5] == 1) {
		REQUIRE(q != NULL && n >= RW_DNS_HEADER_LEN + q->qname_len + 4);
		REQUIRE(memcmp(out + RW_DNS_HEADER_LEN, q->qname, q->qname_len) == 0);
		REQUIRE(rw_wire_name_equal(q->qname, q->qname_len, q->qname, q->qname_len));
	}
}

#define NOREC_T0 (1700000000LL * 1000000)

static void store(struct rw_cache *c, enum rw_rank rank, const char *text)
{
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rr *rr = NULL;

	REQUIRE(l && ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) == LDNS_STATUS_OK);
	ldns_rr_list_push_rr(l, rr);
	REQUIRE(rw_cache_store_rrset(c, l, rank, NULL, NOREC_T0) == 1);
	ldns_rr_list_deep_free(l);
}

/* A cache holding the root, com. and example.com. cuts, with some server addresses. */
static struct rw_cache *norec_cache(void)
{
	static struct rw_cache *c;
	static const uint8_t key[16] = {0};
	struct rw_cache_opts o = {.max_ttl = 86400, .max_negative_ttl = 3600};

	if (c)
		return c;
	REQUIRE((c = rw_cache_new(&o, key)) != NULL);
	store(c, RW_RANK_ANSWER, ". 86400 IN NS a.root-servers.net.");
	store(c, RW_RANK_GLUE, "a.root-servers.net. 86400 IN A 127.1.0.1");
	store(c, RW_RANK_REFERRAL, "com. 86400 IN NS a.gtld-servers.net.");
	store(c, RW_RANK_GLUE, "a.gtld-servers.net. 86400 IN AAAA 2001:db8::1");
	store(c, RW_RANK_REFERRAL, "example.com. 3600 IN NS ns1.example.com.");
	store(c, RW_RANK_GLUE, "ns1.example.com. 3600 IN A 127.3.0.1");
	return c;
}

/* The referral for an accepted query: within cap (a guard byte past it stays), the query's ID
 * and question byte for byte, QR and RA set, AA clear, and either the NS set or TC. */
static void check_referral(const uint8_t *data, size_t size, const struct rw_client_query *q,
			   size_t cap)
{
	struct rw_cache *c = norec_cache();
	struct rw_cache_entry cut;
	uint8_t out[1300];
	size_t n;

	if (cap >= sizeof(out))
		cap = sizeof(out) - 1;
	/* every query name has at least the root as a cut */
	REQUIRE(rw_norec_find_cut(c, q, NOREC_T0 + 1000000, &cut));
	out[cap] = 0xa5;
	n = rw_norec_referral(c, data, size, q, &cut, NOREC_T0 + 1000000, out, cap);
	rw_cache_entry_clear(&cut);
	REQUIRE(n <= cap && out[cap] == 0xa5);
	if (n == 0) {
		REQUIRE(cap < RW_DNS_HEADER_LEN + q->qname_len + 4 + (q->edns ? RW_OPT_LEN : 0));
		return;
	}
	REQUIRE(out[0] == data[0] && out[1] == data[1]);
	REQUIRE((out[2] & 0x80) && !(out[2] & 0x04) && (out[3] & 0x80));
	REQUIRE(out[4] == 0 && out[5] == 1 && out[6] == 0 && out[7] == 0);
	REQUIRE(memcmp(out + RW_DNS_HEADER_LEN, q->qname, q->qname_len) == 0);
	unsigned nscount = (unsigned)(out[8] << 8 | out[9]);
	REQUIRE((out[2] & 0x02) ? nscount == 0 : nscount >= 1);
	ldns_pkt *p = NULL;
	REQUIRE(ldns_wire2pkt(&p, out, n) == LDNS_STATUS_OK);
	REQUIRE(ldns_rr_list_rr_count(ldns_pkt_authority(p)) == nscount);
	ldns_pkt_free(p);
}

/* The answer from a special-use zone: within cap, ID and question echoed, QR and AA set, one
 * record in the answer or the authority section, and ldns parses it. */
static void check_local(const uint8_t *data, size_t size, const struct rw_client_query *q, int zone,
			size_t cap)
{
	uint8_t out[1300];
	int rcode = -1;
	size_t n;

	if (cap >= sizeof(out))
		cap = sizeof(out) - 1;
	out[cap] = 0xa5;
	n = rw_localzone_answer(zone, data, size, q, out, cap, &rcode);
	REQUIRE(n <= cap && out[cap] == 0xa5);
	if (n == 0)
		return;
	REQUIRE(rcode == 0 || rcode == 3);
	REQUIRE(out[0] == data[0] && out[1] == data[1]);
	REQUIRE((out[2] & 0x80) && (out[2] & 0x04) && (out[3] & 0x0f) == rcode);
	REQUIRE(memcmp(out + RW_DNS_HEADER_LEN, q->qname, q->qname_len) == 0);
	REQUIRE((out[6] << 8 | out[7]) + (out[8] << 8 | out[9]) == 1);
	ldns_pkt *p = NULL;
	REQUIRE(ldns_wire2pkt(&p, out, n) == LDNS_STATUS_OK);
	ldns_pkt_free(p);
}

/* A COOKIE option as parsed: checked, answered, and added to an answer within its room. */
static void check_cookie(const uint8_t *data, size_t size, const struct rw_client_query *q)
{
	static const uint8_t secret[RW_COOKIE_SECRET_LEN] = {7};
	struct sockaddr_in6 client = {.sin6_family = AF_INET6};
	uint8_t reply[RW_COOKIE_REPLY_LEN], out[600];

	REQUIRE(q->cookie_len == 8 || (q->cookie_len >= 16 && q->cookie_len <= 40));
	enum rw_cookie_state st = rw_cookie_check(secret, q->cookie, q->cookie_len,
						  (const struct sockaddr *)&client, 1700000000);
	REQUIRE(st != RW_COOKIE_NONE);
	rw_cookie_reply(secret, q->cookie, q->cookie_len, st, (const struct sockaddr *)&client,
			1700000000, reply);
	REQUIRE(memcmp(reply, q->cookie, RW_COOKIE_CLIENT_LEN) == 0);
	size_t n = rw_wire_error_response(data, size, q, 0, out, 512);
	out[512] = 0xa5;
	size_t m = rw_cookie_append(out, n, 512, reply);
	REQUIRE(out[512] == 0xa5 && m <= 512 && (m == n || m == n + RW_COOKIE_OPT_LEN));
	REQUIRE(m == n ||
		rw_cookie_check(secret, out + m - RW_COOKIE_REPLY_LEN, RW_COOKIE_REPLY_LEN,
				(const struct sockaddr *)&client, 1700000000) == RW_COOKIE_VALID);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int rcodes[] = {1, 2, 4, 5, 16};
	struct rw_client_query q;
	enum rw_query_status st = rw_wire_parse_query(data, size, &q);

	REQUIRE(st == RW_QUERY_OK || st == RW_QUERY_DROP || st == RW_QUERY_FORMERR ||
		st == RW_QUERY_NOTIMP || st == RW_QUERY_BADVERS);
	REQUIRE(q.qname_len <= 255);
	REQUIRE(q.question_end <= size);
	if (st == RW_QUERY_OK) {
		/* An accepted question is a well-formed name that equals itself. */
		REQUIRE(q.qname_len >= 1 && q.question_end > RW_DNS_HEADER_LEN);
		REQUIRE(rw_wire_name_equal(q.qname, q.qname_len, q.qname, q.qname_len));
		REQUIRE(q.edns_bufsize >= 512);
		REQUIRE(!q.edns || q.edns_version == 0);
		if (q.cookie_len)
			check_cookie(data, size, &q);
	}
	if (st == RW_QUERY_DROP) {
		/* Dropped queries (too short, or responses) get no answer of any kind. */
		uint8_t out[600];

		REQUIRE(rw_wire_error_response(data, size, &q, 1, out, sizeof(out)) == 0);
		REQUIRE(rw_wire_error_response(data, size, NULL, 2, out, sizeof(out)) == 0);
		return 0;
	}
	for (size_t i = 0; i < sizeof(rcodes) / sizeof(rcodes[0]); i++) {
		check_answer(data, size, &q, rcodes[i], 512);
		check_answer(data, size, &q, rcodes[i], RW_DNS_HEADER_LEN + q.qname_len + 4);
		check_answer(data, size, &q, rcodes[i], RW_DNS_HEADER_LEN + 11);
		check_answer(data, size, &q, rcodes[i], RW_DNS_HEADER_LEN - 1);
		check_answer(data, size, NULL, rcodes[i], 512);
	}
	if (st == RW_QUERY_OK) {
		check_referral(data, size, &q, 512);
		check_referral(data, size, &q, 1232);
		check_referral(data, size, &q, RW_DNS_HEADER_LEN + q.qname_len + 4 + 20);
		check_referral(data, size, &q, RW_DNS_HEADER_LEN + q.qname_len + 4);
		check_referral(data, size, &q, RW_DNS_HEADER_LEN + 5);
		int zone = rw_localzone_find(q.qname, q.qname_len);
		if (zone >= 0) {
			check_local(data, size, &q, zone, 512);
			check_local(data, size, &q, zone, RW_DNS_HEADER_LEN + q.qname_len + 4 + 20);
		}
	}
	/* Names are also read from upstream replies, where any offset may start one: read from
	 * each of the first offsets after the header. A name that reads is well-formed, equals
	 * itself in any letter case, and the read stays inside the packet. */
	for (size_t at = RW_DNS_HEADER_LEN; at < size && at < RW_DNS_HEADER_LEN + 64; at++) {
		uint8_t name[256], flipped[256];
		size_t off = at;
		int n = rw_wire_read_name(data, size, &off, name);

		if (n < 0)
			continue;
		REQUIRE(n >= 1 && n <= 255 && off > at && off <= size);
		REQUIRE(name[n - 1] == 0);
		/* Length octets are at most 63, below every letter, so only label text changes. */
		for (int k = 0; k < n; k++)
			flipped[k] = is_letter(name[k]) ? (uint8_t)(name[k] ^ 0x20) : name[k];
		REQUIRE(rw_wire_name_equal(name, (size_t)n, flipped, (size_t)n));
		REQUIRE(n == 1 || !rw_wire_name_equal(name, (size_t)n, name, (size_t)n - 1));
	}
	return 0;
}
