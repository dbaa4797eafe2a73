/* Wire-format helpers over caller-owned buffers: TCP framing, client query parsing, error
 * responses and name reading. Nothing here allocates, and every length taken from the wire is
 * checked against the buffer before it is used. */
#include "rootwalk/wire.h"

#include <string.h>

#define RW_NAME_MAX  255
#define RW_LABEL_MAX 63
/* A legitimate name has at most 127 labels, so it cannot need more pointers than that. */
#define RW_MAX_POINTER_HOPS 127

#define RW_OPCODE_SHIFT 11

enum rw_frame_status rw_wire_tcp_frame(const uint8_t *buf, size_t len, size_t max,
				       const uint8_t **msg, size_t *msglen, size_t *consumed)
{
	size_t flen;

	if (msg == NULL || msglen == NULL || consumed == NULL || (buf == NULL && len > 0))
		return RW_FRAME_ERROR;
	if (len < 2)
		return RW_FRAME_NEED_MORE;
	flen = rw_get16(buf);
	/* Checked before waiting for the body, so a hostile length closes the connection at once
	 * instead of holding a buffer open for bytes we would refuse anyway. */
	if (flen == 0 || flen > max)
		return RW_FRAME_ERROR;
	if (len - 2 < flen)
		return RW_FRAME_NEED_MORE;
	*msg = buf + 2;
	*msglen = flen;
	*consumed = 2 + flen;
	return RW_FRAME_OK;
}

int rw_wire_read_name(const uint8_t *pkt, size_t len, size_t *off, uint8_t *out)
{
	size_t pos, next = 0, olen = 0, floor;
	int hops = 0, jumped = 0;

	if (pkt == NULL || off == NULL || out == NULL)
		return -1;
	pos = *off;
	/* Every pointer must land strictly before the start of the stretch of labels being read.
	 * That makes the targets strictly decreasing, so no pointer chain can loop. */
	floor = pos;
	for (;;) {
		uint8_t c;

		if (pos >= len)
			return -1;
		c = pkt[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len)
				return -1;
			target = ((size_t)(c & 0x3f) << 8) | pkt[pos + 1];
			/* Names never live inside the header. */
			if (target < RW_DNS_HEADER_LEN || target >= floor)
				return -1;
			if (++hops > RW_MAX_POINTER_HOPS)
				return -1;
			if (!jumped) {
				next = pos + 2;
				jumped = 1;
			}
			pos = target;
			floor = target;
			continue;
		}
		if ((c & 0xc0) != 0)
			return -1; /* 0x40 and 0x80: extended label types, obsolete */
		if (c == 0) {
			out[olen++] = 0;
			break;
		}
		/* c <= 63 holds here because the top two bits are clear. Keep room for the root. */
		if (len - pos - 1 < c || olen + 1 + c + 1 > RW_NAME_MAX)
			return -1;
		memcpy(out + olen, pkt + pos, (size_t)c + 1);
		olen += (size_t)c + 1;
		pos += (size_t)c + 1;
	}
	*off = jumped ? next : pos + 1;
	return (int)olen;
}

static uint8_t ascii_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

bool rw_wire_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i = 0;

	if (a == NULL || b == NULL || alen != blen)
		return false;
	/* Walk label by label so that length octets are compared exactly and only label text is
	 * folded; a malformed name equals nothing. */
	while (i < alen) {
		uint8_t l = a[i];

		if (b[i] != l || l > RW_LABEL_MAX)
			return false;
		if (l == 0)
			return i + 1 == alen;
		if (alen - i - 1 < l)
			return false;
		for (size_t j = i + 1; j <= i + l; j++) {
			if (ascii_lower(a[j]) != ascii_lower(b[j]))
				return false;
		}
		i += (size_t)l + 1;
	}
	return false;
}

/* Skip one resource record at *off, bounding its rdata. Returns 0 or -1. */
static int skip_rr(const uint8_t *pkt, size_t len, size_t *off)
{
	uint8_t name[RW_NAME_MAX + 1];
	size_t rdlen;

	if (rw_wire_read_name(pkt, len, off, name) < 0)
		return -1;
	if (len - *off < RW_RR_FIXED)
		return -1;
	rdlen = rw_get16(pkt + *off + 8);
	*off += RW_RR_FIXED;
	if (len - *off < rdlen)
		return -1;
	*off += rdlen;
	return 0;
}

/* Read the question at *off into q. Returns 0 or -1. */
static int parse_question(const uint8_t *pkt, size_t len, size_t *off, struct rw_client_query *q)
{
	int n = rw_wire_read_name(pkt, len, off, q->qname);

	if (n < 0 || len - *off < 4)
		return -1;
	q->qname_len = (size_t)n;
	q->qtype = rw_get16(pkt + *off);
	q->qclass = rw_get16(pkt + *off + 2);
	*off += 4;
	q->question_end = *off;
	return 0;
}

/* Parse an OPT record at *off (owner already known to start there). Returns 0, or -1 if it is
 * not a well-formed OPT at the root. */
static int parse_opt(const uint8_t *pkt, size_t len, size_t *off, struct rw_client_query *q)
{
	uint8_t name[RW_NAME_MAX + 1];
	size_t rdlen, p, end;
	uint16_t bufsize;

	if (rw_wire_read_name(pkt, len, off, name) != 1 || len - *off < RW_RR_FIXED)
		return -1;
	if (rw_get16(pkt + *off) != RW_TYPE_OPT)
		return -1;
	bufsize = rw_get16(pkt + *off + 2);
	rdlen = rw_get16(pkt + *off + 8);
	p = *off + RW_RR_FIXED;
	if (len - p < rdlen)
		return -1;
	end = p + rdlen;
	/* Options must tile the rdata exactly (RFC 6891 6.1.2). */
	while (p < end) {
		size_t olen;

		if (end - p < 4)
			return -1;
		olen = rw_get16(pkt + p + 2);
		bool cookie = rw_get16(pkt + p) == RW_OPT_COOKIE;
		p += 4;
		if (end - p < olen)
			return -1;
		/* RFC 7873 5.2.2: a client cookie alone (8 bytes), or with a server cookie of 8 to
		 * 32 bytes; any other length, or a second COOKIE option, is malformed */
		if (cookie && (q->cookie_len || (olen != 8 && (olen < 16 || olen > 40))))
			return -2;
		if (cookie) {
			memcpy(q->cookie, pkt + p, olen);
			q->cookie_len = (uint8_t)olen;
		}
		p += olen;
	}
	q->edns = 1;
	/* Values below 512 are treated as 512 (RFC 6891 6.2.3). */
	q->edns_bufsize = bufsize < 512 ? 512 : bufsize;
	q->edns_version = pkt[*off + 5];
	q->do_bit = (rw_get16(pkt + *off + 6) & RW_EDNS_DO) != 0;
	*off = end;
	return 0;
}

/* For opcodes we do not implement, pick out what an answer can echo: the question if there is
 * exactly one, and the OPT if the message otherwise parses as a standard one. */
static void parse_unimplemented(const uint8_t *pkt, size_t len, struct rw_client_query *q)
{
	size_t off = RW_DNS_HEADER_LEN;
	unsigned qd = rw_get16(pkt + 4), an = rw_get16(pkt + 6), ns = rw_get16(pkt + 8);
	unsigned ar = rw_get16(pkt + 10);

	if (qd != 1 || parse_question(pkt, len, &off, q) < 0)
		return;
	for (unsigned i = 0; i < an + ns; i++) {
		if (skip_rr(pkt, len, &off) < 0)
			return;
	}
	for (unsigned i = 0; i < ar; i++) {
		size_t at = off;
		struct rw_client_query tmp = *q;

		if (parse_opt(pkt, len, &at, &tmp) == 0) {
			*q = tmp;
			return;
		}
		if (skip_rr(pkt, len, &off) < 0)
			return;
	}
}

enum rw_query_status rw_wire_parse_query(const uint8_t *pkt, size_t len, struct rw_client_query *q)
{
	size_t off = RW_DNS_HEADER_LEN;
	unsigned qd, an, ns, ar;

	if (q == NULL)
		return RW_QUERY_DROP;
	/* the cookie arrays are read only as far as cookie_len and cookie_answer say */
	memset(q, 0, offsetof(struct rw_client_query, cookie));
	q->edns_bufsize = 512;
	if (pkt == NULL || len < RW_DNS_HEADER_LEN)
		return RW_QUERY_DROP;
	q->id = rw_get16(pkt);
	q->flags = rw_get16(pkt + 2);
	if (q->flags & RW_FLAG_QR)
		return RW_QUERY_DROP;
	if ((q->flags & RW_OPCODE_MASK) != 0) {
		parse_unimplemented(pkt, len, q);
		return RW_QUERY_NOTIMP;
	}
	qd = rw_get16(pkt + 4);
	an = rw_get16(pkt + 6);
	ns = rw_get16(pkt + 8);
	ar = rw_get16(pkt + 10);
	if (qd != 1)
		return RW_QUERY_FORMERR;
	/* Parse the question first so that a FORMERR answer can still echo it. */
	if (parse_question(pkt, len, &off, q) < 0) {
		q->question_end = 0;
		q->qname_len = 0;
		return RW_QUERY_FORMERR;
	}
	if (an != 0 || ns != 0 || ar > 1)
		return RW_QUERY_FORMERR;
	if (ar == 1) {
		int rc = parse_opt(pkt, len, &off, q);
		if (rc == -2) {
			/* a bad COOKIE option: FORMERR, but with an OPT record (RFC 7873 5.2.2) */
			uint8_t root[RW_NAME_MAX + 1];
			size_t at = q->question_end;
			q->cookie_len = 0;
			if (rw_wire_read_name(pkt, len, &at, root) == 1 && len - at >= 8) {
				q->edns = 1;
				q->edns_version = pkt[at + 5];
				q->do_bit = (rw_get16(pkt + at + 6) & RW_EDNS_DO) != 0;
			}
			return RW_QUERY_FORMERR;
		}
		if (rc < 0) {
			q->edns = 0;
			q->edns_bufsize = 512;
			return RW_QUERY_FORMERR;
		}
	}
	if (off != len)
		return RW_QUERY_FORMERR;
	if (q->edns && q->edns_version != 0)
		return RW_QUERY_BADVERS;
	return RW_QUERY_OK;
}

size_t rw_wire_error_response(const uint8_t *pkt, size_t len, const struct rw_client_query *q,
			      int rcode, uint8_t *out, size_t cap)
{
	uint16_t qflags, flags;
	int with_q, with_opt, opt_required;
	size_t need, off;

	if (pkt == NULL || out == NULL || len < RW_DNS_HEADER_LEN || rcode < 0 || rcode > 0xfff)
		return 0;
	qflags = rw_get16(pkt + 2);
	/* Never answer a response: that is how reflection loops between resolvers start. */
	if (qflags & RW_FLAG_QR)
		return 0;
	/* question_end is only set once the question parsed, whatever the final status was. */
	with_q = q != NULL && q->question_end != 0 && q->qname_len > 0 &&
		 q->qname_len <= RW_NAME_MAX;
	/* Extended rcodes (BADVERS is 16) can only be expressed through an OPT record. */
	opt_required = rcode > 0xf;
	with_opt = opt_required || (q != NULL && q->edns);

	need = RW_DNS_HEADER_LEN + (with_q ? q->qname_len + 4 : 0) + (with_opt ? RW_OPT_LEN : 0);
	if (need > cap && with_q) {
		with_q = 0;
		need -= q->qname_len + 4;
	}
	if (need > cap && with_opt && !opt_required) {
		with_opt = 0;
		need -= RW_OPT_LEN;
	}
	if (need > cap)
		return 0;

	flags = RW_FLAG_QR | (qflags & (RW_OPCODE_MASK | RW_FLAG_RD)) | RW_FLAG_RA |
		(uint16_t)(rcode & 0xf);
	out[0] = pkt[0];
	out[1] = pkt[1];
	rw_put16(out + 2, flags);
	rw_put16(out + 4, with_q ? 1 : 0);
	rw_put16(out + 6, 0);
	rw_put16(out + 8, 0);
	rw_put16(out + 10, with_opt ? 1 : 0);
	off = RW_DNS_HEADER_LEN;
	if (with_q) {
		memcpy(out + off, q->qname, q->qname_len);
		off += q->qname_len;
		rw_put16(out + off, q->qtype);
		rw_put16(out + off + 2, q->qclass);
		off += 4;
	}
	if (with_opt)
		off += rw_wire_put_opt(out + off, rcode, q != NULL && q->edns && q->do_bit);
	return off;
}

size_t rw_wire_put_opt(uint8_t *p, int rcode, int do_bit)
{
	p[0] = 0;
	rw_put16(p + 1, RW_TYPE_OPT);
	rw_put16(p + 3, RW_EDNS_BUFSIZE);
	p[5] = (uint8_t)(rcode >> 4); /* extended rcode, upper 8 bits */
	p[6] = 0;		      /* we speak EDNS version 0 */
	rw_put16(p + 7, do_bit ? RW_EDNS_DO : 0);
	rw_put16(p + 9, 0);
	return RW_OPT_LEN;
}

int rw_wire_put_rr(uint8_t *out, size_t cap, size_t *off, const uint8_t *owner, size_t olen,
		   uint16_t type, uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	if (rdlen > 0xffff || *off + olen + RW_RR_FIXED + rdlen > cap)
		return -1;
	memcpy(out + *off, owner, olen);
	*off += olen;
	rw_put16(out + *off, type);
	rw_put16(out + *off + 2, 1); /* IN */
	rw_put32(out + *off + 4, ttl);
	rw_put16(out + *off + 8, (uint16_t)rdlen);
	*off += RW_RR_FIXED;
	memcpy(out + *off, rdata, rdlen);
	*off += rdlen;
	return 0;
}

int rw_wire_name_text(const uint8_t *name, size_t len, char *out, size_t cap)
{
	size_t off = 0, o = 0;

	if (len == 0 || cap < 2)
		return -1;
	if (name[0] == 0) {
		out[0] = '.';
		out[1] = '\0';
		return 1;
	}
	/* 0: the byte as it is; 1: after a backslash; 2: as \DDD */
	static const uint8_t esc[256] = {
		2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
		2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2,
		2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
		2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
		2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
		2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
		2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};

	while (off < len && name[off] != 0) {
		size_t l = name[off++];
		if (l > 63 || off + l > len)
			return -1;
		/* a label with nothing to escape (most of them) in one copy */
		size_t plain = 0;
		while (plain < l && !esc[name[off + plain]])
			plain++;
		if (plain == l && o + l + 4 < cap) { /* where the loop below would stop too */
			memcpy(out + o, name + off, l);
			o += l;
			off += l;
			out[o++] = '.';
			continue;
		}
		for (size_t i = 0; i < l; i++) {
			uint8_t c = name[off + i];
			if (o + 5 >= cap)
				return -1;
			if (c == '.' || c == ';' || c == '(' || c == ')' || c == '\\') {
				out[o++] = '\\';
				out[o++] = (char)c;
			} else if (c <= 0x20 || c >= 0x7f) {
				out[o++] = '\\';
				out[o++] = (char)('0' + c / 100);
				out[o++] = (char)('0' + c / 10 % 10);
				out[o++] = (char)('0' + c % 10);
			} else {
				out[o++] = (char)c;
			}
		}
		off += l;
		if (o + 2 >= cap)
			return -1;
		out[o++] = '.';
	}
	if (off >= len)
		return -1; /* no terminating root label */
	out[o] = '\0';
	return (int)o;
}
