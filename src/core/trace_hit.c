/* The trace of a fast-path cache hit, written straight from the response and what the cache
 * used: the same text and JSON as the general formatter (trace.c) gives for the same events,
 * without building events, cloning records or calling ldns for the common record types. A cache
 * hit is the most frequent trace by far, so this is what "trace every query" costs. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "rootwalk/trace.h"
#include "rootwalk/wire.h"
#include "sbuf.h"

/* Writing at a cursor into room made beforehand, without a check per piece: room() makes
 * room for n more bytes and gives where to write (NULL: out of memory), wrote() ends there. */
static char *room(struct rw_sbuf *b, size_t n)
{
	return rw_sbuf_grow(b, n) ? b->p + b->len : NULL;
}

static void wrote(struct rw_sbuf *b, char *p)
{
	b->len = (size_t)(p - b->p);
	b->p[b->len] = '\0';
}

#define LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) += sizeof(s) - 1)

static char *cpy(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* A name at *off in the message (compression allowed), as text. */
static bool put_name(struct rw_sbuf *b, const uint8_t *msg, size_t len, size_t *off)
{
	uint8_t wire[256];
	char text[1024];
	int n = rw_wire_read_name(msg, len, off, wire);
	int tl = n > 0 ? rw_wire_name_text(wire, (size_t)n, text, sizeof(text)) : -1;
	if (tl < 0)
		return false;
	rw_sbuf_add(b, text, (size_t)tl);
	return true;
}

/* True if the name at off is a pointer to the name at target. */
static bool is_ptr_to(const uint8_t *msg, size_t len, size_t off, size_t target)
{
	return target < 0x4000 && off + 2 <= len && msg[off] == (0xc0 | (target >> 8)) &&
	       msg[off + 1] == (target & 0xff);
}

/* True if the name at off is a pointer to the question's name (most owners are). */
static bool is_qname_ptr(const uint8_t *msg, size_t len, size_t off)
{
	return is_ptr_to(msg, len, off, RW_DNS_HEADER_LEN);
}

/* The rdata of the common types as ldns prints it; false for anything else. */
static bool put_rdata(struct rw_sbuf *b, uint16_t type, const uint8_t *msg, size_t len, size_t off,
		      uint16_t rdlen)
{
	char a[INET6_ADDRSTRLEN];
	size_t end = off + rdlen;
	int n;

	switch (type) {
	case LDNS_RR_TYPE_A:
		n = rdlen == 4 ? rw_present_ip4(msg + off, a, sizeof(a)) : -1;
		if (n < 0)
			return false;
		rw_sbuf_add(b, a, (size_t)n);
		return true;
	case LDNS_RR_TYPE_AAAA:
		n = rdlen == 16 ? rw_present_ip6(msg + off, a, sizeof(a)) : -1;
		if (n < 0)
			return false;
		rw_sbuf_add(b, a, (size_t)n);
		return true;
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_DNAME:
		return put_name(b, msg, len, &off) && off == end;
	case LDNS_RR_TYPE_MX:
		if (rdlen < 3)
			return false;
		rw_sbuf_uint(b, rw_get16(msg + off));
		rw_sbuf_puts(b, " ");
		off += 2;
		return put_name(b, msg, len, &off) && off == end;
	case LDNS_RR_TYPE_SRV:
		if (rdlen < 7)
			return false;
		for (int i = 0; i < 3; i++, off += 2) {
			rw_sbuf_uint(b, rw_get16(msg + off));
			rw_sbuf_puts(b, " ");
		}
		return put_name(b, msg, len, &off) && off == end;
	case LDNS_RR_TYPE_SOA:
		if (!put_name(b, msg, len, &off))
			return false;
		rw_sbuf_puts(b, " ");
		if (!put_name(b, msg, len, &off) || off + 20 != end)
			return false;
		for (int i = 0; i < 5; i++, off += 4) {
			rw_sbuf_puts(b, " ");
			rw_sbuf_uint(b, rw_get32(msg + off));
		}
		return true;
	default:
		return false;
	}
}

/* What put_rr says of the record it wrote. */
struct rr_out {
	uint16_t type;
	size_t rdata_off; /* where its rdata starts in the message */
	size_t text_at;	  /* where its rdata's text starts in b; SIZE_MAX: ldns wrote the record */
};

/* One record at *off as one line of text ("owner ttl IN TYPE rdata"); moves *off past it. owner:
 * its owner's text when already known (the name at *off is a pointer to it), or NULL. */
static bool put_rr(struct rw_sbuf *b, const uint8_t *msg, size_t len, size_t *off,
		   const char *owner, size_t owner_len, struct rr_out *out)
{
	size_t start = *off, mark = b->len;
	char tb[24];

	if (owner) { /* already in text: no second decoding */
		rw_sbuf_add(b, owner, owner_len);
		*off += 2;
	} else if (!put_name(b, msg, len, off)) {
		return false;
	}
	if (*off + 10 > len)
		return false;
	uint16_t type = rw_get16(msg + *off), klass = rw_get16(msg + *off + 2);
	uint32_t ttl = rw_get32(msg + *off + 4);
	uint16_t rdlen = rw_get16(msg + *off + 8);
	size_t rdata = *off + 10;
	if (rdata + rdlen > len)
		return false;
	*off = rdata + rdlen;
	out->type = type;
	out->rdata_off = rdata;
	if (klass == LDNS_RR_CLASS_IN) {
		const char *tn = rw_present_type(type, tb, sizeof(tb));
		char *p = room(b, 64); /* 20 digits, a type name of at most 24, words */
		if (!p)
			return false;
		LIT(p, " ");
		p = rw_put_uint(p, ttl);
		LIT(p, " IN ");
		p = cpy(p, tn, strnlen(tn, 24));
		LIT(p, " ");
		wrote(b, p);
		out->text_at = b->len;
		if (put_rdata(b, type, msg, len, rdata, rdlen))
			return true;
	}
	/* anything else: let ldns say it */
	out->text_at = SIZE_MAX;
	b->len = mark;
	ldns_rr *rr = NULL;
	size_t pos = start;
	if (ldns_wire2rr(&rr, msg, len, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
		return false;
	char *s = rw_present_rr(rr);
	rw_sbuf_puts(b, s);
	free(s);
	ldns_rr_free(rr);
	return true;
}

/* A time as rw_present_iso_time writes it (24 characters, or "?"), at p (room for 25). */
static char *put_iso_at(char *p, int64_t us)
{
	rw_present_iso_time(us, p, 25);
	return p + (p[1] ? 24 : 1);
}

/* An address's text (INET6_ADDRSTRLEN room at p), "?" without one. */
static char *put_addr_at(char *p, const struct sockaddr_storage *ss, socklen_t len)
{
	memcpy(p, "?", 2);
	if (len)
		rw_present_addr((const struct sockaddr *)ss, p, INET6_ADDRSTRLEN);
	return p + strlen(p);
}

/* Where a set came from and when it runs out, after its record in the text form. */
static void put_provenance(struct rw_sbuf *b, const struct rw_cache_used_set *u, int64_t now_us)
{
	/* at most 2 * 255 for the server and zone, 2 * 24 for times, 46 for the address, 20 for
	 * the ttl, 24 for the duration and 100 of words */
	char *p = room(b, 1024);
	if (!p)
		return;
	LIT(p, "   ; cached, stored ");
	p = put_iso_at(p, u->stored_us);
	LIT(p, " from ");
	p = u->server[0] ? cpy(p, u->server, strnlen(u->server, 255)) : cpy(p, "?", 1);
	LIT(p, " (");
	p = put_addr_at(p, &u->addr, u->addrlen);
	LIT(p, ") zone ");
	p = u->zone[0] ? cpy(p, u->zone, strnlen(u->zone, 255)) : cpy(p, "?", 1);
	LIT(p, ", original ttl ");
	p = rw_put_uint(p, u->orig_ttl);
	LIT(p, ", expires ");
	p = put_iso_at(p, u->expires_us);
	LIT(p, " (in ");
	rw_present_duration(p, 24, (u->expires_us - now_us + 999999) / 1000000);
	p += strlen(p);
	LIT(p, ")\n");
	wrote(b, p);
}
/* A name's text, and where the same text is already in the buffer as a JSON string (json_len
 * 0: nowhere yet). */
struct name_text {
	const char *s;
	size_t len, json_at, json_len;
};

static void put_json_record(struct rw_sbuf *b, const char *rr, size_t rrlen,
			    const struct name_text *owner, uint16_t type,
			    const struct rw_cache_used_set *u)
{
	char tb[24], a[INET6_ADDRSTRLEN] = "?";
	rw_sbuf_puts(b, "{\"rr\":");
	rw_present_json_strn(b, rr, rrlen);
	rw_sbuf_puts(b, ",\"name\":");
	if (owner->json_len)
		rw_sbuf_repeat(b, owner->json_at, owner->json_len);
	else
		rw_present_json_strn(b, owner->s, owner->len);
	const char *tn = rw_present_type(type, tb, sizeof(tb));
	char *p = room(b, 256); /* a type name, four numbers of 20 digits, a time, words */
	if (!p)
		return;
	LIT(p, ",\"type\":\"");
	p = cpy(p, tn, strnlen(tn, 24));
	LIT(p, "\",\"ttl\":");
	p = rw_put_uint(p, u->ttl_left);
	LIT(p, ",\"orig_ttl\":");
	p = rw_put_uint(p, u->orig_ttl);
	LIT(p, ",\"stored\":");
	p = rw_put_uint(p, (uint64_t)(u->stored_us / 1000000));
	LIT(p, ",\"expires\":");
	p = rw_put_uint(p, (uint64_t)((u->expires_us + 999999) / 1000000)); /* as trace.c */
	LIT(p, ",\"expires_iso\":\"");
	p = put_iso_at(p, u->expires_us);
	LIT(p, "\",\"server\":");
	wrote(b, p);
	rw_present_json_str(b, u->server);
	if (u->addrlen)
		rw_present_addr((const struct sockaddr *)&u->addr, a, sizeof(a));
	rw_sbuf_puts(b, ",\"addr\":\"");
	rw_sbuf_puts(b, a);
	rw_sbuf_puts(b, "\",\"zone\":");
	rw_present_json_str(b, u->zone);
	rw_sbuf_puts(b, ",\"cached\":true}");
}

/* What the parts of a fast-path trace share. */
struct hit {
	const struct rw_trace_hit *h;
	bool json;
	char id[17], when[40], qname[1024], tb[24], a[INET6_ADDRSTRLEN];
	const char *type, *proto;
	size_t when_len, a_len, qname_len, type_len; /* of when, a, qname and type */
	size_t qname_json_at, qname_json_len;	     /* qname as a JSON string in the buffer */
	uint16_t port;
	int rcode;
	unsigned an, ns;
	size_t off;			     /* the first record in the response */
	size_t recs_at, recs_len;	     /* the records' text in the buffer */
	char cur[1024], soa_text[1024];	     /* the name answered for, along CNAMEs; the SOA */
	size_t cur_off, cur_len;	     /* where cur is in the response; its length */
	const struct rw_cache_used_set *neg; /* the negative entry met, if any */
};

/* The query and cache-hit headers. */
static void put_head(struct rw_sbuf *b, struct hit *x)
{
	if (x->json) {
		char *p = room(b, 256); /* id, time, address, port, words */
		if (!p)
			return;
		LIT(p, "{\"trace\":\"");
		p = cpy(p, x->id, 16);
		LIT(p, "\",\"ev\":\"query\",\"time\":\"");
		p = cpy(p, x->when, x->when_len);
		LIT(p, "\",\"client\":\"");
		p = cpy(p, x->a, x->a_len);
		LIT(p, "#");
		p = rw_put_uint(p, x->port);
		LIT(p, "\",\"qname\":");
		wrote(b, p);
		x->qname_json_at = b->len;
		rw_present_json_strn(b, x->qname, x->qname_len);
		x->qname_json_len = b->len - x->qname_json_at;
		if (!(p = room(b, x->qname_json_len + 256))) /* the qname again, type, id, words */
			return;
		LIT(p, ",\"qtype\":\"");
		p = cpy(p, x->type, x->type_len);
		LIT(p, "\",\"proto\":\"");
		p = cpy(p, x->proto, 3);
		LIT(p, "\"}\n{\"trace\":\"");
		p = cpy(p, x->id, 16);
		LIT(p, "\",\"ev\":\"cache_hit\",\"depth\":0,\"qname\":");
		p = cpy(p, b->p + x->qname_json_at, x->qname_json_len);
		LIT(p, ",\"qtype\":\"");
		p = cpy(p, x->type, x->type_len);
		LIT(p, "\",\"records\":[");
		wrote(b, p);
	} else {
		/* the qname twice (at most 1,023 each), the rest below 400 */
		char *p = room(b, 2 * sizeof(x->qname) + 512);
		if (!p)
			return;
		LIT(p, ";; trace ");
		p = cpy(p, x->id, 16);
		LIT(p, "  ");
		p = cpy(p, x->when, x->when_len);
		LIT(p, "  client ");
		p = cpy(p, x->a, x->a_len);
		LIT(p, "#");
		p = rw_put_uint(p, x->port);
		LIT(p, "  ");
		p = cpy(p, x->qname, x->qname_len);
		LIT(p, " ");
		p = cpy(p, x->type, x->type_len);
		LIT(p, "  (");
		p = cpy(p, x->proto, 3);
		LIT(p, ")\n;; cache hit: ");
		p = cpy(p, x->qname, x->qname_len);
		LIT(p, " ");
		p = cpy(p, x->type, x->type_len);
		LIT(p, " served from cache without asking anyone\n");
		wrote(b, p);
	}
	x->recs_at = b->len;
}

/* In JSON, the record text just written at rr_at becomes a record object at line_start. */
static int json_record_at(struct rw_sbuf *b, struct hit *x, size_t at, size_t rr_at,
			  size_t line_start, uint16_t rtype, const struct rw_cache_used_set *u,
			  bool first, const char *known, size_t known_len)
{
	uint8_t wire[256];
	char owner[1024];
	size_t rrlen = b->len - rr_at;
	char small[1024], *rr = rrlen < sizeof(small) ? small : malloc(rrlen + 1);
	if (!rr)
		return -1;
	memcpy(rr, b->p + rr_at, rrlen);
	rr[rrlen] = '\0';
	b->len = line_start;
	size_t o2 = at;
	bool ok = true;
	struct name_text own = {known, known_len, 0, 0};
	if (known == x->qname) { /* escaped once, in the query event */
		own.json_at = x->qname_json_at;
		own.json_len = x->qname_json_len;
	} else if (!known) {
		int n = rw_wire_read_name(x->h->resp, x->h->len, &o2, wire);
		int ol = n > 0 ? rw_wire_name_text(wire, (size_t)n, owner, sizeof(owner)) : -1;
		ok = ol >= 0;
		own.s = owner;
		own.len = ok ? (size_t)ol : 0;
	}
	if (ok) {
		if (!first)
			rw_sbuf_puts(b, ",");
		put_json_record(b, rr, rrlen, &own, rtype, u);
	}
	if (rr != small)
		free(rr);
	return ok ? 0 : -1;
}

/* Every record of the response with the set it belongs to; notes the name the answer is for
 * (moved along CNAMEs) and a negative entry's SOA. */
static int put_records(struct rw_sbuf *b, struct hit *x)
{
	const struct rw_trace_hit *h = x->h;
	const uint8_t *msg = h->resp;
	size_t off = x->off;
	uint8_t wire[256];
	int set = 0;
	/* each set's own records, then its RRSIGs or proof records (DO clients) */
	unsigned left_in_set =
		h->used->n > 0 ? h->used->set[0].n_rrs + h->used->set[0].n_dnssec : 0;

	for (unsigned i = 0; i < x->an + x->ns && set < h->used->n; i++) {
		const struct rw_cache_used_set *u = &h->used->set[set];
		size_t at = off, line_start = b->len;
		struct rr_out rr = {0};
		/* an owner that points at the question or at the last CNAME's target (all of them,
		 * in a cache hit's response) is known as text already */
		const char *known = NULL;
		size_t known_len = 0;
		char own[1024];
		if (is_qname_ptr(msg, h->len, at)) {
			known = x->qname;
			known_len = x->qname_len;
		} else if (x->cur_off != RW_DNS_HEADER_LEN &&
			   is_ptr_to(msg, h->len, at, x->cur_off)) {
			memcpy(own, x->cur, x->cur_len + 1);
			known = own;
			known_len = x->cur_len;
		}
		if (!x->json)
			rw_sbuf_puts(b, ";;   ");
		size_t rr_at = b->len;
		if (!put_rr(b, msg, h->len, &off, known, known_len, &rr))
			return -1;
		uint16_t rtype = rr.type;
		if (u->kind != RW_ENTRY_RRSET && rtype == LDNS_RR_TYPE_SOA) {
			size_t l = b->len - rr_at < sizeof(x->soa_text) ? b->len - rr_at : 0;
			memcpy(x->soa_text, b->p + rr_at, l);
			x->soa_text[l] = '\0';
			x->neg = u;
		} else if (rtype == LDNS_RR_TYPE_CNAME) {
			size_t tl = b->len - rr.text_at; /* the target, just written */
			if (rr.text_at != SIZE_MAX && tl < sizeof(x->cur)) {
				memcpy(x->cur, b->p + rr.text_at, tl);
				x->cur[tl] = '\0';
				x->cur_len = tl;
				x->cur_off = rr.rdata_off;
			} else {
				size_t o3 = rr.rdata_off;
				int n = rw_wire_read_name(msg, h->len, &o3, wire);
				char t[sizeof(x->cur)];
				int cl = n > 0 ? rw_wire_name_text(wire, (size_t)n, t, sizeof(t))
					       : -1;
				if (cl >= 0) {
					memcpy(x->cur, t, (size_t)cl + 1);
					x->cur_len = (size_t)cl;
					x->cur_off = rr.rdata_off;
				}
			}
		}
		if (x->json) {
			if (json_record_at(b, x, at, rr_at, line_start, rtype, u, i == 0, known,
					   known_len) < 0)
				return -1;
		} else {
			put_provenance(b, u, h->start_us);
		}
		if (--left_in_set == 0 && ++set < h->used->n)
			left_in_set = h->used->set[set].n_rrs + h->used->set[set].n_dnssec;
	}
	x->recs_len = b->len - x->recs_at;
	if (x->json)
		rw_sbuf_puts(b, "]}\n");
	return 0;
}

/* The start of a JSON event of this trace: {"trace":"ID","ev":"EV","depth":0 */
static void json_event(struct rw_sbuf *b, const struct hit *x, const char *ev)
{
	rw_sbuf_puts(b, "{\"trace\":\"");
	rw_sbuf_add(b, x->id, 16);
	rw_sbuf_puts(b, "\",\"ev\":\"");
	rw_sbuf_puts(b, ev);
	rw_sbuf_puts(b, "\",\"depth\":0");
}

/* A cached negative answer: what it is, which SOA set its time, until when. */
static void put_negative(struct rw_sbuf *b, struct hit *x)
{
	const struct rw_cache_used_set *neg = x->neg;
	const char *kind = neg->kind == RW_ENTRY_NXDOMAIN ? "nxdomain" : "nodata";
	char when[40];

	rw_present_iso_time(neg->expires_us, when, sizeof(when));
	if (x->json) {
		json_event(b, x, "negative");
		rw_sbuf_puts(b, ",\"kind\":\"");
		rw_sbuf_puts(b, kind);
		rw_sbuf_puts(b, "\",\"qname\":");
		rw_present_json_str(b, x->cur);
		rw_sbuf_puts(b, ",\"qtype\":\"");
		rw_sbuf_add(b, x->type, x->type_len);
		rw_sbuf_puts(b, "\",\"soa\":");
		rw_present_json_str(b, x->soa_text);
		rw_sbuf_puts(b, ",\"ttl\":");
		rw_sbuf_uint(b, neg->orig_ttl);
		rw_sbuf_puts(b, ",\"expires\":");
		rw_sbuf_uint(b, (uint64_t)((neg->expires_us + 999999) / 1000000));
		rw_sbuf_puts(b, ",\"expires_iso\":\"");
		rw_sbuf_puts(b, when);
		rw_sbuf_puts(b, "\",\"cached\":true}\n");
		return;
	}
	rw_sbuf_puts(b, ";; negative ");
	rw_sbuf_puts(b, kind);
	rw_sbuf_puts(b, " for ");
	rw_sbuf_add(b, x->cur, x->cur_len);
	rw_sbuf_puts(b, " ");
	rw_sbuf_add(b, x->type, x->type_len);
	rw_sbuf_puts(b, " (cached): SOA ");
	rw_sbuf_puts(b, x->soa_text);
	rw_sbuf_puts(b, " set ttl ");
	rw_sbuf_uint(b, neg->orig_ttl);
	rw_sbuf_puts(b, ", cached until ");
	rw_sbuf_puts(b, when);
	rw_sbuf_puts(b, "\n");
}

/* The answer (in JSON the same records again, as the client got them) and the done line. */
/* The answer started a prefetch (a background refresh of an entry near its end). */
static void put_prefetch(struct rw_sbuf *b, struct hit *x)
{
	const struct rw_trace_hit *h = x->h;
	if (x->json) {
		json_event(b, x, "prefetch");
		rw_sbuf_puts(b, ",\"text\":\"");
	} else {
		rw_sbuf_puts(b, ";; ");
	}
	rw_sbuf_puts(b, "prefetch started: ");
	rw_sbuf_uint(b, h->prefetch_left);
	rw_sbuf_puts(b, " s of ");
	rw_sbuf_uint(b, h->prefetch_orig);
	rw_sbuf_puts(b, x->json ? " s left\"}\n" : " s left\n");
}

static void put_answer_done(struct rw_sbuf *b, struct hit *x)
{
	const struct rw_trace_hit *h = x->h;
	int64_t elapsed = h->end_us - h->start_us;
	const char *rcode = rw_present_rcode(x->rcode);

	if (x->json) {
		size_t rl = strlen(rcode);
		/* the qname and the records again, and below 300 more */
		char *p = room(b, x->qname_json_len + x->recs_len + 512);
		if (!p)
			return;
		LIT(p, "{\"trace\":\"");
		p = cpy(p, x->id, 16);
		LIT(p, "\",\"ev\":\"answer\",\"depth\":0,\"rcode\":\"");
		p = cpy(p, rcode, rl);
		LIT(p, "\",\"qname\":");
		p = cpy(p, b->p + x->qname_json_at, x->qname_json_len);
		LIT(p, ",\"records\":[");
		p = cpy(p, b->p + x->recs_at, x->recs_len);
		LIT(p, "]}\n{\"trace\":\"");
		p = cpy(p, x->id, 16);
		LIT(p, "\",\"ev\":\"done\",\"elapsed_us\":");
		p = rw_put_uint(p, (uint64_t)(elapsed > 0 ? elapsed : 0));
		LIT(p, ",\"upstream\":0,\"cache_hits\":");
		p = rw_put_uint(p, (uint64_t)h->used->n);
		LIT(p, ",\"subresolutions\":0,\"rcode\":\"");
		p = cpy(p, rcode, rl);
		LIT(p, "\"}\n");
		wrote(b, p);
		return;
	}
	/* the text form lists the records once, under "cache hit" */
	char ms[24];
	size_t rl = strlen(rcode);
	rw_present_ms(ms, sizeof(ms), elapsed);
	char *p = room(b, sizeof(x->qname) + 256); /* the qname, and below 200 more */
	if (!p)
		return;
	LIT(p, ";; answer ");
	p = cpy(p, rcode, rl);
	LIT(p, " for ");
	p = cpy(p, x->qname, x->qname_len);
	if (x->recs_len)
		LIT(p, "  (the records listed above)\n");
	else
		LIT(p, "\n");
	LIT(p, ";; done in ");
	p = cpy(p, ms, strlen(ms));
	LIT(p, " ms: ");
	p = cpy(p, rcode, rl);
	LIT(p, ", 0 upstream queries, ");
	p = rw_put_uint(p, (uint64_t)h->used->n);
	if (h->used->n == 1)
		LIT(p, " cache hit, 0 sub-resolutions\n\n");
	else
		LIT(p, " cache hits, 0 sub-resolutions\n\n");
	wrote(b, p);
}

int rw_trace_hit_format(struct rw_sbuf *b, const struct rw_trace_hit *h)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *msg = h->resp;
	uint8_t wire[256];
	struct hit x;

	x.h = h;
	x.json = h->format == RW_TRACE_JSON;
	x.off = 12;
	x.neg = NULL;
	x.soa_text[0] = '\0';
	if (h->len < 12 || rw_get16(msg + 4) != 1)
		return -1;
	int n = rw_wire_read_name(msg, h->len, &x.off, wire);
	int ql = n > 0 ? rw_wire_name_text(wire, (size_t)n, x.qname, sizeof(x.qname)) : -1;
	if (ql < 0 || x.off + 4 > h->len)
		return -1;
	x.qname_len = (size_t)ql;
	uint16_t qtype = rw_get16(msg + x.off);
	x.off += 4;
	x.rcode = msg[3] & 0xf;
	x.an = rw_get16(msg + 6);
	x.ns = rw_get16(msg + 8);
	for (int i = 0; i < 16; i++)
		x.id[i] = hex[(h->id >> (60 - 4 * i)) & 0xf];
	x.id[16] = '\0';
	rw_present_iso_time(h->start_us, x.when, sizeof(x.when));
	x.when_len = x.when[1] ? 24 : 1;
	memcpy(x.a, "?", 2);
	if (h->clientlen)
		rw_present_addr(h->client, x.a, sizeof(x.a));
	x.a_len = strlen(x.a);
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (h->client && h->clientlen <= sizeof(ss))
		memcpy(&ss, h->client, h->clientlen);
	x.port = rw_present_port(&ss);
	x.type = rw_present_type(qtype, x.tb, sizeof(x.tb));
	x.type_len = strlen(x.type);
	x.proto = h->tcp ? "tcp" : "udp";
	memcpy(x.cur, x.qname, x.qname_len + 1);
	x.cur_len = x.qname_len;
	x.cur_off = RW_DNS_HEADER_LEN;

	put_head(b, &x);
	if (put_records(b, &x) < 0)
		return -1;
	if (x.neg)
		put_negative(b, &x);
	if (h->prefetch_orig)
		put_prefetch(b, &x);
	put_answer_done(b, &x);
	return b->oom ? -1 : 0;
}
