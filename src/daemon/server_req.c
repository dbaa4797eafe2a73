/* Client requests: every client query becomes a request object on the outstanding list, handed
 * to the resolver with rw_resolver_query(). The resolver answers through srv_respond(), at once
 * (cache hits, malformed packets) or much later, and the answer goes back through the request's
 * origin (server.h). A TCP origin holds a reference on its connection for each request, so a
 * connection that the client closes, or that times out, stays in memory (closed, marked closing)
 * until its last request has been answered; the answer is then dropped. At shutdown the resolver
 * is freed first and never calls back; rw_server_requests_close() releases what is left.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server.h"
#include "rootwalk/wire.h"

#define SRV_SPARE_REQUESTS 1024 /* finished requests kept for reuse */
#define RCODE_SERVFAIL	   2

struct srv_req {
	struct rw_dlink link; /* in rq->reqs while outstanding */
	struct srv_req *next_spare;
	struct srv_requests *rq;
	struct srv_origin *origin; /* the UDP socket or TCP connection to answer through */
	struct sockaddr_storage client;
	socklen_t clientlen;
};

static struct srv_req *req_new(struct srv_requests *rq, struct srv_origin *o,
			       const struct sockaddr *client)
{
	struct srv_req *req = rq->spare;

	if (req) {
		rq->spare = req->next_spare;
		rq->n_spare--;
		memset(req, 0, sizeof(*req));
	} else if (!(req = calloc(1, sizeof(*req)))) {
		return NULL;
	}
	req->rq = rq;
	req->origin = o;
	req->clientlen = rw_daemon_addr_len(client);
	memcpy(&req->client, client, req->clientlen);
	rw_dlink_push(&rq->reqs, &req->link);
	rq->n_reqs++;
	if (o->ops->hold)
		o->ops->hold(o);
	return req;
}

/* Unlink and free a request; the caller deals with its origin. */
static void req_unlink(struct srv_req *req)
{
	struct srv_requests *rq = req->rq;

	rw_dlink_remove(&req->link);
	if (--rq->n_reqs == 0)
		rq->cap_logged = false;
	if (rq->n_spare < SRV_SPARE_REQUESTS) {
		req->next_spare = rq->spare;
		rq->spare = req;
		rq->n_spare++;
	} else {
		free(req);
	}
}

/* The response callback given to the resolver: answer the client, release the request. */
static void srv_respond(void *arg, const uint8_t *resp, size_t len)
{
	struct srv_req *req = arg;
	struct srv_origin *o = req->origin;

	if (len > 0 && len <= RW_MAX_MSG && resp)
		o->ops->reply(o, (const struct sockaddr *)&req->client, resp, len);
	req_unlink(req);
	if (o->ops->release)
		o->ops->release(o, true);
}

size_t rw_server_error(const uint8_t *pkt, size_t len, int rcode, uint8_t *out, size_t cap)
{
	struct rw_client_query q;

	memset(&q, 0, sizeof(q));
	(void)rw_wire_parse_query(pkt, len, &q);
	return rw_wire_error_response(pkt, len, &q, rcode, out, cap);
}

void rw_server_query(struct srv_requests *rq, struct srv_origin *o, const uint8_t *pkt, size_t len,
		     const struct sockaddr *client)
{
	struct rw_resolver *r = rq->w->resolver;
	struct srv_req *req = NULL;
	uint8_t err[RW_DNS_HEADER_LEN + 256 + 4 + RW_OPT_LEN];
	size_t n;

	int rc;

	if (!r || rq->closed)
		return;
	/* The resolver bounds the requests (num-queries-per-thread, and the clients joining
	 * them), after answering cache hits: no cap here, which would come before the cache. */
	req = req_new(rq, o, client);
	if (!req)
		rc = -ENOMEM;
	else {
		rw_resolver_set_stale(r, rq->stale);
		rw_resolver_set_received(r, rq->recv_wall_us, rq->recv_mono_us);
		rc = rw_resolver_query(r, pkt, len, client, rw_daemon_addr_len(client),
				       o->ops->proto, srv_respond, req);
		rw_resolver_set_received(r, 0, 0);
		rw_resolver_set_stale(r, false);
	}
	if (rc == 0)
		return;
	if (rc == -EBUSY) {
		/* Dropped under load, as Unbound does (counted by the resolver): no answer. */
		if (!rq->cap_logged) {
			rq->cap_logged = true;
			rw_daemon_log(RW_LOG_WARNING,
				      "num-queries-per-thread (%u) client queries in progress: "
				      "dropping new ones",
				      rq->w->cfg->num_queries_per_thread);
		}
		srv_respond(req, NULL, 0);
		return;
	}
	/* An internal failure (the resolver will not call back): SERVFAIL. */
	n = rw_server_error(pkt, len, RCODE_SERVFAIL, err, sizeof(err));
	if (req)
		srv_respond(req, err, n);
	else if (n > 0)
		o->ops->reply(o, client, err, n);
}

void rw_server_requests_close(struct srv_requests *rq)
{
	rq->closed = true;
	/* The resolver is gone and will never answer these. */
	while (rq->reqs) {
		struct srv_req *req = rw_dlink_entry(rq->reqs, struct srv_req, link);
		struct srv_origin *o = req->origin;

		req_unlink(req);
		if (o->ops->release)
			o->ops->release(o, false);
	}
}

void rw_server_requests_free(struct srv_requests *rq)
{
	rw_server_requests_close(rq);
	while (rq->spare) {
		struct srv_req *req = rq->spare;
		rq->spare = req->next_spare;
		free(req);
	}
}
