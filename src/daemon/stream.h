/* A stream connection (TCP client, control-socket client): the life cycle both share.
 *
 * The stream is embedded first in its owner's struct. It holds one reference for its open
 * handles (the stream and its idle timer) plus one per write in flight and any the owner takes;
 * when the last goes, ops->free releases the owner. Closing is idempotent and never frees
 * synchronously: libuv's close callbacks run later, so a stream stays valid for the whole of
 * any callback that touches it.
 */
#ifndef RW_DAEMON_STREAM_H
#define RW_DAEMON_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

struct rw_stream;

struct rw_stream_ops {
	void (*closing)(struct rw_stream *s); /* once, when closing starts (unlink, cancel work) */
	void (*free)(struct rw_stream *s);    /* the last reference is gone */
	void (*written)(struct rw_stream *s); /* a write completed (optional) */
	uv_alloc_cb alloc;
	uv_read_cb read;
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
	unsigned refs;
	int open_handles;
	bool closing, shutting, reading, eof, processing;
};

/* After uv_tcp_init/uv_pipe_init of s->h and uv_timer_init of s->timer: take both handles'
 * reference and point their data at s. */
void rw_stream_init(struct rw_stream *s, const struct rw_stream_ops *ops);
void rw_stream_ref(struct rw_stream *s);
void rw_stream_unref(struct rw_stream *s);
/* Close both handles (ops->closing runs once now). */
void rw_stream_close(struct rw_stream *s);
/* Close once every queued write is out. */
void rw_stream_shutdown(struct rw_stream *s);
/* Queue a copy of prefix (may be NULL) and data; closes the stream when that fails. */
void rw_stream_write(struct rw_stream *s, const void *prefix, size_t plen, const void *data,
		     size_t len);
/* Start or stop reading (ops->alloc, ops->read); closes the stream when starting fails. */
void rw_stream_want_read(struct rw_stream *s, bool want);
/* Bytes queued for writing and not yet taken by the kernel. */
size_t rw_stream_wqueue(struct rw_stream *s);
/* Restart the idle timer (after uv_timer_start set its repeat). */
void rw_stream_touch(struct rw_stream *s);
/* A connection over a listener's cap: accept it (left pending it would stall the listener),
 * write msg (may be NULL) if the socket takes it at once, and close it. */
void rw_stream_reject(uv_stream_t *listener, const char *msg);

#endif
