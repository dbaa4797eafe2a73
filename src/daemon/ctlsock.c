/* The control socket: a Unix stream socket carrying the control protocol (rootwalk/control.h).
 *
 * The socket file is created with the configured mode (default 0600: only the daemon's user)
 * and owner, and removed at exit if it is still ours. A stale socket left by a daemon that died
 * is replaced; a live one (another daemon answers on it) or a file that is not a socket is never
 * touched. Requests are lines of at most RW_CONTROL_MAX_REQUEST bytes: a longer one gets an
 * error and the connection is closed. Each connection handles one request at a time; reading
 * pauses while a request is being answered or while the client has not read its replies. After
 * load-cache, the lines that follow (each at most RW_CONTROL_MAX_LOAD_LINE bytes, each due
 * within CTL_REQUEST_MS of its first byte like a request) go to the control handler up to its
 * "." line; the connection reads requests again after its answer.
 *
 * Slow clients cannot hold the administrator out: bytes alone are not activity (a request must
 * be complete within CTL_REQUEST_MS of its first byte, or the connection is closed), idle
 * connections are closed after CTL_IDLE_MS, and when CTL_MAX_CONNS are open a new connection
 * closes the one that completed a request (or connected) longest ago and is not being answered.
 *
 * Reload sets the socket file's mode and owner again, through a file descriptor opened on the
 * path without following symbolic links (O_PATH | O_NOFOLLOW) and checked to be the socket we
 * bound (device and inode): whoever can write the socket's directory cannot swap in a link and
 * have the daemon change another file's mode or owner.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <uv.h>

#include "daemon.h"
#include "log.h"
#include "stream.h"
#include "rootwalk/control.h"

#define CTL_MAX_CONNS	16
#define CTL_IDLE_MS	60000
#define CTL_REQUEST_MS	5000 /* from the first byte of a request to its newline */
#define CTL_BACKLOG	16
#define CTL_INITIAL_BUF 1024
/* Reply bytes a client may leave unread before we stop reading its next request. */
#define CTL_WQUEUE_PAUSE (1024 * 1024)

struct ctl_conn {
	struct rw_stream st; /* first: the handles' data point at it */
	struct rw_ctlsock *cs;
	uint64_t pending; /* control handle of a request being answered later, 0 if none */
	bool answering;	  /* a request was handed to the control handler and not yet answered */
	bool partial;	  /* part of a request is buffered: its deadline runs */
	bool streaming;	  /* a part of a long answer is being written; the next comes after it */
	uint64_t loading; /* load-cache: the lines that follow go to this handle (0: none) */
};

struct rw_ctlsock {
	struct rw_daemon *d;
	uv_pipe_t listener;
	bool listening, closed;
	char *path;
	dev_t dev; /* the socket file we created, so that exit removes only ours */
	ino_t ino;
	struct rw_stream_set conns;
};

static void conn_process(struct ctl_conn *c);

/* Closing starts: cancel a trace the asker no longer wants. */
static void ctl_closing(struct rw_stream *st)
{
	struct ctl_conn *c = (struct ctl_conn *)st;

	if (c->pending && c->cs->d->control)
		rw_control_cancel(c->cs->d->control, c->pending);
	if (c->loading && c->cs->d->control)
		rw_control_cancel(c->cs->d->control, c->loading); /* stored lines stay */
	c->pending = 0;
	c->loading = 0;
}

static void ctl_written(struct rw_stream *st)
{
	struct ctl_conn *c = (struct ctl_conn *)st;

	if (c->streaming) {
		/* A long answer goes one part at a time, each once the previous one is out: a
		 * client that reads slowly (or not at all) holds one part of memory, no more. */
		if (rw_stream_wqueue(st) == 0 && c->pending && c->cs->d->control) {
			c->streaming = false;
			rw_control_continue(c->cs->d->control, c->pending);
		}
		return;
	}
	if (rw_stream_wqueue(st) <= CTL_WQUEUE_PAUSE)
		conn_process((struct ctl_conn *)st); /* the client caught up: its next request */
}

/* Bytes arrived (they do not restart the idle timer: a request completed does) or the client
 * half-closed: answer what was asked, then close. */
static void ctl_input(struct rw_stream *st)
{
	conn_process((struct ctl_conn *)st);
}

/* A trace in progress is bounded by the resolver's query budget, not by the idle timer; a long
 * answer whose client takes no part for CTL_IDLE_MS is not busy but stuck. */
static bool ctl_busy(struct rw_stream *st)
{
	struct ctl_conn *c = (struct ctl_conn *)st;

	return c->answering && !c->streaming;
}

static const struct rw_stream_ops ctl_stream_ops = {
	.closing = ctl_closing,
	.written = ctl_written,
	.input = ctl_input,
	.in_initial = CTL_INITIAL_BUF,
	.in_max = RW_CONTROL_MAX_REQUEST,
	.touch_on_bytes = false,
	.idle_ms = CTL_IDLE_MS,
	.busy = ctl_busy,
};

static size_t conn_wqueue(struct ctl_conn *c)
{
	return rw_stream_wqueue(&c->st);
}

static void conn_write(struct ctl_conn *c, const char *data, size_t len)
{
	rw_stream_write(&c->st, NULL, 0, data, len);
}

/* The control handler's answer, now or later. */
static void conn_done(void *arg, const char *resp, size_t len)
{
	struct ctl_conn *c = arg;

	c->pending = 0;
	c->answering = false;
	c->streaming = false;
	conn_write(c, resp, len);
	if (!c->st.closing)
		rw_stream_touch(&c->st);
	if (!c->st.processing)
		conn_process(c);
}

void rw_ctlsock_part(void *arg, const char *data, size_t len)
{
	struct ctl_conn *c = arg;

	c->streaming = true;
	conn_write(c, data, len);
	if (!c->st.closing)
		rw_stream_touch(&c->st); /* progress: the idle timer starts again */
}

static void conn_request(struct ctl_conn *c, const char *line, size_t len)
{
	struct rw_control *ctl = c->cs->d->control;
	static const char unavailable[] = "error: the daemon is shutting down\n.\n";
	uint64_t h;

	if (!ctl) {
		conn_write(c, unavailable, sizeof(unavailable) - 1);
		return;
	}
	c->partial = false;
	rw_stream_touch(&c->st); /* a complete request is activity */
	c->answering = true;
	h = rw_control_request(ctl, line, len, conn_done, c);
	if (h && c->answering && rw_control_takes_lines(ctl, h)) {
		/* load-cache: read its lines (longer than requests), each due within
		 * CTL_REQUEST_MS of its first byte like a request */
		c->loading = h;
		c->answering = false;
		c->st.in.max = RW_CONTROL_MAX_LOAD_LINE;
	} else if (h && c->answering) {
		c->pending = h;
	}
}

/* A line for the load-cache request in progress (line NULL: the input ended first). */
static void conn_load_line(struct ctl_conn *c, const char *line, size_t len)
{
	struct rw_control *ctl = c->cs->d->control;
	uint64_t h = c->loading;

	c->partial = false;
	rw_stream_touch(&c->st);
	if (!ctl || rw_control_load_line(ctl, h, line, len) != 1) {
		c->loading = 0; /* answered: requests again */
		c->st.in.max = RW_CONTROL_MAX_REQUEST;
	}
}

static void conn_want_read(struct ctl_conn *c, bool want)
{
	rw_stream_want_read(&c->st, want);
}

/* Answer buffered requests while the connection has room; manage reading. */
static void conn_process(struct ctl_conn *c)
{
	char toolong[96];

	if (c->st.closing || c->st.processing)
		return;
	c->st.processing = true;
	while (!c->st.closing && !c->answering && conn_wqueue(c) <= CTL_WQUEUE_PAUSE) {
		const char *in = (const char *)rw_inbuf_data(&c->st.in);
		size_t inlen = rw_inbuf_size(&c->st.in), used;
		const char *nl = inlen ? memchr(in, '\n', inlen) : NULL;

		if (!nl && inlen >= c->st.in.max) {
			/* No newline within the limit: not a request (or load line) we can frame. */
			if (c->loading && c->cs->d->control)
				rw_control_cancel(c->cs->d->control, c->loading);
			snprintf(toolong, sizeof(toolong), "error: %s longer than %zu bytes\n.\n",
				 c->loading ? "load-cache: a line" : "request", c->st.in.max);
			c->loading = 0;
			conn_write(c, toolong, strlen(toolong));
			rw_inbuf_consume(&c->st.in, inlen);
			rw_inbuf_compact(&c->st.in);
			c->st.eof = true;
			break;
		}
		if (!nl && c->st.eof && inlen == 0 && c->loading) {
			conn_load_line(c, NULL, 0); /* the input ended before the "." line */
			continue;
		}
		if (!nl && !(c->st.eof && inlen > 0))
			break;
		/* At the end of input, a last line without a newline is a request too. */
		used = nl ? (size_t)(nl - in) + 1 : inlen;
		if (c->loading)
			conn_load_line(c, in, used);
		else
			conn_request(c, in, used);
		rw_inbuf_consume(&c->st.in, used);
		rw_inbuf_compact(&c->st.in);
	}
	c->st.processing = false;
	if (c->st.closing)
		return;
	if (c->st.eof) {
		conn_want_read(c, false);
		if (!c->answering && rw_inbuf_size(&c->st.in) == 0)
			rw_stream_shutdown(&c->st);
		return;
	}
	if (!c->answering && rw_inbuf_size(&c->st.in) > 0 && !c->partial) {
		/* The first bytes of a request: the whole line is due within CTL_REQUEST_MS. */
		c->partial = true;
		rw_stream_deadline(&c->st, CTL_REQUEST_MS);
	}
	conn_want_read(c, !c->answering && conn_wqueue(c) <= CTL_WQUEUE_PAUSE &&
				  rw_inbuf_size(&c->st.in) < c->st.in.max);
}

static void ctl_connection_cb(uv_stream_t *server, int status)
{
	struct rw_ctlsock *cs = server->data;
	struct ctl_conn *c;

	if (status < 0 || cs->closed)
		return;
	c = (struct ctl_conn *)rw_stream_accept(&cs->conns, server, sizeof(*c), &ctl_stream_ops);
	if (!c)
		return;
	c->cs = cs;
	conn_process(c); /* starts reading */
}

/* A user or group id: the name's (looked up with getpwnam or getgrnam) or a number. Returns 0, or
 * -EINVAL with the reason in err. */
static int parse_id(const char *name, bool group, unsigned long *id, char *err, size_t errlen)
{
	char *end;

	if (group) {
		struct group *gr = getgrnam(name);

		if (gr) {
			*id = gr->gr_gid;
			return 0;
		}
	} else {
		struct passwd *pw = getpwnam(name);

		if (pw) {
			*id = pw->pw_uid;
			return 0;
		}
	}
	errno = 0;
	*id = strtoul(name, &end, 10);
	if (errno || *end || end == name) {
		snprintf(err, errlen, "control-socket-owner: no %s '%.64s'",
			 group ? "group" : "user", name);
		return -EINVAL;
	}
	return 0;
}

/* Owner "USER[:GROUP]" (names or numbers) to ids; -1 leaves one unchanged. */
static int parse_owner(const char *owner, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	char user[256], *group;
	unsigned long n;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (!owner)
		return 0;
	if (strlen(owner) >= sizeof(user)) {
		snprintf(err, errlen, "control-socket-owner: too long");
		return -EINVAL;
	}
	strcpy(user, owner);
	group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	if (user[0]) {
		if (parse_id(user, false, &n, err, errlen) < 0)
			return -EINVAL;
		*uid = (uid_t)n;
	}
	if (group && group[0]) {
		if (parse_id(group, true, &n, err, errlen) < 0)
			return -EINVAL;
		*gid = (gid_t)n;
	}
	return 0;
}

/* The socket file at cs->path, opened without following a symbolic link, if it is still the
 * socket we bound. Returns the O_PATH descriptor, or negative with the reason in err. */
static int open_own_socket(struct rw_ctlsock *cs, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(cs->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		int rc = -errno;
		snprintf(err, errlen, "control socket %s: %s", cs->path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_dev != cs->dev ||
	    st.st_ino != cs->ino) {
		snprintf(err, errlen,
			 "control socket %s: the path is no longer the socket the daemon made "
			 "(replaced by %s): its mode and owner are left alone",
			 cs->path, S_ISLNK(st.st_mode) ? "a symbolic link" : "another file");
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* Mode and owner of the socket file from the configuration, set through a descriptor of the
 * socket file itself: chmod and chown on the path would follow a link swapped in meanwhile. */
static int apply_perms(struct rw_ctlsock *cs, const struct rw_config *cfg, char *err, size_t errlen)
{
	uid_t uid;
	gid_t gid;
	char proc[64];
	int rc = parse_owner(cfg->control_socket_owner, &uid, &gid, err, errlen);
	int fd;

	if (rc < 0)
		return rc;
	fd = open_own_socket(cs, err, errlen);
	if (fd < 0)
		return fd;
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0) {
		rc = -errno;
		snprintf(err, errlen, "control socket %s: chown to %s: %s", cs->path,
			 cfg->control_socket_owner, strerror(errno));
		close(fd);
		return rc;
	}
	/* fchmod does not take an O_PATH descriptor; its /proc name reaches the same inode. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (chmod(proc, (mode_t)cfg->control_socket_mode) < 0) {
		rc = -errno;
		snprintf(err, errlen, "control socket %s: chmod %04o: %s", cs->path,
			 cfg->control_socket_mode, strerror(errno));
		close(fd);
		return rc;
	}
	close(fd);
	return 0;
}

/* A socket file already at path: remove it if nobody listens on it (a daemon that died). */
static int clear_stale(const char *path, const struct sockaddr_un *sun, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s: exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "control socket %s: another process is listening on it",
			 path);
		return -EADDRINUSE;
	}
	if (errno != ECONNREFUSED) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		return -errno;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "control socket %s: removing the stale socket: %s", path,
			 strerror(errno));
		return -errno;
	}
	rw_daemon_log(RW_LOG_INFO, "removed stale control socket %s", path);
	return 0;
}

static int ctl_open(struct rw_ctlsock *cs, const struct rw_config *cfg, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(cs->path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long", cs->path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, cs->path);
	rc = clear_stale(cs->path, &sun, err, errlen);
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "control socket %s: %s", cs->path, strerror(-rc));
		return rc;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -errno;
	}
	/* The file is created with no more than the configured mode: there is no moment when a
	 * wider mode lets someone else connect. */
	old = umask(~(mode_t)cfg->control_socket_mode & 0777);
	rc = bind(fd, (const struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0) {
		rc = -errno;
		snprintf(err, errlen, "control socket %s: %s", cs->path, strerror(errno));
		close(fd);
		return rc;
	}
	if (lstat(cs->path, &st) == 0) {
		cs->dev = st.st_dev;
		cs->ino = st.st_ino;
	}
	rc = apply_perms(cs, cfg, err, errlen);
	if (rc == 0 && listen(fd, CTL_BACKLOG) < 0) {
		rc = -errno;
		snprintf(err, errlen, "control socket %s: listen: %s", cs->path, strerror(errno));
	}
	if (rc == 0)
		rc = uv_pipe_init(&cs->d->loop, &cs->listener, 0);
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "control socket %s: %s", cs->path, uv_strerror(rc));
		close(fd);
		unlink(cs->path);
		return rc;
	}
	cs->listener.data = cs;
	cs->listening = true;
	rc = uv_pipe_open(&cs->listener, fd);
	if (rc < 0)
		close(fd); /* not the handle's yet */
	else
		rc = uv_listen((uv_stream_t *)&cs->listener, CTL_BACKLOG, ctl_connection_cb);
	if (rc < 0) {
		snprintf(err, errlen, "control socket %s: %s", cs->path, uv_strerror(rc));
		return rc;
	}
	return 0;
}

struct rw_ctlsock *rw_ctlsock_new(struct rw_daemon *d)
{
	struct rw_ctlsock *cs = calloc(1, sizeof(*cs));

	if (!cs || !(cs->path = strdup(d->cfg->control_socket))) {
		free(cs);
		rw_daemon_log(RW_LOG_ERR, "out of memory");
		return NULL;
	}
	cs->d = d;
	cs->conns.max = CTL_MAX_CONNS;
	cs->conns.name = "control";
	/* Over the cap: say why, then close. */
	cs->conns.reject = "error: too many control connections\n.\n";
	cs->conns.evict = true;
	return cs;
}

int rw_ctlsock_listen(struct rw_ctlsock *cs)
{
	const struct rw_config *cfg = cs->d->cfg;
	char err[512] = "";
	int rc = ctl_open(cs, cfg, err, sizeof(err));

	if (rc < 0) {
		rw_daemon_log(RW_LOG_ERR, "%s", err);
		return rc;
	}
	rw_daemon_log(RW_LOG_INFO, "control socket %s (mode %04o%s%s)", cs->path,
		      cfg->control_socket_mode, cfg->control_socket_owner ? ", owner " : "",
		      cfg->control_socket_owner ? cfg->control_socket_owner : "");
	return 0;
}

const char *rw_ctlsock_path(const struct rw_ctlsock *cs)
{
	return cs ? cs->path : NULL;
}

size_t rw_ctlsock_connections(const struct rw_ctlsock *cs)
{
	return cs ? cs->conns.n : 0;
}

int rw_ctlsock_reconfigure(struct rw_ctlsock *cs, const struct rw_config *cfg, char *err,
			   size_t errlen)
{
	if (!cs || !cfg->control_socket || strcmp(cfg->control_socket, cs->path) != 0)
		return 1; /* a different socket: needs a restart */
	int rc = apply_perms(cs, cfg, err, errlen);
	if (rc < 0)
		rw_daemon_log(RW_LOG_WARNING, "%s", err);
	return rc;
}

void rw_ctlsock_close(struct rw_ctlsock *cs)
{
	struct stat st;

	if (!cs || cs->closed)
		return;
	cs->closed = true;
	rw_stream_set_close(&cs->conns);
	if (cs->listening) {
		uv_close((uv_handle_t *)&cs->listener, NULL);
		/* Remove the file only if it is still the socket we made. */
		if (lstat(cs->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == cs->dev &&
		    st.st_ino == cs->ino)
			unlink(cs->path);
	}
}

void rw_ctlsock_free(struct rw_ctlsock *cs)
{
	if (!cs)
		return;
	rw_ctlsock_close(cs);
	free(cs->path);
	free(cs);
}
