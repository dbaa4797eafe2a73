/* floor: the cheapest possible UDP DNS responder, to measure what the kernel alone costs.
 *
 *   floor ADDR PORT SECONDS
 *
 * Answers every datagram on ADDR:PORT with the query itself turned into a reply: QR, RA and
 * NOERROR set, no records. No parsing, no cache, no allocation: recvmmsg() batches of up to
 * FLOOR_BATCH datagrams, sendmmsg() of the replies, epoll_wait() when the socket is empty.
 * bench/bench.py runs dnsperf against it exactly as against the resolvers: its queries/s is
 * the most any single-threaded resolver can answer on this machine with this load generator,
 * and its CPU time per answer is the kernel's UDP path that every resolver pays.
 *
 * It exits after SECONDS (at most 600) or on SIGTERM/SIGINT; it only ever binds the address
 * it is given (bench.py runs it inside its own network namespace, on loopback).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FLOOR_BATCH 64
#define FLOOR_MSG   4096

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static unsigned char buf[FLOOR_BATCH][FLOOR_MSG];
	struct mmsghdr msg[FLOOR_BATCH], out[FLOOR_BATCH];
	struct iovec iov[FLOOR_BATCH], oiov[FLOOR_BATCH];
	struct sockaddr_in from[FLOOR_BATCH];
	struct sockaddr_in sa;
	struct epoll_event ev;
	double end;
	int fd, ep, rcvbuf = 4 << 20;
	long seconds;

	if (argc != 4) {
		fprintf(stderr, "usage: floor ADDR PORT SECONDS\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	seconds = strtol(argv[3], NULL, 10);
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || seconds < 1 || seconds > 600) {
		fprintf(stderr, "floor: bad address or SECONDS (1..600)\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("floor: bind");
		return 1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("floor: epoll");
		return 1;
	}
	for (int i = 0; i < FLOOR_BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = FLOOR_MSG;
	}
	end = now_s() + (double)seconds;
	while (!stop && now_s() < end) {
		struct epoll_event got;
		int n, k = 0;

		for (int i = 0; i < FLOOR_BATCH; i++) {
			memset(&msg[i], 0, sizeof(msg[i]));
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_name = &from[i];
			msg[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		n = recvmmsg(fd, msg, FLOOR_BATCH, 0, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				perror("floor: recvmmsg");
				return 1;
			}
			(void)epoll_wait(ep, &got, 1, 100);
			continue;
		}
		for (int i = 0; i < n; i++) {
			unsigned len = msg[i].msg_len;

			if (len < 12 || (msg[i].msg_hdr.msg_flags & MSG_TRUNC) ||
			    (buf[i][2] & 0x80))
				continue;
			/* QR set, AA and TC clear; RA set, NOERROR */
			buf[i][2] = (unsigned char)((buf[i][2] | 0x80) & 0xf9);
			buf[i][3] = 0x80;
			memset(&out[k], 0, sizeof(out[k]));
			oiov[k].iov_base = buf[i];
			oiov[k].iov_len = len;
			out[k].msg_hdr.msg_iov = &oiov[k];
			out[k].msg_hdr.msg_iovlen = 1;
			out[k].msg_hdr.msg_name = &from[i];
			out[k].msg_hdr.msg_namelen = msg[i].msg_hdr.msg_namelen;
			k++;
		}
		for (int done = 0; done < k;) {
			int m = sendmmsg(fd, out + done, (unsigned)(k - done), 0);
			if (m <= 0)
				break;
			done += m;
		}
	}
	close(ep);
	close(fd);
	return 0;
}
