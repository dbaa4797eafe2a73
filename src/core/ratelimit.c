/* The rate limit's table: one slot per client block seen lately, counted per second. */
#include "rootwalk/ratelimit.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct slot {
	uint64_t tag;	  /* the block's hash; 0: empty */
	uint64_t second;  /* the second counted */
	uint32_t count;	  /* queries in that second */
	uint32_t over;	  /* of them, over the limit */
	uint64_t sampled; /* second + 1 of the last sampled verdict, 0: none */
};

struct rw_ratelimit {
	uint8_t key[crypto_shorthash_siphash24_KEYBYTES];
	size_t mask;
	struct slot slots[];
};

struct rw_ratelimit *rw_ratelimit_new(const uint8_t key[16], size_t slots)
{
	if (slots == 0 || (slots & (slots - 1)) != 0)
		return NULL;
	struct rw_ratelimit *rl = calloc(1, sizeof(*rl) + slots * sizeof(struct slot));
	if (!rl)
		return NULL;
	memcpy(rl->key, key, sizeof(rl->key));
	rl->mask = slots - 1;
	return rl;
}

void rw_ratelimit_free(struct rw_ratelimit *rl)
{
	free(rl);
}

/* The block of a client: family byte and the first 3 (IPv4) or 7 (IPv6) bytes. */
static size_t block_of(const struct sockaddr *client, uint8_t out[8])
{
	static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (client->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)client;
		out[0] = 4;
		memcpy(out + 1, &sin->sin_addr, 3);
		return 4;
	}
	const uint8_t *b = ((const struct sockaddr_in6 *)(const void *)client)->sin6_addr.s6_addr;
	if (memcmp(b, pre, sizeof(pre)) == 0) {
		out[0] = 4;
		memcpy(out + 1, b + 12, 3);
		return 4;
	}
	out[0] = 6;
	memcpy(out + 1, b, 7);
	return 8;
}

enum rw_rl_verdict rw_ratelimit_check(struct rw_ratelimit *rl, const struct sockaddr *client,
				      uint64_t now_ms, uint32_t qps, uint32_t slip, bool *sample)
{
	uint8_t block[8], h[crypto_shorthash_siphash24_BYTES];
	uint64_t tag, second = now_ms / 1000;

	*sample = false;
	if (client->sa_family != AF_INET && client->sa_family != AF_INET6)
		return RW_RL_PASS;
	size_t n = block_of(client, block);
	crypto_shorthash_siphash24(h, block, n, rl->key);
	memcpy(&tag, h, sizeof(tag));
	tag |= 1; /* never 0, the empty slot */
	struct slot *s = &rl->slots[tag & rl->mask];
	if (s->tag != tag || s->second != second) {
		if (s->tag != tag)
			s->sampled = 0;
		s->tag = tag;
		s->second = second;
		s->count = 0;
		s->over = 0;
	}
	if (++s->count <= qps)
		return RW_RL_PASS;
	s->over++;
	if (s->sampled != second + 1) {
		s->sampled = second + 1;
		*sample = true;
	}
	if (slip == 0)
		return RW_RL_DROP;
	return s->over % slip == 0 ? RW_RL_SLIP : RW_RL_DROP;
}
