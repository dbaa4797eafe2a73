/* loadcache.c: `rootwalk load-cache < FILE` (loadcache.h). */
#include "loadcache.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "rootwalk/control.h"

#include "deadline.h"
#include "exitcode.h"

#define BATCH (64 * 1024) /* bytes gathered before a write */

/* Bytes on their way to the daemon. */
struct out {
	int fd;
	const char *path;
	int timeout_ms;
	char buf[BATCH];
	size_t len;
	bool answered; /* the daemon answered (or closed) before the end: send nothing more */
};

/* Write len bytes, waiting at most timeout_ms each time the socket takes nothing, and stopping
 * when the daemon answers first (it refused the request or a line). Returns 0, or -1 after
 * printing why. */
static int send_all(struct out *o, const char *p, size_t len)
{
	size_t off = 0;

	while (off < len && !o->answered) {
		struct pollfd pfd = {.fd = o->fd, .events = POLLOUT | POLLIN};
		int n = poll(&pfd, 1, o->timeout_ms);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "rootwalk: load-cache: %s took nothing for %d s\n", o->path,
				o->timeout_ms / 1000);
			return -1;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			o->answered = true;
			break;
		}
		ssize_t w = send(o->fd, p + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET)) {
			o->answered = true; /* its answer, if any, is waiting to be read */
			break;
		}
		if (w < 0) {
			fprintf(stderr, "rootwalk: sending to %s: %s\n", o->path, strerror(errno));
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

static int flush_out(struct out *o)
{
	int rc = send_all(o, o->buf, o->len);

	o->len = 0;
	return rc;
}

static int put(struct out *o, const char *p, size_t len)
{
	if (o->len + len > sizeof(o->buf) && flush_out(o) < 0)
		return -1;
	if (len > sizeof(o->buf))
		return send_all(o, p, len);
	memcpy(o->buf + o->len, p, len);
	o->len += len;
	return 0;
}

/* Send standard input's lines, dot-stuffed, then ".". Returns 0, 1 when a line was too long
 * (the load was ended before it), or -1 after printing why. */
static int send_lines(struct out *o)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;

	while (rc == 0 && !o->answered && (n = getline(&line, &cap, stdin)) >= 0) {
		size_t len = (size_t)n;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len + 1 > RW_CONTROL_MAX_LOAD_LINE) {
			fprintf(stderr,
				"rootwalk: load-cache: line %zu is longer than %d bytes: not a "
				"dump-cache line; the load ends before it\n",
				lineno, RW_CONTROL_MAX_LOAD_LINE);
			rc = 1;
			break;
		}
		line[len++] = '\n';
		if ((line[0] == '.' && put(o, ".", 1) < 0) || put(o, line, len) < 0)
			rc = -1;
	}
	if (rc >= 0 && ferror(stdin)) {
		fprintf(stderr, "rootwalk: load-cache: reading standard input: %s\n",
			strerror(errno));
		rc = -1; /* the daemon then answers that the input ended early */
	}
	free(line);
	if (rc >= 0 && (put(o, ".\n", 2) < 0 || flush_out(o) < 0))
		rc = -1;
	return rc;
}

int rw_loadcache_run(const struct rw_ctlclient_opts *opts, const char *cmd, int argc, char **argv)
{
	struct out *o;
	char *path;
	int fd, sent, rc;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr,
			"rootwalk: %s reads the file from standard input: rootwalk "
			"load-cache < FILE\n",
			cmd);
		return RW_EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	fd = rw_ctlclient_open(opts, &path);
	if (fd < 0)
		return -fd;
	o = calloc(1, sizeof(*o));
	if (!o) {
		fprintf(stderr, "rootwalk: out of memory\n");
		free(path);
		close(fd);
		return RW_EXIT_PROTOCOL;
	}
	o->fd = fd;
	o->path = path;
	o->timeout_ms = opts->timeout_ms;
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	sent = put(o, "load-cache\n", 11);
	if (sent == 0)
		sent = send_lines(o);
	/* Half-close: a daemon still reading hears that the input ended. */
	(void)shutdown(fd, SHUT_WR);
	if (sent < 0)
		rc = RW_EXIT_PROTOCOL;
	else
		rc = rw_ctlclient_reply(fd, path, rw_deadline_now_ms() + opts->timeout_ms,
					opts->timeout_ms);
	if (rc == RW_EXIT_OK && sent > 0)
		rc = RW_EXIT_REFUSED; /* a line too long ended the load early */
	free(o);
	free(path);
	close(fd);
	return rc;
}
