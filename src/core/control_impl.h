/* Internals of the control protocol, shared by control.c (parsing, framing, dispatch, stats,
 * traces), control_cache.c (lookup, dump-cache, flush), control_load.c (load-cache) and control_dnssec.c (negative trust
 * anchors). Not installed. */
#ifndef RW_CONTROL_IMPL_H
#define RW_CONTROL_IMPL_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "rootwalk/anchor.h"
#include "rootwalk/cache.h"
#include "rootwalk/control.h"
#include "rootwalk/keycache.h"
#include "rootwalk/metrics.h"
#include "rootwalk/resolver.h"
#include "rootwalk/shared.h"
#include "rootwalk/trace.h"
#include "sbuf.h"

#define MAX_WORDS 8

struct pending {
	struct rw_control *ctl;
	struct pending *next, **pprev;
	uint64_t handle;  /* ours */
	uint64_t rhandle; /* the resolver's trace handle */
	rw_control_done_cb cb;
	void *arg;
	bool json;
	bool starting; /* inside rw_resolver_trace(): completion is delivered after it returns */
	bool finished; /* the trace arrived while starting */
	char *resp;    /* its framed response (NULL: out of memory) */
	size_t resplen;
	/* trace fresh: the SOA serials of the zone's servers asked after the trace
	 * (control_check.c): the name, the check under way and the trace waiting for it */
	bool fresh;
	uint8_t name[255];
	size_t name_len;
	uint64_t chandle;
	char *trace;
	size_t tracelen;
};

struct dump;
struct load;
struct ccheck;

struct rw_control {
	struct rw_resolver *r;
	struct rw_control_ops ops;
	struct pending *pending;
	size_t n_pending;
	uint64_t next_handle;
	struct dump *dumps;    /* dump-cache answers in parts (control_cache.c) */
	struct load *loads;    /* load-cache requests reading their lines (control_load.c) */
	struct ccheck *checks; /* checks under way (control_check.c) */
};

/* The cache commands (control_cache.c): each answers through cb exactly once. dump-cache with
 * ops.part answers in parts: control_dump returns its handle (0 when it is done already), and
 * control_dump_continue makes the next part; both return false for a handle not theirs. */
uint64_t control_dump(struct rw_control *ctl, const struct rw_control_request *req,
		      rw_control_done_cb cb, void *arg);
bool control_dump_continue(struct rw_control *ctl, uint64_t handle);
bool control_dump_cancel(struct rw_control *ctl, uint64_t handle);
/* Drop every dump in progress, without callbacks. */
void control_dump_free_all(struct rw_control *ctl);
/* load-cache (control_load.c): control_load returns the handle whose lines
 * rw_control_load_line takes (0 after answering an error); cancel returns false for a handle not
 * its own. */
uint64_t control_load(struct rw_control *ctl, const struct rw_control_request *req,
		      rw_control_done_cb cb, void *arg);
bool control_load_cancel(struct rw_control *ctl, uint64_t handle);
void control_load_free_all(struct rw_control *ctl);
void control_flush(struct rw_control *ctl, const struct rw_control_request *req,
		   rw_control_done_cb cb, void *arg);
void control_lookup(struct rw_control *ctl, const struct rw_control_request *req,
		    rw_control_done_cb cb, void *arg);
/* The negative trust anchors (control_dnssec.c): nta-add, nta-remove, nta-list. */
void control_nta(struct rw_control *ctl, const struct rw_control_request *req,
		 rw_control_done_cb cb, void *arg);
/* check (control_check.c): returns the handle of the check under way (0 after answering an
 * error); cancel returns false for a handle not its own. */
uint64_t control_check(struct rw_control *ctl, const struct rw_control_request *req,
		       rw_control_done_cb cb, void *arg);
bool control_check_cancel(struct rw_control *ctl, uint64_t handle);
/* A pending trace off the list (control.c's, shared with control_check.c). */
void control_pending_unlink(struct pending *p);
/* trace fresh: ask the servers of the zone for their SOA serials before answering with the
 * trace (copied) and, when they disagree, a line saying so. Returns false when that could not
 * start (the caller answers with the trace alone). */
bool control_trace_serials(struct pending *p, const char *trace, size_t len);
/* The asker of p went away: the serials check, if any, is cancelled. */
void control_trace_serials_cancel(struct pending *p);
void control_check_free_all(struct rw_control *ctl);
/* Respond `ok` with the body (or an error when building it ran out of memory), or an error. */
/* Responses (control_reply.c). frame: the whole response as a malloc'd buffer, or NULL. */
char *control_frame(const char *status, const char *body, size_t bodylen, size_t *outlen);
/* Append body lines to out with dot-stuffing (a missing last newline is added). */
void control_stuff(struct rw_sbuf *out, const char *body, size_t bodylen);
void control_respond(rw_control_done_cb cb, void *arg, const char *status, const char *body,
		     size_t bodylen);
void control_respond_body(rw_control_done_cb cb, void *arg, struct rw_sbuf *b);
void control_respond_error(rw_control_done_cb cb, void *arg, const char *reason);

#endif
