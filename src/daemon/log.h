/* Logging and address helpers of rootwalkd, shared by every daemon file.
 *
 * This is the bottom of the daemon: it calls nothing else in src/daemon, so any file may call it
 * (main.c included) without making a circle.
 *
 * The log has one destination for the whole process (standard error, a file or syslog) and one
 * verbosity, set by rw_log_open() from logfile: and verbosity:. Until then it is standard error
 * at verbosity 1, so that errors of the configuration itself are seen.
 */
#ifndef RW_DAEMON_LOG_H
#define RW_DAEMON_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* Priorities: syslog's for 3..7; 8 and 9 are finer debug levels, logged as debug (7). The
 * verbosity a line needs: 0 for errors and warnings, 1 for notices and information, 2 for
 * RW_LOG_DEBUG, 3 for RW_LOG_QUERY, 4 for RW_LOG_ALGO. */
#define RW_LOG_ERR     3
#define RW_LOG_WARNING 4
#define RW_LOG_NOTICE  5
#define RW_LOG_INFO    6
#define RW_LOG_DEBUG   7 /* details of the daemon's own work */
#define RW_LOG_QUERY   8 /* one line per client question */
#define RW_LOG_ALGO    9 /* the resolver's own decisions */

/* Would a line of priority prio be logged? Check before formatting an expensive message. */
bool rw_log_wanted(int prio);

/* Log one line (control characters in it become '?'): on standard error or in a file as
 * "[TIME] rootwalkd[PID]: LEVEL: MESSAGE", on journald's standard error as "<PRIO>MESSAGE", or
 * through syslog(3). Lines above the verbosity are skipped before formatting. */
void rw_daemon_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Use logfile ("stderr", "syslog" or a path, NULL: stderr) and verbosity (0..4) from now on.
 * A file is opened (appending) again even when it is the one in use, so that a reload reopens
 * it. Returns 0, or a negative errno code with the reason in err: the destination in use is
 * then kept. */
int rw_log_open(const char *logfile, uint32_t verbosity, char *err, size_t errlen);

/* Reopen the log file at its path (log rotation); nothing for stderr and syslog. Returns 0 or a
 * negative errno code (the old file is kept, and the failure is logged there). */
int rw_log_reopen(void);

/* Close the file or syslog; the log is standard error again. */
void rw_log_close(void);

/* Format sa as "ADDRESS@PORT" into buf. Returns buf (a placeholder text for unknown families). */
const char *rw_daemon_addr_str(const struct sockaddr *sa, char *buf, size_t len);

/* The length of an IPv4 or IPv6 socket address: sizeof(struct sockaddr_in6) for AF_INET6,
 * sizeof(struct sockaddr_in) for anything else. Inline: every client query takes it. */
static inline socklen_t rw_daemon_addr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* Convert a libuv error code to the negative errno-style codes of the core: returns uverr when it
 * is not negative, -ECONNRESET for UV_EOF, -EIO for libuv's own codes, else uverr unchanged. */
int rw_daemon_errno(int uverr);

#endif
