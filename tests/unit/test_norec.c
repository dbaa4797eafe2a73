/* Unit tests for src/core/norec.c: referrals from the cache for queries with RD clear, with a
 * fake clock. */
#include "rootwalk/norec.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testquery.h"

#define SEC 1000000LL
#define T0  (1700000000LL * SEC)

static const uint8_t key[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};

static void store(struct rw_cache *c, enum rw_rank rank, const char *zone, const char *a,
		  const char *b)
{
	ldns_rr_list *l = ldns_rr_list_new();
	struct rw_source *src = rw_source_new("ns.test.", zone, NULL, 0);
	ldns_rr *r = NULL;

	CHECK(src != NULL);
	CHECK(ldns_rr_new_frm_str(&r, a, 0, NULL, NULL) == LDNS_STATUS_OK);
	ldns_rr_list_push_rr(l, r);
	if (b) {
		r = NULL;
		CHECK(ldns_rr_new_frm_str(&r, b, 0, NULL, NULL) == LDNS_STATUS_OK);
		ldns_rr_list_push_rr(l, r);
	}
	CHECK(rw_cache_store_rrset(c, l, rank, src, T0) == 1);
	rw_source_unref(src);
	ldns_rr_list_deep_free(l);
}

struct result {
	ldns_pkt *p;
	size_t len;
	char cut[64];
};

/* Ask: find the cut and write the referral into a buffer of cap bytes; parse it back. */
static struct result ask(struct rw_cache *c, const char *name, uint16_t type, bool edns,
			 int64_t now, size_t cap)
{
	uint8_t q[512], out[1232];
	struct rw_client_query cq;
	struct rw_cache_entry cut;
	struct result res = {0};
	size_t qlen = test_query(q, 0x1234, 0, name, type, edns ? 1 : -1);

	CHECK(rw_wire_parse_query(q, qlen, &cq) == RW_QUERY_OK);
	if (!rw_norec_find_cut(c, &cq, now, &cut))
		return res;
	char *s = ldns_rdf2str(cut.owner);
	snprintf(res.cut, sizeof(res.cut), "%s", s);
	free(s);
	res.len = rw_norec_referral(c, q, qlen, &cq, &cut, now, out, cap);
	rw_cache_entry_clear(&cut);
	CHECK(res.len > 0 && res.len <= cap);
	CHECK(ldns_wire2pkt(&res.p, out, res.len) == LDNS_STATUS_OK);
	return res;
}

static bool has_rr(const ldns_rr_list *l, const char *text)
{
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(l, i));
		bool same = s && strncmp(s, text, strlen(text)) == 0;
		free(s);
		if (same)
			return true;
	}
	return false;
}

static struct rw_cache *lab_cache(void)
{
	struct rw_cache_opts o = {.max_ttl = 86400, .max_negative_ttl = 3600};
	struct rw_cache *c = rw_cache_new(&o, key);

	CHECK(c != NULL);
	store(c, RW_RANK_ANSWER, ".", ". 86400 IN NS a.root-servers.net.", NULL);
	store(c, RW_RANK_GLUE, ".", "a.root-servers.net. 86400 IN A 127.1.0.1", NULL);
	store(c, RW_RANK_REFERRAL, ".", "com. 172800 IN NS a.gtld-servers.net.", NULL);
	store(c, RW_RANK_GLUE, ".", "a.gtld-servers.net. 172800 IN A 127.2.0.1",
	      "a.gtld-servers.net. 172800 IN AAAA 2001:db8::2:1");
	store(c, RW_RANK_REFERRAL, "com.", "example.com. 3600 IN NS ns1.example.com.",
	      "example.com. 3600 IN NS ns2.example.com.");
	store(c, RW_RANK_GLUE, "com.", "ns1.example.com. 3600 IN A 127.3.0.1", NULL);
	return c;
}

static void test_referral_to_the_closest_cut(void)
{
	struct rw_cache *c = lab_cache();
	/* 100 s later: the TTLs have counted down */
	struct result r = ask(c, "WWW.Example.COM.", LDNS_RR_TYPE_A, true, T0 + 100 * SEC, 1232);

	CHECK(strcmp(r.cut, "example.com.") == 0);
	CHECK(r.p != NULL);
	if (r.p) {
		CHECK(ldns_pkt_id(r.p) == 0x1234);
		CHECK(ldns_pkt_qr(r.p) && ldns_pkt_ra(r.p));
		CHECK(!ldns_pkt_aa(r.p) && !ldns_pkt_rd(r.p) && !ldns_pkt_tc(r.p));
		CHECK(ldns_pkt_get_rcode(r.p) == LDNS_RCODE_NOERROR);
		CHECK(ldns_pkt_ancount(r.p) == 0);
		/* the question as the client wrote it */
		char *q = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(r.p), 0)));
		CHECK(q && strcmp(q, "WWW.Example.COM.") == 0);
		free(q);
		CHECK(ldns_pkt_nscount(r.p) == 2);
		CHECK(has_rr(ldns_pkt_authority(r.p),
			     "example.com.\t3500\tIN\tNS\tns1.example.com."));
		CHECK(has_rr(ldns_pkt_authority(r.p),
			     "example.com.\t3500\tIN\tNS\tns2.example.com."));
		/* the address cached for ns1 (none for ns2), then OPT with DO copied */
		CHECK(ldns_rr_list_rr_count(ldns_pkt_additional(r.p)) == 1);
		CHECK(has_rr(ldns_pkt_additional(r.p), "ns1.example.com.\t3500\tIN\tA\t127.3.0.1"));
		CHECK(ldns_pkt_edns(r.p) && ldns_pkt_edns_do(r.p));
		CHECK(ldns_pkt_edns_udp_size(r.p) == RW_EDNS_BUFSIZE);
		ldns_pkt_free(r.p);
	}
	rw_cache_free(c);
}

static void test_ds_goes_to_the_parent(void)
{
	struct rw_cache *c = lab_cache();
	struct result r = ask(c, "example.com.", LDNS_RR_TYPE_DS, false, T0, 1232);

	/* DS lives on the parent side of the cut: com., with both addresses of its server */
	CHECK(strcmp(r.cut, "com.") == 0);
	if (r.p) {
		CHECK(has_rr(ldns_pkt_authority(r.p), "com.\t86400\tIN\tNS\ta.gtld-servers.net."));
		CHECK(ldns_rr_list_rr_count(ldns_pkt_additional(r.p)) == 2);
		CHECK(!ldns_pkt_edns(r.p)); /* the client sent no OPT */
		ldns_pkt_free(r.p);
	}
	/* an A query for the same name stays below the cut */
	r = ask(c, "example.com.", LDNS_RR_TYPE_A, false, T0, 1232);
	CHECK(strcmp(r.cut, "example.com.") == 0);
	ldns_pkt_free(r.p);
	rw_cache_free(c);
}

static void test_walks_up_past_expired_and_unknown(void)
{
	struct rw_cache *c = lab_cache();
	struct result r = ask(c, "www.example.org.", LDNS_RR_TYPE_A, false, T0, 1232);

	CHECK(strcmp(r.cut, ".") == 0); /* nothing cached under org. */
	ldns_pkt_free(r.p);
	/* example.com. NS expires after 3600 s, to the second; com. (86400 after the cap) stays */
	r = ask(c, "www.example.com.", LDNS_RR_TYPE_A, false, T0 + 3599 * SEC, 1232);
	CHECK(strcmp(r.cut, "example.com.") == 0);
	ldns_pkt_free(r.p);
	r = ask(c, "www.example.com.", LDNS_RR_TYPE_A, false, T0 + 3600 * SEC, 1232);
	CHECK(strcmp(r.cut, "com.") == 0);
	ldns_pkt_free(r.p);
	/* after a day nothing is left: no cut at all (the resolver answers REFUSED) */
	r = ask(c, "www.example.com.", LDNS_RR_TYPE_A, false, T0 + 86400 * SEC, 1232);
	CHECK(r.cut[0] == '\0' && r.p == NULL);
	rw_cache_free(c);
}

static void test_small_buffers(void)
{
	struct rw_cache *c = lab_cache();
	/* header 12 + question 21 + the two NS records of 40 bytes each: room for them, not for
	 * the address (31 bytes) */
	struct result r = ask(c, "www.example.com.", LDNS_RR_TYPE_A, false, T0, 12 + 21 + 80 + 30);

	if (r.p) {
		CHECK(ldns_pkt_nscount(r.p) == 2 && ldns_pkt_arcount(r.p) == 0);
		CHECK(!ldns_pkt_tc(r.p)); /* the additional section is optional */
		ldns_pkt_free(r.p);
	}
	/* room for one NS record only: TC, and no partial NS set */
	r = ask(c, "www.example.com.", LDNS_RR_TYPE_A, false, T0, 12 + 21 + 40);
	if (r.p) {
		CHECK(ldns_pkt_tc(r.p));
		CHECK(ldns_pkt_nscount(r.p) == 0 && ldns_pkt_arcount(r.p) == 0);
		CHECK(ldns_pkt_qdcount(r.p) == 1);
		ldns_pkt_free(r.p);
	}
	/* with EDNS the OPT record always fits: its room is kept first */
	r = ask(c, "www.example.com.", LDNS_RR_TYPE_A, true, T0, 12 + 21 + 11 + 40);
	if (r.p) {
		CHECK(ldns_pkt_tc(r.p) && ldns_pkt_edns(r.p));
		ldns_pkt_free(r.p);
	}
	rw_cache_free(c);
}

int main(void)
{
	test_referral_to_the_closest_cut();
	test_ds_goes_to_the_parent();
	test_walks_up_past_expired_and_unknown();
	test_small_buffers();
	return rw_check_report("test_norec");
}
