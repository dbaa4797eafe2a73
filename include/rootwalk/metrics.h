/* The Prometheus text exposition (format 0.0.4) of the resolver's counters: served by the
 * daemon's metrics-listen endpoint and by `rootwalk stats --prometheus`, the same text. */
#ifndef RW_METRICS_H
#define RW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "rootwalk/resolver.h"

struct rw_cache;

/* One thread's counters, for the families with a worker label. */
struct rw_metrics_thread {
	char name[16]; /* "0", "1", ... or "main" (the control socket's resolver) */
	struct rw_stats st;
	uint64_t in_progress;
};

/* What the counters do not hold. */
struct rw_metrics_edge {
	uint64_t trace_dropped; /* whole traces the trace sink dropped since start */
	uint64_t in_progress;	/* client requests being resolved (rw_resolver_pending) */
	/* Each thread's counters (borrowed; n_threads 0: no families with a worker label). */
	const struct rw_metrics_thread *threads;
	size_t n_threads;
};

/* The Content-Type of the text. */
#define RW_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Every metric family: # HELP and # TYPE lines, then the samples, from st (one resolver's
 * counters, or the sums over workers), the cache and edge, all borrowed; then, per thread of
 * edge->threads, the rootwalk_worker_* families with a worker label. Returns the text,
 * malloc'd and NUL-terminated (the caller frees it), its length in *len; NULL when memory ran
 * out. */
char *rw_metrics_text(const struct rw_stats *st, const struct rw_cache *cache,
		      const struct rw_metrics_edge *edge, size_t *len);

/* What an HTTP request asks, as far as the endpoint cares. */
enum rw_metrics_req {
	RW_METRICS_NEED_MORE,	/* no blank line yet: read more (within the size bound) */
	RW_METRICS_GET,		/* GET /metrics (a query string is ignored): 200 */
	RW_METRICS_NOT_FOUND,	/* GET of another path: 404 */
	RW_METRICS_BAD_METHOD,	/* a well-formed request with another method: 405 */
	RW_METRICS_BAD_REQUEST, /* anything else (not HTTP/1.x, control bytes, no target): 400 */
};

/* Parse the request line and headers in buf (len bytes, not NUL-terminated, borrowed; nothing
 * is allocated), up to the blank line that ends the headers (CRLF or a bare LF, RFC 9112
 * 2.2). The headers themselves are only checked to be printable lines: one request per
 * connection, answered with Connection: close, so none of them changes the answer. */
enum rw_metrics_req rw_metrics_parse_request(const char *buf, size_t len);

#endif
