/* `rootwalk check` in the trace log: every query a check sends, its reply or timeout, as the
 * resolver's own traces show theirs (trace.h events, the trace-names filter and trace-only
 * applied), so that what a server received can always be matched to who asked. Calls nothing
 * else of the check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/config.h"
#include "rootwalk/present.h"
#include "rootwalk/trace.h"
#include "check_impl.h"
#include "resolver_impl.h"

static int64_t wall(const struct rw_check *ck)
{
	return ck->r->env->now_wall_us(ck->r->env->ctx);
}

void ck_trace_begin(struct rw_check *ck)
{
	const struct rw_env *env = ck->r->env;
	uint64_t id = 0;
	if (!env->trace_write || !rw_config_trace_wanted(ck->r->cfg, ldns_rdf_data(ck->name),
							 ldns_rdf_size(ck->name), NULL))
		return;
	env->random_buf(env->ctx, &id, sizeof(id));
	ck->trace = rw_trace_new(id, ck->r->cfg->trace_format);
	struct rw_trace_event *e = rw_trace_add(ck->trace, RW_EV_QUERY, "", wall(ck));
	if (e) {
		e->qname = rw_present_name(ck->name);
		e->qtype = ck->qtype;
		e->text = strdup(ck->serials ? "rootwalk trace --fresh: the zone's SOA serials"
					     : "rootwalk check: the cache is read, never changed");
	}
}

void ck_trace_send(struct rw_check *ck, const struct ck_probe *p, const ldns_rdf *zone,
		   const ldns_rdf *server, uint32_t timeout_ms)
{
	char step[32];
	snprintf(step, sizeof(step), "c%d", ck->sent + 1);
	struct rw_trace_event *e = rw_trace_add(ck->trace, RW_EV_SEND, step, wall(ck));
	if (!e)
		return;
	e->zone = zone ? rw_present_name(zone) : strdup("?");
	e->server = server ? rw_present_name(server) : strdup("-");
	e->qname = rw_present_name(p->qname);
	e->qtype = p->qtype;
	e->tcp = p->tcp;
	e->no_edns = p->no_edns;
	memcpy(&e->addr, &p->addr.ss, sizeof(e->addr));
	e->addrlen = p->addr.len;
	e->after_ms = timeout_ms;
}

void ck_trace_reply(struct rw_check *ck, const struct ck_probe *p, const ldns_pkt *pkt,
		    int64_t rtt_us, size_t bytes)
{
	struct rw_trace_event *e = rw_trace_add(ck->trace, RW_EV_REPLY, "", wall(ck));
	if (!e)
		return;
	int rcode = ldns_pkt_get_rcode(pkt);
	size_t an = ldns_rr_list_rr_count(ldns_pkt_answer(pkt));
	e->rcode = rcode;
	e->aa = ldns_pkt_aa(pkt);
	e->tc = ldns_pkt_tc(pkt);
	e->rtt_us = rtt_us > 0 ? (uint32_t)rtt_us : 0;
	e->bytes = (uint32_t)bytes;
	if (e->tc)
		e->kind = RW_REPLY_TRUNCATED;
	else if (rcode == LDNS_RCODE_NXDOMAIN)
		e->kind = RW_REPLY_NXDOMAIN;
	else if (rcode != LDNS_RCODE_NOERROR)
		e->kind = RW_REPLY_FAILED;
	else if (!e->aa)
		e->text = strdup("no AA: a referral, or not authoritative (kept to the check, not "
				 "cached)");
	else
		e->kind = an > 0 ? RW_REPLY_ANSWER : RW_REPLY_NODATA;
}

void ck_trace_timeout(struct rw_check *ck, const struct ck_probe *p, const ldns_rdf *server,
		      const char *why)
{
	struct rw_trace_event *e = rw_trace_add(ck->trace, RW_EV_TIMEOUT, "", wall(ck));
	if (!e)
		return;
	e->server = server ? rw_present_name(server) : strdup("-");
	memcpy(&e->addr, &p->addr.ss, sizeof(e->addr));
	e->addrlen = p->addr.len;
	const struct rw_env *env = ck->r->env;
	int64_t now = env->now_mono_us ? (int64_t)env->now_mono_us(env->ctx)
				       : (int64_t)env->now_mono_ms(env->ctx) * 1000;
	e->after_ms =
		now > (int64_t)p->sent_us ? (uint32_t)((now - (int64_t)p->sent_us) / 1000) : 0;
	e->text = strdup(why);
}

void ck_trace_end(struct rw_check *ck, int findings_worst)
{
	struct rw_trace *t = ck->trace;
	const struct rw_env *env = ck->r->env;
	if (!t)
		return;
	ck->trace = NULL;
	enum rw_trace_only only = ck->r->cfg->trace_only;
	bool keep = only != RW_TRACE_FAIL || findings_worst == RW_CHECK_ERRORS;
	struct rw_trace_event *e = rw_trace_add(t, RW_EV_DONE, "", wall(ck));
	if (e) {
		e->elapsed_us = e->wall_us - ck->start_wall_us;
		e->upstream = (uint32_t)ck->sent;
		e->rcode = LDNS_RCODE_NOERROR;
	}
	size_t len = 0;
	char *text = keep ? rw_trace_format(t, &len) : NULL;
	if (text)
		env->trace_write(env->ctx, text, len);
	free(text);
	rw_trace_free(t);
}
