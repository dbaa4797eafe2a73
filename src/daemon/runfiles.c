/* The pidfile, the control socket's directory and the -n directory checks (runfiles.h). */
#include "runfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "log.h"

/* The directory part of path ("/" for "/x"). Returns 0, or -1 if it does not fit. */
static int dir_of(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		snprintf(dir, cap, ".");
		return 0;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int rw_runfiles_socket_dir(const char *sock_path, bool chown_it, uid_t uid, gid_t gid, char *err,
			   size_t errlen)
{
	char dir[PATH_MAX];
	int fd;

	if (dir_of(sock_path, dir, sizeof(dir)) < 0) {
		snprintf(err, errlen, "control-socket: %s: path too long", sock_path);
		return -1;
	}
	if (mkdir(dir, 0750) < 0) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errlen, "control-socket: creating its directory %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	/* Through a descriptor of the directory just made: the path could be swapped for a
	 * symbolic link between mkdir and chown. The mode is set again past the umask. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0750) < 0 || (chown_it && fchown(fd, uid, gid) < 0)) {
		snprintf(err, errlen, "control-socket: directory %s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	rw_daemon_log(RW_LOG_INFO, "created %s (mode 0750) for the control socket", dir);
	return 0;
}

int rw_runfiles_pidfile_write(const char *path, char *err, size_t errlen)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "pidfile: %s: %s", path, strerror(errno));
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		snprintf(err, errlen, "pidfile: writing %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void rw_runfiles_pidfile_remove(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* Another rootwalkd may have taken the file over: then it is not ours to remove. */
	if (strtol(buf, NULL, 10) != (long)getpid())
		return;
	if (unlink(path) < 0)
		rw_daemon_log(RW_LOG_DEBUG, "pidfile %s not removed: %s", path, strerror(errno));
}

/* One path's directory: a line to out when it is missing. */
static int check_dir(FILE *out, const char *key, const char *path)
{
	char dir[PATH_MAX];

	if (path == NULL || dir_of(path, dir, sizeof(dir)) < 0 || is_dir(dir))
		return 0;
	fprintf(out, "%s: %s: directory %s does not exist\n", key, path, dir);
	return 1;
}

int rw_runfiles_check(const struct rw_config *cfg, FILE *out)
{
	char dir[PATH_MAX], parent[PATH_MAX] = "";
	int n = 0;

	/* The control socket's own directory is made at startup when its parent exists. */
	if (cfg->control_socket && dir_of(cfg->control_socket, dir, sizeof(dir)) == 0 &&
	    !is_dir(dir) && (dir_of(dir, parent, sizeof(parent)) < 0 || !is_dir(parent))) {
		fprintf(out,
			"control-socket: %s: directory %s does not exist, nor does %s (rootwalkd "
			"creates only the last one)\n",
			cfg->control_socket, dir, parent);
		n++;
	}
	if (cfg->trace_log && strcmp(cfg->trace_log, "stderr") != 0)
		n += check_dir(out, "trace-log", cfg->trace_log);
	n += check_dir(out, "pidfile", cfg->pidfile);
	if (cfg->logfile && strcmp(cfg->logfile, "stderr") != 0 &&
	    strcmp(cfg->logfile, "syslog") != 0)
		n += check_dir(out, "logfile", cfg->logfile);
	if (cfg->chroot_dir && !is_dir(cfg->chroot_dir)) {
		fprintf(out, "chroot: %s: not a directory\n", cfg->chroot_dir);
		n++;
	}
	return n;
}
