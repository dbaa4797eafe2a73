/* sd_notify by hand (notify.h). */
#include "notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>

#include "log.h"

int rw_notify_open(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t len;
	int fd, err;

	if (path == NULL || path[0] == '\0')
		return -1;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path)) {
		rw_daemon_log(RW_LOG_WARNING, "NOTIFY_SOCKET=%s: not a socket path, ignored", path);
		unsetenv("NOTIFY_SOCKET");
		return -EINVAL;
	}
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0'; /* the abstract namespace: no NUL at the end */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
		err = errno;
		rw_daemon_log(RW_LOG_WARNING, "NOTIFY_SOCKET=%s: %s; systemd will not hear from us",
			      path, strerror(err));
		if (fd >= 0)
			close(fd);
		unsetenv("NOTIFY_SOCKET");
		return -err;
	}
	unsetenv("NOTIFY_SOCKET");
	return fd;
}

int rw_notify(int fd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	if (fd < 0)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1; /* a STATUS= cut short is still a message */
	if (send(fd, msg, (size_t)n, MSG_NOSIGNAL) < 0) {
		int err = errno;

		rw_daemon_log(RW_LOG_WARNING, "telling systemd '%.40s': %s", msg, strerror(err));
		return -err;
	}
	return 0;
}

unsigned long long rw_notify_monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000u + (unsigned long long)ts.tv_nsec / 1000u;
}

void rw_notify_close(int fd)
{
	if (fd >= 0)
		close(fd);
}
