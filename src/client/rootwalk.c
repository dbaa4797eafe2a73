/* rootwalk: the command-line client.
 *
 *   rootwalk query [@SERVER[#PORT]] NAME [TYPE] [+tcp] [+timeout=SEC]
 *   rootwalk check-conf FILE
 *   rootwalk version
 *
 * `query` sends one question (RD set, EDNS0 with a 1232-byte buffer) with plain POSIX sockets and
 * prints the reply in presentation form. UDP is tried twice at most; a truncated UDP reply is
 * retried over TCP. Every wait is bounded by the timeout. The control-socket commands come later.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <ldns/ldns.h>
#include <sodium.h>

#include "rootwalk/config.h"
#include "rootwalk/hints.h"
#include "rootwalk/wire.h"

#ifndef RW_VERSION
#define RW_VERSION "unknown"
#endif

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

static void usage(FILE *f)
{
	fprintf(f, "usage: rootwalk COMMAND [ARGS]\n"
		   "  query [@SERVER[#PORT]] NAME [TYPE] [+tcp] [+timeout=SEC]\n"
		   "                          ask SERVER (default 127.0.0.1#53) one question\n"
		   "  check-conf FILE         check a rootwalkd configuration and its root hints\n"
		   "  version                 print the version\n"
		   "  --help                  this help\n");
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events or the deadline passes. Returns 1 ready, 0 timeout, -1
 * error (errno set). */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left;
	int rc;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		if (rc == 0)
			return 0;
		return 1;
	}
}

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

static int parse_timeout(const char *s, int *ms)
{
	char *end;
	double sec;

	errno = 0;
	sec = strtod(s, &end);
	if (errno || *end || end == s || !(sec > 0) || sec * 1000 > MAX_TIMEOUT_MS)
		return -1;
	*ms = (int)(sec * 1000);
	if (*ms < 1)
		*ms = 1;
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
			if (parse_timeout(a + 9, &o->timeout_ms) < 0) {
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

	if (len < RW_DNS_HEADER_LEN || pkt[0] != q[0] || pkt[1] != q[1] || !(pkt[2] & 0x80))
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
		int64_t deadline = now_ms() + o->timeout_ms;

		if (send(fd, q, qlen, 0) < 0) {
			fprintf(stderr, "rootwalk: send to %s: %s\n", o->server_str,
				strerror(errno));
			close(fd);
			return -1;
		}
		while ((rc = wait_fd(fd, POLLIN, deadline)) > 0) {
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

/* Read exactly len bytes by the deadline. Returns 1, 0 on timeout, -1 on error or EOF. */
static int read_full(int fd, uint8_t *buf, size_t len, int64_t deadline)
{
	size_t got = 0;
	int rc;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc <= 0)
			return rc;
	}
	return 1;
}

static int write_full(int fd, const uint8_t *buf, size_t len, int64_t deadline)
{
	size_t done = 0;
	int rc;

	while (done < len) {
		ssize_t n = send(fd, buf + done, len - done, MSG_NOSIGNAL);

		if (n >= 0) {
			done += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		rc = wait_fd(fd, POLLOUT, deadline);
		if (rc <= 0)
			return rc;
	}
	return 1;
}

/* One TCP exchange (RFC 1035 4.2.2 framing). Returns as query_udp. */
static ssize_t query_tcp(const struct query_opts *o, const uint8_t *q, size_t qlen, uint8_t *buf,
			 size_t cap)
{
	int64_t deadline = now_ms() + o->timeout_ms;
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
		rc = wait_fd(fd, POLLOUT, deadline);
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
	rc = write_full(fd, out, qlen + 2, deadline);
	free(out);
	if (rc <= 0)
		goto out;
	/* The server may send other frames first only if we pipelined; we did not. */
	rc = read_full(fd, pre, 2, deadline);
	if (rc <= 0)
		goto out;
	len = (size_t)pre[0] << 8 | pre[1];
	if (len == 0 || len > cap) {
		errno = EBADMSG;
		goto fail;
	}
	rc = read_full(fd, buf, len, deadline);
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
		return 1;
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
	return fflush(stdout) == 0 ? 0 : 1;
}

static int cmd_query(int argc, char **argv)
{
	struct query_opts o;
	uint16_t id;
	uint8_t *q, *buf;
	size_t qlen;
	ssize_t n;
	int64_t start;
	bool tcp;
	int rc;

	if (parse_query_args(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	randombytes_buf(&id, sizeof(id));
	q = build_query(&o, id, &qlen);
	if (!q)
		return 1;
	buf = malloc(RW_MAX_MSG);
	if (!buf) {
		free(q);
		return 1;
	}
	tcp = o.tcp;
	start = now_ms();
	n = tcp ? query_tcp(&o, q, qlen, buf, RW_MAX_MSG) : query_udp(&o, q, qlen, buf, RW_MAX_MSG);
	if (n > 0 && !tcp && (buf[2] & 0x02)) {
		fprintf(stderr, ";; Truncated, retrying over TCP.\n");
		tcp = true;
		n = query_tcp(&o, q, qlen, buf, RW_MAX_MSG);
	}
	if (n == 0)
		fprintf(stderr, "rootwalk: no reply from %s over %s within %d ms%s\n", o.server_str,
			tcp ? "tcp" : "udp", o.timeout_ms, tcp ? "" : " (2 tries)");
	rc = n > 0 ? print_reply(&o, buf, (size_t)n, tcp, now_ms() - start) : 1;
	free(buf);
	free(q);
	return rc;
}

static int cmd_check_conf(const char *path)
{
	struct rw_config *cfg = NULL;
	struct rw_hints *hints;
	char err[512];

	if (rw_config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	hints = rw_hints_load(cfg->root_hints, err, sizeof(err));
	rw_config_free(cfg);
	if (!hints) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	rw_hints_free(hints);
	printf("%s: ok\n", path);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("rootwalk %s\n", RW_VERSION);
		return 0;
	}
	if (strcmp(cmd, "check-conf") == 0) {
		if (argc != 3) {
			usage(stderr);
			return 2;
		}
		return cmd_check_conf(argv[2]);
	}
	if (strcmp(cmd, "query") == 0) {
		if (sodium_init() < 0) {
			fprintf(stderr, "rootwalk: libsodium failed to initialise\n");
			return 1;
		}
		return cmd_query(argc - 2, argv + 2);
	}
	fprintf(stderr, "rootwalk: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
