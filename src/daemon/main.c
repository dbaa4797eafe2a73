/* rootwalkd: the daemon's entry point. Owns the main loop, the configuration, the shared state
 * of the resolvers, the trace sink and the signal handling; worker.c sets up each resolver with
 * its environment (env.c), listeners (server.c) and upstream transport (upstream.c), and runs the
 * worker threads.
 *
 * Startup: configuration, shared state (loads the root hints), then with num-threads: 1 one
 * worker on the main loop (environment, upstream transport, resolver, listeners), else the worker
 * threads' (bound now, before privileges are dropped, started after) and the main loop's own
 * resolver for the control socket; priming. Shutdown (SIGTERM/SIGINT): the control socket goes
 * first; then each worker frees its resolver, which drops every outstanding request without
 * callbacks and cancels its upstream queries, closes its listeners, client connections and
 * upstream sockets, and runs its loop until the last close callback; the threads are joined;
 * then the main loop's worker likewise, and the main loop runs until uv_loop_close() succeeds
 * and nothing leaks.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <sodium.h>
#include <uv.h>

#include "daemon.h"
#include "dnstap.h"
#include "log.h"
#include "metrics_http.h"
#include "runfiles.h"
#include "service.h"
#include "worker.h"
#include "rootwalk/control.h"
#include "rootwalk/hints.h"
#include "rootwalk/shared.h"
#include "rootwalk/trace.h"

#ifndef RW_VERSION
#define RW_VERSION "unknown"
#endif

/* The trace sink. */

struct trace_sink {
	struct rw_tracesink *ts;
	bool to_stderr;
	char *path;
};

/* Open the sink cfg names (nothing when tracing is off). Returns 0, or -1 after writing the reason
 * into err. */
static int trace_sink_open(struct rw_daemon *d, const struct rw_config *cfg, struct trace_sink *t,
			   char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (!cfg->trace_log)
		return 0;
	t->path = strdup(cfg->trace_log);
	if (!t->path) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (strcmp(cfg->trace_log, "stderr") == 0) {
		t->to_stderr = true;
		return 0;
	}
	t->ts = rw_tracesink_open(&d->loop, cfg->trace_log, err, errlen);
	if (!t->ts) {
		free(t->path);
		t->path = NULL;
		return -1;
	}
	return 0;
}

static void trace_sink_discard(struct trace_sink *t)
{
	rw_tracesink_close(t->ts);
	free(t->path);
}

/* Swap the daemon's sink for t's (NULL, false, NULL: none) under the write lock, and close the
 * old one once no thread can reach it any more (closing joins its writer thread). */
static void trace_swap(struct rw_daemon *d, struct rw_tracesink *ts, bool to_stderr, char *path)
{
	struct rw_tracesink *old = d->tsink;

	pthread_rwlock_wrlock(&d->trace_lock);
	d->tsink = ts;
	d->trace_stderr = to_stderr;
	pthread_rwlock_unlock(&d->trace_lock);
	d->trace_dropped += rw_tracesink_dropped(old);
	rw_tracesink_close(old);
	free(d->trace_path);
	d->trace_path = path;
	d->trace_failed = false;
}

static void trace_close(struct rw_daemon *d)
{
	trace_swap(d, NULL, false, NULL);
}

/* Make t the daemon's sink (closing the old one) and switch the main loop's tracing on or off to
 * match (the workers switch with the configuration, rw_workers_use_config). */
static void trace_use(struct rw_daemon *d, struct trace_sink *t)
{
	trace_swap(d, t->ts, t->to_stderr, t->path);
	rw_worker_use_config(&d->main, d->main.cfg);
}

/* Reopen the trace file at the same path (after log rotation). On failure the old file is kept. */
static void trace_reopen(struct rw_daemon *d)
{
	char err[512];

	if (!d->tsink)
		return;
	if (rw_tracesink_reopen(d->tsink, err, sizeof(err)) < 0) {
		rw_daemon_log(RW_LOG_ERR, "%s (keeping the old one)", err);
		return;
	}
	rw_daemon_log(RW_LOG_INFO, "reopened trace log %s", d->trace_path);
}

/* Shutdown. */

static void signal_close_cb(uv_handle_t *handle)
{
	(void)handle; /* embedded in struct rw_daemon */
}

static void daemon_close_signals(struct rw_daemon *d)
{
	uv_signal_t *sigs[] = {&d->sig_term, &d->sig_int, &d->sig_hup};
	int i;

	for (i = 0; i < d->nsignals; i++)
		if (!uv_is_closing((uv_handle_t *)sigs[i]))
			uv_close((uv_handle_t *)sigs[i], signal_close_cb);
}

/* Tear everything down; the caller then runs the loop until the close callbacks are done. */
static void daemon_stop(struct rw_daemon *d)
{
	if (d->stopping)
		return;
	d->stopping = true;
	rw_service_stopping(d);
	if (d->main.resolver) {
		struct rw_stats st;
		size_t pending;

		rw_daemon_stats(d, -1, &st, &pending, NULL, 0);
		rw_daemon_log(
			RW_LOG_INFO,
			"stopping: %llu udp and %llu tcp queries, %llu upstream, %zu in progress",
			(unsigned long long)st.client_queries[RW_PROTO_UDP],
			(unsigned long long)st.client_queries[RW_PROTO_TCP],
			(unsigned long long)st.upstream_queries, pending);
	}
	/* The control socket goes first: its pending traces are cancelled while the resolver still
	 * exists. Then the workers (each stops, drains its loop, and its thread is joined), and the
	 * main loop's resolver: it drops its requests silently and cancels upstream queries, so
	 * nothing calls back into the server or the upstream transport after this. */
	rw_ctlsock_close(d->ctlsock);
	rw_metrics_http_close(d->metrics);
	rw_control_free(d->control);
	d->control = NULL;
	rw_workers_free(d->workers);
	d->workers = NULL;
	rw_worker_stop(&d->main);
	/* No traces after the resolvers: the sink writes what it holds and closes. */
	trace_close(d);
	daemon_close_signals(d);
}

static void daemon_sighup(struct rw_daemon *d);

static void signal_cb(uv_signal_t *handle, int signum)
{
	struct rw_daemon *d = handle->data;

	if (signum == SIGHUP) {
		daemon_sighup(d);
		return;
	}
	rw_daemon_log(RW_LOG_INFO, "received %s", signum == SIGTERM ? "SIGTERM" : "SIGINT");
	daemon_stop(d);
}

static int daemon_signals(struct rw_daemon *d)
{
	uv_signal_t *sigs[] = {&d->sig_term, &d->sig_int, &d->sig_hup};
	int nums[] = {SIGTERM, SIGINT, SIGHUP};
	int i, rc;

	for (i = 0; i < 3; i++) {
		rc = uv_signal_init(&d->loop, sigs[i]);
		if (rc < 0)
			return rc;
		d->nsignals++;
		sigs[i]->data = d;
		rc = uv_signal_start(sigs[i], signal_cb, nums[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void walk_cb(uv_handle_t *handle, void *arg)
{
	(void)arg;
	rw_daemon_log(RW_LOG_ERR, "handle still open at exit: %s%s",
		      uv_handle_type_name(handle->type), uv_is_closing(handle) ? " (closing)" : "");
}

/* Close whatever is open, drain the loop, free everything. Returns 0 when the loop closed
 * cleanly. */
static int daemon_cleanup(struct rw_daemon *d)
{
	int rc;

	daemon_stop(d);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	rw_worker_free(&d->main);
	rw_ctlsock_free(d->ctlsock);
	d->ctlsock = NULL;
	rw_metrics_http_free(d->metrics);
	d->metrics = NULL;
	trace_close(d);
	rw_shared_free(d->shared); /* after every resolver */
	d->shared = NULL;
	rw_dnstap_close(d->dnstap); /* after the resolver: nothing submits any more */
	d->dnstap = NULL;
	rc = uv_loop_close(&d->loop);
	if (rc < 0) {
		uv_walk(&d->loop, walk_cb, NULL);
		rw_daemon_log(RW_LOG_ERR, "event loop not empty at exit: %s", uv_strerror(rc));
		return -1;
	}
	return 0;
}

/* Configuration. */

/* Load the configuration. A missing default file means the built-in defaults; a file named with
 * -c must exist. Writes a reason into err on failure. */
static int load_config(const char *path, bool explicit_path, struct rw_config **cfg, bool *found,
		       char *err, size_t errlen)
{
	int rc = rw_config_load(path, cfg, err, errlen);

	*found = true;
	if (rc == -ENOENT && !explicit_path) {
		*found = false;
		*cfg = rw_config_default();
		if (!*cfg) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		return 0;
	}
	return rc;
}

/* -n: check the configuration and the root hints it names. */
/* The errors of a file come joined by "; " (one line for the log and the control socket); for
 * -n, one error a line: split where "; " is followed by the file's name and a colon. */
static void print_errors(const char *err, const char *path)
{
	size_t plen = strlen(path);
	for (const char *p = err; *p; p++) {
		if (p[0] == ';' && p[1] == ' ' && strncmp(p + 2, path, plen) == 0 &&
		    p[2 + plen] == ':') {
			fputc('\n', stderr);
			p++;
			continue;
		}
		fputc(*p, stderr);
	}
	fputc('\n', stderr);
}

static int check_config(const char *path, bool explicit_path)
{
	struct rw_config *cfg = NULL;
	char err[16384];
	bool found;

	if (load_config(path, explicit_path, &cfg, &found, err, sizeof(err)) < 0) {
		print_errors(err, path);
		return 1;
	}
	int rc = rw_hints_check(cfg->root_hints, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		rw_config_free(cfg);
		return 1;
	}
	/* Directories of the files the daemon will make (ok under the chroot: made before it). */
	if (rw_runfiles_check(cfg, stderr) > 0) {
		rw_config_free(cfg);
		return 1;
	}
	rw_config_free(cfg);
	if (found)
		printf("%s: ok\n", path);
	else
		printf("%s: not found, built-in defaults: ok\n", path);
	return 0;
}

/* Reload: parse, validate, then swap (an invalid file keeps the old configuration). The trace
 * sink the new file names is opened before anything changes, so a bad path refuses the reload.
 * The cache, the listeners and the control socket are kept; changed listen addresses or a changed
 * control-socket path take effect at the next start, and the reply says so. */
static bool listen_changed(const struct rw_config *a, const struct rw_config *b)
{
	char x[INET6_ADDRSTRLEN + 16], y[INET6_ADDRSTRLEN + 16];

	if (a->n_listen != b->n_listen || a->metrics_listen.len != b->metrics_listen.len ||
	    memcmp(&a->metrics_listen.ss, &b->metrics_listen.ss, a->metrics_listen.len) != 0)
		return true;
	for (size_t i = 0; i < a->n_listen && i < RW_CONFIG_MAX_ADDRS; i++) {
		rw_daemon_addr_str((const struct sockaddr *)&a->listen[i].ss, x, sizeof(x));
		rw_daemon_addr_str((const struct sockaddr *)&b->listen[i].ss, y, sizeof(y));
		if (strcmp(x, y) != 0)
			return true;
	}
	return false;
}

static bool str_changed(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

/* Whether a reload must touch the control socket: another path (a restart is needed, said in
 * the reply), mode or owner. Unchanged, the socket file is left alone: after the switch to
 * username the daemon may not even reach it (systemd's RuntimeDirectory belongs to root). */
static bool ctl_perms_changed(const struct rw_config *a, const struct rw_config *b)
{
	return str_changed(a->control_socket, b->control_socket) ||
	       a->control_socket_mode != b->control_socket_mode ||
	       str_changed(a->control_socket_owner, b->control_socket_owner);
}

static int daemon_reload(struct rw_daemon *d, char *msg, size_t msglen)
{
	struct rw_config *cfg = NULL, *old = d->cfg;
	struct rw_hints *old_hints;
	struct trace_sink t;
	char err[512];
	bool found;
	size_t n = 0;
	int rc;

	if (load_config(rw_service_reloading(d), d->config_explicit, &cfg, &found, err,
			sizeof(err)) < 0)
		goto refuse;
	rw_service_reloaded_paths(d, cfg);
	if (trace_sink_open(d, cfg, &t, err, sizeof(err)) < 0)
		goto refuse;
	old_hints = rw_shared_reconfigure(d->shared, cfg, err, sizeof(err));
	if (!old_hints) {
		trace_sink_discard(&t);
		goto refuse;
	}
	/* Committed: every resolver uses cfg once the workers have switched, which
	 * rw_workers_use_config waits for; then the old configuration and hints can go. */
	d->cfg = cfg;
	d->main.cfg = cfg;
	trace_use(d, &t);
	rw_workers_use_config(d->workers, cfg);
	rw_hints_free(old_hints);
	d->reloads++;
	d->reloaded_us = rw_daemon_now_wall_us(d);
	n += (size_t)snprintf(msg, msglen, "reloaded %s%s\n", d->config_path,
			      found ? "" : " (not found: built-in defaults)");
	if (n < msglen && listen_changed(old, cfg))
		n += (size_t)snprintf(
			msg + n, msglen - n,
			"note: listen addresses changed: they take effect at the next "
			"start\n");
	if (n < msglen && rw_workers_wanted(old) != rw_workers_wanted(cfg))
		n += (size_t)snprintf(
			msg + n, msglen - n,
			"note: num-threads changed: it takes effect at the next start\n");
	if (n < msglen && d->ctlsock && ctl_perms_changed(old, cfg)) {
		rc = rw_ctlsock_reconfigure(d->ctlsock, cfg, err, sizeof(err));
		if (rc > 0)
			n += (size_t)snprintf(msg + n, msglen - n,
					      "note: control-socket changed: it takes effect at "
					      "the next start\n");
		else if (rc < 0)
			n += (size_t)snprintf(msg + n, msglen - n, "warning: %s\n", err);
	} else if (n < msglen && !d->ctlsock && cfg->control_socket) {
		n += (size_t)snprintf(msg + n, msglen - n,
				      "note: control-socket takes effect at the next start\n");
	}
	if (n < msglen)
		n += rw_service_reload_note(old, cfg, msg + n, msglen - n);
	if (n < msglen && str_changed(old->trace_log, cfg->trace_log))
		snprintf(msg + n, msglen - n, "trace-log: %s\n",
			 cfg->trace_log ? cfg->trace_log : "off");
	if (rw_log_open(cfg->logfile, cfg->verbosity, err, sizeof(err)) < 0 && n < msglen)
		snprintf(msg + n, msglen - n, "warning: %s (the old log is kept)\n", err);
	rw_config_free(old);
	rw_daemon_log(RW_LOG_INFO, "reloaded %s", d->config_path);
	rw_service_ready(d, "reloaded");
	return 0;
refuse:
	rw_config_free(cfg);
	d->reload_failures++;
	snprintf(msg, msglen, "%s (the running configuration is kept)", err);
	rw_daemon_log(RW_LOG_ERR, "reload refused: %s", msg);
	rw_service_ready(d, "reload refused, the running configuration is kept");
	return -EINVAL;
}

/* SIGHUP: reload; if the file is refused, still reopen the trace log (log rotation). */
static void daemon_sighup(struct rw_daemon *d)
{
	char msg[1024];

	if (d->stopping)
		return;
	rw_daemon_log(RW_LOG_INFO, "received SIGHUP: reloading %s", d->config_path);
	if (daemon_reload(d, msg, sizeof(msg)) < 0) {
		trace_reopen(d);
		rw_log_reopen();
	}
}

/* The control handler's view of the daemon. */

static int64_t ctl_now(void *ctx)
{
	return rw_daemon_now_wall_us(ctx);
}

static int ctl_reload(void *ctx, char *msg, size_t msglen)
{
	return daemon_reload(ctx, msg, msglen);
}

static char *ctl_status(void *ctx)
{
	struct rw_daemon *d = ctx;
	char started[48], reloaded[48] = "never", buf[2048], addr[INET6_ADDRSTRLEN + 16], tap[200];
	int64_t up = (rw_daemon_now_wall_us(d) - d->started_us) / 1000000;
	size_t n;

	rw_present_iso_time(d->started_us, started, sizeof(started));
	if (d->reloaded_us)
		rw_present_iso_time(d->reloaded_us, reloaded, sizeof(reloaded));
	n = (size_t)snprintf(
		buf, sizeof(buf),
		"version: %s\npid: %ld\nstarted: %s\nuptime: %lld s\nconfig: %s\n"
		"reloads: %u (last %s), refused: %u\nroot-hints: %s\ntrace-log: %s\n"
		"trace-log-dropped: %llu\ndnstap: %s\ncontrol-socket: %s\ncontrol-connections: "
		"%zu\nthreads: %u\nlisten:",
		RW_VERSION, (long)getpid(), started, (long long)up, d->config_path, d->reloads,
		reloaded, d->reload_failures, d->cfg->root_hints ? d->cfg->root_hints : "built-in",
		d->trace_path ? d->trace_path : "off",
		(unsigned long long)rw_metrics_trace_dropped(d),
		rw_dnstap_describe(d->dnstap, tap, sizeof(tap)), rw_ctlsock_path(d->ctlsock),
		rw_ctlsock_connections(d->ctlsock), d->workers ? rw_workers_count(d->workers) : 1);
	for (size_t i = 0; i < d->cfg->n_listen && n < sizeof(buf); i++)
		n += (size_t)snprintf(
			buf + n, sizeof(buf) - n, " %s",
			rw_daemon_addr_str((const struct sockaddr *)&d->cfg->listen[i].ss, addr,
					   sizeof(addr)));
	return strdup(buf);
}

static uint64_t ctl_trace_dropped(void *ctx)
{
	return rw_metrics_trace_dropped(ctx);
}

static int ctl_stats(void *ctx, int thread, struct rw_stats *out, size_t *pending, char *name,
		     size_t namelen)
{
	return rw_daemon_stats(ctx, thread, out, pending, name, namelen);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rootwalkd [-c FILE] [-n] [-h] [-V]\n"
		"  -c FILE  configuration file (default %s)\n"
		"  -n       check the configuration and root hints, then exit\n"
		"  -h       this help\n"
		"  -V       print the version\n",
		RW_DEFAULT_CONFIG);
}

/* The control socket, its directory made if need be (before the privileges are dropped). */
static int control_open(struct rw_daemon *d, struct rw_privdrop *pd)
{
	char err[512];
	struct rw_control_ops ops = {.ctx = d,
				     .now_wall_us = ctl_now,
				     .status = ctl_status,
				     .reload = ctl_reload,
				     .part = rw_ctlsock_part,
				     .trace_dropped = ctl_trace_dropped,
				     .stats = ctl_stats};

	d->control = rw_control_new(d->main.resolver, &ops);
	d->ctlsock = d->control ? rw_ctlsock_new(d) : NULL;
	if (!d->ctlsock) {
		rw_daemon_log(RW_LOG_ERR, "out of memory");
		return -1;
	}
	if (rw_service_socket_dir(d, pd, err, sizeof(err)) < 0) {
		rw_daemon_log(RW_LOG_ERR, "%s", err);
		return -1;
	}
	return rw_ctlsock_listen(d->ctlsock) < 0 ? -1 : 0;
}

/* The shared state and the resolvers: with one thread the main loop's answers clients; else the
 * workers do, bound here (before privileges are dropped), and the main loop's resolver serves
 * the control socket. Returns 0, or -1 after logging the reason. */
static int resolvers_open(struct rw_daemon *d, unsigned nthreads)
{
	char err[512];

	d->shared = rw_shared_new(&(struct rw_env){.random_buf = rw_daemon_random_buf}, d->cfg, err,
				  sizeof(err));
	if (!d->shared) {
		rw_daemon_log(RW_LOG_ERR, "%s", err);
		return -1;
	}
	if (rw_worker_open(&d->main, d, &d->loop, nthreads > 1 ? nthreads : 0,
			   nthreads == 1 ? 1 : 0) < 0)
		return -1;
	if (nthreads > 1 && !(d->workers = rw_workers_new(d, nthreads)))
		return -1;
	return 0;
}

static int run(const char *config_path, bool explicit_path)
{
	struct rw_daemon d;
	struct rw_privdrop pd;
	char err[512];
	bool found;
	int rc, status = 1;
	unsigned nthreads;

	memset(&d, 0, sizeof(d));
	rw_daemon_trace_lock_init(&d);
	d.notify_fd = -1;
	d.config_path = config_path;
	d.config_explicit = explicit_path;
	d.started_us = rw_daemon_now_wall_us(&d);
	if (load_config(config_path, explicit_path, &d.cfg, &found, err, sizeof(err)) < 0) {
		rw_daemon_log(RW_LOG_ERR, "%s", err);
		return 1;
	}
	if (rw_log_open(d.cfg->logfile, d.cfg->verbosity, err, sizeof(err)) < 0) {
		rw_daemon_log(RW_LOG_ERR, "%s", err);
		rw_config_free(d.cfg);
		return 1;
	}
	if (!found)
		rw_daemon_log(RW_LOG_INFO, "%s not found, using built-in defaults", config_path);
	nthreads = rw_workers_wanted(d.cfg);
	rw_daemon_raise_fd_limit(d.cfg, nthreads); /* before any descriptor is opened */
	rc = uv_loop_init(&d.loop);
	if (rc < 0 || rw_service_prepare(&d, &pd, err, sizeof(err)) < 0) {
		rw_daemon_log(RW_LOG_ERR, "%s", rc < 0 ? uv_strerror(rc) : err);
		if (rc == 0)
			uv_loop_close(&d.loop);
		rw_service_exit(&d);
		rw_config_free(d.cfg);
		return 1;
	}
	/* For the CHAOS id.server answer: the core makes no system calls. */
	if (gethostname(d.hostname, sizeof(d.hostname) - 1) < 0)
		d.hostname[0] = '\0';
	{
		struct trace_sink t;

		if (trace_sink_open(&d, d.cfg, &t, err, sizeof(err)) < 0) {
			rw_daemon_log(RW_LOG_ERR, "%s", err);
			goto out;
		}
		trace_use(&d, &t);
	}
	/* dnstap: its I/O thread starts now, before privileges are dropped; a queue for each
	 * thread with a resolver */
	if (rw_dnstap_start(&d, nthreads > 1 ? nthreads + 1 : 1, err, sizeof(err)) < 0) {
		rw_daemon_log(RW_LOG_ERR, "%s", err);
		goto out;
	}

	rc = daemon_signals(&d);
	if (rc < 0) {
		rw_daemon_log(RW_LOG_ERR, "signal handlers: %s", uv_strerror(rc));
		goto out;
	}
	if (resolvers_open(&d, nthreads) < 0)
		goto out;
	if (d.cfg->control_socket && control_open(&d, &pd) < 0)
		goto out;
	if (d.cfg->metrics_listen.len && !rw_metrics_http_ok(d.metrics = rw_metrics_http_open(&d)))
		goto out;
	if (rw_service_start(&d, &pd, err, sizeof(err)) < 0) {
		rw_daemon_log(RW_LOG_ERR, "%s", err);
		goto out;
	}
	if (d.workers && rw_workers_start(d.workers) < 0)
		goto out;
	rc = rw_resolver_prime(d.main.resolver);
	if (rc < 0)
		rw_daemon_log(RW_LOG_WARNING, "priming the root NS set failed to start: %s",
			      strerror(-rc));
	rw_daemon_log(RW_LOG_INFO,
		      "rootwalkd %s started (config %s, root hints %s, trace %s, %u thread%s)",
		      RW_VERSION, found ? config_path : "built-in defaults",
		      d.cfg->root_hints ? d.cfg->root_hints : "built-in",
		      d.cfg->trace_log ? d.cfg->trace_log : "off", nthreads,
		      nthreads == 1 ? "" : "s");
	rw_service_ready(&d, "answering");

	uv_run(&d.loop, UV_RUN_DEFAULT);
	status = 0;
	rw_daemon_log(RW_LOG_INFO, "stopped");
out:
	if (daemon_cleanup(&d) < 0)
		status = 1;
	rw_service_exit(&d);
	rw_config_free(d.cfg);
	rw_log_close();
	return status;
}

int main(int argc, char **argv)
{
	const char *config_path = RW_DEFAULT_CONFIG;
	bool explicit_path = false, check = false;
	int c;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0) {
			i++; /* its argument */
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("rootwalkd %s\n", RW_VERSION);
			return 0;
		}
	}
	while ((c = getopt(argc, argv, "c:nhV")) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			explicit_path = true;
			break;
		case 'n':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("rootwalkd %s\n", RW_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rootwalkd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "rootwalkd: libsodium failed to initialise\n");
		return 1;
	}
	if (check)
		return check_config(config_path, explicit_path);
	/* A client closing its TCP connection must not kill the daemon with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return run(config_path, explicit_path);
}
