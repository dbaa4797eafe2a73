/* dnstap output (dnstap: yes): the core's env->dnstap messages, encoded as dnstap protobuf
 * (dnstap.proto beside this file) and written as Frame Streams by libfstrm's I/O thread, to a
 * file (dnstap-file) or to a reader's Unix socket (dnstap-socket-path).
 *
 * The loop never waits: a message is encoded and put on a lock-free queue, and the I/O thread
 * writes it. When the queue is full, or no reader is connected to the socket, the message is
 * dropped, and the core counts it (stats dnstap.dropped). The I/O thread tries to connect again
 * every 5 seconds (fstrm's reopen interval). Each thread that logs takes its own input queue.
 */
#ifndef RW_DAEMON_DNSTAP_H
#define RW_DAEMON_DNSTAP_H

#include <stddef.h>

#include "rootwalk/config.h"
#include "rootwalk/env.h"

struct rw_dnstap;
struct rw_dnstap_queue;

/* Start the output cfg names, with nqueues input queues (one per thread that logs). Returns
 * NULL with err empty when dnstap is off, NULL with the reason in err when it cannot start (no
 * output named, both named, a file that cannot be written). dnstap-identity and
 * dnstap-version, when set, go into every message. */
struct rw_dnstap *rw_dnstap_open(const struct rw_config *cfg, unsigned nqueues, char *err,
				 size_t errlen);
/* An input queue for the calling thread, or NULL once nqueues have been taken. */
struct rw_dnstap_queue *rw_dnstap_queue(struct rw_dnstap *t);
/* env->dnstap: encode m and queue it on q. Returns 0 when queued; -ENOTCONN (no reader),
 * -EAGAIN (queue full) or -ENOMEM when it was dropped. */
int rw_dnstap_submit(struct rw_dnstap *t, struct rw_dnstap_queue *q, const struct rw_tap_msg *m);
struct rw_daemon;
struct rw_worker;
/* Open d->cfg's output as d->dnstap with nqueues queues (one per thread with a resolver).
 * Returns 0 (also when dnstap is off), or -1 with the reason in err. */
int rw_dnstap_start(struct rw_daemon *d, unsigned nqueues, char *err, size_t errlen);
/* Give w a queue of t and set w->env.dnstap (nothing when t is NULL). On w's thread from then
 * on. */
void rw_dnstap_attach(struct rw_dnstap *t, struct rw_worker *w);

/* What the output is, for `status`: "file PATH" or "socket PATH (connected|no reader)". */
const char *rw_dnstap_describe(const struct rw_dnstap *t, char *buf, size_t len);
/* Write what is queued and stop the I/O thread (it joins). NULL does nothing. No submit may
 * run during or after this. */
void rw_dnstap_close(struct rw_dnstap *t);

#endif
