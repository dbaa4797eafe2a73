/* Worker threads: see worker.h. */
#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnstap.h"
#include "log.h"
#include "rootwalk/shared.h"

/* A worker thread: its loop, its struct rw_worker and its mailbox. */
struct wthread {
	struct rw_worker w;
	uv_loop_t loop;
	uv_async_t async; /* the mailbox's bell */
	pthread_t tid;
	bool loop_init, async_init, started;
	/* The mailbox: one call at a time, posted by the main thread, which waits for done. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	void (*call)(struct wthread *t, void *arg);
	void *arg;
	bool done;
	bool gone; /* stopped: nothing more may be posted */
};

struct rw_workers {
	struct rw_daemon *d;
	unsigned n;
	struct wthread *t; /* n of them */
};

unsigned rw_workers_wanted(const struct rw_config *cfg)
{
	long cpus;

	if (cfg->num_threads)
		return cfg->num_threads;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		return 1;
	return cpus > RW_WORKERS_DEFAULT_MAX ? RW_WORKERS_DEFAULT_MAX : (unsigned)cpus;
}

/* One worker, on any loop. */

int rw_worker_open(struct rw_worker *w, struct rw_daemon *d, uv_loop_t *loop, unsigned index,
		   unsigned listen)
{
	char err[512];

	w->d = d;
	w->loop = loop;
	w->index = index;
	w->cfg = d->cfg;
	rw_daemon_env_init(w);
	rw_daemon_env_tracing(w, w->cfg);
	rw_dnstap_attach(d->dnstap, w);
	/* The transport exists before the resolver, so env->send works from the start. */
	w->upstream = rw_upstream_new(w);
	if (!w->upstream) {
		rw_daemon_log(RW_LOG_ERR, "out of memory");
		return -1;
	}
	w->resolver = rw_resolver_new_shared(&w->env, w->cfg, d->shared, err, sizeof(err));
	if (!w->resolver) {
		rw_daemon_log(RW_LOG_ERR, "%s", err);
		return -1;
	}
	if (listen) {
		w->server = rw_server_new(w, listen);
		if (!w->server)
			return -1;
	}
	return 0;
}

void rw_worker_stop(struct rw_worker *w)
{
	if (w->stopping)
		return;
	w->stopping = true;
	/* The resolver drops its requests silently and cancels its upstream queries, so nothing
	 * calls back into the server or the upstream transport after this. */
	rw_resolver_free(w->resolver);
	w->resolver = NULL;
	if (w->server)
		rw_server_close(w->server);
	if (w->upstream)
		rw_upstream_close(w->upstream);
	if (w->resolver_timer_init) {
		uv_close((uv_handle_t *)&w->resolver_timer, NULL);
		w->resolver_timer_init = false;
	}
}

void rw_worker_free(struct rw_worker *w)
{
	rw_server_free(w->server);
	w->server = NULL;
	rw_upstream_free(w->upstream);
	w->upstream = NULL;
}

void rw_worker_use_config(struct rw_worker *w, const struct rw_config *cfg)
{
	w->cfg = cfg;
	if (w->resolver)
		rw_resolver_use_config(w->resolver, cfg);
	rw_daemon_env_tracing(w, cfg);
}

/* The mailbox. */

static void mailbox_cb(uv_async_t *a)
{
	struct wthread *t = a->data;
	void (*call)(struct wthread *, void *);
	void *arg;

	pthread_mutex_lock(&t->lock);
	call = t->call;
	arg = t->arg;
	pthread_mutex_unlock(&t->lock);
	if (!call)
		return; /* the bell rang again for a call already answered */
	call(t, arg);
	pthread_mutex_lock(&t->lock);
	t->call = NULL;
	t->done = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

/* Post call to t; false when t is gone. */
static bool post(struct wthread *t, void (*call)(struct wthread *, void *), void *arg)
{
	bool ok;

	pthread_mutex_lock(&t->lock);
	ok = !t->gone && t->started;
	if (ok) {
		t->call = call;
		t->arg = arg;
		t->done = false;
	}
	pthread_mutex_unlock(&t->lock);
	if (ok)
		uv_async_send(&t->async);
	return ok;
}

static void await(struct wthread *t)
{
	pthread_mutex_lock(&t->lock);
	while (!t->done)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

/* Run call on every worker at once and wait for them all. */
static void call_all(struct rw_workers *ws, void (*call)(struct wthread *, void *), void **args)
{
	bool posted[RW_WORKERS_MAX];

	for (unsigned i = 0; i < ws->n; i++)
		posted[i] = post(&ws->t[i], call, args ? args[i] : NULL);
	for (unsigned i = 0; i < ws->n; i++)
		if (posted[i])
			await(&ws->t[i]);
}

/* The threads. */

static void *thread_main(void *arg)
{
	struct wthread *t = arg;
	char name[16];

	snprintf(name, sizeof(name), "rw-worker-%u", t->w.index);
	(void)pthread_setname_np(pthread_self(), name); /* for top -H and gdb; best effort */
	/* No priming here: the main loop's resolver primes the root NS set into the one cache
	 * (and retries a failed priming on its timer), so the root servers get one priming
	 * query, not one per thread. */
	uv_run(&t->loop, UV_RUN_DEFAULT);
	return NULL;
}

struct rw_workers *rw_workers_new(struct rw_daemon *d, unsigned n)
{
	struct rw_workers *ws = calloc(1, sizeof(*ws));

	if (!ws || !(ws->t = calloc(n, sizeof(*ws->t)))) {
		free(ws);
		rw_daemon_log(RW_LOG_ERR, "out of memory");
		return NULL;
	}
	ws->d = d;
	for (unsigned i = 0; i < n; i++) {
		struct wthread *t = &ws->t[i];
		int rc;

		pthread_mutex_init(&t->lock, NULL);
		pthread_cond_init(&t->cond, NULL);
		ws->n++;
		rc = uv_loop_init(&t->loop);
		t->loop_init = rc == 0;
		if (rc == 0)
			rc = uv_async_init(&t->loop, &t->async, mailbox_cb);
		if (rc < 0) {
			rw_daemon_log(RW_LOG_ERR, "worker %u: %s", i, uv_strerror(rc));
			goto fail;
		}
		t->async_init = true;
		t->async.data = t;
		t->w.threaded = true;
		if (rw_worker_open(&t->w, d, &t->loop, i, n) < 0)
			goto fail;
	}
	return ws;
fail:
	rw_workers_free(ws);
	return NULL;
}

int rw_workers_start(struct rw_workers *ws)
{
	sigset_t all, old;

	/* Every signal blocked in the workers (they inherit the mask): signals are the main
	 * loop's, so SIGTERM, SIGHUP and SIGINT always interrupt the main thread and never a
	 * worker in the middle of a write, as the trace sink's and Unbound's threads do. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < ws->n; i++) {
		struct wthread *t = &ws->t[i];
		int rc = pthread_create(&t->tid, NULL, thread_main, t);

		if (rc != 0) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			rw_daemon_log(RW_LOG_ERR, "worker %u: cannot start its thread: %s", i,
				      strerror(rc));
			return -1;
		}
		pthread_mutex_lock(&t->lock);
		t->started = true;
		pthread_mutex_unlock(&t->lock);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

unsigned rw_workers_count(const struct rw_workers *ws)
{
	return ws ? ws->n : 0;
}

struct use_config {
	const struct rw_config *cfg;
};

static void call_use_config(struct wthread *t, void *arg)
{
	struct use_config *u = arg;

	rw_worker_use_config(&t->w, u->cfg);
}

void rw_workers_use_config(struct rw_workers *ws, const struct rw_config *cfg)
{
	struct use_config u = {cfg};
	void *args[RW_WORKERS_MAX];

	if (!ws)
		return;
	for (unsigned i = 0; i < ws->n; i++)
		args[i] = &u;
	call_all(ws, call_use_config, args);
	/* A worker not started (startup failed) runs nothing: it takes cfg here. */
	for (unsigned i = 0; i < ws->n; i++)
		if (!ws->t[i].started)
			rw_worker_use_config(&ws->t[i].w, cfg);
}

struct snapshot {
	struct rw_stats *out;
	size_t *pending;
};

static void call_stats(struct wthread *t, void *arg)
{
	struct snapshot *s = arg;

	if (t->w.resolver) {
		*s->out = *rw_resolver_stats(t->w.resolver);
		*s->pending = rw_resolver_pending(t->w.resolver);
	}
}

void rw_workers_stats(struct rw_workers *ws, unsigned i, struct rw_stats *out, size_t *pending)
{
	struct snapshot s = {out, pending};
	struct wthread *t = &ws->t[i];

	memset(out, 0, sizeof(*out));
	*pending = 0;
	if (post(t, call_stats, &s))
		await(t);
	else if (!t->started) /* never started: nothing runs on it but this thread */
		call_stats(t, &s);
	/* else stopped: its counters are gone with its resolver */
}

static void call_stop(struct wthread *t, void *arg)
{
	(void)arg;
	rw_worker_stop(&t->w);
	uv_close((uv_handle_t *)&t->async, NULL);
}

void rw_workers_free(struct rw_workers *ws)
{
	if (!ws)
		return;
	call_all(ws, call_stop, NULL);
	for (unsigned i = 0; i < ws->n; i++) {
		struct wthread *t = &ws->t[i];

		pthread_mutex_lock(&t->lock);
		t->gone = true;
		pthread_mutex_unlock(&t->lock);
		if (t->started) {
			pthread_join(t->tid, NULL);
		} else if (t->loop_init) {
			/* never ran: stop it here, on the only thread that touches it */
			rw_worker_stop(&t->w);
			if (t->async_init)
				uv_close((uv_handle_t *)&t->async, NULL);
			uv_run(&t->loop, UV_RUN_DEFAULT);
		}
		rw_worker_free(&t->w);
		if (t->loop_init && uv_loop_close(&t->loop) < 0)
			rw_daemon_log(RW_LOG_ERR, "worker %u: event loop not empty at exit", i);
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->cond);
	}
	free(ws->t);
	free(ws);
}

int rw_daemon_stats(struct rw_daemon *d, int i, struct rw_stats *out, size_t *pending, char *name,
		    size_t namelen)
{
	int n = d->workers ? (int)d->workers->n + 1 : 1;
	struct rw_stats one;
	size_t p;

	memset(out, 0, sizeof(*out));
	*pending = 0;
	if (i >= n)
		return -1;
	if (name && namelen)
		snprintf(name, namelen,
			 i < 0			    ? "all"
			 : i == n - 1 && d->workers ? "main"
						    : "%d",
			 i);
	for (int k = i < 0 ? 0 : i; k < n && (i < 0 || k == i); k++) {
		if (d->workers && k < n - 1) {
			rw_workers_stats(d->workers, (unsigned)k, &one, &p);
		} else if (d->main.resolver) {
			one = *rw_resolver_stats(d->main.resolver);
			p = rw_resolver_pending(d->main.resolver);
		} else {
			continue;
		}
		rw_stats_add(out, &one);
		*pending += p;
	}
	return n;
}
