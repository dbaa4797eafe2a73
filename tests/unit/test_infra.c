/* The infrastructure cache: RTT smoothing and timeouts, EDNS and 0x20 facts, lameness and
 * failures with their backoff, expiry and the bound on entries. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <ldns/ldns.h>

#include "check.h"
#include "rootwalk/infra.h"

#define S (1000000LL)

static struct sockaddr_in addr(const char *ip)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

#define SA(a) ((const struct sockaddr *)&(a))

static void test_rtt(void)
{
	uint8_t key[16] = {1};
	struct rw_infra *inf = rw_infra_new(key, 100, 900);
	struct sockaddr_in a = addr("192.0.2.1");
	struct rw_server_info i;

	rw_infra_get(inf, SA(a), 0, 800, &i);
	CHECK(!i.known);
	CHECK_EQ(i.rto_ms, RW_INFRA_UNKNOWN_RTO_MS);
	rw_infra_rtt(inf, SA(a), 10000, 0); /* 10 ms */
	rw_infra_get(inf, SA(a), 0, 800, &i);
	CHECK(i.known);
	CHECK_EQ(i.srtt_us, 10000);
	CHECK_EQ(i.rttvar_us, 5000);
	CHECK_EQ(i.rto_ms, RW_INFRA_MIN_RTO_MS); /* 10 + 4 * 5 ms, but never below the floor */
	rw_infra_rtt(inf, SA(a), 2000, 0);
	rw_infra_get(inf, SA(a), 0, 800, &i);
	CHECK_EQ(i.srtt_us, 9000); /* 7/8 old + 1/8 new */
	/* timeouts back off the RTO, doubling, capped; a reply clears them */
	rw_infra_timeout(inf, SA(a), 0);
	rw_infra_timeout(inf, SA(a), 0);
	rw_infra_get(inf, SA(a), 0, 800, &i);
	CHECK_EQ(i.timeouts, 2);
	CHECK(i.rto_ms >= 4 * RW_INFRA_MIN_RTO_MS);
	rw_infra_get(inf, SA(a), 0, 60, &i);
	CHECK_EQ(i.rto_ms, 60);
	rw_infra_rtt(inf, SA(a), 2000, 0);
	rw_infra_get(inf, SA(a), 0, 800, &i);
	CHECK_EQ(i.timeouts, 0);
	/* facts expire infra-ttl after the last update */
	rw_infra_set_no_edns(inf, SA(a), 0);
	rw_infra_get(inf, SA(a), 899 * S, 800, &i);
	CHECK(i.no_edns && i.known);
	rw_infra_get(inf, SA(a), 901 * S, 800, &i);
	CHECK(!i.no_edns && !i.no_0x20 && !i.known);
	rw_infra_free(inf);
}

/* no_0x20 lasts RW_INFRA_NO0X20_S (at most infra-ttl) from the evidence; the replies that keep
 * the entry alive do not renew it (a spoofer's replies must not keep it on for good). */
static void test_no_0x20_expires(void)
{
	uint8_t key[16] = {7};
	struct rw_infra *inf = rw_infra_new(key, 100, 900);
	struct sockaddr_in a = addr("192.0.2.7");
	struct rw_server_info i;

	CHECK_EQ(rw_infra_set_no_0x20(inf, SA(a), 10 * S), RW_INFRA_NO0X20_S);
	for (int t = 20; t < 10 + RW_INFRA_NO0X20_S; t += 20) {
		rw_infra_rtt(inf, SA(a), 1000, t * S); /* ordinary replies */
		rw_infra_get(inf, SA(a), t * S, 800, &i);
		CHECK(i.no_0x20);
	}
	rw_infra_rtt(inf, SA(a), 1000, (10 + RW_INFRA_NO0X20_S) * S);
	rw_infra_get(inf, SA(a), (10 + RW_INFRA_NO0X20_S) * S, 800, &i);
	CHECK(!i.no_0x20);
	CHECK(i.known); /* the rest of what we know stays */
	/* new evidence sets it again; never longer than infra-ttl */
	CHECK_EQ(rw_infra_set_no_0x20(inf, SA(a), 1000 * S), RW_INFRA_NO0X20_S);
	rw_infra_free(inf);
	inf = rw_infra_new(key, 100, 60);
	CHECK_EQ(rw_infra_set_no_0x20(inf, SA(a), 0), 60);
	rw_infra_get(inf, SA(a), 59 * S, 800, &i);
	CHECK(i.no_0x20);
	rw_infra_get(inf, SA(a), 61 * S, 800, &i);
	CHECK(!i.no_0x20);
	rw_infra_free(inf);
}

/* The server cookie is kept per address, replaced, forgotten with the entry; the client cookie
 * is stable per address (port ignored), differs between addresses and between secrets. */
static void test_cookies(void)
{
	uint8_t key[16] = {8}, key2[16] = {9};
	struct rw_infra *inf = rw_infra_new(key, 100, 900), *inf2 = rw_infra_new(key2, 100, 900);
	struct sockaddr_in a = addr("192.0.2.8"), b = addr("192.0.2.9"), a2 = a;
	uint8_t cc[8], cc2[8], ccb[8], ccx[8], sc[32];
	a2.sin_port = htons(5353);

	CHECK_EQ(rw_infra_cookie(inf, SA(a), 0, cc, sc), 0);
	CHECK_EQ(rw_infra_cookie(inf, SA(a2), 0, cc2, sc), 0);
	CHECK(memcmp(cc, cc2, 8) == 0);
	CHECK_EQ(rw_infra_cookie(inf, SA(b), 0, ccb, sc), 0);
	CHECK(memcmp(cc, ccb, 8) != 0);
	CHECK_EQ(rw_infra_cookie(inf2, SA(a), 0, ccx, sc), 0);
	CHECK(memcmp(cc, ccx, 8) != 0);

	const uint8_t s1[16] = "0123456789abcdef", s2[8] = "ABCDEFGH";
	rw_infra_set_cookie(inf, SA(a), s1, sizeof(s1), 0);
	CHECK_EQ(rw_infra_cookie(inf, SA(a), S, cc2, sc), 16);
	CHECK(memcmp(sc, s1, 16) == 0 && memcmp(cc, cc2, 8) == 0);
	CHECK_EQ(rw_infra_cookie(inf, SA(b), S, ccb, sc), 0); /* per server */
	rw_infra_set_cookie(inf, SA(a), s2, sizeof(s2), 2 * S);
	CHECK_EQ(rw_infra_cookie(inf, SA(a), 3 * S, cc2, sc), 8);
	CHECK(memcmp(sc, s2, 8) == 0);
	/* lengths RFC 7873 does not allow are not kept */
	rw_infra_set_cookie(inf, SA(a), s1, 7, 4 * S);
	uint8_t big[40] = {0};
	rw_infra_set_cookie(inf, SA(a), big, 33, 4 * S);
	CHECK_EQ(rw_infra_cookie(inf, SA(a), 5 * S, cc2, sc), 8);
	/* forgotten infra-ttl after the last update */
	CHECK_EQ(rw_infra_cookie(inf, SA(a), 903 * S, cc2, sc), 0);
	rw_infra_free(inf);
	rw_infra_free(inf2);
}

/* Wrong-case replies are counted every time but a log line is due at most once per
 * RW_INFRA_CASE_LOG_S, with the count since the last one. */
static void test_case_log_rate(void)
{
	uint8_t key[16] = {10};
	struct rw_infra *inf = rw_infra_new(key, 100, 900);
	CHECK_EQ(rw_infra_case_mismatch(inf, 100 * S), 1);
	uint64_t logged = 0;
	for (int k = 1; k <= 1000; k++)
		logged += rw_infra_case_mismatch(inf, 100 * S + k * 1000); /* 1 s of flood */
	CHECK_EQ(logged, 0);
	CHECK_EQ(rw_infra_case_mismatch(inf, (100 + RW_INFRA_CASE_LOG_S) * S), 1001);
	CHECK_EQ(rw_infra_case_mismatch(inf, (101 + RW_INFRA_CASE_LOG_S) * S), 0);
	rw_infra_free(inf);
}

static void test_lame_and_failures(void)
{
	uint8_t key[16] = {2};
	struct rw_infra *inf = rw_infra_new(key, 100, 900);
	struct sockaddr_in a = addr("192.0.2.2");
	ldns_rdf *com = ldns_dname_new_frm_str("com."), *net = ldns_dname_new_frm_str("NET.");
	ldns_rdf *net2 = ldns_dname_new_frm_str("net.");
	struct rw_server_info i;

	/* lame for one zone only, for 30 s, then 60, 120, 240, 300 at most */
	CHECK_EQ(rw_infra_set_lame(inf, SA(a), com, 0), RW_INFRA_LAME_MIN_S);
	CHECK(rw_infra_is_lame(inf, SA(a), com, 29 * S));
	CHECK(!rw_infra_is_lame(inf, SA(a), net2, 29 * S));
	CHECK(!rw_infra_is_lame(inf, SA(a), com, 30 * S));
	CHECK_EQ(rw_infra_set_lame(inf, SA(a), com, 31 * S), 60);
	CHECK_EQ(rw_infra_set_lame(inf, SA(a), com, 100 * S), 120);
	CHECK_EQ(rw_infra_set_lame(inf, SA(a), com, 200 * S), 240);
	CHECK_EQ(rw_infra_set_lame(inf, SA(a), com, 300 * S), RW_INFRA_LAME_MAX_S);
	CHECK_EQ(rw_infra_set_lame(inf, SA(a), com, 400 * S), RW_INFRA_LAME_MAX_S);
	/* zone names in any case are one zone */
	CHECK_EQ(rw_infra_set_lame(inf, SA(a), net, 400 * S), RW_INFRA_LAME_MIN_S);
	CHECK(rw_infra_is_lame(inf, SA(a), net2, 401 * S));
	/* a failure ranks the server lower for 10 s, doubling; a good reply forgets it */
	CHECK_EQ(rw_infra_failed(inf, SA(a), 500 * S), RW_INFRA_FAIL_MIN_S);
	rw_infra_get(inf, SA(a), 509 * S, 800, &i);
	CHECK(i.failing);
	rw_infra_get(inf, SA(a), 510 * S, 800, &i);
	CHECK(!i.failing);
	CHECK_EQ(rw_infra_failed(inf, SA(a), 511 * S), 2 * RW_INFRA_FAIL_MIN_S);
	rw_infra_good(inf, SA(a), 512 * S);
	rw_infra_get(inf, SA(a), 512 * S, 800, &i);
	CHECK(!i.failing);
	CHECK_EQ(rw_infra_failed(inf, SA(a), 513 * S), RW_INFRA_FAIL_MIN_S);
	/* never longer than infra-ttl */
	struct rw_infra *short_ttl = rw_infra_new(key, 100, 20);
	CHECK_EQ(rw_infra_set_lame(short_ttl, SA(a), com, 0), 20);
	rw_infra_free(short_ttl);
	ldns_rdf_deep_free(com);
	ldns_rdf_deep_free(net);
	ldns_rdf_deep_free(net2);
	rw_infra_free(inf);
}

static void test_bound(void)
{
	uint8_t key[16] = {3};
	struct rw_infra *inf = rw_infra_new(key, 4, 900);
	char ip[32];
	for (int k = 1; k <= 10; k++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", k);
		struct sockaddr_in a = addr(ip);
		rw_infra_rtt(inf, SA(a), 1000, k * S);
	}
	CHECK_EQ(rw_infra_count(inf), 4);
	/* the least recently updated went first: the last four are known */
	struct rw_server_info i;
	struct sockaddr_in old = addr("192.0.2.1"), recent = addr("192.0.2.10");
	rw_infra_get(inf, SA(old), 11 * S, 800, &i);
	CHECK(!i.known);
	rw_infra_get(inf, SA(recent), 11 * S, 800, &i);
	CHECK(i.known);
	rw_infra_flush(inf);
	CHECK_EQ(rw_infra_count(inf), 0);
	rw_infra_free(inf);
}

int main(void)
{
	test_rtt();
	test_no_0x20_expires();
	test_cookies();
	test_case_log_rate();
	test_lame_and_failures();
	test_bound();
	return rw_check_report("infra");
}
