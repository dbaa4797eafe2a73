/* Wire-format helpers that work on caller-owned buffers and never allocate. */
#ifndef RW_WIRE_H
#define RW_WIRE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define RW_DNS_HEADER_LEN 12
#define RW_EDNS_BUFSIZE	  1232 /* our advertised and upstream EDNS buffer size */
#define RW_MAX_MSG	  65535

/* Header flag bits (RFC 1035 4.1.1, RFC 4035 3.2 for AD and CD) and the EDNS DO bit (RFC 6891
 * 6.1.4). */
#define RW_FLAG_QR     0x8000u
#define RW_FLAG_AA     0x0400u
#define RW_FLAG_TC     0x0200u
#define RW_FLAG_RD     0x0100u
#define RW_FLAG_RA     0x0080u
#define RW_FLAG_AD     0x0020u
#define RW_FLAG_CD     0x0010u
#define RW_OPCODE_MASK 0x7800u
#define RW_EDNS_DO     0x8000u
#define RW_TYPE_OPT    41
#define RW_OPT_COOKIE  10 /* EDNS option code of DNS Cookies (RFC 7873) */
/* Fixed part of a resource record after its owner name: type, class, TTL, rdlength. */
#define RW_RR_FIXED 10
/* An OPT record with root owner and no options. */
#define RW_OPT_LEN (1 + RW_RR_FIXED)

/* Big-endian 16- and 32-bit fields. */
static inline uint16_t rw_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t rw_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void rw_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void rw_put32(uint8_t *p, uint32_t v)
{
	rw_put16(p, (uint16_t)(v >> 16));
	rw_put16(p + 2, (uint16_t)v);
}

/* Write an OPT record (root owner, our buffer size, the extended-rcode bits, version 0, the DO
 * bit as given, no options) at p, which has room for RW_OPT_LEN bytes. Returns RW_OPT_LEN. */
size_t rw_wire_put_opt(uint8_t *p, int rcode, int do_bit);

/* Append a record of class IN (owner and rdata in uncompressed wire form) at out + *off, moving
 * *off past it. Returns 0, or -1 (nothing written) when it would not fit in cap bytes. */
int rw_wire_put_rr(uint8_t *out, size_t cap, size_t *off, const uint8_t *owner, size_t olen,
		   uint16_t type, uint32_t ttl, const uint8_t *rdata, size_t rdlen);

/* Result of rw_wire_tcp_frame(). */
enum rw_frame_status {
	RW_FRAME_OK = 0,	/* *msg and *msglen set; *consumed bytes used from buf */
	RW_FRAME_NEED_MORE = 1, /* not enough bytes yet */
	RW_FRAME_ERROR = -1,	/* frame length 0 or larger than max: close the connection */
};

/* Split one DNS message off a TCP stream (RFC 1035 4.2.2: two-byte length prefix). buf/len is
 * what has been received so far; max is the largest message accepted. On RW_FRAME_OK, *msg points
 * into buf (borrowed), *msglen is its length and *consumed is 2 + *msglen. */
enum rw_frame_status rw_wire_tcp_frame(const uint8_t *buf, size_t len, size_t max,
				       const uint8_t **msg, size_t *msglen, size_t *consumed);

/* A client question, parsed without allocation. */
struct rw_client_query {
	uint16_t id;
	uint16_t flags;	    /* header flags word as received */
	uint8_t qname[256]; /* wire-format name, as received (case preserved) */
	size_t qname_len;
	uint16_t qtype, qclass;
	int edns;	       /* 1 if an OPT record was present */
	uint16_t edns_bufsize; /* client's advertised size (512 when no EDNS) */
	uint8_t edns_version;
	int do_bit;
	size_t question_end; /* offset just past the question section */
	/* The COOKIE option (RFC 7873) as received: cookie_len 0 (none), 8 (a client cookie) or
	 * 16..40 bytes (with a server cookie); a COOKIE option of any other length is FORMERR.
	 * cookie_answer, set by the resolver: every answer carries cookie_reply as its COOKIE
	 * option (cookie.h). The arrays come last: the parser clears what is before them. */
	uint8_t cookie_len;
	bool cookie_answer;
	uint8_t cookie[40];
	uint8_t cookie_reply[24];
};

/* Result of rw_wire_parse_query(). */
enum rw_query_status {
	RW_QUERY_OK = 0,
	RW_QUERY_DROP = -1,    /* too short for a header, or a response (QR set): send nothing */
	RW_QUERY_FORMERR = -2, /* header readable but the rest is malformed: answer FORMERR */
	RW_QUERY_NOTIMP = -3,  /* opcode other than QUERY: answer NOTIMP */
	RW_QUERY_BADVERS = -4, /* EDNS version other than 0: answer BADVERS */
};

/* Parse a client query: exactly one question, no answer/authority records, at most one OPT in
 * the additional section. Every length is bounded against len. */
enum rw_query_status rw_wire_parse_query(const uint8_t *pkt, size_t len, struct rw_client_query *q);

/* Build a header-and-question-only error response (FORMERR, NOTIMP, SERVFAIL, BADVERS ...) to a
 * query into out (cap bytes). pkt/len is the original query, used for the ID and, when
 * parseable, the question. Returns the length written, or 0 if nothing should be sent. */
size_t rw_wire_error_response(const uint8_t *pkt, size_t len, const struct rw_client_query *q,
			      int rcode, uint8_t *out, size_t cap);

/* Compare two wire-format names case-insensitively. Returns 1 if equal. */
bool rw_wire_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* Read a possibly compressed name at *off within pkt into out (wire format, at most 255 bytes,
 * uncompressed). Advances *off past the name as it appears at that position. Returns the name
 * length or -1 if malformed (bad pointer, loop, overlong). */
int rw_wire_read_name(const uint8_t *pkt, size_t len, size_t *off, uint8_t *out);

/* Presentation form of an uncompressed wire-format name ("www.example.com.", "." for the root),
 * escaped as ldns does (\. \; \( \) \\ and \DDD for bytes that are not printable). Writes
 * at most cap bytes including the NUL. Returns the text length, or -1 when the name is malformed
 * or the text does not fit. */
int rw_wire_name_text(const uint8_t *name, size_t len, char *out, size_t cap);

#endif
