/* Unit tests for src/core/wire.c: TCP framing, client query parsing, error responses, names. */
#include "rootwalk/wire.h"

#include <string.h>

#include "check.h"

/* Encode a dotted name ("www.example.com", "" or "." for the root) into wire format. */
static size_t put_name(uint8_t *p, const char *name)
{
	size_t n = 0;

	while (*name != '\0' && strcmp(name, ".") != 0) {
		const char *dot = strchr(name, '.');
		size_t l = dot != NULL ? (size_t)(dot - name) : strlen(name);

		p[n++] = (uint8_t)l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (dot != NULL);
	}
	p[n++] = 0;
	return n;
}

static size_t put_header(uint8_t *p, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
			 uint16_t ns, uint16_t ar)
{
	uint16_t v[6] = {id, flags, qd, an, ns, ar};

	for (int i = 0; i < 6; i++) {
		p[2 * i] = (uint8_t)(v[i] >> 8);
		p[2 * i + 1] = (uint8_t)v[i];
	}
	return 12;
}

static size_t put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* An OPT record with the given buffer size, version and DO bit, and rdlen bytes of rdata. */
static size_t put_opt(uint8_t *p, uint16_t bufsize, uint8_t version, int do_bit,
		      const uint8_t *rdata, uint16_t rdlen)
{
	size_t n = 0;

	p[n++] = 0;
	n += put_u16(p + n, 41);
	n += put_u16(p + n, bufsize);
	p[n++] = 0;
	p[n++] = version;
	n += put_u16(p + n, do_bit ? 0x8000 : 0);
	n += put_u16(p + n, rdlen);
	if (rdlen > 0)
		memcpy(p + n, rdata, rdlen);
	return n + rdlen;
}

/* A standard recursive query for name/type IN, optionally with an OPT. */
static size_t make_query(uint8_t *p, uint16_t id, const char *name, uint16_t qtype, int edns,
			 uint8_t version)
{
	size_t n = put_header(p, id, 0x0100, 1, 0, 0, edns ? 1 : 0);

	n += put_name(p + n, name);
	n += put_u16(p + n, qtype);
	n += put_u16(p + n, 1);
	if (edns)
		n += put_opt(p + n, 4096, version, 1, NULL, 0);
	return n;
}

static void test_tcp_frame(void)
{
	uint8_t buf[64] = {0, 3, 'a', 'b', 'c', 0, 1, 'z'};
	const uint8_t *msg = NULL;
	size_t msglen = 0, used = 0;

	CHECK_EQ(rw_wire_tcp_frame(buf, 0, 512, &msg, &msglen, &used), RW_FRAME_NEED_MORE);
	CHECK_EQ(rw_wire_tcp_frame(buf, 1, 512, &msg, &msglen, &used), RW_FRAME_NEED_MORE);
	CHECK_EQ(rw_wire_tcp_frame(buf, 4, 512, &msg, &msglen, &used), RW_FRAME_NEED_MORE);
	CHECK_EQ(rw_wire_tcp_frame(buf, 5, 512, &msg, &msglen, &used), RW_FRAME_OK);
	CHECK(msg == buf + 2);
	CHECK_EQ(msglen, 3);
	CHECK_EQ(used, 5);
	/* Two frames in one read: the second starts where the first was consumed. */
	CHECK_EQ(rw_wire_tcp_frame(buf, 8, 512, &msg, &msglen, &used), RW_FRAME_OK);
	CHECK_EQ(used, 5);
	CHECK_EQ(rw_wire_tcp_frame(buf + used, 8 - used, 512, &msg, &msglen, &used), RW_FRAME_OK);
	CHECK_EQ(msglen, 1);
	CHECK_EQ(msg[0], 'z');
	/* Length 0 and lengths over max close the connection, even before the body arrives. */
	buf[0] = 0;
	buf[1] = 0;
	CHECK_EQ(rw_wire_tcp_frame(buf, 2, 512, &msg, &msglen, &used), RW_FRAME_ERROR);
	buf[0] = 0x02;
	buf[1] = 0x01; /* 513 */
	CHECK_EQ(rw_wire_tcp_frame(buf, 2, 512, &msg, &msglen, &used), RW_FRAME_ERROR);
	CHECK_EQ(rw_wire_tcp_frame(buf, 2, 513, &msg, &msglen, &used), RW_FRAME_NEED_MORE);
	buf[0] = 0;
	buf[1] = 3;
	CHECK_EQ(rw_wire_tcp_frame(buf, 5, 3, &msg, &msglen, &used), RW_FRAME_OK);
	CHECK_EQ(rw_wire_tcp_frame(buf, 5, 2, &msg, &msglen, &used), RW_FRAME_ERROR);
	CHECK_EQ(rw_wire_tcp_frame(buf, 5, 512, NULL, &msglen, &used), RW_FRAME_ERROR);
}

static void test_read_name(void)
{
	uint8_t pkt[600] = {0};
	uint8_t out[256];
	size_t off, n;

	/* example.com at 12, then www + pointer to 12 at 25. */
	n = 12 + put_name(pkt + 12, "example.com");
	CHECK_EQ(n, 25);
	memcpy(pkt + n, "\003www\xc0\x0c", 6);
	off = 12;
	CHECK_EQ(rw_wire_read_name(pkt, 31, &off, out), 13);
	CHECK_EQ(off, 25);
	CHECK(memcmp(out, "\007example\003com", 13) == 0);
	off = 25;
	CHECK_EQ(rw_wire_read_name(pkt, 31, &off, out), 17);
	CHECK_EQ(off, 31); /* just past the pointer, not past the target */
	CHECK(memcmp(out, "\003www\007example\003com", 17) == 0);
	/* Truncated: the pointer's second byte is missing. */
	off = 25;
	CHECK_EQ(rw_wire_read_name(pkt, 30, &off, out), -1);
	/* Truncated inside a label. */
	off = 12;
	CHECK_EQ(rw_wire_read_name(pkt, 16, &off, out), -1);

	/* A pointer to itself, forwards, into the header, and a two-pointer loop. */
	memcpy(pkt + 40, "\xc0\x28", 2);
	off = 40;
	CHECK_EQ(rw_wire_read_name(pkt, 42, &off, out), -1);
	memcpy(pkt + 40, "\xc0\x2c\x00\x00\x00", 5);
	off = 40;
	CHECK_EQ(rw_wire_read_name(pkt, 45, &off, out), -1);
	memcpy(pkt + 40, "\xc0\x02", 2);
	off = 40;
	CHECK_EQ(rw_wire_read_name(pkt, 42, &off, out), -1);
	memcpy(pkt + 40, "\001a\xc0\x2a\001b\xc0\x28", 8); /* 40: a -> 42; 44: b -> 40 */
	off = 44;
	CHECK_EQ(rw_wire_read_name(pkt, 48, &off, out), -1);
	/* Extended label types 0x40 and 0x80 are refused. */
	pkt[40] = 0x41;
	off = 40;
	CHECK_EQ(rw_wire_read_name(pkt, 48, &off, out), -1);
	pkt[40] = 0x81;
	off = 40;
	CHECK_EQ(rw_wire_read_name(pkt, 48, &off, out), -1);

	/* 255 octets is the longest name: 3 labels of 63, one of 61, then the root. */
	memset(pkt, 0, sizeof(pkt));
	off = 12;
	for (int i = 0; i < 3; i++) {
		pkt[off] = 63;
		memset(pkt + off + 1, 'a', 63);
		off += 64;
	}
	pkt[off] = 61;
	memset(pkt + off + 1, 'b', 61);
	off += 62;
	pkt[off++] = 0;
	n = off;
	off = 12;
	CHECK_EQ(rw_wire_read_name(pkt, n, &off, out), 255);
	CHECK_EQ(off, n);
	/* One more octet (label of 62) is too long. */
	pkt[12 + 192] = 62;
	memset(pkt + 12 + 193, 'b', 62);
	pkt[12 + 255] = 0;
	off = 12;
	CHECK_EQ(rw_wire_read_name(pkt, 12 + 256, &off, out), -1);
}

/* A chain of n compression pointers, each to the one before, the first to "a." at 12. Returns
 * the offset of the last pointer. */
static size_t pointer_chain(uint8_t *pkt, int n)
{
	size_t at = 15;

	memcpy(pkt + 12, "\001a\000", 3);
	for (int i = 0; i < n; i++) {
		size_t target = i == 0 ? 12 : at - 2;

		pkt[at] = (uint8_t)(0xc0 | (target >> 8));
		pkt[at + 1] = (uint8_t)target;
		at += 2;
	}
	return at - 2;
}

static void test_pointer_hops(void)
{
	static uint8_t pkt[16 + 2 * 300];
	uint8_t out[256];
	size_t off, last;

	/* 127 pointers in a row are followed; the 128th is one too many. A real name never needs
	 * more than one per label. */
	last = pointer_chain(pkt, 127);
	off = last;
	CHECK_EQ(rw_wire_read_name(pkt, last + 2, &off, out), 3);
	CHECK_EQ(off, last + 2);
	CHECK(memcmp(out, "\001a\000", 3) == 0);
	last = pointer_chain(pkt, 128);
	off = last;
	CHECK_EQ(rw_wire_read_name(pkt, last + 2, &off, out), -1);
	CHECK_EQ(off, last); /* untouched on failure */
	last = pointer_chain(pkt, 300);
	off = last;
	CHECK_EQ(rw_wire_read_name(pkt, last + 2, &off, out), -1);
}

static void test_parse_query(void)
{
	uint8_t pkt[600];
	struct rw_client_query q;
	size_t n;

	n = make_query(pkt, 0xbeef, "www.Example.com", 28, 0, 0);
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_OK);
	CHECK_EQ(q.id, 0xbeef);
	CHECK_EQ(q.flags, 0x0100);
	CHECK_EQ(q.qtype, 28);
	CHECK_EQ(q.qclass, 1);
	CHECK_EQ(q.qname_len, 17);
	CHECK(memcmp(q.qname, "\003www\007Example\003com", 17) == 0);
	CHECK_EQ(q.edns, 0);
	CHECK_EQ(q.edns_bufsize, 512);
	CHECK_EQ(q.question_end, n);

	n = make_query(pkt, 1, ".", 2, 1, 0);
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_OK);
	CHECK_EQ(q.qname_len, 1);
	CHECK_EQ(q.edns, 1);
	CHECK_EQ(q.edns_bufsize, 4096);
	CHECK_EQ(q.edns_version, 0);
	CHECK_EQ(q.do_bit, 1);
	CHECK_EQ(q.question_end, 12 + 1 + 4);

	/* A small advertised size counts as 512; well-formed options are accepted. */
	n = put_header(pkt, 2, 0x0100, 1, 0, 0, 1);
	n += put_name(pkt + n, "a.b");
	n += put_u16(pkt + n, 1);
	n += put_u16(pkt + n, 1);
	size_t opt_at = n;
	/* Option 10 (cookie), 8 bytes; octal escapes so that the letters stay letters. */
	n += put_opt(pkt + n, 100, 0, 0, (const uint8_t *)"\000\012\000\010abcdefgh", 12);
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_OK);
	CHECK_EQ(q.edns_bufsize, 512);
	CHECK_EQ(q.do_bit, 0);
	/* Option length running past the rdata. */
	pkt[opt_at + 11 + 3] = 9;
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_FORMERR);
	CHECK_EQ(q.edns, 0);
	CHECK(q.question_end > 0); /* the question is still there for the answer */
	/* rdlength running past the message. */
	pkt[opt_at + 11 + 3] = 8;
	pkt[opt_at + 10] = 13;
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_FORMERR);
	pkt[opt_at + 10] = 12;
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_OK);

	n = make_query(pkt, 3, "example.com", 1, 1, 1);
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_BADVERS);
	CHECK_EQ(q.edns, 1);
	CHECK_EQ(q.edns_version, 1);
	CHECK(q.question_end > 0);

	/* Too short, or a response: dropped. */
	CHECK_EQ(rw_wire_parse_query(pkt, 11, &q), RW_QUERY_DROP);
	CHECK_EQ(rw_wire_parse_query(pkt, 0, &q), RW_QUERY_DROP);
	n = make_query(pkt, 4, "example.com", 1, 0, 0);
	pkt[2] |= 0x80;
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_DROP);

	/* NOTIFY (opcode 4) is not implemented, but the question is kept for the answer. */
	n = make_query(pkt, 5, "example.com", 6, 1, 0);
	pkt[2] = (uint8_t)(pkt[2] | (4 << 3));
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_NOTIMP);
	CHECK_EQ(q.qtype, 6);
	CHECK_EQ(q.edns, 1);
	CHECK(q.question_end > 0);

	/* Header counts. */
	n = make_query(pkt, 6, "example.com", 1, 0, 0);
	pkt[5] = 0;
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_FORMERR);
	CHECK_EQ(q.question_end, 0);
	pkt[5] = 2;
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_FORMERR);
	pkt[5] = 1;
	pkt[7] = 1;
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_FORMERR);
	CHECK(q.question_end > 0);
	pkt[7] = 0;
	pkt[9] = 1;
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_FORMERR);
	pkt[9] = 0;
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_OK);
	/* Trailing garbage, and a truncated question. */
	pkt[n] = 0;
	CHECK_EQ(rw_wire_parse_query(pkt, n + 1, &q), RW_QUERY_FORMERR);
	CHECK_EQ(rw_wire_parse_query(pkt, n - 1, &q), RW_QUERY_FORMERR);
	CHECK_EQ(q.question_end, 0);
	CHECK_EQ(rw_wire_parse_query(pkt, 12, &q), RW_QUERY_FORMERR);

	/* Two additional records, a non-OPT additional record, an OPT not at the root. */
	n = make_query(pkt, 7, "example.com", 1, 1, 0);
	pkt[11] = 2;
	n += put_opt(pkt + n, 4096, 0, 0, NULL, 0);
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_FORMERR);
	n = make_query(pkt, 8, "example.com", 1, 1, 0);
	pkt[n - 11 + 2] = 1; /* type 41 -> 297 */
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_FORMERR);
	n = make_query(pkt, 9, "example.com", 1, 0, 0);
	pkt[11] = 1;
	pkt[n++] = 0xc0;
	pkt[n++] = 0x0c;
	n += put_u16(pkt + n, 41);
	n += put_u16(pkt + n, 4096);
	memset(pkt + n, 0, 6);
	n += 6;
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_FORMERR);
	CHECK_EQ(q.edns, 0);

	/* A compression pointer in the question has nothing earlier to point at. */
	n = put_header(pkt, 10, 0x0100, 1, 0, 0, 0);
	memcpy(pkt + n, "\xc0\x0c\x00\x01\x00\x01", 6);
	CHECK_EQ(rw_wire_parse_query(pkt, n + 6, &q), RW_QUERY_FORMERR);
}

static void test_error_response(void)
{
	uint8_t pkt[600], out[600];
	struct rw_client_query q;
	size_t n, r;

	/* FORMERR to a query without EDNS: header and question, nothing else. */
	n = make_query(pkt, 0x1234, "example.com", 1, 0, 0);
	pkt[3] |= 0x10; /* CD, which we do not echo; RD stays */
	pkt[7] = 1;	/* ANCOUNT 1: FORMERR */
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_FORMERR);
	r = rw_wire_error_response(pkt, n, &q, 1, out, sizeof(out));
	CHECK_EQ(r, 12 + 13 + 4);
	CHECK(out[0] == 0x12 && out[1] == 0x34);
	CHECK_EQ(out[2], 0x81); /* QR, opcode 0, RD */
	CHECK_EQ(out[3], 0x81); /* RA, rcode 1 */
	CHECK(out[4] == 0 && out[5] == 1);
	CHECK(out[6] == 0 && out[7] == 0 && out[10] == 0 && out[11] == 0);
	CHECK(memcmp(out + 12, "\007example\003com\0\0\1\0\1", 17) == 0);

	/* Without a parsed question, only the header. */
	r = rw_wire_error_response(pkt, n, NULL, 2, out, sizeof(out));
	CHECK_EQ(r, 12);
	CHECK_EQ(out[3], 0x82);
	CHECK_EQ(out[5], 0);
	CHECK_EQ(rw_wire_error_response(pkt, 11, NULL, 2, out, sizeof(out)), 0);

	/* BADVERS: rcode 16 is 0 in the header and 1 in the OPT's extended rcode. */
	n = make_query(pkt, 0x4321, "example.com", 1, 1, 1);
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_BADVERS);
	r = rw_wire_error_response(pkt, n, &q, 16, out, sizeof(out));
	CHECK_EQ(r, 12 + 17 + 11);
	CHECK_EQ(out[3] & 0x0f, 0);
	CHECK_EQ(out[11], 1);
	CHECK_EQ(out[29], 0);		      /* root owner */
	CHECK(out[30] == 0 && out[31] == 41); /* type OPT */
	CHECK_EQ((out[32] << 8) | out[33], RW_EDNS_BUFSIZE);
	CHECK_EQ(out[34], 1);		     /* extended rcode */
	CHECK_EQ(out[35], 0);		     /* version 0 */
	CHECK_EQ(out[36], 0x80);	     /* DO copied */
	CHECK(out[38] == 0 && out[39] == 0); /* no rdata */
	/* BADVERS is meaningless without the OPT: with room for nothing else, the question goes. */
	r = rw_wire_error_response(pkt, n, &q, 16, out, 12 + 11);
	CHECK_EQ(r, 23);
	CHECK_EQ(out[5], 0);
	CHECK_EQ(out[11], 1);
	CHECK_EQ(rw_wire_error_response(pkt, n, &q, 16, out, 22), 0);

	/* SERVFAIL to an EDNS query carries an OPT too; NOTIMP echoes the opcode. */
	n = make_query(pkt, 7, "example.com", 1, 1, 0);
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_OK);
	r = rw_wire_error_response(pkt, n, &q, 2, out, sizeof(out));
	CHECK_EQ(r, 12 + 17 + 11);
	CHECK_EQ(out[3], 0x82);
	CHECK_EQ(out[11], 1);
	CHECK_EQ(out[34], 0);
	pkt[2] = (uint8_t)(pkt[2] | (5 << 3));
	CHECK_EQ(rw_wire_parse_query(pkt, n, &q), RW_QUERY_NOTIMP);
	r = rw_wire_error_response(pkt, n, &q, 4, out, sizeof(out));
	CHECK_EQ(r, 12 + 17 + 11);
	CHECK_EQ((out[2] >> 3) & 0xf, 5);
	CHECK_EQ(out[3] & 0xf, 4);

	/* Never more than cap, whatever cap is. */
	for (size_t cap = 0; cap < 64; cap++) {
		memset(out, 0xaa, sizeof(out));
		r = rw_wire_error_response(pkt, n, &q, 2, out, cap);
		CHECK(r <= cap);
		CHECK(out[cap] == 0xaa);
	}
	/* Responses are never answered. */
	pkt[2] |= 0x80;
	CHECK_EQ(rw_wire_error_response(pkt, n, NULL, 1, out, sizeof(out)), 0);
}

static void test_name_equal(void)
{
	CHECK(rw_wire_name_equal((const uint8_t *)"\003WwW\0", 5, (const uint8_t *)"\003www\0", 5));
	CHECK(!rw_wire_name_equal((const uint8_t *)"\003wwx\0", 5, (const uint8_t *)"\003www\0",
				  5));
	CHECK(!rw_wire_name_equal((const uint8_t *)"\003www\0", 5, (const uint8_t *)"\0", 1));
	CHECK(rw_wire_name_equal((const uint8_t *)"\0", 1, (const uint8_t *)"\0", 1));
	/* Same bytes but structurally broken: a label running past the end. */
	CHECK(!rw_wire_name_equal((const uint8_t *)"\005www\0", 5, (const uint8_t *)"\005www\0",
				  5));
	/* Case folding applies to ASCII letters only. */
	CHECK(!rw_wire_name_equal((const uint8_t *)"\001[\0", 3, (const uint8_t *)"\001{\0", 3));
}

int main(void)
{
	test_tcp_frame();
	test_read_name();
	test_pointer_hops();
	test_parse_query();
	test_error_response();
	test_name_equal();
	return rw_check_report("test_wire");
}
