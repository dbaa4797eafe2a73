/* dnstap output: see dnstap.h.
 *
 * The file goes through fstrm's file writer. The Unix socket goes through fstrm's writer and I/O
 * thread too, over our own fstrm_rdwr (socket_open, socket_write...) rather than
 * fstrm_unix_writer: fstrm's I/O thread silently discards what is queued while no reader is
 * connected, so submitting would look like success. Our transport sets `connected` when it has a
 * reader and clears it when the connection fails, so such messages are dropped, and counted, at
 * submission instead, before they are even encoded.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <fstrm.h>

#include "daemon.h"
#include "dnstap.h"
#include "dnstap.pb-c.h"

#define CONTENT_TYPE "protobuf:dnstap.Dnstap"
#define IO_TIMEOUT_S 2 /* a reader that stops reading: the write fails, the frames are lost */

struct rw_dnstap {
	struct fstrm_iothr *iothr;
	char *path;
	bool is_socket;
	atomic_bool connected; /* the socket has a reader (always true for a file) */
	int fd;		       /* the socket, in the I/O thread only */
	int phase;	       /* of the handshake (I/O thread): 1 connected, 2 ACCEPT read */
	ProtobufCBinaryData identity, version;
	bool has_identity, has_version;
};

/* struct rw_dnstap_queue is fstrm's struct fstrm_iothr_queue, under our name. */

/* The socket transport, run by fstrm's I/O thread. */

static fstrm_res socket_open(void *obj)
{
	struct rw_dnstap *t = obj;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = IO_TIMEOUT_S};

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", t->path);
	t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		return fstrm_res_failure;
	(void)setsockopt(t->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(t->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(t->fd);
		t->fd = -1;
		return fstrm_res_failure;
	}
	/* not yet `connected`: fstrm's writer first sends READY, reads ACCEPT and sends START
	 * (socket_read, socket_write); what is queued before it has opened is discarded */
	t->phase = 1;
	return fstrm_res_success;
}

static fstrm_res socket_close(void *obj)
{
	struct rw_dnstap *t = obj;

	atomic_store(&t->connected, false);
	t->phase = 0;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	return fstrm_res_success;
}

static fstrm_res socket_read(void *obj, void *data, size_t count)
{
	struct rw_dnstap *t = obj;
	uint8_t *p = data;

	while (count > 0) {
		ssize_t n = read(t->fd, p, count);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return fstrm_res_stop;
		if (n < 0)
			return fstrm_res_failure;
		p += n;
		count -= (size_t)n;
	}
	if (t->phase == 1)
		t->phase = 2; /* the reader's ACCEPT */
	return fstrm_res_success;
}

static fstrm_res socket_write(void *obj, const struct iovec *iov, int iovcnt)
{
	struct rw_dnstap *t = obj;
	struct iovec v[64];
	size_t done = 0;

	/* a partial write continues where it stopped, in slices of at most 64 iovecs */
	for (int i = 0; i < iovcnt;) {
		int n = iovcnt - i < 64 ? iovcnt - i : 64;
		memcpy(v, iov + i, (size_t)n * sizeof(*v));
		v[0].iov_base = (uint8_t *)v[0].iov_base + done;
		v[0].iov_len -= done;
		struct msghdr mh = {.msg_iov = v, .msg_iovlen = (size_t)n};
		ssize_t w = sendmsg(t->fd, &mh, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return fstrm_res_failure;
		size_t left = (size_t)w;
		while (i < iovcnt && left >= iov[i].iov_len - done) {
			left -= iov[i].iov_len - done;
			done = 0;
			i++;
		}
		done += left;
	}
	if (t->phase == 2 && !atomic_load(&t->connected))
		atomic_store(&t->connected, true); /* START is out: the writer is open */
	return fstrm_res_success;
}

static struct fstrm_writer *socket_writer(struct rw_dnstap *t, struct fstrm_writer_options *wopt)
{
	struct fstrm_rdwr *rdwr = fstrm_rdwr_init(t);

	if (!rdwr)
		return NULL;
	fstrm_rdwr_set_open(rdwr, socket_open);
	fstrm_rdwr_set_close(rdwr, socket_close);
	fstrm_rdwr_set_read(rdwr, socket_read); /* bidirectional: READY, ACCEPT, START */
	fstrm_rdwr_set_write(rdwr, socket_write);
	struct fstrm_writer *w = fstrm_writer_init(wopt, &rdwr);
	if (!w)
		fstrm_rdwr_destroy(&rdwr);
	return w;
}

static struct fstrm_writer *file_writer(struct rw_dnstap *t, struct fstrm_writer_options *wopt,
					char *err, size_t errlen)
{
	/* fstrm opens the file in its thread and would say nothing if it cannot: try first */
	int fd = open(t->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		snprintf(err, errlen, "dnstap-file %s: %s", t->path, strerror(errno));
		return NULL;
	}
	close(fd);
	struct fstrm_file_options *fopt = fstrm_file_options_init();
	if (!fopt)
		return NULL;
	fstrm_file_options_set_file_path(fopt, t->path);
	struct fstrm_writer *w = fstrm_file_writer_init(fopt, wopt);
	fstrm_file_options_destroy(&fopt);
	atomic_store(&t->connected, w != NULL);
	return w;
}

static int start_thread(struct rw_dnstap *t, unsigned nqueues, char *err, size_t errlen)
{
	struct fstrm_writer_options *wopt = fstrm_writer_options_init();
	struct fstrm_writer *w = NULL;

	err[0] = '\0';
	if (wopt && fstrm_writer_options_add_content_type(
			    wopt, CONTENT_TYPE, strlen(CONTENT_TYPE)) == fstrm_res_success)
		w = t->is_socket ? socket_writer(t, wopt) : file_writer(t, wopt, err, errlen);
	fstrm_writer_options_destroy(&wopt);
	if (!w) {
		if (!err[0])
			snprintf(err, errlen, "dnstap: out of memory");
		return -1;
	}
	struct fstrm_iothr_options *io = fstrm_iothr_options_init();
	if (io)
		fstrm_iothr_options_set_num_input_queues(io, nqueues ? nqueues : 1);
	/* fstrm's I/O thread inherits the mask: signals are the main loop's */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	t->iothr = io ? fstrm_iothr_init(io, &w) : NULL;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	fstrm_iothr_options_destroy(&io);
	if (!t->iothr) {
		fstrm_writer_destroy(&w);
		snprintf(err, errlen, "dnstap: cannot start the I/O thread");
		return -1;
	}
	return 0;
}

static void set_bytes(ProtobufCBinaryData *b, bool *has, const char *s)
{
	*has = s != NULL;
	b->data = (uint8_t *)s;
	b->len = s ? strlen(s) : 0;
}

struct rw_dnstap *rw_dnstap_open(const struct rw_config *cfg, unsigned nqueues, char *err,
				 size_t errlen)
{
	err[0] = '\0';
	if (!cfg->dnstap)
		return NULL;
	if (!cfg->dnstap_socket_path == !cfg->dnstap_file) {
		snprintf(err, errlen,
			 "dnstap: yes needs one of dnstap-socket-path and dnstap-file");
		return NULL;
	}
	if (cfg->dnstap_socket_path &&
	    strlen(cfg->dnstap_socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "dnstap-socket-path %s: too long for a Unix socket",
			 cfg->dnstap_socket_path);
		return NULL;
	}
	struct rw_dnstap *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "dnstap: out of memory");
		return NULL;
	}
	t->fd = -1;
	t->is_socket = cfg->dnstap_socket_path != NULL;
	t->path = strdup(t->is_socket ? cfg->dnstap_socket_path : cfg->dnstap_file);
	char *id = cfg->dnstap_identity ? strdup(cfg->dnstap_identity) : NULL;
	char *ver = cfg->dnstap_version ? strdup(cfg->dnstap_version) : NULL;
	set_bytes(&t->identity, &t->has_identity, id);
	set_bytes(&t->version, &t->has_version, ver);
	if (!t->path || (cfg->dnstap_identity && !id) || (cfg->dnstap_version && !ver)) {
		snprintf(err, errlen, "dnstap: out of memory");
		rw_dnstap_close(t);
		return NULL;
	}
	if (start_thread(t, nqueues, err, errlen) < 0) {
		rw_dnstap_close(t);
		return NULL;
	}
	return t;
}

struct rw_dnstap_queue *rw_dnstap_queue(struct rw_dnstap *t)
{
	return (struct rw_dnstap_queue *)fstrm_iothr_get_input_queue(t->iothr);
}

static Dnstap__Message__Type msg_type(enum rw_tap_type type)
{
	switch (type) {
	case RW_TAP_CLIENT_QUERY:
		return DNSTAP__MESSAGE__TYPE__CLIENT_QUERY;
	case RW_TAP_CLIENT_RESPONSE:
		return DNSTAP__MESSAGE__TYPE__CLIENT_RESPONSE;
	case RW_TAP_RESOLVER_QUERY:
		return DNSTAP__MESSAGE__TYPE__RESOLVER_QUERY;
	case RW_TAP_RESOLVER_RESPONSE:
		break;
	}
	return DNSTAP__MESSAGE__TYPE__RESOLVER_RESPONSE;
}

/* The peer's address and port: the initiator's (query_*) for client messages, the
 * responder's (response_*) for resolver messages. */
static void set_peer(Dnstap__Message *dm, const struct rw_tap_msg *m)
{
	const struct sockaddr *sa = m->peer;
	ProtobufCBinaryData addr = {0};
	uint32_t port = 0;

	if (sa && sa->sa_family == AF_INET && m->peerlen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		addr = (ProtobufCBinaryData){4, (uint8_t *)&in->sin_addr};
		port = ntohs(in->sin_port);
		dm->socket_family = DNSTAP__SOCKET_FAMILY__INET;
	} else if (sa && sa->sa_family == AF_INET6 && m->peerlen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		addr = (ProtobufCBinaryData){16, (uint8_t *)&in6->sin6_addr};
		port = ntohs(in6->sin6_port);
		dm->socket_family = DNSTAP__SOCKET_FAMILY__INET6;
	} else {
		return;
	}
	dm->has_socket_family = true;
	if (m->type == RW_TAP_CLIENT_QUERY || m->type == RW_TAP_CLIENT_RESPONSE) {
		dm->has_query_address = dm->has_query_port = true;
		dm->query_address = addr;
		dm->query_port = port;
	} else {
		dm->has_response_address = dm->has_response_port = true;
		dm->response_address = addr;
		dm->response_port = port;
	}
}

static void set_time(uint64_t *sec, uint32_t *nsec, protobuf_c_boolean *has_sec,
		     protobuf_c_boolean *has_nsec, int64_t us)
{
	if (us <= 0)
		return;
	*sec = (uint64_t)(us / 1000000);
	*nsec = (uint32_t)(us % 1000000) * 1000u;
	*has_sec = *has_nsec = true;
}

/* Protobuf's varint: 7 bits a byte, low first. Returns the bytes written (at most 5 here). */
static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t put_bytes(uint8_t *p, uint8_t tag, const ProtobufCBinaryData *b)
{
	size_t n = 0;

	p[n++] = tag;
	n += put_varint(p + n, b->len);
	memcpy(p + n, b->data, b->len);
	return n + b->len;
}

static void free_frame(void *data, void *base)
{
	(void)data;
	free(base);
}

/* The frame: the Dnstap envelope around dm. protobuf-c packs dm, once; the envelope (identity
 * = 1, version = 2, message = 14, type = 15, as dnstap.proto numbers them) is written here:
 * packing the envelope with protobuf-c sized the message twice (get_packed_size for the
 * frame, then again for the nested message), 20% of the loop's time with every message on.
 * dm is packed at a fixed offset and the envelope's head written just before it, so the frame
 * starts inside the allocation (freed through free_frame). var: the message's and zone's bytes,
 * for the bound of dm's size: at most 69 bytes more (type, family, protocol, a 16-byte address,
 * a port, two times, two length prefixes). */
static int submit_frame(struct rw_dnstap *t, struct fstrm_iothr_queue *q, const Dnstap__Message *dm,
			size_t var)
{
	size_t head = (t->has_identity ? 6 + t->identity.len : 0) +
		      (t->has_version ? 6 + t->version.len : 0) + 6;
	uint8_t *base = malloc(head + var + 128 + 2), *p = base + head;
	if (!base)
		return -ENOMEM;
	size_t n = dnstap__message__pack(dm, p);
	p[n] = 15 << 3 | 0; /* type: MESSAGE */
	p[n + 1] = DNSTAP__DNSTAP__TYPE__MESSAGE;
	size_t hn = 1 + varint_len(n);
	if (t->has_identity)
		hn += 1 + varint_len(t->identity.len) + t->identity.len;
	if (t->has_version)
		hn += 1 + varint_len(t->version.len) + t->version.len;
	uint8_t *start = p - hn, *w = start; /* hn <= head: start is inside the allocation */
	if (t->has_identity)
		w += put_bytes(w, 1 << 3 | 2, &t->identity);
	if (t->has_version)
		w += put_bytes(w, 2 << 3 | 2, &t->version);
	*w++ = 14 << 3 | 2; /* message, length-delimited */
	put_varint(w, n);
	fstrm_res res = fstrm_iothr_submit(t->iothr, q, start, hn + n + 2, free_frame, base);
	if (res != fstrm_res_success) {
		free(base); /* not taken: still ours */
		return -EAGAIN;
	}
	return 0;
}

int rw_dnstap_submit(struct rw_dnstap *t, struct rw_dnstap_queue *q, const struct rw_tap_msg *m)
{
	Dnstap__Message dm = DNSTAP__MESSAGE__INIT;
	ProtobufCBinaryData wire = {m->len, (uint8_t *)m->wire};
	bool response = m->type == RW_TAP_CLIENT_RESPONSE || m->type == RW_TAP_RESOLVER_RESPONSE;

	if (!q || !atomic_load_explicit(&t->connected, memory_order_relaxed))
		return -ENOTCONN; /* dropped before the work of encoding it */
	dm.type = msg_type(m->type);
	dm.has_socket_protocol = true;
	dm.socket_protocol = m->tcp ? DNSTAP__SOCKET_PROTOCOL__TCP : DNSTAP__SOCKET_PROTOCOL__UDP;
	set_peer(&dm, m);
	set_time(&dm.query_time_sec, &dm.query_time_nsec, &dm.has_query_time_sec,
		 &dm.has_query_time_nsec, m->query_us);
	if (response) {
		set_time(&dm.response_time_sec, &dm.response_time_nsec, &dm.has_response_time_sec,
			 &dm.has_response_time_nsec, m->response_us);
		dm.has_response_message = true;
		dm.response_message = wire;
	} else {
		dm.has_query_message = true;
		dm.query_message = wire;
	}
	if (m->zone && m->zone_len) {
		dm.has_query_zone = true;
		dm.query_zone = (ProtobufCBinaryData){m->zone_len, (uint8_t *)m->zone};
	}
	return submit_frame(t, (struct fstrm_iothr_queue *)q, &dm, m->len + m->zone_len);
}

static int env_dnstap(void *ctx, const struct rw_tap_msg *m)
{
	struct rw_worker *w = ctx;

	return rw_dnstap_submit(w->d->dnstap, w->dnstap_q, m);
}

int rw_dnstap_start(struct rw_daemon *d, unsigned nqueues, char *err, size_t errlen)
{
	err[0] = '\0';
	d->dnstap = rw_dnstap_open(d->cfg, nqueues, err, errlen);
	if (!d->dnstap)
		return err[0] ? -1 : 0;
	return 0;
}

void rw_dnstap_attach(struct rw_dnstap *t, struct rw_worker *w)
{
	if (!t)
		return;
	w->dnstap_q = rw_dnstap_queue(t);
	if (w->dnstap_q)
		w->env.dnstap = env_dnstap;
}

const char *rw_dnstap_describe(const struct rw_dnstap *t, char *buf, size_t len)
{
	if (!t)
		snprintf(buf, len, "off");
	else if (!t->is_socket)
		snprintf(buf, len, "file %s", t->path);
	else
		snprintf(buf, len, "socket %s (%s)", t->path,
			 atomic_load(&t->connected) ? "connected" : "no reader");
	return buf;
}

void rw_dnstap_close(struct rw_dnstap *t)
{
	if (!t)
		return;
	fstrm_iothr_destroy(&t->iothr); /* drains the queues, closes the writer, joins */
	free(t->path);
	free(t->identity.data);
	free(t->version.data);
	free(t);
}
