/* `rootwalk check`: walks down the delegations with RD=0 questions, from the closest cached
 * delegation (or the root hints), keeping the referrals to the check: nothing goes into the
 * cache. A walk asks one server at a time, the next one when a server fails; a referral whose
 * name servers have neither glue nor cached addresses waits for address walks of its own
 * (bounded in depth and number). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/zonecut.h"
#include "check_impl.h"
#include "resolver_impl.h"

#define MAX_WALK_DEPTH 2 /* address walks of address walks, no deeper */

int ck_walk_new(struct rw_check *ck, enum ck_walk_kind kind, const ldns_rdf *qname, uint16_t qtype,
		int parent)
{
	if (ck->n_walks == CK_MAX_WALKS)
		return -1;
	struct ck_walk *w = &ck->walks[ck->n_walks];
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->parent = parent;
	w->depth = parent >= 0 ? ck->walks[parent].depth + 1 : (kind == CK_W_MAIN ? 0 : 1);
	w->qname = ldns_rdf_clone(qname);
	w->qtype = qtype;
	w->target = -1;
	if (!w->qname)
		return -1;
	return ck->n_walks++;
}

void ck_walk_free(struct ck_walk *w)
{
	ldns_rdf_deep_free(w->qname);
	ldns_rdf_deep_free(w->cut);
	ldns_rr_list_deep_free(w->cut_ns);
	ldns_pkt_free(w->final);
	ldns_rdf_deep_free(w->ref_parent);
	ldns_rr_list_deep_free(w->ref_ns);
	ldns_rr_list_deep_free(w->ref_glue);
	ldns_pkt_free(w->udp_ref);
	memset(w, 0, sizeof(*w));
}

static bool cached_addr(void *arg, const struct rw_cache_entry *e, bool parent_side)
{
	struct ck_walk *w = arg;
	(void)parent_side;
	struct ck_addr tmp[CK_MAX_ADDRS];
	int n = ck_addrs_from(e->rrs, NULL, tmp, CK_MAX_ADDRS);
	for (int i = 0; i < n && w->n_addrs < CK_MAX_ADDRS; i++) {
		bool dup = false;
		for (int k = 0; k < w->n_addrs; k++)
			dup = dup || ck_addr_equal(&w->addrs[k], &tmp[i]);
		if (!dup)
			w->addrs[w->n_addrs++] = tmp[i];
	}
	return w->n_addrs < CK_MAX_ADDRS;
}

/* Cached addresses of every NS name of the walk's cut. */
static void addrs_from_cache(struct rw_check *ck, struct ck_walk *w)
{
	int64_t now = ck->r->env->now_wall_us(ck->r->env->ctx);
	for (size_t i = 0; w->cut_ns && i < ldns_rr_list_rr_count(w->cut_ns); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(w->cut_ns, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && ldns_rr_rdf(rr, 0))
			rw_zonecut_addrs(ck->r->shared->cache, ldns_rr_rdf(rr, 0), now, true,
					 cached_addr, w);
	}
}

static bool usable_cut(void *arg, const struct rw_cache_entry *ns)
{
	struct rw_check *ck = arg;
	struct ck_walk tmp;
	memset(&tmp, 0, sizeof(tmp));
	tmp.cut_ns = ns->rrs;
	addrs_from_cache(ck, &tmp);
	return tmp.n_addrs > 0;
}

/* The walk begins at the closest cached cut at or above from, else at the root hints. */
static void cut_from_cache(struct rw_check *ck, struct ck_walk *w, const ldns_rdf *from)
{
	struct rw_cache_entry ns;
	int64_t now = ck->r->env->now_wall_us(ck->r->env->ctx);
	ldns_rdf_deep_free(w->cut);
	ldns_rr_list_deep_free(w->cut_ns);
	w->cut = NULL;
	w->cut_ns = NULL;
	w->n_addrs = w->next = 0;
	if (from && rw_zonecut_find(ck->r->shared->cache, from, false, now, usable_cut, ck, &ns)) {
		w->cut = ldns_rdf_clone(ns.owner);
		w->cut_ns = ldns_rr_list_clone(ns.rrs);
		rw_cache_entry_clear(&ns);
		addrs_from_cache(ck, w);
		w->from_hints = false;
		if (w->n_addrs > 0 && w->cut)
			return;
	}
	const struct rw_hints *h = ck->r->hints;
	ldns_rdf_deep_free(w->cut);
	ldns_rr_list_deep_free(w->cut_ns);
	w->cut = ldns_dname_new_frm_str(".");
	w->cut_ns = h ? ldns_rr_list_clone(h->ns) : NULL;
	w->n_addrs = h ? ck_addrs_from(h->addrs, NULL, w->addrs, CK_MAX_ADDRS) : 0;
	w->from_hints = true;
}

static void walk_next(struct rw_check *ck, int wi);

/* The walk is over: the walk waiting for its addresses goes on, or the check hears of it. */
static void walk_done(struct rw_check *ck, int wi)
{
	struct ck_walk *w = &ck->walks[wi];
	w->done = true;
	if (w->kind == CK_W_MAIN && !w->failed && w->referrals == 0 && !w->from_hints &&
	    w->steps < RW_CHECK_MAX_STEPS && ldns_dname_label_count(w->cut) > 0) {
		/* answered by the servers of the cached cut: ask the one above it for the
		 * delegation */
		ldns_rdf *up = ldns_dname_left_chop(w->cut);
		ldns_pkt_free(w->final);
		w->final = NULL;
		w->done = false;
		w->steps++;
		cut_from_cache(ck, w, up);
		ldns_rdf_deep_free(up);
		walk_next(ck, wi);
		return;
	}
	if (w->kind == CK_W_NSADDR && w->parent >= 0) {
		struct ck_walk *pw = &ck->walks[w->parent];
		if (w->final)
			for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(w->final)) &&
					   pw->n_addrs < CK_MAX_ADDRS;
			     i++) {
				ldns_rr_list *one = ldns_rr_list_new();
				ldns_rr_list_push_rr(one,
						     ldns_rr_list_rr(ldns_pkt_answer(w->final), i));
				pw->n_addrs += ck_addrs_from(one, NULL, pw->addrs + pw->n_addrs, 1);
				ldns_rr_list_free(one);
			}
		w->reported = true;
		if (--pw->waiting == 0 && !pw->done)
			walk_next(ck, w->parent);
	}
	/* the others are reported by ck_walks_report() */
}

static void walk_fail(struct rw_check *ck, int wi, const char *why)
{
	struct ck_walk *w = &ck->walks[wi];
	w->failed = true;
	snprintf(w->why, sizeof(w->why), "%s", why);
	walk_done(ck, wi);
}

/* Ask the next address of the cut, or fail when none is left. */
static void walk_next(struct rw_check *ck, int wi)
{
	struct ck_walk *w = &ck->walks[wi];
	while (w->next < w->n_addrs) {
		const struct ck_addr *a = &w->addrs[w->next++];
		if (ck_send(ck, CK_P_WALK, -1, wi, w->qname, w->qtype, a, false, 0) == 0)
			return;
	}
	char cut[256] = "?", why[320];
	char *c = w->cut ? rw_present_name(w->cut) : NULL;
	if (c)
		snprintf(cut, sizeof(cut), "%s", c);
	free(c);
	if (w->n_addrs == 0)
		snprintf(why, sizeof(why), "no address for any server of %s", cut);
	else
		snprintf(why, sizeof(why), "no server of %s answered (%d of %d silent)", cut,
			 w->timeouts, w->n_addrs);
	walk_fail(ck, wi, why);
}

void ck_walk_start(struct rw_check *ck, int wi)
{
	struct ck_walk *w = &ck->walks[wi];
	cut_from_cache(ck, w, w->qname);
	walk_next(ck, wi);
}

/* Addresses of the referral's NS names: glue, else cached; with none, address walks (two
 * names at most). Returns the walks started. */
static int referral_addrs(struct rw_check *ck, int wi)
{
	struct ck_walk *w = &ck->walks[wi];
	for (size_t i = 0; i < ldns_rr_list_rr_count(w->cut_ns); i++) {
		const ldns_rdf *n = ldns_rr_rdf(ldns_rr_list_rr(w->cut_ns, i), 0);
		if (n && w->n_addrs < CK_MAX_ADDRS)
			w->n_addrs += ck_addrs_from(w->ref_glue, n, w->addrs + w->n_addrs,
						    CK_MAX_ADDRS - w->n_addrs);
	}
	if (w->n_addrs == 0)
		addrs_from_cache(ck, w);
	if (w->n_addrs > 0 || w->depth >= MAX_WALK_DEPTH)
		return 0;
	int started[2], n = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(w->cut_ns) && n < 2; i++) {
		const ldns_rdf *ns = ldns_rr_rdf(ldns_rr_list_rr(w->cut_ns, i), 0);
		if (!ns || ldns_dname_is_subdomain(ns, w->cut))
			continue; /* in-zone without glue: no use */
		int s = ck_walk_new(ck, CK_W_NSADDR, ns, LDNS_RR_TYPE_A, wi);
		if (s < 0)
			break;
		started[n++] = s;
	}
	w->waiting = n; /* all counted before any can end */
	for (int i = 0; i < n; i++)
		ck_walk_start(ck, started[i]);
	return n;
}

/* A referral down towards qname: the new cut, and the last referral remembered. */
static bool take_referral(struct rw_check *ck, int wi, const ldns_pkt *pkt, const ldns_rdf *o,
			  bool tcp)
{
	struct ck_walk *w = &ck->walks[wi];
	ldns_rr_list *ns = ldns_rr_list_new(), *glue = ldns_rr_list_new();
	const ldns_rr_list *auth = ldns_pkt_authority(pkt), *add = ldns_pkt_additional(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
		    ldns_dname_compare(ldns_rr_owner(rr), o) == 0)
			ldns_rr_list_push_rr(ns, ldns_rr_clone(rr));
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(add); i++) {
		ldns_rr *rr = ldns_rr_list_rr(add, i);
		uint16_t t = ldns_rr_get_type(rr);
		for (size_t k = 0; (t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA) &&
				   k < ldns_rr_list_rr_count(ns);
		     k++)
			if (ldns_dname_compare(ldns_rr_owner(rr),
					       ldns_rr_rdf(ldns_rr_list_rr(ns, k), 0)) == 0) {
				ldns_rr_list_push_rr(glue, ldns_rr_clone(rr));
				break;
			}
	}
	ldns_rdf_deep_free(w->ref_parent);
	ldns_rr_list_deep_free(w->ref_ns);
	ldns_rr_list_deep_free(w->ref_glue);
	w->ref_parent = w->cut;
	w->ref_ns = ns;
	w->ref_glue = glue;
	w->ref_tcp = tcp;
	memcpy(w->ref_servers, w->addrs, sizeof(w->addrs));
	w->n_ref_servers = w->n_addrs;
	w->cut = ldns_rdf_clone(o);
	ldns_rr_list_deep_free(w->cut_ns);
	w->cut_ns = ldns_rr_list_clone(ns);
	w->n_addrs = w->next = 0;
	w->steps++;
	w->referrals++;
	if (referral_addrs(ck, wi) > 0)
		return true; /* walk_next when the addresses are in */
	walk_next(ck, wi);
	return true;
}

/* The owner of a referral's NS set: below the cut, at or above qname. */
static const ldns_rdf *referral_owner(const struct ck_walk *w, const ldns_pkt *pkt)
{
	const ldns_rr_list *auth = ldns_pkt_authority(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		const ldns_rdf *o = ldns_rr_owner(rr);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || ldns_dname_compare(o, w->cut) == 0)
			continue;
		if (ldns_dname_is_subdomain(o, w->cut) &&
		    (ldns_dname_compare(o, w->qname) == 0 || ldns_dname_is_subdomain(w->qname, o)))
			return o;
	}
	return NULL;
}

/* Whether a referral to o leaves out the glue of an NS name inside o. Servers may drop glue
 * from a UDP referral that does not fit without setting TC (NSD does; RFC 9471 says in-domain
 * glue must come or TC be set): such a referral is asked again over TCP. */
static bool glue_left_out(const ldns_pkt *pkt, const ldns_rdf *o)
{
	const ldns_rr_list *auth = ldns_pkt_authority(pkt), *add = ldns_pkt_additional(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		const ldns_rdf *n = ldns_rr_rdf(rr, 0);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || !n ||
		    ldns_dname_compare(ldns_rr_owner(rr), o) != 0 || !ldns_dname_is_subdomain(n, o))
			continue;
		bool found = false;
		for (size_t k = 0; k < ldns_rr_list_rr_count(add) && !found; k++) {
			const ldns_rr *g = ldns_rr_list_rr(add, k);
			uint16_t t = ldns_rr_get_type(g);
			found = (t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA) &&
				ldns_dname_compare(ldns_rr_owner(g), n) == 0;
		}
		if (!found)
			return true;
	}
	return false;
}

/* The UDP referral kept while TCP was tried (the TCP answer, when not a referral to the same
 * zone, or no answer at all): taken as it is. Returns whether there was one. */
static bool take_udp_referral(struct rw_check *ck, int wi)
{
	struct ck_walk *w = &ck->walks[wi];
	ldns_pkt *pkt = w->udp_ref;
	if (!pkt)
		return false;
	w->udp_ref = NULL;
	const ldns_rdf *o = referral_owner(w, pkt);
	bool taken = o && take_referral(ck, wi, pkt, o, false);
	ldns_pkt_free(pkt);
	return taken;
}

void ck_walk_reply(struct rw_check *ck, struct ck_probe *p, ldns_pkt *pkt)
{
	int wi = p->walk;
	struct ck_walk *w = &ck->walks[wi];
	if (w->done)
		return;
	int rcode = ldns_pkt_get_rcode(pkt);
	if (ldns_pkt_tc(pkt) && !p->tcp && ck_resend(ck, p, true, 0, p->no_edns) == 0)
		return;
	if (rcode == LDNS_RCODE_FORMERR && !p->no_edns && ck_resend(ck, p, p->tcp, 0, true) == 0)
		return; /* without EDNS (RFC 6891 7) */
	if (ldns_pkt_aa(pkt) && (rcode == LDNS_RCODE_NOERROR || rcode == LDNS_RCODE_NXDOMAIN)) {
		w->final = ldns_pkt_clone(pkt);
		w->final_from = p->addr;
		walk_done(ck, wi);
		return;
	}
	const ldns_rdf *o = rcode == LDNS_RCODE_NOERROR ? referral_owner(w, pkt) : NULL;
	if (o && w->steps < RW_CHECK_MAX_STEPS && !p->tcp && glue_left_out(pkt, o) &&
	    ck_resend(ck, p, true, 0, p->no_edns) == 0) {
		ldns_pkt_free(w->udp_ref);
		w->udp_ref = ldns_pkt_clone(pkt); /* once: the TCP answer is taken as it is */
		return;
	}
	const ldns_rdf *udp_o = w->udp_ref ? referral_owner(w, w->udp_ref) : NULL;
	if (o && udp_o && ldns_dname_compare(o, udp_o) != 0)
		o = NULL; /* over TCP, not the referral UDP gave: that one stands */
	if (o && w->steps < RW_CHECK_MAX_STEPS && take_referral(ck, wi, pkt, o, p->tcp)) {
		ldns_pkt_free(w->udp_ref);
		w->udp_ref = NULL;
		return;
	}
	if (p->tcp && take_udp_referral(ck, wi))
		return;
	walk_next(ck, wi);
}

void ck_walk_timeout(struct rw_check *ck, struct ck_probe *p)
{
	struct ck_walk *w = &ck->walks[p->walk];
	if (w->done)
		return;
	if (p->tcp && take_udp_referral(ck, p->walk))
		return; /* TCP failed: the UDP referral, glue left out as it is */
	w->timeouts++;
	walk_next(ck, p->walk);
}
