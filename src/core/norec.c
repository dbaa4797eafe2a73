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
#include "rootwalk/zonecut.h"

bool rw_norec_find_cut(struct rw_cache *c, const struct rw_client_query *cq, int64_t now_us,
		       struct rw_cache_entry *cut)
{
	ldns_rdf *name = ldns_dname_new_frm_data((uint16_t)cq->qname_len, cq->qname);
	bool found = name && rw_zonecut_find(c, name, cq->qtype == LDNS_RR_TYPE_DS, now_us, NULL,
					     NULL, cut);
	ldns_rdf_deep_free(name);
	if (!found)
		memset(cut, 0, sizeof(*cut));
	return found;
}

/* Where the addresses go: the packet, until it is full. */
struct additional {
	uint8_t *out;
	size_t room, *off, *count;
	const ldns_rdf *target;
	int64_t now_us;
	bool full;
};

static bool put_addrs(void *arg, const struct rw_cache_entry *a, bool parent_side)
{
	struct additional *ad = arg;
	uint32_t ttl = rw_cache_ttl_left(a, ad->now_us);
	(void)parent_side;
	for (size_t k = 0; k < ldns_rr_list_rr_count(a->rrs); k++) {
		const ldns_rr *rr = ldns_rr_list_rr(a->rrs, k);
		const ldns_rdf *addr = ldns_rr_rdf(rr, 0);
		if (!addr || rw_wire_put_rr(ad->out, ad->room, ad->off, ldns_rdf_data(ad->target),
					    ldns_rdf_size(ad->target), ldns_rr_get_type(rr), ttl,
					    ldns_rdf_data(addr), ldns_rdf_size(addr)) < 0) {
			ad->full = true;
			return false;
		}
		(*ad->count)++;
	}
	return true;
}

size_t rw_norec_referral(struct rw_cache *c, const uint8_t *pkt, size_t len,
			 const struct rw_client_query *cq, const struct rw_cache_entry *cut,
			 int64_t now_us, uint8_t *out, size_t cap)
{
	struct rw_client_query q = *cq;
	size_t off, room, ns_count = 0, ar_count = 0;
	size_t n_ns = ldns_rr_list_rr_count(cut->rrs);
	uint32_t ns_ttl = rw_cache_ttl_left(cut, now_us);

	/* header and question as the client sent them; the OPT record goes last, its room kept */
	q.edns = 0;
	room = cq->edns ? cap - (cap < RW_OPT_LEN ? cap : RW_OPT_LEN) : cap;
	off = rw_wire_error_response(pkt, len, &q, LDNS_RCODE_NOERROR, out, room);
	if (off == 0 || rw_get16(out + 4) != 1)
		return 0;
	size_t question_end = off;
	for (size_t i = 0; i < n_ns; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(cut->rrs, i);
		const ldns_rdf *target = ldns_rr_rdf(rr, 0);
		if (!target || rw_wire_put_rr(out, room, &off, ldns_rdf_data(cut->owner),
					      ldns_rdf_size(cut->owner), LDNS_RR_TYPE_NS, ns_ttl,
					      ldns_rdf_data(target), ldns_rdf_size(target)) < 0) {
			/* the referral itself does not fit: say so (TC), records left out */
			off = question_end;
			ns_count = 0;
			rw_put16(out + 2, rw_get16(out + 2) | RW_FLAG_TC);
			break;
		}
		ns_count++;
	}
	/* the servers' addresses, as far as they are cached and fit (optional data: no TC) */
	struct additional ad = {.out = out,
				.room = room,
				.off = &off,
				.count = &ar_count,
				.now_us = now_us,
				.full = ns_count == 0};
	for (size_t i = 0; i < n_ns && !ad.full; i++) {
		ad.target = ldns_rr_rdf(ldns_rr_list_rr(cut->rrs, i), 0);
		rw_zonecut_addrs(c, ad.target, now_us, false, put_addrs, &ad);
	}
	if (cq->edns) {
		off += rw_wire_put_opt(out + off, LDNS_RCODE_NOERROR, cq->do_bit);
		ar_count++;
	}
	rw_put16(out + 8, (uint16_t)ns_count);
	rw_put16(out + 10, (uint16_t)ar_count);
	return off;
}
