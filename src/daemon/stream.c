/* A stream connection's life cycle and its listener's cap, shared by the TCP server and the
 * control socket; the growable input buffer, shared with upstream TCP queries. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stream.h"

/* Input buffers. */

void rw_inbuf_init(struct rw_inbuf *b, size_t initial, size_t max)
{
	b->initial = initial;
	b->max = max;
}

void rw_inbuf_consume(struct rw_inbuf *b, size_t n)
{
	b->pos += n;
}

void rw_inbuf_compact(struct rw_inbuf *b)
{
	if (b->pos == 0)
		return;
	memmove(b->p, b->p + b->pos, b->len - b->pos);
	b->len -= b->pos;
	b->pos = 0;
}

void rw_inbuf_alloc(struct rw_inbuf *b, uv_buf_t *buf)
{
	rw_inbuf_compact(b); /* no pointer into the buffer outlives a read callback */
	if (b->cap - b->len < 512 && b->cap < b->max) {
		size_t cap = b->cap ? b->cap * 4 : b->initial;
		uint8_t *p;

		if (cap > b->max)
			cap = b->max;
		p = realloc(b->p, cap);
		if (p) {
			b->p = p;
			b->cap = cap;
		}
	}
	if (!b->p || b->len >= b->cap) {
		*buf = uv_buf_init(NULL, 0); /* the read callback gets UV_ENOBUFS */
		return;
	}
	*buf = uv_buf_init((char *)b->p + b->len, (unsigned)(b->cap - b->len));
}

void rw_inbuf_free(struct rw_inbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->pos = b->cap = 0;
}

/* Streams. */

struct stream_write {
	uv_write_t req;
	struct rw_stream *s;
	char data[];
};

/* After uv_tcp_init/uv_pipe_init of s->h and uv_timer_init of s->timer: take both handles'
 * reference and point their data at s. */
static void stream_init(struct rw_stream *s, const struct rw_stream_ops *ops)
{
	s->ops = ops;
	s->refs = 1; /* the open handles, together */
	s->open_handles = 2;
	s->h.handle.data = s;
	s->timer.data = s;
}

void rw_stream_ref(struct rw_stream *s)
{
	s->refs++;
}

void rw_stream_unref(struct rw_stream *s)
{
	if (--s->refs != 0)
		return;
	rw_inbuf_free(&s->in);
	if (s->ops->free)
		s->ops->free(s);
	else
		free(s);
}

static void close_cb(uv_handle_t *handle)
{
	struct rw_stream *s = handle->data;

	if (--s->open_handles == 0)
		rw_stream_unref(s);
}

void rw_stream_close(struct rw_stream *s)
{
	if (s->closing)
		return;
	s->closing = true;
	if (s->ops->closing)
		s->ops->closing(s);
	/* out of the listener's set: room for another connection */
	if (rw_dlink_remove(&s->link) && --s->set->n < s->set->max)
		s->set->cap_logged = false;
	uv_close(&s->h.handle, close_cb);
	uv_close((uv_handle_t *)&s->timer, close_cb);
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
	struct rw_stream *s = req->data;

	(void)status;
	free(req);
	rw_stream_close(s);
	rw_stream_unref(s);
}

void rw_stream_shutdown(struct rw_stream *s)
{
	uv_shutdown_t *req;

	if (s->closing || s->shutting)
		return;
	s->shutting = true;
	req = malloc(sizeof(*req));
	if (!req) {
		rw_stream_close(s);
		return;
	}
	req->data = s;
	s->refs++;
	if (uv_shutdown(req, &s->h.stream, shutdown_cb) < 0) {
		free(req);
		s->refs--;
		rw_stream_close(s);
	}
}

static void write_cb(uv_write_t *req, int status)
{
	struct stream_write *w = (struct stream_write *)req;
	struct rw_stream *s = w->s;

	free(w);
	if (status < 0)
		rw_stream_close(s);
	else if (!s->closing && s->ops->written)
		s->ops->written(s);
	rw_stream_unref(s);
}

void rw_stream_write(struct rw_stream *s, const void *prefix, size_t plen, const void *data,
		     size_t len)
{
	struct stream_write *w;
	uv_buf_t buf;

	if (s->closing || s->shutting)
		return;
	w = malloc(sizeof(*w) + plen + len);
	if (!w) {
		rw_stream_close(s);
		return;
	}
	if (plen)
		memcpy(w->data, prefix, plen);
	memcpy(w->data + plen, data, len);
	w->s = s;
	s->refs++;
	buf = uv_buf_init(w->data, (unsigned)(plen + len));
	if (uv_write(&w->req, &s->h.stream, &buf, 1, write_cb) < 0) {
		free(w);
		s->refs--; /* the handles' own reference is still held */
		rw_stream_close(s);
	}
}

static void stream_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct rw_stream *s = handle->data;

	(void)suggested;
	rw_inbuf_alloc(&s->in, buf); /* empty when full: read_cb gets UV_ENOBUFS and closes */
}

static void stream_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct rw_stream *s = stream->data;

	(void)buf;
	if (s->closing)
		return;
	if (nread == UV_EOF) {
		/* The client may half-close after its last request: answer, then close. */
		s->eof = true;
		rw_stream_want_read(s, false);
		s->ops->input(s);
		return;
	}
	if (nread < 0) {
		rw_stream_close(s);
		return;
	}
	if (nread == 0)
		return;
	rw_inbuf_received(&s->in, (size_t)nread);
	if (s->ops->touch_on_bytes)
		rw_stream_touch(s);
	s->ops->input(s);
}

void rw_stream_want_read(struct rw_stream *s, bool want)
{
	if (s->closing)
		return;
	if (want && !s->reading) {
		if (uv_read_start(&s->h.stream, stream_alloc_cb, stream_read_cb) < 0) {
			rw_stream_close(s);
			return;
		}
		s->reading = true;
	} else if (!want && s->reading) {
		uv_read_stop(&s->h.stream);
		s->reading = false;
	}
}

size_t rw_stream_wqueue(struct rw_stream *s)
{
	return uv_stream_get_write_queue_size(&s->h.stream);
}

static void stream_idle_cb(uv_timer_t *timer)
{
	struct rw_stream *s = timer->data;

	if (s->ops->busy && s->ops->busy(s))
		return;
	rw_stream_close(s);
}

void rw_stream_touch(struct rw_stream *s)
{
	if (s->closing)
		return;
	s->active_ms = uv_now(s->timer.loop);
	uv_timer_start(&s->timer, stream_idle_cb, s->ops->idle_ms, s->ops->idle_ms);
}

void rw_stream_deadline(struct rw_stream *s, uint64_t ms)
{
	if (!s->closing)
		uv_timer_start(&s->timer, stream_idle_cb, ms, s->ops->idle_ms);
}

/* Listeners. */

static void reject_close_cb(uv_handle_t *handle)
{
	free(handle);
}

/* A connection refused: accept it (left pending it would stall the listener), write msg (may be
 * NULL) if the socket takes it at once, and close it. */
static void stream_reject(uv_stream_t *listener, const char *msg)
{
	union {
		uv_handle_t handle;
		uv_stream_t stream;
		uv_tcp_t tcp;
		uv_pipe_t pipe;
	} *h = malloc(sizeof(*h));
	int rc;

	if (!h)
		return;
	rc = listener->type == UV_NAMED_PIPE ? uv_pipe_init(listener->loop, &h->pipe, 0)
					     : uv_tcp_init(listener->loop, &h->tcp);
	if (rc < 0) {
		free(h);
		return;
	}
	if (uv_accept(listener, &h->stream) == 0 && msg) {
		uv_buf_t buf = uv_buf_init((char *)msg, (unsigned)strlen(msg));
		(void)uv_try_write(&h->stream, &buf, 1);
	}
	uv_close(&h->handle, reject_close_cb);
}

/* The connection of a full set touched longest ago and not busy, or NULL. */
static struct rw_stream *stream_stalest(struct rw_stream_set *set)
{
	struct rw_stream *best = NULL;

	for (struct rw_dlink *l = set->head; l; l = l->next) {
		struct rw_stream *s = rw_dlink_entry(l, struct rw_stream, link);

		if (s->ops->busy && s->ops->busy(s))
			continue;
		/* newest first in the list: on a tie the older one goes */
		if (!best || s->active_ms <= best->active_ms)
			best = s;
	}
	return best;
}

struct rw_stream *rw_stream_accept(struct rw_stream_set *set, uv_stream_t *listener, size_t size,
				   const struct rw_stream_ops *ops)
{
	struct rw_stream *s;
	int rc;

	if (set->n >= set->max && set->evict && (s = stream_stalest(set))) {
		if (!set->cap_logged) {
			set->cap_logged = true;
			rw_daemon_log(RW_LOG_WARNING,
				      "%d %s connections open: closing the one idle longest for "
				      "each new one",
				      (int)set->max, set->name);
		}
		rw_stream_close(s);
		set->cap_logged = true; /* closing it cleared the flag */
	}
	if (set->n >= set->max) {
		if (!set->cap_logged) {
			set->cap_logged = true;
			rw_daemon_log(RW_LOG_WARNING, "%d %s connections open: refusing more",
				      (int)set->max, set->name);
		}
		stream_reject(listener, set->reject);
		return NULL;
	}
	s = calloc(1, size);
	if (!s) {
		stream_reject(listener, set->reject);
		return NULL;
	}
	rc = listener->type == UV_NAMED_PIPE ? uv_pipe_init(listener->loop, &s->h.pipe, 0)
					     : uv_tcp_init(listener->loop, &s->h.tcp);
	if (rc < 0) {
		free(s);
		stream_reject(listener, set->reject);
		return NULL;
	}
	uv_timer_init(listener->loop, &s->timer);
	stream_init(s, ops);
	rw_inbuf_init(&s->in, ops->in_initial, ops->in_max);
	s->set = set;
	rw_dlink_push(&set->head, &s->link);
	set->n++;
	if (uv_accept(listener, &s->h.stream) < 0) {
		rw_stream_close(s);
		return NULL;
	}
	s->active_ms = uv_now(listener->loop);
	uv_timer_start(&s->timer, stream_idle_cb, ops->idle_ms, ops->idle_ms);
	return s;
}

void rw_stream_set_close(struct rw_stream_set *set)
{
	while (set->head)
		rw_stream_close(rw_dlink_entry(set->head, struct rw_stream, link));
}
