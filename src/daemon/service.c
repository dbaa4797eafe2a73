/* rootwalkd as a system service (service.h). */
#include "service.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "runfiles.h"

int rw_service_prepare(struct rw_daemon *d, struct rw_privdrop *pd, char *err, size_t errlen)
{
	d->notify_fd = -1;
	if (rw_privdrop_prepare(d->cfg, pd, err, errlen) < 0)
		return -1;
	if (d->cfg->chroot_dir && !(d->root_dir = strdup(d->cfg->chroot_dir))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	d->notify_fd = rw_notify_open();
	return 0;
}

int rw_service_socket_dir(struct rw_daemon *d, const struct rw_privdrop *pd, char *err,
			  size_t errlen)
{
	if (!d->cfg->control_socket)
		return 0;
	return rw_runfiles_socket_dir(d->cfg->control_socket, pd->drop, pd->uid, pd->gid, err,
				      errlen);
}

/* Hand a file we made as root to the service user, as Unbound does with its log file: the
 * control socket's default owner is the user the daemon runs as, and the trace log must be
 * reopened by that user after rotation. */
static void give(const char *what, const char *path, const struct rw_privdrop *pd)
{
	if (fchownat(AT_FDCWD, path, pd->uid, pd->gid, AT_SYMLINK_NOFOLLOW) < 0)
		rw_daemon_log(RW_LOG_WARNING, "%s %s: cannot give it to %s: %s", what, path,
			      pd->user, strerror(errno));
}

int rw_service_start(struct rw_daemon *d, const struct rw_privdrop *pd, char *err, size_t errlen)
{
	const struct rw_config *cfg = d->cfg;

	if (cfg->pidfile) {
		if (rw_runfiles_pidfile_write(cfg->pidfile, err, errlen) < 0)
			return -1;
		d->pidfile = strdup(cfg->pidfile);
	}
	if (pd->drop && d->ctlsock && !cfg->control_socket_owner)
		give("control socket", cfg->control_socket, pd);
	if (pd->drop && d->tsink)
		give("trace log", d->trace_path, pd);
	return rw_privdrop_apply(cfg, pd, err, errlen);
}

void rw_service_ready(struct rw_daemon *d, const char *status)
{
	rw_notify(d->notify_fd, "READY=1\nSTATUS=%s", status);
}

const char *rw_service_reloading(struct rw_daemon *d)
{
	rw_notify(d->notify_fd, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
		  rw_notify_monotonic_usec(), d->config_path);
	return rw_privdrop_in_root(d->root_dir, d->config_path);
}

void rw_service_reloaded_paths(struct rw_daemon *d, struct rw_config *cfg)
{
	rw_privdrop_root_paths(cfg, d->root_dir);
}

void rw_service_stopping(struct rw_daemon *d)
{
	rw_notify(d->notify_fd, "STOPPING=1\nSTATUS=stopping");
}

void rw_service_exit(struct rw_daemon *d)
{
	if (d->pidfile)
		rw_runfiles_pidfile_remove(rw_privdrop_in_root(d->root_dir, d->pidfile));
	rw_notify_close(d->notify_fd);
	d->notify_fd = -1;
	free(d->pidfile);
	free(d->root_dir);
	d->pidfile = NULL;
	d->root_dir = NULL;
}

static bool differ(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

size_t rw_service_reload_note(const struct rw_config *old, const struct rw_config *cfg, char *msg,
			      size_t msglen)
{
	int n;

	if (!differ(old->username, cfg->username) && !differ(old->chroot_dir, cfg->chroot_dir) &&
	    !differ(old->pidfile, cfg->pidfile))
		return 0;
	n = snprintf(msg, msglen,
		     "note: username, chroot and pidfile take effect at the next start\n");
	return n < 0 ? 0 : (size_t)n;
}
