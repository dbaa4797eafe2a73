/* The control protocol: what `rootwalk` asks a running rootwalkd over its control socket.
 *
 * This module parses and answers requests; it never touches a socket (the daemon's
 * src/daemon/ctlsock.c carries the bytes), so it runs the same under unit tests.
 *
 * Framing (documented for users in rootwalk(1)):
 *
 *   request   one line of printable ASCII, words separated by spaces or tabs, ended by "\n"
 *             ("\r\n" is accepted). At most RW_CONTROL_MAX_REQUEST bytes, newline included.
 *   response  a status line, "ok" or "error: REASON"; then the body, zero or more lines; then
 *             a line holding a single "." (the end marker). A body line that starts with "."
 *             is sent with one more "." in front (as in SMTP, RFC 5321 4.5.2); the reader
 *             removes it. Every line ends with "\n".
 *
 * A connection may carry several requests, one after another; each is answered in full before
 * the next is read.
 *
 * load-cache is the one request with lines after it: cache file lines (rootwalk/cachefile.h, as
 * dump-cache writes them), each at most RW_CONTROL_MAX_LOAD_LINE bytes and dot-stuffed as a
 * response body is, ended by a line holding a single ".". It is answered after that line.
 *
 * Requests:
 *   lookup NAME [json]                  everything cached at NAME, and the closest cached
 *                                       delegation at or above it
 *   trace NAME [TYPE] [fresh] [json]    resolve now and return the trace of that resolution
 *   flush NAME [subtree] [negative] [bogus]
 *                                       remove entries at NAME (or below it); body "removed N ...";
 *                                       bogus: only bogus entries, and the key cache's bogus
 *                                       verdicts at and below NAME
 *   flush bogus                         every bogus entry and bogus key cache verdict
 *   nta-add NAME [ttl=SECONDS]          a negative trust anchor (RFC 7646) for SECONDS (default
 *                                       3600, 1..604800); flushes the key cache at and below NAME
 *   nta-remove NAME                     remove a negative trust anchor
 *   nta-list [json]                     the negative trust anchors and when they expire
 *   flush-all                           remove every entry
 *   stats [json] [per-thread]           counters since start (per-thread: each thread's,
 *                                       keys "thread.N.KEY")
 *   dump-cache [json]                   every valid entry, one per line, in the cache's order
 *                                       (not sorted; not a snapshot: see rw_cache_walk_part)
 *   load-cache                          then cache file lines, then "."; stores each entry that
 *                                       has not expired and is not cached already; body
 *                                       "key: value" counts, then "line N: reason" lines
 *   status                              the daemon's state, "key: value" lines
 *   reload                              re-read the configuration file, keeping the cache
 *   help                                the list of requests
 * Option words may come in any order after NAME; each at most once.
 */
#ifndef RW_CONTROL_H
#define RW_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rw_resolver;
struct rw_stats;

/* The longest request line, newline included. */
#define RW_CONTROL_MAX_REQUEST 4096
/* The longest line after load-cache, newline included (RW_CACHEFILE_MAX_LINE). */
#define RW_CONTROL_MAX_LOAD_LINE (1024 * 1024)

enum rw_control_cmd {
	RW_CTL_LOOKUP = 0,
	RW_CTL_TRACE,
	RW_CTL_FLUSH,
	RW_CTL_FLUSH_ALL,
	RW_CTL_STATS,
	RW_CTL_DUMP_CACHE,
	RW_CTL_STATUS,
	RW_CTL_RELOAD,
	RW_CTL_HELP,
	RW_CTL_NTA_ADD,
	RW_CTL_NTA_REMOVE,
	RW_CTL_NTA_LIST,
	RW_CTL_LOAD_CACHE,
};

/* One parsed request. No pointers: it may be copied freely. */
struct rw_control_request {
	enum rw_control_cmd cmd;
	uint8_t name[255]; /* NAME in (uncompressed) wire form, for lookup, trace and flush */
	size_t name_len;   /* 0 when the request has no NAME */
	uint16_t qtype;	   /* trace: TYPE, default A */
	bool fresh;	   /* trace: ignore cached answers (cached delegations are still used) */
	bool json;	   /* lookup, trace, stats, dump-cache: JSON body */
	bool subtree;	   /* flush: every name below NAME too */
	bool negative;	   /* flush: negative entries only */
	bool bogus;	   /* flush: bogus entries only (NAME optional) */
	uint32_t ttl;	   /* nta-add: seconds, default RW_NTA_DEFAULT_TTL */
	bool prometheus;   /* stats: the Prometheus text (rootwalk/metrics.h) */
	bool per_thread;   /* stats: each worker thread's counters, "thread.N." before each key */
};

#define RW_CONTROL_NTA_MAX_TTL 604800 /* a week, as RFC 7646 advises */

/* Parse one request line of len bytes (the newline may be included or not; a trailing "\r" is
 * ignored). Nothing is allocated. Returns 0 and fills *req, or a negative errno-style code with
 * a one-line reason in err (never containing control characters). */
int rw_control_parse(const char *line, size_t len, struct rw_control_request *req, char *err,
		     size_t errlen);

/* What the daemon supplies. Every callback is optional. */
struct rw_control_ops {
	void *ctx; /* passed to every callback */
	/* Wall clock in microseconds since the epoch (for remaining TTLs). NULL: the resolver's
	 * clock is not reachable from here, so the daemon must set this; tests pass a fake. */
	int64_t (*now_wall_us)(void *ctx);
	/* `status`: text of "key: value" lines about the daemon (version, pid, uptime, files),
	 * malloc'd, caller frees. NULL return: nothing to add. */
	char *(*status)(void *ctx);
	/* `reload`: re-read the configuration and apply it (rw_resolver_reconfigure). Returns 0
	 * with a short report in msg (one or more lines), or negative with the reason in msg
	 * ("FILE:LINE: reason"), the old configuration kept. */
	int (*reload)(void *ctx, char *msg, size_t msglen);
	/* Set by a caller that paces long answers: dump-cache is then answered in parts of about a
	 * hundred entries, each made only when asked for, so that a big cache never builds its
	 * whole text at once nor holds the caller for long. The first part (with the status line)
	 * comes during rw_control_request, which returns a handle; each next part comes during
	 * rw_control_continue(handle). Every part but the last goes to part(arg, data, len), with
	 * the request's arg (data borrowed for the call); the last, with the end marker, to the
	 * request's cb as usual. NULL: the parts are joined into one response. */
	void (*part)(void *arg, const char *data, size_t len);
	/* `stats prometheus`: traces the trace log dropped since start. NULL: 0. */
	uint64_t (*trace_dropped)(void *ctx);
	/* `stats`: the counters of the daemon's threads summed (thread -1) or of thread 0, 1, ...
	 * into out, the requests under way into pending, the thread's name ("0", "main") into name
	 * when not NULL. Returns the number of threads, or negative (out zeroed) when there is no
	 * such thread. NULL: the resolver's own counters, as one thread. */
	int (*stats)(void *ctx, int thread, struct rw_stats *out, size_t *pending, char *name,
		     size_t namelen);
};

struct rw_control;

/* Create the handler. r is borrowed and must outlive the handler; ops is copied. Returns NULL
 * on allocation failure. */
struct rw_control *rw_control_new(struct rw_resolver *r, const struct rw_control_ops *ops);
/* Free the handler. Requests still pending are dropped without callbacks (their traces are
 * cancelled in the resolver, which must still exist). NULL does nothing. */
void rw_control_free(struct rw_control *ctl);

/* The framed response to one request (status line, body, end marker). resp is borrowed and
 * valid during the call only. */
typedef void (*rw_control_done_cb)(void *arg, const char *resp, size_t len);

/* Handle one request line (as rw_control_parse). cb is called exactly once with the response,
 * unless the request is cancelled first. Returns 0 when cb has already run, or a handle (> 0)
 * when the answer comes later (trace, dump-cache in parts, load-cache after its lines); pass it
 * to rw_control_cancel() if the asker goes away. */
uint64_t rw_control_request(struct rw_control *ctl, const char *line, size_t len,
			    rw_control_done_cb cb, void *arg);
/* Make the next part of an answer in parts (see ops.part): it goes to ops.part or, when it is the
 * last, to the request's cb. Unknown handles are ignored. */
void rw_control_continue(struct rw_control *ctl, uint64_t handle);
/* The asker of a pending request went away: cb will not be called. Unknown handles are
 * ignored. */
void rw_control_cancel(struct rw_control *ctl, uint64_t handle);
/* Does the request of handle take lines (load-cache)? Then the caller hands it each line that
 * follows with rw_control_load_line, and reads the next request only after the answer. */
bool rw_control_takes_lines(const struct rw_control *ctl, uint64_t handle);
/* One line (len bytes, the newline may be included) for the load-cache request of handle; line
 * NULL: the input ended without the "." line (the answer is then an error). Returns 1 when more
 * lines are wanted, 0 when the request was answered (its cb has run; the handle is gone), or
 * -ENOENT for a handle that takes no lines. */
int rw_control_load_line(struct rw_control *ctl, uint64_t handle, const char *line, size_t len);
/* Number of requests waiting for an answer. */
size_t rw_control_pending(const struct rw_control *ctl);

#endif
