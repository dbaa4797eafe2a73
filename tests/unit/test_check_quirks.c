/* `rootwalk check` (src/core/check*.c) against servers with quirks seen in the lab, on the
 * scripted network: a CNAME at the apex given for every question there (Knot), glue left out of
 * a UDP referral without TC (NSD), an address that answers ICMP port unreachable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "checkworld.h"
#include "fakenet.h"
#include "rootwalk/check.h"
#include "rootwalk/resolver.h"

/* Knot with a CNAME at the apex: every question at the apex but DNSKEY gets the CNAME,
 * authoritative, and nothing else. */
static void apex_cname_for_all(struct fn_server *s, const void *query, void *reply)
{
	(void)s;
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	ldns_rdf *apex = ldns_dname_new_frm_str("example.com.");
	if (ldns_dname_compare(ldns_rr_owner(q), apex) == 0 &&
	    ldns_rr_get_type(q) != LDNS_RR_TYPE_DNSKEY) {
		ldns_pkt *a = reply;
		ldns_rr *cname = NULL;
		ldns_rr_new_frm_str(&cname, "example.com. 300 IN CNAME elsewhere.net.", 0, NULL,
				    NULL);
		ldns_rr_list_deep_free(ldns_pkt_answer(a));
		ldns_rr_list_deep_free(ldns_pkt_authority(a));
		ldns_rr_list_deep_free(ldns_pkt_additional(a));
		ldns_pkt_set_answer(a, ldns_rr_list_new());
		ldns_pkt_set_authority(a, ldns_rr_list_new());
		ldns_pkt_set_additional(a, ldns_rr_list_new());
		ldns_rr_list_push_rr(ldns_pkt_answer(a), cname);
		ldns_pkt_set_ancount(a, 1);
		ldns_pkt_set_nscount(a, 0);
		ldns_pkt_set_arcount(a, 0);
		ldns_pkt_set_rcode(a, LDNS_RCODE_NOERROR);
		ldns_pkt_set_aa(a, true);
	}
	ldns_rdf_deep_free(apex);
}

static void test_apex_cname(void)
{
	struct world w;
	struct result res;
	world_up(&w, "");
	w.fn.servers[w.ns1].mangle = w.fn.servers[w.ns2].mangle = apex_cname_for_all;
	CHECK(cw_check(&w, "example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK(has(&res, "\"code\":\"cname-at-apex\",\"text\":\"the apex of example.com. has a "
			"CNAME record"));
	/* the servers answered authoritatively: not broken for it */
	CHECK(!strstr(res.text, "server-error"));
	CHECK(!strstr(res.text, "no SOA record in its authoritative answer"));
	CHECK(has(&res, "\"address\":\"192.0.2.30\",\"source\":[\"glue\",\"child\"],"
			"\"state\":\"ok\""));
	CHECK(has(&res, "with the CNAME at its apex"));
	CHECK_EQ(res.st, RW_CHECK_ERRORS);
	/* seen in the answer to NAME/TYPE elsewhere in the zone too: the SOA question only */
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK(has(&res, "\"code\":\"cname-at-apex\""));
	CHECK(!strstr(res.text, "server-error"));
	CHECK(has(&res, "\"records\":[\"www.example.com. 300 IN A 203.0.113.7\"]"));
	world_down(&w);
}

/* A referral without the glue for ns2.example.com. */
static void drop_ns2_glue(void *reply)
{
	ldns_rr_list *add = ldns_pkt_additional(reply), *keep = ldns_rr_list_new();
	ldns_rdf *ns2 = ldns_dname_new_frm_str("ns2.example.com.");
	for (size_t i = 0; i < ldns_rr_list_rr_count(add); i++) {
		ldns_rr *rr = ldns_rr_list_rr(add, i);
		if (ldns_dname_compare(ldns_rr_owner(rr), ns2) == 0)
			ldns_rr_free(rr);
		else
			ldns_rr_list_push_rr(keep, rr);
	}
	ldns_rr_list_free(add);
	ldns_pkt_set_additional(reply, keep);
	ldns_pkt_set_arcount(reply, (uint16_t)ldns_rr_list_rr_count(keep));
	ldns_rdf_deep_free(ns2);
}

/* NSD's UDP referral that does not fit: glue left out, no TC; over TCP all of it (state: the
 * TCP queries seen so far, to tell TCP from UDP). */
static void drop_glue_udp(struct fn_server *s, const void *query, void *reply)
{
	(void)query;
	bool tcp = s->tcp_queries != (unsigned)s->state;
	s->state = (int)s->tcp_queries;
	if (!tcp)
		drop_ns2_glue(reply);
}

static void drop_glue_always(struct fn_server *s, const void *query, void *reply)
{
	(void)s;
	(void)query;
	drop_ns2_glue(reply);
}

static void test_udp_glue(void)
{
	struct world w;
	struct result res;
	world_up(&w, "");
	w.fn.servers[w.com].mangle = drop_glue_udp;
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK(!strstr(res.text, "glue-mismatch"));
	CHECK(!strstr(res.text, "none"));
	CHECK(has(&res, "\"glue\":{\"ns1.example.com.\":[\"192.0.2.30\"],\"ns2.example.com.\":"
			"[\"192.0.2.31\"]}"));
	CHECK(has(&res, "\"findings\":[]"));
	CHECK_EQ(res.st, RW_CHECK_OK);
	/* asked again once, over TCP, of the same server */
	CHECK_EQ(w.fn.servers[w.com].tcp_queries, 1);
	world_down(&w);

	/* the glue is missing over TCP too: a finding that says so, no address "none" */
	world_up(&w, "");
	w.fn.servers[w.com].mangle = drop_glue_always;
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK(has(&res, "\"code\":\"glue-mismatch\",\"text\":\"the parent gives no glue for "
			"ns2.example.com. (asked over TCP too), the zone itself says 192.0.2.31"));
	CHECK(!strstr(res.text, "none"));
	CHECK(has(&res, "\"servers\":[]"));
	CHECK_EQ(res.st, RW_CHECK_ERRORS);
	/* once over TCP per referral, not more */
	CHECK(w.fn.servers[w.com].tcp_queries >= 1 && w.fn.servers[w.com].tcp_queries <= 3);
	world_down(&w);

	/* TCP refused: the UDP referral stands, the walk goes on, the finding says why */
	world_up(&w, "");
	w.fn.servers[w.com].mangle = drop_glue_udp;
	w.tcp_refusing = w.com;
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK(has(&res, "\"walk\":{\"complete\":true}"));
	CHECK(has(&res, "the parent gives no glue for ns2.example.com. (over UDP; asking again "
			"over TCP failed), the zone itself says 192.0.2.31"));
	CHECK(has(&res, "\"address\":\"192.0.2.31\",\"source\":[\"child\",\"resolved\"],"
			"\"state\":\"ok\""));
	CHECK(!strstr(res.text, "none"));
	world_down(&w);
}

static void test_port_unreachable(void)
{
	struct world w;
	struct result res;
	world_up(&w, "");
	w.refusing = w.ns2;
	uint64_t t0 = w.fn.mono_ms;
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK(has(&res, "\"address\":\"192.0.2.31\",\"source\":[\"glue\",\"child\"],"
			"\"state\":\"error\""));
	CHECK(has(&res, "port unreachable"));
	CHECK(!strstr(res.text, "asked twice"));
	CHECK(has(&res, "\"code\":\"server-error\""));
	CHECK_EQ(res.st, RW_CHECK_ERRORS);
	CHECK(res.at_ms - t0 < 1000); /* no waiting for timeouts */
	world_down(&w);
}

int main(void)
{
	if (fn_hints_file(cw_hints_path, sizeof(cw_hints_path)) < 0)
		return 1;
	test_apex_cname();
	test_udp_glue();
	test_port_unreachable();
	unlink(cw_hints_path);
	return rw_check_report("check_quirks");
}
