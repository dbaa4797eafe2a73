/* `rootwalk check`: the findings, from what the servers said (codes and severities: the
 * contract in rootwalk(1), CHECK). Each finding is one plain sentence and the addresses of the
 * servers it is about. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/present.h"
#include "check_impl.h"
#include "resolver_impl.h"

static void addr_of(const struct ck_server *s, char *buf, size_t len)
{
	ck_addr_text(&s->addr, buf, len);
}

static void append(char *buf, size_t cap, const char *sep, const char *s)
{
	size_t n = strlen(buf);
	if (n + strlen(sep) + strlen(s) + 1 > cap)
		return;
	snprintf(buf + n, cap - n, "%s%s", n ? sep : "", s);
}

/* One finding per kind of lame or silent server, naming each. */
static void find_servers(struct rw_check *ck)
{
	static const struct {
		enum ck_state st;
		const char *code;
		const char *what;
	} kinds[] = {
		{CK_ST_REFUSED, "lame-refused", "refuse to answer for the zone (lame)"},
		{CK_ST_NOTAUTH, "lame-not-authoritative",
		 "are not authoritative for the zone (lame)"},
		{CK_ST_WRONGZONE, "lame-wrong-zone", "answer for another zone (lame)"},
		{CK_ST_TIMEOUT, "server-timeout", "do not answer"},
		{CK_ST_ERROR, "server-error", "answer with an error"},
	};
	char *zone = ck->zone ? rw_present_name(ck->zone) : NULL;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char addrs[256] = "", text[900] = "", a[64];
		int n = 0;
		for (int i = 0; i < ck->n_servers; i++) {
			const struct ck_server *s = &ck->servers[i];
			if (s->state != kinds[k].st)
				continue;
			char *nm = rw_present_name(s->nsname), one[400];
			addr_of(s, a, sizeof(a));
			append(addrs, sizeof(addrs), " ", a);
			snprintf(one, sizeof(one), "%s (%s) %s", nm ? nm : "?", a, s->detail);
			append(text, sizeof(text), "; ", one);
			free(nm);
			n++;
		}
		if (n > 0)
			ck_finding(ck, CK_ERROR, kinds[k].code, addrs,
				   "%d of %d servers of %s %s: %s", n, ck->n_servers,
				   zone ? zone : "?", kinds[k].what, text);
	}
	free(zone);
}

static bool has_ns(const ldns_rr_list *set, const ldns_rdf *n)
{
	for (size_t i = 0; set && i < ldns_rr_list_rr_count(set); i++)
		if (ldns_dname_compare(ldns_rr_rdf(ldns_rr_list_rr(set, i), 0), n) == 0)
			return true;
	return false;
}

/* Servers that answer FORMERR to EDNS and only then answer (RFC 6891 7). */
static void find_no_edns(struct rw_check *ck)
{
	char addrs[256] = "", text[700] = "", a[64];
	int n = 0;
	for (int i = 0; i < ck->n_servers; i++) {
		const struct ck_server *s = &ck->servers[i];
		if (!s->no_edns)
			continue;
		n++;
		char *nm = rw_present_name(s->nsname), one[320];
		addr_of(s, a, sizeof(a));
		append(addrs, sizeof(addrs), " ", a);
		snprintf(one, sizeof(one), "%s (%s)", nm ? nm : "?", a);
		append(text, sizeof(text), ", ", one);
		free(nm);
	}
	if (addrs[0])
		ck_finding(ck, CK_WARNING, "server-no-edns", addrs,
			   "%s answer%s FORMERR to questions with EDNS (RFC 6891) and answer%s "
			   "only without it: no large UDP answers, no DNSSEC records",
			   text, n == 1 ? "s" : "", n == 1 ? "s" : "");
}

/* NS names in one set and not the other. */
static void find_ns_sets(struct rw_check *ck)
{
	if (!ck->have_parent || !ck->child_ns)
		return;
	const ldns_rr_list *sets[2] = {ck->parent_ns, ck->child_ns};
	for (int k = 0; k < 2; k++) {
		char names[600] = "";
		for (size_t i = 0; i < ldns_rr_list_rr_count(sets[k]); i++) {
			const ldns_rdf *n = ldns_rr_rdf(ldns_rr_list_rr(sets[k], i), 0);
			if (has_ns(sets[1 - k], n))
				continue;
			char *t = rw_present_name(n);
			append(names, sizeof(names), ", ", t ? t : "?");
			free(t);
		}
		if (!names[0])
			continue;
		if (k == 0)
			ck_finding(ck, CK_WARNING, "ns-parent-only", NULL,
				   "the parent's delegation names %s, which the zone's own NS set "
				   "does not",
				   names);
		else
			ck_finding(ck, CK_WARNING, "ns-child-only", NULL,
				   "the zone's own NS set names %s, which the parent's delegation "
				   "does not (resolvers that start from the parent never ask it)",
				   names);
	}
}

static void addrs_text(const struct ck_addr *a, int n, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		char t[64];
		ck_addr_text(&a[i], t, sizeof(t));
		append(buf, len, " ", t);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

static bool same_addrs(const struct ck_addr *a, int na, const struct ck_addr *b, int nb)
{
	for (int i = 0; i < na; i++) {
		bool f = false;
		for (int j = 0; j < nb && !f; j++)
			f = ck_addr_equal(&a[i], &b[j]);
		if (!f)
			return false;
	}
	return na == nb;
}

/* In-zone NS names: the parent's glue against the child's own A/AAAA records. */
static void find_glue(struct rw_check *ck)
{
	if (!ck->have_parent || !ck->child_addrs || ck->ref < 0)
		return;
	for (size_t i = 0; i < ldns_rr_list_rr_count(ck->parent_ns); i++) {
		const ldns_rdf *n = ldns_rr_rdf(ldns_rr_list_rr(ck->parent_ns, i), 0);
		if (!n || !ldns_dname_is_subdomain(n, ck->zone))
			continue;
		struct ck_addr g[CK_MAX_ADDRS], c[CK_MAX_ADDRS];
		int ng = ck_addrs_from(ck->glue, n, g, CK_MAX_ADDRS);
		int nc = ck_addrs_from(ck->child_addrs, n, c, CK_MAX_ADDRS);
		if (same_addrs(g, ng, c, nc))
			continue;
		char gt[300], ct[300];
		char *t = rw_present_name(n);
		addrs_text(g, ng, gt, sizeof(gt));
		addrs_text(c, nc, ct, sizeof(ct));
		if (ng == 0)
			ck_finding(
				ck, CK_ERROR, "glue-mismatch", NULL,
				"the parent gives no glue for %s%s, the zone itself says %s: "
				"glue for a name inside the delegated zone is required (RFC 9471), "
				"without it resolvers cannot reach that server",
				t ? t : "?",
				ck->glue_tcp ? " (asked over TCP too)"
					     : " (over UDP; asking again over TCP failed)",
				ct);
		else
			ck_finding(ck, CK_ERROR, "glue-mismatch", gt,
				   "the parent's glue for %s is %s, the zone itself says %s",
				   t ? t : "?", gt, ct);
		free(t);
	}
}

static void find_serials(struct rw_check *ck)
{
	uint32_t top = 0;
	int n = 0;
	bool differ = false;
	for (int i = 0; i < ck->n_servers; i++) {
		const struct ck_server *s = &ck->servers[i];
		if (!s->have_serial || s->state != CK_ST_OK)
			continue;
		if (n > 0 && s->serial != top)
			differ = true;
		/* serial arithmetic (RFC 1982): the newest is ahead of the others */
		if (n == 0 || (int32_t)(s->serial - top) > 0)
			top = s->serial;
		n++;
	}
	if (!differ)
		return;
	char text[700] = "", behind[256] = "", a[64], one[120];
	for (int i = 0; i < ck->n_servers; i++) {
		const struct ck_server *s = &ck->servers[i];
		if (!s->have_serial || s->state != CK_ST_OK)
			continue;
		addr_of(s, a, sizeof(a));
		snprintf(one, sizeof(one), "%s %u%s", a, s->serial,
			 s->serial != top ? " (behind)" : "");
		append(text, sizeof(text), ", ", one);
		if (s->serial != top)
			append(behind, sizeof(behind), " ", a);
	}
	char *z = rw_present_name(ck->zone);
	ck_finding(ck, CK_ERROR, "serial-mismatch", behind,
		   "servers of %s disagree on the SOA serial: %s", z ? z : "?", text);
	free(z);
}

/* The records of an answer as short text: "192.0.2.1 192.0.2.2" (other types named: "CNAME
 * example.com. 192.0.2.1"), or the rcode. */
static void answer_brief(const struct ck_answer *a, uint16_t qtype, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < ldns_rr_list_rr_count(a->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(a->rrs, i);
		char *rd = rw_present_rdata(rr), tb[32], one[300];
		if (ldns_rr_get_type(rr) != qtype)
			snprintf(one, sizeof(one), "%s %s",
				 rw_present_type(ldns_rr_get_type(rr), tb, sizeof(tb)),
				 rd ? rd : "?");
		else
			snprintf(one, sizeof(one), "%s", rd ? rd : "?");
		append(buf, len, " ", one);
		free(rd);
	}
	if (!buf[0])
		snprintf(buf, len, "%s (no records)", rw_present_rcode(a->rcode));
}

static void find_answers(struct rw_check *ck)
{
	if (ck->ref < 0 || !ck->servers[ck->ref].ans.got)
		return;
	const struct ck_answer *ra = &ck->servers[ck->ref].ans;
	bool differ = false;
	for (int i = 0; i < ck->n_servers; i++) {
		const struct ck_answer *a = &ck->servers[i].ans;
		if (ck->servers[i].state == CK_ST_OK && a->got &&
		    (a->rcode != ra->rcode || !ck_same_rrset(a->rrs, ra->rrs)))
			differ = true;
	}
	if (!differ)
		return;
	char text[900] = "", addrs[256] = "", a[64], one[300], brief[200];
	for (int i = 0; i < ck->n_servers; i++) {
		const struct ck_server *s = &ck->servers[i];
		if (s->state != CK_ST_OK || !s->ans.got)
			continue;
		addr_of(s, a, sizeof(a));
		answer_brief(&s->ans, ck->qtype, brief, sizeof(brief));
		snprintf(one, sizeof(one), "%s says %s", a, brief);
		append(text, sizeof(text), "; ", one);
		append(addrs, sizeof(addrs), " ", a);
	}
	ck_finding(ck, CK_ERROR, "answer-mismatch", addrs, "the servers give different answers: %s",
		   text);
}

static const ldns_rr *first_of(const ldns_rr_list *rrs, const ldns_rdf *owner, uint16_t type)
{
	for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		if (ldns_rr_get_type(rr) == type &&
		    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0)
			return rr;
	}
	return NULL;
}

/* A CNAME at the apex, seen in any authoritative answer (to SOA, NS, NAME/TYPE, CNAME). */
static void find_apex(struct rw_check *ck)
{
	const struct ck_answer *a = ck->ref >= 0 ? &ck->servers[ck->ref].ans : NULL;
	if (!ck->zone ||
	    !(ck->apex_cname || (a && a->got && first_of(a->rrs, ck->zone, LDNS_RR_TYPE_CNAME))))
		return;
	char *z = rw_present_name(ck->zone);
	ck_finding(ck, CK_ERROR, "cname-at-apex", NULL,
		   "the apex of %s has a CNAME record: a CNAME may not stand beside the zone's SOA "
		   "and NS records (RFC 1034 3.6.2), so resolvers and servers disagree on what it "
		   "means",
		   z ? z : "?");
	free(z);
}

/* NXDOMAIN, NODATA (with the types the name has), CNAMEs where they may not be. */
static void find_records(struct rw_check *ck, const char *name, const char *type)
{
	if (ck->ref < 0 || !ck->servers[ck->ref].ans.got)
		return;
	const struct ck_answer *a = &ck->servers[ck->ref].ans;
	bool cname = first_of(a->rrs, ck->name, LDNS_RR_TYPE_CNAME) != NULL;
	char *z = rw_present_name(ck->zone);
	if (a->rcode == LDNS_RCODE_NXDOMAIN)
		ck_finding(ck, CK_ERROR, "nxdomain", NULL,
			   "%s does not exist (NXDOMAIN) in the zone %s", name, z ? z : "?");
	char types[300] = "", tb[32];
	bool other = false;
	for (int i = 0; i < ck->n_types; i++) {
		append(types, sizeof(types), ", ", rw_present_type(ck->types[i], tb, sizeof(tb)));
		if (ck->types[i] != LDNS_RR_TYPE_CNAME)
			other = true;
	}
	if (cname && other && ck->qtype != LDNS_RR_TYPE_CNAME)
		ck_finding(ck, CK_ERROR, "cname-and-other-data", NULL,
			   "%s has a CNAME record and other data (%s): a CNAME must stand alone "
			   "(RFC 1034 3.6.2)",
			   name, types);
	if (a->rcode == LDNS_RCODE_NOERROR && !cname && !first_of(a->rrs, ck->name, ck->qtype))
		ck_finding(ck, CK_WARNING, "nodata", NULL,
			   "%s has no %s record (NODATA); it has: %s", name, type,
			   types[0] ? types : "no records at all (only names below it)");
	free(z);
}

static void find_targets(struct rw_check *ck)
{
	for (int i = 0; i < ck->n_targets; i++) {
		const struct ck_target *t = &ck->targets[i];
		if (t->walks_left > 0)
			continue;
		char *n = rw_present_name(t->name), tb[32];
		const char *kind = rw_present_type(t->from_type, tb, sizeof(tb));
		if (t->cname && t->from_type != LDNS_RR_TYPE_CNAME)
			ck_finding(ck, CK_WARNING,
				   t->from_type == LDNS_RR_TYPE_MX ? "mx-target-cname"
								   : "ns-target-cname",
				   NULL,
				   "the %s target %s is a CNAME: %s records must name a host with "
				   "its own addresses (RFC 2181 10.3)",
				   kind, n ? n : "?", kind);
		if (!t->resolved)
			ck_finding(ck, CK_ERROR, "target-unresolvable", NULL,
				   "the %s target %s has no address (neither A nor AAAA resolves)",
				   kind, n ? n : "?");
		free(n);
	}
}

static void find_ttls(struct rw_check *ck)
{
	if (ck->ref < 0 || !ck->servers[ck->ref].ans.got)
		return;
	const struct ck_answer *a = &ck->servers[ck->ref].ans;
	if (ldns_rr_list_rr_count(a->rrs) == 0)
		return;
	if (a->max_ttl > 86400)
		ck_finding(ck, CK_WARNING, "ttl-long", NULL,
			   "the answer's TTL is %u s (over a day): a change takes that long to "
			   "reach every resolver",
			   a->max_ttl);
	if (a->min_ttl < 30)
		ck_finding(
			ck, CK_WARNING, "ttl-short", NULL,
			"the answer's TTL is %u s (under 30 s): resolvers ask again almost every "
			"time, and some raise it",
			a->min_ttl);
}

/* What this resolver holds for NAME/TYPE, and whether it differs from what the servers say. */
static void find_cache(struct rw_check *ck, const char *name)
{
	struct rw_cache *c = ck->r->shared->cache;
	int64_t now = ck->r->env->now_wall_us(ck->r->env->ctx);
	ck->cached = rw_cache_get(c, RW_ENTRY_RRSET, ck->name, ck->qtype, LDNS_RR_CLASS_IN, now,
				  RW_RANK_NONAUTH_ANSWER, &ck->cache) ||
		     rw_cache_get(c, RW_ENTRY_RRSET, ck->name, LDNS_RR_TYPE_CNAME, LDNS_RR_CLASS_IN,
				  now, RW_RANK_NONAUTH_ANSWER, &ck->cache) ||
		     rw_cache_get(c, RW_ENTRY_NODATA, ck->name, ck->qtype, LDNS_RR_CLASS_IN, now,
				  RW_RANK_NONE, &ck->cache) ||
		     rw_cache_get(c, RW_ENTRY_NXDOMAIN, ck->name, 0, LDNS_RR_CLASS_IN, now,
				  RW_RANK_NONE, &ck->cache);
	if (!ck->cached || ck->ref < 0 || !ck->servers[ck->ref].ans.got)
		return;
	const struct ck_answer *a = &ck->servers[ck->ref].ans;
	bool neg = ck->cache.kind != RW_ENTRY_RRSET;
	ldns_rr_list *now_rrs = ldns_rr_list_new();
	/* the servers' records at NAME of the cached type (TYPE, or the CNAME held instead);
	 * for a negative entry, any record of TYPE or CNAME */
	for (size_t i = 0; i < ldns_rr_list_rr_count(a->rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(a->rrs, i);
		uint16_t t = ldns_rr_get_type(rr);
		bool want = neg ? (t == ck->qtype || t == LDNS_RR_TYPE_CNAME) : t == ck->cache.type;
		if (want && ldns_dname_compare(ldns_rr_owner(rr), ck->name) == 0)
			ldns_rr_list_push_rr(now_rrs, rr);
	}
	if (neg)
		ck->cache_differs =
			ldns_rr_list_rr_count(now_rrs) > 0 ||
			(ck->cache.kind == RW_ENTRY_NXDOMAIN) != (a->rcode == LDNS_RCODE_NXDOMAIN);
	else
		ck->cache_differs = !ck_same_rrset(ck->cache.rrs, now_rrs);
	ldns_rr_list_free(now_rrs);
	if (!ck->cache_differs)
		return;
	char until[40];
	ck_hms(rw_present_epoch(ck->cache.expires_us), rw_present_epoch(ck->start_wall_us), until,
	       sizeof(until));
	char tb[32];
	ck_finding(ck, CK_WARNING, "cache-differs", NULL,
		   "this resolver holds %s for %s %s that %s not what the servers say now: it "
		   "serves the old value until %s; `rootwalk flush %s` to refresh now",
		   neg ? "a negative answer" : "records", name,
		   rw_present_type(ck->qtype, tb, sizeof(tb)), neg ? "is" : "are", until, name);
}

void ck_find(struct rw_check *ck)
{
	char *name = rw_present_name(ck->name), tb[32];
	const char *type = rw_present_type(ck->qtype, tb, sizeof(tb));
	const struct ck_walk *w = &ck->walks[0];
	if (ck->n_servers == 0)
		ck_finding(ck, CK_ERROR, w->timeouts > 0 ? "server-timeout" : "server-error", NULL,
			   "the zone of %s could not be checked: %s", name ? name : "?",
			   w->why[0] ? w->why : "no server of it was found");
	find_servers(ck);
	find_no_edns(ck);
	find_ns_sets(ck);
	find_glue(ck);
	find_serials(ck);
	find_answers(ck);
	find_apex(ck);
	find_records(ck, name ? name : "?", type);
	find_targets(ck);
	find_ttls(ck);
	find_cache(ck, name ? name : "?");
	ck_dnssec_find(ck);
	if (ck->over_budget)
		ck_finding(ck, CK_WARNING, "check-incomplete", NULL,
			   "the check's time budget (%u ms) ran out: what had not answered by then "
			   "counts as silent",
			   RW_CHECK_BUDGET_MS);
	free(name);
}
