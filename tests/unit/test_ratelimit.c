/* The rate limit's table with a fake clock: the limit per second, slip, blocks (/24, /56,
 * mapped), sampling, and a table that stays bounded under spoofed sources. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "check.h"
#include "testaddr.h"
#include "rootwalk/ratelimit.h"

static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static enum rw_rl_verdict ask(struct rw_ratelimit *rl, const char *s, uint64_t now, uint32_t qps,
			      uint32_t slip, bool *sample)
{
	struct sockaddr_storage ss = addr(s);
	return rw_ratelimit_check(rl, (const struct sockaddr *)&ss, now, qps, slip, sample);
}

static void test_limit_and_slip(void)
{
	struct rw_ratelimit *rl = rw_ratelimit_new(key, 64);
	bool sample = false;
	int pass = 0, drop = 0, slip = 0, samples = 0;
	CHECK(rl != NULL);
	/* 25 queries in one second from one /24, limit 10, slip 2 */
	for (int i = 0; i < 25; i++) {
		enum rw_rl_verdict v =
			ask(rl, i % 2 ? "192.0.2.1" : "192.0.2.77", 5000 + i, 10, 2, &sample);
		pass += v == RW_RL_PASS;
		drop += v == RW_RL_DROP;
		slip += v == RW_RL_SLIP;
		samples += sample;
		if (i < 10)
			CHECK_EQ(v, RW_RL_PASS);
		if (i == 10)
			CHECK_EQ(v, RW_RL_DROP); /* the first over the limit: 1 % 2 */
		if (i == 11)
			CHECK_EQ(v, RW_RL_SLIP);
	}
	CHECK_EQ(pass, 10);
	CHECK_EQ(slip, 7);
	CHECK_EQ(drop, 8);
	CHECK_EQ(samples, 1); /* one trace event per block per second */
	/* another /24 has its own count */
	CHECK_EQ(ask(rl, "192.0.3.1", 5100, 10, 2, &sample), RW_RL_PASS);
	/* the next second starts again */
	CHECK_EQ(ask(rl, "192.0.2.1", 6000, 10, 2, &sample), RW_RL_PASS);
	for (int i = 0; i < 9; i++)
		CHECK_EQ(ask(rl, "192.0.2.1", 6001, 10, 2, &sample), RW_RL_PASS);
	CHECK_EQ(ask(rl, "192.0.2.1", 6002, 10, 2, &sample), RW_RL_DROP);
	CHECK(sample); /* a new second: sampled again */
	/* slip 0 drops all, 1 truncates all */
	CHECK_EQ(ask(rl, "192.0.2.1", 6003, 10, 0, &sample), RW_RL_DROP);
	CHECK(!sample);
	CHECK_EQ(ask(rl, "192.0.2.1", 6004, 10, 0, &sample), RW_RL_DROP);
	CHECK_EQ(ask(rl, "192.0.2.1", 6005, 10, 1, &sample), RW_RL_SLIP);
	CHECK_EQ(ask(rl, "192.0.2.1", 6006, 10, 1, &sample), RW_RL_SLIP);
	rw_ratelimit_free(rl);
	rw_ratelimit_free(NULL);
	CHECK(rw_ratelimit_new(key, 100) == NULL); /* not a power of two */
}

static void test_blocks(void)
{
	struct rw_ratelimit *rl = rw_ratelimit_new(key, 1024);
	bool sample;
	CHECK(rl != NULL);
	/* one IPv6 /56: 2001:db8:0:ff00::/56 */
	CHECK_EQ(ask(rl, "2001:db8:0:ff01::1", 1000, 2, 1, &sample), RW_RL_PASS);
	CHECK_EQ(ask(rl, "2001:db8:0:ffee::2", 1000, 2, 1, &sample), RW_RL_PASS);
	CHECK_EQ(ask(rl, "2001:db8:0:ff77::3", 1000, 2, 1, &sample), RW_RL_SLIP);
	/* the next /56 is another block */
	CHECK_EQ(ask(rl, "2001:db8:0:fe00::1", 1000, 2, 1, &sample), RW_RL_PASS);
	/* a mapped address counts with its IPv4 /24 */
	CHECK_EQ(ask(rl, "198.51.100.1", 1000, 2, 1, &sample), RW_RL_PASS);
	CHECK_EQ(ask(rl, "::ffff:198.51.100.2", 1000, 2, 1, &sample), RW_RL_PASS);
	CHECK_EQ(ask(rl, "198.51.100.3", 1000, 2, 1, &sample), RW_RL_SLIP);
	rw_ratelimit_free(rl);
}

/* A flood from spoofed sources only takes slots over; the table does not grow, and a source
 * asking again after the flood starts a fresh count. */
static void test_spoofed_flood(void)
{
	struct rw_ratelimit *rl = rw_ratelimit_new(key, 256);
	bool sample;
	char a[64];
	int over = 0;
	CHECK(rl != NULL);
	for (int i = 0; i < 200000; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.1", (i >> 8) & 255, i & 255);
		over += ask(rl, a, 1000, 5, 2, &sample) != RW_RL_PASS;
	}
	/* 65536 blocks, each asked about 3 times: under the limit of 5 unless two share a slot
	 * and count together; with takeover they never do */
	CHECK_EQ(over, 0);
	rw_ratelimit_free(rl);
}

int main(void)
{
	test_limit_and_slip();
	test_blocks();
	test_spoofed_flood();
	return rw_check_report("test_ratelimit");
}
