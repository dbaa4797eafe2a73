/* Internal interfaces of rootwalkd: the libuv edge around the core resolver.
 *
 * main.c owns the loop, the configuration, the environment and the resolver. server.c accepts
 * client queries (UDP and TCP listeners; server.h lists the files behind it). upstream.c carries
 * the core's upstream queries (env->send / env->cancel). ctlsock.c serves the control socket,
 * tracesink.c writes the trace log. Nothing here is exported outside the daemon.
 *
 * Layers: main.c may call every other file; no file calls into main.c. stream.c (stream.h) holds
 * what the stream connections share; log.c (log.h) the logging and address helpers, and it calls
 * nothing else of the daemon.
 */
#ifndef RW_DAEMON_H
#define RW_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include <uv.h>

#include "rootwalk/config.h"
#include "rootwalk/env.h"
#include "rootwalk/resolver.h"

struct rw_server;
struct rw_upstream;
struct rw_control;
struct rw_ctlsock;
struct rw_tracesink;
struct rw_dnstap;
struct rw_dnstap_queue;

struct rw_daemon;
struct rw_workers;
struct rw_shared;

/* One resolver and the I/O around it, on one loop: the whole daemon with num-threads: 1 (on the
 * main loop), else one per worker thread (worker.c) plus the main loop's own, which serves the
 * control socket's traces and lookups and has no listeners. Every field is touched only on the
 * worker's loop thread, once the thread runs. */
struct rw_worker {
	struct rw_daemon *d;		  /* borrowed: the daemon */
	uv_loop_t *loop;		  /* &d->loop, or the worker thread's own loop */
	unsigned index;			  /* 0..num-threads-1 for the listening workers */
	const struct rw_config *cfg;	  /* borrowed: the configuration this worker runs */
	struct rw_env env;		  /* env.ctx points back to this struct */
	struct rw_resolver *resolver;	  /* owned; NULL once freed at shutdown */
	struct rw_server *server;	  /* owned; NULL for the main loop's control resolver */
	struct rw_upstream *upstream;	  /* owned */
	struct rw_dnstap_queue *dnstap_q; /* this thread's input queue, NULL without dnstap */
	uv_timer_t resolver_timer;	  /* env->set_timer: priming retries and waits */
	bool resolver_timer_init;
	bool stopping;
	bool threaded; /* runs on a worker thread */
};

struct rw_daemon {
	uv_loop_t loop;
	const char *config_path;
	bool config_explicit;	  /* given with -c: it must exist (also at reload) */
	struct rw_config *cfg;	  /* owned; replaced by a reload */
	char hostname[256];	  /* env.hostname of every worker */
	struct rw_shared *shared; /* owned: the cache, infra cache and hints of every resolver */
	/* The main loop's resolver: the only one with num-threads: 1; else the control socket's. */
	struct rw_worker main;
	struct rw_workers *workers; /* owned (worker.c); NULL with num-threads: 1 */
	struct rw_control *control; /* owned; NULL without a control socket */
	struct rw_ctlsock *ctlsock; /* owned; NULL without a control socket */
	int64_t started_us;	    /* wall clock at startup, for `status` */
	int64_t reloaded_us;	    /* wall clock of the last successful reload, 0 if none */
	unsigned reloads, reload_failures;

	/* The trace sink: a file written off the loop (tsink), or stderr, or nothing. */
	struct rw_tracesink *tsink; /* owned; NULL unless trace-log is a file */
	bool trace_stderr;	    /* trace-log: stderr */
	char *trace_path;	    /* trace-log as configured (owned), NULL when off */
	_Atomic bool trace_failed;  /* a write to stderr failed (logged once; any thread) */
	uint64_t trace_dropped;	    /* traces dropped by sinks closed since start */
	/* d->tsink and d->trace_stderr change (main loop) only under the write lock; every thread
	 * that writes a trace holds the read lock meanwhile (env.c) */
	pthread_rwlock_t trace_lock;

	struct rw_dnstap *dnstap; /* owned; NULL unless dnstap: yes (dnstap.c) */

	/* Running as a service (service.c). */
	int notify_fd;	/* connected to $NOTIFY_SOCKET, -1 without one */
	char *root_dir; /* chroot: in effect since startup (owned), NULL if none */
	char *pidfile;	/* pidfile: written at startup (owned), removed at exit */

	uv_signal_t sig_term, sig_int, sig_hup;
	int nsignals; /* signal handles initialised, for shutdown */
	bool stopping;

	/* The metrics endpoint (metrics_http.c): owned; NULL without metrics-listen. */
	struct rw_metrics_http *metrics;
};

/* Open a UDP socket and a TCP listener on every w->cfg->listen address, on w's loop. With
 * nworkers > 1, with SO_REUSEPORT, so that every worker binds the same addresses and the kernel
 * spreads the clients, and each takes its share of incoming-num-tcp. Returns NULL after logging
 * the reason when any address cannot be bound. */
struct rw_server *rw_server_new(struct rw_worker *w, unsigned nworkers);
/* Close every listener and connection. Must be called after the resolver is freed: client
 * requests still outstanding are released here, as the resolver will never answer them. */
void rw_server_close(struct rw_server *s);
/* Free the server once the loop has run every close callback. NULL does nothing. */
void rw_server_free(struct rw_server *s);

/* fdlimit.c: raise the soft RLIMIT_NOFILE to what outgoing-range (per thread, of nthreads)
 * and incoming-num-tcp need (and the hard limit if need be and allowed); logs a warning when
 * that fails. */
void rw_daemon_raise_fd_limit(const struct rw_config *cfg, unsigned nthreads);

/* env.c: the environment handed to w's resolver (w->env), and its timer on w's loop. Tracing is
 * set by rw_daemon_env_tracing. */
void rw_daemon_env_init(struct rw_worker *w);
/* Switch w's tracing as cfg says (off for NULL); a trace log that is a file gets cache hits as
 * packed records, formatted on the sink's thread (env->trace_write_hit). */
void rw_daemon_env_tracing(struct rw_worker *w, const struct rw_config *cfg);
/* d->trace_lock, preferring writers: a reload's swap of the sink is not held off by a stream of
 * traces (no thread takes the read lock twice). */
void rw_daemon_trace_lock_init(struct rw_daemon *d);
/* Write one trace to the daemon's sink (file or stderr). Any thread: d->trace_lock. */
void rw_daemon_trace_write(struct rw_daemon *d, const char *text, size_t len);
int64_t rw_daemon_now_wall_us(void *ctx);
/* env->random_buf: libsodium's CSPRNG (any thread). */
void rw_daemon_random_buf(void *ctx, void *buf, size_t len);

/* The upstream transport of w's resolver, on w's loop. Returns NULL on allocation failure. */
struct rw_upstream *rw_upstream_new(struct rw_worker *w);
/* env->send and env->cancel: see rootwalk/env.h. */
int rw_upstream_send(struct rw_upstream *up, const struct rw_upstream_query *q);
void rw_upstream_cancel(struct rw_upstream *up, uint64_t id);
/* Number of upstream queries under way. */
size_t rw_upstream_pending(const struct rw_upstream *up);
/* Close every upstream query without calling back into the resolver, and refuse new ones. */
void rw_upstream_close(struct rw_upstream *up);
/* Free once the loop has run every close callback. NULL does nothing. */
void rw_upstream_free(struct rw_upstream *up);

/* The trace log file (tracesink.c). rw_tracesink_write may be called from any thread and never
 * blocks on the file: traces are queued (at most 4 MiB) and written in batches by the sink's own
 * thread; when the file falls behind, a write fails or a FIFO has no reader, whole traces are
 * dropped and counted. Open, reopen and close are the loop thread's. rw_tracesink_open returns
 * NULL with the reason in err (a FIFO without a reader is not an error). */
struct rw_tracesink *rw_tracesink_open(uv_loop_t *loop, const char *path, char *err, size_t errlen);
/* Queue one complete trace (copied). */
void rw_tracesink_write(struct rw_tracesink *t, const char *text, size_t len);
/* Queue a cache hit's packed record (rw_trace_hit_pack; copied): the sink's thread formats it. */
void rw_tracesink_write_hit(struct rw_tracesink *t, const void *rec, size_t len);
/* Open the path again (log rotation). Returns 0, or -1 with the reason in err (the old file is
 * kept). */
int rw_tracesink_reopen(struct rw_tracesink *t, char *err, size_t errlen);
/* Traces dropped since the sink was opened. */
uint64_t rw_tracesink_dropped(const struct rw_tracesink *t);
/* Write what is queued, stop the writer thread and close the file (no write may come after it;
 * the loop must run once more to free the sink). NULL does nothing. */
void rw_tracesink_close(struct rw_tracesink *t);

/* The control socket (control-socket: PATH). rw_ctlsock_new returns NULL on allocation failure;
 * rw_ctlsock_listen creates the socket file with the configured mode and owner and returns 0,
 * or negative after logging the reason. */
struct rw_ctlsock *rw_ctlsock_new(struct rw_daemon *d);
int rw_ctlsock_listen(struct rw_ctlsock *cs);
/* After a reload: apply a changed mode or owner. Returns 0, 1 when the new configuration names
 * another socket (that needs a restart), or negative with the reason in err. */
int rw_ctlsock_reconfigure(struct rw_ctlsock *cs, const struct rw_config *cfg, char *err,
			   size_t errlen);
/* For rw_control_ops.part: a part of a long answer (dump-cache) for the connection arg; the next
 * part is asked for once this one is written. */
void rw_ctlsock_part(void *arg, const char *data, size_t len);
const char *rw_ctlsock_path(const struct rw_ctlsock *cs);
size_t rw_ctlsock_connections(const struct rw_ctlsock *cs);
/* Close the listener and every connection (pending requests are cancelled) and remove the
 * socket file if it is still ours. Must run before the control handler is freed. */
void rw_ctlsock_close(struct rw_ctlsock *cs);
/* Free once the loop has run every close callback. NULL does nothing. */
void rw_ctlsock_free(struct rw_ctlsock *cs);

#endif
