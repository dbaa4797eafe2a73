/* The fake clock and the deterministic random bytes of the fuzz targets that run a resolver
 * (fuzz_check, fuzz_control, fuzz_upstream_reply): rw_env callbacks whose ctx points at a struct
 * fz_clock, the first member of the target's own state. Deterministic, so that a saved input
 * reproduces. */
#ifndef RW_FUZZ_CLOCK_H
#define RW_FUZZ_CLOCK_H

#include <stddef.h>
#include <stdint.h>

struct fz_clock {
	uint64_t mono_ms;
	int64_t wall_us;
	uint64_t rng;
};

uint64_t fz_mono_ms(void *ctx);
int64_t fz_wall_us(void *ctx);
void fz_random(void *ctx, void *buf, size_t len);

#endif
