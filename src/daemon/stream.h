/* A stream connection (TCP client, control-socket client): the life cycle both share, the
 * accept-with-a-cap of their listeners, and the growable input buffer they and upstream TCP
 * queries read into.
 *
 * The stream is embedded first in its owner's struct. It holds one reference for its open
 * handles (the stream and its idle timer) plus one per write in flight and any the owner takes;
 * when the last goes, ops->free (or free()) releases the owner. Closing is idempotent and never
 * frees synchronously: libuv's close callbacks run later, so a stream stays valid for the whole
 * of any callback that touches it.
 */
#ifndef RW_DAEMON_STREAM_H
#define RW_DAEMON_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "list.h"

struct rw_stream;
struct rw_stream_set;

/* Bytes received and not yet used: p[pos..len) of cap allocated bytes. It starts at `initial`
 * bytes and grows fourfold whenever less than 512 bytes are free, up to `max`. */
struct rw_inbuf {
	uint8_t *p;
	size_t len, pos, cap;
	size_t initial, max;
};

/* Set the sizes of an empty (zeroed) buffer; nothing is allocated yet. */
void rw_inbuf_init(struct rw_inbuf *b, size_t initial, size_t max);
/* For a uv_alloc_cb: compact, grow if need be and hand out the free room after len. An empty
 * uv_buf_t when the buffer is full (len == max) or cannot grow: libuv then reports UV_ENOBUFS to
 * the read callback. */
void rw_inbuf_alloc(struct rw_inbuf *b, uv_buf_t *buf);
/* The read callback got n bytes into the room rw_inbuf_alloc handed out. */
static inline void rw_inbuf_received(struct rw_inbuf *b, size_t n)
{
	b->len += n;
}
/* The unused bytes (NULL before the first rw_inbuf_alloc), and how many there are. */
static inline const uint8_t *rw_inbuf_data(const struct rw_inbuf *b)
{
	return b->p ? b->p + b->pos : NULL;
}
static inline size_t rw_inbuf_size(const struct rw_inbuf *b)
{
	return b->len - b->pos;
}
/* Mark n bytes at the front as used. They stay where they are (pointers into them stay valid)
 * until rw_inbuf_compact moves the rest to the start. */
void rw_inbuf_consume(struct rw_inbuf *b, size_t n);
void rw_inbuf_compact(struct rw_inbuf *b);
/* Free the memory; the buffer is empty (and may be used) again. */
void rw_inbuf_free(struct rw_inbuf *b);

struct rw_stream_ops {
	void (*closing)(struct rw_stream *s); /* once, when closing starts (optional) */
	void (*free)(struct rw_stream *s);    /* the last reference is gone (NULL: free(s)) */
	void (*written)(struct rw_stream *s); /* a write completed (optional) */
	/* Bytes were added to s->in, or the input ended (s->eof set, reading stopped): handle what
	 * is buffered. Not called once the stream is closing. */
	void (*input)(struct rw_stream *s);
	size_t in_initial, in_max; /* sizes of s->in */
	bool touch_on_bytes; /* bytes alone restart the idle timer; else the owner touches it */
	/* A stream idle for idle_ms is closed, unless busy (optional) says it waits for us. */
	uint64_t idle_ms;
	bool (*busy)(struct rw_stream *s);
};

struct rw_stream {
	union {
		uv_tcp_t tcp;
		uv_pipe_t pipe;
		uv_stream_t stream;
		uv_handle_t handle;
	} h;
	uv_timer_t timer;
	const struct rw_stream_ops *ops;
	struct rw_inbuf in;	   /* received bytes not yet used */
	struct rw_stream_set *set; /* the listener's connections */
	struct rw_dlink link;	   /* in set until closing starts */
	unsigned refs;
	int open_handles;
	uint64_t active_ms; /* uv_now at accept and at each rw_stream_touch */
	bool closing, shutting, reading, eof, processing;
};

/* The open connections of a listener, at most max of them. Set name (for the log line when the
 * cap is reached, "%d <name> connections open: refusing more") and reject (written to a refused
 * connection, or NULL) in a zeroed struct. */
struct rw_stream_set {
	struct rw_dlink *head;
	size_t n, max;
	const char *name;
	const char *reject;
	bool cap_logged; /* the cap was logged; again only once it has been left */
	/* When full, a new connection closes the one touched longest ago that is not busy (so
	 * that slow or silent clients cannot lock others out), instead of being refused. */
	bool evict;
};

/* Accept a connection from listener (TCP or Unix) into a new, zeroed owner's struct of size
 * bytes that starts with its struct rw_stream, which joins set and leaves it when it closes; its
 * idle timer runs from now (reading starts when the owner asks). Returns the stream. Returns
 * NULL when the connection is refused (set full, out of memory: it is accepted, sent set->reject
 * and closed) or when accepting fails (the stream is closing then, and ops->closing and ops->free
 * run as usual, with the owner's fields still zero). */
struct rw_stream *rw_stream_accept(struct rw_stream_set *set, uv_stream_t *listener, size_t size,
				   const struct rw_stream_ops *ops);
/* Close every connection of the set. */
void rw_stream_set_close(struct rw_stream_set *set);

void rw_stream_ref(struct rw_stream *s);
void rw_stream_unref(struct rw_stream *s);
/* Close both handles (ops->closing runs once now). */
void rw_stream_close(struct rw_stream *s);
/* Close once every queued write is out. */
void rw_stream_shutdown(struct rw_stream *s);
/* Queue a copy of prefix (may be NULL) and data; closes the stream when that fails. */
void rw_stream_write(struct rw_stream *s, const void *prefix, size_t plen, const void *data,
		     size_t len);
/* Start or stop reading into s->in (ops->input is called); closes the stream when starting
 * fails. */
void rw_stream_want_read(struct rw_stream *s, bool want);
/* Bytes queued for writing and not yet taken by the kernel. */
size_t rw_stream_wqueue(struct rw_stream *s);
/* Restart the idle timer (and note the stream as active now, see rw_stream_set.evict). */
void rw_stream_touch(struct rw_stream *s);
/* Let the timer fire ms from now (ops->busy is asked then, as for idleness), without counting
 * as activity; rw_stream_touch puts the idle timeout back. */
void rw_stream_deadline(struct rw_stream *s, uint64_t ms);

#endif
