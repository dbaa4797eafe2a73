/* A fast-path cache hit's trace as a packed record (rootwalk/trace.h): the thread that answered
 * copies the response and what the cache used into a few hundred bytes, and the trace sink's
 * thread turns them into the same text or JSON rw_trace_hit_format gives (it calls it), so that
 * formatting is off the answering thread. The record never leaves the process: fields are in
 * host order, copied with memcpy (no alignment assumed), and every length is checked on the way
 * back all the same. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/trace.h"
#include "sbuf.h"

#define PACK_MAGIC 0x52574831u /* "RWH1" */

/* The fixed part of a record; then the client address (clientlen bytes), the response (len
 * bytes) and n_used sets, each a struct pack_set, its address, its server and its zone. */
struct pack_head {
	uint32_t magic;
	uint32_t len; /* the whole record */
	uint64_t id;
	int64_t start_us, end_us;
	uint32_t prefetch_left, prefetch_orig;
	uint32_t resp_len;
	uint8_t format, tcp, n_used, clientlen;
};

struct pack_set {
	int64_t sig_expires_us, stored_us, expires_us;
	uint32_t orig_ttl, ttl_left;
	uint16_t type, n_rrs, n_dnssec;
	uint8_t kind, rank, vstate, addrlen;
	uint8_t server_len, zone_len; /* without the NUL; names fit 255 bytes of text */
};

static void put(struct rw_sbuf *b, const void *p, size_t n)
{
	if (n > 0)
		rw_sbuf_add(b, p, n);
}

int rw_trace_hit_pack(struct rw_sbuf *b, const struct rw_trace_hit *h)
{
	size_t start = b->len;
	struct pack_head hd = {
		.magic = PACK_MAGIC,
		.id = h->id,
		.start_us = h->start_us,
		.end_us = h->end_us,
		.prefetch_left = h->prefetch_left,
		.prefetch_orig = h->prefetch_orig,
		.resp_len = (uint32_t)h->len,
		.format = (uint8_t)h->format,
		.tcp = h->tcp,
		.n_used = (uint8_t)h->used->n,
		.clientlen = h->client ? (uint8_t)h->clientlen : 0,
	};

	if (h->len > 65535 || h->used->n < 0 || h->used->n > RW_CACHE_USED_MAX ||
	    h->clientlen > sizeof(struct sockaddr_storage))
		return -1;
	put(b, &hd, sizeof(hd));
	put(b, h->client, hd.clientlen);
	put(b, h->resp, h->len);
	for (int i = 0; i < h->used->n; i++) {
		const struct rw_cache_used_set *u = &h->used->set[i];
		size_t sl = strnlen(u->server, sizeof(u->server) - 1);
		size_t zl = strnlen(u->zone, sizeof(u->zone) - 1);
		struct pack_set s = {
			.sig_expires_us = u->sig_expires_us,
			.stored_us = u->stored_us,
			.expires_us = u->expires_us,
			.orig_ttl = u->orig_ttl,
			.ttl_left = u->ttl_left,
			.type = u->type,
			.n_rrs = u->n_rrs,
			.n_dnssec = u->n_dnssec,
			.kind = (uint8_t)u->kind,
			.rank = (uint8_t)u->rank,
			.vstate = (uint8_t)u->vstate,
			.addrlen = u->addrlen <= sizeof(u->addr) ? (uint8_t)u->addrlen : 0,
			.server_len = (uint8_t)(sl > 255 ? 255 : sl),
			.zone_len = (uint8_t)(zl > 255 ? 255 : zl),
		};
		put(b, &s, sizeof(s));
		put(b, &u->addr, s.addrlen);
		put(b, u->server, s.server_len);
		put(b, u->zone, s.zone_len);
	}
	if (b->oom)
		return -1;
	hd.len = (uint32_t)(b->len - start);
	memcpy(b->p + start + offsetof(struct pack_head, len), &hd.len, sizeof(hd.len));
	return 0;
}

/* Take n bytes at *off of rec (len bytes); NULL when they are not there. */
static const uint8_t *take(const uint8_t *rec, size_t len, size_t *off, size_t n)
{
	const uint8_t *p = rec + *off;

	if (n > len - *off)
		return NULL;
	*off += n;
	return p;
}

/* The sets of a record back into used. Returns 0, or -1 when the record is short. */
static int unpack_sets(const uint8_t *rec, size_t len, size_t *off, unsigned n,
		       struct rw_cache_used *used)
{
	used->n = (int)n;
	for (unsigned i = 0; i < n; i++) {
		struct rw_cache_used_set *u = &used->set[i];
		const uint8_t *p = take(rec, len, off, sizeof(struct pack_set));
		struct pack_set s;

		if (!p)
			return -1;
		memcpy(&s, p, sizeof(s));
		/* not memset: the set is 800 bytes, most of them the text buffers; every field is
		 * set below and the strings are ended by hand */
		u->sig_expires_us = s.sig_expires_us;
		u->stored_us = s.stored_us;
		u->expires_us = s.expires_us;
		u->orig_ttl = s.orig_ttl;
		u->ttl_left = s.ttl_left;
		u->type = s.type;
		u->n_rrs = s.n_rrs;
		u->n_dnssec = s.n_dnssec;
		u->kind = (enum rw_entry_kind)s.kind;
		u->rank = (enum rw_rank)s.rank;
		u->vstate = (enum rw_vstate)s.vstate;
		if (s.addrlen > sizeof(u->addr) || !(p = take(rec, len, off, s.addrlen)))
			return -1;
		u->addr.ss_family = AF_UNSPEC;
		memcpy(&u->addr, p, s.addrlen);
		u->addrlen = s.addrlen;
		if (!(p = take(rec, len, off, s.server_len)))
			return -1;
		memcpy(u->server, p, s.server_len);
		u->server[s.server_len] = '\0';
		if (!(p = take(rec, len, off, s.zone_len)))
			return -1;
		memcpy(u->zone, p, s.zone_len);
		u->zone[s.zone_len] = '\0';
	}
	return 0;
}

/* A formatter: what a record unpacks into, and the text it gives, kept between records. */
struct rw_trace_formatter {
	struct rw_sbuf text;
	struct rw_cache_used used;
	struct sockaddr_storage client;
};

struct rw_trace_formatter *rw_trace_formatter_new(void)
{
	return calloc(1, sizeof(struct rw_trace_formatter));
}

void rw_trace_formatter_free(struct rw_trace_formatter *f)
{
	if (!f)
		return;
	free(f->text.p);
	free(f);
}

const char *rw_trace_formatter_hit(struct rw_trace_formatter *f, const void *rec, size_t len,
				   size_t *text_len)
{
	const uint8_t *r = rec, *p;
	struct pack_head hd;
	struct rw_trace_hit h;
	size_t off = 0;

	if (!(p = take(r, len, &off, sizeof(hd))))
		return NULL;
	memcpy(&hd, p, sizeof(hd));
	if (hd.magic != PACK_MAGIC || hd.len != len || hd.n_used > RW_CACHE_USED_MAX ||
	    hd.clientlen > sizeof(f->client) || !(p = take(r, len, &off, hd.clientlen)))
		return NULL;
	memcpy(&f->client, p, hd.clientlen);
	h = (struct rw_trace_hit){
		.id = hd.id,
		.format = hd.format == RW_TRACE_JSON ? RW_TRACE_JSON : RW_TRACE_TEXT,
		.start_us = hd.start_us,
		.end_us = hd.end_us,
		.client = hd.clientlen ? (const struct sockaddr *)&f->client : NULL,
		.clientlen = hd.clientlen,
		.tcp = hd.tcp != 0,
		.len = hd.resp_len,
		.used = &f->used,
		.prefetch_left = hd.prefetch_left,
		.prefetch_orig = hd.prefetch_orig,
	};
	if (!(h.resp = take(r, len, &off, hd.resp_len)) ||
	    unpack_sets(r, len, &off, hd.n_used, &f->used) < 0 || off != len)
		return NULL;
	f->text.len = 0; /* the buffer is kept: no allocation once it has grown */
	f->text.oom = false;
	if (rw_trace_hit_format(&f->text, &h) < 0)
		return NULL;
	*text_len = f->text.len;
	return f->text.p;
}
