/* Logging and address helpers of rootwalkd (log.h).
 *
 * The log's destination is one per process and every daemon file logs without a handle to pass
 * around, so its state is this file's alone (the one exception to "no globals outside main.c").
 * Worker threads log too: the destination is read and changed under a mutex (a reload may
 * reopen it while they write), the verbosity is an atomic, read relaxed before any formatting. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <uv.h>

#include "log.h"

#define LINE_MAX_LEN 2048

enum log_to { TO_STDERR, TO_FILE, TO_SYSLOG };

static struct {
	enum log_to to;
	int fd;		      /* TO_FILE: the file; otherwise -1 */
	char *path;	      /* TO_FILE: its path, for reopening */
	atomic_int verbosity; /* 0..4 */
	int journal;	      /* stderr is journald's stream: 1 yes, 0 no, -1 not looked at yet */
} log_state = {TO_STDERR, -1, NULL, 1, -1};
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER; /* every field but verbosity */

/* systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it connected to standard error
 * (systemd.exec(5)); standard error is still journald's only when the two match (a redirected
 * child inherits the variable but not the stream). */
static int stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (v == NULL || sscanf(v, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static int needed_verbosity(int prio)
{
	if (prio <= RW_LOG_WARNING)
		return 0;
	if (prio <= RW_LOG_INFO)
		return 1;
	return prio - RW_LOG_DEBUG + 2;
}

bool rw_log_wanted(int prio)
{
	return needed_verbosity(prio) <=
	       atomic_load_explicit(&log_state.verbosity, memory_order_relaxed);
}

static const char *level_name(int prio)
{
	static const char *const names[] = {"emergency", "alert",  "critical", "error",
					    "warning",	 "notice", "info",     "debug"};

	return names[prio < 0 ? 0 : prio > 7 ? 7 : prio];
}

/* "[2026-12-03T11:26:06.123Z] rootwalkd[42]: info: " into buf. Returns its length. */
static size_t stamp(char *buf, size_t cap, int prio)
{
	struct timespec ts = {0, 0};
	struct tm tm;
	char when[32] = "?";
	int n;

	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && gmtime_r(&ts.tv_sec, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(buf, cap, "[%s.%03ldZ] rootwalkd[%ld]: %s: ", when, ts.tv_nsec / 1000000L,
		     (long)getpid(), level_name(prio));
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* The whole line in one write(), so that concurrent writers to the same file or stderr do not
 * interleave within a line. */
static void write_line(int fd, const char *line, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, line, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		line += w;
		len -= (size_t)w;
	}
}

void rw_daemon_log(int prio, const char *fmt, ...)
{
	char line[LINE_MAX_LEN];
	size_t n = 0, m;
	int sys = prio > 7 ? 7 : prio;
	va_list ap;

	enum log_to to;
	int journal;

	if (!rw_log_wanted(prio))
		return;
	pthread_mutex_lock(&log_lock);
	if (log_state.journal < 0)
		log_state.journal = stderr_is_journal();
	to = log_state.to;
	journal = log_state.journal;
	pthread_mutex_unlock(&log_lock);
	if (to == TO_STDERR && journal)
		n = (size_t)snprintf(line, sizeof(line), "<%d>", sys);
	else if (to != TO_SYSLOG)
		n = stamp(line, sizeof(line), prio);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	/* A name or a server's text quoted in a message must not start a line of its own. */
	for (m = n; line[m] != '\0'; m++)
		if ((unsigned char)line[m] < 0x20 || line[m] == 0x7f)
			line[m] = '?';
	if (to == TO_SYSLOG) {
		syslog(sys, "%s", line);
		return;
	}
	line[m++] = '\n';
	/* under the lock: a reload may close the file meanwhile (a destination changed between
	 * the formatting and here gets the line in its own format, which is harmless) */
	pthread_mutex_lock(&log_lock);
	write_line(log_state.to == TO_FILE ? log_state.fd : STDERR_FILENO, line, m);
	pthread_mutex_unlock(&log_lock);
}

static void close_locked(void);

static int open_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

	if (fd < 0) {
		int rc = -errno;

		snprintf(err, errlen, "logfile %s: %s", path, strerror(-rc));
		return rc;
	}
	return fd;
}

int rw_log_open(const char *logfile, uint32_t verbosity, char *err, size_t errlen)
{
	enum log_to to = TO_FILE;
	char *path = NULL;
	int fd = -1;

	if (logfile == NULL || strcmp(logfile, "stderr") == 0)
		to = TO_STDERR;
	else if (strcmp(logfile, "syslog") == 0)
		to = TO_SYSLOG;
	if (to == TO_FILE) {
		path = strdup(logfile);
		if (path == NULL) {
			snprintf(err, errlen, "logfile %s: out of memory", logfile);
			return -ENOMEM;
		}
		fd = open_file(logfile, err, errlen);
		if (fd < 0) {
			free(path);
			return fd;
		}
	}
	pthread_mutex_lock(&log_lock);
	close_locked();
	if (to == TO_SYSLOG)
		openlog("rootwalkd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_state.to = to;
	log_state.fd = fd;
	log_state.path = path;
	pthread_mutex_unlock(&log_lock);
	atomic_store_explicit(&log_state.verbosity, verbosity > 4 ? 4 : (int)verbosity,
			      memory_order_relaxed);
	rw_daemon_log(RW_LOG_DEBUG, "log to %s at verbosity %u", logfile ? logfile : "stderr",
		      verbosity > 4 ? 4 : verbosity);
	return 0;
}

int rw_log_reopen(void)
{
	char err[512];
	int fd;

	/* path and to change only on the main thread, which is this one */
	if (log_state.to != TO_FILE)
		return 0;
	fd = open_file(log_state.path, err, sizeof(err));
	if (fd < 0) {
		rw_daemon_log(RW_LOG_ERR, "%s (keeping the old one)", err);
		return fd;
	}
	pthread_mutex_lock(&log_lock);
	close(log_state.fd);
	log_state.fd = fd;
	pthread_mutex_unlock(&log_lock);
	rw_daemon_log(RW_LOG_DEBUG, "reopened logfile %s", log_state.path);
	return 0;
}

void rw_log_close(void)
{
	pthread_mutex_lock(&log_lock);
	close_locked();
	pthread_mutex_unlock(&log_lock);
}

static void close_locked(void)
{
	if (log_state.to == TO_FILE)
		close(log_state.fd);
	else if (log_state.to == TO_SYSLOG)
		closelog();
	free(log_state.path);
	log_state.to = TO_STDERR;
	log_state.fd = -1;
	log_state.path = NULL;
}

const char *rw_daemon_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (len == 0)
		return buf;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s@%u", host, ntohs(in->sin_port));
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "%s@%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, len, "(unknown address family)");
	}
	return buf;
}

int rw_daemon_errno(int uverr)
{
	if (uverr >= 0)
		return uverr;
	/* On Unix the UV_E* codes are negated errno values, except libuv's own few. */
	if (uverr == UV_EOF)
		return -ECONNRESET;
	if (uverr <= -3000)
		return -EIO;
	return uverr;
}
