/* Which server address to ask next: a pure function of what the infrastructure cache knows about
 * each candidate (read at the current time), how often each was asked in this walk, and a random
 * number. No state of its own.
 *
 * Rules, in order: the addresses asked the fewest times in this walk; among those, servers that
 * did not answer SERVFAIL or REFUSED lately (the others only when no other is left); then the
 * fastest expected (smoothed RTT; an unknown server counts as RW_INFRA_UNKNOWN_RTO_MS, one that
 * timed out as its backed-off timeout), ties broken from a random start to spread the load;
 * except that one time in RW_SELECT_EXPLORE_ONE_IN a random one is taken, so that one slow answer
 * does not exile a server for good.
 */
#ifndef RW_SELECT_H
#define RW_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "rootwalk/infra.h"

#define RW_SELECT_EXPLORE_ONE_IN 8
#define RW_SELECT_MAX		 64 /* candidates looked at */

struct rw_select_cand {
	uint64_t score_us; /* rw_select_score() */
	unsigned attempts; /* queries this address got in this walk */
	bool failing;	   /* answered SERVFAIL, REFUSED or NOTAUTH lately */
};

/* The expected wait for a server's reply, in microseconds; info NULL: nothing is known. */
uint64_t rw_select_score(const struct rw_server_info *info);
/* The index of the candidate to ask (among the first RW_SELECT_MAX), or -1 when n is 0. rnd: two
 * random bytes. */
int rw_select_pick(const struct rw_select_cand *c, int n, const uint8_t rnd[2]);

#endif
