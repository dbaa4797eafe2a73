/* The operator's log lines about resolutions (querylog.c): log-servfail's line for each
 * SERVFAIL, and at verbosity 3 and above a line for every resolution. Internal to src/core. */
#ifndef RW_QUERYLOG_H
#define RW_QUERYLOG_H

#include <stdbool.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "rootwalk/config.h"
#include "rootwalk/env.h"
#include "rootwalk/iter.h"
#include "rootwalk/wire.h"

/* Is a line wanted for a resolution that ended with rcode? Inline, so that nothing else is done
 * per query when the log wants no such line. */
static inline bool rw_querylog_wanted(const struct rw_config *cfg, int rcode)
{
	return cfg->verbosity >= 3 || (cfg->log_servfail && rcode == LDNS_RCODE_SERVFAIL);
}

/* Log through env->log (which must be set) the line of a resolution of cq's question that ended
 * with rcode after upstream queries and ms milliseconds: "RCODE NAME TYPE IN: WHAT (U upstream
 * queries, T ms)", WHAT being for a SERVFAIL the class of failure (rw_servfail_reason_name) and
 * the text the resolution concluded with (the zone, the servers or the limit), otherwise the
 * number of answer records. At info level (6) for a SERVFAIL with log-servfail, otherwise at
 * query level (8). */
void rw_querylog_finish(const struct rw_env *env, const struct rw_config *cfg,
			const struct rw_client_query *cq, const struct rw_iter *it, int rcode,
			uint32_t upstream, uint64_t ms);

#endif
