/* The trace log file, written without blocking the event loop.
 *
 * Traces are appended to a pending buffer in memory; one write at a time runs on libuv's thread
 * pool (uv_fs_write) with everything pending so far. While a write is in flight new traces
 * collect in the pending buffer, so a slow disk turns into fewer, larger writes. The buffer is
 * bounded (TS_MAX_PENDING): when the file falls that far behind, whole traces are dropped and
 * counted, never queued without bound and never cut in the middle. Reopening (log rotation)
 * points later writes at the new file; a write in flight finishes on the old one, which is
 * closed then.
 *
 * The file is opened non-blocking: for a regular file that changes nothing, but a FIFO or a
 * terminal that stops reading makes a write return EAGAIN instead of holding a thread-pool
 * thread (and the daemon's exit) for ever; the rest of the batch is retried after TS_RETRY_MS.
 *
 * A FIFO without a reader cannot be opened for writing without blocking (ENXIO), and a reader
 * that leaves turns writes into EPIPE. Neither stops the daemon, a reload or a reopen: the sink
 * then has no file (fd -1), drops and counts every trace, and tries to open the FIFO again at
 * most every TS_REOPEN_MS while traces come, so a reader that comes later gets the traces from
 * then on. A write that fails otherwise (ENOSPC, EIO) gives its batch up: every trace of it not
 * written in full is counted as dropped. Both troubles are logged once when they start and once
 * when they end, with the number of traces lost meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <uv.h>

#include "daemon.h"
#include "log.h"

#define TS_MAX_PENDING (4u * 1024 * 1024)
#define TS_RETRY_MS    20
/* Traces are written in batches: when this much is waiting, or TS_FLUSH_MS after the first of
 * a batch, whichever comes first. One write per trace cost more than formatting it. */
#define TS_BATCH    (64u * 1024)
#define TS_FLUSH_MS 20
/* A FIFO without a reader is tried again at most this often (while traces come). */
#define TS_REOPEN_MS 100

/* Traces in a buffer: their bytes, and where each ends (to count the ones a failed write lost). */
struct tbuf {
	char *p;
	size_t len, cap;
	size_t *ends;
	size_t n, ncap;
};

struct rw_tracesink {
	uv_loop_t *loop;
	char *path;
	int fd;
	uv_fs_t req;
	uv_timer_t retry; /* a write that could not go on (EAGAIN) tries again */
	bool inflight;	  /* req is in use, or the retry timer runs for it */
	bool retrying;	  /* the timer runs to retry the write in flight (EAGAIN) */
	int inflight_fd;  /* the fd it writes to (may be an old one after a reopen) */
	size_t inflight_off;
	struct tbuf pending, writing;
	bool closing, timer_closed;
	bool failing; /* the last write failed (logged once until one succeeds) */
	bool dropping;
	bool no_reader;	   /* fd is -1: a FIFO nobody reads (logged once until one does) */
	uint64_t last_try; /* uv_now of the last attempt to open a FIFO without a reader */
	uint64_t dropped, dropped_now;
	uint64_t lost_now; /* dropped since failing or no_reader started */
};

static void ts_start(struct rw_tracesink *t);

static void ts_free(struct rw_tracesink *t)
{
	free(t->pending.p);
	free(t->writing.p);
	free(t->pending.ends);
	free(t->writing.ends);
	free(t->path);
	free(t);
}

static void ts_timer_close_cb(uv_handle_t *h)
{
	struct rw_tracesink *t = h->data;

	t->timer_closed = true;
	ts_free(t);
}

/* Write what is left (at shutdown, or after a reload: best effort, without waiting for a reader
 * that does not read), close the file, and free the sink once its timer is closed. */
static void ts_finish(struct rw_tracesink *t)
{
	size_t off = 0;

	while (t->fd >= 0 && off < t->pending.len) {
		ssize_t n = write(t->fd, t->pending.p + off, t->pending.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (t->fd >= 0)
		close(t->fd);
	uv_close((uv_handle_t *)&t->retry, ts_timer_close_cb);
}

/* Write the rest of the batch in flight. Returns 0, or negative when it could not start. */
static int ts_continue(struct rw_tracesink *t);

static void ts_done(struct rw_tracesink *t);
static void ts_count_lost(struct rw_tracesink *t);

static void ts_retry_cb(uv_timer_t *timer)
{
	struct rw_tracesink *t = timer->data;

	t->retrying = false;
	if (ts_continue(t) < 0) {
		ts_count_lost(t);
		ts_done(t); /* this batch is given up */
	}
}

static void ts_done(struct rw_tracesink *t)
{
	t->inflight = false;
	t->writing.len = 0;
	t->writing.n = 0;
	if (t->inflight_fd != t->fd)
		close(t->inflight_fd); /* reopened meanwhile: the old file is done */
	if (t->closing) {
		ts_finish(t);
		return;
	}
	ts_start(t);
}

/* Traces of the batch in flight that were not written in full: lost. */
static void ts_count_lost(struct rw_tracesink *t)
{
	size_t lost = 0;

	for (size_t i = 0; i < t->writing.n; i++)
		if (t->writing.ends[i] > t->inflight_off)
			lost++;
	t->dropped += lost;
	t->lost_now += lost;
}

/* A write failed (not EAGAIN): the batch is given up and its unwritten traces counted. A FIFO
 * whose reader left (EPIPE) is closed; later traces are dropped until a reader opens it. */
static void ts_write_failed(struct rw_tracesink *t, int err)
{
	ts_count_lost(t);
	if (t->inflight_fd != t->fd)
		return; /* the file was reopened meanwhile: the new one may work */
	if (err == UV_EPIPE) {
		if (!t->no_reader && !t->failing)
			rw_daemon_log(RW_LOG_WARNING,
				      "trace log %s: the reader left; dropping traces until one "
				      "opens it",
				      t->path);
		t->no_reader = true;
		close(t->fd);
		t->fd = -1;
		t->inflight_fd = -1;
	} else if (!t->failing && !t->no_reader) {
		rw_daemon_log(RW_LOG_ERR, "writing trace log %s: %s; dropping traces", t->path,
			      uv_strerror(err));
		t->failing = true;
	}
}

/* Traces are written again after a failure or a time without a reader: say how many were lost. */
static void ts_recovered(struct rw_tracesink *t)
{
	if (!t->failing && !t->no_reader)
		return;
	rw_daemon_log(RW_LOG_WARNING, "trace log %s: writing again; %llu traces were dropped",
		      t->path, (unsigned long long)t->lost_now);
	t->failing = false;
	t->no_reader = false;
	t->lost_now = 0;
}

static void ts_write_cb(uv_fs_t *req)
{
	struct rw_tracesink *t = req->data;
	ssize_t n = req->result;

	uv_fs_req_cleanup(req);
	if (n == UV_EAGAIN) {
		/* The reader is behind: try the rest again in a moment; meanwhile traces collect
		 * in the pending buffer, up to its bound. When closing, give the rest up. */
		if (t->closing)
			ts_done(t);
		else {
			t->retrying = true;
			uv_timer_start(&t->retry, ts_retry_cb, TS_RETRY_MS, 0);
		}
		return;
	}
	if (n < 0) {
		ts_write_failed(t, (int)n);
		ts_done(t); /* this batch is given up */
		return;
	}
	if (n > 0 && t->inflight_fd == t->fd)
		ts_recovered(t);
	t->inflight_off += (size_t)n;
	if (t->inflight_off < t->writing.len && n > 0 && ts_continue(t) == 0)
		return; /* a short write: the rest is under way */
	ts_done(t);
}

static int ts_continue(struct rw_tracesink *t)
{
	uv_buf_t b = uv_buf_init(t->writing.p + t->inflight_off,
				 (unsigned)(t->writing.len - t->inflight_off));

	t->req.data = t;
	return uv_fs_write(t->loop, &t->req, t->inflight_fd, &b, 1, -1, ts_write_cb);
}

static void ts_flush_cb(uv_timer_t *timer)
{
	ts_start(timer->data);
}

/* Start a write of everything pending, if none is in flight. */
static void ts_start(struct rw_tracesink *t)
{
	struct tbuf tmp;

	if (t->inflight || t->pending.len == 0)
		return;
	uv_timer_stop(&t->retry); /* a flush timer: this write takes what it was waiting for */
	if (t->dropping) {
		rw_daemon_log(RW_LOG_WARNING, "trace log %s caught up; %llu traces were dropped",
			      t->path, (unsigned long long)t->dropped_now);
		t->dropping = false;
		t->dropped_now = 0;
	}
	tmp = t->writing;
	t->writing = t->pending;
	t->pending = tmp;
	t->pending.len = 0;
	t->pending.n = 0;
	t->inflight_fd = t->fd;
	t->inflight_off = 0;
	if (t->fd < 0 || ts_continue(t) < 0) {
		ts_count_lost(t); /* nothing we can do for this batch */
		t->writing.len = 0;
		t->writing.n = 0;
		return;
	}
	t->inflight = true;
}

static int ts_open_fd(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0640);

	if (fd < 0)
		snprintf(err, errlen, "cannot open trace log %s: %s", path, strerror(errno));
	return fd;
}

/* Open the path; a FIFO without a reader (ENXIO) is not an error: *fd is -1 then. Returns 0, or
 * -1 with the reason in err. */
static int ts_open_path(const char *path, int *fd, char *err, size_t errlen)
{
	struct stat st;

	*fd = ts_open_fd(path, err, errlen);
	if (*fd >= 0)
		return 0;
	if (errno == ENXIO && stat(path, &st) == 0 && S_ISFIFO(st.st_mode))
		return 0;
	return -1;
}

/* Without a reader: try the FIFO again, at most every TS_REOPEN_MS. */
static void ts_try_reader(struct rw_tracesink *t)
{
	char err[256];
	uint64_t now = uv_now(t->loop);

	if (t->last_try && now - t->last_try < TS_REOPEN_MS)
		return;
	t->last_try = now;
	if (ts_open_path(t->path, &t->fd, err, sizeof(err)) < 0 || t->fd < 0)
		return;
	ts_recovered(t);
}

static void ts_no_reader_log(struct rw_tracesink *t)
{
	rw_daemon_log(RW_LOG_WARNING,
		      "trace log %s: a FIFO without a reader; dropping traces until one opens it",
		      t->path);
}

/* Room for len more bytes and one more trace in b. Returns 0 or -1. */
static int tbuf_reserve(struct tbuf *b, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		char *p;

		while (cap < b->len + len)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	if (b->n == b->ncap) {
		size_t ncap = b->ncap ? b->ncap * 2 : 256;
		size_t *ends = realloc(b->ends, ncap * sizeof(*ends));

		if (!ends)
			return -1;
		b->ends = ends;
		b->ncap = ncap;
	}
	return 0;
}

void rw_tracesink_write(struct rw_tracesink *t, const char *text, size_t len)
{
	struct tbuf *b = &t->pending;

	if (t->closing || len == 0)
		return;
	if (t->fd < 0 && !t->inflight)
		ts_try_reader(t);
	if (t->fd < 0) {
		t->dropped++; /* nobody reads the FIFO: nothing to queue for */
		t->lost_now++;
		return;
	}
	if (len > TS_MAX_PENDING) {
		rw_daemon_log(RW_LOG_WARNING,
			      "trace log %s: dropping a trace of %zu bytes, more than the %u bytes "
			      "it may queue",
			      t->path, len, TS_MAX_PENDING);
		t->dropped++;
		return;
	}
	if (b->len + len > TS_MAX_PENDING) {
		if (!t->dropping)
			rw_daemon_log(
				RW_LOG_WARNING,
				"trace log %s falls behind (%zu bytes waiting): dropping traces",
				t->path, b->len);
		t->dropping = true;
		t->dropped++;
		t->dropped_now++;
		return;
	}
	if (tbuf_reserve(b, len) < 0) {
		t->dropped++;
		return;
	}
	memcpy(b->p + b->len, text, len);
	b->len += len;
	b->ends[b->n++] = b->len;
	if (t->inflight)
		return; /* its completion starts the next write */
	if (b->len >= TS_BATCH)
		ts_start(t);
	else if (!uv_is_active((uv_handle_t *)&t->retry))
		uv_timer_start(&t->retry, ts_flush_cb, TS_FLUSH_MS, 0);
}

struct rw_tracesink *rw_tracesink_open(uv_loop_t *loop, const char *path, char *err, size_t errlen)
{
	struct rw_tracesink *t = calloc(1, sizeof(*t));

	if (!t || !(t->path = strdup(path))) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->loop = loop;
	if (ts_open_path(path, &t->fd, err, errlen) < 0) {
		ts_free(t);
		return NULL;
	}
	if (t->fd < 0) {
		t->no_reader = true;
		t->last_try = uv_now(loop);
		ts_no_reader_log(t);
	}
	uv_timer_init(loop, &t->retry);
	t->retry.data = t;
	return t;
}

int rw_tracesink_reopen(struct rw_tracesink *t, char *err, size_t errlen)
{
	int fd;

	if (ts_open_path(t->path, &fd, err, errlen) < 0)
		return -1;
	/* A write in flight keeps the old fd until it completes (ts_write_cb closes it). */
	if (t->fd >= 0 && (!t->inflight || t->inflight_fd != t->fd))
		close(t->fd);
	t->fd = fd;
	if (fd < 0 && !t->no_reader) {
		t->no_reader = true;
		ts_no_reader_log(t);
	} else if (fd >= 0) {
		ts_recovered(t);
	}
	t->last_try = uv_now(t->loop);
	return 0;
}

uint64_t rw_tracesink_dropped(const struct rw_tracesink *t)
{
	return t ? t->dropped : 0;
}

void rw_tracesink_close(struct rw_tracesink *t)
{
	if (!t || t->closing)
		return;
	t->closing = true;
	if (!t->inflight) {
		ts_finish(t);
	} else if (t->retrying) {
		/* Waiting to retry after EAGAIN: give the rest of this batch up. */
		uv_timer_stop(&t->retry);
		t->retrying = false;
		ts_done(t);
	}
	/* else ts_write_cb finishes once the write in flight completes. */
}
