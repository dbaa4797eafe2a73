/* The metrics endpoint (metrics_http.c): GET /metrics over HTTP/1.1 on metrics-listen. */
#ifndef RW_DAEMON_METRICS_HTTP_H
#define RW_DAEMON_METRICS_HTTP_H

#include <stdbool.h>
#include <stdint.h>

struct rw_daemon;
struct rw_metrics_http;

/* Listen on d->cfg->metrics_listen (set). Returns NULL when memory ran out; otherwise the
 * endpoint, which rw_metrics_http_ok() says is not listening when binding failed (logged). */
struct rw_metrics_http *rw_metrics_http_open(struct rw_daemon *d);
bool rw_metrics_http_ok(const struct rw_metrics_http *mh);
/* Close the listener and every connection. Before the resolver is freed. NULL does nothing. */
void rw_metrics_http_close(struct rw_metrics_http *mh);
/* Free once the loop has run every close callback. NULL does nothing. */
void rw_metrics_http_free(struct rw_metrics_http *mh);
/* Traces the trace log dropped since start (closed sinks and the open one). */
uint64_t rw_metrics_trace_dropped(const struct rw_daemon *d);

#endif
