/* Worker threads (num-threads: N > 1): one libuv loop per thread, each with its own listeners
 * (SO_REUSEPORT on every listen address), upstream sockets and rw_resolver over the daemon's one
 * rw_shared (cache, infra cache, hints, key cache, cookie secret, rate limit).
 *
 * Everything of a worker is made on the main thread before its thread starts (so that the
 * listeners are bound before privileges are dropped), then touched only on the worker's thread.
 * The main thread reaches a worker only through rw_workers_call: it posts a function to the
 * worker's mailbox (uv_async) and waits until the worker has run it, under the mailbox's mutex,
 * which is also what orders their memory. Reloads, stats and the stop go that way.
 *
 * rw_worker_open and rw_worker_stop also serve the main loop's own struct rw_worker.
 */
#ifndef RW_DAEMON_WORKER_H
#define RW_DAEMON_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"
#include "rootwalk/resolver.h"

struct rw_stats;

struct rw_workers;

/* num-threads, or when unset the online CPUs, at most RW_WORKERS_DEFAULT_MAX. */
#define RW_WORKERS_DEFAULT_MAX 8
#define RW_WORKERS_MAX	       64 /* num-threads' upper bound */
unsigned rw_workers_wanted(const struct rw_config *cfg);

/* Set w up on loop: its environment, upstream transport, resolver over d->shared, and unless
 * listen is 0 its listeners, as one of listen workers (rw_server_new). Returns 0, or -1 after
 * logging the reason; what was made is undone by rw_worker_stop and the loop's close
 * callbacks. */
int rw_worker_open(struct rw_worker *w, struct rw_daemon *d, uv_loop_t *loop, unsigned index,
		   unsigned listen);
/* Free the resolver, close the listeners, upstream sockets and timer of w (on its thread); the
 * loop then runs the close callbacks. */
void rw_worker_stop(struct rw_worker *w);
/* After the loop ran the close callbacks: free the server and the upstream transport. */
void rw_worker_free(struct rw_worker *w);
/* Switch w to cfg (borrowed: it must outlive w or the next switch), tracing as cfg says. */
void rw_worker_use_config(struct rw_worker *w, const struct rw_config *cfg);

/* n worker threads with listeners, made and bound now, started by rw_workers_start. NULL after
 * logging the reason (everything made is freed). */
struct rw_workers *rw_workers_new(struct rw_daemon *d, unsigned n);
/* Start the threads; each runs its loop (the main loop's resolver primes the shared cache). Returns 0, or -1 after
 * logging (the threads started are stopped by rw_workers_free). */
int rw_workers_start(struct rw_workers *ws);
unsigned rw_workers_count(const struct rw_workers *ws);
/* Every worker switches to cfg (rw_worker_use_config); returns once all have, so that
 * the caller may free the old configuration and hints. */
void rw_workers_use_config(struct rw_workers *ws, const struct rw_config *cfg);
/* A copy of worker i's counters and the requests it has under way, taken on its thread. */
void rw_workers_stats(struct rw_workers *ws, unsigned i, struct rw_stats *out, size_t *pending);
/* The counters of thread i (0..n-1: the workers; n: the main loop's resolver, which serves the
 * control socket; with one thread, 0 is the main loop's), or with i < 0 their sums, and the
 * requests under way; name (if not NULL) gets the thread's name ("0", "1", ..., "main").
 * Returns the number of threads, or -1 (out zeroed) when i is not one. */
int rw_daemon_stats(struct rw_daemon *d, int i, struct rw_stats *out, size_t *pending, char *name,
		    size_t namelen);
/* Stop every worker and join the threads; then free. NULL does nothing. */
void rw_workers_free(struct rw_workers *ws);

#endif
