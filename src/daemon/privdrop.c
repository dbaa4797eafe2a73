/* Giving up root after startup (privdrop.h). */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "log.h"

int rw_privdrop_prepare(const struct rw_config *cfg, struct rw_privdrop *pd, char *err,
			size_t errlen)
{
	const char *name = cfg->username ? cfg->username : "";
	struct passwd *pw;

	memset(pd, 0, sizeof(*pd));
	if (geteuid() != 0)
		return 0; /* nothing to give up */
	if (name[0] == '\0') {
		rw_daemon_log(RW_LOG_WARNING,
			      "running as root: the configuration says username: \"\"");
		return 0;
	}
	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL) {
		snprintf(err, errlen,
			 "username: no user '%s' on this system (create it, e.g. with "
			 "systemd-sysusers, or say username: \"\" to run as root)",
			 name);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen,
			 "username: '%s' is root; rootwalkd does not keep running as root unless "
			 "the configuration says username: \"\"",
			 name);
		return -1;
	}
	pd->drop = true;
	pd->uid = pw->pw_uid;
	pd->gid = pw->pw_gid;
	snprintf(pd->user, sizeof(pd->user), "%s", name);
	return 0;
}

/* The bounding set: no capability can come back through an exec. Needs CAP_SETPCAP, which a
 * systemd unit may have taken away already; then the set is as small as the unit made it. */
static void drop_bounding_set(void)
{
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break; /* past the last capability this kernel knows */
}

/* Are the permitted and effective sets empty? */
static bool caps_empty(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return !data[0].permitted && !data[1].permitted && !data[0].effective && !data[1].effective;
}

/* After the switch: are we pd's user in every id, and does asking for root back fail? */
static int verify(const struct rw_privdrop *pd, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || ru != pd->uid ||
	    eu != pd->uid || su != pd->uid || rg != pd->gid || eg != pd->gid || sg != pd->gid) {
		snprintf(err, errlen, "dropping privileges: ids are not those of %s", pd->user);
		return -1;
	}
	if (setresuid(0, 0, 0) == 0 || setresgid(0, 0, 0) == 0 || setgroups(0, NULL) == 0) {
		snprintf(err, errlen, "dropping privileges: root could be regained");
		return -1;
	}
	if (!caps_empty()) {
		snprintf(err, errlen, "dropping privileges: capabilities remain");
		return -1;
	}
	return 0;
}

static int become(const struct rw_privdrop *pd, char *err, size_t errlen)
{
	const char *what;

	drop_bounding_set();
	what = "setgroups";
	if (setgroups(0, NULL) < 0)
		goto fail;
	what = "setresgid";
	if (setresgid(pd->gid, pd->gid, pd->gid) < 0)
		goto fail;
	what = "setresuid";
	if (setresuid(pd->uid, pd->uid, pd->uid) < 0)
		goto fail;
	what = "no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail;
	return verify(pd, err, errlen);
fail:
	snprintf(err, errlen, "becoming %s (uid %ld, gid %ld): %s: %s", pd->user, (long)pd->uid,
		 (long)pd->gid, what, strerror(errno));
	return -1;
}

int rw_privdrop_apply(const struct rw_config *cfg, const struct rw_privdrop *pd, char *err,
		      size_t errlen)
{
	if (cfg->chroot_dir) {
		if (chroot(cfg->chroot_dir) < 0 || chdir("/") < 0) {
			snprintf(err, errlen, "chroot: %s: %s", cfg->chroot_dir, strerror(errno));
			return -1;
		}
	}
	if (!pd->drop)
		return 0;
	if (become(pd, err, errlen) < 0)
		return -1;
	rw_daemon_log(RW_LOG_INFO, "running as %s (uid %ld, gid %ld)%s%s", pd->user, (long)pd->uid,
		      (long)pd->gid, cfg->chroot_dir ? ", root directory " : "",
		      cfg->chroot_dir ? cfg->chroot_dir : "");
	return 0;
}

const char *rw_privdrop_in_root(const char *chroot_dir, const char *path)
{
	size_t n;

	if (chroot_dir == NULL || path == NULL)
		return path;
	n = strlen(chroot_dir);
	while (n > 1 && chroot_dir[n - 1] == '/')
		n--;
	if (strncmp(path, chroot_dir, n) == 0 && path[n] == '/')
		return path + n;
	return path;
}

static void in_root(char *path, const char *chroot_dir)
{
	const char *p = rw_privdrop_in_root(chroot_dir, path);

	if (p != path)
		memmove(path, p, strlen(p) + 1);
}

void rw_privdrop_root_paths(struct rw_config *cfg, const char *chroot_dir)
{
	if (chroot_dir == NULL)
		return;
	if (cfg->root_hints)
		in_root(cfg->root_hints, chroot_dir);
	if (cfg->trace_log)
		in_root(cfg->trace_log, chroot_dir);
	for (size_t i = 0; i < cfg->n_trust_anchor_files; i++)
		in_root(cfg->trust_anchor_files[i], chroot_dir);
}
