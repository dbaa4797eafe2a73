/* The client side of rootwalkd: a UDP socket (server_udp.c) and a TCP listener (server_tcp.c) on
 * every configured address, whose queries become client requests (server_req.c). This file opens
 * and closes them; server.h says how the four files fit together.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>
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

/* Whether addr is free, for type (SOCK_DGRAM or SOCK_STREAM): a plain bind (TCP with
 * SO_REUSEADDR, as libuv binds, so that connections in TIME_WAIT do not count). Returns 0 or a
 * negative errno. The workers bind with SO_REUSEPORT, which would let them join the sockets of
 * another rootwalkd of the same user on that address and share its clients in silence: the first
 * worker looks first, so that a second daemon gets "address in use" as with one thread. */
static int addr_free(const struct sockaddr *sa, int type)
{
	int fd = socket(sa->sa_family, type | SOCK_CLOEXEC, 0), on = 1, rc = 0;

	if (fd < 0)
		return -errno;
	if ((sa->sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) ||
	    (type == SOCK_STREAM &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0) ||
	    bind(fd, sa, rw_daemon_addr_len(sa)) < 0)
		rc = -errno;
	close(fd);
	return rc;
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
		rc = 0;
		if (s->reuseport && w->index == 0) {
			rc = addr_free((const struct sockaddr *)&a->ss, SOCK_DGRAM);
			if (rc == 0) {
				proto = "tcp";
				rc = addr_free((const struct sockaddr *)&a->ss, SOCK_STREAM);
			}
		}
		if (rc == 0) {
			proto = "udp";
			rc = rw_server_udp_open(s, a);
		}
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
