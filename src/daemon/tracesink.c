/* The trace log file, written by a thread of its own, callable from any thread.
 *
 * rw_tracesink_write copies a whole trace into a pending buffer under the sink's mutex and
 * returns; the writer thread takes everything pending at once (swapping two buffers) and writes it
 * with plain write(2) calls. The writer sleeps on a condition variable and is woken once per
 * batch, not once per trace: when a trace lands in an empty buffer it waits TS_FLUSH_MS for
 * more, unless TS_BATCH bytes are pending first; while it writes, traces collect for the next
 * batch. The pending buffer is bounded (TS_MAX_PENDING): when the file falls that far behind,
 * whole traces are dropped and counted, never queued without bound and never cut in the middle.
 * A cache hit's trace may come as a packed record (rw_tracesink_write_hit): the writer turns it
 * into text (rw_trace_formatter_hit), so that formatting is not the answering thread's work.
 *
 * Reopening (log rotation) opens the path on the caller's thread, so that it can fail with a
 * reason, and hands the new descriptor to the writer, which takes it for its next batch and
 * closes the old one then. Closing wakes the writer, which writes what is queued, and joins it.
 *
 * The file is opened non-blocking: for a regular file that changes nothing, but a FIFO or a
 * terminal that stops reading makes a write return EAGAIN instead of holding the writer (and the
 * daemon's exit) for ever; the writer retries the rest of the batch after TS_RETRY_MS, and at
 * close gives it up.
 *
 * A FIFO without a reader cannot be opened for writing without blocking (ENXIO), and a reader
 * that leaves turns writes into EPIPE. Neither stops the daemon, a reload or a reopen: the sink
 * then has no file (fd -1), drops and counts every trace, and the writer tries to open the FIFO
 * again at most every TS_REOPEN_MS while traces come, so a reader that comes later gets the
 * traces from then on. A write that fails otherwise (ENOSPC, EIO) gives its batch up: every
 * trace of it not written in full is counted as dropped. Both troubles are logged once when
 * they start and once when they end, with the number of traces lost meanwhile.
 *
 * Threads: every field below "under mu" is read and written only with the mutex held; the
 * writer's own fields are the writer's alone (and the closing thread's after the join). The
 * writer never logs itself (the log is the loop's): it queues the lines, and a uv_async_t has the
 * loop thread log them (or the close, after the join).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include <uv.h>

#include "daemon.h"
#include "log.h"
#include "rootwalk/trace.h"

#define TS_MAX_PENDING (4u * 1024 * 1024)
#define TS_RETRY_MS    20
/* Traces are written in batches: when this much is waiting, or TS_FLUSH_MS after the first of
 * a batch, whichever comes first. */
#define TS_BATCH    (64u * 1024)
#define TS_FLUSH_MS 50
/* The text of packed records is made and written this much at a time. */
#define TS_RENDER (256u * 1024)
/* A FIFO without a reader is tried again at most this often (while traces come). */
#define TS_REOPEN_MS 100
/* Log lines the writer (or a writing thread) queues for the loop; more are left out. */
#define TS_MSGS	   8
#define TS_MSG_LEN 320

/* Traces in a buffer: their bytes, and where each ends (to count the ones a failed write lost),
 * TS_REC marking the ends of packed cache-hit records (rw_trace_hit_pack), nrec of them. */
struct tbuf {
	char *p;
	size_t len, cap;
	size_t *ends;
	size_t n, ncap, nrec;
};
#define TS_REC	  ((size_t)1 << (sizeof(size_t) * 8 - 1))
#define TS_END(e) ((e) & ~TS_REC)

/* What the writer is waiting for: what a writing thread must wake it for. */
enum ts_wait {
	TS_BUSY,       /* not waiting (writing, or about to look at the queue) */
	TS_IDLE,       /* nothing queued: the first trace wakes it */
	TS_BATCH_WAIT, /* the flush delay (or a FIFO retry): only a full batch or closing wakes it */
};

struct ts_msg {
	int prio;
	char text[TS_MSG_LEN];
};

struct rw_tracesink {
	char *path; /* read-only after open */
	uv_async_t async;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;

	/* under mu */
	struct tbuf pending;
	enum ts_wait wait;
	bool closing;
	int fd;		  /* the file the next batch goes to; -1: none (a FIFO without a reader) */
	int wfd;	  /* the file the writer uses (closed by it when fd differs) */
	bool want_reader; /* traces came while there is no file: try to open the FIFO */
	bool failing;	  /* the last write failed (logged once until one succeeds) */
	bool dropping;	  /* the pending buffer is full (logged once until it drains) */
	bool no_reader;	  /* fd is -1: a FIFO nobody reads (logged once until one does) */
	uint64_t dropped_now; /* dropped since dropping started */
	uint64_t lost_now;    /* dropped since failing or no_reader started */
	uint64_t last_try;    /* monotonic ms of the last attempt to open a FIFO without a reader */
	struct ts_msg msgs[TS_MSGS];
	unsigned nmsgs;

	/* the writer's */
	struct tbuf writing;
	struct tbuf out;		/* writing with its records formatted */
	struct rw_trace_formatter *fmt; /* formats them */

	_Atomic uint64_t dropped; /* every trace dropped since open: read without the mutex */
};

static uint64_t ts_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void ts_drop(struct rw_tracesink *t, uint64_t n)
{
	atomic_fetch_add_explicit(&t->dropped, n, memory_order_relaxed);
}

/* Queue a log line for the loop (under mu). The caller sends t->async after unlocking. */
static void ts_post(struct rw_tracesink *t, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ts_post(struct rw_tracesink *t, int prio, const char *fmt, ...)
{
	va_list ap;

	if (t->nmsgs == TS_MSGS)
		return;
	t->msgs[t->nmsgs].prio = prio;
	va_start(ap, fmt);
	vsnprintf(t->msgs[t->nmsgs].text, TS_MSG_LEN, fmt, ap);
	va_end(ap);
	t->nmsgs++;
}

/* Log the queued lines (on the loop thread). */
static void ts_log_posted(struct rw_tracesink *t)
{
	struct ts_msg msgs[TS_MSGS];
	unsigned n;

	pthread_mutex_lock(&t->mu);
	n = t->nmsgs;
	memcpy(msgs, t->msgs, n * sizeof(msgs[0]));
	t->nmsgs = 0;
	pthread_mutex_unlock(&t->mu);
	for (unsigned i = 0; i < n; i++)
		rw_daemon_log(msgs[i].prio, "%s", msgs[i].text);
}

static void ts_async_cb(uv_async_t *a)
{
	ts_log_posted(a->data);
}

static void ts_free(struct rw_tracesink *t)
{
	free(t->pending.p);
	free(t->writing.p);
	free(t->pending.ends);
	free(t->writing.ends);
	free(t->out.p);
	free(t->out.ends);
	rw_trace_formatter_free(t->fmt);
	free(t->path);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static void ts_async_close_cb(uv_handle_t *h)
{
	ts_free(h->data);
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

/* Traces are written again after a failure or a time without a reader: say how many were lost
 * (under mu). */
static void ts_recovered(struct rw_tracesink *t)
{
	if (!t->failing && !t->no_reader)
		return;
	ts_post(t, RW_LOG_WARNING, "trace log %s: writing again; %llu traces were dropped", t->path,
		(unsigned long long)t->lost_now);
	t->failing = false;
	t->no_reader = false;
	t->lost_now = 0;
}

/* Without a reader: try the FIFO again, at most every TS_REOPEN_MS (the writer, under mu; the
 * open itself does not block: O_NONBLOCK). */
static void ts_try_reader(struct rw_tracesink *t)
{
	char err[256];
	int fd;

	t->want_reader = false;
	t->last_try = ts_now_ms();
	if (ts_open_path(t->path, &fd, err, sizeof(err)) < 0 || fd < 0)
		return;
	if (t->fd >= 0) {
		close(fd); /* reopened meanwhile */
		return;
	}
	t->fd = fd;
	ts_recovered(t);
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

/* A write failed (not EAGAIN; under mu): the batch is given up by the caller. A FIFO whose
 * reader left (EPIPE) is closed; later traces are dropped until a reader opens it. */
static void ts_write_failed(struct rw_tracesink *t, int err)
{
	if (t->wfd != t->fd)
		return; /* the file was reopened meanwhile: the new one may work */
	if (err == EPIPE) {
		if (!t->no_reader && !t->failing)
			ts_post(t, RW_LOG_WARNING,
				"trace log %s: the reader left; dropping traces until one opens it",
				t->path);
		t->no_reader = true;
		t->fd = -1; /* the writer closes wfd */
	} else if (!t->failing && !t->no_reader) {
		ts_post(t, RW_LOG_ERR, "writing trace log %s: %s; dropping traces", t->path,
			strerror(err));
		t->failing = true;
	}
}

/* Sleep ms, or less when closing starts (under mu, which the wait releases). */
static void ts_sleep(struct rw_tracesink *t, enum ts_wait why, uint64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	t->wait = why;
	while (t->wait == why && !t->closing)
		if (pthread_cond_timedwait(&t->cond, &t->mu, &ts) == ETIMEDOUT)
			break;
	t->wait = TS_BUSY;
}

/* Write the batch b to fd, with mu released. Returns how far it got; *err is 0, or the errno of
 * a failed write (EAGAIN only once closing: before, the rest is retried). */
static size_t ts_write_batch(struct rw_tracesink *t, int fd, const struct tbuf *b, int *err)
{
	size_t off = 0;

	*err = 0;
	while (off < b->len) {
		ssize_t n = write(fd, b->p + off, b->len - off);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		*err = n < 0 ? errno : EIO;
		if (*err != EAGAIN)
			break;
		/* The reader is behind: try the rest again in a moment; meanwhile traces collect
		 * in the pending buffer, up to its bound. When closing, give the rest up. */
		pthread_mutex_lock(&t->mu);
		if (!t->closing)
			ts_sleep(t, TS_BUSY, TS_RETRY_MS);
		bool closing = t->closing;
		pthread_mutex_unlock(&t->mu);
		if (closing)
			break;
		*err = 0; /* retried: not a failure (yet) */
	}
	return off;
}

/* Take what is pending as the next batch (under mu): the buffers swap, and the writer moves to
 * the file reopen may have handed in. Returns the fd to write to (-1: none). */
static int ts_take_batch(struct rw_tracesink *t)
{
	struct tbuf tmp = t->writing;

	if (t->dropping) {
		ts_post(t, RW_LOG_WARNING, "trace log %s caught up; %llu traces were dropped",
			t->path, (unsigned long long)t->dropped_now);
		t->dropping = false;
		t->dropped_now = 0;
	}
	t->writing = t->pending;
	t->pending = tmp;
	t->pending.len = 0;
	t->pending.n = 0;
	t->pending.nrec = 0;
	if (t->wfd != t->fd) {
		if (t->wfd >= 0)
			close(t->wfd); /* reopened, or the reader left: the old file is done */
		t->wfd = t->fd;
	}
	return t->wfd;
}

/* Traces of b not written in full when the write stopped at off. */
static uint64_t ts_lost_in(const struct tbuf *b, size_t off)
{
	uint64_t lost = 0;

	for (size_t i = 0; i < b->n; i++)
		if (TS_END(b->ends[i]) > off)
			lost++;
	return lost;
}

/* The next part of the batch to write, from its trace *i on, with packed records formatted (mu
 * released): the whole batch when it has none, else at most about TS_RENDER bytes of text, so
 * that the text of 4 MiB of records never sits in memory at once. Moves *i past what it took. A
 * record that does not format (out of memory) is dropped and counted. */
static const struct tbuf *ts_render(struct rw_tracesink *t, size_t *i)
{
	const struct tbuf *w = &t->writing;
	struct tbuf *o = &t->out;
	size_t start = *i ? TS_END(w->ends[*i - 1]) : 0, tlen;
	uint64_t bad = 0;

	if (w->nrec == 0) {
		*i = w->n;
		return w;
	}
	o->len = 0;
	o->n = 0;
	for (; *i < w->n && o->len < TS_RENDER; start = TS_END(w->ends[*i]), ++*i) {
		size_t end = TS_END(w->ends[*i]);
		const char *text = w->p + start;

		tlen = end - start;
		if (w->ends[*i] & TS_REC)
			text = rw_trace_formatter_hit(t->fmt, text, tlen, &tlen);
		if (!text || tbuf_reserve(o, tlen) < 0) {
			bad++;
			continue;
		}
		memcpy(o->p + o->len, text, tlen);
		o->len += tlen;
		o->ends[o->n++] = o->len;
	}
	ts_drop(t, bad);
	return o;
}

/* Write one batch (called and returning under mu), a part at a time. */
static void ts_write_one(struct rw_tracesink *t)
{
	int fd = ts_take_batch(t), err = 0;
	size_t i = 0, off, wrote = 0;
	uint64_t lost = 0;

	pthread_mutex_unlock(&t->mu);
	while (fd >= 0 && i < t->writing.n && !err) {
		const struct tbuf *b = ts_render(t, &i);

		off = ts_write_batch(t, fd, b, &err);
		wrote += off;
		lost += ts_lost_in(b, off);
	}
	lost += t->writing.n - i; /* not even tried: no file, or the write failed */
	pthread_mutex_lock(&t->mu);
	if (err && err != EAGAIN)
		ts_write_failed(t, err);
	else if (wrote > 0 && t->wfd == t->fd)
		ts_recovered(t);
	ts_drop(t, lost);
	t->lost_now += lost;
	t->writing.len = 0;
	t->writing.n = 0;
	t->writing.nrec = 0;
}

/* Wait for work (under mu): a whole batch, or what came in TS_FLUSH_MS. Returns false when
 * closing. */
static bool ts_wait_work(struct rw_tracesink *t)
{
	bool waited = false;

	while (!t->closing) {
		if (t->want_reader && t->fd < 0) {
			uint64_t since = ts_now_ms() - t->last_try;

			if (t->last_try && since < TS_REOPEN_MS)
				ts_sleep(t, TS_BATCH_WAIT, TS_REOPEN_MS - since);
			else
				ts_try_reader(t);
			continue;
		}
		t->want_reader = false;
		if (t->pending.len == 0) {
			t->wait = TS_IDLE;
			while (t->wait == TS_IDLE && !t->closing)
				pthread_cond_wait(&t->cond, &t->mu);
			t->wait = TS_BUSY;
			continue;
		}
		if (t->pending.len >= TS_BATCH || waited)
			return true;
		ts_sleep(t, TS_BATCH_WAIT, TS_FLUSH_MS); /* more of this batch may come */
		waited = true;
	}
	return false;
}

static void *ts_thread(void *arg)
{
	struct rw_tracesink *t = arg;
	bool post;

	pthread_mutex_lock(&t->mu);
	while (ts_wait_work(t)) {
		ts_write_one(t);
		post = t->nmsgs > 0;
		pthread_mutex_unlock(&t->mu);
		if (post)
			uv_async_send(&t->async);
		pthread_mutex_lock(&t->mu);
	}
	/* Closing: write what is left (best effort, without waiting for a reader that does not
	 * read), then close the files. */
	if (t->pending.len > 0)
		ts_write_one(t);
	if (t->wfd >= 0)
		close(t->wfd);
	if (t->fd >= 0 && t->fd != t->wfd)
		close(t->fd);
	t->fd = t->wfd = -1;
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

/* Queue one trace, or one packed record (rec) (under mu). Returns true when the writer must be
 * woken. */
static bool ts_queue(struct rw_tracesink *t, const char *text, size_t len, bool rec)
{
	struct tbuf *b = &t->pending;

	if (t->fd < 0) {
		ts_drop(t, 1); /* nobody reads the FIFO: nothing to queue for */
		t->lost_now++;
		if (t->want_reader)
			return false;
		t->want_reader = true;
		return t->wait == TS_IDLE;
	}
	if (len > TS_MAX_PENDING) {
		ts_post(t, RW_LOG_WARNING,
			"trace log %s: dropping a trace of %zu bytes, more than the %u bytes it "
			"may queue",
			t->path, len, TS_MAX_PENDING);
		ts_drop(t, 1);
		return false;
	}
	if (b->len + len > TS_MAX_PENDING) {
		if (!t->dropping)
			ts_post(t, RW_LOG_WARNING,
				"trace log %s falls behind (%zu bytes waiting): dropping traces",
				t->path, b->len);
		t->dropping = true;
		t->dropped_now++;
		ts_drop(t, 1);
		return false;
	}
	if (tbuf_reserve(b, len) < 0) {
		ts_drop(t, 1);
		return false;
	}
	memcpy(b->p + b->len, text, len);
	b->len += len;
	b->ends[b->n++] = b->len | (rec ? TS_REC : 0);
	b->nrec += rec;
	return t->wait == TS_IDLE || (t->wait == TS_BATCH_WAIT && b->len >= TS_BATCH);
}

static void ts_write(struct rw_tracesink *t, const char *text, size_t len, bool rec)
{
	bool wake, post;

	if (len == 0)
		return;
	pthread_mutex_lock(&t->mu);
	if (t->closing) {
		pthread_mutex_unlock(&t->mu);
		return;
	}
	wake = ts_queue(t, text, len, rec);
	if (wake) {
		t->wait = TS_BUSY; /* one wake-up is enough */
		pthread_cond_signal(&t->cond);
	}
	post = t->nmsgs > 0;
	pthread_mutex_unlock(&t->mu);
	if (post)
		uv_async_send(&t->async);
}

void rw_tracesink_write(struct rw_tracesink *t, const char *text, size_t len)
{
	ts_write(t, text, len, false);
}

void rw_tracesink_write_hit(struct rw_tracesink *t, const void *rec, size_t len)
{
	ts_write(t, rec, len, true);
}

static void ts_no_reader_log(struct rw_tracesink *t)
{
	rw_daemon_log(RW_LOG_WARNING,
		      "trace log %s: a FIFO without a reader; dropping traces until one opens it",
		      t->path);
}

/* Start the writer thread with every signal blocked (they are the loop's). Returns 0 or -1. */
static int ts_start_thread(struct rw_tracesink *t)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t->thread, NULL, ts_thread, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0 ? 0 : -1;
}

static int ts_init_sync(struct rw_tracesink *t)
{
	pthread_condattr_t ca;

	if (pthread_mutex_init(&t->mu, NULL) != 0)
		return -1;
	if (pthread_condattr_init(&ca) != 0) {
		pthread_mutex_destroy(&t->mu);
		return -1;
	}
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_cond_init(&t->cond, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		pthread_mutex_destroy(&t->mu);
		return -1;
	}
	pthread_condattr_destroy(&ca);
	return 0;
}

struct rw_tracesink *rw_tracesink_open(uv_loop_t *loop, const char *path, char *err, size_t errlen)
{
	struct rw_tracesink *t = calloc(1, sizeof(*t));
	int fd;

	if (!t || !(t->path = strdup(path)) || !(t->fmt = rw_trace_formatter_new()) ||
	    ts_init_sync(t) < 0) {
		if (t) {
			free(t->path);
			rw_trace_formatter_free(t->fmt);
		}
		free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (ts_open_path(path, &fd, err, errlen) < 0) {
		ts_free(t);
		return NULL;
	}
	t->fd = t->wfd = fd;
	if (fd < 0) {
		t->no_reader = true;
		t->last_try = ts_now_ms();
		ts_no_reader_log(t);
	}
	/* Before the thread, which may send it. */
	uv_async_init(loop, &t->async, ts_async_cb);
	t->async.data = t;
	uv_unref((uv_handle_t *)&t->async); /* the sink alone does not keep the loop running */
	if (ts_start_thread(t) < 0) {
		snprintf(err, errlen, "trace log %s: cannot start its writer thread", path);
		if (fd >= 0)
			close(fd);
		uv_close((uv_handle_t *)&t->async, ts_async_close_cb);
		return NULL;
	}
	return t;
}

int rw_tracesink_reopen(struct rw_tracesink *t, char *err, size_t errlen)
{
	int fd;

	if (ts_open_path(t->path, &fd, err, errlen) < 0)
		return -1;
	pthread_mutex_lock(&t->mu);
	/* The writer may still be writing to wfd: it closes that one when it takes the new one. */
	if (t->fd >= 0 && t->fd != t->wfd)
		close(t->fd);
	t->fd = fd;
	if (fd < 0 && !t->no_reader) {
		t->no_reader = true;
		ts_no_reader_log(t);
	} else if (fd >= 0) {
		ts_recovered(t);
	}
	t->last_try = 0;
	pthread_mutex_unlock(&t->mu);
	ts_log_posted(t);
	return 0;
}

uint64_t rw_tracesink_dropped(const struct rw_tracesink *t)
{
	return t ? atomic_load_explicit(&t->dropped, memory_order_relaxed) : 0;
}

void rw_tracesink_close(struct rw_tracesink *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	t->closing = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
	ts_log_posted(t);
	uv_close((uv_handle_t *)&t->async, ts_async_close_cb);
}
