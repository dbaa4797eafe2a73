/* `rootwalk check NAME [TYPE]`: what is wrong with a zone, asked of its servers now.
 *
 * A check walks from the closest cached delegation (or the root hints) down to NAME with RD=0
 * questions, as the resolver would, but keeps everything it learns in a table of its own: the
 * cache is read, never written. It then asks every server of the zone (each NS name at each of
 * its addresses: the parent's glue, the child's own address records, addresses resolved by a
 * bounded walk of its own; at most RW_CHECK_MAX_SERVERS) for the SOA and NS set at the apex and
 * for NAME/TYPE, once over TCP, and compares what they say (findings: check_find.c). The whole
 * check answers within RW_CHECK_BUDGET_MS even when every server is silent.
 *
 * The core reaches the network through env->send as the resolver does: a check's queries carry
 * ids the resolver hands out, and the resolver passes replies and timeouts for ids it does not
 * know to rw_check_on_reply / rw_check_on_timeout (resolver.c), and its timer to
 * rw_check_on_timer.
 */
#ifndef RW_CHECK_H
#define RW_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct rw_resolver;

#define RW_CHECK_MAX_SERVERS 32	  /* server addresses probed */
#define RW_CHECK_BUDGET_MS   4500 /* the whole check, whatever the servers do */
#define RW_CHECK_UDP_MS	     1000 /* one UDP try (one retry at most) */
#define RW_CHECK_TCP_MS	     1500 /* one TCP query */
#define RW_CHECK_MAX_STEPS   16	  /* referrals followed by one walk */

/* How a check runs (flags of rw_resolver_check). */
#define RW_CHECK_JSON 1u /* the report as one JSON object, else text */
/* Only the SOA serials of the servers of the closest cached cut at or above the name, for
 * `rootwalk trace --fresh`: no walk (the trace has just cached the delegation), one SOA
 * question over UDP to each cached address (once: 1 s at most). The report is empty when
 * they agree (or fewer than two answered), else one line: a ";; " text line, or with
 * RW_CHECK_JSON a trace event object {"ev":"serials",...} without its "trace" key. */
#define RW_CHECK_SERIALS 2u

/* The worst finding of a check: the client's exit status follows it. */
enum rw_check_status { RW_CHECK_OK = 0, RW_CHECK_WARNINGS, RW_CHECK_ERRORS };

/* A finished check: its report (text or JSON, as asked), borrowed for the call, and its
 * status. text NULL: out of memory. */
typedef void (*rw_check_cb)(void *arg, enum rw_check_status status, const char *text, size_t len);

/* Start checking name (uncompressed wire form, borrowed) and qtype (flags: RW_CHECK_*). cb
 * runs exactly once when the check ends, never during this call, unless it is cancelled first.
 * Returns a handle (> 0), or 0 when the check could not start (out of memory; cb not called).
 * The text is "" when there is nothing to say (RW_CHECK_SERIALS). rw_resolver_check
 * (resolver.c) is the one to call: it starts the check and sets the resolver's timer to its
 * budget; rw_check_start leaves the timer alone. */
uint64_t rw_resolver_check(struct rw_resolver *r, const uint8_t *name, size_t name_len,
			   uint16_t qtype, unsigned flags, rw_check_cb cb, void *arg);
uint64_t rw_check_start(struct rw_resolver *r, const uint8_t *name, size_t name_len, uint16_t qtype,
			unsigned flags, rw_check_cb cb, void *arg);
/* The asker went away: the check's queries are cancelled and cb is not called. Unknown handles
 * are ignored. */
void rw_check_cancel(struct rw_resolver *r, uint64_t handle);
/* Number of checks under way. */
size_t rw_check_running(const struct rw_resolver *r);

/* The resolver's hooks (resolver.c, resolver_life.c). on_reply returns as
 * rw_resolver_on_reply does: true when the reply was taken or the id is unknown, false when it
 * was rejected (the edge waits on). */
bool rw_check_on_reply(struct rw_resolver *r, uint64_t id, const struct sockaddr *from,
		       socklen_t fromlen, const uint8_t *pkt, size_t len);
void rw_check_on_timeout(struct rw_resolver *r, uint64_t id, int err);
/* The resolver's timer fired: checks past their budget end now. */
void rw_check_on_timer(struct rw_resolver *r);
/* The earliest deadline of the checks under way (monotonic ms), UINT64_MAX when none. */
uint64_t rw_check_deadline(const struct rw_resolver *r);
/* Drop every check without callbacks, cancelling their queries (the resolver is freed). */
void rw_check_free_all(struct rw_resolver *r);

#endif
