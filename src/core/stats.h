/* Counting client answers for the metrics (stats.c): internal to src/core. */
#ifndef RW_STATS_H
#define RW_STATS_H

#include <stdint.h>

#include "rootwalk/env.h"
#include "rootwalk/resolver.h"

/* Monotonic microseconds from env (now_mono_ms * 1000 when env has no microsecond clock). */
static inline uint64_t rw_stats_now_us(const struct rw_env *env)
{
	return env->now_mono_us ? env->now_mono_us(env->ctx) : env->now_mono_ms(env->ctx) * 1000;
}

/* A client answer with rcode (0..15) is sent: counted by rcode and in all. */
static inline void rw_stats_rcode(struct rw_stats *st, unsigned rcode)
{
	st->client_rcode[rcode & 15]++;
	st->client_answers++;
}

/* Client answers sent so far (a dropped query moves nothing). */
static inline uint64_t rw_stats_answers(const struct rw_stats *st)
{
	return st->client_answers;
}

/* One client answer took us microseconds: into the latency histogram. */
void rw_stats_answered(struct rw_stats *st, uint64_t us);

#endif
