/* Internal interfaces of rootwalkd: the libuv edge around the core resolver.
 *
 * main.c owns the loop, the configuration, the environment and the resolver. server.c accepts
 * client queries (UDP and TCP listeners). upstream.c carries the core's upstream queries
 * (env->send / env->cancel). Nothing here is exported outside the daemon.
 */
#ifndef RW_DAEMON_H
#define RW_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include <uv.h>

#include "rootwalk/config.h"
#include "rootwalk/env.h"
#include "rootwalk/resolver.h"

/* syslog-style priorities understood by systemd-journald on stderr. */
#define RW_LOG_ERR     3
#define RW_LOG_WARNING 4
#define RW_LOG_INFO    6
#define RW_LOG_DEBUG   7

struct rw_server;
struct rw_upstream;

struct rw_daemon {
	uv_loop_t loop;
	const char *config_path;
	struct rw_config *cfg;	      /* owned */
	struct rw_env env;	      /* env.ctx points back to this struct */
	struct rw_resolver *resolver; /* owned; NULL once freed at shutdown */
	struct rw_server *server;     /* owned */
	struct rw_upstream *upstream; /* owned */

	FILE *trace;	    /* trace sink, NULL when tracing is off; may be stderr */
	bool trace_is_file; /* trace is a file we opened (and reopen on SIGHUP) */
	bool trace_failed;  /* a write to the trace sink failed (logged once) */

	uv_signal_t sig_term, sig_int, sig_hup;
	int nsignals; /* signal handles initialised, for shutdown */
	bool stopping;
};

/* Log one line to stderr as "<PRIO>rootwalkd: MESSAGE". */
void rw_daemon_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Format sa as "ADDRESS@PORT" into buf. Returns buf (a placeholder text for unknown families). */
const char *rw_daemon_addr_str(const struct sockaddr *sa, char *buf, size_t len);

/* Convert a libuv error code to the negative errno-style codes of the core. */
int rw_daemon_errno(int uverr);

/* Open a UDP socket and a TCP listener on every cfg->listen address. Returns NULL after logging
 * the reason when any address cannot be bound. */
struct rw_server *rw_server_new(struct rw_daemon *d);
/* Close every listener and connection. Must be called after the resolver is freed: client
 * requests still outstanding are released here, as the resolver will never answer them. */
void rw_server_close(struct rw_server *s);
/* Free the server once the loop has run every close callback. NULL does nothing. */
void rw_server_free(struct rw_server *s);

/* The upstream transport. Returns NULL on allocation failure. */
struct rw_upstream *rw_upstream_new(struct rw_daemon *d);
/* env->send and env->cancel: see rootwalk/env.h. */
int rw_upstream_send(struct rw_upstream *up, const struct rw_upstream_query *q);
void rw_upstream_cancel(struct rw_upstream *up, uint64_t id);
/* Number of upstream queries under way. */
size_t rw_upstream_pending(const struct rw_upstream *up);
/* Close every upstream query without calling back into the resolver, and refuse new ones. */
void rw_upstream_close(struct rw_upstream *up);
/* Free once the loop has run every close callback. NULL does nothing. */
void rw_upstream_free(struct rw_upstream *up);

#endif
