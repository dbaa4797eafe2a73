/* The environment rootwalkd hands to the core (rootwalk/env.h): clocks, randomness, upstream
 * sends and cancels, the resolver's timer, the log and the trace sink. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "daemon.h"
#include "log.h"

static uint64_t env_now_mono_ms(void *ctx)
{
	(void)ctx;
	return uv_hrtime() / 1000000u;
}

static uint64_t env_now_mono_us(void *ctx)
{
	(void)ctx;
	return uv_hrtime() / 1000u;
}

int64_t rw_daemon_now_wall_us(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void rw_daemon_random_buf(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	randombytes_buf(buf, len);
}

static int env_send(void *ctx, const struct rw_upstream_query *q)
{
	struct rw_worker *w = ctx;

	return rw_upstream_send(w->upstream, q);
}

static void env_cancel(void *ctx, uint64_t id)
{
	struct rw_worker *w = ctx;

	rw_upstream_cancel(w->upstream, id);
}

static void resolver_timer_cb(uv_timer_t *t)
{
	struct rw_worker *w = t->data;

	if (w->resolver)
		rw_resolver_on_timer(w->resolver);
}

static void env_set_timer(void *ctx, uint32_t ms)
{
	struct rw_worker *w = ctx;

	if (w->resolver_timer_init && !w->stopping)
		uv_timer_start(&w->resolver_timer, resolver_timer_cb, ms, 0);
}

static void env_log(void *ctx, int level, const char *text)
{
	(void)ctx;
	rw_daemon_log(level, "%s", text);
}

void rw_daemon_trace_lock_init(struct rw_daemon *d)
{
	pthread_rwlockattr_t a;

	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&d->trace_lock, &a); /* nothing to destroy on Linux */
	pthread_rwlockattr_destroy(&a);
}

/* Any thread. The sink is swapped (trace_use in main.c) only under the write lock, so a reader
 * holding the read lock writes to a sink that stays open until it lets go. */
void rw_daemon_trace_write(struct rw_daemon *d, const char *text, size_t len)
{
	pthread_rwlock_rdlock(&d->trace_lock);
	if (d->tsink) {
		rw_tracesink_write(d->tsink, text, len);
	} else if (d->trace_stderr) {
		/* Standard error stays synchronous: it is shared with the log lines, which must not
		 * land in the middle of a trace (stdio locks the stream for the whole fwrite), and
		 * it is meant for debugging, not for load. */
		if (fwrite(text, 1, len, stderr) != len || fflush(stderr) != 0) {
			if (!atomic_exchange(&d->trace_failed, true)) /* once, not once per query */
				rw_daemon_log(RW_LOG_ERR, "writing traces to stderr: %s",
					      strerror(errno));
			clearerr(stderr);
		}
	}
	pthread_rwlock_unlock(&d->trace_lock);
}

static void env_trace_write(void *ctx, const char *text, size_t len)
{
	struct rw_worker *w = ctx;

	rw_daemon_trace_write(w->d, text, len);
}

/* A cache hit's packed record, formatted on the sink's own thread. Set only while the trace log
 * is a file; a hit that meets no file sink (a reload switching the trace log to stderr, before
 * this thread has switched) is dropped. */
static void env_trace_write_hit(void *ctx, const void *rec, size_t len)
{
	struct rw_daemon *d = ((struct rw_worker *)ctx)->d;

	pthread_rwlock_rdlock(&d->trace_lock);
	if (d->tsink)
		rw_tracesink_write_hit(d->tsink, rec, len);
	pthread_rwlock_unlock(&d->trace_lock);
}

void rw_daemon_env_tracing(struct rw_worker *w, const struct rw_config *cfg)
{
	/* cfg's trace sink is open whenever cfg is in use (main.c trace_sink_open) */
	bool on = cfg && cfg->trace_log;
	bool to_file = on && strcmp(cfg->trace_log, "stderr") != 0;

	w->env.trace_write = on ? env_trace_write : NULL;
	w->env.trace_write_hit = on && to_file ? env_trace_write_hit : NULL;
}

/* The environment handed to the core (tracing set by rw_daemon_env_tracing), and its timer. */
void rw_daemon_env_init(struct rw_worker *w)
{
	struct rw_daemon *d = w->d;

	w->env = (struct rw_env){
		.ctx = w,
		.now_mono_ms = env_now_mono_ms,
		.now_mono_us = env_now_mono_us,
		.now_wall_us = rw_daemon_now_wall_us,
		.random_buf = rw_daemon_random_buf,
		.send = env_send,
		.cancel = env_cancel,
		.set_timer = env_set_timer,
		.log = env_log,
		.hostname = d->hostname,
	};
	uv_timer_init(w->loop, &w->resolver_timer);
	w->resolver_timer.data = w;
	w->resolver_timer_init = true;
}
