/* Server choice (select.c): fewest attempts, failing servers last, the fastest, exploration. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "rootwalk/select.h"

static int pick(const struct rw_select_cand *c, int n, uint8_t r0, uint8_t r1)
{
	const uint8_t r[2] = {r0, r1};
	return rw_select_pick(c, n, r);
}

static void test_scores(void)
{
	struct rw_server_info info;
	memset(&info, 0, sizeof(info));
	CHECK_EQ(rw_select_score(NULL), RW_INFRA_UNKNOWN_RTO_MS * 1000);
	CHECK_EQ(rw_select_score(&info), RW_INFRA_UNKNOWN_RTO_MS * 1000); /* known: false */
	info.known = true;
	info.srtt_us = 1234;
	CHECK_EQ(rw_select_score(&info), 1234);
	info.timeouts = 2;
	info.rto_ms = 800;
	CHECK_EQ(rw_select_score(&info), 800000); /* a timeout outweighs the RTT */
}

static void test_pick(void)
{
	struct rw_select_cand c[4] = {
		{.score_us = 5000}, {.score_us = 300}, {.score_us = 9000}, {.score_us = 300}};
	CHECK_EQ(pick(c, 0, 1, 1), -1);
	CHECK_EQ(pick(c, 1, 0, 0), 0);
	/* the fastest; of two equally fast, the one after the random start */
	CHECK_EQ(pick(c, 4, 1, 0), 1);
	CHECK_EQ(pick(c, 4, 1, 2), 3);
	CHECK_EQ(pick(c, 4, 1, 3), 3);
	CHECK_EQ(pick(c, 4, 1, 4), 1);
	/* one time in RW_SELECT_EXPLORE_ONE_IN (rnd[0] a multiple of it): a random one */
	CHECK_EQ(pick(c, 4, 0, 2), 2);
	CHECK_EQ(pick(c, 4, RW_SELECT_EXPLORE_ONE_IN, 0), 0);
	/* fewest attempts first: the fast ones were asked already */
	c[1].attempts = c[3].attempts = 1;
	CHECK_EQ(pick(c, 4, 1, 0), 0);
	CHECK_EQ(pick(c, 4, 0, 1), 2); /* exploration stays within the tier */
	/* a failing server is asked after the others, even when it is the fastest */
	c[1].attempts = c[3].attempts = 0;
	c[1].failing = c[3].failing = true;
	CHECK_EQ(pick(c, 4, 1, 1), 0);
	CHECK_EQ(pick(c, 4, 0, 3), 2);
	/* ... and when every server fails, the fastest of them */
	c[0].failing = c[2].failing = true;
	CHECK_EQ(pick(c, 4, 1, 0), 1);
	/* exploring over many random draws reaches every candidate of the tier */
	c[0].failing = c[1].failing = c[2].failing = c[3].failing = false;
	int seen[4] = {0};
	for (int r = 0; r < 256; r++)
		seen[pick(c, 4, (uint8_t)r, (uint8_t)(r / 8))]++;
	CHECK(seen[0] > 0 && seen[2] > 0);
	CHECK(seen[1] + seen[3] > 200); /* mostly the fast ones */
}

int main(void)
{
	test_scores();
	test_pick();
	return rw_check_report("select");
}
