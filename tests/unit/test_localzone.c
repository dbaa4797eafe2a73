/* Unit tests for src/core/localzone.c: which names are local, and the answers built for them. */
#include "rootwalk/localzone.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "testquery.h"

static int find(const char *name)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	int z = rw_localzone_find(ldns_rdf_data(d), ldns_rdf_size(d));

	ldns_rdf_deep_free(d);
	return z;
}

static const char *zone_of(const char *name)
{
	int z = find(name);
	return z < 0 ? "-" : rw_localzone_name(z);
}

static void test_find(void)
{
	CHECK(strcmp(zone_of("localhost."), "localhost.") == 0);
	CHECK(strcmp(zone_of("a.b.LOCALHOST."), "localhost.") == 0);
	CHECK(strcmp(zone_of("x.Invalid."), "invalid.") == 0);
	CHECK(strcmp(zone_of("1.1.168.192.in-addr.arpa."), "168.192.in-addr.arpa.") == 0);
	CHECK(strcmp(zone_of("1.1.16.172.in-addr.arpa."), "16.172.in-addr.arpa.") == 0);
	CHECK(strcmp(zone_of("1.1.31.172.in-addr.arpa."), "31.172.in-addr.arpa.") == 0);
	CHECK(strcmp(zone_of("x.home.arpa."), "home.arpa.") == 0);
	CHECK(strcmp(zone_of("1.2.d.f.ip6.arpa."), "d.f.ip6.arpa.") == 0);
	/* not local: near misses, public reverse space, the documentation prefixes */
	CHECK(find(".") < 0);
	CHECK(find("testy.") < 0);
	CHECK(find("xtest.") < 0);
	CHECK(find("localhost.example.com.") < 0);
	CHECK(find("1.1.15.172.in-addr.arpa.") < 0);
	CHECK(find("1.1.32.172.in-addr.arpa.") < 0);
	CHECK(find("42.113.0.203.in-addr.arpa.") < 0);
	CHECK(find("arpa.") < 0);
	CHECK(find("in-addr.arpa.") < 0);
	CHECK(find("172.in-addr.arpa.") < 0);
	CHECK(find("c.e.f.ip6.arpa.") < 0);
	/* one label "x\004arpa" ends in the same bytes as the name arpa. does */
	CHECK(find("x\\004arpa.") < 0);
	CHECK(find("10.in-addr.x\\004arpa.") < 0);
}

struct got {
	ldns_pkt *p;
	int rcode;
};

static struct got answer(const char *name, uint16_t type, bool edns, size_t cap)
{
	uint8_t q[512], out[1232];
	struct rw_client_query cq;
	struct got g = {0};
	size_t qlen = test_query(q, 0xabcd, 0x0100, name, type, edns ? 0 : -1);
	int zone = find(name);

	CHECK(zone >= 0);
	CHECK(rw_wire_parse_query(q, qlen, &cq) == RW_QUERY_OK);
	if (zone < 0)
		return g;
	size_t n = rw_localzone_answer(zone, q, qlen, &cq, out, cap, &g.rcode);
	CHECK(n <= cap);
	if (n > 0)
		CHECK(ldns_wire2pkt(&g.p, out, n) == LDNS_STATUS_OK);
	return g;
}

static char *first(const ldns_rr_list *l)
{
	return l && ldns_rr_list_rr_count(l) ? ldns_rr2str(ldns_rr_list_rr(l, 0)) : NULL;
}

static void expect(const char *name, uint16_t type, int rcode, const char *an, const char *ns)
{
	struct got g = answer(name, type, true, 1232);
	char *a = NULL, *s = NULL;

	CHECK_EQ(g.rcode, rcode);
	if (!g.p)
		return;
	CHECK(ldns_pkt_aa(g.p) && ldns_pkt_qr(g.p) && ldns_pkt_rd(g.p) && ldns_pkt_ra(g.p));
	CHECK(ldns_pkt_id(g.p) == 0xabcd && ldns_pkt_edns(g.p));
	CHECK_EQ(ldns_pkt_get_rcode(g.p), rcode);
	a = first(ldns_pkt_answer(g.p));
	s = first(ldns_pkt_authority(g.p));
	if (an)
		CHECK(a && strcmp(a, an) == 0);
	else
		CHECK(a == NULL);
	if (ns)
		CHECK(s && strcmp(s, ns) == 0);
	else
		CHECK(s == NULL);
	if ((an && (!a || strcmp(a, an))) || (ns && (!s || strcmp(s, ns))))
		fprintf(stderr, "  %s: got answer %s authority %s\n", name, a ? a : "-",
			s ? s : "-");
	free(a);
	free(s);
	ldns_pkt_free(g.p);
}

#define SOA(z) z "\t10800\tIN\tSOA\tlocalhost. nobody.invalid. 1 3600 1200 604800 10800\n"

static void test_answers(void)
{
	expect("localhost.", LDNS_RR_TYPE_A, 0, "localhost.\t10800\tIN\tA\t127.0.0.1\n", NULL);
	expect("a.LocalHost.", LDNS_RR_TYPE_AAAA, 0, "a.LocalHost.\t10800\tIN\tAAAA\t::1\n", NULL);
	expect("a.localhost.", LDNS_RR_TYPE_MX, 0, NULL, SOA("localhost."));
	expect("a.localhost.", LDNS_RR_TYPE_NS, 0, "a.localhost.\t10800\tIN\tNS\tlocalhost.\n",
	       NULL);
	expect("1.0.0.127.in-addr.arpa.", LDNS_RR_TYPE_PTR, 0,
	       "1.0.0.127.in-addr.arpa.\t10800\tIN\tPTR\tlocalhost.\n", NULL);
	expect("0.0.127.in-addr.arpa.", LDNS_RR_TYPE_PTR, 0, NULL, SOA("127.in-addr.arpa."));
	expect("2.0.0.127.in-addr.arpa.", LDNS_RR_TYPE_PTR, 3, NULL, SOA("127.in-addr.arpa."));
	expect("invalid.", LDNS_RR_TYPE_A, 0, NULL, SOA("invalid."));
	expect("invalid.", LDNS_RR_TYPE_SOA, 0, SOA("invalid."), NULL);
	expect("x.invalid.", LDNS_RR_TYPE_A, 3, NULL, SOA("invalid."));
	expect("abc.onion.", LDNS_RR_TYPE_A, 3, NULL, SOA("onion."));
	expect("1.2.3.10.in-addr.arpa.", LDNS_RR_TYPE_PTR, 3, NULL, SOA("10.in-addr.arpa."));
}

static void test_small_buffer(void)
{
	/* header 12 + question 15 + OPT 11 fit, the A record (25 bytes) does not: nothing */
	struct got g = answer("localhost.", LDNS_RR_TYPE_A, true, 12 + 15 + 11 + 24);

	CHECK(g.p == NULL);
	g = answer("localhost.", LDNS_RR_TYPE_A, true, 12 + 15 + 11 + 25);
	CHECK(g.p != NULL && ldns_pkt_ancount(g.p) == 1);
	ldns_pkt_free(g.p);
}

int main(void)
{
	test_find();
	test_answers();
	test_small_buffer();
	return rw_check_report("test_localzone");
}
