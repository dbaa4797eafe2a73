/* rootwalk: the command-line client.
 *
 *   rootwalk [-s SOCKET] [-c FILE] [-t SECONDS] COMMAND [ARGS]
 *
 * The control commands (trace, lookup, flush, flush-all, stats, dump-cache, status, reload) send
 * one request line to rootwalkd's control socket and print the body of the response (protocol:
 * rootwalk/control.h and rootwalk(1)). The socket is -s SOCKET, else the control-socket that
 * rootwalkd's configuration file names (-c FILE, default the daemon's default file).
 *
 * `query` asks one DNS question (query.h). `check-conf` checks a configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <ldns/ldns.h>
#include <sodium.h>

#include "rootwalk/config.h"
#include "rootwalk/control.h"
#include "rootwalk/hints.h"
#include "rootwalk/wire.h"

#include "deadline.h"
#include "exitcode.h"
#include "query.h"

#ifndef RW_VERSION
#define RW_VERSION "unknown"
#endif
#ifndef RW_DEFAULT_CONFIG
#define RW_DEFAULT_CONFIG "/etc/rootwalk/rootwalkd.conf"
#endif

#define DEFAULT_CTL_TIMEOUT_MS 30000
#define MAX_CTL_TIMEOUT_MS     86400000

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rootwalk [-s SOCKET] [-c FILE] [-t SECONDS] COMMAND [ARGS]\n"
		"commands for a running rootwalkd (over its control socket):\n"
		"  trace NAME [TYPE] [--fresh] [--json]\n"
		"                          resolve NAME now and print the trace of that "
		"resolution\n"
		"  lookup NAME [--json]    what the cache holds at NAME, and until when\n"
		"  flush NAME [--subtree] [--negative]\n"
		"                          remove cached entries at (or below) NAME\n"
		"  flush-all               empty the cache\n"
		"  stats [--json]          counters since start\n"
		"  dump-cache [--json]     every cached entry, one per line\n"
		"  status                  the daemon's state\n"
		"  reload                  re-read the configuration, keeping the cache\n"
		"other commands:\n"
		"  query [@SERVER[#PORT]] NAME [TYPE] [+tcp] [+timeout=SEC]\n"
		"                          ask SERVER (default 127.0.0.1#53) one question\n"
		"  check-conf FILE         check a rootwalkd configuration and its root hints\n"
		"  version                 print the version\n"
		"  --help                  this help\n"
		"options:\n"
		"  -s SOCKET   the control socket (default: control-socket in the configuration)\n"
		"  -c FILE     rootwalkd's configuration file (default %s)\n"
		"  -t SECONDS  how long to wait for the daemon's answer (default %d)\n",
		RW_DEFAULT_CONFIG, DEFAULT_CTL_TIMEOUT_MS / 1000);
}

static int cmd_check_conf(const char *path)
{
	struct rw_config *cfg = NULL;
	char err[512];

	if (rw_config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	int rc = rw_hints_check(cfg->root_hints, err, sizeof(err));
	rw_config_free(cfg);
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: ok\n", path);
	return 0;
}

/* Control commands. */

struct ctl_opts {
	const char *socket; /* -s */
	const char *config; /* -c */
	int timeout_ms;	    /* -t */
};

/* The control socket: -s, else control-socket from the daemon's configuration file. Returns
 * NULL after printing why. */
static char *ctl_socket_path(const struct ctl_opts *o)
{
	struct rw_config *cfg = NULL;
	char err[512], *path;
	int rc;

	if (o->socket)
		return strdup(o->socket);
	rc = rw_config_load(o->config, &cfg, err, sizeof(err));
	if (rc == -ENOENT) {
		fprintf(stderr,
			"rootwalk: %s not found, and rootwalkd without a configuration has no "
			"control socket; give one with -s SOCKET\n",
			o->config);
		return NULL;
	}
	if (rc < 0) {
		fprintf(stderr, "rootwalk: %s (give the socket with -s SOCKET)\n", err);
		return NULL;
	}
	if (!cfg->control_socket) {
		fprintf(stderr,
			"rootwalk: %s sets no control-socket, so rootwalkd has none; set one there "
			"(and reload), or give it with -s SOCKET\n",
			o->config);
		rw_config_free(cfg);
		return NULL;
	}
	path = strdup(cfg->control_socket);
	rw_config_free(cfg);
	return path;
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

/* Send one request and print the response body. Returns the exit status. */
static int ctl_exchange(const struct ctl_opts *o, const char *request)
{
	int64_t deadline = rw_deadline_now_ms() + o->timeout_ms;
	char *path = ctl_socket_path(o), *buf = NULL, *status = NULL;
	size_t len = 0, cap = 0, start = 0;
	bool done = false;
	int fd, rc = RW_EXIT_PROTOCOL;

	if (!path)
		return RW_EXIT_USAGE;
	fd = ctl_connect(path);
	if (fd < 0) {
		free(path);
		return -fd;
	}
	/* One request per connection: half-close, and the daemon closes after answering. */
	if (rw_deadline_write_full(fd, (const uint8_t *)request, strlen(request), deadline) <= 0 ||
	    shutdown(fd, SHUT_WR) < 0) {
		fprintf(stderr, "rootwalk: sending to %s: %s\n", path,
			errno ? strerror(errno) : "timed out");
		goto out;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (!done) {
		ssize_t n;
		int w;

		if (cap - len < 4096) {
			char *p = realloc(buf, cap ? cap * 2 : 65536);

			if (!p) {
				fprintf(stderr, "rootwalk: out of memory\n");
				goto out;
			}
			buf = p;
			cap = cap ? cap * 2 : 65536;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			w = rw_deadline_wait_fd(fd, POLLIN, deadline);
			if (w == 0) {
				fprintf(stderr,
					"rootwalk: no complete answer from %s within %d s\n", path,
					o->timeout_ms / 1000);
				goto out;
			}
			if (w < 0) {
				fprintf(stderr, "rootwalk: poll: %s\n", strerror(errno));
				goto out;
			}
			continue;
		}
		if (n < 0) {
			fprintf(stderr, "rootwalk: reading from %s: %s\n", path, strerror(errno));
			goto out;
		}
		if (n == 0) {
			fprintf(stderr,
				"rootwalk: %s closed the connection before the end of the "
				"answer\n",
				path);
			goto out;
		}
		len += (size_t)n;
		/* Hand out complete lines: the status line, then the body up to the "." line. */
		for (;;) {
			char *nl = memchr(buf + start, '\n', len - start);
			size_t l;

			if (!nl)
				break;
			l = (size_t)(nl - (buf + start));
			if (!status) {
				status = strndup(buf + start, l);
				if (!status) {
					fprintf(stderr, "rootwalk: out of memory\n");
					goto out;
				}
			} else if (l == 1 && buf[start] == '.') {
				done = true;
				break;
			} else if (strncmp(status, "ok", 2) == 0) {
				ctl_body_line(buf + start, l);
			}
			start += l + 1;
		}
		if (start > 0) {
			memmove(buf, buf + start, len - start);
			len -= start;
			start = 0;
		}
	}
	if (strcmp(status, "ok") == 0) {
		rc = fflush(stdout) == 0 ? 0 : RW_EXIT_PROTOCOL;
	} else if (strncmp(status, "error: ", 7) == 0) {
		fprintf(stderr, "rootwalk: %s\n", status + 7);
		rc = RW_EXIT_REFUSED;
	} else {
		fprintf(stderr, "rootwalk: unexpected answer from %s: %.200s\n", path, status);
	}
out:
	free(status);
	free(buf);
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
	} flags[] = {{"--fresh", "fresh"},
		     {"--json", "json"},
		     {"--subtree", "subtree"},
		     {"--negative", "negative"}};
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
			   strcmp(w, "subtree") == 0 || strcmp(w, "negative") == 0) {
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

static bool is_ctl_command(const char *cmd)
{
	static const char *const cmds[] = {"trace", "lookup",	  "flush",  "flush-all",
					   "stats", "dump-cache", "status", "reload"};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i]) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct ctl_opts o = {.config = RW_DEFAULT_CONFIG, .timeout_ms = DEFAULT_CTL_TIMEOUT_MS};
	const char *cmd;
	int c;

	/* The long forms people type first, before getopt() takes them for bundled options. */
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "-t") == 0) {
			i++; /* its argument */
			continue;
		}
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("rootwalk %s\n", RW_VERSION);
			return 0;
		}
	}
	/* Options come before the command ("+": stop at the first word that is not one). */
	while ((c = getopt(argc, argv, "+s:c:t:hV")) != -1) {
		switch (c) {
		case 's':
			o.socket = optarg;
			break;
		case 'c':
			o.config = optarg;
			break;
		case 't':
			if (rw_deadline_parse_seconds(optarg, MAX_CTL_TIMEOUT_MS, &o.timeout_ms) <
			    0) {
				fprintf(stderr, "rootwalk: bad timeout '%s' (seconds)\n", optarg);
				return RW_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("rootwalk %s\n", RW_VERSION);
			return 0;
		default:
			usage(stderr);
			return RW_EXIT_USAGE;
		}
	}
	cmd = optind < argc ? argv[optind] : NULL;
	if (!cmd) {
		usage(stderr);
		return RW_EXIT_USAGE;
	}
	argc -= optind + 1;
	argv += optind + 1;
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("rootwalk %s\n", RW_VERSION);
		return 0;
	}
	if (strcmp(cmd, "check-conf") == 0) {
		if (argc != 1) {
			usage(stderr);
			return RW_EXIT_USAGE;
		}
		return cmd_check_conf(argv[0]);
	}
	if (strcmp(cmd, "query") == 0) {
		int rc = rw_query_run(argc, argv);

		if (rc == RW_EXIT_USAGE)
			usage(stderr);
		return rc;
	}
	if (is_ctl_command(cmd)) {
		char *req = ctl_request(cmd, argc, argv);
		int rc;

		if (!req)
			return RW_EXIT_USAGE;
		signal(SIGPIPE, SIG_IGN);
		rc = ctl_exchange(&o, req);
		free(req);
		return rc;
	}
	fprintf(stderr, "rootwalk: unknown command '%s'\n", cmd);
	usage(stderr);
	return RW_EXIT_USAGE;
}
