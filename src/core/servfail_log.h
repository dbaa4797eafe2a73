/* log-servfail: one line in the operator's log per SERVFAIL answered (servfail_log.c). Internal
 * to src/core. */
#ifndef RW_SERVFAIL_LOG_H
#define RW_SERVFAIL_LOG_H

#include "rootwalk/env.h"
#include "rootwalk/iter.h"
#include "rootwalk/wire.h"

/* Log "SERVFAIL NAME TYPE IN: REASON: TEXT" at info level through env->log: the question of cq,
 * the class of failure (rw_servfail_reason_name) and the text the resolution concluded with,
 * which names the zone, the servers or the limit. The caller checks log-servfail and env->log
 * first, so that the line costs nothing when it is off. */
void rw_servfail_log(const struct rw_env *env, const struct rw_client_query *cq,
		     const struct rw_iter *it);

#endif
