/* The client side of rootwalkd: UDP sockets and TCP listeners on every configured address.
 *
 * Every client query becomes a request object on the server's outstanding list, handed to the
 * resolver with rw_resolver_query(). The resolver answers through srv_respond(), at once (cache
 * hits, malformed packets) or much later. A TCP request holds a reference on its connection, so
 * a connection that the client closes, or that times out, stays in memory (closed, marked
 * closing) until its last request has been answered; the answer is then dropped. At shutdown the
 * resolver is freed first and never calls back; rw_server_close() releases what is left.
 *
 * UDP sockets are rootwalkd's own, watched with a uv_poll_t: each wakeup reads up to
 * SRV_UDP_READS_PER_WAKE queries with recvmmsg(), 64 at a time, and the replies made meanwhile
 * (cache hits, mostly) leave together with sendmmsg(). A reply the socket will not take waits
 * in order until it is writable.
 *
 * TCP follows RFC 7766: several queries may be pipelined on one connection and are answered as
 * they complete, each reply with its two-byte length prefix. Reading pauses while a connection
 * has SRV_TCP_MAX_INFLIGHT queries outstanding. Connections idle for SRV_TCP_IDLE_MS are closed,
 * and at most SRV_TCP_MAX_CONNS are open at once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "daemon.h"
#include "log.h"
#include "stream.h"
#include "rootwalk/wire.h"

#define SRV_UDP_RCVBUF	     (4 * 1024 * 1024)
#define SRV_TCP_MAX_CONNS    256
#define SRV_TCP_MAX_INFLIGHT 32
#define SRV_TCP_IDLE_MS	     10000
#define SRV_TCP_BACKLOG	     128
#define SRV_TCP_INITIAL_BUF  1024
#define SRV_TCP_MAX_BUF	     (2 + RW_MAX_MSG)
/* Reply bytes queued for a client that does not read them; beyond this it is cut off. */
#define SRV_TCP_MAX_WQUEUE (256 * 1024)
/* Client requests being resolved at once, over all sockets. */
#define SRV_MAX_REQUESTS   10000
#define SRV_SPARE_REQUESTS 1024 /* finished requests kept for reuse */
#define RCODE_SERVFAIL	   2

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
	struct rw_server *s;
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
	uint8_t rbuf[SRV_UDP_READ][SRV_UDP_SLOT];
};

struct srv_listener {
	uv_tcp_t handle;
	struct rw_server *s;
	struct rw_sockaddr addr;
};

struct srv_conn {
	struct rw_stream st; /* first: the handles' data point at it; requests hold references */
	struct rw_server *s;
	unsigned inflight;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct rw_inbuf in; /* received bytes not yet framed */
};

struct srv_req {
	struct rw_server *s;
	struct srv_req *next, **pprev;
	struct srv_udp *udp;   /* UDP: the socket to answer from */
	struct srv_conn *conn; /* TCP: the connection (one reference held) */
	struct sockaddr_storage client;
	socklen_t clientlen;
};

struct rw_server {
	struct rw_daemon *d;
	struct srv_udp *udp[RW_CONFIG_MAX_ADDRS];
	struct srv_listener *tcp[RW_CONFIG_MAX_ADDRS];
	size_t n_udp, n_tcp;
	struct rw_stream_set conns; /* open TCP connections */
	struct srv_req *reqs;
	size_t n_reqs;
	/* Finished requests kept for reuse, so that a cache hit allocates nothing. */
	struct srv_req *spare;
	size_t n_spare;
	bool closed;
	bool req_cap_logged;
};

/* Requests. */

static struct srv_req *req_new(struct rw_server *s, struct srv_udp *u, struct srv_conn *c,
			       const struct sockaddr *client)
{
	struct srv_req *req = s->spare;

	if (req) {
		s->spare = req->next;
		s->n_spare--;
		memset(req, 0, sizeof(*req));
	} else if (!(req = calloc(1, sizeof(*req)))) {
		return NULL;
	}
	req->s = s;
	req->udp = u;
	req->conn = c;
	req->clientlen = rw_daemon_addr_len(client);
	memcpy(&req->client, client, req->clientlen);
	req->next = s->reqs;
	if (s->reqs)
		s->reqs->pprev = &req->next;
	s->reqs = req;
	req->pprev = &s->reqs;
	s->n_reqs++;
	if (c) {
		rw_stream_ref(&c->st);
		c->inflight++;
	}
	return req;
}

static void conn_unref(struct srv_conn *c);
static void conn_process(struct srv_conn *c);
static void conn_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
static void conn_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

/* Unlink and free a request; the caller deals with its connection. */
static void req_unlink(struct srv_req *req)
{
	*req->pprev = req->next;
	if (req->next)
		req->next->pprev = req->pprev;
	struct rw_server *s = req->s;
	if (--s->n_reqs < SRV_MAX_REQUESTS / 2)
		s->req_cap_logged = false;
	if (s->n_spare < SRV_SPARE_REQUESTS) {
		req->next = s->spare;
		s->spare = req;
		s->n_spare++;
	} else {
		free(req);
	}
}

/* UDP. */

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

/* TCP connections. */

static void conn_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
static void conn_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void srv_conn_free(struct rw_stream *st)
{
	struct srv_conn *c = (struct srv_conn *)st;

	rw_inbuf_free(&c->in);
	free(c);
}

/* A reply went out: the client is alive. */
static void srv_conn_written(struct rw_stream *st)
{
	rw_stream_touch(st);
}

static const struct rw_stream_ops srv_stream_ops = {
	.free = srv_conn_free,
	.written = srv_conn_written,
	.alloc = conn_alloc_cb,
	.read = conn_read_cb,
};

static void conn_unref(struct srv_conn *c)
{
	rw_stream_unref(&c->st);
}

static void conn_close(struct srv_conn *c)
{
	rw_stream_close(&c->st);
}

static void conn_timer_cb(uv_timer_t *timer)
{
	struct srv_conn *c = timer->data;

	/* RFC 7766 6.2.3: idle means no query outstanding. A client that sent queries waits for
	 * their answers (bounded by the resolver's query budget); one that does not read its
	 * replies is cut off here too. */
	if (c->inflight > 0)
		return;
	conn_close(c);
}

static void conn_reply(struct srv_conn *c, const uint8_t *resp, size_t len)
{
	uint8_t prefix[2] = {(uint8_t)(len >> 8), (uint8_t)len};

	if (c->st.closing || c->st.shutting)
		return;
	if (rw_stream_wqueue(&c->st) > SRV_TCP_MAX_WQUEUE) {
		conn_close(c); /* a client that does not read its replies */
		return;
	}
	rw_stream_write(&c->st, prefix, sizeof(prefix), resp, len);
}

/* The response callback given to the resolver: answer the client, release the request. */
static void srv_respond(void *arg, const uint8_t *resp, size_t len)
{
	struct srv_req *req = arg;
	struct srv_conn *c = req->conn;

	if (len > 0 && len <= RW_MAX_MSG && resp) {
		if (c)
			conn_reply(c, resp, len);
		else
			udp_reply(req->udp, (const struct sockaddr *)&req->client, resp, len);
	}
	req_unlink(req);
	if (c) {
		c->inflight--;
		/* Room for another query: frame what is buffered, resume reading. Not when this
		 * answer came synchronously from inside conn_process() itself. */
		if (!c->st.processing)
			conn_process(c);
		conn_unref(c);
	}
}

/* Hand one client packet to the resolver. */
/* An error answer to a query the resolver will not see: whatever of it parses is echoed. */
static size_t srv_error(const uint8_t *pkt, size_t len, int rcode, uint8_t *out, size_t cap)
{
	struct rw_client_query q;

	memset(&q, 0, sizeof(q));
	(void)rw_wire_parse_query(pkt, len, &q);
	return rw_wire_error_response(pkt, len, &q, rcode, out, cap);
}

static void srv_query(struct rw_server *s, struct srv_udp *u, struct srv_conn *c,
		      const uint8_t *pkt, size_t len, const struct sockaddr *client)
{
	struct rw_resolver *r = s->d->resolver;
	struct srv_req *req = NULL;
	uint8_t err[RW_DNS_HEADER_LEN + 256 + 4 + RW_OPT_LEN];
	size_t n;

	if (!r || s->closed)
		return;
	if (s->n_reqs < SRV_MAX_REQUESTS)
		req = req_new(s, u, c, client);
	if (req && rw_resolver_query(r, pkt, len, client, rw_daemon_addr_len(client),
				     c ? RW_PROTO_TCP : RW_PROTO_UDP, srv_respond, req) == 0)
		return;
	/* Overloaded or an internal failure (the resolver will not call back): SERVFAIL. */
	if (!req && !s->req_cap_logged) {
		s->req_cap_logged = true;
		rw_daemon_log(RW_LOG_WARNING, "%d client queries in progress: answering SERVFAIL",
			      SRV_MAX_REQUESTS);
	}
	n = srv_error(pkt, len, RCODE_SERVFAIL, err, sizeof(err));
	if (req) {
		srv_respond(req, err, n);
	} else if (n > 0) {
		if (c)
			conn_reply(c, err, n);
		else
			udp_reply(u, client, err, n);
	}
}

/* Frame and dispatch buffered queries while the connection has room; manage reading. */
static void conn_process(struct srv_conn *c)
{
	const uint8_t *msg;
	size_t msglen, used;
	enum rw_frame_status st;

	if (c->st.closing)
		return;
	c->st.processing = true;
	while (!c->st.closing && c->inflight < SRV_TCP_MAX_INFLIGHT) {
		st = rw_wire_tcp_frame(rw_inbuf_data(&c->in), rw_inbuf_size(&c->in), RW_MAX_MSG,
				       &msg, &msglen, &used);
		if (st == RW_FRAME_NEED_MORE)
			break;
		if (st != RW_FRAME_OK) {
			conn_close(c); /* a zero-length frame: not a DNS client */
			break;
		}
		rw_inbuf_consume(&c->in, used);
		rw_stream_touch(&c->st);
		/* msg stays valid: the buffer is not moved until the loop ends. */
		srv_query(c->s, NULL, c, msg, msglen, (const struct sockaddr *)&c->peer);
	}
	c->st.processing = false;
	if (c->st.closing)
		return;
	rw_inbuf_compact(&c->in);
	if (c->st.eof) {
		if (c->inflight == 0)
			rw_stream_shutdown(&c->st);
		return;
	}
	rw_stream_want_read(&c->st, c->inflight < SRV_TCP_MAX_INFLIGHT);
}

static void conn_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct srv_conn *c = handle->data;

	(void)suggested;
	rw_inbuf_alloc(&c->in, buf); /* empty when full: read_cb gets UV_ENOBUFS and closes */
}

static void conn_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct srv_conn *c = stream->data;

	(void)buf;
	if (c->st.closing)
		return;
	if (nread == UV_EOF) {
		/* The client may half-close after its last query: answer, then close. */
		c->st.eof = true;
		rw_stream_want_read(&c->st, false);
		conn_process(c);
		return;
	}
	if (nread < 0) {
		conn_close(c);
		return;
	}
	if (nread == 0)
		return;
	/* Bytes alone do not reset the idle timer, complete queries do: a client dribbling a
	 * frame one byte at a time cannot hold a connection slot for ever. */
	rw_inbuf_received(&c->in, (size_t)nread);
	conn_process(c);
}

static void tcp_connection_cb(uv_stream_t *server, int status)
{
	struct srv_listener *l = server->data;
	struct rw_server *s = l->s;
	struct srv_conn *c;
	int len, rc;

	if (status < 0 || s->closed)
		return;
	/* Over the cap: accepted and closed at once. */
	c = (struct srv_conn *)rw_stream_accept(&s->conns, server, sizeof(*c), &srv_stream_ops);
	if (!c)
		return;
	c->s = s;
	rw_inbuf_init(&c->in, SRV_TCP_INITIAL_BUF, SRV_TCP_MAX_BUF);
	len = sizeof(c->peer);
	rc = uv_tcp_getpeername(&c->st.h.tcp, (struct sockaddr *)&c->peer, &len);
	if (rc == 0 && c->peer.ss_family != AF_INET && c->peer.ss_family != AF_INET6)
		rc = UV_EAFNOSUPPORT;
	if (rc < 0) {
		conn_close(c);
		return;
	}
	c->peerlen = (socklen_t)len;
	rw_stream_want_read(&c->st, true);
	if (c->st.closing)
		return;
	(void)uv_tcp_nodelay(&c->st.h.tcp, 1);
	uv_timer_start(&c->st.timer, conn_timer_cb, SRV_TCP_IDLE_MS, SRV_TCP_IDLE_MS);
}

/* UDP receive. */

/* A query that did not fit in its slot: answer FORMERR from what arrived (the header and as
 * much of the question as fits), so the client learns its query was not read. */
static void udp_too_long(struct srv_udp *u, const uint8_t *pkt, size_t len,
			 const struct sockaddr *client)
{
	uint8_t err[RW_DNS_HEADER_LEN + 256 + 4 + RW_OPT_LEN];
	size_t n = srv_error(pkt, len, RCODE_FORMERR, err, sizeof(err));

	if (n > 0)
		udp_reply(u, client, err, n);
}

/* Read what the socket holds, a batch at a time, and answer; replies made meanwhile go out
 * together at the end. */
static void udp_read(struct srv_udp *u)
{
	unsigned total = 0;

	u->reading = true;
	while (!u->closing && total < SRV_UDP_READS_PER_WAKE) {
		int n;

		for (unsigned i = 0; i < SRV_UDP_READ; i++) {
			struct msghdr *h = &u->rmsg[i].msg_hdr;

			h->msg_name = &u->rfrom[i];
			h->msg_namelen = sizeof(u->rfrom[i]);
			h->msg_iov = &u->riov[i];
			h->msg_iovlen = 1;
			h->msg_control = NULL;
			h->msg_controllen = 0;
			h->msg_flags = 0;
		}
		n = recvmmsg(u->fd, u->rmsg, SRV_UDP_READ, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break; /* EAGAIN: all read; other errors concern no one query */
		for (int i = 0; i < n && !u->closing; i++) {
			const struct msghdr *h = &u->rmsg[i].msg_hdr;
			const struct sockaddr *from = (const struct sockaddr *)&u->rfrom[i];

			if (h->msg_namelen < sizeof(struct sockaddr_in) ||
			    (from->sa_family != AF_INET && from->sa_family != AF_INET6))
				continue;
			if (h->msg_flags & MSG_TRUNC)
				udp_too_long(u, u->rbuf[i], SRV_UDP_QUERY_MAX, from);
			else
				srv_query(u->s, u, NULL, u->rbuf[i], u->rmsg[i].msg_len, from);
		}
		total += (unsigned)n;
		if (n < SRV_UDP_READ)
			break; /* the socket is empty: no need to ask again */
	}
	u->reading = false;
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

/* Listeners. */

static void listener_close_cb(uv_handle_t *handle)
{
	free(handle->data);
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

static int udp_open(struct rw_server *s, const struct rw_sockaddr *addr)
{
	struct srv_udp *u = calloc(1, sizeof(*u));
	const struct sockaddr *sa = (const struct sockaddr *)&addr->ss;
	int rc, on = 1, rcvbuf = SRV_UDP_RCVBUF;

	if (!u)
		return UV_ENOMEM;
	u->s = s;
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
	 * and silently share its queries, where a bind error is what the operator needs. */
	if ((sa->sa_family == AF_INET6 &&
	     setsockopt(u->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) ||
	    bind(u->fd, sa, rw_daemon_addr_len(sa)) < 0) {
		rc = -errno;
		close(u->fd);
		free(u);
		return rc;
	}
	/* Bursts of queries queue in the kernel while the loop is busy; the default buffer holds
	 * only a few hundred datagrams. Best effort: the kernel caps this at net.core.rmem_max. */
	(void)setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	rc = uv_poll_init_socket(&s->d->loop, &u->poll, u->fd);
	if (rc < 0) {
		close(u->fd);
		free(u);
		return rc;
	}
	u->poll.data = u;
	s->udp[s->n_udp++] = u;
	return uv_poll_start(&u->poll, UV_READABLE, udp_poll_cb);
}

static int tcp_open(struct rw_server *s, const struct rw_sockaddr *addr)
{
	struct srv_listener *l = calloc(1, sizeof(*l));
	const struct sockaddr *sa = (const struct sockaddr *)&addr->ss;
	int rc;

	if (!l)
		return UV_ENOMEM;
	rc = uv_tcp_init_ex(&s->d->loop, &l->handle, sa->sa_family);
	if (rc < 0) {
		free(l);
		return rc;
	}
	l->s = s;
	l->addr = *addr;
	l->handle.data = l;
	s->tcp[s->n_tcp++] = l;
	/* libuv sets SO_REUSEADDR on TCP sockets itself, so a restart does not wait for
	 * TIME_WAIT connections to expire. */
	rc = uv_tcp_bind(&l->handle, sa, sa->sa_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
	if (rc == 0) /* libuv may report a bind error only here */
		rc = uv_listen((uv_stream_t *)&l->handle, SRV_TCP_BACKLOG, tcp_connection_cb);
	return rc;
}

static void close_listeners(struct rw_server *s)
{
	size_t i;

	for (i = 0; i < s->n_udp; i++) {
		struct srv_udp *u = s->udp[i];

		u->closing = true;
		(void)uv_poll_stop(&u->poll);
		uv_close((uv_handle_t *)&u->poll, udp_close_cb);
	}
	for (i = 0; i < s->n_tcp; i++)
		uv_close((uv_handle_t *)&s->tcp[i]->handle, listener_close_cb);
	s->n_udp = 0;
	s->n_tcp = 0;
}

struct rw_server *rw_server_new(struct rw_daemon *d)
{
	const struct rw_config *cfg = d->cfg;
	struct rw_server *s = calloc(1, sizeof(*s));
	char name[INET6_ADDRSTRLEN + 16];
	size_t i;
	int rc;

	if (!s) {
		rw_daemon_log(RW_LOG_ERR, "out of memory");
		return NULL;
	}
	s->d = d;
	s->conns.max = SRV_TCP_MAX_CONNS;
	s->conns.name = "TCP";
	for (i = 0; i < cfg->n_listen && i < RW_CONFIG_MAX_ADDRS; i++) {
		const struct rw_sockaddr *a = &cfg->listen[i];
		const char *proto = "udp";

		rw_daemon_addr_str((const struct sockaddr *)&a->ss, name, sizeof(name));
		rc = udp_open(s, a);
		if (rc == 0) {
			proto = "tcp";
			rc = tcp_open(s, a);
		}
		if (rc < 0) {
			rw_daemon_log(RW_LOG_ERR, "cannot listen on %s (%s): %s", name, proto,
				      uv_strerror(rc));
			/* The listeners free themselves in their close callbacks. */
			close_listeners(s);
			free(s);
			return NULL;
		}
		rw_daemon_log(RW_LOG_INFO, "listening on %s (udp, tcp)", name);
	}
	return s;
}

void rw_server_close(struct rw_server *s)
{
	if (!s || s->closed)
		return;
	s->closed = true;
	/* The resolver is gone and will never answer these. */
	while (s->reqs) {
		struct srv_req *req = s->reqs;
		struct srv_conn *c = req->conn;

		req_unlink(req);
		if (c) {
			c->inflight--;
			conn_unref(c);
		}
	}
	rw_stream_set_close(&s->conns);
	close_listeners(s);
}

void rw_server_free(struct rw_server *s)
{
	if (!s)
		return;
	rw_server_close(s);
	while (s->spare) {
		struct srv_req *req = s->spare;
		s->spare = req->next;
		free(req);
	}
	free(s);
}
