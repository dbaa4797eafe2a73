/* The environment rootwalkd hands to the core (rootwalk/env.h): clocks, randomness, upstream
 * sends and cancels, the resolver's timer, the log and the trace sink. */
#include <errno.h>
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

static void env_random_buf(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	randombytes_buf(buf, len);
}

static int env_send(void *ctx, const struct rw_upstream_query *q)
{
	struct rw_daemon *d = ctx;

	return rw_upstream_send(d->upstream, q);
}

static void env_cancel(void *ctx, uint64_t id)
{
	struct rw_daemon *d = ctx;

	rw_upstream_cancel(d->upstream, id);
}

static void resolver_timer_cb(uv_timer_t *t)
{
	struct rw_daemon *d = t->data;

	if (d->resolver)
		rw_resolver_on_timer(d->resolver);
}

static void env_set_timer(void *ctx, uint32_t ms)
{
	struct rw_daemon *d = ctx;

	if (d->resolver_timer_init && !d->stopping)
		uv_timer_start(&d->resolver_timer, resolver_timer_cb, ms, 0);
}

static void env_log(void *ctx, int level, const char *text)
{
	(void)ctx;
	rw_daemon_log(level, "%s", text);
}

void rw_daemon_env_trace_write(void *ctx, const char *text, size_t len)
{
	struct rw_daemon *d = ctx;

	if (d->tsink) {
		rw_tracesink_write(d->tsink, text, len);
		return;
	}
	if (!d->trace_stderr)
		return;
	/* Standard error stays synchronous: it is shared with the log lines, which must not
	 * land in the middle of a trace, and it is meant for debugging, not for load. */
	if (fwrite(text, 1, len, stderr) != len || fflush(stderr) != 0) {
		if (!atomic_exchange(&d->trace_failed, true)) { /* once, not once per query */
			rw_daemon_log(RW_LOG_ERR, "writing traces to stderr: %s", strerror(errno));
		}
		clearerr(stderr);
	}
}

void rw_daemon_env_trace_write_hit(void *ctx, const void *rec, size_t len)
{
	struct rw_daemon *d = ctx;

	if (d->tsink)
		rw_tracesink_write_hit(d->tsink, rec, len);
}

/* The environment handed to the core (trace_use sets trace_write), and its timer. */
void rw_daemon_env_init(struct rw_daemon *d)
{
	d->env = (struct rw_env){
		.ctx = d,
		.now_mono_ms = env_now_mono_ms,
		.now_mono_us = env_now_mono_us,
		.now_wall_us = rw_daemon_now_wall_us,
		.random_buf = env_random_buf,
		.send = env_send,
		.cancel = env_cancel,
		.set_timer = env_set_timer,
		.log = env_log,
		.hostname = d->hostname,
	};
	/* For the CHAOS id.server answer: the core makes no system calls. */
	if (gethostname(d->hostname, sizeof(d->hostname) - 1) < 0)
		d->hostname[0] = '\0';
	uv_timer_init(&d->loop, &d->resolver_timer);
	d->resolver_timer.data = d;
	d->resolver_timer_init = true;
}
