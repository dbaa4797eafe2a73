/* Upstream transport: carries the core's queries to authoritative servers (env->send/cancel).
 *
 * Every UDP query gets its own socket on a random source port, connected to the server, so the
 * kernel drops datagrams from other addresses and reports ICMP errors at once. TCP queries open
 * one connection each and read one framed reply. Each query has a timer for q->timeout_ms. At
 * most outgoing-range queries (so sockets) are in flight, outgoing-num-tcp of them over TCP:
 * beyond, a send fails at once with -EBUSY, which the iterator takes as a network error for that
 * server.
 *
 * A query ends in exactly one of three ways: accepted reply, timeout/network error (reported to
 * the resolver), or cancel (silent). It is taken out of the id table before anything is reported,
 * so a reentrant env->cancel() from inside the resolver finds nothing. Its memory is released in
 * the last close callback, which libuv never runs synchronously: a query stays valid for the
 * whole of any callback that touches it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <uv.h>

#include "daemon.h"
#include "list.h"
#include "log.h"
#include "stream.h"
#include "rootwalk/wire.h"

#define UQ_BUCKETS	   4096 /* power of two */
#define UQ_BIND_TRIES	   8
#define UQ_TCP_INITIAL_BUF 4096

struct rw_uquery {
	struct rw_upstream *up;
	uint64_t id;
	struct rw_dlink link; /* id table chain; in no list when not in the table */
	bool tcp;
	bool finished; /* out of the table, handles closing */
	int open_handles;

	union {
		uv_udp_t udp;
		uv_tcp_t tcp;
		uv_handle_t handle;
	} h;
	uv_timer_t timer;
	union {
		uv_udp_send_t send;
		uv_connect_t connect;
	} req;
	uv_write_t write;

	struct sockaddr_storage addr; /* the server */
	socklen_t addrlen;
	uint8_t *out; /* the query as sent; with the 2-byte prefix for TCP */
	size_t outlen;

	struct rw_inbuf in; /* TCP only: reply reassembly */
};

struct rw_upstream {
	struct rw_worker *w;
	struct rw_dlink *table[UQ_BUCKETS]; /* struct rw_uquery */
	size_t pending;
	size_t pending_tcp; /* of which TCP, each with a reply buffer of up to 64 KiB */
	bool closing;
	bool rbuf_busy;
	/* One receive buffer for every UDP query: libuv hands each datagram to alloc_cb and recv_cb
	 * in turn before reading the next, so it is never shared by two datagrams at once. */
	uint8_t rbuf[RW_MAX_MSG];
};

static size_t uq_bucket(uint64_t id)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 52) & (UQ_BUCKETS - 1);
}

static void uq_insert(struct rw_upstream *up, struct rw_uquery *uq)
{
	rw_dlink_push(&up->table[uq_bucket(uq->id)], &uq->link);
	up->pending++;
	up->pending_tcp += uq->tcp;
}

static void uq_remove(struct rw_uquery *uq)
{
	if (rw_dlink_remove(&uq->link)) {
		uq->up->pending--;
		uq->up->pending_tcp -= uq->tcp;
	}
}

static struct rw_uquery *uq_find(struct rw_upstream *up, uint64_t id)
{
	struct rw_dlink *l;

	for (l = up->table[uq_bucket(id)]; l; l = l->next) {
		struct rw_uquery *uq = rw_dlink_entry(l, struct rw_uquery, link);

		if (uq->id == id)
			return uq;
	}
	return NULL;
}

static void uq_close_cb(uv_handle_t *handle)
{
	struct rw_uquery *uq = handle->data;

	if (--uq->open_handles > 0)
		return;
	free(uq->out);
	rw_inbuf_free(&uq->in);
	free(uq);
}

/* Take the query out of the table and close its handles; no callback to the resolver. */
static void uq_finish(struct rw_uquery *uq)
{
	if (uq->finished)
		return;
	uq->finished = true;
	uq_remove(uq);
	if (uq->tcp)
		uv_read_stop((uv_stream_t *)&uq->h.tcp);
	else
		uv_udp_recv_stop(&uq->h.udp);
	uv_timer_stop(&uq->timer);
	uv_close(&uq->h.handle, uq_close_cb);
	uv_close((uv_handle_t *)&uq->timer, uq_close_cb);
}

/* The query failed at the network level: finish it, then tell the resolver. */
static void uq_fail(struct rw_uquery *uq, int err)
{
	struct rw_resolver *r;
	uint64_t id = uq->id;

	/* Checked first: a finished query may outlive its rw_upstream (send callbacks cancelled
	 * by the close that follows rw_upstream_free). */
	if (uq->finished)
		return;
	r = uq->up->w->resolver;
	uq_finish(uq);
	if (r && !uq->up->closing)
		rw_resolver_on_timeout(r, id, err);
}

/* Hand one reply to the resolver; finish the query when it is accepted. */
static void uq_deliver(struct rw_uquery *uq, const struct sockaddr *from, socklen_t fromlen,
		       const uint8_t *pkt, size_t len)
{
	struct rw_resolver *r = uq->up->w->resolver;

	if (!r || uq->up->closing) {
		uq_finish(uq);
		return;
	}
	/* The resolver may cancel this very id, or others, while it handles the reply. */
	if (rw_resolver_on_reply(r, uq->id, from, fromlen, pkt, len))
		uq_finish(uq);
}

static void uq_timer_cb(uv_timer_t *timer)
{
	uq_fail(timer->data, -ETIMEDOUT);
}

/* The local address for a query to family: one of cfg->outgoing at random, else the any-address.
 */
static void uq_local_addr(struct rw_upstream *up, int family, struct sockaddr_storage *ss)
{
	const struct rw_config *cfg = up->w->cfg;
	const struct rw_sockaddr *cand[RW_CONFIG_MAX_ADDRS];
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < cfg->n_outgoing && i < RW_CONFIG_MAX_ADDRS; i++)
		if (cfg->outgoing[i].ss.ss_family == family)
			cand[n++] = &cfg->outgoing[i];
	memset(ss, 0, sizeof(*ss));
	if (n > 0) {
		memcpy(ss, &cand[n == 1 ? 0 : randombytes_uniform(n)]->ss,
		       sizeof(struct sockaddr_storage));
	} else {
		ss->ss_family = family;
	}
	if (family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = 0;
	else
		((struct sockaddr_in *)ss)->sin_port = 0;
}

static void uq_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static void udp_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct rw_uquery *uq = handle->data;
	struct rw_upstream *up = uq->up;

	if (up->rbuf_busy) {
		/* Cannot happen with libuv's one-datagram-at-a-time delivery; refuse rather than
		 * hand out the same memory twice. */
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	up->rbuf_busy = true;
	*buf = uv_buf_init((char *)up->rbuf, sizeof(up->rbuf));
}

static void udp_recv_cb(uv_udp_t *handle, ssize_t nread, const uv_buf_t *buf,
			const struct sockaddr *from, unsigned flags)
{
	struct rw_uquery *uq = handle->data;

	if (buf->base == (char *)uq->up->rbuf)
		uq->up->rbuf_busy = false;
	if (uq->finished)
		return;
	if (nread < 0) {
		/* A connected UDP socket reports ICMP errors here (ECONNREFUSED and the like). */
		uq_fail(uq, rw_daemon_errno((int)nread));
		return;
	}
	if (nread == 0 && !from)
		return; /* nothing more to read */
	if (!from || (flags & UV_UDP_PARTIAL))
		return; /* truncated by our buffer: not a usable reply, keep waiting */
	uq_deliver(uq, from, rw_daemon_addr_len(from), (const uint8_t *)buf->base, (size_t)nread);
}

static void udp_send_cb(uv_udp_send_t *req, int status)
{
	struct rw_uquery *uq = req->data;

	if (status < 0 && status != UV_ECANCELED)
		uq_fail(uq, rw_daemon_errno(status));
}

/* Initialise the timer and the query bookkeeping shared by UDP and TCP. */
static struct rw_uquery *uq_new(struct rw_upstream *up, const struct rw_upstream_query *q)
{
	struct rw_uquery *uq;
	size_t prefix = q->tcp ? 2 : 0;

	uq = calloc(1, sizeof(*uq));
	if (!uq)
		return NULL;
	uq->out = malloc(q->len + prefix);
	if (!uq->out) {
		free(uq);
		return NULL;
	}
	if (q->tcp) {
		uq->out[0] = (uint8_t)(q->len >> 8);
		uq->out[1] = (uint8_t)q->len;
	}
	memcpy(uq->out + prefix, q->wire, q->len);
	uq->outlen = q->len + prefix;
	uq->up = up;
	uq->id = q->id;
	uq->tcp = q->tcp != 0;
	rw_inbuf_init(&uq->in, UQ_TCP_INITIAL_BUF, 2 + RW_MAX_MSG);
	memcpy(&uq->addr, q->addr, q->addrlen);
	uq->addrlen = q->addrlen;
	uv_timer_init(up->w->loop, &uq->timer);
	uq->timer.data = uq;
	uq->open_handles = 1;
	return uq;
}

/* Undo a query that never got under way: close what was opened; nothing is reported. */
static void uq_abort(struct rw_uquery *uq)
{
	uq->finished = true;
	uv_close((uv_handle_t *)&uq->timer, uq_close_cb);
	if (uq->open_handles == 2)
		uv_close(&uq->h.handle, uq_close_cb);
}

static int udp_start(struct rw_upstream *up, struct rw_uquery *uq)
{
	struct sockaddr_storage local;
	uv_buf_t buf;
	int family = uq->addr.ss_family;
	int i, rc;

	rc = uv_udp_init_ex(up->w->loop, &uq->h.udp, (unsigned)family);
	if (rc < 0)
		return rc;
	uq->h.udp.data = uq;
	uq->open_handles++;

	uq_local_addr(up, family, &local);
	rc = UV_EADDRINUSE;
	for (i = 0; i < UQ_BIND_TRIES && rc == UV_EADDRINUSE; i++) {
		/* 1024..65535, never a privileged port. */
		uq_set_port(&local, (uint16_t)(1024 + randombytes_uniform(65536 - 1024)));
		rc = uv_udp_bind(&uq->h.udp, (const struct sockaddr *)&local, 0);
	}
	if (rc < 0)
		return rc;
	/* Connecting does the route lookup now, so an unreachable family fails synchronously. */
	rc = uv_udp_connect(&uq->h.udp, (const struct sockaddr *)&uq->addr);
	if (rc < 0)
		return rc;
	rc = uv_udp_recv_start(&uq->h.udp, udp_alloc_cb, udp_recv_cb);
	if (rc < 0)
		return rc;

	buf = uv_buf_init((char *)uq->out, (unsigned)uq->outlen);
	rc = uv_udp_try_send(&uq->h.udp, &buf, 1, NULL);
	if (rc >= 0)
		return 0;
	if (rc != UV_EAGAIN)
		return rc;
	uq->req.send.data = uq;
	return uv_udp_send(&uq->req.send, &uq->h.udp, &buf, 1, NULL, udp_send_cb);
}

static void tcp_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct rw_uquery *uq = handle->data;

	(void)suggested;
	rw_inbuf_alloc(&uq->in, buf);
}

static void tcp_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct rw_uquery *uq = stream->data;
	const uint8_t *msg;
	size_t msglen, used;
	enum rw_frame_status st;

	if (uq->finished)
		return;
	if (nread < 0) {
		uq_fail(uq, nread == UV_ENOBUFS ? -ENOMEM : rw_daemon_errno((int)nread));
		return;
	}
	rw_inbuf_received(&uq->in, (size_t)nread);
	while (!uq->finished) {
		st = rw_wire_tcp_frame(rw_inbuf_data(&uq->in), rw_inbuf_size(&uq->in), RW_MAX_MSG,
				       &msg, &msglen, &used);
		if (st == RW_FRAME_NEED_MORE)
			return;
		if (st != RW_FRAME_OK) {
			uq_fail(uq, -EBADMSG);
			return;
		}
		uq_deliver(uq, (const struct sockaddr *)&uq->addr, uq->addrlen, msg, msglen);
		if (uq->finished)
			return;
		/* Rejected: drop the frame and look at the next one. */
		rw_inbuf_consume(&uq->in, used);
		rw_inbuf_compact(&uq->in);
	}
}

static void tcp_write_cb(uv_write_t *req, int status)
{
	struct rw_uquery *uq = req->data;

	if (status < 0 && status != UV_ECANCELED)
		uq_fail(uq, rw_daemon_errno(status));
}

static void tcp_connect_cb(uv_connect_t *req, int status)
{
	struct rw_uquery *uq = req->data;
	uv_buf_t buf;
	int rc;

	if (uq->finished || status == UV_ECANCELED)
		return;
	if (status < 0) {
		uq_fail(uq, rw_daemon_errno(status));
		return;
	}
	buf = uv_buf_init((char *)uq->out, (unsigned)uq->outlen);
	uq->write.data = uq;
	rc = uv_write(&uq->write, (uv_stream_t *)&uq->h.tcp, &buf, 1, tcp_write_cb);
	if (rc == 0)
		rc = uv_read_start((uv_stream_t *)&uq->h.tcp, tcp_alloc_cb, tcp_read_cb);
	if (rc < 0)
		uq_fail(uq, rw_daemon_errno(rc));
}

static int tcp_start(struct rw_upstream *up, struct rw_uquery *uq)
{
	struct sockaddr_storage local;
	int family = uq->addr.ss_family;
	int rc;

	rc = uv_tcp_init_ex(up->w->loop, &uq->h.tcp, (unsigned)family);
	if (rc < 0)
		return rc;
	uq->h.tcp.data = uq;
	uq->open_handles++;
	uq_local_addr(up, family, &local);
	if (up->w->cfg->n_outgoing > 0) {
		/* Only an explicit outgoing address is bound; the kernel picks the port. */
		rc = uv_tcp_bind(&uq->h.tcp, (const struct sockaddr *)&local, 0);
		if (rc < 0)
			return rc;
	}
	uq->req.connect.data = uq;
	return uv_tcp_connect(&uq->req.connect, &uq->h.tcp, (const struct sockaddr *)&uq->addr,
			      tcp_connect_cb);
}

int rw_upstream_send(struct rw_upstream *up, const struct rw_upstream_query *q)
{
	struct rw_uquery *uq;
	int rc;

	if (!up || !q || !q->addr || !q->wire || q->len == 0 || q->len > RW_MAX_MSG)
		return -EINVAL;
	if (up->closing)
		return -ECANCELED;
	if (q->addr->sa_family != AF_INET && q->addr->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (q->addrlen < rw_daemon_addr_len(q->addr) ||
	    q->addrlen > sizeof(struct sockaddr_storage))
		return -EINVAL;
	if (uq_find(up, q->id))
		return -EEXIST;
	/* outgoing-range: each query in the table holds one socket (a finished one's is closed
	 * at once by uv_close, only its memory waits for the callback) */
	if (up->pending >= up->w->cfg->outgoing_range ||
	    (q->tcp && up->pending_tcp >= up->w->cfg->outgoing_num_tcp))
		return -EBUSY;

	uq = uq_new(up, q);
	if (!uq)
		return -ENOMEM;
	rc = q->tcp ? tcp_start(up, uq) : udp_start(up, uq);
	if (rc < 0) {
		uq_abort(uq);
		return rw_daemon_errno(rc);
	}
	uv_timer_start(&uq->timer, uq_timer_cb, q->timeout_ms, 0);
	uq_insert(up, uq);
	return 0;
}

void rw_upstream_cancel(struct rw_upstream *up, uint64_t id)
{
	struct rw_uquery *uq;

	if (!up)
		return;
	uq = uq_find(up, id);
	if (uq)
		uq_finish(uq);
}

size_t rw_upstream_pending(const struct rw_upstream *up)
{
	return up ? up->pending : 0;
}

struct rw_upstream *rw_upstream_new(struct rw_worker *w)
{
	struct rw_upstream *up = calloc(1, sizeof(*up));

	if (up)
		up->w = w;
	return up;
}

void rw_upstream_close(struct rw_upstream *up)
{
	size_t i;

	if (!up)
		return;
	up->closing = true;
	for (i = 0; i < UQ_BUCKETS; i++)
		while (up->table[i])
			uq_finish(rw_dlink_entry(up->table[i], struct rw_uquery, link));
}

void rw_upstream_free(struct rw_upstream *up)
{
	if (!up)
		return;
	rw_upstream_close(up);
	free(up);
}
