/* log-servfail (servfail_log.h): the SERVFAIL line of the operator's log, as Unbound's
 * log-servfail writes one, with the reason the resolution concluded with. */
#include <stdio.h>
#include <stdlib.h>

#include <ldns/ldns.h>

#include "rootwalk/present.h"
#include "rootwalk/resolver.h"
#include "servfail_log.h"

void rw_servfail_log(const struct rw_env *env, const struct rw_client_query *cq,
		     const struct rw_iter *it)
{
	ldns_rdf *qname = ldns_dname_new_frm_data((uint16_t)cq->qname_len, cq->qname);
	char *name = qname ? rw_present_name(qname) : NULL;
	const char *why = rw_iter_fail_reason(it);
	char type[24], line[1024];

	snprintf(line, sizeof(line), "SERVFAIL %s %s IN: %s: %s", name ? name : "?",
		 rw_present_type(cq->qtype, type, sizeof(type)),
		 rw_servfail_reason_name[rw_iter_fail_why(it)], why ? why : "no reason recorded");
	env->log(env->ctx, 6, line);
	free(name);
	ldns_rdf_deep_free(qname);
}
