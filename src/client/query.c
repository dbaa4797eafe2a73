/* query.c: `rootwalk query`, one question to one server (query.h).
 *
 * ldns builds the question and prints the reply, but the exchange uses plain POSIX sockets, not
 * ldns's resolver (ldns_resolver, ldns_send), although it is linked. With ldns 1.8.3, ldns_send
 * returns the first datagram that arrives, whatever its ID or question, where rootwalk(1) promises
 * that only a matching reply counts; and it reports every failure as one ldns_status ("General
 * LDNS error" for a refused TCP connection) where this tool prints the errno reason. Its timeout
 * also bounds each wait rather than the whole exchange.
 */
#include "query.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <ldns/ldns.h>
#include <sodium.h>

#include "rootwalk/wire.h"

#include "deadline.h"
#include "exitcode.h"

#define DEFAULT_TIMEOUT_MS 3000
#define MAX_TIMEOUT_MS	   300000
#define UDP_TRIES	   2

struct query_opts {
	struct sockaddr_storage server;
	socklen_t serverlen;
	char server_str[INET6_ADDRSTRLEN + 8];
	const char *name;
	ldns_rr_type type;
	bool tcp;
	int timeout_ms;
};

/* "ADDRESS" or "ADDRESS#PORT", numeric only: no name resolution behind the user's back. */
static int parse_server(const char *s, struct query_opts *o)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *hash = strchr(s, '#');
	size_t n = hash ? (size_t)(hash - s) : strlen(s);
	unsigned long port = 53;
	struct sockaddr_in *in = (struct sockaddr_in *)&o->server;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&o->server;
	char *end;

	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (hash) {
		errno = 0;
		port = strtoul(hash + 1, &end, 10);
		if (errno || *end || end == hash + 1 || port == 0 || port > 65535)
			return -1;
	}
	memset(&o->server, 0, sizeof(o->server));
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		o->serverlen = sizeof(*in);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		o->serverlen = sizeof(*in6);
	} else {
		return -1;
	}
	snprintf(o->server_str, sizeof(o->server_str), "%s#%lu", host, port);
	return 0;
}

static int parse_query_args(int argc, char **argv, struct query_opts *o)
{
	const char *type = NULL;
	int i;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = DEFAULT_TIMEOUT_MS;
	(void)parse_server("127.0.0.1", o);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] == '@') {
			if (parse_server(a + 1, o) < 0) {
				fprintf(stderr, "rootwalk: bad server '%s' (ADDRESS[#PORT])\n", a);
				return -1;
			}
		} else if (strcmp(a, "+tcp") == 0) {
			o->tcp = true;
		} else if (strcmp(a, "+notcp") == 0) {
			o->tcp = false;
		} else if (strncmp(a, "+timeout=", 9) == 0) {
			if (rw_deadline_parse_seconds(a + 9, MAX_TIMEOUT_MS, &o->timeout_ms) < 0) {
				fprintf(stderr, "rootwalk: bad timeout '%s'\n", a + 9);
				return -1;
			}
		} else if (a[0] == '+') {
			fprintf(stderr, "rootwalk: unknown option '%s'\n", a);
			return -1;
		} else if (!o->name) {
			o->name = a;
		} else if (!type) {
			type = a;
		} else {
			fprintf(stderr, "rootwalk: unexpected argument '%s'\n", a);
			return -1;
		}
	}
	if (!o->name) {
		fprintf(stderr, "rootwalk: query: a NAME is needed\n");
		return -1;
	}
	o->type = LDNS_RR_TYPE_A;
	if (type) {
		o->type = ldns_get_rr_type_by_name(type);
		if (o->type == 0) {
			fprintf(stderr, "rootwalk: unknown type '%s'\n", type);
			return -1;
		}
	}
	return 0;
}

/* Build the query. Returns the wire form (caller frees) or NULL after printing why. */
static uint8_t *build_query(const struct query_opts *o, uint16_t id, size_t *len)
{
	ldns_rdf *name;
	ldns_pkt *pkt;
	uint8_t *wire = NULL;
	ldns_status st;

	name = ldns_dname_new_frm_str(o->name);
	if (!name) {
		fprintf(stderr, "rootwalk: bad name '%s'\n", o->name);
		return NULL;
	}
	pkt = ldns_pkt_query_new(name, o->type, LDNS_RR_CLASS_IN, LDNS_RD);
	if (!pkt) {
		ldns_rdf_deep_free(name);
		fprintf(stderr, "rootwalk: out of memory\n");
		return NULL;
	}
	ldns_pkt_set_id(pkt, id);
	ldns_pkt_set_edns_udp_size(pkt, RW_EDNS_BUFSIZE);
	st = ldns_pkt2wire(&wire, pkt, len);
	ldns_pkt_free(pkt);
	if (st != LDNS_STATUS_OK) {
		fprintf(stderr, "rootwalk: cannot build query: %s\n", ldns_get_errorstr_by_id(st));
		return NULL;
	}
	return wire;
}

/* Is pkt a reply to our query (same ID, QR set, same question)? */
static bool is_reply(const uint8_t *q, size_t qlen, const uint8_t *pkt, size_t len)
{
	uint8_t name[256], qname[256];
	size_t off = RW_DNS_HEADER_LEN, qoff = RW_DNS_HEADER_LEN;
	int n, qn;

	if (len < RW_DNS_HEADER_LEN || pkt[0] != q[0] || pkt[1] != q[1] ||
	    !(rw_get16(pkt + 2) & RW_FLAG_QR))
		return false;
	/* A reply without a question (some error replies) is accepted on its ID alone. */
	if (pkt[4] == 0 && pkt[5] == 0)
		return true;
	n = rw_wire_read_name(pkt, len, &off, name);
	qn = rw_wire_read_name(q, qlen, &qoff, qname);
	if (n < 0 || qn < 0 || !rw_wire_name_equal(name, (size_t)n, qname, (size_t)qn))
		return false;
	/* Type and class. */
	return off + 4 <= len && qoff + 4 <= qlen && memcmp(pkt + off, q + qoff, 4) == 0;
}

static int open_socket(const struct query_opts *o, int type)
{
	int fd = socket(o->server.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		fprintf(stderr, "rootwalk: socket: %s\n", strerror(errno));
	return fd;
}

/* One UDP exchange with retries. Returns the reply length, 0 on timeout, -1 on error (after
 * printing why). */
static ssize_t query_udp(const struct query_opts *o, const uint8_t *q, size_t qlen, uint8_t *buf,
			 size_t cap)
{
	int fd, try, rc;
	ssize_t n;

	fd = open_socket(o, SOCK_DGRAM);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&o->server, o->serverlen) < 0) {
		fprintf(stderr, "rootwalk: connect %s: %s\n", o->server_str, strerror(errno));
		close(fd);
		return -1;
	}
	for (try = 0; try < UDP_TRIES; try++) {
		int64_t deadline = rw_deadline_now_ms() + o->timeout_ms;

		if (send(fd, q, qlen, 0) < 0) {
			fprintf(stderr, "rootwalk: send to %s: %s\n", o->server_str,
				strerror(errno));
			close(fd);
			return -1;
		}
		while ((rc = rw_deadline_wait_fd(fd, POLLIN, deadline)) > 0) {
			n = recv(fd, buf, cap, 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n < 0) {
				fprintf(stderr, "rootwalk: %s: %s\n", o->server_str,
					strerror(errno));
				close(fd);
				return -1;
			}
			if (is_reply(q, qlen, buf, (size_t)n)) {
				close(fd);
				return n;
			}
			/* Not our reply (late, spoofed or garbled): keep waiting. */
		}
		if (rc < 0) {
			fprintf(stderr, "rootwalk: poll: %s\n", strerror(errno));
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

/* One TCP exchange (RFC 1035 4.2.2 framing). Returns as query_udp. */
static ssize_t query_tcp(const struct query_opts *o, const uint8_t *q, size_t qlen, uint8_t *buf,
			 size_t cap)
{
	int64_t deadline = rw_deadline_now_ms() + o->timeout_ms;
	uint8_t *out, pre[2];
	size_t len;
	int fd, rc, err = 0;
	socklen_t errlen = sizeof(err);

	fd = open_socket(o, SOCK_STREAM);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&o->server, o->serverlen) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		rc = rw_deadline_wait_fd(fd, POLLOUT, deadline);
		if (rc <= 0)
			goto out;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0 || err != 0) {
			errno = err ? err : errno;
			goto fail;
		}
	}
	out = malloc(qlen + 2);
	if (!out)
		goto fail;
	out[0] = (uint8_t)(qlen >> 8);
	out[1] = (uint8_t)qlen;
	memcpy(out + 2, q, qlen);
	rc = rw_deadline_write_full(fd, out, qlen + 2, deadline);
	free(out);
	if (rc <= 0)
		goto out;
	/* The server may send other frames first only if we pipelined; we did not. */
	rc = rw_deadline_read_full(fd, pre, 2, deadline);
	if (rc <= 0)
		goto out;
	len = (size_t)pre[0] << 8 | pre[1];
	if (len == 0 || len > cap) {
		errno = EBADMSG;
		goto fail;
	}
	rc = rw_deadline_read_full(fd, buf, len, deadline);
	if (rc <= 0)
		goto out;
	if (!is_reply(q, qlen, buf, len)) {
		errno = EBADMSG;
		goto fail;
	}
	close(fd);
	return (ssize_t)len;
out:
	if (rc == 0) {
		close(fd);
		return 0;
	}
fail:
	fprintf(stderr, "rootwalk: %s (tcp): %s\n", o->server_str, strerror(errno));
	close(fd);
	return -1;
}

static int print_reply(const struct query_opts *o, const uint8_t *buf, size_t len, bool tcp,
		       int64_t elapsed)
{
	ldns_pkt *pkt = NULL;
	ldns_status st = ldns_wire2pkt(&pkt, buf, len);
	struct timeval now;
	ldns_rdf *from;

	if (st != LDNS_STATUS_OK) {
		fprintf(stderr, "rootwalk: %s: unparseable reply (%zu bytes): %s\n", o->server_str,
			len, ldns_get_errorstr_by_id(st));
		return RW_EXIT_REFUSED;
	}
	from = ldns_sockaddr_storage2rdf(&o->server, NULL);
	if (from)
		ldns_pkt_set_answerfrom(pkt, from);
	ldns_pkt_set_querytime(pkt, (uint32_t)elapsed);
	gettimeofday(&now, NULL);
	ldns_pkt_set_timestamp(pkt, now);
	ldns_pkt_set_size(pkt, len);
	ldns_pkt_print(stdout, pkt);
	printf(";; over %s\n", tcp ? "tcp" : "udp");
	ldns_pkt_free(pkt);
	return fflush(stdout) == 0 ? RW_EXIT_OK : RW_EXIT_REFUSED;
}

int rw_query_run(int argc, char **argv)
{
	struct query_opts o;
	uint16_t id;
	uint8_t *q, *buf;
	size_t qlen;
	ssize_t n;
	int64_t start;
	bool tcp;
	int rc;

	if (sodium_init() < 0) {
		fprintf(stderr, "rootwalk: libsodium failed to initialise\n");
		return RW_EXIT_REFUSED;
	}
	if (parse_query_args(argc, argv, &o) < 0)
		return RW_EXIT_USAGE;
	randombytes_buf(&id, sizeof(id));
	q = build_query(&o, id, &qlen);
	if (!q)
		return RW_EXIT_REFUSED;
	buf = malloc(RW_MAX_MSG);
	if (!buf) {
		free(q);
		return RW_EXIT_REFUSED;
	}
	tcp = o.tcp;
	start = rw_deadline_now_ms();
	n = tcp ? query_tcp(&o, q, qlen, buf, RW_MAX_MSG) : query_udp(&o, q, qlen, buf, RW_MAX_MSG);
	if (n > 0 && !tcp && (rw_get16(buf + 2) & RW_FLAG_TC)) {
		fprintf(stderr, ";; Truncated, retrying over TCP.\n");
		tcp = true;
		n = query_tcp(&o, q, qlen, buf, RW_MAX_MSG);
	}
	if (n == 0)
		fprintf(stderr, "rootwalk: no reply from %s over %s within %d ms%s\n", o.server_str,
			tcp ? "tcp" : "udp", o.timeout_ms, tcp ? "" : " (2 tries)");
	rc = n > 0 ? print_reply(&o, buf, (size_t)n, tcp, rw_deadline_now_ms() - start)
		   : RW_EXIT_REFUSED;
	free(buf);
	free(q);
	return rc;
}
