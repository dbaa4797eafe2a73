/* When to prime the root NS set: see prime.h. */
#include "prime.h"

void rw_prime_init(struct rw_prime *p)
{
	p->phase = RW_PRIME_NEVER;
	p->backoff_ms = RW_PRIME_RETRY_MIN_MS;
	p->retry_at_ms = 0;
	p->failures = 0;
}

void rw_prime_started(struct rw_prime *p)
{
	p->phase = RW_PRIME_PENDING;
}

uint32_t rw_prime_finished(struct rw_prime *p, bool ok, uint64_t now_ms)
{
	if (ok) {
		p->phase = RW_PRIME_DONE;
		p->backoff_ms = RW_PRIME_RETRY_MIN_MS;
		p->failures = 0;
		return 0;
	}
	uint32_t wait = p->backoff_ms;
	p->phase = RW_PRIME_BACKOFF;
	p->retry_at_ms = now_ms + wait;
	p->failures++;
	p->backoff_ms = wait >= RW_PRIME_RETRY_MAX_MS / 2 ? RW_PRIME_RETRY_MAX_MS : wait * 2;
	return wait;
}

bool rw_prime_after_hints(const struct rw_prime *p)
{
	return p->phase == RW_PRIME_DONE || p->phase == RW_PRIME_NEVER;
}

bool rw_prime_due(const struct rw_prime *p, uint64_t now_ms)
{
	return p->phase == RW_PRIME_BACKOFF && now_ms >= p->retry_at_ms;
}
