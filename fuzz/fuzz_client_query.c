/* Fuzz target: a client query as it arrives on UDP or TCP. Parses it, then builds every kind of
 * error answer the daemon may send, at every output size that matters, and checks what comes
 * back against the promises in wire.h. A broken promise aborts, so the fuzzer reports it. */
#include <stdlib.h>
#include <string.h>

#include "rootwalk/wire.h"
#include "fuzz.h"

#define REQUIRE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

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
