/* sendfail: an LD_PRELOAD shim for the integration tests that makes rootwalkd's UDP sends meet
 * a full socket buffer, which loopback never produces.
 *
 *   SENDFAIL_EVERY=N   every Nth call of sendto(), and every Nth of sendmmsg(), fails with
 *                      EAGAIN
 *   SENDFAIL_PARTIAL=M of the other calls of sendmmsg() with more than one message, every Mth
 *                      sends only the first half of them, as a socket that fills up midway would
 *   SENDFAIL_EPOLLERR=K the Kth time epoll reports a UDP socket on port 53 readable, it reports
 *                      an error (EPOLLERR) on it as well, once
 *   SENDFAIL_LOG=FILE  at exit, write "eagain N partial M epollerr E" there: what the shim did,
 *                      so a test can tell that the paths it meant to exercise were taken
 *
 * Only sendto() and sendmmsg() are wrapped for sending: rootwalkd answers clients with them,
 * while its upstream queries go through libuv (sendmsg), which this shim leaves alone.
 * epoll_wait() and epoll_pwait() are wrapped for SENDFAIL_EPOLLERR.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>

typedef ssize_t (*sendto_fn)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
typedef int (*sendmmsg_fn)(int, struct mmsghdr *, unsigned int, int);

static unsigned long tcalls, mcalls, n_multi, n_eagain, n_partial, n_readable, n_epollerr;

__attribute__((destructor)) static void sendfail_report(void)
{
	const char *path = getenv("SENDFAIL_LOG");
	FILE *f;

	if (path && (f = fopen(path, "w"))) {
		fprintf(f, "eagain %lu partial %lu epollerr %lu\n", n_eagain, n_partial,
			n_epollerr);
		fclose(f);
	}
}

static unsigned long env_every(const char *name)
{
	const char *v = getenv(name);

	return v ? strtoul(v, NULL, 10) : 0;
}

/* Each function counts its own calls, so that the failures of one do not fall into step with
 * the other's. */
static int fail_now(unsigned long *calls)
{
	unsigned long every = env_every("SENDFAIL_EVERY");

	if (every > 0 && ++*calls % every == 0) {
		n_eagain++;
		return 1;
	}
	return 0;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen)
{
	static sendto_fn real;

	if (!real)
		real = (sendto_fn)dlsym(RTLD_NEXT, "sendto");
	if (fail_now(&tcalls)) {
		errno = EAGAIN;
		return -1;
	}
	return real(fd, buf, len, flags, to, tolen);
}

int sendmmsg(int fd, struct mmsghdr *msg, unsigned int vlen, int flags)
{
	static sendmmsg_fn real;
	unsigned long partial = env_every("SENDFAIL_PARTIAL");

	if (!real)
		real = (sendmmsg_fn)dlsym(RTLD_NEXT, "sendmmsg");
	if (fail_now(&mcalls)) {
		errno = EAGAIN;
		return -1;
	}
	if (partial > 0 && vlen > 1 && ++n_multi % partial == 0) {
		vlen /= 2;
		n_partial++;
	}
	return real(fd, msg, vlen, flags);
}

/* Whether fd is a UDP socket bound to port 53: a listening socket of rootwalkd's. */
static int dns_udp_socket(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int type = 0;
	socklen_t tlen = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 || type != SOCK_DGRAM ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port) == 53;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == 53;
	return 0;
}

static void inject_epollerr(struct epoll_event *ev, int n)
{
	unsigned long k = env_every("SENDFAIL_EPOLLERR");

	for (int i = 0; k > 0 && n_epollerr == 0 && i < n; i++) {
		if ((ev[i].events & EPOLLIN) && dns_udp_socket(ev[i].data.fd) &&
		    ++n_readable == k) {
			ev[i].events |= EPOLLERR;
			n_epollerr++;
		}
	}
}

typedef int (*epoll_wait_fn)(int, struct epoll_event *, int, int);
typedef int (*epoll_pwait_fn)(int, struct epoll_event *, int, int, const sigset_t *);

int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	static epoll_wait_fn real;
	int n;

	if (!real)
		real = (epoll_wait_fn)dlsym(RTLD_NEXT, "epoll_wait");
	n = real(epfd, ev, max, timeout);
	if (n > 0)
		inject_epollerr(ev, n);
	return n;
}

int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout, const sigset_t *sigmask)
{
	static epoll_pwait_fn real;
	int n;

	if (!real)
		real = (epoll_pwait_fn)dlsym(RTLD_NEXT, "epoll_pwait");
	n = real(epfd, ev, max, timeout, sigmask);
	if (n > 0)
		inject_epollerr(ev, n);
	return n;
}
