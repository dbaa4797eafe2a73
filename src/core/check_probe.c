/* `rootwalk check`: the questions to every server of the zone (SOA and NS at the apex, NAME/TYPE,
 * the SOA once over TCP; UDP asked twice at most, TCP when truncated), how each server is
 * classified, and the details asked of one good server afterwards: the child's own addresses of
 * its name servers, the types NAME has, a CNAME at the apex, and the addresses of MX, NS and
 * CNAME targets (walks of the check's own). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/present.h"
#include "rootwalk/zonecut.h"
#include "check_impl.h"
#include "resolver_impl.h"

/* The common types asked one by one when a server will not list them for ANY (RFC 8482). */
static const uint16_t common_types[] = {
	LDNS_RR_TYPE_A,	  LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_CNAME, LDNS_RR_TYPE_MX,
	LDNS_RR_TYPE_TXT, LDNS_RR_TYPE_NS,   LDNS_RR_TYPE_SOA,	 LDNS_RR_TYPE_SRV,
	LDNS_RR_TYPE_CAA, LDNS_RR_TYPE_PTR,  LDNS_RR_TYPE_HTTPS,
};

static void name_text(const ldns_rdf *n, char *buf, size_t len)
{
	char *t = n ? rw_present_name(n) : NULL;
	snprintf(buf, len, "%s", t ? t : "?");
	free(t);
}

/* A server whose query could not even be sent. */
static void send_failed(struct ck_server *s, int rc)
{
	if (s->state != CK_ST_PENDING)
		return;
	s->state = CK_ST_ERROR;
	if (rc == -EPERM)
		snprintf(
			s->detail, sizeof(s->detail),
			"not asked: do-not-query-localhost, do-ip4 or do-ip6 rule its address out");
	else
		snprintf(s->detail, sizeof(s->detail), "the query could not be sent: %s",
			 strerror(-rc));
}

void ck_probe_server(struct rw_check *ck, int i)
{
	struct ck_server *s = &ck->servers[i];
	if (s->probed || !ck->zone)
		return;
	s->probed = true;
	int rc = ck_send(ck, CK_P_SOA, i, -1, ck->zone, LDNS_RR_TYPE_SOA, &s->addr, false, 0);
	if (rc < 0) {
		send_failed(s, rc);
		return;
	}
	if (ck->serials)
		return;
	ck_send(ck, CK_P_NS, i, -1, ck->zone, LDNS_RR_TYPE_NS, &s->addr, false, 0);
	ck_send(ck, CK_P_QUERY, i, -1, ck->name, ck->qtype, &s->addr, false, 0);
	if (ck_send(ck, CK_P_SOA_TCP, i, -1, ck->zone, LDNS_RR_TYPE_SOA, &s->addr, true, 0) < 0)
		s->tcp = CK_TCP_FAILED;
}

/* The first record of type at owner in rrs, or NULL. */
static const ldns_rr *find_rr(const ldns_rr_list *rrs, const ldns_rdf *owner, uint16_t type)
{
	for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		if (ldns_rr_get_type(rr) == type &&
		    (!owner || ldns_dname_compare(ldns_rr_owner(rr), owner) == 0))
			return rr;
	}
	return NULL;
}

/* The answer to the SOA question at the apex says what the server is to the zone. */
static void classify(struct rw_check *ck, struct ck_server *s, const ldns_pkt *pkt)
{
	int rcode = ldns_pkt_get_rcode(pkt);
	const ldns_rr *soa = find_rr(ldns_pkt_answer(pkt), NULL, LDNS_RR_TYPE_SOA);
	const ldns_rr *asoa = find_rr(ldns_pkt_authority(pkt), NULL, LDNS_RR_TYPE_SOA);
	const ldns_rr *ns = find_rr(ldns_pkt_authority(pkt), NULL, LDNS_RR_TYPE_NS);
	char other[256];

	if (rcode == LDNS_RCODE_REFUSED) {
		s->state = CK_ST_REFUSED;
		snprintf(s->detail, sizeof(s->detail), "REFUSED the zone's SOA question");
	} else if (rcode != LDNS_RCODE_NOERROR) {
		s->state = CK_ST_ERROR;
		snprintf(s->detail, sizeof(s->detail), "%s to the zone's SOA question",
			 rw_present_rcode(rcode));
	} else if (soa && ldns_dname_compare(ldns_rr_owner(soa), ck->zone) == 0) {
		s->state = ldns_pkt_aa(pkt) ? CK_ST_OK : CK_ST_NOTAUTH;
		const ldns_rdf *serial = ldns_rr_rdf(soa, 2);
		ldns_rr_free(s->soa);
		s->soa = ldns_rr_clone(soa);
		if (serial && ldns_rdf_size(serial) == 4) {
			s->have_serial = true;
			s->serial = ldns_rdf2native_int32(serial);
		}
		if (s->state == CK_ST_NOTAUTH)
			snprintf(s->detail, sizeof(s->detail),
				 "answers the zone's SOA without the AA bit (from a cache?)");
	} else if (ldns_pkt_aa(pkt) &&
		   find_rr(ldns_pkt_answer(pkt), ck->zone, LDNS_RR_TYPE_CNAME)) {
		/* it serves the zone, whose apex is a CNAME (cname-at-apex): not the server's
		 * fault (Knot answers so) */
		s->state = CK_ST_OK;
		ck->apex_cname = true;
		snprintf(s->detail, sizeof(s->detail),
			 "answers the zone's SOA question with the CNAME at its apex (no SOA "
			 "record)");
	} else if (!ldns_pkt_aa(pkt) && ns) {
		s->state = CK_ST_WRONGZONE;
		name_text(ldns_rr_owner(ns), other, sizeof(other));
		snprintf(s->detail, sizeof(s->detail), "answers with a referral to %s", other);
	} else if (soa || asoa) {
		s->state = CK_ST_WRONGZONE;
		name_text(ldns_rr_owner(soa ? soa : asoa), other, sizeof(other));
		snprintf(s->detail, sizeof(s->detail), "answers for the zone %s instead", other);
	} else if (!ldns_pkt_aa(pkt)) {
		s->state = CK_ST_NOTAUTH;
		snprintf(s->detail, sizeof(s->detail), "answers without the AA bit");
	} else {
		s->state = CK_ST_ERROR;
		snprintf(s->detail, sizeof(s->detail), "no SOA record in its authoritative answer");
	}
}

static void keep_answer(struct ck_server *s, const ldns_pkt *pkt)
{
	struct ck_answer *a = &s->ans;
	ldns_rr_list_deep_free(a->rrs);
	ldns_rr_free(a->soa);
	memset(a, 0, sizeof(*a));
	a->got = true;
	a->rcode = ldns_pkt_get_rcode(pkt);
	a->aa = ldns_pkt_aa(pkt);
	a->rrs = ldns_rr_list_clone(ldns_pkt_answer(pkt));
	const ldns_rr *soa = find_rr(ldns_pkt_authority(pkt), NULL, LDNS_RR_TYPE_SOA);
	a->soa = soa ? ldns_rr_clone(soa) : NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(a->rrs); i++) {
		uint32_t t = ldns_rr_ttl(ldns_rr_list_rr(a->rrs, i));
		if (i == 0 || t < a->min_ttl)
			a->min_ttl = t;
		if (i == 0 || t > a->max_ttl)
			a->max_ttl = t;
	}
}

static void add_type(struct rw_check *ck, uint16_t t)
{
	if (t == LDNS_RR_TYPE_RRSIG || t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3)
		return;
	for (int i = 0; i < ck->n_types; i++)
		if (ck->types[i] == t)
			return;
	if (ck->n_types < (int)(sizeof(ck->types) / sizeof(ck->types[0])))
		ck->types[ck->n_types++] = t;
}

/* ANY was not answered in full (RFC 8482: one HINFO, REFUSED, NOTIMP, silence): the common
 * types one by one. */
static void ask_common_types(struct rw_check *ck, const struct ck_probe *p)
{
	if (ck->types_asked)
		return;
	ck->types_asked = true;
	for (size_t i = 0; i < sizeof(common_types) / sizeof(common_types[0]); i++)
		if (common_types[i] != ck->qtype)
			ck_send(ck, CK_P_TYPES, p->server, -1, ck->name, common_types[i], &p->addr,
				false, 0);
}

static void types_reply(struct rw_check *ck, const struct ck_probe *p, const ldns_pkt *pkt)
{
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	uint16_t found[32];
	size_t n = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(an) && n < 32; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_dname_compare(ldns_rr_owner(rr), ck->name) != 0)
			continue;
		if (p->qtype != LDNS_RR_TYPE_ANY && ldns_rr_get_type(rr) != p->qtype)
			continue; /* a CNAME followed, say */
		found[n++] = ldns_rr_get_type(rr);
	}
	bool refused = p->qtype == LDNS_RR_TYPE_ANY &&
		       (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR || n == 0 ||
			(n == 1 && found[0] == LDNS_RR_TYPE_HINFO)); /* RFC 8482 */
	if (refused) {
		ask_common_types(ck, p);
		return;
	}
	for (size_t i = 0; i < n; i++)
		add_type(ck, found[i]);
	if (p->qtype == LDNS_RR_TYPE_ANY)
		ck->any_done = true;
}

/* An in-zone NS name that the zone makes a CNAME (RFC 2181 10.3): a target, looked up no
 * further. */
static void cname_ns(struct rw_check *ck, const ldns_rdf *name)
{
	for (int i = 0; i < ck->n_targets; i++)
		if (ldns_dname_compare(ck->targets[i].name, name) == 0 &&
		    ck->targets[i].from_type == LDNS_RR_TYPE_NS) {
			ck->targets[i].cname = true;
			return;
		}
	if (ck->n_targets == CK_MAX_TARGETS)
		return;
	struct ck_target *t = &ck->targets[ck->n_targets++];
	memset(t, 0, sizeof(*t));
	t->name = ldns_rdf_clone(name);
	t->from_type = LDNS_RR_TYPE_NS;
	t->cname = true;
	t->resolved = true; /* not looked up: its addresses are not the question here */
}

void ck_probe_reply(struct rw_check *ck, struct ck_probe *p, ldns_pkt *pkt, int64_t rtt_us)
{
	struct ck_server *s = &ck->servers[p->server];
	if (ldns_pkt_tc(pkt) && !p->tcp && ck_resend(ck, p, true, 1, p->no_edns) == 0)
		return;
	/* FORMERR to EDNS (RFC 6891 7): asked again without it, as resolvers do */
	if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_FORMERR && !p->no_edns &&
	    ck_resend(ck, p, p->tcp, p->tries, true) == 0)
		return;
	if (p->no_edns && ldns_pkt_get_rcode(pkt) != LDNS_RCODE_FORMERR &&
	    ck_addr_equal(&p->addr, &s->addr)) /* not the parent's server asked for the DS */
		s->no_edns = true;
	/* an authoritative CNAME owned by the apex, whatever the question (RFC 1034 3.6.2) */
	if (ldns_pkt_aa(pkt) && (p->purpose == CK_P_NS || p->purpose == CK_P_QUERY) &&
	    find_rr(ldns_pkt_answer(pkt), ck->zone, LDNS_RR_TYPE_CNAME))
		ck->apex_cname = true;
	switch (p->purpose) {
	case CK_P_SOA:
		s->have_rtt = true;
		s->rtt_us = rtt_us;
		classify(ck, s, pkt);
		break;
	case CK_P_NS:
		if (ldns_pkt_aa(pkt) && find_rr(ldns_pkt_answer(pkt), ck->zone, LDNS_RR_TYPE_NS)) {
			ldns_rr_list_deep_free(s->ns);
			s->ns = ldns_rr_list_new();
			const ldns_rr_list *an = ldns_pkt_answer(pkt);
			for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
				const ldns_rr *rr = ldns_rr_list_rr(an, i);
				if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
				    ldns_dname_compare(ldns_rr_owner(rr), ck->zone) == 0)
					ldns_rr_list_push_rr(s->ns, ldns_rr_clone(rr));
			}
			s->ns_ttl = ldns_rr_ttl(ldns_rr_list_rr(s->ns, 0));
		}
		break;
	case CK_P_QUERY:
		keep_answer(s, pkt);
		break;
	case CK_P_SOA_TCP:
		s->tcp = CK_TCP_OK;
		break;
	case CK_P_NSADDR:
		if (find_rr(ldns_pkt_answer(pkt), p->qname, LDNS_RR_TYPE_CNAME))
			cname_ns(ck, p->qname);
		for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(pkt)); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(pkt), i);
			if (ldns_rr_get_type(rr) == p->qtype &&
			    ldns_dname_compare(ldns_rr_owner(rr), p->qname) == 0)
				ldns_rr_list_push_rr(ck->child_addrs, ldns_rr_clone(rr));
		}
		break;
	case CK_P_TYPES:
		types_reply(ck, p, pkt);
		break;
	case CK_P_APEX:
		if (find_rr(ldns_pkt_answer(pkt), ck->zone, LDNS_RR_TYPE_CNAME))
			ck->apex_cname = true;
		break;
	case CK_P_DS:
	case CK_P_DNSKEY:
	case CK_P_SIGS:
		ck_dnssec_reply(ck, p, pkt);
		break;
	case CK_P_WALK:
		break;
	}
}

void ck_probe_timeout(struct rw_check *ck, struct ck_probe *p, int err)
{
	struct ck_server *s = &ck->servers[p->server];
	/* ICMP port unreachable (the edge's connected UDP socket, or a refused TCP connection):
	 * an answer of sorts, not asked again */
	bool unreachable = err == -ECONNREFUSED;
	if (!unreachable && !p->tcp && p->tries == 0 && !ck->over_budget && !ck->serials &&
	    ck_resend(ck, p, false, 1, p->no_edns) == 0)
		return;
	if (p->purpose == CK_P_SOA && s->state == CK_ST_PENDING && unreachable) {
		s->state = CK_ST_ERROR;
		snprintf(s->detail, sizeof(s->detail),
			 "port unreachable: nothing listens for DNS at this address (ICMP)");
	} else if (p->purpose == CK_P_SOA && s->state == CK_ST_PENDING) {
		s->state = CK_ST_TIMEOUT;
		snprintf(s->detail, sizeof(s->detail), "no answer to the zone's SOA question%s",
			 ck->over_budget ? " within the check's time budget" : " (asked twice)");
	}
	if (p->purpose == CK_P_SOA_TCP && s->tcp == CK_TCP_NOT_TRIED)
		s->tcp = CK_TCP_FAILED;
	if (p->purpose == CK_P_TYPES && p->qtype == LDNS_RR_TYPE_ANY)
		ask_common_types(ck, p);
}

/* A name server name's addresses: glue, else cached, else walks (A and AAAA). */
static void start_target(struct rw_check *ck, const ldns_rdf *name, uint16_t from_type,
			 enum ck_walk_kind kind)
{
	for (int i = 0; i < ck->n_targets; i++)
		if (ldns_dname_compare(ck->targets[i].name, name) == 0 &&
		    ck->targets[i].from_type == from_type)
			return;
	if (ck->n_targets == CK_MAX_TARGETS)
		return;
	struct ck_target *t = &ck->targets[ck->n_targets];
	memset(t, 0, sizeof(*t));
	t->name = ldns_rdf_clone(name);
	t->from_type = from_type;
	int ti = ck->n_targets++;
	int w[2];
	w[0] = ck_walk_new(ck, kind, name, LDNS_RR_TYPE_A, -1);
	if (w[0] >= 0)
		ck->walks[w[0]].target = ti;
	w[1] = ck_walk_new(ck, kind, name, LDNS_RR_TYPE_AAAA, -1);
	if (w[1] >= 0)
		ck->walks[w[1]].target = ti;
	t->walks_left = (w[0] >= 0) + (w[1] >= 0);
	for (int i = 0; i < 2; i++)
		if (w[i] >= 0)
			ck_walk_start(ck, w[i]);
}

struct cached_sink {
	struct rw_check *ck;
	const ldns_rdf *name;
	int added;
};

static bool cached_server(void *arg, const struct rw_cache_entry *e, bool parent_side)
{
	struct cached_sink *cs = arg;
	struct ck_addr a[CK_MAX_ADDRS];
	int n = ck_addrs_from(e->rrs, NULL, a, CK_MAX_ADDRS);
	(void)parent_side;
	for (int i = 0; i < n; i++)
		if (ck_server_add(cs->ck, cs->name, &a[i], CK_SRC_RESOLVED) >= 0)
			cs->added++;
	return true;
}

/* Servers for an NS name: the glue given, else cached addresses, else a walk. */
static void servers_for(struct rw_check *ck, const ldns_rdf *nsname, const ldns_rr_list *glue)
{
	struct ck_addr a[CK_MAX_ADDRS];
	int n = ck_addrs_from(glue, nsname, a, CK_MAX_ADDRS);
	for (int i = 0; i < n; i++)
		ck_server_add(ck, nsname, &a[i], CK_SRC_GLUE);
	if (n > 0)
		return;
	struct cached_sink cs = {ck, nsname, 0};
	rw_zonecut_addrs(ck->r->shared->cache, nsname, ck->r->env->now_wall_us(ck->r->env->ctx),
			 false, cached_server, &cs);
	if (cs.added == 0)
		start_target(ck, nsname, LDNS_RR_TYPE_NS, CK_W_NSADDR);
}

void ck_serials_start(struct rw_check *ck)
{
	struct rw_cache_entry ns;
	int64_t now = ck->r->env->now_wall_us(ck->r->env->ctx);
	ck->phase = CK_PH_PROBE;
	if (!rw_zonecut_find(ck->r->shared->cache, ck->name, false, now, NULL, NULL, &ns))
		return;
	ck->zone = ldns_rdf_clone(ns.owner);
	for (size_t i = 0; ns.rrs && i < ldns_rr_list_rr_count(ns.rrs); i++) {
		const ldns_rdf *n = ldns_rr_rdf(ldns_rr_list_rr(ns.rrs, i), 0);
		struct cached_sink cs = {ck, n, 0};
		if (n && ldns_rr_get_type(ldns_rr_list_rr(ns.rrs, i)) == LDNS_RR_TYPE_NS)
			rw_zonecut_addrs(ck->r->shared->cache, n, now, true, cached_server, &cs);
	}
	rw_cache_entry_clear(&ns);
	for (int i = 0; i < ck->n_servers; i++)
		ck_probe_server(ck, i);
}

void ck_servers_from_parent(struct rw_check *ck)
{
	struct ck_walk *w = &ck->walks[0];
	ck->zone = w->cut ? ldns_rdf_clone(w->cut) : NULL;
	if (!ck->zone)
		return;
	if (w->ref_parent) {
		ck->have_parent = true;
		ck->parent = ldns_rdf_clone(w->ref_parent);
		ck->parent_ns = ldns_rr_list_clone(w->ref_ns);
		ck->glue = ldns_rr_list_clone(w->ref_glue);
		ck->glue_tcp = w->ref_tcp;
		if (ldns_rr_list_rr_count(ck->parent_ns) > 0)
			ck->parent_ns_ttl = ldns_rr_ttl(ldns_rr_list_rr(ck->parent_ns, 0));
		memcpy(ck->parent_servers, w->ref_servers, sizeof(w->ref_servers));
		ck->n_parent_servers = w->n_ref_servers;
	}
	const ldns_rr_list *names = ck->have_parent ? ck->parent_ns : w->cut_ns;
	const ldns_rr_list *glue =
		ck->have_parent ? ck->glue : (w->from_hints ? ck->r->hints->addrs : NULL);
	for (size_t i = 0; names && i < ldns_rr_list_rr_count(names); i++) {
		const ldns_rdf *n = ldns_rr_rdf(ldns_rr_list_rr(names, i), 0);
		if (n && ldns_rr_get_type(ldns_rr_list_rr(names, i)) == LDNS_RR_TYPE_NS)
			servers_for(ck, n, glue);
	}
}

static void target_walk_done(struct rw_check *ck, struct ck_walk *w);

static void nsaddr_walk_done(struct rw_check *ck, struct ck_walk *w)
{
	target_walk_done(ck, w);
	if (!w->final || w->target < 0)
		return;
	struct ck_addr a[CK_MAX_ADDRS];
	int n = ck_addrs_from(ldns_pkt_answer(w->final), NULL, a, CK_MAX_ADDRS);
	for (int i = 0; i < n; i++)
		ck_server_add(ck, ck->targets[w->target].name, &a[i], CK_SRC_RESOLVED);
}

static void target_walk_done(struct rw_check *ck, struct ck_walk *w)
{
	if (w->target < 0)
		return;
	struct ck_target *t = &ck->targets[w->target];
	t->walks_left--;
	if (!w->final)
		return;
	const ldns_rr_list *an = ldns_pkt_answer(w->final);
	if (find_rr(an, t->name, LDNS_RR_TYPE_CNAME))
		t->cname = true;
	if (find_rr(an, NULL, w->qtype))
		t->resolved = true;
}

void ck_servers_from_child(struct rw_check *ck)
{
	for (size_t i = 0; ck->child_addrs && i < ldns_rr_list_rr_count(ck->child_addrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ck->child_addrs, i);
		struct ck_addr a;
		ldns_rr_list *one = ldns_rr_list_new();
		ldns_rr_list_push_rr(one, (ldns_rr *)rr);
		if (ck_addrs_from(one, NULL, &a, 1) == 1)
			ck_server_add(ck, ldns_rr_owner(rr), &a, CK_SRC_CHILD);
		ldns_rr_list_free(one);
	}
}

void ck_walks_report(struct rw_check *ck)
{
	for (int i = 1; i < ck->n_walks; i++) {
		struct ck_walk *w = &ck->walks[i];
		if (!w->done || w->reported)
			continue;
		w->reported = true;
		if (w->kind == CK_W_NSADDR)
			nsaddr_walk_done(ck, w);
		else if (w->kind == CK_W_TARGET)
			target_walk_done(ck, w);
	}
}

/* The server the details are asked of: the first that answered well. */
static int pick_ref(const struct rw_check *ck)
{
	for (int i = 0; i < ck->n_servers; i++)
		if (ck->servers[i].state == CK_ST_OK && ck->servers[i].ans.got)
			return i;
	for (int i = 0; i < ck->n_servers; i++)
		if (ck->servers[i].state == CK_ST_OK)
			return i;
	return -1;
}

/* NS names (of the parent's and the child's sets) inside the zone: the child's own A and AAAA
 * records of each, asked of ref; those outside it, known to the child only: walks. */
static void detail_ns(struct rw_check *ck, const struct ck_server *rs)
{
	const ldns_rr_list *sets[2] = {ck->parent_ns, ck->child_ns};
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; sets[k] && i < ldns_rr_list_rr_count(sets[k]); i++) {
			const ldns_rdf *n = ldns_rr_rdf(ldns_rr_list_rr(sets[k], i), 0);
			bool dup = false;
			for (size_t j = 0; j < i; j++)
				dup = dup ||
				      ldns_dname_compare(
					      ldns_rr_rdf(ldns_rr_list_rr(sets[k], j), 0), n) == 0;
			for (size_t j = 0;
			     k == 1 && ck->parent_ns && j < ldns_rr_list_rr_count(ck->parent_ns);
			     j++)
				dup = dup ||
				      ldns_dname_compare(
					      ldns_rr_rdf(ldns_rr_list_rr(ck->parent_ns, j), 0),
					      n) == 0;
			if (!n || dup)
				continue;
			if (ldns_dname_is_subdomain(n, ck->zone)) {
				ck_send(ck, CK_P_NSADDR, ck->ref, -1, n, LDNS_RR_TYPE_A, &rs->addr,
					false, 0);
				ck_send(ck, CK_P_NSADDR, ck->ref, -1, n, LDNS_RR_TYPE_AAAA,
					&rs->addr, false, 0);
			} else if (k == 1) {
				start_target(ck, n, LDNS_RR_TYPE_NS, CK_W_NSADDR);
			}
		}
}

/* MX exchanges, NS names and a CNAME target that leaves the zone: do they resolve? */
static void detail_targets(struct rw_check *ck, const struct ck_answer *a)
{
	const ldns_rdf *last_cname = NULL;
	bool final_data = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(a->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(a->rrs, i);
		uint16_t t = ldns_rr_get_type(rr);
		if (t == LDNS_RR_TYPE_MX && ck->qtype == LDNS_RR_TYPE_MX && ldns_rr_rdf(rr, 1))
			start_target(ck, ldns_rr_rdf(rr, 1), LDNS_RR_TYPE_MX, CK_W_TARGET);
		else if (t == LDNS_RR_TYPE_NS && ck->qtype == LDNS_RR_TYPE_NS && ldns_rr_rdf(rr, 0))
			start_target(ck, ldns_rr_rdf(rr, 0), LDNS_RR_TYPE_NS, CK_W_TARGET);
		if (t == LDNS_RR_TYPE_CNAME)
			last_cname = ldns_rr_rdf(rr, 0);
		if (t == ck->qtype)
			final_data = true;
	}
	if (last_cname && !final_data && ck->qtype != LDNS_RR_TYPE_CNAME)
		start_target(ck, last_cname, LDNS_RR_TYPE_CNAME, CK_W_TARGET);
}

void ck_detail_start(struct rw_check *ck)
{
	ck->ref = pick_ref(ck);
	if (ck->ref < 0)
		return;
	struct ck_server *rs = &ck->servers[ck->ref];
	if (rs->ns) {
		ck->child_ns = ldns_rr_list_clone(rs->ns);
		ck->child_ns_ttl = rs->ns_ttl;
	}
	ck->child_addrs = ldns_rr_list_new();
	detail_ns(ck, rs);
	ck_send(ck, CK_P_APEX, ck->ref, -1, ck->zone, LDNS_RR_TYPE_CNAME, &rs->addr, false, 0);
	ck_dnssec_start(ck);
	const struct ck_answer *a = &rs->ans;
	if (!a->got || a->rcode != LDNS_RCODE_NOERROR)
		return;
	bool cname = find_rr(a->rrs, ck->name, LDNS_RR_TYPE_CNAME) != NULL;
	bool data = find_rr(a->rrs, ck->name, ck->qtype) != NULL;
	/* The types at NAME: ANY, and type by type too, since servers may answer ANY with one
	 * RRset (RFC 8482; NSD over UDP) or follow a CNAME for it. */
	struct ck_probe any = {.server = ck->ref, .addr = rs->addr};
	if (!data || cname) {
		ck_send(ck, CK_P_TYPES, ck->ref, -1, ck->name, LDNS_RR_TYPE_ANY, &rs->addr, false,
			0);
		ask_common_types(ck, &any);
	}
	detail_targets(ck, a);
}
