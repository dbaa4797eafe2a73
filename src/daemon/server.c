/* The client side of rootwalkd: a UDP socket (server_udp.c) and a TCP listener (server_tcp.c) on
 * every configured address, whose queries become client requests (server_req.c). This file opens
 * and closes them; server.h says how the four files fit together.
 */
#include <stdlib.h>

#include <netinet/in.h>
#include <uv.h>

#include "daemon.h"
#include "log.h"
#include "server.h"

static void close_listeners(struct rw_server *s)
{
	size_t i;

	for (i = 0; i < s->n_udp; i++)
		rw_server_udp_close(s->udp[i]);
	for (i = 0; i < s->n_tcp; i++)
		rw_server_tcp_close(s->tcp[i]);
	s->n_udp = 0;
	s->n_tcp = 0;
}

struct rw_server *rw_server_new(struct rw_worker *w, unsigned nworkers)
{
	const struct rw_config *cfg = w->cfg;
	struct rw_server *s = calloc(1, sizeof(*s));
	char name[INET6_ADDRSTRLEN + 16];
	size_t i;
	int rc;

	if (!s) {
		rw_daemon_log(RW_LOG_ERR, "out of memory");
		return NULL;
	}
	s->w = w;
	s->nworkers = nworkers ? nworkers : 1;
	s->reuseport = nworkers > 1;
	s->rq.w = w;
	for (i = 0; i < cfg->n_listen && i < RW_CONFIG_MAX_ADDRS; i++) {
		const struct rw_sockaddr *a = &cfg->listen[i];
		const char *proto = "udp";

		rw_daemon_addr_str((const struct sockaddr *)&a->ss, name, sizeof(name));
		rc = rw_server_udp_open(s, a);
		if (rc == 0) {
			proto = "tcp";
			rc = rw_server_tcp_open(s, a);
		}
		if (rc < 0) {
			rw_daemon_log(RW_LOG_ERR, "cannot listen on %s (%s): %s", name, proto,
				      uv_strerror(rc));
			/* The listeners free themselves in their close callbacks. */
			close_listeners(s);
			free(s);
			return NULL;
		}
		if (w->index == 0)
			rw_daemon_log(RW_LOG_INFO, "listening on %s (udp, tcp)", name);
	}
	return s;
}

void rw_server_close(struct rw_server *s)
{
	if (!s || s->closed)
		return;
	s->closed = true;
	rw_server_requests_close(&s->rq);
	rw_stream_set_close(&s->conns);
	close_listeners(s);
}

void rw_server_free(struct rw_server *s)
{
	if (!s)
		return;
	rw_server_close(s);
	rw_server_requests_free(&s->rq);
	free(s);
}
