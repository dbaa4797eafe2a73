/* deadline.c: time limits for the client's blocking exchanges (deadline.h). */
#include "deadline.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>

int64_t rw_deadline_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rw_deadline_parse_seconds(const char *s, int64_t max_ms, int *ms)
{
	char *end;
	double sec;

	errno = 0;
	sec = strtod(s, &end);
	if (errno || *end || end == s || !(sec > 0) || sec * 1000 > (double)max_ms)
		return -1;
	*ms = (int)(sec * 1000);
	if (*ms < 1)
		*ms = 1;
	return 0;
}

int rw_deadline_wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left;
	int rc;

	for (;;) {
		left = deadline - rw_deadline_now_ms();
		if (left <= 0)
			return 0;
		rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		if (rc == 0)
			return 0;
		return 1;
	}
}

/* Read (out false, into rbuf) or send (out true, from wbuf) exactly len bytes by the deadline:
 * the one loop behind rw_deadline_read_full() and rw_deadline_write_full(). */
static int transfer_full(int fd, bool out, uint8_t *rbuf, const uint8_t *wbuf, size_t len,
			 int64_t deadline)
{
	size_t done = 0;
	int rc;

	while (done < len) {
		ssize_t n = out ? send(fd, wbuf + done, len - done, MSG_NOSIGNAL)
				: read(fd, rbuf + done, len - done);

		if (n > 0 || (n == 0 && out)) {
			done += (size_t)n;
			continue;
		}
		if (n == 0) {
			errno = ECONNRESET; /* the peer closed before all of it came */
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		rc = rw_deadline_wait_fd(fd, out ? POLLOUT : POLLIN, deadline);
		if (rc <= 0)
			return rc;
	}
	return 1;
}

int rw_deadline_read_full(int fd, uint8_t *buf, size_t len, int64_t deadline)
{
	return transfer_full(fd, false, buf, NULL, len, deadline);
}

int rw_deadline_write_full(int fd, const uint8_t *buf, size_t len, int64_t deadline)
{
	return transfer_full(fd, true, NULL, buf, len, deadline);
}
