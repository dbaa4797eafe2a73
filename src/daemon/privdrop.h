/* Giving up root after startup: the change of root (chroot:) and of user (username:).
 *
 * rootwalkd binds its sockets, opens the control socket, the trace log and the pidfile as the
 * user that started it; then, when that user is root, it changes root (if chroot: is set) and
 * becomes username: for good: supplementary groups, gid and uid (real, effective and saved),
 * every capability and the capability bounding set are dropped, and no_new_privs is set. It
 * then checks that root cannot be had back. Started as root with username: "" it stays root
 * (and says so); started as another user it has nothing to give up.
 */
#ifndef RW_DAEMON_PRIVDROP_H
#define RW_DAEMON_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "rootwalk/config.h"

struct rw_privdrop {
	bool drop; /* started as root and username: names a user: switch to uid/gid */
	uid_t uid;
	gid_t gid;
	char user[64]; /* its name, for messages */
};

/* Decide what to drop and look the user up (before anything is opened: the user's ids are
 * needed for the control socket's directory). Returns 0, or -1 with the reason in err: an
 * unknown user, or a username: that is root itself (say username: "" to run as root). */
int rw_privdrop_prepare(const struct rw_config *cfg, struct rw_privdrop *pd, char *err,
			size_t errlen);
/* Change root to cfg->chroot_dir (when set), then become pd's user (when pd->drop) and check
 * that root cannot be regained. Returns 0, or -1 with the reason in err: the daemon must not
 * go on. */
int rw_privdrop_apply(const struct rw_config *cfg, const struct rw_privdrop *pd, char *err,
		      size_t errlen);
/* A path as seen after the change of root: path without the chroot directory in front when it
 * lies inside it, else path unchanged (Unbound does the same). chroot_dir NULL: path. Borrowed
 * from path. */
const char *rw_privdrop_in_root(const char *chroot_dir, const char *path);
/* After a reload under chroot: rewrite the paths of cfg that lie inside chroot_dir (root-hints,
 * trust-anchor-file, trace-log) as rw_privdrop_in_root gives them. */
void rw_privdrop_root_paths(struct rw_config *cfg, const char *chroot_dir);

#endif
