/* The operator's log lines about resolutions (querylog.h): Unbound's log-servfail line, with the
 * reason the resolution concluded with, and the query-level lines of verbosity 3. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "querylog.h"
#include "rootwalk/present.h"
#include "rootwalk/resolver.h"

#define LEVEL_INFO  6
#define LEVEL_QUERY 8

void rw_querylog_finish(const struct rw_env *env, const struct rw_config *cfg,
			const struct rw_client_query *cq, const struct rw_iter *it, int rcode,
			uint32_t upstream, uint64_t ms)
{
	ldns_rdf *qname = ldns_dname_new_frm_data((uint16_t)cq->qname_len, cq->qname);
	char *name = qname ? rw_present_name(qname) : NULL;
	char type[24], what[900], line[1024];
	bool servfail = rcode == LDNS_RCODE_SERVFAIL;

	if (servfail) {
		const char *why = rw_iter_fail_reason(it);

		snprintf(what, sizeof(what), "%s: %s",
			 rw_servfail_reason_name[rw_iter_fail_why(it)],
			 why ? why : "no reason recorded");
	} else {
		size_t n = 0;

		rw_iter_answer(it, &n);
		snprintf(what, sizeof(what), "%zu answer record%s", n, n == 1 ? "" : "s");
	}
	snprintf(line, sizeof(line),
		 "%s %s %s IN: %s (%" PRIu32 " upstream quer%s, %" PRIu64 " ms)",
		 rw_present_rcode(rcode), name ? name : "?",
		 rw_present_type(cq->qtype, type, sizeof(type)), what, upstream,
		 upstream == 1 ? "y" : "ies", ms);
	env->log(env->ctx, servfail && cfg->log_servfail ? LEVEL_INFO : LEVEL_QUERY, line);
	free(name);
	ldns_rdf_deep_free(qname);
}
