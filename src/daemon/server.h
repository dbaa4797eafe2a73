/* The client side of rootwalkd, inside: the files behind rw_server_new() (daemon.h).
 *
 * server.c     opens and closes the listeners on every configured address (the public API);
 * server_udp.c UDP sockets: batched reads and replies;
 * server_tcp.c TCP listeners and connections (RFC 7766 framing, pipelining, idle timeout);
 * server_req.c client requests: hand each query to the resolver, answer it through its origin.
 *
 * Layers: server.c calls the three others; server_udp.c and server_tcp.c call server_req.c;
 * server_req.c reaches a UDP socket or a TCP connection only through its origin's ops, so no two
 * of these files call each other in a circle.
 */
#ifndef RW_DAEMON_SERVER_H
#define RW_DAEMON_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "daemon.h"
#include "list.h"
#include "stream.h"
#include "rootwalk/resolver.h"

/* Where a client query came from and where its answer goes: a UDP socket or a TCP connection,
 * which embeds this struct. */
struct srv_origin {
	const struct srv_origin_ops *ops;
};

struct srv_origin_ops {
	enum rw_proto proto;
	/* Send one answer (at most RW_MAX_MSG bytes) to client. */
	void (*reply)(struct srv_origin *o, const struct sockaddr *client, const uint8_t *resp,
		      size_t len);
	/* Optional: a request from o is under way (hold); it ended (release), answered by the
	 * resolver or, when answered is false, dropped because the server closes. */
	void (*hold)(struct srv_origin *o);
	void (*release)(struct srv_origin *o, bool answered);
};

struct srv_req;

/* The client requests being resolved. */
struct srv_requests {
	struct rw_worker *w;   /* borrowed: its resolver answers them */
	struct rw_dlink *reqs; /* struct srv_req */
	size_t n_reqs;
	/* Finished requests kept for reuse, so that a cache hit allocates nothing. */
	struct srv_req *spare;
	size_t n_spare;
	bool closed;
	bool cap_logged;
	bool stale; /* the query now handed in waited long in its socket (rw_resolver_set_stale) */
	/* the batch of queries now handed in was read then (rw_resolver_set_received); 0: unknown */
	int64_t recv_wall_us;
	uint64_t recv_mono_us;
};

struct srv_udp;
struct srv_listener;

struct rw_server {
	struct rw_worker *w;
	bool reuseport;	   /* SO_REUSEPORT: every worker binds the same addresses */
	unsigned nworkers; /* workers listening on them, each with its share of the caps */
	struct srv_udp *udp[RW_CONFIG_MAX_ADDRS];
	struct srv_listener *tcp[RW_CONFIG_MAX_ADDRS];
	size_t n_udp, n_tcp;
	struct rw_stream_set conns; /* open TCP connections */
	struct srv_requests rq;
	bool closed;
};

/* server_req.c */

/* Hand one client packet (len bytes from client, which must be AF_INET or AF_INET6) to the
 * resolver. The answer goes back through o, now or later; a query the resolver drops under load
 * (num-queries-per-thread) gets no answer, as in Unbound; after an internal failure o gets
 * SERVFAIL at once. Nothing happens once the requests are closed. pkt is borrowed for the
 * call. */
void rw_server_query(struct srv_requests *rq, struct srv_origin *o, const uint8_t *pkt, size_t len,
		     const struct sockaddr *client);
/* An error answer with rcode to a query the resolver will not see: whatever of it parses is
 * echoed. Returns its length in out, 0 when pkt is too short to answer. */
size_t rw_server_error(const uint8_t *pkt, size_t len, int rcode, uint8_t *out, size_t cap);
/* Drop every request without answering (each origin's release runs, answered false) and take no
 * more. For after the resolver is freed: it will never answer them. */
void rw_server_requests_close(struct srv_requests *rq);
/* Close, then free the spare requests. */
void rw_server_requests_free(struct srv_requests *rq);

/* server_udp.c */

/* Open a UDP socket on addr, answering through s->rq, as s->udp[s->n_udp++]. Returns 0 or a
 * negative (libuv or errno) code; a socket added to s->udp is closed by rw_server_udp_close. */
int rw_server_udp_open(struct rw_server *s, const struct rw_sockaddr *addr);
/* Stop reading; the socket and its unsent replies are freed in the close callback. */
void rw_server_udp_close(struct srv_udp *u);

/* server_tcp.c */

/* Open a TCP listener on addr as s->tcp[s->n_tcp++]; its connections join s->conns and hand
 * their queries to s->rq. Returns 0 or a negative libuv code; a listener added to s->tcp is
 * closed by rw_server_tcp_close. */
int rw_server_tcp_open(struct rw_server *s, const struct rw_sockaddr *addr);
/* Close the listener (not its connections: rw_stream_set_close(&s->conns)). Freed in the close
 * callback. */
void rw_server_tcp_close(struct srv_listener *l);

#endif
