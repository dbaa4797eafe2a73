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

void rw_sbuf_uint(struct rw_sbuf *b, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	rw_sbuf_add(b, tmp + i, sizeof(tmp) - (size_t)i);
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

void rw_sbuf_json_str(struct rw_sbuf *b, const char *s)
{
	rw_sbuf_puts(b, "\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			rw_sbuf_add(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			rw_sbuf_printf(b, "\\u%04x", c);
		} else {
			rw_sbuf_add(b, (const char *)&c, 1);
		}
	}
	rw_sbuf_puts(b, "\"");
}

/* Two digits, or as many as the number needs, without printf. */
static char *put_num(char *p, char *end, uint64_t v, int min_digits)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n < min_digits)
		tmp[n++] = '0';
	while (n && p < end)
		*p++ = tmp[--n];
	return p;
}

char *rw_fmt_ms(char *buf, size_t len, int64_t us)
{
	uint64_t hundredths = us > 0 ? ((uint64_t)us + 5) / 10 : 0;
	snprintf(buf, len, "%llu.%02u", (unsigned long long)(hundredths / 100),
		 (unsigned)(hundredths % 100));
	return buf;
}

void rw_fmt_duration(char *buf, size_t len, int64_t secs)
{
	if (len < 24) {
		snprintf(buf, len, "?");
		return;
	}
	uint64_t s = secs < 0 ? 0 : (uint64_t)secs;
	char *p = buf, *end = buf + len - 1;
	if (s >= 86400) {
		p = put_num(p, end, s / 86400, 1);
		*p++ = 'd';
		p = put_num(p, end, s % 86400 / 3600, 2);
		*p++ = 'h';
		p = put_num(p, end, s % 3600 / 60, 2);
		*p++ = 'm';
	} else if (s >= 3600) {
		p = put_num(p, end, s / 3600, 1);
		*p++ = 'h';
		p = put_num(p, end, s % 3600 / 60, 2);
		*p++ = 'm';
		p = put_num(p, end, s % 60, 2);
		*p++ = 's';
	} else if (s >= 60) {
		p = put_num(p, end, s / 60, 1);
		*p++ = 'm';
		p = put_num(p, end, s % 60, 2);
		*p++ = 's';
	} else {
		p = put_num(p, end, s, 1);
		*p++ = 's';
	}
	*p = '\0';
}
