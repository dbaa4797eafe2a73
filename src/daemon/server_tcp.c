/* TCP listeners and connections of rootwalkd's server, following RFC 7766: several queries may
 * be pipelined on one connection and are answered as they complete, each reply with its two-byte
 * length prefix. Reading pauses while a connection has SRV_TCP_MAX_INFLIGHT queries outstanding.
 *
 * Under a connection flood: at most incoming-num-tcp connections are open at
 * once over all listeners, and at most tcp-connections-per-client from one /32 or /64. A new
 * connection over the global cap is taken, and the one idle longest (else the oldest) closed to
 * make room: refusing new ones would let a flood lock every later client out. Connections idle
 * for SRV_TCP_IDLE_MS are closed, sooner as the table fills (RFC 7766 6.2.3).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include "server.h"
#include "stream.h"
#include "rootwalk/wire.h"

#define SRV_TCP_MAX_INFLIGHT 32
#define SRV_TCP_IDLE_MS	     10000
/* The shortest idle timeout, when the table is full (Unbound's TCP_QUERY_TIMEOUT_MINIMUM is the
 * same 200 ms). */
#define SRV_TCP_IDLE_MIN_MS 200
#define SRV_TCP_BACKLOG	    128
#define SRV_TCP_INITIAL_BUF 1024
#define SRV_TCP_MAX_BUF	    (2 + RW_MAX_MSG)
/* Reply bytes queued for a client that does not read them; beyond this it is cut off. */
#define SRV_TCP_MAX_WQUEUE (256 * 1024)

struct srv_listener {
	uv_tcp_t handle;
	struct rw_server *s;
	struct rw_sockaddr addr;
};

struct srv_conn {
	struct rw_stream st; /* first: the handles' data point at it; requests hold references */
	struct srv_origin origin; /* queries read here are answered through it */
	struct srv_requests *rq;
	unsigned inflight;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	uint64_t opened_ms, active_ms; /* loop time: accepted, last query or reply */
};

static void conn_process(struct srv_conn *c);

/* A reply went out: the client is alive. */
static void srv_conn_written(struct rw_stream *st)
{
	((struct srv_conn *)st)->active_ms = uv_now(st->h.handle.loop);
	rw_stream_touch(st);
}

/* Bytes arrived or the client half-closed (after its last query: answer, then close). */
static void srv_conn_input(struct rw_stream *st)
{
	conn_process((struct srv_conn *)st);
}

/* RFC 7766 6.2.3: idle means no query outstanding. A client that sent queries waits for their
 * answers (bounded by the resolver's query budget); one that does not read its replies is cut off
 * by the idle timer too. */
static bool srv_conn_busy(struct rw_stream *st)
{
	return ((struct srv_conn *)st)->inflight > 0;
}

/* Bytes alone do not reset the idle timer, complete queries do: a client dribbling a frame one
 * byte at a time cannot hold a connection slot for ever. */
static const struct rw_stream_ops srv_stream_ops = {
	.written = srv_conn_written,
	.input = srv_conn_input,
	.in_initial = SRV_TCP_INITIAL_BUF,
	.in_max = SRV_TCP_MAX_BUF,
	.touch_on_bytes = false,
	.idle_ms = SRV_TCP_IDLE_MS,
	.busy = srv_conn_busy,
};

static void conn_unref(struct srv_conn *c)
{
	rw_stream_unref(&c->st);
}

static void conn_close(struct srv_conn *c)
{
	rw_stream_close(&c->st);
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

/* The origin of the queries read from c. */
static struct srv_conn *origin_conn(struct srv_origin *o)
{
	return (struct srv_conn *)((char *)o - offsetof(struct srv_conn, origin));
}

static void tcp_origin_reply(struct srv_origin *o, const struct sockaddr *client,
			     const uint8_t *resp, size_t len)
{
	(void)client; /* the connection's peer */
	conn_reply(origin_conn(o), resp, len);
}

/* A request holds a reference on its connection and counts as in flight. */
static void tcp_origin_hold(struct srv_origin *o)
{
	struct srv_conn *c = origin_conn(o);

	rw_stream_ref(&c->st);
	c->inflight++;
}

static void tcp_origin_release(struct srv_origin *o, bool answered)
{
	struct srv_conn *c = origin_conn(o);

	c->inflight--;
	/* Room for another query: frame what is buffered, resume reading. Not when this answer
	 * came synchronously from inside conn_process() itself, nor when the server closes. */
	if (answered && !c->st.processing)
		conn_process(c);
	conn_unref(c);
}

static const struct srv_origin_ops tcp_origin_ops = {
	.proto = RW_PROTO_TCP,
	.reply = tcp_origin_reply,
	.hold = tcp_origin_hold,
	.release = tcp_origin_release,
};

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
		st = rw_wire_tcp_frame(rw_inbuf_data(&c->st.in), rw_inbuf_size(&c->st.in),
				       RW_MAX_MSG, &msg, &msglen, &used);
		if (st == RW_FRAME_NEED_MORE)
			break;
		if (st != RW_FRAME_OK) {
			conn_close(c); /* a zero-length frame: not a DNS client */
			break;
		}
		rw_inbuf_consume(&c->st.in, used);
		c->active_ms = uv_now(c->st.h.handle.loop);
		rw_stream_touch(&c->st);
		/* msg stays valid: the buffer is not moved until the loop ends. */
		rw_server_query(c->rq, &c->origin, msg, msglen, (const struct sockaddr *)&c->peer);
	}
	c->st.processing = false;
	if (c->st.closing)
		return;
	rw_inbuf_compact(&c->st.in);
	if (c->st.eof) {
		if (c->inflight == 0)
			rw_stream_shutdown(&c->st);
		return;
	}
	rw_stream_want_read(&c->st, c->inflight < SRV_TCP_MAX_INFLIGHT);
}

/* The same client for tcp-connections-per-client: the same IPv4 address, or the same IPv6 /64
 * (one host's share of a subnet). */
static bool same_client(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			      &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, 8) == 0;
}

static struct srv_conn *link_conn(struct rw_dlink *l)
{
	return (struct srv_conn *)rw_dlink_entry(l, struct rw_stream, link);
}

/* RFC 7766 6.2.3: the idle timeout shrinks as the table fills. Up to half full it is the full
 * SRV_TCP_IDLE_MS; then it falls in proportion to the room left, to SRV_TCP_IDLE_MIN_MS. */
static uint64_t idle_timeout_ms(size_t n, size_t max)
{
	uint64_t ms;

	if (n * 2 <= max)
		return SRV_TCP_IDLE_MS;
	ms = n >= max ? 0 : (uint64_t)SRV_TCP_IDLE_MS * (max - n) * 2 / max;
	return ms < SRV_TCP_IDLE_MIN_MS ? SRV_TCP_IDLE_MIN_MS : ms;
}

/* incoming-num-tcp is for the whole daemon: each of n workers takes its share (rounded up). */
static size_t conn_cap(const struct rw_server *s)
{
	return ((size_t)s->w->cfg->incoming_num_tcp + s->nworkers - 1) / s->nworkers;
}

static void count_load(struct rw_server *s, enum rw_load_event ev)
{
	if (s->w->resolver) /* NULL during shutdown */
		rw_resolver_count_load(s->w->resolver, ev);
}

/* A new connection c is in: enforce the caps. Returns false when c itself was closed. Closing
 * a connection drops the answers of its queries under way (they are released when answered). */
static bool conn_admit(struct rw_server *s, struct srv_conn *c)
{
	const struct rw_config *cfg = s->w->cfg;
	size_t max = conn_cap(s), same = 0;
	uint64_t now = uv_now(s->w->loop), idle_ms = idle_timeout_ms(s->conns.n, max);
	struct srv_conn *idlest = NULL, *oldest = NULL;
	struct rw_dlink *l, *next;

	for (l = s->conns.head; l; l = next) {
		struct srv_conn *o = link_conn(l);

		next = l->next; /* closing o takes it out of the list */
		if (o == c)
			continue;
		if (same_client(&o->peer, &c->peer))
			same++;
		if (o->inflight == 0 && now - o->active_ms >= idle_ms) {
			conn_close(o); /* idle too long for a table this full */
			continue;
		}
		if (o->inflight == 0 && (!idlest || o->active_ms < idlest->active_ms))
			idlest = o;
		if (!oldest || o->opened_ms < oldest->opened_ms)
			oldest = o;
	}
	if (same >= cfg->tcp_connections_per_client) {
		count_load(s, RW_LOAD_TCP_PER_CLIENT);
		conn_close(c);
		return false;
	}
	if (s->conns.n > max && (idlest || oldest)) {
		count_load(s, RW_LOAD_TCP_EVICTED);
		conn_close(idlest ? idlest : oldest);
	}
	return true;
}

static void tcp_connection_cb(uv_stream_t *server, int status)
{
	struct srv_listener *l = server->data;
	struct rw_server *s = l->s;
	struct srv_conn *c;
	int len, rc;

	if (status < 0 || s->closed)
		return;
	/* The set's own cap is one above incoming-num-tcp: the connection one too many is taken,
	 * and conn_admit closes another to make room. */
	s->conns.max = conn_cap(s) + 1;
	c = (struct srv_conn *)rw_stream_accept(&s->conns, server, sizeof(*c), &srv_stream_ops);
	if (!c)
		return;
	c->origin.ops = &tcp_origin_ops;
	c->rq = &s->rq;
	c->opened_ms = c->active_ms = uv_now(s->w->loop);
	len = sizeof(c->peer);
	rc = uv_tcp_getpeername(&c->st.h.tcp, (struct sockaddr *)&c->peer, &len);
	if (rc == 0 && c->peer.ss_family != AF_INET && c->peer.ss_family != AF_INET6)
		rc = UV_EAFNOSUPPORT;
	if (rc < 0) {
		conn_close(c);
		return;
	}
	c->peerlen = (socklen_t)len;
	if (!conn_admit(s, c))
		return;
	rw_stream_want_read(&c->st, true);
	if (c->st.closing)
		return;
	(void)uv_tcp_nodelay(&c->st.h.tcp, 1);
}

static void listener_close_cb(uv_handle_t *handle)
{
	free(handle->data);
}

int rw_server_tcp_open(struct rw_server *s, const struct rw_sockaddr *addr)
{
	struct srv_listener *l = calloc(1, sizeof(*l));
	const struct sockaddr *sa = (const struct sockaddr *)&addr->ss;
	int rc;

	if (!l)
		return UV_ENOMEM;
	/* Every listener of s shares one cap on connections (set again at each accept: a reload
	 * may change it). */
	s->conns.max = conn_cap(s) + 1;
	s->conns.name = "TCP";
	rc = uv_tcp_init_ex(s->w->loop, &l->handle, sa->sa_family);
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
	if (s->reuseport) {
		uv_os_fd_t fd;
		int on = 1;

		rc = uv_fileno((uv_handle_t *)&l->handle, &fd);
		if (rc == 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0)
			rc = -errno;
		if (rc < 0)
			return rc;
	}
	rc = uv_tcp_bind(&l->handle, sa, sa->sa_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
	if (rc == 0) /* libuv may report a bind error only here */
		rc = uv_listen((uv_stream_t *)&l->handle, SRV_TCP_BACKLOG, tcp_connection_cb);
	return rc;
}

void rw_server_tcp_close(struct srv_listener *l)
{
	uv_close((uv_handle_t *)&l->handle, listener_close_cb);
}
