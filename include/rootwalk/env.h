/* The environment: the only way the core reaches time, randomness, the network and the trace sink.
 *
 * The core library never calls time(), clock_gettime(), randombytes_*() or libuv. The daemon fills
 * this struct with real implementations; unit tests fill it with a fake clock and a scripted
 * network, so the whole delegation walk runs without sockets.
 */
#ifndef RW_ENV_H
#define RW_ENV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* One upstream query the core wants sent. All pointers are borrowed for the duration of the
 * send() call only: the edge copies what it keeps. */
struct rw_upstream_query {
	uint64_t id;		     /* token the edge passes back with the reply or timeout */
	const struct sockaddr *addr; /* server address, port included (normally 53) */
	socklen_t addrlen;
	int tcp;	     /* 1: TCP with 2-byte length prefix, 0: UDP */
	const uint8_t *wire; /* the DNS message to send */
	size_t len;
	uint32_t timeout_ms; /* deliver a timeout if no accepted reply within this */
};

/* dnstap (dnstap.info): one DNS message at one of the four points of a resolution, handed to
 * env->dnstap. Every pointer is borrowed for the duration of the call: the edge encodes and
 * copies what it keeps. */
enum rw_tap_type {
	RW_TAP_CLIENT_QUERY,	  /* received from a client */
	RW_TAP_CLIENT_RESPONSE,	  /* sent to that client */
	RW_TAP_RESOLVER_QUERY,	  /* sent to an authoritative server */
	RW_TAP_RESOLVER_RESPONSE, /* accepted from it */
};
struct rw_tap_msg {
	enum rw_tap_type type;
	int tcp;		     /* 1: TCP, 0: UDP */
	const struct sockaddr *peer; /* the client, or the authoritative server (port included) */
	socklen_t peerlen;
	const uint8_t *wire; /* the message, verbatim */
	size_t len;
	const uint8_t *zone; /* resolver messages: the zone asked (wire-format name), else NULL */
	size_t zone_len;
	int64_t query_us;    /* wall clock (µs since the epoch): the query was received or sent */
	int64_t response_us; /* responses: the response was sent or received; 0 for queries */
};

struct rw_env {
	void *ctx; /* passed to every callback */

	/* Monotonic milliseconds, for timeouts and time budgets. */
	uint64_t (*now_mono_ms)(void *ctx);
	/* Monotonic microseconds, for RTTs; optional (NULL: now_mono_ms * 1000). */
	uint64_t (*now_mono_us)(void *ctx);
	/* Wall clock in microseconds since the epoch, for TTL expiry shown to people. */
	int64_t (*now_wall_us)(void *ctx);
	/* Fill buf with len bytes from a CSPRNG. */
	void (*random_buf)(void *ctx, void *buf, size_t len);

	/* Send an upstream query. Returns 0 when the query is under way: the edge will later call
	 * rw_resolver_on_reply() (possibly several times, until one is accepted) or
	 * rw_resolver_on_timeout() with q->id exactly once. Returns a negative errno-style code when
	 * the query could not be sent at all; then no callback follows. -EBUSY: the edge's cap
	 * on upstream queries in flight (outgoing-range) is reached, counted by the core. */
	int (*send)(void *ctx, const struct rw_upstream_query *q);
	/* The core no longer wants an answer for this id (request finished or aborted). The edge
	 * releases the socket and timer and must not call back for this id. */
	void (*cancel)(void *ctx, uint64_t id);

	/* Call rw_resolver_on_timer() once, in ms milliseconds; a new call replaces the timer set
	 * before. Optional (NULL: failed primings are not retried on a timer, and questions do not
	 * wait for a priming under way). */
	void (*set_timer)(void *ctx, uint32_t ms);
	/* A message for the operator's log (level as syslog: 3 error, 4 warning, 5 notice, 6 info,
	 * 7 debug; 8 query-level and 9 algorithm-level debug). The edge skips levels above the
	 * verbosity: 0 shows levels up to 4, 1 up to 6, 2 up to 7, 3 up to 8, 4 all. Optional. */
	void (*log)(void *ctx, int level, const char *text);
	/* This host's name, for the CHAOS id.server answer when identity: is not set. Optional
	 * (NULL or "": such questions are refused). */
	const char *hostname;

	/* Append formatted trace text (already a complete record, newline-terminated) to the trace
	 * sink. NULL means tracing is off and no events are recorded at all. */
	void (*trace_write)(void *ctx, const char *text, size_t len);
	/* Optional, with trace_write: a fast-path cache hit's trace as a packed record
	 * (rw_trace_hit_pack, len bytes, copied), for a sink that turns it into text on its own
	 * thread (rw_trace_formatter_hit). NULL: the core formats it and calls trace_write. */
	void (*trace_write_hit)(void *ctx, const void *rec, size_t len);

	/* dnstap: log one message (which ones: the dnstap-log-* keys, checked by the core). Never
	 * blocks: returns 0 when the message was queued, negative when it was dropped (no reader,
	 * or the queue is full); the core counts both in its stats. NULL means dnstap is off and
	 * costs nothing. */
	int (*dnstap)(void *ctx, const struct rw_tap_msg *m);
};

#endif
