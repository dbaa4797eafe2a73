/* When to prime the root NS set (RFC 8109), as a pure state machine: the resolver tells it when
 * a priming starts and ends and when an answer had to fall back to the root hints; it says
 * whether to prime now and when to try again. A failed priming is retried on a timer, 1 s
 * doubling to 60 s, never after every answer. Internal to src/core. */
#ifndef RW_PRIME_H
#define RW_PRIME_H

#include <stdbool.h>
#include <stdint.h>

#define RW_PRIME_RETRY_MIN_MS 1000
#define RW_PRIME_RETRY_MAX_MS 60000
/* The longest a client question waits for a priming under way before it walks from the hints. */
#define RW_PRIME_WAIT_MS 1500

enum rw_prime_phase {
	RW_PRIME_NEVER,	  /* not asked to prime (tests, or priming off) */
	RW_PRIME_PENDING, /* a priming query is under way */
	RW_PRIME_DONE,	  /* the last priming worked */
	RW_PRIME_BACKOFF, /* the last priming failed: retry at retry_at_ms */
};

struct rw_prime {
	enum rw_prime_phase phase;
	uint32_t backoff_ms; /* the wait after the next failure */
	uint64_t retry_at_ms;
	uint32_t failures; /* in a row */
	bool claimed;	   /* the priming under way holds the shared reprime claim */
};

void rw_prime_init(struct rw_prime *p);
/* A priming query was started. */
void rw_prime_started(struct rw_prime *p);
/* The priming query ended; ok when it got the root NS set. Returns the milliseconds until the
 * next try (0 after a success). */
uint32_t rw_prime_finished(struct rw_prime *p, bool ok, uint64_t now_ms);
/* A client answer walked from the root hints (the primed NS set had expired): may this resolver
 * prime again? After its own success, or when it never primed (a worker thread: the daemon's
 * main loop primed; rw_shared_reprime_claim then decides); a failed priming waits for its
 * timer. */
bool rw_prime_after_hints(const struct rw_prime *p);
/* The retry timer fired at now_ms: prime now? */
bool rw_prime_due(const struct rw_prime *p, uint64_t now_ms);

#endif
