/* `rootwalk check` (src/core/check*.c) on the scripted network with a fake clock: a healthy zone,
 * lame, silent and out-of-date servers, glue and NS set mismatches, NODATA and CNAME problems,
 * MX targets, what the cache holds (and that a check never changes it), the JSON report (the control request: test_check_control.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "checkworld.h"
#include "fakenet.h"
#include "fakesign.h"
#include "rootwalk/cache.h"
#include "rootwalk/check.h"
#include "rootwalk/control.h"
#include "rootwalk/resolver.h"

/* A reply whose question is not the one asked. */
static void answer_other_question(struct fn_server *s, const void *query, void *reply)
{
	(void)s;
	(void)query;
	ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(reply), 0);
	ldns_rdf *other = ldns_dname_new_frm_str("elsewhere.example.");
	ldns_rdf_deep_free(ldns_rr_owner(q));
	ldns_rr_set_owner(q, other);
}

/* ---------------------------------------------------------------------------------------------
 * The tests
 */

/* Every server answers the same: no findings, exit status ok; the JSON has the contract's
 * keys; the walk starts from the cached cut and the cache is left as it was. */
static void test_healthy(void)
{
	struct world w;
	struct result res;
	world_up(&w, "");
	/* a client question first: the cut example.com. is cached */
	CHECK_EQ(fn_ask(&w.fn, "ns1.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	struct rw_cache *c = rw_resolver_cache(w.fn.r);
	size_t entries = rw_cache_count(c), bytes = rw_cache_bytes(c);
	unsigned root_queries = w.fn.servers[w.root].queries;
	uint64_t upstream = rw_resolver_stats(w.fn.r)->upstream_queries;

	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK_EQ(res.st, RW_CHECK_OK);
	CHECK(json_ok(res.text));
	CHECK(has(&res, "{\"name\":\"www.example.com.\",\"type\":\"A\",\"zone\":\"example.com.\","
			"\"status\":\"ok\",\"checked_at\":\"2026-11-25T10:00"));
	CHECK(has(&res, "\"parent\":{\"zone\":\"com.\",\"ns\":[\"ns1.example.com.\","
			"\"ns2.example.com.\"],\"ns_ttl\":172800,\"glue\":{\"ns1.example.com.\":"
			"[\"192.0.2.30\"],\"ns2.example.com.\":[\"192.0.2.31\"]},\"servers\":["
			"\"192.0.2.10\"]}"));
	CHECK(has(&res, "\"child_ns\":[\"ns1.example.com.\",\"ns2.example.com.\"],"
			"\"child_ns_ttl\":3600"));
	CHECK(has(&res, "{\"name\":\"ns2.example.com.\",\"address\":\"192.0.2.31\","
			"\"source\":[\"glue\",\"child\"],\"state\":\"ok\",\"rtt_ms\":"));
	CHECK(has(&res, ",\"soa_serial\":2026120301,\"tcp\":\"ok\",\"detail\":\"\",\"answer\""));
	CHECK(has(&res,
		  "\"answer\":{\"rcode\":\"NOERROR\",\"aa\":true,\"records\":["
		  "\"www.example.com. 300 IN A 203.0.113.7\"],\"min_ttl\":300,\"max_ttl\":300}"));
	CHECK(has(&res, "\"findings\":[]"));
	CHECK(has(&res, "\"ttl\":{\"answer_max_ttl\":300,\"serve_until\":\"2026-11-25T10:05:0"));
	CHECK(has(&res, "\"delegation_ttl\":172800"));
	CHECK(has(&res, "\"negative_ttl\":600"));
	CHECK(has(&res, "\"cache\":{\"cached\":false"));
	/* the walk began at the cached cut: the root was not asked again */
	CHECK_EQ(w.fn.servers[w.root].queries, root_queries);
	CHECK(w.fn.servers[w.ns1].tcp_queries >= 1 && w.fn.servers[w.ns2].tcp_queries >= 1);
	/* nothing stored, nothing counted as the resolver's own */
	CHECK_EQ(rw_cache_count(c), entries);
	CHECK_EQ(rw_cache_bytes(c), bytes);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->upstream_queries, upstream);
	ldns_rdf *n = ldns_dname_new_frm_str("www.example.com.");
	struct rw_cache_entry e;
	CHECK(!rw_cache_get(c, RW_ENTRY_RRSET, n, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, w.fn.wall_us,
			    RW_RANK_NONE, &e));
	ldns_rdf_deep_free(n);
	CHECK_EQ(rw_check_running(w.fn.r), 0);

	/* the text report: header with the status, the table, the advice */
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, false, &res));
	CHECK(has(&res, "check www.example.com. A: zone example.com., parent com.: status: ok\n"));
	CHECK(has(&res, "no problems found"));
	CHECK(has(&res, "may serve it until 10:05:0"));
	CHECK(has(&res, "the parent's delegation TTL is 172800 s: until 2026-11-27 10:00:0"));
	CHECK(has(&res, "negative answers may be cached 600 s"));
	world_down(&w);
}

static void test_lame(void)
{
	struct world w;
	struct result res;
	world_up(&w, "");
	w.fn.servers[w.ns2].refuse = true;
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK(json_ok(res.text));
	CHECK_EQ(res.st, RW_CHECK_ERRORS);
	CHECK(has(&res, "\"status\":\"errors\""));
	CHECK(has(&res, "\"address\":\"192.0.2.31\",\"source\":[\"glue\",\"child\"],\"state\":"
			"\"refused\""));
	CHECK(has(&res, "{\"severity\":\"error\",\"code\":\"lame-refused\",\"text\":\"1 of 2 "
			"servers of example.com. refuse to answer for the zone (lame): "
			"ns2.example.com. (192.0.2.31) REFUSED the zone's SOA question\","
			"\"servers\":[\"192.0.2.31\"]}"));
	world_down(&w);

	/* a server that answers for its parent zone (a referral back up): wrong zone */
	world_up(&w, "");
	fn_server_records(&w.fn, w.ns2, CW_COM_DATA);
	snprintf(w.fn.servers[w.ns2].zones[0], sizeof(w.fn.servers[0].zones[0]), "com.");
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK(has(&res, "\"code\":\"lame-wrong-zone\""));
	CHECK(has(&res, "answers with a referral to example.com."));
	world_down(&w);
}

/* Replies with a wrong ID, from a wrong port, or to another question are not taken. */
static void test_forged(void)
{
	struct world w;
	struct result res;
	world_up(&w, "");
	w.fn.servers[w.ns1].spoof_first = true;
	w.fn.servers[w.com].spoof_first = true;
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK_EQ(w.fn.forged_accepted, 0);
	CHECK_EQ(res.st, RW_CHECK_OK);
	world_down(&w);

	/* a server that answers another question (its own name, upper case aside) */
	world_up(&w, "");
	w.fn.servers[w.ns2].mangle = answer_other_question;
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK(w.fn.rejected > 0);
	CHECK(has(&res, "\"address\":\"192.0.2.31\",\"source\":[\"glue\",\"child\"],"
			"\"state\":\"timeout\""));
	world_down(&w);
}

/* Servers that answer FORMERR to EDNS are asked again without it, as resolvers do (RFC 6891
 * 7): the walk goes on, and the zone's server is ok with a warning. */
static void test_no_edns(void)
{
	struct world w;
	struct result res;
	world_up(&w, "");
	w.fn.servers[w.com].no_edns = true;
	w.fn.servers[w.ns2].no_edns = true;
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK(json_ok(res.text));
	CHECK(has(&res, "\"address\":\"192.0.2.31\",\"source\":[\"glue\",\"child\"],\"state\":"
			"\"ok\""));
	CHECK(has(&res, "{\"severity\":\"warning\",\"code\":\"server-no-edns\",\"text\":"
			"\"ns2.example.com. (192.0.2.31) answers FORMERR to questions with EDNS"));
	CHECK(!strstr(res.text, "server-error"));
	CHECK_EQ(res.st, RW_CHECK_WARNINGS);
	world_down(&w);
}

/* Silent servers: the check still ends within its budget on the fake clock, saying so. */
static void test_silent(void)
{
	struct world w;
	struct result res;
	world_up(&w, "");
	w.fn.servers[w.ns2].drop = true;
	uint64_t t0 = w.fn.mono_ms;
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK(res.at_ms - t0 <= RW_CHECK_BUDGET_MS);
	CHECK(has(&res, "\"state\":\"timeout\""));
	CHECK(has(&res, "\"code\":\"server-timeout\""));
	CHECK(has(&res, "ns2.example.com. (192.0.2.31) no answer to the zone's SOA question "
			"(asked twice)"));
	CHECK(has(&res, "\"tcp\":\"failed\""));
	CHECK_EQ(res.st, RW_CHECK_ERRORS);
	world_down(&w);

	/* every server of the zone silent */
	world_up(&w, "");
	w.fn.servers[w.ns1].drop = w.fn.servers[w.ns2].drop = true;
	t0 = w.fn.mono_ms;
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, false, &res));
	CHECK(res.at_ms - t0 <= RW_CHECK_BUDGET_MS);
	CHECK(has(&res, "[server-timeout] 2 of 2 servers of example.com. do not answer"));
	CHECK(w.fn.n_queue == 0); /* nothing left in flight */
	world_down(&w);

	/* the parent silent too: the walk cannot reach the zone */
	world_up(&w, "");
	w.fn.servers[w.com].drop = true;
	t0 = w.fn.mono_ms;
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK(json_ok(res.text));
	CHECK(res.at_ms - t0 <= RW_CHECK_BUDGET_MS);
	CHECK(has(&res, "\"code\":\"server-timeout\""));
	CHECK(has(&res, "1 of 1 servers of com. do not answer"));
	CHECK(has(&res,
		  "\"walk\":{\"complete\":false,\"stopped_at\":\"com.\",\"why\":\"no server of "
		  "com. answered (1 of 1 silent)\"}"));
	world_down(&w);
}

static void test_serial_and_answers(void)
{
	struct world w;
	struct result res;
	world_up(&w, "");
	zone_records(&w, w.ns1, 2026120302u, "");
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK(json_ok(res.text));
	CHECK(has(&res, "\"code\":\"serial-mismatch\",\"text\":\"servers of example.com. "
			"disagree on the SOA serial: 192.0.2.30 2026120302, 192.0.2.31 2026120301 "
			"(behind)\",\"servers\":[\"192.0.2.31\"]"));
	CHECK(!strstr(res.text, "answer-mismatch"));
	world_down(&w);

	/* one server has another address for www */
	world_up(&w, "");
	fn_server_records(&w.fn, w.ns2,
			  "example.com. 3600 IN SOA ns1.example.com. host.example.com. 2026120301 "
			  "1800 900 604800 600\n"
			  "example.com. 3600 IN NS ns1.example.com.\n"
			  "example.com. 3600 IN NS ns2.example.com.\n"
			  "ns1.example.com. 3600 IN A 192.0.2.30\n"
			  "ns2.example.com. 3600 IN A 192.0.2.31\n"
			  "www.example.com. 300 IN A 203.0.113.8\n");
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, false, &res));
	CHECK(has(&res, "[answer-mismatch] the servers give different answers: 192.0.2.30 says "
			"203.0.113.7; 192.0.2.31 says 203.0.113.8"));
	CHECK_EQ(res.st, RW_CHECK_ERRORS);
	world_down(&w);
}

/* Glue against the child's own address records; NS names in one set only. */
static void test_delegation(void)
{
	struct world w;
	struct result res;
	world_up(&w, "");
	const char *more = "ns3.example.com. 3600 IN A 192.0.2.32\n"
			   "example.com. 3600 IN NS ns3.example.com.\n";
	char buf[4096];
	snprintf(buf, sizeof(buf), EXAMPLE_FMT, 2026120301u, more);
	/* ns2's own A record says .33, the parent's glue .31 */
	char *p = strstr(buf, "ns2.example.com. 3600 IN A 192.0.2.31");
	memcpy(p, "ns2.example.com. 3600 IN A 192.0.2.33", 37);
	fn_server_records(&w.fn, w.ns1, buf);
	fn_server_records(&w.fn, w.ns2, buf);
	int ns3 = fn_server(&w.fn, "192.0.2.32", "example.com.", buf);
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK(json_ok(res.text));
	CHECK(has(&res, "\"code\":\"glue-mismatch\",\"text\":\"the parent's glue for "
			"ns2.example.com. is 192.0.2.31, the zone itself says 192.0.2.33\""));
	CHECK(has(&res, "\"code\":\"ns-child-only\",\"text\":\"the zone's own NS set names "
			"ns3.example.com., which the parent's delegation does not"));
	/* the servers only the child names, at the child's own addresses, were asked too */
	CHECK(has(&res, "{\"name\":\"ns3.example.com.\",\"address\":\"192.0.2.32\",\"source\":["
			"\"child\"],\"state\":\"ok\""));
	CHECK(w.fn.servers[ns3].queries > 0);
	CHECK(has(&res, "\"address\":\"192.0.2.33\",\"source\":[\"child\"],\"state\":\"timeout\""));
	world_down(&w);
}

/* With the trace log on, every query of a check is in it, as a resolution's are. */
static void test_trace_log(void)
{
	struct world w;
	struct result res;
	memset(&w, 0, sizeof(w));
	w.refusing = w.tcp_refusing = -1;
	fn_init(&w.fn, true);
	char buf[4096];
	snprintf(buf, sizeof(buf), EXAMPLE_FMT, 2026120301u, "");
	w.root = fn_server(&w.fn, "192.0.2.1", ".", CW_ROOT_DATA);
	w.com = fn_server(&w.fn, "192.0.2.10", "com.", CW_COM_DATA);
	w.ns1 = fn_server(&w.fn, "192.0.2.30", "example.com.", buf);
	w.ns2 = fn_server(&w.fn, "192.0.2.31", "example.com.", buf);
	w.fn.servers[w.ns2].drop = true;
	w.cfg = fn_config(cw_hints_path);
	fn_start(&w.fn, w.cfg);
	w.fn.concurrent = true;
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, false, &res));
	CHECK(fn_trace_has(&w.fn, "www.example.com. A  (rootwalk check: the cache is read, never "
				  "changed)"));
	CHECK(fn_trace_has(&w.fn, "zone example.com.  ask ns1.example.com. (192.0.2.30) tcp  "
				  "\"example.com. SOA\""));
	CHECK(fn_trace_has(&w.fn, "<- no reply from ns2.example.com. (192.0.2.31) after 1000 ms: "
				  "timeout"));
	unsigned asks = 0;
	for (const char *p = w.fn.trace; (p = strstr(p, "  ask ")); p++)
		asks++;
	CHECK_EQ(asks, w.fn.sent_total);
	world_down(&w);
}

/* DNSSEC: the parent's DS against the zone's DNSKEY set (secure, then a DS of another key). */
static void test_dnssec(void)
{
	const int64_t now_s = 1795600800; /* fn_init's clock */
	struct fs_key kex, kother;
	CHECK(fs_key_new(&kex, "example.com.") == 0 && fs_key_new(&kother, "example.com.") == 0);
	char zone[4096];
	snprintf(zone, sizeof(zone), EXAMPLE_FMT, 2026120301u, "");
	char *signed_zone = fs_sign("example.com.", zone, &kex, now_s - 86400, now_s + 30 * 86400);
	/* signatures that end in 100 s, before the 300 s TTL of www */
	char *ending = fs_sign("example.com.", zone, &kex, now_s - 86400, now_s + 100);
	for (int k = 0; k < 3; k++) {
		struct world w;
		struct result res;
		world_up(&w, "");
		fn_server_records(&w.fn, w.ns1, k == 2 ? ending : signed_zone);
		fn_server_records(&w.fn, w.ns2, k == 2 ? ending : signed_zone);
		char *ds = fs_ds_line(k == 1 ? &kother : &kex), com[4096];
		snprintf(com, sizeof(com), "%s%s", CW_COM_DATA, ds);
		fn_server_records(&w.fn, w.com, com);
		CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
		CHECK(json_ok(res.text));
		if (k == 0) {
			CHECK(has(&res, "\"dnssec\":{\"checked\":true,\"result\":\"secure\""));
			/* signed for 30 days from the fake clock's 2026-11-25T10:00:00Z */
			CHECK(has(&res, "\"earliest_rrsig_expiry\":\"2026-12-25T10:00:00Z\""));
			CHECK_EQ(res.st, RW_CHECK_OK);
		} else if (k == 2) {
			CHECK(has(
				&res,
				"\"code\":\"dnssec-sig-expires-before-ttl\",\"text\":\"the "
				"signature of www.example.com. A ends at 2026-11-25T10:01:40Z, 100 "
				"s from now, before its TTL of 300 s"));
			CHECK(has(&res, "\"earliest_rrsig_expiry\":\"2026-11-25T10:01:40Z\""));
			CHECK_EQ(res.st, RW_CHECK_WARNINGS);
		} else {
			CHECK(has(&res,
				  "\"code\":\"dnssec-ds-mismatch\",\"text\":\"the parent's DS "
				  "for example.com. (key tag"));
			CHECK_EQ(res.st, RW_CHECK_ERRORS);
		}
		free(ds);
		world_down(&w);
	}
	free(signed_zone);
	free(ending);
	fs_key_free(&kex);
	fs_key_free(&kother);
}

/* do-not-query-localhost: a loopback address learned from DNS is not asked, as in a resolution. */
static void test_localhost(void)
{
	struct world w;
	struct result res;
	world_up(&w, "");
	w.cfg->do_not_query_localhost = true;
	char com[2048];
	snprintf(com, sizeof(com), "%s", CW_COM_DATA);
	char *p = strstr(com, "ns2.example.com. 172800 IN A 192.0.2.31");
	memcpy(p + strlen("ns2.example.com. 172800 IN A "), "127.0.0.31", 10);
	fn_server_records(&w.fn, w.com, com);
	snprintf(w.fn.servers[w.ns2].addr, sizeof(w.fn.servers[0].addr), "127.0.0.31");
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, false, &res));
	CHECK(has(&res, "ns2.example.com. (127.0.0.31) not asked: do-not-query-localhost"));
	CHECK_EQ(w.fn.servers[w.ns2].queries, 0);
	world_down(&w);
}

static void test_records(void)
{
	struct world w;
	struct result res;
	/* NODATA: the types the name has instead */
	world_up(&w, "");
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_MX, false, &res));
	CHECK(has(&res, "[nodata] www.example.com. has no MX record (NODATA); it has: A, TXT"));
	CHECK_EQ(res.st, RW_CHECK_WARNINGS);
	CHECK(cw_check(&w, "nothere.example.com.", LDNS_RR_TYPE_A, false, &res));
	CHECK(has(&res, "[nxdomain] nothere.example.com. does not exist (NXDOMAIN)"));
	world_down(&w);

	/* a CNAME beside other data, MX targets that are a CNAME or do not exist */
	world_up(&w, "alias.example.com. 300 IN CNAME www.example.com.\n"
		     "alias.example.com. 300 IN TXT \"not allowed\"\n"
		     "example.com. 300 IN MX 10 alias.example.com.\n"
		     "example.com. 300 IN MX 20 gone.example.com.\n");
	CHECK(cw_check(&w, "alias.example.com.", LDNS_RR_TYPE_A, false, &res));
	CHECK(has(&res, "[cname-and-other-data] alias.example.com. has a CNAME record and other "
			"data (CNAME, TXT)"));
	CHECK(cw_check(&w, "example.com.", LDNS_RR_TYPE_MX, true, &res));
	CHECK(json_ok(res.text));
	CHECK(has(&res, "\"code\":\"mx-target-cname\",\"text\":\"the MX target alias.example.com. "
			"is a CNAME"));
	CHECK(has(&res, "\"code\":\"target-unresolvable\",\"text\":\"the MX target "
			"gone.example.com. has no address"));
	CHECK(!strstr(res.text, "alias.example.com. has no address"));
	world_down(&w);

	/* an in-zone NS name that the zone makes a CNAME */
	world_up(&w, "");
	char buf[4096];
	snprintf(buf, sizeof(buf), EXAMPLE_FMT, 2026120301u, "");
	char *ns2 = strstr(buf, "ns2.example.com. 3600 IN A 192.0.2.31\n");
	const char *alias = "ns2.example.com. 3600 IN CNAME ns1.example.com.\n";
	memmove(ns2 + strlen(alias), ns2 + 38, strlen(ns2 + 38) + 1);
	memcpy(ns2, alias, strlen(alias));
	fn_server_records(&w.fn, w.ns1, buf);
	fn_server_records(&w.fn, w.ns2, buf);
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, false, &res));
	CHECK(has(&res, "[ns-target-cname] the NS target ns2.example.com. is a CNAME"));
	world_down(&w);

	/* a CNAME at the apex; TTLs out of the usual range */
	world_up(&w, "example.com. 300 IN CNAME www.example.com.\n"
		     "long.example.com. 604800 IN A 192.0.2.77\n"
		     "short.example.com. 5 IN A 192.0.2.78\n");
	CHECK(cw_check(&w, "example.com.", LDNS_RR_TYPE_A, false, &res));
	CHECK(has(&res, "[cname-at-apex] the apex of example.com. has a CNAME record"));
	CHECK(cw_check(&w, "long.example.com.", LDNS_RR_TYPE_A, false, &res));
	CHECK(has(&res, "[ttl-long] the answer's TTL is 604800 s"));
	CHECK(cw_check(&w, "short.example.com.", LDNS_RR_TYPE_A, false, &res));
	CHECK(has(&res, "[ttl-short] the answer's TTL is 5 s"));
	world_down(&w);
}

/* The cache holds the old address: cache-differs says until when, and the cache keeps it. */
static void test_cache_differs(void)
{
	struct world w;
	struct result res;
	world_up(&w, "");
	CHECK_EQ(fn_ask(&w.fn, "www.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	fn_advance(&w.fn, 100);
	char buf[4096];
	snprintf(buf, sizeof(buf), EXAMPLE_FMT, 2026120302u, "");
	char *p = strstr(buf, "203.0.113.7");
	p[10] = '9';
	fn_server_records(&w.fn, w.ns1, buf);
	fn_server_records(&w.fn, w.ns2, buf);
	size_t entries = rw_cache_count(rw_resolver_cache(w.fn.r));
	CHECK(cw_check(&w, "www.example.com.", LDNS_RR_TYPE_A, true, &res));
	CHECK(json_ok(res.text));
	CHECK(has(&res, "\"code\":\"cache-differs\",\"text\":\"this resolver holds records for "
			"www.example.com. A that are not what the servers say now: it serves the "
			"old value until 10:05:0"));
	CHECK(has(&res, " UTC; `rootwalk flush www.example.com.` to refresh now\""));
	CHECK(has(&res, "\"cache\":{\"cached\":true,\"kind\":\"rrset\",\"records\":["
			"\"www.example.com. 300 IN A 203.0.113.7\"],\"from\":\"192.0.2.3"));
	CHECK(has(&res, "\"ttl_left\":200,\"expires\":\"2026-11-25T10:05:0"));
	CHECK(has(&res, "\"differs\":true}"));
	CHECK_EQ(res.st, RW_CHECK_WARNINGS);
	CHECK_EQ(rw_cache_count(rw_resolver_cache(w.fn.r)), entries);
	/* the client still gets the cached value */
	CHECK_EQ(fn_ask(&w.fn, "www.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.7"));
	world_down(&w);
}

int main(void)
{
	if (fn_hints_file(cw_hints_path, sizeof(cw_hints_path)) < 0)
		return 1;
	test_healthy();
	test_lame();
	test_forged();
	test_no_edns();
	test_silent();
	test_serial_and_answers();
	test_delegation();
	test_records();
	test_localhost();
	test_dnssec();
	test_trace_log();
	test_cache_differs();
	unlink(cw_hints_path);
	return rw_check_report("check");
}
