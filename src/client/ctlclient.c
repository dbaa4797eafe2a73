/* ctlclient.c: the client side of rootwalkd's control socket (ctlclient.h). */
#include "ctlclient.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>

#include "rootwalk/config.h"
#include "rootwalk/control.h"

#include "deadline.h"
#include "exitcode.h"

/* A response being read: the bytes not yet handed out as lines, and the status line once read. */
struct reply {
	char *buf;
	size_t len, cap;
	char *status; /* the status line, NULL until it is complete */
	bool done;    /* the "." line that ends the response was read */
};

/* The control socket: -s, else the control-socket line of the daemon's configuration file,
 * else RW_DEFAULT_CONTROL_SOCKET. Only that line is read: after a bad edit the rest of the file
 * may not parse, and `rootwalk reload` must still reach the daemon to hear its verdict. Returns
 * NULL after printing why. */
static char *ctl_socket_path(const struct rw_ctlclient_opts *o)
{
	char err[512], path[4096];
	int rc;

	if (o->socket)
		return strdup(o->socket);
	rc = rw_config_peek(o->config, "control-socket", path, sizeof(path), err, sizeof(err));
	if (rc < 0 && rc != -ENOENT) {
		fprintf(stderr, "rootwalk: %s (give the socket with -s SOCKET)\n", err);
		return NULL;
	}
	if (rc <= 0)
		return strdup(RW_DEFAULT_CONTROL_SOCKET);
	if (strcmp(path, "off") == 0) {
		fprintf(stderr,
			"rootwalk: %s sets control-socket: off, so rootwalkd has none; set one "
			"there "
			"(and restart), or give it with -s SOCKET\n",
			o->config);
		return NULL;
	}
	return strdup(path);
}

/* Connect to the control socket. Returns the fd, or -RW_EXIT_* after printing a one-line reason. */
static int ctl_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "rootwalk: control socket path too long: %s\n", path);
		return -RW_EXIT_USAGE;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "rootwalk: socket: %s\n", strerror(errno));
		return -RW_EXIT_PROTOCOL;
	}
	if (connect(fd, (const struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ENOTDIR:
		fprintf(stderr, "rootwalk: no control socket at %s: rootwalkd is not running\n",
			path);
		close(fd);
		return -RW_EXIT_NOT_RUNNING;
	case ECONNREFUSED:
		fprintf(stderr,
			"rootwalk: nothing listens on %s: rootwalkd is not running (stale "
			"socket)\n",
			path);
		close(fd);
		return -RW_EXIT_NOT_RUNNING;
	case EACCES:
	case EPERM:
		fprintf(stderr,
			"rootwalk: %s: permission denied (see control-socket-mode and "
			"control-socket-owner in rootwalkd.conf(5))\n",
			path);
		close(fd);
		return -RW_EXIT_NO_ACCESS;
	default:
		fprintf(stderr, "rootwalk: connect %s: %s\n", path, strerror(errno));
		close(fd);
		return -RW_EXIT_PROTOCOL;
	}
}

/* Print one body line (dot-stuffing undone). */
static void ctl_body_line(const char *line, size_t len)
{
	if (len > 0 && line[0] == '.') {
		line++;
		len--;
	}
	fwrite(line, 1, len, stdout);
	fputc('\n', stdout);
}

/* Hand out the complete lines in r->buf: the status line, then the body lines up to the "."
 * line, printed when the status is ok. Returns 0, or -1 after printing why. */
static int reply_take_lines(struct reply *r)
{
	size_t start = 0;

	for (;;) {
		char *nl = memchr(r->buf + start, '\n', r->len - start);
		size_t l;

		if (!nl)
			break;
		l = (size_t)(nl - (r->buf + start));
		if (!r->status) {
			r->status = strndup(r->buf + start, l);
			if (!r->status) {
				fprintf(stderr, "rootwalk: out of memory\n");
				return -1;
			}
		} else if (l == 1 && r->buf[start] == '.') {
			r->done = true;
			break;
		} else if (strncmp(r->status, "ok", 2) == 0) {
			ctl_body_line(r->buf + start, l);
		}
		start += l + 1;
	}
	if (start > 0) {
		memmove(r->buf, r->buf + start, r->len - start);
		r->len -= start;
	}
	return 0;
}

/* One read from the daemon into r, waiting for it by the deadline. Returns 1 when bytes came, 0
 * to be called again, -1 after printing why the exchange failed. */
static int reply_read(struct reply *r, int fd, const char *path, int64_t deadline, int timeout_ms)
{
	ssize_t n;
	int w;

	if (r->cap - r->len < 4096) {
		char *p = realloc(r->buf, r->cap ? r->cap * 2 : 65536);

		if (!p) {
			fprintf(stderr, "rootwalk: out of memory\n");
			return -1;
		}
		r->buf = p;
		r->cap = r->cap ? r->cap * 2 : 65536;
	}
	n = read(fd, r->buf + r->len, r->cap - r->len);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n < 0 && errno == EAGAIN) {
		w = rw_deadline_wait_fd(fd, POLLIN, deadline);
		if (w == 0) {
			fprintf(stderr, "rootwalk: no complete answer from %s within %d s\n", path,
				timeout_ms / 1000);
			return -1;
		}
		if (w < 0) {
			fprintf(stderr, "rootwalk: poll: %s\n", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (n < 0) {
		fprintf(stderr, "rootwalk: reading from %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (n == 0) {
		fprintf(stderr, "rootwalk: %s closed the connection before the end of the answer\n",
			path);
		return -1;
	}
	r->len += (size_t)n;
	return 1;
}

/* The exit status for a complete response's status line. */
static int reply_verdict(const char *status, const char *path)
{
	if (strcmp(status, "ok") == 0)
		return fflush(stdout) == 0 ? RW_EXIT_OK : RW_EXIT_PROTOCOL;
	if (strncmp(status, "error: ", 7) == 0) {
		fprintf(stderr, "rootwalk: %s\n", status + 7);
		return RW_EXIT_REFUSED;
	}
	fprintf(stderr, "rootwalk: unexpected answer from %s: %.200s\n", path, status);
	return RW_EXIT_PROTOCOL;
}

int rw_ctlclient_open(const struct rw_ctlclient_opts *o, char **path)
{
	int fd;

	*path = ctl_socket_path(o);
	if (!*path)
		return -RW_EXIT_USAGE;
	fd = ctl_connect(*path);
	if (fd < 0) {
		free(*path);
		*path = NULL;
	}
	return fd;
}

int rw_ctlclient_reply(int fd, const char *path, int64_t deadline, int timeout_ms)
{
	struct reply r = {0};
	int rc = RW_EXIT_PROTOCOL;

	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (!r.done) {
		int got = reply_read(&r, fd, path, deadline, timeout_ms);

		if (got < 0 || (got > 0 && reply_take_lines(&r) < 0))
			goto out;
	}
	rc = reply_verdict(r.status, path);
out:
	free(r.status);
	free(r.buf);
	return rc;
}

/* Send one request and print the response body. Returns the exit status. */
static int ctl_exchange(const struct rw_ctlclient_opts *o, const char *request)
{
	int64_t deadline = rw_deadline_now_ms() + o->timeout_ms;
	char *path;
	int fd = rw_ctlclient_open(o, &path), rc = RW_EXIT_PROTOCOL;

	if (fd < 0)
		return -fd;
	/* One request per connection: half-close, and the daemon closes after answering. */
	if (rw_deadline_write_full(fd, (const uint8_t *)request, strlen(request), deadline) <= 0 ||
	    shutdown(fd, SHUT_WR) < 0)
		fprintf(stderr, "rootwalk: sending to %s: %s\n", path,
			errno ? strerror(errno) : "timed out");
	else
		rc = rw_ctlclient_reply(fd, path, deadline, o->timeout_ms);
	free(path);
	close(fd);
	return rc;
}

/* Build the request line for a control command from the command-line words, checking it the
 * way the daemon will. Returns the line (malloc'd), or NULL after printing why. */
static char *ctl_request(const char *cmd, int argc, char **argv)
{
	static const struct {
		const char *opt, *word;
	} flags[] = {{"--fresh", "fresh"},	    {"--json", "json"},
		     {"--subtree", "subtree"},	    {"--negative", "negative"},
		     {"--bogus", "bogus"},	    {"--prometheus", "prometheus"},
		     {"--per-thread", "per-thread"}};
	struct rw_control_request req;
	char line[RW_CONTROL_MAX_REQUEST + 1], err[256];
	size_t n;
	int i;

	n = (size_t)snprintf(line, sizeof(line), "%s", cmd);
	for (i = 0; i < argc && n < sizeof(line); i++) {
		const char *w = argv[i];
		size_t f;

		for (f = 0; f < sizeof(flags) / sizeof(flags[0]); f++)
			if (strcmp(w, flags[f].opt) == 0)
				break;
		if (f < sizeof(flags) / sizeof(flags[0])) {
			w = flags[f].word;
		} else if (w[0] == '-' && w[1] != '\0') {
			fprintf(stderr, "rootwalk: %s: unknown option '%s'\n", cmd, w);
			return NULL;
		} else if (strcmp(w, "fresh") == 0 || strcmp(w, "json") == 0 ||
			   strcmp(w, "subtree") == 0 || strcmp(w, "negative") == 0 ||
			   strcmp(w, "bogus") == 0 ||
			   (strncmp(w, "ttl=", 4) == 0 && strcmp(cmd, "nta-add") != 0)) {
			/* The protocol's own words: a name like that needs a trailing dot. */
			if (i == 0) {
				fprintf(stderr,
					"rootwalk: %s: '%s' as a NAME must be written '%s.'\n", cmd,
					w, w);
				return NULL;
			}
			fprintf(stderr, "rootwalk: %s: options are written --%s\n", cmd, w);
			return NULL;
		} else {
			for (const char *c = w; *c; c++) {
				if ((unsigned char)*c <= 0x20 || (unsigned char)*c > 0x7e) {
					fprintf(stderr,
						"rootwalk: %s: '%s' contains a space, control or "
						"non-ASCII byte (write it as \\DDD)\n",
						cmd, w);
					return NULL;
				}
			}
		}
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", w);
	}
	if (n + 1 >= sizeof(line)) {
		fprintf(stderr, "rootwalk: %s: request too long\n", cmd);
		return NULL;
	}
	if (rw_control_parse(line, n, &req, err, sizeof(err)) < 0) {
		fprintf(stderr, "rootwalk: %s\n", err);
		return NULL;
	}
	line[n++] = '\n';
	line[n] = '\0';
	return strdup(line);
}

int rw_ctlclient_run(const struct rw_ctlclient_opts *o, const char *cmd, int argc, char **argv)
{
	char *req = ctl_request(cmd, argc, argv);
	int rc;

	if (!req)
		return RW_EXIT_USAGE;
	signal(SIGPIPE, SIG_IGN);
	rc = ctl_exchange(o, req);
	free(req);
	return rc;
}
