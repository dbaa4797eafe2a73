/* rootwalkd as a system service: what main.c calls around startup, reload and shutdown so that
 * the daemon drops root (privdrop.h), keeps its pidfile and control socket directory
 * (runfiles.h) and tells systemd how it is doing (notify.h).
 *
 * Startup order: rw_service_prepare (look the user up, connect to $NOTIFY_SOCKET) before
 * anything is opened; rw_service_socket_dir before the control socket is made; then, once the
 * listeners, the control socket and the trace log are open, rw_service_start (pidfile, files
 * handed to the service user, chroot, user switch) and rw_service_ready.
 */
#ifndef RW_DAEMON_SERVICE_H
#define RW_DAEMON_SERVICE_H

#include <stddef.h>

#include "daemon.h"
#include "privdrop.h"

/* Returns 0, or -1 with the reason in err (the daemon must not start). */
int rw_service_prepare(struct rw_daemon *d, struct rw_privdrop *pd, char *err, size_t errlen);
/* Create the control socket's directory if need be. Returns 0, or -1 with the reason in err. */
int rw_service_socket_dir(struct rw_daemon *d, const struct rw_privdrop *pd, char *err,
			  size_t errlen);
/* Write the pidfile, give the trace log and the control socket to the service user, change
 * root and user. Returns 0, or -1 with the reason in err (the daemon must stop). */
int rw_service_start(struct rw_daemon *d, const struct rw_privdrop *pd, char *err, size_t errlen);
/* READY=1 with a status line: at startup, and after a reload (ok: whether it was taken). */
void rw_service_ready(struct rw_daemon *d, const char *status);
/* RELOADING=1 with MONOTONIC_USEC; the path to read the configuration from (the chroot
 * directory taken off its front under chroot). */
const char *rw_service_reloading(struct rw_daemon *d);
/* A configuration read at reload: its paths as seen inside the chroot. */
void rw_service_reloaded_paths(struct rw_daemon *d, struct rw_config *cfg);
/* The reload reply's line when username, chroot or pidfile changed (they need a restart):
 * its length, 0 when none was written. */
size_t rw_service_reload_note(const struct rw_config *old, const struct rw_config *cfg, char *msg,
			      size_t msglen);
/* STOPPING=1. */
void rw_service_stopping(struct rw_daemon *d);
/* At exit: remove the pidfile, close the notification socket, free what the service kept. */
void rw_service_exit(struct rw_daemon *d);

#endif
