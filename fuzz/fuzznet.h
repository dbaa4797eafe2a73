/* The fake network of the fuzz targets that run a resolver (fuzz_check, fuzz_control,
 * fuzz_upstream_reply): a fake clock and deterministic random bytes (rw_env callbacks whose ctx
 * points at a struct fz_clock, the first member of the target's own state), and the upstream
 * queries the resolver has sent, which the fuzzer answers with replies of its making.
 * Deterministic, so that a saved input reproduces. */
#ifndef RW_FUZZ_NET_H
#define RW_FUZZ_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rootwalk/env.h"
#include "rootwalk/resolver.h"

struct fz_clock {
	uint64_t mono_ms;
	int64_t wall_us;
	uint64_t rng;
};

uint64_t fz_mono_ms(void *ctx);
int64_t fz_wall_us(void *ctx);
void fz_random(void *ctx, void *buf, size_t len);
/* A fresh env with ctx (which must point at clk: the target's first member) and these three
 * callbacks; the clock at 1,000 ms monotonic and 2026-11-25T09:46:40Z, the random bytes seeded
 * with seed. The target adds its own send, cancel, timer and trace callbacks. */
void fz_env_init(struct rw_env *env, void *ctx, struct fz_clock *clk, uint64_t seed);

#define FZ_MAX_PENDING 64

/* One upstream query the resolver sent and nobody has answered yet. */
struct fz_pending {
	uint64_t id;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint8_t wire[512];
	size_t len, qend; /* qend: offset just past the question */
};

struct fz_net {
	struct fz_pending p[FZ_MAX_PENDING];
	int n;
	bool verbose; /* RW_FUZZ_VERBOSE set: print what is sent and replied, to triage an input */
};

/* env->send's common part: check that q is a well-formed query with one question and an id not
 * outstanding (abort() if not), and keep it. Returns 0, or -ENOBUFS when FZ_MAX_PENDING are
 * out. */
int fz_net_keep(struct fz_net *net, const struct rw_upstream_query *q);
/* The query id is answered, timed out or cancelled: forget it. */
void fz_net_forget(struct fz_net *net, uint64_t id);
/* Answer p with body: its first 10 bytes are the header after the ID (flags and the four
 * counts), p's own ID and question are filled in so that the reply gets past matching, and the
 * rest of body follows the question. Forgets p when the resolver accepts it. */
void fz_net_reply(struct fz_net *net, struct rw_resolver *r, struct fz_pending *p,
		  const uint8_t *body, size_t blen);

/* One chunk of the input: which picks an outstanding query (counted from the newest); len 0
 * makes it time out, else body is its reply (fz_net_reply). False when none is outstanding. */
bool fz_net_play(struct fz_net *net, struct rw_resolver *r, uint8_t which, const uint8_t *body,
		 size_t len);

#endif
