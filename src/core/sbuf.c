/* A growable text buffer for the trace and control formatters. See sbuf.h. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/trace.h"
#include "sbuf.h"

bool rw_sbuf_grow(struct rw_sbuf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void rw_sbuf_repeat(struct rw_sbuf *b, size_t off, size_t len)
{
	if (off + len > b->len || !rw_sbuf_grow(b, len))
		return; /* grow first: the region may move with the buffer */
	memcpy(b->p + b->len, b->p + off, len);
	b->len += len;
	b->p[b->len] = '\0';
}

const char rw_digit_pairs[201] = "00010203040506070809101112131415161718192021222324252627282930"
				 "31323334353637383940414243444546474849505152535455565758596061"
				 "62636465666768697071727374757677787980818283848586878889909192"
				 "93949596979899";

char *rw_put_uint(char *p, uint64_t v)
{
	/* two digits per division, in 32 bits when the number fits, and copied as one block of
	 * fixed size (p has room for 24): a trace of a cache hit writes five to fifteen numbers */
	char tmp[48] = {0}; /* what follows the digits is copied too: defined bytes */
	int i = 24;
	while (v > UINT32_MAX) {
		unsigned d = (unsigned)(v % 100);
		v /= 100;
		i -= 2;
		memcpy(tmp + i, rw_digit_pairs + 2 * d, 2);
	}
	uint32_t w = (uint32_t)v;
	while (w >= 100) {
		unsigned d = w % 100;
		w /= 100;
		i -= 2;
		memcpy(tmp + i, rw_digit_pairs + 2 * d, 2);
	}
	if (w >= 10) {
		i -= 2;
		memcpy(tmp + i, rw_digit_pairs + 2 * w, 2);
	} else {
		tmp[--i] = (char)('0' + w);
	}
	memcpy(p, tmp + i, 24);
	return p + (24 - i);
}

void rw_sbuf_uint(struct rw_sbuf *b, uint64_t v)
{
	if (b->len + 25 > b->cap && !rw_sbuf_grow(b, 24))
		return;
	b->len = (size_t)(rw_put_uint(b->p + b->len, v) - b->p);
	b->p[b->len] = '\0';
}

void rw_sbuf_printf(struct rw_sbuf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		rw_sbuf_add(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rw_sbuf_add(b, big, (size_t)n);
	free(big);
}

/* Two digits, or as many as the number needs, without printf. */
