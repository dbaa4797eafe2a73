/* Logging and address helpers of rootwalkd (log.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <uv.h>

#include "log.h"

void rw_daemon_log(int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One fprintf per line, so concurrent writers to the same stderr do not interleave. */
	fprintf(stderr, "<%d>rootwalkd: %s\n", prio, msg);
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
