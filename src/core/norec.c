/* Queries with RD clear: the client asks what the resolver holds, not for a resolution.
 *
 * RFC 1034 4.3.1: without RD a name server answers from the data it has. The cache answers what
 * it can on the fast path; what it cannot, gets a referral here, as RFC 1034 4.3.2 step 4 has a
 * caching server do: the NS records of the closest cut held in the cache (for DS, the closest
 * cut above the name, since DS lives on the parent side), with the cached addresses of those
 * servers in the additional section. Nothing is sent upstream and nothing enters the cache, so
 * `dig +norec` shows what rootwalkd holds without changing it, and `dig +trace` can ask for the
 * root's NS set.
 */
#include <string.h>

#include "rootwalk/norec.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The TTL left on an entry, in whole seconds rounded up, never above what was stored. */
static uint32_t ttl_left(const struct rw_cache_entry *e, int64_t now_us)
{
	if (e->expires_us <= now_us)
		return 0;
	int64_t left = (e->expires_us - now_us + 999999) / 1000000;
	return left > (int64_t)e->orig_ttl ? e->orig_ttl : (uint32_t)left;
}

/* Append one record (owner and rdata in uncompressed wire form). False when it does not fit. */
static bool put_rr(uint8_t *out, size_t cap, size_t *off, const ldns_rdf *owner, uint16_t type,
		   uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	size_t olen = ldns_rdf_size(owner);

	if (rdlen > 0xffff || *off + olen + 10 + rdlen > cap)
		return false;
	memcpy(out + *off, ldns_rdf_data(owner), olen);
	*off += olen;
	put16(out + *off, type);
	put16(out + *off + 2, LDNS_RR_CLASS_IN);
	put32(out + *off + 4, ttl);
	put16(out + *off + 8, (uint16_t)rdlen);
	*off += 10;
	memcpy(out + *off, rdata, rdlen);
	*off += rdlen;
	return true;
}

bool rw_norec_find_cut(struct rw_cache *c, const struct rw_client_query *cq, int64_t now_us,
		       struct rw_cache_entry *cut)
{
	ldns_rdf *name = ldns_dname_new_frm_data((uint16_t)cq->qname_len, cq->qname);

	if (!name)
		return false;
	ldns_dname2canonical(name);
	if (cq->qtype == LDNS_RR_TYPE_DS && ldns_dname_label_count(name) > 0) {
		ldns_rdf *up = ldns_dname_left_chop(name);
		ldns_rdf_deep_free(name);
		name = up;
	}
	while (name) {
		memset(cut, 0, sizeof(*cut));
		if (rw_cache_get(c, RW_ENTRY_RRSET, name, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, now_us,
				 RW_RANK_REFERRAL, cut) &&
		    cut->rrs && ldns_rr_list_rr_count(cut->rrs) > 0) {
			ldns_rdf_deep_free(name);
			return true;
		}
		if (cut->rrs || cut->owner)
			rw_cache_entry_clear(cut);
		memset(cut, 0, sizeof(*cut));
		if (ldns_dname_label_count(name) == 0)
			break;
		ldns_rdf *up = ldns_dname_left_chop(name);
		ldns_rdf_deep_free(name);
		name = up;
	}
	ldns_rdf_deep_free(name);
	return false;
}

size_t rw_norec_referral(struct rw_cache *c, const uint8_t *pkt, size_t len,
			 const struct rw_client_query *cq, const struct rw_cache_entry *cut,
			 int64_t now_us, uint8_t *out, size_t cap)
{
	struct rw_client_query q = *cq;
	size_t off, room, ns_count = 0, ar_count = 0;
	size_t n_ns = ldns_rr_list_rr_count(cut->rrs);
	uint32_t ns_ttl = ttl_left(cut, now_us);

	/* header and question as the client sent them; the OPT record goes last, its room kept */
	q.edns = 0;
	room = cq->edns ? cap - (cap < RW_OPT_LEN ? cap : RW_OPT_LEN) : cap;
	off = rw_wire_error_response(pkt, len, &q, LDNS_RCODE_NOERROR, out, room);
	if (off == 0 || get16(out + 4) != 1)
		return 0;
	size_t question_end = off;
	for (size_t i = 0; i < n_ns; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(cut->rrs, i);
		const ldns_rdf *target = ldns_rr_rdf(rr, 0);
		if (!target || !put_rr(out, room, &off, cut->owner, LDNS_RR_TYPE_NS, ns_ttl,
				       ldns_rdf_data(target), ldns_rdf_size(target))) {
			/* the referral itself does not fit: say so (TC), records left out */
			off = question_end;
			ns_count = 0;
			put16(out + 2, get16(out + 2) | RW_FLAG_TC);
			break;
		}
		ns_count++;
	}
	/* the servers' addresses, as far as they are cached and fit (optional data: no TC) */
	bool full = ns_count == 0;
	for (size_t i = 0; i < n_ns && !full; i++) {
		const ldns_rdf *target = ldns_rr_rdf(ldns_rr_list_rr(cut->rrs, i), 0);
		static const uint16_t types[2] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
		for (int t = 0; t < 2 && !full; t++) {
			struct rw_cache_entry a;
			memset(&a, 0, sizeof(a));
			if (!rw_cache_get(c, RW_ENTRY_RRSET, target, types[t], LDNS_RR_CLASS_IN,
					  now_us, RW_RANK_GLUE, &a))
				continue;
			uint32_t ttl = ttl_left(&a, now_us);
			for (size_t k = 0; a.rrs && k < ldns_rr_list_rr_count(a.rrs); k++) {
				const ldns_rdf *addr = ldns_rr_rdf(ldns_rr_list_rr(a.rrs, k), 0);
				size_t at = off;
				if (!addr || !put_rr(out, room, &off, target, types[t], ttl,
						     ldns_rdf_data(addr), ldns_rdf_size(addr))) {
					off = at;
					full = true;
					break;
				}
				ar_count++;
			}
			rw_cache_entry_clear(&a);
		}
	}
	if (cq->edns) {
		out[off] = 0;
		put16(out + off + 1, RW_TYPE_OPT);
		put16(out + off + 3, RW_EDNS_BUFSIZE);
		out[off + 5] = 0;
		out[off + 6] = 0;
		put16(out + off + 7, cq->do_bit ? RW_EDNS_DO : 0);
		put16(out + off + 9, 0);
		off += RW_OPT_LEN;
		ar_count++;
	}
	put16(out + 8, (uint16_t)ns_count);
	put16(out + 10, (uint16_t)ar_count);
	return off;
}
