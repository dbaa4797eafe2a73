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
#include "fakenet.h"
#include "rootwalk/check.h"
#include "rootwalk/resolver.h"

static char hints_path[64];

static const char *ROOT_DATA =
	". 86400 IN SOA a.root-servers.net. host.root-servers.net. 1 1800 900 604800 300\n"
	". 518400 IN NS a.root-servers.net.\n"
	"a.root-servers.net. 518400 IN A 192.0.2.1\n"
	"com. 172800 IN NS a.gtld-servers.com.\n"
	"a.gtld-servers.com. 172800 IN A 192.0.2.10\n";

static const char *COM_DATA =
	"com. 900 IN SOA a.gtld-servers.com. host.gtld-servers.com. 1 1800 900 604800 300\n"
	"com. 172800 IN NS a.gtld-servers.com.\n"
	"example.com. 172800 IN NS ns1.example.com.\n"
	"example.com. 172800 IN NS ns2.example.com.\n"
	"ns1.example.com. 172800 IN A 192.0.2.30\n"
	"ns2.example.com. 172800 IN A 192.0.2.31\n";

static const char *EXAMPLE_DATA =
	"example.com. 3600 IN SOA ns1.example.com. host.example.com. 7 1800 900 604800 600\n"
	"example.com. 3600 IN NS ns1.example.com.\n"
	"example.com. 3600 IN NS ns2.example.com.\n"
	"ns1.example.com. 3600 IN A 192.0.2.30\n"
	"ns2.example.com. 3600 IN A 192.0.2.31\n"
	"www.example.com. 300 IN A 203.0.113.7\n";

struct world {
	struct fakenet fn;
	struct rw_config *cfg;
	int ns1, ns2, com;
	int refusing;	  /* a server whose every query comes back ECONNREFUSED, or -1 */
	int tcp_refusing; /* one whose TCP queries do, or -1 */
};

struct result {
	int calls;
	enum rw_check_status st;
	char text[65536];
	uint64_t at_ms;
	struct fakenet *fn;
};

static void world_up(struct world *w, const char *more)
{
	char buf[4096];
	memset(w, 0, sizeof(*w));
	fn_init(&w->fn, false);
	fn_server(&w->fn, "192.0.2.1", ".", ROOT_DATA);
	w->com = fn_server(&w->fn, "192.0.2.10", "com.", COM_DATA);
	snprintf(buf, sizeof(buf), "%s%s", EXAMPLE_DATA, more);
	w->ns1 = fn_server(&w->fn, "192.0.2.30", "example.com.", buf);
	w->ns2 = fn_server(&w->fn, "192.0.2.31", "example.com.", buf);
	w->refusing = w->tcp_refusing = -1;
	w->cfg = fn_config(hints_path);
	fn_start(&w->fn, w->cfg);
	w->fn.concurrent = true;
}

static void world_down(struct world *w)
{
	fn_free(&w->fn);
	rw_config_free(w->cfg);
}

static void on_check(void *arg, enum rw_check_status st, const char *text, size_t len)
{
	struct result *res = arg;
	res->calls++;
	res->st = st;
	res->at_ms = res->fn->mono_ms;
	snprintf(res->text, sizeof(res->text), "%.*s", (int)len, text ? text : "(null)");
}

/* What is due first: an answer now, a timeout when sent plus its wait, the resolver's timer;
 * a query to the refusing server fails now with ECONNREFUSED, as the edge reports ICMP port
 * unreachable. */
static void run(struct world *w, int max)
{
	struct fakenet *fn = &w->fn;
	for (int i = 0; i < max; i++) {
		uint64_t due = UINT64_MAX;
		int pick = -1;
		for (int k = 0; k < fn->n_queue; k++) {
			const struct fn_sent *s = &fn->queue[k];
			bool silent = s->server < 0 || fn->servers[s->server].drop;
			uint64_t d = silent ? s->sent_ms + s->timeout_ms : fn->mono_ms;
			if (d < due) {
				due = d;
				pick = k;
			}
		}
		if (fn->timer_set && fn->timer_at <= due) {
			fn->timer_set = false;
			if (fn->timer_at > fn->mono_ms) {
				fn->wall_us += (int64_t)(fn->timer_at - fn->mono_ms) * 1000;
				fn->mono_ms = fn->timer_at;
			}
			rw_resolver_on_timer(fn->r);
			continue;
		}
		if (pick < 0)
			return;
		struct fn_sent s = fn->queue[pick];
		if (s.server >= 0 &&
		    (s.server == w->refusing || (s.tcp && s.server == w->tcp_refusing))) {
			memmove(&fn->queue[pick], &fn->queue[pick + 1],
				(size_t)(fn->n_queue - pick - 1) * sizeof(s));
			fn->n_queue--;
			fn->servers[s.server].queries++;
			rw_resolver_on_timeout(fn->r, s.id, -ECONNREFUSED);
			continue;
		}
		memmove(&fn->queue[1], &fn->queue[0], (size_t)pick * sizeof(s));
		fn->queue[0] = s;
		fn_run(fn, 1);
	}
}

static void do_check(struct world *w, const char *name, uint16_t qtype, struct result *res)
{
	ldns_rdf *n = ldns_dname_new_frm_str(name);
	memset(res, 0, sizeof(*res));
	res->fn = &w->fn;
	uint64_t h = rw_resolver_check(w->fn.r, ldns_rdf_data(n), ldns_rdf_size(n), qtype,
				       RW_CHECK_JSON, on_check, res);
	ldns_rdf_deep_free(n);
	CHECK(h > 0);
	run(w, 2000);
	CHECK_EQ(res->calls, 1);
	if (getenv("RW_TEST_VERBOSE"))
		fprintf(stderr, "---\n%s\n", res->text);
}

static bool has(const struct result *res, const char *s)
{
	bool found = strstr(res->text, s) != NULL;
	if (!found)
		fprintf(stderr, "--- report without \"%s\":\n%s\n", s, res->text);
	return found;
}

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
	do_check(&w, "example.com.", LDNS_RR_TYPE_A, &res);
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
	do_check(&w, "www.example.com.", LDNS_RR_TYPE_A, &res);
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
	do_check(&w, "www.example.com.", LDNS_RR_TYPE_A, &res);
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
	do_check(&w, "www.example.com.", LDNS_RR_TYPE_A, &res);
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
	do_check(&w, "www.example.com.", LDNS_RR_TYPE_A, &res);
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
	do_check(&w, "www.example.com.", LDNS_RR_TYPE_A, &res);
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
	if (fn_hints_file(hints_path, sizeof(hints_path)) < 0)
		return 1;
	test_apex_cname();
	test_udp_glue();
	test_port_unreachable();
	unlink(hints_path);
	return rw_check_report("check_quirks");
}
