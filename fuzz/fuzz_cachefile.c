/* Fuzz target: the cache file reader (load-cache). Each input line is read by rw_cachefile_parse;
 * a line it accepts is stored into a small cache with rw_cachefile_store, and the entry written
 * again with rw_cachefile_format must read back and write the very same line (what a load
 * accepts, a dump of it gives back unchanged). Refusals carry a printable one-line reason.
 * Nothing leaks. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "rootwalk/cache.h"
#include "rootwalk/cachefile.h"
#include "../src/core/sbuf.h"
#include "fuzz.h"

#define NOW	  (1795600800LL * 1000000) /* 2026-11-25T10:00:00Z */
#define MAX_LINES 64

static void printable(const char *s)
{
	REQUIRE(s[0] != '\0');
	for (; *s; s++)
		REQUIRE((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f);
}

static void one_line(struct rw_cache *c, const char *line, size_t len)
{
	struct rw_cache_entry e, again;
	char err[256] = "";
	int rc = rw_cachefile_parse(line, len, &e, err, sizeof(err));

	if (rc < 0) {
		printable(err);
		return;
	}
	if (rc == 0)
		return;
	struct rw_sbuf a = {0}, b = {0};
	rw_cachefile_format(&a, &e, NOW);
	if (!a.oom) {
		/* written, it reads back to an entry that writes the same line */
		rc = rw_cachefile_parse(a.p, a.len, &again, err, sizeof(err));
		if (rc != 1)
			fprintf(stderr, "not read back (%s): %s", err, a.p);
		REQUIRE(rc == 1);
		rw_cachefile_format(&b, &again, NOW);
		REQUIRE(!b.oom && b.len == a.len && memcmp(a.p, b.p, a.len) == 0);
		rw_cache_entry_clear(&again);
	}
	rc = rw_cachefile_store(c, &e, NOW);
	REQUIRE(rc == RW_CACHEFILE_STORED || rc == RW_CACHEFILE_EXPIRED ||
		rc == RW_CACHEFILE_PRESENT || rc < 0);
	rw_cache_entry_clear(&e);
	free(a.p);
	free(b.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rw_cache_opts o = {.max_ttl = 86400, .max_negative_ttl = 3600, .max_bytes = 1 << 20};
	uint8_t key[16] = {0};
	struct rw_cache *c = rw_cache_new(&o, key);
	const char *p = (const char *)data, *end = p + size;

	REQUIRE(c != NULL);
	for (int n = 0; p < end && n < MAX_LINES; n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		/* a copy of exactly the line: a read past it is caught */
		char *line = malloc(len ? len : 1);

		REQUIRE(line != NULL);
		memcpy(line, p, len);
		one_line(c, line, len);
		free(line);
		p += len + (nl ? 1 : 0);
	}
	rw_cache_free(c);
	return 0;
}
