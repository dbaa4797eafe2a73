/* Serve-stale (RFC 8767) for the resolver's requests (stale.c): the client timer that answers
 * with expired records while the resolution goes on as a refresh, the stale answer when the
 * resolution fails, and the failure recheck timer that answers stale at once for a while after
 * a refresh failed. Internal to src/core. */
#ifndef RW_STALE_H
#define RW_STALE_H

#include <stdbool.h>
#include <stdint.h>

#include "answer.h"

/* RFC 8767 4: after a failed refresh, stale answers without a new resolution for 30 s. */
#define RW_STALE_RECHECK_MS 30000
#define RW_STALE_FAILS	    256 /* failed refreshes remembered (by question hash), power of 2 */

/* A refresh that failed: its question's hash, until when it is not retried (monotonic ms),
 * when it failed (wall clock) and why. */
struct rw_stale_fail {
	uint64_t qh;
	uint64_t until_ms;
	int64_t at_us;
	char why[120];
};

struct rw_resolver;
struct req;
struct rw_iter;

/* A client's question before it is resolved or joins the request q under way (NULL: none):
 * answered stale at once, and true returned, when a refresh of it failed less than 30 s ago,
 * when q already answered its clients stale, or when serve-expired-client-timeout is 0 (then
 * *refresh says to start a background refresh). False: resolve as usual. */
bool rw_stale_early(struct rw_resolver *r, const struct rw_client_query *cq,
		    const struct rw_answer_client *to, uint64_t qh, const struct req *q,
		    bool *refresh);
/* The client timer: the requests whose serve-expired-client-timeout passed answer their clients
 * stale where the cache can, and go on as refreshes. */
void rw_stale_due(struct rw_resolver *r);
/* The request finished with rcode: after a SERVFAIL, its clients are answered stale where the
 * cache can, and the failure is remembered (RW_STALE_RECHECK_MS); a success forgets it.
 * Returns true when some client got a stale answer. */
bool rw_stale_finish(struct req *q, const struct rw_iter *it, int rcode);

#endif
