/* The iterator, part 3: what a reply means (answer, CNAME, referral, NXDOMAIN, NODATA, lame),
 * scrubbing what lies outside the zone asked, and QNAME minimisation's replies. */
#include "iter_impl.h"

/* ---------------------------------------------------------------------------------------------
 * Replies
 */

static bool same_addr(const struct sockaddr *a, socklen_t alen, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return false;
	if (a->sa_family == AF_INET && alen >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)(const void *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)(const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6 && alen >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)(const void *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)(const void *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

/* Header and question checks on the raw reply: is it the answer to what we sent? */
static const char *mismatch(struct rw_iter *it, const uint8_t *pkt, size_t len)
{
	if (len < 12)
		return "shorter than a DNS header";
	if (((pkt[0] << 8) | pkt[1]) != it->qid)
		return "wrong ID";
	if (!(pkt[2] & 0x80))
		return "not a response";
	if (((pkt[2] >> 3) & 0xf) != 0)
		return "wrong opcode";
	if (((pkt[4] << 8) | pkt[5]) != 1)
		return "question count is not 1";
	size_t off = 12;
	uint8_t name[256];
	int n = rw_wire_read_name(pkt, len, &off, name);
	if (n <= 0 || off + 4 > len)
		return "malformed question";
	const uint8_t *sent = it->qbuf + 12; /* the name as sent, 0x20 case included */
	size_t slen = ldns_rdf_size(it->sname);
	if (!rw_wire_name_equal(name, (size_t)n, sent, slen))
		return "question name differs";
	if (((pkt[off] << 8) | pkt[off + 1]) != it->stype ||
	    ((pkt[off + 2] << 8) | pkt[off + 3]) != it->qclass)
		return "question type or class differs";
	if (it->cur_0x20 && memcmp(name, sent, slen) != 0) {
		it->case_mismatch = true;
		return "question case differs from the 0x20 case sent";
	}
	return NULL;
}

static struct rw_trace_event *trace_reply(struct rw_iter *it, const ldns_pkt *p, size_t len,
					  enum rw_reply_kind kind)
{
	struct rw_trace_event *e = iter_trace_ev(it, RW_EV_REPLY);
	if (!e)
		return NULL;
	uint64_t rtt_us = now_mono_us(it) - it->sent_us;
	e->rcode = p ? ldns_pkt_get_rcode(p) : 0;
	e->aa = p ? ldns_pkt_aa(p) : false;
	e->tc = p ? ldns_pkt_tc(p) : false;
	e->rtt_us = (uint32_t)rtt_us;
	e->bytes = (uint32_t)len;
	e->kind = kind;
	return e;
}

static void reply_problem(struct rw_iter *it, const ldns_pkt *p, size_t len,
			  enum rw_reply_kind kind, const char *reason, struct rw_iter_out *out)
{
	struct rw_trace_event *e = trace_reply(it, p, len, kind);
	if (e)
		e->text = strdup(reason);
	iter_next_server(it, out);
}

static void add_list(struct rw_iter *it, const ldns_rr_list *l, bool proof, struct rw_source *src,
		     int64_t now, uint32_t ttl)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		(proof ? iter_add_proof : iter_add_rec)(it, ldns_rr_list_rr(l, i), src, now,
							now + (int64_t)ttl * 1000000, ttl, false);
}

/* Cache an RRset from the answer section of p with its RRSIGs (and the proof of a wildcard
 * expansion), and add them to the result with their provenance. */
static void take_rrset(struct rw_iter *it, const ldns_pkt *p, const ldns_rr_list *set,
		       enum rw_rank rank, struct rw_source *src, bool into_result)
{
	int64_t now = now_us(it);
	uint32_t ttl = rw_cache_cap_ttl(it->sh->cache, iter_rrset_min_ttl(set), false);
	const ldns_rr *first = ldns_rr_list_rr(set, 0);
	ldns_rr_list *sigs = iter_sigs_of(ldns_pkt_answer(p), ldns_rr_owner(first),
					  ldns_rr_get_type(first), it->qclass);
	ldns_rr_list *proof = sigs && iter_wildcard_expanded(sigs) ? iter_proof_of(p, NULL) : NULL;
	ldns_rr_list *all = ldns_rr_list_clone(set);

	if (all && sigs) {
		for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++)
			ldns_rr_list_push_rr(all, ldns_rr_clone(ldns_rr_list_rr(sigs, i)));
	}
	if (all)
		rw_cache_store_rrset_proof(it->sh->cache, all, proof, rank, src, now);
	ldns_rr_list_deep_free(all);
	if (into_result) {
		add_list(it, set, false, src, now, ttl);
		add_list(it, sigs, false, src, now, ttl);
		add_list(it, proof, true, src, now, ttl);
	}
	ldns_rr_list_free(sigs);
	ldns_rr_list_free(proof);
}

/* Cache addresses from the additional section for the given NS names that lie inside
 * bailiwick: the zone whose server sent them. For a referral that is the parent zone, so
 * sibling glue (an NS name in another zone under the same parent, RFC 9471 2.2) is used too; it
 * is also kept as parent-side glue, the fallback when the child's own addresses fail. With
 * fill_cut the addresses join the current cut. Glue is never an answer: it is cached at the
 * lowest rank, below anything the child says. */
static bool take_glue(struct rw_iter *it, const ldns_pkt *p, const ldns_rr_list *nsset,
		      const ldns_rdf *bailiwick, struct rw_source *src, bool fill_cut)
{
	static const uint16_t types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
	const ldns_rr_list *add = ldns_pkt_additional(p);
	bool used = false;

	for (size_t i = 0; i < ldns_rr_list_rr_count(nsset); i++) {
		const ldns_rdf *nsname = ldns_rr_rdf(ldns_rr_list_rr(nsset, i), 0);
		if (!nsname || ldns_rdf_get_type(nsname) != LDNS_RDF_TYPE_DNAME ||
		    !name_under(nsname, bailiwick))
			continue;
		for (size_t t = 0; t < 2; t++) {
			ldns_rr_list *g = iter_rrset_of(add, nsname, types[t], it->qclass);
			if (g && ldns_rr_list_rr_count(g) > 0) {
				rw_cache_store_rrset(it->sh->cache, g, RW_RANK_GLUE, src,
						     now_us(it));
				if (fill_cut)
					rw_cache_store_parent_glue(it->sh->cache, g, src,
								   now_us(it));
				struct ns_entry *ns = fill_cut ? iter_ns_add(it, nsname) : NULL;
				for (size_t k = 0; ns && k < ldns_rr_list_rr_count(g); k++)
					used |= iter_ns_add_addr(it, ns, ldns_rr_list_rr(g, k),
								 ADDR_DNS);
			}
			ldns_rr_list_free(g);
		}
	}
	return used;
}

/* With DO a signed parent's referral carries the child's DS RRset and its RRSIGs, or the NSEC
 * or NSEC3 records proving there is none (RFC 4035 3.1.4): cached (the proof as a NODATA for
 * DS), so that the validator finds them without asking the parent again. The validator checks
 * them as it would a reply to its own question. */
static void take_referral_ds(struct rw_iter *it, const ldns_pkt *p, const ldns_rdf *zone,
			     struct rw_source *src, int64_t now)
{
	const ldns_rr_list *auth = ldns_pkt_authority(p);
	ldns_rr_list *ds = iter_rrset_of(auth, zone, LDNS_RR_TYPE_DS, it->qclass);
	if (ds && ldns_rr_list_rr_count(ds) > 0) {
		ldns_rr_list *sigs = iter_sigs_of(auth, zone, LDNS_RR_TYPE_DS, it->qclass);
		ldns_rr_list *all = ldns_rr_list_clone(ds);
		for (size_t i = 0; all && sigs && i < ldns_rr_list_rr_count(sigs); i++)
			ldns_rr_list_push_rr(all, ldns_rr_clone(ldns_rr_list_rr(sigs, i)));
		if (all && sigs && ldns_rr_list_rr_count(sigs) > 0)
			rw_cache_store_rrset_proof(it->sh->cache, all, NULL, RW_RANK_AUTH_AUTHORITY,
						   src, now);
		ldns_rr_list_deep_free(all);
		ldns_rr_list_free(sigs);
	} else {
		ldns_rr_list *proof = iter_proof_of(p, NULL);
		if (proof && ldns_rr_list_rr_count(proof) > 0)
			rw_cache_store_negative_proof(it->sh->cache, RW_ENTRY_NODATA, zone,
						      LDNS_RR_TYPE_DS, it->qclass, NULL, proof,
						      RW_RANK_AUTH_AUTHORITY, src, now);
		ldns_rr_list_free(proof);
	}
	ldns_rr_list_free(ds);
}

static void do_referral(struct rw_iter *it, const ldns_pkt *p, size_t len, const ldns_rdf *to,
			struct rw_source *src, struct rw_iter_out *out)
{
	ldns_rr_list *nsset = iter_rrset_of(ldns_pkt_authority(p), to, LDNS_RR_TYPE_NS, it->qclass);
	ldns_rdf *zone = ldns_rdf_clone(to);
	if (!nsset || !zone) {
		ldns_rr_list_free(nsset);
		ldns_rdf_deep_free(zone);
		iter_fail(it, out, RW_FAIL_OTHER, "out of memory");
		return;
	}
	int64_t now = now_us(it);
	uint32_t ttl = rw_cache_cap_ttl(it->sh->cache, iter_rrset_min_ttl(nsset), false);
	rw_cache_store_rrset(it->sh->cache, nsset, RW_RANK_REFERRAL, src, now);
	take_referral_ds(it, p, to, src, now);

	/* The new cut: its servers, with glue for names inside the zone that referred us (the
	 * delegated zone and its siblings). */
	ldns_rdf *parent = it->zone;
	it->zone = NULL;
	iter_clear_cut(it);
	it->zone = zone;
	it->cut_cached = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsset); i++)
		iter_ns_add(it, ldns_rr_rdf(ldns_rr_list_rr(nsset, i), 0));
	bool glue = take_glue(it, p, nsset, parent, src, true);
	ldns_rdf_deep_free(parent);
	for (int i = 0; i < it->n_ns; i++)
		iter_ns_addrs_from_cache(it, &it->ns[i]);
	iter_skip_failed(it);

	struct rw_trace_event *e = trace_reply(it, p, len, RW_REPLY_REFERRAL);
	if (e) {
		e->zone = dstr(zone);
		for (size_t i = 0; i < ldns_rr_list_rr_count(nsset); i++)
			rw_trace_add_ns(e, ldns_rr_rdf(ldns_rr_list_rr(nsset, i), 0));
		e->ttl = ttl;
		e->glue = glue;
		e->expires_us = now + (int64_t)ttl * 1000000;
	}
	ldns_rr_list_free(nsset);
	uint8_t r = 0;
	it->sh->env->random_buf(it->sh->env->ctx, &r, 1);
	it->rr_start = it->n_ns ? r % it->n_ns : 0;
	iter_next_server(it, out);
}

static void do_negative(struct rw_iter *it, const ldns_pkt *p, size_t len, bool nxdomain,
			struct rw_source *src, struct rw_iter_out *out)
{
	const ldns_rr *soa = iter_find_soa(it, p, it->qname);
	int64_t now = now_us(it);
	enum rw_entry_kind kind = nxdomain ? RW_ENTRY_NXDOMAIN : RW_ENTRY_NODATA;
	enum rw_rank rank = ldns_pkt_aa(p) ? RW_RANK_AUTH_AUTHORITY : RW_RANK_NONAUTH_ANSWER;

	trace_reply(it, p, len, nxdomain ? RW_REPLY_NXDOMAIN : RW_REPLY_NODATA);
	/* without an SOA a NODATA is kept briefly; an NXDOMAIN is not kept at all */
	if (soa || !nxdomain) {
		uint32_t ttl = rw_cache_negative_ttl(it->sh->cache, soa);
		int64_t expires = now + (int64_t)ttl * 1000000;
		ldns_rr_list *proof = iter_proof_of(p, soa);
		rw_cache_store_negative_proof(it->sh->cache, kind, it->qname, it->qtype, it->qclass,
					      soa, proof, rank, src, now);
		if (soa)
			iter_set_soa(it, soa, src, now, expires, ttl, false);
		add_list(it, proof, true, src, now, ttl);
		ldns_rr_list_free(proof);
		struct rw_trace_event *e = iter_trace_ev(it, RW_EV_NEGATIVE);
		if (e) {
			e->kind = nxdomain ? RW_REPLY_NXDOMAIN : RW_REPLY_NODATA;
			e->qname = dstr(it->qname);
			e->qtype = it->qtype;
			e->text = soa ? rw_present_rr(soa) : NULL;
			e->ttl = ttl;
			e->expires_us = expires;
		}
	}
	iter_finish(it, nxdomain ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR, out);
}

/* The records for the current name in the answer section: its RRset of the type asked, or for
 * ANY every record at the name but RRSIGs. A new list of borrowed records. */
static ldns_rr_list *answer_set(const struct rw_iter *it, const ldns_rr_list *an)
{
	if (it->qtype != LDNS_RR_TYPE_ANY)
		return iter_rrset_of(an, it->qname, it->qtype, it->qclass);
	ldns_rr_list *set = ldns_rr_list_new();
	for (size_t i = 0; set && i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (name_eq(ldns_rr_owner(rr), it->qname) &&
		    ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG)
			ldns_rr_list_push_rr(set, rr);
	}
	return set;
}

/* The answer: cached and added to the result (for ANY each record with its own TTL, not
 * cached), with the addresses of an NS answer's servers kept as glue. */
static void take_answer(struct rw_iter *it, const ldns_pkt *p, const ldns_rr_list *set,
			enum rw_rank rank, struct rw_source *src)
{
	if (it->qtype == LDNS_RR_TYPE_ANY) {
		/* each record (and the RRSIGs at the name, for the validator and DO clients) */
		int64_t now = now_us(it);
		ldns_rr_list *sigs = iter_rrset_of(ldns_pkt_answer(p), it->qname,
						   LDNS_RR_TYPE_RRSIG, it->qclass);
		const ldns_rr_list *lists[2] = {set, sigs};
		for (int l = 0; l < 2; l++)
			for (size_t i = 0; i < ldns_rr_list_rr_count(lists[l]); i++) {
				const ldns_rr *rr = ldns_rr_list_rr(lists[l], i);
				uint32_t ttl =
					rw_cache_cap_ttl(it->sh->cache, ldns_rr_ttl(rr), false);
				iter_add_rec(it, rr, src, now, now + (int64_t)ttl * 1000000, ttl,
					     false);
			}
		ldns_rr_list_free(sigs);
	} else {
		take_rrset(it, p, set, rank, src, true);
	}
	/* Glue-like addresses for NS answers (priming, NS queries). */
	if (it->qtype == LDNS_RR_TYPE_NS) {
		ldns_rr_list *ns =
			iter_rrset_of(ldns_pkt_answer(p), it->qname, LDNS_RR_TYPE_NS, it->qclass);
		if (ns)
			take_glue(it, p, ns, it->zone, src, false);
		ldns_rr_list_free(ns);
	}
}

/* An answer (or part of a CNAME chain) in the answer section. Returns true when it handled the
 * reply; false when the answer section holds nothing for the current name. */
static bool do_answer(struct rw_iter *it, const ldns_pkt *p, size_t len, struct rw_source *src,
		      struct rw_iter_out *out)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	enum rw_rank rank = ldns_pkt_aa(p) ? RW_RANK_ANSWER : RW_RANK_NONAUTH_ANSWER;
	bool any = false;
	enum rw_reply_kind kind = RW_REPLY_NONE;

	for (;;) {
		if (!name_under(it->qname, it->zone))
			break; /* out of the server's bailiwick: ask that name's own servers */
		ldns_rr_list *set = answer_set(it, an);
		if (set && ldns_rr_list_rr_count(set) > 0) {
			take_answer(it, p, set, rank, src);
			ldns_rr_list_free(set);
			if (!kind)
				trace_reply(it, p, len, RW_REPLY_ANSWER);
			iter_finish(it, LDNS_RCODE_NOERROR, out);
			return true;
		}
		ldns_rr_list_free(set);
		const ldns_rr *dn = iter_dname_over(it, an);
		if (dn) {
			/* the DNAME goes into the answer and the cache; the CNAME the server
			 * synthesised from it is made again here, never cached (RFC 6672 3.2) */
			ldns_rr_list *dset = iter_rrset_of(an, ldns_rr_owner(dn),
							   LDNS_RR_TYPE_DNAME, it->qclass);
			uint32_t ttl = rw_cache_cap_ttl(it->sh->cache, ldns_rr_ttl(dn), false);
			int64_t now = now_us(it), expires = now + (int64_t)ttl * 1000000;
			if (dset && ldns_rr_list_rr_count(dset) > 0)
				take_rrset(it, p, dset, rank, src, true);
			else
				iter_add_rec(it, dn, src, now, expires, ttl, false);
			ldns_rr_list_free(dset);
			if (!kind) {
				struct rw_trace_event *e = trace_reply(it, p, len, RW_REPLY_DNAME);
				if (e)
					e->text = rw_present_rr(dn);
				kind = RW_REPLY_DNAME;
			}
			any = true;
			if (!iter_follow_dname(it, dn, src, now, expires, ttl, false, out))
				return true;
			continue;
		}
		if (it->qtype == LDNS_RR_TYPE_CNAME)
			break;
		ldns_rr_list *cn = iter_rrset_of(an, it->qname, LDNS_RR_TYPE_CNAME, it->qclass);
		if (!cn || ldns_rr_list_rr_count(cn) == 0) {
			ldns_rr_list_free(cn);
			break;
		}
		const ldns_rdf *target = ldns_rr_rdf(ldns_rr_list_rr(cn, 0), 0);
		if (target && ldns_rdf_get_type(target) == LDNS_RDF_TYPE_DNAME)
			take_rrset(it, p, cn, rank, src,
				   true); /* never cache a CNAME without a target */
		if (!kind) {
			struct rw_trace_event *e = trace_reply(it, p, len, RW_REPLY_CNAME);
			if (e)
				e->text = dstr(target);
			kind = RW_REPLY_CNAME;
		}
		any = true;
		bool ok = false;
		if (!target || ldns_rdf_get_type(target) != LDNS_RDF_TYPE_DNAME)
			iter_fail(it, out, RW_FAIL_OTHER,
				  "a CNAME without a target name from the server");
		else
			ok = iter_follow_cname(it, target, out);
		ldns_rr_list_free(cn);
		if (!ok)
			return true;
	}
	if (!any)
		return false;
	/* The chain left this reply: the rest comes from the cache or a new walk, unless this
	 * same reply says the target does not exist or has no data. */
	if (name_under(it->qname, it->zone) && ldns_pkt_aa(p)) {
		if (ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN) {
			do_negative(it, p, len, true, src, out);
			return true;
		}
		if (iter_find_soa(it, p, it->qname)) {
			do_negative(it, p, len, false, src, out);
			return true;
		}
	}
	iter_walk(it, out);
	return true;
}

/* The current address will not be asked again for this cut; with lame, remember that it is lame
 * for the zone. Returns how many seconds that is remembered (0 when it is not). */
static uint32_t mark_dead(struct rw_iter *it, bool lame)
{
	struct ns_addr *a = &it->ns[it->cur_ns].addr[it->cur_addr];
	a->dead = true;
	if (lame && it->sh->infra)
		return rw_infra_set_lame(it->sh->infra, (const struct sockaddr *)&a->ss, it->zone,
					 now_us(it));
	return 0;
}

/* A lame reply: the server is skipped and remembered as lame for the zone for a while. */
static void lame_reply(struct rw_iter *it, const ldns_pkt *p, size_t len, const char *what,
		       struct rw_iter_out *out)
{
	char reason[400];
	char *z = dstr(it->zone);
	uint32_t secs = mark_dead(it, true);
	if (secs)
		snprintf(reason, sizeof(reason), "%s: remembered as lame for %s for %u s", what, z,
			 secs);
	else
		snprintf(reason, sizeof(reason), "%s", what);
	free(z);
	reply_problem(it, p, len, RW_REPLY_LAME, reason, out);
}

/* SERVFAIL, REFUSED or NOTAUTH: not lameness. The server is skipped for this query only and
 * asked after the others for a while (RFC 9520: a failure is not cached for long). */
static void failed_reply(struct rw_iter *it, const ldns_pkt *p, size_t len, struct rw_iter_out *out)
{
	char reason[200];
	struct ns_addr *a = &it->ns[it->cur_ns].addr[it->cur_addr];
	uint32_t secs = 0;
	a->dead = true;
	if (it->sh->infra)
		secs = rw_infra_failed(it->sh->infra, (const struct sockaddr *)&a->ss, now_us(it));
	snprintf(reason, sizeof(reason),
		 "%s from this server: skipped for this query, asked after the others for %u s",
		 rw_present_rcode(ldns_pkt_get_rcode(p)), secs);
	reply_problem(it, p, len, RW_REPLY_FAILED, reason, out);
}

/* A reply to a minimised question: a referral moves the cut down; a server that cannot answer
 * the minimised question gets the full one; otherwise there is no cut at the name asked, and
 * the same server is asked one label more. Returns true when handled. */
static bool minimised_reply(struct rw_iter *it, const ldns_pkt *p, size_t len,
			    struct rw_source *src, struct rw_iter_out *out)
{
	int rcode = ldns_pkt_get_rcode(p);
	const ldns_rdf *to;

	/* a referral, even with AA set (some servers set it), when it answers nothing */
	if (rcode == LDNS_RCODE_NOERROR &&
	    (!ldns_pkt_aa(p) || ldns_rr_list_rr_count(ldns_pkt_answer(p)) == 0) &&
	    (to = iter_find_referral(it, p))) {
		do_referral(it, p, len, to, src, out);
		return true;
	}
	/* Any other error, SERVFAIL included, and the full name is asked of the same server once
	 * before moving on (Unbound's relaxed mode): some servers fail only minimised names. */
	if (rcode != LDNS_RCODE_NOERROR || (!ldns_pkt_aa(p) && !iter_find_soa(it, p, it->sname))) {
		char reason[128];
		snprintf(reason, sizeof(reason),
			 "%s to the minimised question: asking the full name instead",
			 rw_present_rcode(rcode));
		struct rw_trace_event *e = trace_reply(it, p, len, RW_REPLY_QMIN_FALLBACK);
		if (e)
			e->text = strdup(reason);
		it->qm_off = true;
		ldns_rdf_deep_free(it->sname);
		it->sname = NULL; /* iter_choose_sname() now gives the full name */
		iter_send_query(it, it->cur_tcp, false, out);
		return true;
	}
	/* NOERROR with data or NODATA: the name exists and is no cut; one label more */
	char *n = dstr(it->sname);
	struct rw_trace_event *e = trace_reply(it, p, len, RW_REPLY_NO_CUT);
	if (e) {
		char reason[300];
		snprintf(reason, sizeof(reason), "%s is inside the zone: asking one label more", n);
		e->text = strdup(reason);
	}
	free(n);
	it->qm_labels++;
	it->qm_count++;
	ldns_rdf_deep_free(it->sname);
	it->sname = NULL;
	iter_send_query(it, false, false, out);
	return true;
}

/* What a NOERROR or NXDOMAIN reply means, by what it contains, whatever its AA bit says (RFC
 * 2308 2.2, and as Unbound classifies replies): an answer or a chain; NXDOMAIN; NS below the cut
 * is a referral; the zone's SOA is NODATA; NS at the apex, or nothing at all with AA, is NODATA
 * without an SOA; NS above or beside the cut, or nothing at all without AA, is lameness. */
static void classify(struct rw_iter *it, const ldns_pkt *p, size_t len, struct rw_source *src,
		     struct rw_iter_out *out)
{
	const ldns_rdf *to, *other_owner;
	const ldns_rr *soa;
	bool apex, other;

	if (do_answer(it, p, len, src, out))
		return; /* answered, chained or failed */
	if (ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN) {
		do_negative(it, p, len, true, src, out);
		return;
	}
	if ((to = iter_find_referral(it, p)) != NULL) {
		do_referral(it, p, len, to, src, out);
		return;
	}
	if ((soa = iter_find_soa(it, p, it->qname)) != NULL) {
		if (it->qtype == LDNS_RR_TYPE_DS && name_eq(ldns_rr_owner(soa), it->qname) &&
		    !name_eq(it->qname, it->zone)) {
			/* the child zone's apex answered: DS lives in the parent (RFC 4035 3.1.4.1) */
			char reason[320];
			char *q = dstr(it->qname), *z = dstr(it->zone);
			snprintf(
				reason, sizeof(reason),
				"NODATA from the apex of the child zone %s (its SOA), but DS lives "
				"in the parent %s: asking another server of %s",
				q, z, z);
			free(q);
			free(z);
			mark_dead(it, false);
			reply_problem(it, p, len, RW_REPLY_ERROR, reason, out);
			return;
		}
		do_negative(it, p, len, false, src, out);
		return;
	}
	iter_authority_ns(it, p, &apex, &other, &other_owner);
	if (!other && (apex || ldns_pkt_aa(p))) {
		do_negative(it, p, len, false, src, out);
		return;
	}
	if (other) {
		char what[320];
		char *o = dstr(other_owner);
		snprintf(what, sizeof(what), "%s referral to %s",
			 ldns_dname_is_subdomain(it->zone, other_owner) ? "upward" : "sideways", o);
		free(o);
		lame_reply(it, p, len, what, out);
		return;
	}
	lame_reply(it, p, len, "not authoritative and no referral below the zone asked", out);
}

static void handle_reply(struct rw_iter *it, const uint8_t *pkt, size_t len,
			 struct rw_iter_out *out)
{
	ldns_pkt *p = NULL;

	if (ldns_wire2pkt(&p, pkt, len) != LDNS_STATUS_OK || !p) {
		mark_dead(it, false);
		reply_problem(it, NULL, len, RW_REPLY_ERROR, "malformed reply", out);
		return;
	}
	if (ldns_pkt_tc(p) && !it->cur_tcp) {
		struct rw_trace_event *e = trace_reply(it, p, len, RW_REPLY_TRUNCATED);
		if (e)
			e->text = strdup("truncated over UDP: retrying over TCP");
		ldns_pkt_free(p);
		if (it->sh->upstream >= it->sh->cfg->max_upstream_queries) {
			iter_next_server(it, out); /* fails with the limit */
			return;
		}
		iter_send_query(it, true, false, out);
		return;
	}
	if (ldns_pkt_tc(p)) {
		/* truncated over TCP: nothing more can come from this server */
		mark_dead(it, false);
		reply_problem(it, p, len, RW_REPLY_ERROR,
			      "truncated even over TCP: trying the next server", out);
		ldns_pkt_free(p);
		return;
	}
	int rcode = ldns_pkt_get_rcode(p);
	if (rcode == LDNS_RCODE_FORMERR && it->cur_edns) {
		/* RFC 6891 7: a server that does not know EDNS; ask again without it, remember */
		struct rw_trace_event *e = trace_reply(it, p, len, RW_REPLY_ERROR);
		if (e)
			e->text = strdup("FORMERR to an EDNS query: retrying without EDNS");
		if (it->sh->infra)
			rw_infra_set_no_edns(
				it->sh->infra,
				(const struct sockaddr *)&it->ns[it->cur_ns].addr[it->cur_addr].ss,
				now_us(it));
		ldns_pkt_free(p);
		it->cur_edns = false;
		iter_send_query(it, it->cur_tcp, false, out);
		return;
	}
	iter_dedup_section(ldns_pkt_answer(p));
	iter_dedup_section(ldns_pkt_authority(p));
	iter_dedup_section(ldns_pkt_additional(p));
	struct rw_source *src = iter_make_source(it);
	if (iter_minimised(it) && minimised_reply(it, p, len, src, out)) {
		rw_source_unref(src);
		ldns_pkt_free(p);
		return;
	}
	if (rcode == LDNS_RCODE_SERVFAIL || rcode == LDNS_RCODE_REFUSED ||
	    rcode == LDNS_RCODE_NOTAUTH) {
		failed_reply(it, p, len, out);
	} else if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN &&
		   !(rcode == LDNS_RCODE_YXDOMAIN && iter_dname_over(it, ldns_pkt_answer(p)))) {
		char reason[160];
		char *z = dstr(it->zone);
		snprintf(reason, sizeof(reason), "%s from the server for %s",
			 rw_present_rcode(rcode), z);
		free(z);
		mark_dead(it, false);
		reply_problem(it, p, len, RW_REPLY_ERROR, reason, out);
	} else {
		if (it->sh->infra)
			rw_infra_good(
				it->sh->infra,
				(const struct sockaddr *)&it->ns[it->cur_ns].addr[it->cur_addr].ss,
				now_us(it));
		classify(it, p, len, src, out);
	}
	rw_source_unref(src);
	ldns_pkt_free(p);
}

bool rw_iter_reply(struct rw_iter *it, const struct sockaddr *from, socklen_t fromlen,
		   const uint8_t *pkt, size_t len, struct rw_iter_out *out)
{
	if (!it->waiting || it->done)
		return false;
	const struct sockaddr_storage *ss = &it->ns[it->cur_ns].addr[it->cur_addr].ss;
	const char *why = NULL;
	if (!from || !same_addr(from, fromlen, ss))
		why = "from an address or port the query was not sent to";
	else
		why = mismatch(it, pkt, len);
	if (why) {
		/* dropped and counted; the query keeps waiting for the real reply. The trace lists
		 * the first few and counts the rest (a flood of junk must not grow it). */
		struct rw_trace_event *e = rw_trace_keep_rejected(it->sh->trace)
						   ? trace_reply(it, NULL, len, RW_REPLY_REJECTED)
						   : NULL;
		if (e)
			e->text = strdup(why);
		return false;
	}
	it->waiting = false;
	uint32_t rtt_us = (uint32_t)(now_mono_us(it) - it->sent_us);
	if (it->sh->infra)
		rw_infra_rtt(it->sh->infra, (const struct sockaddr *)ss, rtt_us, now_us(it));
	if (it->sh->rtt_hist) {
		int b = 0;
		while (b < RW_RTT_BUCKETS - 1 && rtt_us >= rw_rtt_bucket_ms[b] * 1000u)
			b++;
		it->sh->rtt_hist[b]++;
	}
	handle_reply(it, pkt, len, out);
	return true;
}

void rw_iter_timeout(struct rw_iter *it, int err, struct rw_iter_out *out)
{
	if (it->done)
		return;
	it->waiting = false;
	struct ns_addr *a = &it->ns[it->cur_ns].addr[it->cur_addr];
	const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
	bool case_trouble = it->case_mismatch && err == -ETIMEDOUT;
	struct rw_trace_event *e = iter_trace_ev(it, RW_EV_TIMEOUT);
	if (e) {
		e->server = dstr(it->ns[it->cur_ns].name);
		e->addr = a->ss;
		e->addrlen = a->len;
		e->after_ms = (uint32_t)(now_ms(it) - it->sent_ms);
		e->text = strdup(case_trouble ? "timeout; the only reply did not echo the 0x20 case"
				 : err == -ETIMEDOUT ? "timeout"
						     : strerror(-err));
	}
	if (it->sh->infra) {
		if (err == -ETIMEDOUT)
			rw_infra_timeout(it->sh->infra, sa, now_us(it));
		if (case_trouble)
			rw_infra_set_no_0x20(it->sh->infra, sa, now_us(it));
	}
	if (err != -ETIMEDOUT) {
		a->dead = true; /* unreachable (no route, refused): do not retry this address */
		it->net_errors++;
	} else {
		it->timeouts++;
		it->sh->timeouts++;
	}
	if (case_trouble && it->sh->upstream < it->sh->cfg->max_upstream_queries) {
		/* the server answers but not in our case: ask it once more without 0x20 */
		it->cur_0x20 = false;
		iter_send_query(it, it->cur_tcp, false, out);
		return;
	}
	iter_next_server(it, out);
}

void rw_iter_subresult(struct rw_iter *it, const struct rw_iter *child, struct rw_iter_out *out)
{
	if (it->done)
		return;
	if (child && child->rcode == LDNS_RCODE_NOERROR) {
		struct ns_entry *ns = &it->ns[it->sub_ns];
		for (size_t i = 0; i < child->n_recs; i++) {
			const ldns_rr *rr = child->recs[i].rr;
			if (ldns_rr_get_type(rr) == it->sub_type)
				iter_ns_add_addr(it, ns, rr, ADDR_DNS);
		}
	}
	iter_next_server(it, out);
}
