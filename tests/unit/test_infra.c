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
	rw_infra_set_no_0x20(inf, SA(a), 0);
	rw_infra_get(inf, SA(a), 899 * S, 800, &i);
	CHECK(i.no_edns && i.no_0x20 && i.known);
	rw_infra_get(inf, SA(a), 901 * S, 800, &i);
	CHECK(!i.no_edns && !i.no_0x20 && !i.known);
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
	test_lame_and_failures();
	test_bound();
	return rw_check_report("infra");
}
