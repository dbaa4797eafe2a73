/* What the resolvers of one daemon share: the cache, the infrastructure cache and the root hints.
 * Created once; each rw_resolver borrows it (rw_resolver_new_shared), so that one resolver per
 * worker thread can run over one cache (the cache and the infra cache lock themselves). A reload
 * goes through rw_shared_reconfigure.
 */
#ifndef RW_SHARED_H
#define RW_SHARED_H

#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "rootwalk/anchor.h"
#include "rootwalk/cache.h"
#include "rootwalk/dnssec.h"
#include "rootwalk/config.h"
#include "rootwalk/cookie.h"
#include "rootwalk/env.h"
#include "rootwalk/hints.h"
#include "rootwalk/infra.h"
#include "rootwalk/keycache.h"
#include "rootwalk/nseccache.h"
#include "rootwalk/ratelimit.h"

struct rw_shared {
	struct rw_cache *cache; /* owned */
	struct rw_infra *infra; /* owned */
	struct rw_hints *hints; /* owned; replaced by rw_shared_reconfigure */
	/* Trust anchors (trust-anchor-file, else the built-in root anchor), domain-insecure names
	 * and negative trust anchors. Owned; the same object for the daemon's life: a reload
	 * replaces its contents (rw_anchors_replace), keeping the NTAs. */
	struct rw_anchors *anchors;
	struct rw_keycache
		*keys; /* owned; the validator's verdicts per zone, flushed by a reload */
	/* owned; validated NSEC records per zone for aggressive negative answers (RFC 8198),
	 * flushed by a reload */
	struct rw_nseccache *nsec;
	/* owned; ECDSA public keys kept converted for verification (dnssec_pkey.c) */
	struct rw_dsec_pkeys *pkeys;

	/* The client gate's state, one for every resolver (worker thread) of the daemon, so that a
	 * server cookie made by one worker is valid at another, and ip-ratelimit counts all of a
	 * client's queries. Reached through rw_shared_cookie_secret and rw_shared_ratelimit. */
	pthread_mutex_t gate_lock;
	uint8_t key[16]; /* the tables' SipHash key */
	/* The server cookie secret, for the daemon's life: drawn from env when the first cookie
	 * arrives, so that the random numbers of a resolver that sees none stay as they were (the
	 * golden traces of the unit tests replay them). Written once under gate_lock, then
	 * have_secret set (release); read without the lock once have_secret is seen (acquire). */
	uint8_t cookie_secret[RW_COOKIE_SECRET_LEN];
	atomic_bool have_secret;
	struct rw_ratelimit *rl; /* under gate_lock; made at the first limited query */

	/* RFC 8109 4 with several resolvers: only one primes at startup (the daemon's main loop),
	 * so a worker whose walk fell back to the hints has no priming of its own to go by. The
	 * root NS set is primed again by the resolver that claims repriming, once some priming
	 * succeeded (primed), one resolver at a time (rw_shared_reprime_claim). */
	atomic_bool primed;
	atomic_bool repriming;
};

#define RW_SHARED_KEYCACHE_MAX	10000 /* zones in the key cache */
#define RW_SHARED_NSECCACHE_MAX 50000 /* NSEC records in the NSEC cache */

/* Create the shared state for cfg (random hash keys from env). Returns NULL with the reason in
 * err (root hints that do not load, out of memory). */
struct rw_shared *rw_shared_new(const struct rw_env *env, const struct rw_config *cfg, char *err,
				size_t errlen);
/* NULL does nothing. The resolvers that borrow it must be freed first. */
void rw_shared_free(struct rw_shared *s);
/* The trust anchors cfg asks for: its trust-anchor-files, else the built-in root anchor; and
 * its domain-insecure names. NULL with the reason in err. */
struct rw_anchors *rw_shared_anchors(const struct rw_config *cfg, char *err, size_t errlen);
/* A reload: the cache's new limits and TTL caps, new root hints, new trust anchors (the
 * negative trust anchors kept), an empty key cache and NSEC cache. Returns the old hints, which the caller
 * frees once no resolver uses them (every resolver has been reconfigured), or NULL with the
 * reason in err, the shared state unchanged. */
struct rw_hints *rw_shared_reconfigure(struct rw_shared *s, const struct rw_config *cfg, char *err,
				       size_t errlen);

/* The server cookie secret (RW_COOKIE_SECRET_LEN bytes), drawn from env the first time. Any
 * thread. */
const uint8_t *rw_shared_cookie_secret(struct rw_shared *s, const struct rw_env *env);
/* Whether some priming of the root NS set succeeded (any resolver of the daemon). Any thread. */
bool rw_shared_primed(struct rw_shared *s);
/* A walk of a resolver fell back to the root hints: true when it is to prime the root NS set
 * again (a priming succeeded before and no other resolver is priming again), and then it holds
 * the claim until it calls rw_shared_prime_finished with claimed true. Any thread. */
bool rw_shared_reprime_claim(struct rw_shared *s);
/* A priming ended (ok: the root NS set came); claimed: the resolver held the claim, now
 * released. Any thread. */
void rw_shared_prime_finished(struct rw_shared *s, bool ok, bool claimed);
/* rw_ratelimit_check on the one table of the daemon, under its lock (the table made at the first
 * call; without memory every query passes). Any thread. */
enum rw_rl_verdict rw_shared_ratelimit(struct rw_shared *s, const struct sockaddr *client,
				       uint64_t now_ms, uint32_t qps, uint32_t slip, bool *sample);

#endif
