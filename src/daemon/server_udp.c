/* UDP sockets of rootwalkd's server: rootwalkd's own, watched with a uv_poll_t. Each wakeup reads
 * up to SRV_UDP_READS_PER_WAKE queries with recvmmsg(), 64 at a time, and the replies made
 * meanwhile (cache hits, mostly) leave together with sendmmsg(). A reply the socket will not take
 * waits in order until it is writable.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "log.h"
#include "server.h"
#include "rootwalk/wire.h"

/* The socket's receive buffer: about 5,000 small queries, for a client's bursts (dnsperf refills
 * thousands of timed-out queries at once). Deep, but not a queue that every answer waits behind:
 * under overload the queries that waited over SRV_UDP_STALE_MS are dropped for the cost of a
 * cache lookup (udp_stale()), so it drains in milliseconds. Measured in a 10 s flood at 5,000
 * q/s with every request taken: 256 KiB dropped 11,000 of 29,000 datagrams in the kernel and
 * 1-2 of ~450 cached-name probes; 1 MiB with stale queries dropped 4,300-10,000 and 1-2 probes
 * (p99 3-4 ms); 4 MiB with stale queries dropped none and no probe (p99 3.8 ms). Before stale
 * queries were dropped, 4 MiB made every answer wait up to a second. */
#define SRV_UDP_RCVBUF (4 * 1024 * 1024)

/* UDP queries are read SRV_UDP_READ at a time with recvmmsg(), up to SRV_UDP_READS_PER_WAKE per
 * wakeup so that TCP, timers and upstream replies get their turn under a flood. A query longer
 * than SRV_UDP_QUERY_MAX bytes (none is, in practice) arrives cut short and is answered FORMERR.
 * Each slot is a little more than the longest query so that the slots do not all fall in the
 * same cache sets. */
#define SRV_UDP_READ	       64
#define SRV_UDP_READS_PER_WAKE 256
#define SRV_UDP_QUERY_MAX      4096
#define SRV_UDP_SLOT	       (SRV_UDP_QUERY_MAX + 64)
/* Replies made while a batch of datagrams is being read go out together with sendmmsg(). */
#define SRV_BATCH     64
#define SRV_BATCH_MSG 1232 /* the largest UDP reply we send (RW_EDNS_BUFSIZE) */
/* Replies the socket would not take (its send buffer full): kept in order and sent when it is
 * writable again, up to this many; beyond that they are dropped, as a router would. */
#define SRV_UDP_MAX_PENDING 4096
#define RCODE_FORMERR	    1
/* A query that waited longer than this in the socket's queue (the kernel's receive timestamp)
 * is stale: when every request is taken it is dropped rather than take the place of one
 * (rw_resolver_set_stale), so a deep queue drains fast and the cache hits in it wait less. A
 * wait past SRV_UDP_STALE_MAX_MS is taken for a step of the wall clock, not a queue. */
#define SRV_UDP_STALE_MS     10
#define SRV_UDP_STALE_MAX_MS 10000

struct srv_batch {
	struct mmsghdr msg[SRV_BATCH];
	struct iovec iov[SRV_BATCH];
	struct sockaddr_storage to[SRV_BATCH];
	uint8_t data[SRV_BATCH][SRV_BATCH_MSG];
	unsigned n;
};

/* A reply waiting for room in the socket's send buffer. */
struct srv_udp_pending {
	struct srv_udp_pending *next;
	struct sockaddr_storage to;
	socklen_t tolen;
	size_t len;
	uint8_t data[];
};

/* A UDP socket of ours, watched by a uv_poll_t: rootwalkd reads and writes it itself, with
 * recvmmsg()/sendmmsg() batches larger than libuv's UDP handle reads. */
struct srv_udp {
	uv_poll_t poll; /* first: the handle's data points at the struct */
	int fd;
	struct srv_origin origin; /* queries read here are answered through it */
	struct srv_requests *rq;
	struct rw_sockaddr addr;
	bool reading;		/* inside a batch of reads: replies wait in batch */
	bool closing;		/* uv_close() called; the socket is closed in its callback */
	bool want_write;	/* polling for UV_WRITABLE: pending replies wait */
	struct srv_batch batch; /* replies waiting for the end of the batch */
	struct srv_udp_pending *pending, **pending_tail;
	size_t n_pending;
	bool drop_logged, error_logged;
	struct mmsghdr rmsg[SRV_UDP_READ];
	struct iovec riov[SRV_UDP_READ];
	struct sockaddr_storage rfrom[SRV_UDP_READ];
	/* SCM_TIMESTAMPNS: when the kernel received each datagram (CMSG_SPACE keeps each slot
	 * aligned) */
	_Alignas(struct cmsghdr) char rctl[SRV_UDP_READ][CMSG_SPACE(sizeof(struct timespec))];
	uint8_t rbuf[SRV_UDP_READ][SRV_UDP_SLOT];
};

static void udp_poll_cb(uv_poll_t *h, int status, int events);

static void udp_set_events(struct srv_udp *u, bool want_write)
{
	if (u->closing || u->want_write == want_write)
		return;
	u->want_write = want_write;
	(void)uv_poll_start(&u->poll, UV_READABLE | (want_write ? UV_WRITABLE : 0), udp_poll_cb);
}

/* Keep a copy of a reply the socket would not take now; it goes out, in order, once the
 * socket is writable. */
static void udp_queue(struct srv_udp *u, const struct sockaddr *to, socklen_t tolen,
		      const uint8_t *resp, size_t len)
{
	struct srv_udp_pending *p;

	if (u->n_pending >= SRV_UDP_MAX_PENDING || !(p = malloc(sizeof(*p) + len))) {
		if (!u->drop_logged) {
			u->drop_logged = true;
			rw_daemon_log(RW_LOG_WARNING,
				      "UDP replies are not leaving fast enough: dropping some");
		}
		return;
	}
	p->next = NULL;
	memcpy(&p->to, to, tolen);
	p->tolen = tolen;
	p->len = len;
	memcpy(p->data, resp, len);
	*u->pending_tail = p;
	u->pending_tail = &p->next;
	u->n_pending++;
	udp_set_events(u, true);
}

/* Whether an error from sendto()/sendmmsg() means "try again later" (the send buffer is full)
 * rather than "this reply cannot be sent" (no route, a bad address: it is dropped). */
static bool udp_would_block(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS || err == EINTR;
}

/* Send what waited for room, in order, until the socket is full again. */
static void udp_send_pending(struct srv_udp *u)
{
	struct srv_udp_pending *p;

	while ((p = u->pending)) {
		if (sendto(u->fd, p->data, p->len, MSG_DONTWAIT, (struct sockaddr *)&p->to,
			   p->tolen) < 0 &&
		    udp_would_block(errno))
			return;
		u->pending = p->next;
		if (!u->pending)
			u->pending_tail = &u->pending;
		u->n_pending--;
		free(p);
	}
	u->drop_logged = false;
	udp_set_events(u, false);
}

static void udp_send_one(struct srv_udp *u, const struct sockaddr *to, const uint8_t *resp,
			 size_t len)
{
	socklen_t tolen = rw_daemon_addr_len(to);

	if (!u->pending &&
	    (sendto(u->fd, resp, len, MSG_DONTWAIT, to, tolen) >= 0 || !udp_would_block(errno)))
		return;
	udp_queue(u, to, tolen, resp, len);
}

/* Send the replies collected during a batch of reads: one system call for all of them. */
static void udp_flush(struct srv_udp *u)
{
	struct srv_batch *b = &u->batch;
	unsigned done = 0;

	if (b->n == 0)
		return;
	if (!u->closing) {
		while (!u->pending && done < b->n) {
			int n = sendmmsg(u->fd, b->msg + done, b->n - done, MSG_DONTWAIT);
			if (n > 0) {
				done += (unsigned)n;
			} else if (n < 0 && !udp_would_block(errno)) {
				done++; /* this one cannot be sent (e.g. no route): skip it */
			} else {
				break;
			}
		}
		/* what the socket would not take now waits for it to be writable */
		for (unsigned i = done; i < b->n; i++)
			udp_queue(u, (const struct sockaddr *)&b->to[i],
				  b->msg[i].msg_hdr.msg_namelen, b->data[i], b->iov[i].iov_len);
	}
	b->n = 0;
}

static void udp_reply(struct srv_udp *u, const struct sockaddr *to, const uint8_t *resp, size_t len)
{
	struct srv_batch *b = &u->batch;

	if (u->closing)
		return;
	if (u->reading && len <= SRV_BATCH_MSG) {
		if (b->n == SRV_BATCH)
			udp_flush(u);
		unsigned i = b->n++;
		socklen_t tolen = rw_daemon_addr_len(to);

		memcpy(b->data[i], resp, len);
		b->iov[i].iov_base = b->data[i];
		b->iov[i].iov_len = len;
		memcpy(&b->to[i], to, tolen);
		memset(&b->msg[i], 0, sizeof(b->msg[i]));
		b->msg[i].msg_hdr.msg_name = &b->to[i];
		b->msg[i].msg_hdr.msg_namelen = tolen;
		b->msg[i].msg_hdr.msg_iov = &b->iov[i];
		b->msg[i].msg_hdr.msg_iovlen = 1;
		return;
	}
	udp_send_one(u, to, resp, len);
}

/* The origin of the queries read from u: answers go back from the same socket. */
static void udp_origin_reply(struct srv_origin *o, const struct sockaddr *client,
			     const uint8_t *resp, size_t len)
{
	udp_reply((struct srv_udp *)((char *)o - offsetof(struct srv_udp, origin)), client, resp,
		  len);
}

static const struct srv_origin_ops udp_origin_ops = {
	.proto = RW_PROTO_UDP,
	.reply = udp_origin_reply,
};

/* A query that did not fit in its slot: answer FORMERR from what arrived (the header and as
 * much of the question as fits), so the client learns its query was not read. */
static void udp_too_long(struct srv_udp *u, const uint8_t *pkt, size_t len,
			 const struct sockaddr *client)
{
	uint8_t err[RW_DNS_HEADER_LEN + 256 + 4 + RW_OPT_LEN];
	size_t n = rw_server_error(pkt, len, RCODE_FORMERR, err, sizeof(err));

	if (n > 0)
		udp_reply(u, client, err, n);
}

/* Whether the datagram of h waited in the socket's queue longer than SRV_UDP_STALE_MS. */
static bool udp_stale(const struct msghdr *h, const struct timespec *now)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)h); c;
	     c = CMSG_NXTHDR((struct msghdr *)h, c)) {
		struct timespec ts;
		int64_t ms;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		ms = (int64_t)(now->tv_sec - ts.tv_sec) * 1000 +
		     (now->tv_nsec - ts.tv_nsec) / 1000000;
		return ms > SRV_UDP_STALE_MS && ms < SRV_UDP_STALE_MAX_MS;
	}
	return false;
}

/* Read what the socket holds, a batch at a time, and answer; replies made meanwhile go out
 * together at the end. */
static void udp_read(struct srv_udp *u)
{
	unsigned total = 0;
	struct timespec now = {0, 0};
	struct rw_resolver *r = u->rq->w->resolver;

	u->reading = true;
	while (!u->closing && total < SRV_UDP_READS_PER_WAKE) {
		int n;

		for (unsigned i = 0; i < SRV_UDP_READ; i++) {
			struct msghdr *h = &u->rmsg[i].msg_hdr;

			h->msg_name = &u->rfrom[i];
			h->msg_namelen = sizeof(u->rfrom[i]);
			h->msg_iov = &u->riov[i];
			h->msg_iovlen = 1;
			h->msg_control = u->rctl[i];
			h->msg_controllen = sizeof(u->rctl[i]);
			h->msg_flags = 0;
		}
		n = recvmmsg(u->fd, u->rmsg, SRV_UDP_READ, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break; /* EAGAIN: all read; other errors concern no one query */
		/* One read of each clock for the batch (rw_resolver_set_received), not three per
		 * answer: the wall clock also serves the staleness test below. */
		clock_gettime(CLOCK_REALTIME, &now);
		u->rq->recv_wall_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
		u->rq->recv_mono_us = uv_hrtime() / 1000u;
		for (int i = 0; i < n && !u->closing; i++) {
			const struct msghdr *h = &u->rmsg[i].msg_hdr;
			const struct sockaddr *from = (const struct sockaddr *)&u->rfrom[i];

			if (h->msg_namelen < sizeof(struct sockaddr_in) ||
			    (from->sa_family != AF_INET && from->sa_family != AF_INET6))
				continue;
			if (h->msg_flags & MSG_TRUNC)
				udp_too_long(u, u->rbuf[i], SRV_UDP_QUERY_MAX, from);
			else {
				/* the receive time matters only when every request is taken */
				if (r && rw_resolver_full(r))
					u->rq->stale = udp_stale(h, &now);
				rw_server_query(u->rq, &u->origin, u->rbuf[i], u->rmsg[i].msg_len,
						from);
				u->rq->stale = false;
			}
		}
		total += (unsigned)n;
		if (n < SRV_UDP_READ)
			break; /* the socket is empty: no need to ask again */
	}
	u->reading = false;
	u->rq->recv_wall_us = 0;
	u->rq->recv_mono_us = 0;
	udp_flush(u);
}

static void udp_poll_cb(uv_poll_t *h, int status, int events)
{
	struct srv_udp *u = h->data;

	if (u->closing)
		return;
	if (status < 0) {
		/* The socket reported an error (EPOLLERR); libuv has stopped watching it. An
		 * unconnected UDP socket without IP_RECVERR should never get here, but if it does,
		 * clear the error and go on listening rather than fall silent. */
		int err = 0;
		socklen_t len = sizeof(err);

		(void)getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (!u->error_logged) {
			u->error_logged = true; /* once per socket: it could recur */
			rw_daemon_log(RW_LOG_WARNING, "UDP socket error (%s): listening again",
				      uv_strerror(err ? -err : status));
		}
		(void)uv_poll_start(&u->poll, UV_READABLE | (u->want_write ? UV_WRITABLE : 0),
				    udp_poll_cb);
		return;
	}
	if (events & UV_WRITABLE)
		udp_send_pending(u);
	if (events & UV_READABLE)
		udp_read(u);
}

static void udp_close_cb(uv_handle_t *handle)
{
	struct srv_udp *u = handle->data;

	while (u->pending) {
		struct srv_udp_pending *p = u->pending;
		u->pending = p->next;
		free(p);
	}
	if (u->fd >= 0)
		close(u->fd);
	free(u);
}

int rw_server_udp_open(struct rw_server *s, const struct rw_sockaddr *addr)
{
	struct srv_udp *u = calloc(1, sizeof(*u));
	const struct sockaddr *sa = (const struct sockaddr *)&addr->ss;
	int rc, on = 1, rcvbuf = SRV_UDP_RCVBUF;

	if (!u)
		return UV_ENOMEM;
	u->origin.ops = &udp_origin_ops;
	u->rq = &s->rq;
	u->addr = *addr;
	u->pending_tail = &u->pending;
	for (unsigned i = 0; i < SRV_UDP_READ; i++) {
		u->riov[i].iov_base = u->rbuf[i];
		u->riov[i].iov_len = SRV_UDP_QUERY_MAX;
	}
	u->fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0) {
		rc = -errno;
		free(u);
		return rc;
	}
	/* No SO_REUSEADDR for UDP: on Linux it would let a second daemon bind the same address
	 * and silently share its queries, where a bind error is what the operator needs.
	 * SO_REUSEPORT only with worker threads, each binding the address: the kernel spreads
	 * the clients by their address and port (a second daemon can join only as the same
	 * user). */
	if ((sa->sa_family == AF_INET6 &&
	     setsockopt(u->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) ||
	    (s->reuseport && setsockopt(u->fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0) ||
	    bind(u->fd, sa, rw_daemon_addr_len(sa)) < 0) {
		rc = -errno;
		close(u->fd);
		free(u);
		return rc;
	}
	/* Bursts of queries queue in the kernel while the loop is busy, up to SRV_UDP_RCVBUF.
	 * Best effort: the kernel caps this at net.core.rmem_max. */
	(void)setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	(void)setsockopt(u->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)); /* udp_stale() */
	rc = uv_poll_init_socket(s->w->loop, &u->poll, u->fd);
	if (rc < 0) {
		close(u->fd);
		free(u);
		return rc;
	}
	u->poll.data = u;
	s->udp[s->n_udp++] = u;
	return uv_poll_start(&u->poll, UV_READABLE, udp_poll_cb);
}

void rw_server_udp_close(struct srv_udp *u)
{
	u->closing = true;
	(void)uv_poll_stop(&u->poll);
	uv_close((uv_handle_t *)&u->poll, udp_close_cb);
}
