/* The fuzz targets' fake clock and random bytes: see fuzzclock.h. */
#include "fuzzclock.h"

uint64_t fz_mono_ms(void *ctx)
{
	return ((struct fz_clock *)ctx)->mono_ms;
}

int64_t fz_wall_us(void *ctx)
{
	return ((struct fz_clock *)ctx)->wall_us;
}

void fz_random(void *ctx, void *buf, size_t len)
{
	struct fz_clock *c = ctx;
	uint8_t *b = buf;

	for (size_t i = 0; i < len; i++) {
		c->rng = c->rng * 6364136223846793005ull + 1442695040888963407ull;
		b[i] = (uint8_t)(c->rng >> 56);
	}
}
