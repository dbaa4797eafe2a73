/* deadline.h: time limits for the client's blocking exchanges.
 *
 * A deadline is a point on the monotonic clock in milliseconds (rw_deadline_now_ms() plus a
 * timeout). The helpers wait for, read and write a non-blocking file descriptor until the
 * deadline; none of them retries past it. Used by the control-socket client and the query tool.
 */
#ifndef RW_CLIENT_DEADLINE_H
#define RW_CLIENT_DEADLINE_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds on the monotonic clock. */
int64_t rw_deadline_now_ms(void);

/* Parse a timeout written in seconds (fractions allowed) that must be above 0 and at most
 * max_ms milliseconds. Stores it in *ms, rounded down but at least 1. Returns 0, or -1 when s is
 * not such a number (*ms is then unchanged). */
int rw_deadline_parse_seconds(const char *s, int64_t max_ms, int *ms);

/* Wait until fd is ready for events (POLLIN, POLLOUT) or the deadline passes. Returns 1 ready,
 * 0 timeout, -1 error (errno set). */
int rw_deadline_wait_fd(int fd, short events, int64_t deadline);

/* Read exactly len bytes into buf (borrowed) from fd by the deadline. The deadline holds only if
 * fd is non-blocking. Returns 1 done, 0 timeout, -1 error (errno set; ECONNRESET when the peer
 * closed first). */
int rw_deadline_read_full(int fd, uint8_t *buf, size_t len, int64_t deadline);

/* Write all len bytes of buf (borrowed) to the socket fd by the deadline, without raising
 * SIGPIPE. The deadline holds only if fd is non-blocking. Returns 1 done, 0 timeout, -1 error
 * (errno set). */
int rw_deadline_write_full(int fd, const uint8_t *buf, size_t len, int64_t deadline);

#endif
