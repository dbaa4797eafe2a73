/* The walk where the internet is messy (issue 10): sibling and parent-side glue, failing versus
 * lame servers, replies classified by what they contain, duplicate records, DNAME, DS at the
 * parent, and a zone moved to new servers. A scripted network and a fake clock: no sockets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "fakenet.h"
#include "rootwalk/cache.h"
#include "rootwalk/resolver.h"

static char hints_path[64];

static const char *ROOT_DATA =
	". 86400 IN SOA a.root-servers.net. host.root-servers.net. 1 1800 900 604800 300\n"
	". 518400 IN NS a.root-servers.net.\n"
	"a.root-servers.net. 518400 IN A 192.0.2.1\n"
	/* org.'s server is named under net.: the root's glue for it is sibling glue */
	"org. 172800 IN NS ns.tld-servers.net.\n"
	"ns.tld-servers.net. 172800 IN A 192.0.2.100\n"
	"net. 172800 IN NS a.gtld-servers.net.\n"
	"a.gtld-servers.net. 172800 IN A 192.0.2.20\n"
	"com. 172800 IN NS a.gtld-servers.com.\n"
	"com. 172800 IN NS b.gtld-servers.com.\n"
	"a.gtld-servers.com. 172800 IN A 192.0.2.10\n"
	"b.gtld-servers.com. 172800 IN A 192.0.2.11\n";

/* net. knows nothing of tld-servers.net.: looking the address up fails */
static const char *NET_DATA =
	"net. 900 IN SOA a.gtld-servers.net. host.gtld-servers.net. 1 1800 900 604800 300\n"
	"net. 172800 IN NS a.gtld-servers.net.\n"
	"a.gtld-servers.net. 172800 IN A 192.0.2.20\n";

static const char *ORG_DATA =
	"org. 900 IN SOA ns.tld-servers.net. host.tld-servers.net. 1 1800 900 604800 300\n"
	"org. 172800 IN NS ns.tld-servers.net.\n"
	"example.org. 300 IN A 203.0.113.9\n";

#define COM_COMMON                                                                                 \
	"com. 900 IN SOA a.gtld-servers.com. host.gtld-servers.com. 1 1800 900 604800 300\n"       \
	"com. 172800 IN NS a.gtld-servers.com.\n"                                                  \
	"com. 172800 IN NS b.gtld-servers.com.\n"                                                  \
	"a.gtld-servers.com. 172800 IN A 192.0.2.10\n"                                             \
	"b.gtld-servers.com. 172800 IN A 192.0.2.11\n"                                             \
	"pg.com. 172800 IN NS ns1.pg.com.\n"                                                       \
	"ns1.pg.com. 172800 IN A 192.0.2.60\n"                                                     \
	"quirk.com. 172800 IN NS ns.quirk.com.\n"                                                  \
	"ns.quirk.com. 172800 IN A 192.0.2.80\n"                                                   \
	"shared.com. 172800 IN NS b.gtld-servers.com.\n"                                           \
	"shared.com. 3600 IN DS 12345 13 2 "                                                       \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"

static const char *COM_OLD = COM_COMMON "moved.com. 172800 IN NS ns.old.com.\n"
					"ns.old.com. 172800 IN A 192.0.2.70\n";
static const char *COM_NEW = COM_COMMON "moved.com. 172800 IN NS ns.new.com.\n"
					"ns.new.com. 172800 IN A 192.0.2.71\n";

/* b.gtld-servers.com. also serves shared.com.: asked for its DS, it answers from the child */
static const char *SHARED_DATA =
	"shared.com. 3600 IN SOA b.gtld-servers.com. host.shared.com. 1 1800 900 604800 300\n"
	"shared.com. 3600 IN NS b.gtld-servers.com.\n"
	"shared.com. 300 IN A 203.0.113.50\n";

/* The child says its server's address is 192.0.2.61 (silent); the parent's glue says .60. */
static const char *PG_DATA = "pg.com. 3600 IN SOA ns1.pg.com. host.pg.com. 1 1800 900 604800 300\n"
			     "pg.com. 3600 IN NS ns1.pg.com.\n"
			     "ns1.pg.com. 3600 IN A 192.0.2.61\n"
			     "www.pg.com. 300 IN A 203.0.113.60\n";

static const char *MOVED_OLD_DATA =
	"moved.com. 3600 IN SOA ns.old.com. host.moved.com. 1 1800 900 604800 300\n"
	"moved.com. 3600 IN NS ns.old.com.\n"
	"www.moved.com. 300 IN A 203.0.113.70\n"
	"api.moved.com. 300 IN A 203.0.113.70\n";
static const char *MOVED_NEW_DATA =
	"moved.com. 3600 IN SOA ns.new.com. host.moved.com. 2 1800 900 604800 300\n"
	"moved.com. 3600 IN NS ns.new.com.\n"
	"www.moved.com. 300 IN A 203.0.113.71\n"
	"api.moved.com. 300 IN A 203.0.113.71\n";

static const char *QUIRK_DATA =
	"quirk.com. 3600 IN SOA ns.quirk.com. host.quirk.com. 1 1800 900 604800 300\n"
	"quirk.com. 3600 IN NS ns.quirk.com.\n"
	"ns.quirk.com. 3600 IN A 192.0.2.80\n"
	"quirk.com. 300 IN A 203.0.113.80\n"
	"www.quirk.com. 300 IN CNAME quirk.com.\n"
	"a.quirk.com. 300 IN A 203.0.113.83\n"
	"txt.quirk.com. 300 IN TXT \"text only\"\n"
	"sub.quirk.com. 3600 IN NS ns.sub.quirk.com.\n"
	"ns.sub.quirk.com. 3600 IN A 192.0.2.81\n";

static const char *SUB_DATA =
	"sub.quirk.com. 3600 IN SOA ns.sub.quirk.com. host.quirk.com. 1 1800 900 604800 300\n"
	"sub.quirk.com. 3600 IN NS ns.sub.quirk.com.\n"
	"www.sub.quirk.com. 300 IN A 203.0.113.81\n";

enum { S_ROOT, S_NET, S_ORG, S_COM1, S_COM2, S_PG, S_PG_CHILD, S_OLD, S_NEW, S_QUIRK, S_SUB };

struct world {
	struct fakenet fn;
	struct rw_config *cfg;
};

static void world_up(struct world *w, uint64_t seed)
{
	fn_init(&w->fn, true);
	w->fn.rng = seed;
	fn_server(&w->fn, "192.0.2.1", ".", ROOT_DATA);
	fn_server(&w->fn, "192.0.2.20", "net.", NET_DATA);
	fn_server(&w->fn, "192.0.2.100", "org.", ORG_DATA);
	fn_server(&w->fn, "192.0.2.10", "com.", COM_OLD);
	char both[4096];
	snprintf(both, sizeof(both), "%s%s", COM_OLD, SHARED_DATA);
	fn_server(&w->fn, "192.0.2.11", "com. shared.com.", both);
	fn_server(&w->fn, "192.0.2.60", "pg.com.", PG_DATA);
	fn_server(&w->fn, "192.0.2.61", "pg.com.", PG_DATA);
	w->fn.servers[S_PG_CHILD].drop = true;
	fn_server(&w->fn, "192.0.2.70", "moved.com.", MOVED_OLD_DATA);
	fn_server(&w->fn, "192.0.2.71", "moved.com.", MOVED_NEW_DATA);
	fn_server(&w->fn, "192.0.2.80", "quirk.com.", QUIRK_DATA);
	fn_server(&w->fn, "192.0.2.81", "sub.quirk.com.", SUB_DATA);
	w->cfg = fn_config(hints_path);
	fn_start(&w->fn, w->cfg);
}

static void world_down(struct world *w)
{
	fn_free(&w->fn);
	rw_config_free(w->cfg);
}

/* The type of the i-th answer record of the last response, 0 if none. */
static int answer_type(const struct world *w, size_t i)
{
	ldns_pkt *p = NULL;
	int t = 0;
	if (ldns_wire2pkt(&p, w->fn.resp, w->fn.resp_len) == LDNS_STATUS_OK &&
	    i < ldns_rr_list_rr_count(ldns_pkt_answer(p)))
		t = ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(p), i));
	ldns_pkt_free(p);
	return t;
}

/* ---- scripted quirks ---- */

static const ldns_rdf *qname_of(const void *query)
{
	return ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question((const ldns_pkt *)query), 0));
}

/* SERVFAIL to the first s->state queries. */
static void servfail_first(struct fn_server *s, const void *query, void *reply)
{
	(void)query;
	if (s->state > 0) {
		s->state--;
		ldns_pkt_set_rcode(reply, LDNS_RCODE_SERVFAIL);
	}
}

static void drop_section(ldns_pkt *p, ldns_pkt_section sec, uint16_t type);

/* A server of the parent that also serves the child and answers DS from the child's apex. */
static void ds_from_child(struct fn_server *s, const void *query, void *reply)
{
	ldns_pkt *p = reply;
	(void)s;
	if (ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(query), 0)) != LDNS_RR_TYPE_DS)
		return;
	ldns_rr_list_deep_free(ldns_pkt_answer(p));
	ldns_pkt_set_answer(p, ldns_rr_list_new());
	ldns_pkt_set_ancount(p, 0);
	drop_section(p, LDNS_SECTION_AUTHORITY, 0);
	ldns_rr *soa = NULL;
	ldns_rr_new_frm_str(&soa,
			    "shared.com. 300 IN SOA b.gtld-servers.com. host.shared.com. 1 1800 "
			    "900 604800 300",
			    0, NULL, NULL);
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, soa);
	ldns_pkt_set_aa(p, true);
}

static void drop_section(ldns_pkt *p, ldns_pkt_section sec, uint16_t type)
{
	ldns_rr_list *l =
		sec == LDNS_SECTION_AUTHORITY ? ldns_pkt_authority(p) : ldns_pkt_additional(p);
	ldns_rr_list *keep = ldns_rr_list_new();
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (type && ldns_rr_get_type(rr) != type)
			ldns_rr_list_push_rr(keep, ldns_rr_clone(rr));
	}
	if (sec == LDNS_SECTION_AUTHORITY) {
		ldns_rr_list_deep_free(ldns_pkt_authority(p));
		ldns_pkt_set_authority(p, keep);
		ldns_pkt_set_nscount(p, (uint16_t)ldns_rr_list_rr_count(keep));
	} else {
		ldns_rr_list_deep_free(ldns_pkt_additional(p));
		ldns_pkt_set_additional(p, keep);
		ldns_pkt_set_arcount(p, (uint16_t)ldns_rr_list_rr_count(keep));
	}
}

enum quirk {
	Q_NOT_AUTH = 1,	  /* every reply: no AA, nothing in it */
	Q_NODATA_NO_AA,	  /* NODATA with the SOA but without AA */
	Q_AA_ALWAYS,	  /* AA on every reply, referrals included */
	Q_NODATA_APEX_NS, /* NODATA with the apex NS instead of the SOA */
	Q_NODATA_EMPTY,	  /* NODATA with AA and nothing at all */
	Q_DUPLICATES,	  /* every answer record twice */
	Q_DNAME,	  /* d.quirk.com. DNAME quirk.com.; y.quirk.com. DNAME <long name> */
};

static int dname_asked; /* queries the quirk server got for names below its DNAMEs */

static bool nodata(const ldns_pkt *p)
{
	return ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR &&
	       ldns_rr_list_rr_count(ldns_pkt_answer(p)) == 0 &&
	       ldns_rr_list_rr_count(ldns_pkt_authority(p)) > 0 &&
	       ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(p), 0)) == LDNS_RR_TYPE_SOA;
}

static void quirk_dname(const void *query, ldns_pkt *p)
{
	static const char *const owners[] = {"d.quirk.com.", "y.quirk.com."};
	static const char *const targets[] = {
		"quirk.com.",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
		"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.quirk.com."};
	const ldns_rdf *qn = qname_of(query);
	for (int i = 0; i < 2; i++) {
		ldns_rdf *owner = ldns_dname_new_frm_str(owners[i]);
		bool below = ldns_dname_is_subdomain(qn, owner);
		if (below) {
			char line[512];
			ldns_rr *rr = NULL;
			dname_asked++;
			snprintf(line, sizeof(line), "%s 600 IN DNAME %s", owners[i], targets[i]);
			ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL);
			ldns_rr_list_deep_free(ldns_pkt_answer(p));
			ldns_pkt_set_answer(p, ldns_rr_list_new());
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
			ldns_pkt_set_ancount(p, 1);
			drop_section(p, LDNS_SECTION_AUTHORITY, 0);
			ldns_pkt_set_aa(p, true);
			size_t keep = ldns_rdf_size(qn) - ldns_rdf_size(owner);
			ldns_rdf *t = ldns_dname_new_frm_str(targets[i]);
			if (keep + ldns_rdf_size(t) > 255) {
				ldns_pkt_set_rcode(p, LDNS_RCODE_YXDOMAIN);
			} else {
				/* the CNAME a server synthesises, listed after the DNAME */
				uint8_t buf[300];
				memcpy(buf, ldns_rdf_data(qn), keep);
				memcpy(buf + keep, ldns_rdf_data(t), ldns_rdf_size(t));
				ldns_rr *cn = ldns_rr_new_frm_type(LDNS_RR_TYPE_CNAME);
				ldns_rr_set_owner(cn, ldns_rdf_clone(qn));
				ldns_rr_set_ttl(cn, 600);
				ldns_rr_set_class(cn, LDNS_RR_CLASS_IN);
				ldns_rr_set_rdf(cn,
						ldns_dname_new_frm_data(
							(uint16_t)(keep + ldns_rdf_size(t)), buf),
						0);
				ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, cn);
				ldns_pkt_set_rcode(p, LDNS_RCODE_NOERROR);
			}
			ldns_rdf_deep_free(t);
		}
		ldns_rdf_deep_free(owner);
		if (below)
			return;
	}
}

static void quirk(struct fn_server *s, const void *query, void *reply)
{
	ldns_pkt *p = reply;
	switch (s->state) {
	case Q_NOT_AUTH:
		ldns_pkt_set_aa(p, false);
		ldns_pkt_set_rcode(p, LDNS_RCODE_NOERROR);
		ldns_rr_list_deep_free(ldns_pkt_answer(p));
		ldns_pkt_set_answer(p, ldns_rr_list_new());
		ldns_pkt_set_ancount(p, 0);
		drop_section(p, LDNS_SECTION_AUTHORITY, 0);
		drop_section(p, LDNS_SECTION_ADDITIONAL, 0);
		break;
	case Q_NODATA_NO_AA:
		if (nodata(p))
			ldns_pkt_set_aa(p, false);
		break;
	case Q_AA_ALWAYS:
		ldns_pkt_set_aa(p, true);
		break;
	case Q_NODATA_APEX_NS:
	case Q_NODATA_EMPTY:
		if (nodata(p)) {
			drop_section(p, LDNS_SECTION_AUTHORITY, 0);
			if (s->state == Q_NODATA_APEX_NS) {
				ldns_rr *ns = NULL;
				ldns_rr_new_frm_str(&ns, "quirk.com. 3600 IN NS ns.quirk.com.", 0,
						    NULL, NULL);
				ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, ns);
			}
		}
		break;
	case Q_DUPLICATES: {
		ldns_rr_list *an = ldns_pkt_answer(p);
		size_t n = ldns_rr_list_rr_count(an);
		for (size_t i = 0; i < n; i++)
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
					 ldns_rr_clone(ldns_rr_list_rr(an, i)));
		break;
	}
	case Q_DNAME:
		quirk_dname(query, p);
		break;
	}
}

/* ---- tests ---- */

static void test_sibling_glue(void)
{
	struct world w;
	world_up(&w, 1);
	/* org.'s server is named in net., which cannot say its address: only the root's sibling
	 * glue reaches it (RFC 9471 2.2) */
	CHECK_EQ(fn_ask(&w.fn, "example.org.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.9"));
	CHECK_EQ(w.fn.servers[S_NET].queries, 0);
	CHECK(!fn_trace_has(&w.fn, "sub-resolve"));
	CHECK_EQ(w.fn.sent_total, 2);
	world_down(&w);
}

static void test_parent_side_glue(void)
{
	struct world w;
	world_up(&w, 2);
	/* the child's own address for its server replaces the glue in the answer cache... */
	CHECK_EQ(fn_ask(&w.fn, "ns1.pg.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "192.0.2.61"));
	/* ...but it is silent: after it times out, the parent's glue (192.0.2.60) is tried */
	fn_clear_trace(&w.fn);
	CHECK_EQ(fn_ask(&w.fn, "www.pg.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.60"));
	CHECK_EQ(w.fn.servers[S_PG_CHILD].queries, 1);
	CHECK(fn_trace_has(&w.fn, "(192.0.2.60, parent-side glue)"));
	/* rootwalk lookup shows the parent-side set beside the child's */
	struct rw_cache_entry e;
	ldns_rdf *ns1 = ldns_dname_new_frm_str("ns1.pg.com.");
	CHECK(rw_cache_get(rw_resolver_cache(w.fn.r), RW_ENTRY_PARENT_GLUE, ns1, LDNS_RR_TYPE_A,
			   LDNS_RR_CLASS_IN, w.fn.wall_us, RW_RANK_NONE, &e));
	rw_cache_entry_clear(&e);
	CHECK(rw_cache_get(rw_resolver_cache(w.fn.r), RW_ENTRY_RRSET, ns1, LDNS_RR_TYPE_A,
			   LDNS_RR_CLASS_IN, w.fn.wall_us, RW_RANK_ANSWER, &e));
	rw_cache_entry_clear(&e);
	ldns_rdf_deep_free(ns1);
	world_down(&w);
}

static void test_servfail_is_not_lame(void)
{
	struct world w;
	world_up(&w, 3);
	/* the only root fails once, at the minimised question: the full name is asked again */
	w.fn.servers[S_ROOT].mangle = servfail_first;
	w.fn.servers[S_ROOT].state = 1;
	CHECK_EQ(fn_ask(&w.fn, "www.pg.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(w.fn.servers[S_ROOT].queries, 2);
	CHECK(fn_trace_has(&w.fn,
			   "SERVFAIL to the minimised question: asking the full name instead"));
	world_down(&w);

	/* the only root refuses one whole client question; a second later it answers again,
	 * and it is asked: one failure does not make it lame for infra-ttl */
	world_up(&w, 4);
	w.fn.servers[S_ROOT].refuse = true;
	CHECK_EQ(fn_ask(&w.fn, "www.pg.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK(fn_trace_has(&w.fn, "failed: REFUSED from this server: skipped for this query"));
	CHECK(!fn_trace_has(&w.fn, "lame"));
	unsigned before = w.fn.servers[S_ROOT].queries;
	CHECK(before <= 3);
	w.fn.servers[S_ROOT].refuse = false;
	fn_advance(&w.fn, 1);
	CHECK_EQ(fn_ask(&w.fn, "www.pg.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.60"));
	world_down(&w);

	/* of two com. servers one SERVFAILs: skipped, and asked after the other for a while */
	world_up(&w, 5);
	w.fn.servers[S_COM2].mangle = servfail_first;
	w.fn.servers[S_COM2].state = 100;
	for (int round = 0; round < 6; round++) {
		rw_cache_flush_all(rw_resolver_cache(w.fn.r));
		CHECK_EQ(fn_ask(&w.fn, "www.pg.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	}
	CHECK(w.fn.servers[S_COM2].queries <= 1);
	CHECK_EQ(w.fn.servers[S_COM1].queries, 6);
	world_down(&w);
}

static void test_lame_backoff(void)
{
	struct world w;
	world_up(&w, 6);
	w.fn.servers[S_QUIRK].mangle = quirk;
	w.fn.servers[S_QUIRK].state = Q_NOT_AUTH;
	CHECK_EQ(fn_ask(&w.fn, "quirk.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK(fn_trace_has(&w.fn, "remembered as lame for quirk.com. for 30 s"));
	CHECK_EQ(w.fn.servers[S_QUIRK].queries, 1);
	/* remembered: not asked again at once (the parent is asked again, once) */
	CHECK_EQ(fn_ask(&w.fn, "www.quirk.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(w.fn.servers[S_QUIRK].queries, 1);
	/* after 30 s it is asked again; lame again, it is remembered twice as long */
	fn_advance(&w.fn, 31);
	fn_clear_trace(&w.fn);
	CHECK_EQ(fn_ask(&w.fn, "a.quirk.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(w.fn.servers[S_QUIRK].queries, 2);
	CHECK(fn_trace_has(&w.fn, "remembered as lame for quirk.com. for 60 s"));
	/* and once it is fixed, it answers after that */
	w.fn.servers[S_QUIRK].state = 0;
	fn_advance(&w.fn, 61);
	CHECK_EQ(fn_ask(&w.fn, "a.quirk.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	world_down(&w);
}

static void test_moved_zone_reasks_parent(void)
{
	struct world w;
	world_up(&w, 7);
	CHECK_EQ(fn_ask(&w.fn, "www.moved.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.70"));
	/* the domain moves: com. names new servers, the old one refuses it now */
	fn_server_records(&w.fn, S_COM1, COM_NEW);
	fn_server_records(&w.fn, S_COM2, COM_NEW);
	w.fn.servers[S_OLD].refuse = true;
	fn_clear_trace(&w.fn);
	unsigned sent = w.fn.sent_total;
	CHECK_EQ(fn_ask(&w.fn, "api.moved.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.71"));
	CHECK(fn_trace_has(&w.fn,
			   "re-ask the parent: every server of moved.com. (cached delegation) "
			   "failed for this query"));
	CHECK(w.fn.sent_total - sent <= 4);
	CHECK_EQ(w.fn.servers[S_NEW].queries, 1);
	/* the new delegation replaced the old one in the cache */
	CHECK_EQ(fn_ask(&w.fn, "www.moved.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.70")); /* still cached from before: its TTL runs */
	rw_cache_flush_all(rw_resolver_cache(w.fn.r));
	CHECK_EQ(fn_ask(&w.fn, "www.moved.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.71"));
	world_down(&w);
}

static void test_classified_by_content(void)
{
	struct world w;

	/* NODATA without AA, but with the zone's SOA: NODATA, not lame */
	world_up(&w, 8);
	w.fn.servers[S_QUIRK].mangle = quirk;
	w.fn.servers[S_QUIRK].state = Q_NODATA_NO_AA;
	CHECK_EQ(fn_ask(&w.fn, "txt.quirk.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_count(&w.fn, 0), 0);
	CHECK_EQ(fn_count(&w.fn, 1), 1); /* the SOA */
	CHECK(fn_trace_has(&w.fn, "nodata"));
	world_down(&w);

	/* a referral with AA set is still a referral */
	world_up(&w, 9);
	w.fn.servers[S_QUIRK].mangle = quirk;
	w.fn.servers[S_QUIRK].state = Q_AA_ALWAYS;
	CHECK_EQ(fn_ask(&w.fn, "www.sub.quirk.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.81"));
	CHECK_EQ(w.fn.servers[S_SUB].queries, 1);
	world_down(&w);

	/* NS at the apex and no SOA, and an empty AA reply: NODATA, cached for 5 s only */
	for (int mode = Q_NODATA_APEX_NS; mode <= Q_NODATA_EMPTY; mode++) {
		world_up(&w, 10 + (uint64_t)mode);
		w.fn.servers[S_QUIRK].mangle = quirk;
		w.fn.servers[S_QUIRK].state = mode;
		CHECK_EQ(fn_ask(&w.fn, "txt.quirk.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
		CHECK_EQ(fn_count(&w.fn, 0), 0);
		CHECK(fn_trace_has(&w.fn, "no SOA in the reply, so cached only 5 s"));
		unsigned q = w.fn.servers[S_QUIRK].queries;
		fn_advance(&w.fn, 4);
		CHECK_EQ(fn_ask(&w.fn, "txt.quirk.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
		CHECK_EQ(w.fn.servers[S_QUIRK].queries, q);
		fn_advance(&w.fn, 2);
		CHECK_EQ(fn_ask(&w.fn, "txt.quirk.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
		CHECK_EQ(w.fn.servers[S_QUIRK].queries, q + 1);
		world_down(&w);
	}
}

static void test_duplicates_merged(void)
{
	struct world w;
	world_up(&w, 12);
	w.fn.servers[S_QUIRK].mangle = quirk;
	w.fn.servers[S_QUIRK].state = Q_DUPLICATES;
	CHECK_EQ(fn_ask(&w.fn, "www.quirk.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_count(&w.fn, 0), 2); /* the CNAME and the A, once each */
	/* and the cached copy is a set too */
	CHECK_EQ(fn_ask(&w.fn, "www.quirk.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_count(&w.fn, 0), 2);
	world_down(&w);
}

static void test_dname(void)
{
	struct world w;
	world_up(&w, 13);
	w.fn.servers[S_QUIRK].mangle = quirk;
	w.fn.servers[S_QUIRK].state = Q_DNAME;
	dname_asked = 0;
	CHECK_EQ(fn_ask(&w.fn, "www.d.quirk.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(answer_type(&w, 0), LDNS_RR_TYPE_DNAME);
	CHECK_EQ(answer_type(&w, 1), LDNS_RR_TYPE_CNAME);
	CHECK(fn_has(&w.fn, "203.0.113.80"));
	CHECK_EQ(dname_asked, 1);
	/* another name below the DNAME: synthesised from the cache, the DNAME zone not asked */
	CHECK_EQ(fn_ask(&w.fn, "a.d.quirk.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.83"));
	CHECK_EQ(answer_type(&w, 0), LDNS_RR_TYPE_DNAME);
	CHECK_EQ(dname_asked, 1);
	/* a name too long after substitution: YXDOMAIN with the DNAME, not SERVFAIL */
	CHECK_EQ(fn_ask(&w.fn,
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx."
			"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.y.quirk.com.",
			LDNS_RR_TYPE_A, true),
		 LDNS_RCODE_YXDOMAIN);
	CHECK_EQ(answer_type(&w, 0), LDNS_RR_TYPE_DNAME);
	CHECK_EQ(fn_count(&w.fn, 0), 1);
	world_down(&w);
}

static void test_ds_at_parent(void)
{
	struct world w;
	world_up(&w, 14);
	/* b.gtld-servers.com. serves com. and shared.com. and answers DS from the child's apex;
	 * the answer must come from a server of com. that answers from com. */
	w.fn.servers[S_COM2].mangle = ds_from_child;
	int child_answers = 0;
	for (int round = 0; round < 6; round++) {
		rw_cache_flush_all(rw_resolver_cache(w.fn.r));
		fn_clear_trace(&w.fn);
		CHECK_EQ(fn_ask(&w.fn, "shared.com.", LDNS_RR_TYPE_DS, true), LDNS_RCODE_NOERROR);
		CHECK_EQ(answer_type(&w, 0), LDNS_RR_TYPE_DS);
		if (strstr(w.fn.trace, "but DS lives in the parent com."))
			child_answers++;
	}
	CHECK(w.fn.servers[S_COM2].queries >= 1);
	CHECK(child_answers >= 1);
	world_down(&w);
}

static void test_localhost_hints(void)
{
	struct world w;
	char path[64];
	static const char hints[] = ". 3600000 NS a.root-servers.net.\n"
				    "a.root-servers.net. 3600000 A 127.0.0.1\n";
	snprintf(path, sizeof(path), "/tmp/rw-test-hints-XXXXXX");
	int fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, hints, sizeof(hints) - 1) == (ssize_t)(sizeof(hints) - 1));
	close(fd);
	fn_init(&w.fn, true);
	fn_server(
		&w.fn, "127.0.0.1", ".",
		". 86400 IN SOA a.root-servers.net. host.root-servers.net. 1 1800 900 604800 300\n"
		". 518400 IN NS a.root-servers.net.\n"
		"a.root-servers.net. 518400 IN A 127.0.0.1\n"
		"com. 172800 IN NS a.gtld-servers.com.\n"
		"a.gtld-servers.com. 172800 IN A 127.0.0.2\n");
	fn_server(&w.fn, "127.0.0.2", "com.", COM_OLD);
	w.cfg = fn_config(path);
	w.cfg->do_not_query_localhost = true;
	fn_start(&w.fn, w.cfg);
	/* the hints are the operator's choice: asked; addresses learned from replies: filtered */
	CHECK_EQ(fn_ask(&w.fn, ".", LDNS_RR_TYPE_SOA, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(w.fn.servers[0].queries, 1);
	CHECK_EQ(fn_ask(&w.fn, "www.pg.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(w.fn.servers[1].queries, 0);
	world_down(&w);
	unlink(path);
}

static void test_priming_retry(void)
{
	struct world w;
	world_up(&w, 15);
	/* the only root refuses: priming fails, is logged, and is retried on a timer */
	w.fn.servers[S_ROOT].refuse = true;
	CHECK_EQ(rw_resolver_prime(w.fn.r), 0);
	fn_run(&w.fn, 100);
	CHECK_EQ(w.fn.logs, 1);
	CHECK(strstr(w.fn.last_log, "priming the root NS set failed") != NULL);
	CHECK(strstr(w.fn.last_log, "retrying in 1 s") != NULL);
	CHECK(w.fn.timer_set);
	CHECK_EQ(w.fn.timer_ms, 1000);
	/* an answer that walked from the hints does not start another priming */
	unsigned before = w.fn.servers[S_ROOT].queries;
	CHECK_EQ(fn_ask(&w.fn, "www.pg.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(w.fn.servers[S_ROOT].queries, before + 2); /* minimised, then the full name */
	/* the retries back off: 1 s, 2 s, 4 s */
	CHECK(fn_fire_timer(&w.fn));
	CHECK_EQ(w.fn.logs, 2);
	CHECK_EQ(w.fn.timer_ms, 2000);
	CHECK(fn_fire_timer(&w.fn));
	CHECK_EQ(w.fn.timer_ms, 4000);
	CHECK(strstr(w.fn.last_log, "3 failure(s) in a row, retrying in 4 s") != NULL);
	/* the root is back: the next retry primes, and the timer stops */
	w.fn.servers[S_ROOT].refuse = false;
	before = w.fn.servers[S_ROOT].queries;
	CHECK(fn_fire_timer(&w.fn));
	CHECK_EQ(w.fn.servers[S_ROOT].queries, before + 1);
	CHECK_EQ(w.fn.logs, 3);
	CHECK(!w.fn.timer_set);
	fn_clear_trace(&w.fn);
	CHECK_EQ(fn_ask(&w.fn, "www.pg.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_trace_has(&w.fn, "closest known cut: .  (cache"));
	world_down(&w);
}

static void test_question_waits_for_priming(void)
{
	struct world w;
	world_up(&w, 16);
	/* a question that arrives while the priming is under way waits for it */
	CHECK_EQ(rw_resolver_prime(w.fn.r), 0);
	fn_submit(&w.fn, "www.pg.com.", LDNS_RR_TYPE_A, true, 40001);
	CHECK_EQ(w.fn.n_queue, 1); /* only the priming query is out */
	fn_run(&w.fn, 100);
	CHECK_EQ(w.fn.responses, 1);
	CHECK(fn_has(&w.fn, "203.0.113.60"));
	CHECK(fn_trace_has(&w.fn, "closest known cut: .  (cache"));
	world_down(&w);

	/* ...but not for longer than 1.5 s: then it walks from the hints */
	world_up(&w, 17);
	w.fn.servers[S_ROOT].drop = true;
	CHECK_EQ(rw_resolver_prime(w.fn.r), 0);
	fn_submit(&w.fn, "www.pg.com.", LDNS_RR_TYPE_A, true, 40002);
	CHECK_EQ(w.fn.n_queue, 1);
	CHECK(w.fn.timer_set);
	CHECK_EQ(w.fn.timer_ms, 1500);
	w.fn.timer_set = false;
	w.fn.mono_ms += 1500;
	rw_resolver_on_timer(w.fn.r);
	CHECK_EQ(w.fn.n_queue, 2); /* the question's own first query */
	fn_run(&w.fn, 100);
	CHECK_EQ(w.fn.responses, 1);
	world_down(&w);
}

static void test_identical_queries_shared(void)
{
	for (int caps = 0; caps < 2; caps++) {
		struct world w;
		world_up(&w, 18 + (uint64_t)caps);
		w.cfg->use_caps_for_id = caps;
		/* two cold questions under com. at once: the root is asked "com. A" once, and the
		 * second question gets a copy of that reply (its own ID and 0x20 case written in) */
		fn_submit(&w.fn, "www.pg.com.", LDNS_RR_TYPE_A, true, 40011);
		fn_submit(&w.fn, "ns1.pg.com.", LDNS_RR_TYPE_A, true, 40012);
		CHECK_EQ(w.fn.n_queue, 1);
		fn_run(&w.fn, 100);
		CHECK_EQ(w.fn.responses, 2);
		CHECK_EQ(w.fn.servers[S_ROOT].queries, 1);
		CHECK_EQ(w.fn.servers[S_PG].queries, 2); /* different questions there */
		CHECK_EQ(w.fn.rejected, 0);
		CHECK(rw_resolver_stats(w.fn.r)->upstream_shared >= 1);
		world_down(&w);
	}

	/* the shared query times out: both questions move on to the next server */
	struct world w;
	world_up(&w, 20);
	w.fn.servers[S_COM1].drop = true;
	w.fn.servers[S_COM2].drop = true;
	fn_submit(&w.fn, "www.pg.com.", LDNS_RR_TYPE_A, true, 40013);
	fn_submit(&w.fn, "ns1.pg.com.", LDNS_RR_TYPE_A, true, 40014);
	fn_run(&w.fn, 200);
	CHECK_EQ(w.fn.responses, 2);
	CHECK_EQ(fn_ede(&w.fn), 22);
	world_down(&w);
}

int main(void)
{
	if (fn_hints_file(hints_path, sizeof(hints_path)) < 0)
		return 1;
	test_sibling_glue();
	test_parent_side_glue();
	test_servfail_is_not_lame();
	test_lame_backoff();
	test_moved_zone_reasks_parent();
	test_classified_by_content();
	test_duplicates_merged();
	test_dname();
	test_ds_at_parent();
	test_localhost_hints();
	test_priming_retry();
	test_question_waits_for_priming();
	test_identical_queries_shared();
	unlink(hints_path);
	return rw_check_report("messy");
}
