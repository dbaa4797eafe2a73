/* The metrics endpoint (metrics-listen: ADDR@PORT): HTTP/1.1, GET /metrics only, the Prometheus
 * text of rootwalk/metrics.h.
 *
 * Hand-written rather than on a library: Debian 12 has no small HTTP server library that runs
 * on a libuv loop (libmicrohttpd and libonion bring their own threads or poll loops, h2o and
 * libwebsockets are whole servers), and all this needs is one request line and headers up to
 * the blank line, parsed in the core (rw_metrics_parse_request, unit-tested and fuzzed). One
 * request per connection, always answered with Connection: close. Bounded: MH_MAX_REQUEST bytes
 * of request, MH_REQUEST_MS from accept to the whole answer, MH_MAX_CONNS connections (the
 * one idle longest makes room for a new one). The client's address goes through the resolver's
 * access-control first: deny closes at once, refuse answers 403.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "metrics_http.h"
#include "relay.h"
#include "rootwalk/metrics.h"
#include "stream.h"
#include "worker.h"

#define MH_MAX_REQUEST 4096
#define MH_REQUEST_MS  5000
#define MH_MAX_CONNS   16
#define MH_BACKLOG     16

struct mh_conn {
	struct rw_stream st; /* first: the handles' data point at it */
	struct rw_metrics_http *mh;
	bool answered;
	bool refused; /* access-control says refuse: 403 once the request is read */
};

struct rw_metrics_http {
	struct rw_daemon *d;
	uv_tcp_t listener;
	bool listening, closed;
	struct rw_stream_set conns;
};

uint64_t rw_metrics_trace_dropped(const struct rw_daemon *d)
{
	return d->trace_dropped + rw_tracesink_dropped(d->tsink) + rw_relay_dropped(d->relay);
}

/* Answer with the head and body (NULL: the status line as text), then close once it is out. */
static void respond(struct mh_conn *c, const char *status, const char *extra, const char *type,
		    const char *body, size_t len)
{
	char head[512], text[64];
	int n;

	if (!body) {
		len = (size_t)snprintf(text, sizeof(text), "%s\n", status);
		body = text;
	}
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: "
		     "close\r\n\r\n",
		     status, type, len, extra);
	c->answered = true;
	rw_stream_want_read(&c->st, false);
	rw_stream_write(&c->st, head, (size_t)n, body, len);
	rw_stream_shutdown(&c->st);
}

static void serve(struct mh_conn *c)
{
	struct rw_daemon *d = c->mh->d;
	struct rw_metrics_edge edge = {.trace_dropped = rw_metrics_trace_dropped(d)};
	size_t len = 0;
	char *text = NULL;

	if (d->main.resolver) {
		struct rw_metrics_thread *threads = NULL;
		struct rw_stats st;
		size_t pending;
		int n = rw_daemon_stats(d, -1, &st, &pending, NULL, 0);

		edge.in_progress = pending;
		/* each thread's part, when there are worker threads */
		if (n > 1 && (threads = calloc((size_t)n, sizeof(*threads)))) {
			for (int i = 0; i < n; i++) {
				rw_daemon_stats(d, i, &threads[i].st, &pending, threads[i].name,
						sizeof(threads[i].name));
				threads[i].in_progress = pending;
			}
			edge.threads = threads;
			edge.n_threads = (size_t)n;
		}
		text = rw_metrics_text(&st, rw_resolver_cache(d->main.resolver), &edge, &len);
		free(threads);
	}
	if (!text) {
		respond(c, "503 Service Unavailable", "", "text/plain", NULL, 0);
		return;
	}
	respond(c, "200 OK", "", RW_METRICS_CONTENT_TYPE, text, len);
	free(text);
}

static void mh_input(struct rw_stream *st)
{
	struct mh_conn *c = (struct mh_conn *)st;
	const char *buf = (const char *)rw_inbuf_data(&st->in);
	size_t len = rw_inbuf_size(&st->in);
	enum rw_metrics_req rq;

	if (c->answered)
		return;
	rq = buf ? rw_metrics_parse_request(buf, len) : RW_METRICS_NEED_MORE;
	if (rq == RW_METRICS_NEED_MORE && len >= st->in.max) {
		respond(c, "431 Request Header Fields Too Large", "", "text/plain", NULL, 0);
		return;
	}
	if (rq == RW_METRICS_NEED_MORE && st->eof) {
		rw_stream_close(st); /* the client left before the request ended */
		return;
	}
	if (rq == RW_METRICS_NEED_MORE)
		return;
	/* Read before answering: closing with the request unread would reset the connection,
	 * and the client might never see why. */
	if (c->refused) {
		respond(c, "403 Forbidden", "", "text/plain", NULL, 0);
		return;
	}
	switch (rq) {
	case RW_METRICS_NEED_MORE:
		return;
	case RW_METRICS_GET:
		serve(c);
		return;
	case RW_METRICS_NOT_FOUND:
		respond(c, "404 Not Found", "", "text/plain", NULL, 0);
		return;
	case RW_METRICS_BAD_METHOD:
		respond(c, "405 Method Not Allowed", "Allow: GET\r\n", "text/plain", NULL, 0);
		return;
	case RW_METRICS_BAD_REQUEST:
		respond(c, "400 Bad Request", "", "text/plain", NULL, 0);
		return;
	}
}

static const struct rw_stream_ops mh_stream_ops = {
	.input = mh_input,
	.in_initial = 1024,
	.in_max = MH_MAX_REQUEST,
	.touch_on_bytes = false, /* the whole exchange within MH_REQUEST_MS */
	.idle_ms = MH_REQUEST_MS,
};

/* What access-control says about the peer of a new connection. */
static enum rw_acl_action peer_acl(struct mh_conn *c)
{
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);

	if (!c->mh->d->main.resolver ||
	    uv_tcp_getpeername(&c->st.h.tcp, (struct sockaddr *)&ss, &sslen) < 0)
		return RW_ACL_DENY;
	return rw_resolver_acl(c->mh->d->main.resolver, (const struct sockaddr *)&ss);
}

static void mh_connection_cb(uv_stream_t *server, int status)
{
	struct rw_metrics_http *mh = server->data;
	struct mh_conn *c;

	if (status < 0 || mh->closed)
		return;
	c = (struct mh_conn *)rw_stream_accept(&mh->conns, server, sizeof(*c), &mh_stream_ops);
	if (!c)
		return;
	c->mh = mh;
	switch (peer_acl(c)) {
	case RW_ACL_DENY:
		rw_stream_close(&c->st);
		return;
	case RW_ACL_REFUSE:
		c->refused = true;
		/* fall through */
	default:
		rw_stream_want_read(&c->st, true);
	}
}

struct rw_metrics_http *rw_metrics_http_open(struct rw_daemon *d)
{
	const struct sockaddr *sa = (const struct sockaddr *)&d->cfg->metrics_listen.ss;
	struct rw_metrics_http *mh = calloc(1, sizeof(*mh));
	char addr[INET6_ADDRSTRLEN + 16];
	int rc;

	if (!mh) {
		rw_daemon_log(RW_LOG_ERR, "out of memory");
		return NULL;
	}
	mh->d = d;
	mh->conns.max = MH_MAX_CONNS;
	mh->conns.name = "metrics";
	mh->conns.reject = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: "
			   "close\r\n\r\n";
	mh->conns.evict = true;
	rw_daemon_addr_str(sa, addr, sizeof(addr));
	rc = uv_tcp_init(&d->loop, &mh->listener);
	if (rc == 0) {
		mh->listening = true;
		mh->listener.data = mh;
		rc = uv_tcp_bind(&mh->listener, sa,
				 sa->sa_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
	}
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&mh->listener, MH_BACKLOG, mh_connection_cb);
	if (rc < 0) {
		rw_daemon_log(RW_LOG_ERR, "metrics-listen %s: %s", addr, uv_strerror(rc));
		rw_metrics_http_close(mh);
		return mh; /* the caller frees it after the loop ran the close callback */
	}
	rw_daemon_log(RW_LOG_INFO, "metrics-listen %s: serving /metrics over HTTP", addr);
	return mh;
}

bool rw_metrics_http_ok(const struct rw_metrics_http *mh)
{
	return mh && !mh->closed;
}

void rw_metrics_http_close(struct rw_metrics_http *mh)
{
	if (!mh || mh->closed)
		return;
	mh->closed = true;
	rw_stream_set_close(&mh->conns);
	if (mh->listening)
		uv_close((uv_handle_t *)&mh->listener, NULL);
}

void rw_metrics_http_free(struct rw_metrics_http *mh)
{
	if (!mh)
		return;
	rw_metrics_http_close(mh);
	free(mh);
}
