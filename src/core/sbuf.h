/* A growable text buffer for the trace and control formatters (internal to the core).
 * Allocation failure is remembered (oom) and reported once by the caller at the end. */
#ifndef RW_SBUF_H
#define RW_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rw_sbuf {
	char *p; /* NUL-terminated when non-NULL; owned, free() it */
	size_t len, cap;
	bool oom;
};

/* Make room for n more bytes and the NUL; false (and oom set) when that fails. */
bool rw_sbuf_grow(struct rw_sbuf *b, size_t n);

static inline void rw_sbuf_add(struct rw_sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap && !rw_sbuf_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void rw_sbuf_puts(struct rw_sbuf *b, const char *s)
{
	rw_sbuf_add(b, s, strlen(s));
}
/* Append a copy of the len bytes at offset off of the buffer itself. */
void rw_sbuf_repeat(struct rw_sbuf *b, size_t off, size_t len);
/* "00" to "99": the two decimal digits of every number below 100, at twice the number. */
extern const char rw_digit_pairs[201];
/* The decimal digits of v at p, which has room for 24 bytes (what follows the digits there is
 * overwritten); returns the end of the digits. */
char *rw_put_uint(char *p, uint64_t v);
/* Decimal digits of v, without printf. */
void rw_sbuf_uint(struct rw_sbuf *b, uint64_t v);
void rw_sbuf_printf(struct rw_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
