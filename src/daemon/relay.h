/* Traces written on worker threads, carried to the main loop's trace sink (relay.c).
 *
 * Until the trace sink (tracesink.c) can be called from any thread, a worker appends each trace
 * to one buffer under a mutex and wakes the main loop (uv_async), which hands what gathered to
 * the sink. The buffer holds at most RW_RELAY_MAX bytes: past that, whole traces are dropped
 * and counted, as the sink itself does, so a slow main loop never slows a worker.
 */
#ifndef RW_DAEMON_RELAY_H
#define RW_DAEMON_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define RW_RELAY_MAX (4u << 20)

struct rw_relay;

/* Where the main loop sends what it collected, one whole trace at a time (borrowed for the
 * call). */
typedef void (*rw_relay_sink)(void *ctx, const char *text, size_t len);

/* A relay onto loop (the main loop). Returns NULL when out of memory. */
struct rw_relay *rw_relay_new(uv_loop_t *loop, rw_relay_sink sink, void *ctx);
/* Any thread: queue one complete trace (copied). */
void rw_relay_write(struct rw_relay *rl, const char *text, size_t len);
/* Traces dropped because the buffer was full. Any thread. */
uint64_t rw_relay_dropped(struct rw_relay *rl);
/* Main loop, once no worker writes any more: hand what is left to the sink and close; the
 * relay is freed in the close callback. NULL does nothing. */
void rw_relay_close(struct rw_relay *rl);

#endif
