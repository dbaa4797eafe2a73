/* The files of a running service around the configuration: the pidfile, the control socket's
 * directory, and the check (rootwalkd -n) that the directories the configuration names exist.
 */
#ifndef RW_DAEMON_RUNFILES_H
#define RW_DAEMON_RUNFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "rootwalk/config.h"

/* Make sure the directory of the control socket path exists. When it is missing but its parent
 * exists (/run/rootwalk under /run), it is created with mode 0750 and, when chown_it, given to
 * uid:gid (the service user, who must be able to remove the socket at exit). An existing
 * directory is left as it is. Returns 0, or -1 with the reason in err. */
int rw_runfiles_socket_dir(const char *sock_path, bool chown_it, uid_t uid, gid_t gid, char *err,
			   size_t errlen);
/* Write our process id and a newline to path (replacing the file, never following a symbolic
 * link). Returns 0, or -1 with the reason in err. */
int rw_runfiles_pidfile_write(const char *path, char *err, size_t errlen);
/* Remove path if it still holds our process id; failures (a directory closed to the service
 * user) are logged at debug level: the file is stale, as Unbound leaves it. */
void rw_runfiles_pidfile_remove(const char *path);
/* -n: write a line to out for each path of cfg whose directory is missing (control-socket,
 * trace-log, pidfile, chroot itself), except a control socket directory rootwalkd will create.
 * Returns how many were written. */
int rw_runfiles_check(const struct rw_config *cfg, FILE *out);

#endif
