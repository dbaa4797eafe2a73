/* Logging and address helpers of rootwalkd, shared by every daemon file.
 *
 * This is the bottom of the daemon: it calls nothing else in src/daemon, so any file may call it
 * (main.c included) without making a circle.
 */
#ifndef RW_DAEMON_LOG_H
#define RW_DAEMON_LOG_H

#include <stddef.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* syslog-style priorities understood by systemd-journald on stderr. */
#define RW_LOG_ERR     3
#define RW_LOG_WARNING 4
#define RW_LOG_INFO    6
#define RW_LOG_DEBUG   7

/* Log one line to stderr as "<PRIO>rootwalkd: MESSAGE". */
void rw_daemon_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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
