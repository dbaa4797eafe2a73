/* Per-client rate limit (ip-ratelimit:): queries per second per client block, a /24 for IPv4
 * and a /56 for IPv6 (an IPv4-mapped address counts as IPv4).
 *
 * The table has a fixed number of slots, indexed by a keyed SipHash of the block, so spoofed
 * sources cannot make it grow and cannot aim at one slot: a block that lands on a slot held by
 * another takes it over with a fresh count. Over the limit, every slip-th query of the second
 * is to be answered with TC=1 (so that a real client comes back over TCP) and the rest
 * dropped; slip 0 drops them all, slip 1 truncates them all.
 */
#ifndef RW_RATELIMIT_H
#define RW_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RW_RATELIMIT_SLOTS 8192

enum rw_rl_verdict {
	RW_RL_PASS = 0,
	RW_RL_DROP,
	RW_RL_SLIP, /* answer TC=1 with no records */
};

struct rw_ratelimit;

/* A table of slots entries (a power of two) with the SipHash key (16 bytes, copied). NULL
 * when memory ran out. */
struct rw_ratelimit *rw_ratelimit_new(const uint8_t key[16], size_t slots);
/* NULL does nothing. */
void rw_ratelimit_free(struct rw_ratelimit *rl);
/* Count one query from client at now_ms against qps per second (qps > 0) and say what to do.
 * *sample is set true for the first verdict other than PASS of the block in each second (the
 * trace shows only those), false otherwise. */
enum rw_rl_verdict rw_ratelimit_check(struct rw_ratelimit *rl, const struct sockaddr *client,
				      uint64_t now_ms, uint32_t qps, uint32_t slip, bool *sample);

#endif
