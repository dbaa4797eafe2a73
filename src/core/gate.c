/* The client gate: access control before a query is even parsed, then the client's DNS cookie
 * and the per-client rate limit. What it refuses or drops is counted and, when the trace
 * filters name the client (trace-clients), traced; a flood from clients nobody asked to trace
 * costs no trace at all, and the rate limit's events are sampled (one per block per second). */
#include "gate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rootwalk/trace.h"

int rw_gate_init(struct rw_gate *g, const struct rw_env *env, const struct rw_config *cfg,
		 struct rw_shared *shared)
{
	(void)env;
	memset(g, 0, sizeof(*g));
	g->acl = rw_acl_new(cfg->acl, cfg->n_acl);
	if (!g->acl)
		return -ENOMEM;
	g->shared = shared;
	return 0;
}

void rw_gate_use_config(struct rw_gate *g, const struct rw_env *env, const struct rw_config *cfg)
{
	struct rw_acl *acl = rw_acl_new(cfg->acl, cfg->n_acl);
	if (acl) {
		rw_acl_free(g->acl);
		g->acl = acl;
	} else if (env->log) {
		env->log(env->ctx, 3,
			 "out of memory: the access-control lines before the reload "
			 "still apply");
	}
}

void rw_gate_deinit(struct rw_gate *g)
{
	rw_acl_free(g->acl);
}

/* Whether the gate's events for this client are wanted in the trace log. */
static bool traced(const struct rw_answerer *a, const struct rw_client_query *cq,
		   const struct rw_answer_client *to)
{
	return a->env->trace_write && a->cfg->n_trace_clients && to->addr &&
	       rw_config_trace_wanted(a->cfg, cq->qname, cq->qname_len, to->addr);
}

/* A trace of the query and what the gate did with it: text, rcode (-1: nothing was sent). */
static void trace_gate(const struct rw_answerer *a, const struct rw_client_query *cq,
		       const struct rw_answer_client *to, const char *text, int rcode)
{
	const struct rw_env *env = a->env;
	int64_t now = env->now_wall_us(env->ctx);
	uint64_t id = 0;

	env->random_buf(env->ctx, &id, sizeof(id));
	struct rw_trace *t = rw_trace_new(id, a->cfg->trace_format);
	if (!t)
		return;
	struct rw_trace_event *e = rw_trace_add(t, RW_EV_QUERY, "", now);
	char name[1024];
	if (e && rw_wire_name_text(cq->qname, cq->qname_len, name, sizeof(name)) >= 0) {
		e->qname = strdup(name);
		e->qtype = cq->qtype;
		e->tcp = to->proto == RW_PROTO_TCP;
		if (to->addrlen <= sizeof(e->addr)) {
			memcpy(&e->addr, to->addr, to->addrlen);
			e->addrlen = to->addrlen;
		}
	}
	if ((e = rw_trace_add(t, RW_EV_ACCESS, "", now))) {
		e->text = strdup(text);
		e->rcode = rcode;
	}
	rw_trace_flush(t, env);
}

void rw_gate_turn_away(struct rw_answerer *a, const uint8_t *pkt, size_t len,
		       const struct rw_answer_client *to, enum rw_acl_action action)
{
	struct rw_client_query cq;
	char why[96];
	bool deny = action == RW_ACL_DENY;
	size_t n = 0;

	if (deny) {
		a->stats->acl_denied++;
	} else if (len >= RW_DNS_HEADER_LEN && !(pkt[2] & (RW_FLAG_QR >> 8))) {
		/* As Unbound answers: the header alone (ID, opcode, RD, CD kept), no question, no
		 * OPT, so that nothing of the query is parsed. A response is never answered. */
		uint16_t flags = rw_get16(pkt + 2) & (RW_OPCODE_MASK | RW_FLAG_RD | RW_FLAG_CD);
		memset(a->buf, 0, RW_DNS_HEADER_LEN);
		memcpy(a->buf, pkt, 2);
		rw_put16(a->buf + 2, (uint16_t)(RW_FLAG_QR | flags | LDNS_RCODE_REFUSED));
		n = RW_DNS_HEADER_LEN;
		rw_stats_rcode(a->stats, LDNS_RCODE_REFUSED);
	}
	if (!deny)
		a->stats->acl_refused++;
	to->cb(to->arg, a->buf, n);
	/* parsed only when the trace could want it */
	if (a->env->trace_write && a->cfg->n_trace_clients &&
	    rw_wire_parse_query(pkt, len, &cq) == RW_QUERY_OK && traced(a, &cq, to)) {
		snprintf(why, sizeof(why), "%s by access-control", deny ? "dropped" : "refused");
		trace_gate(a, &cq, to, why, n ? LDNS_RCODE_REFUSED : -1);
	}
}

/* The client's cookie: counted, and the answer's cookie chosen. */
static enum rw_cookie_state check_cookie(struct rw_gate *g, struct rw_answerer *a,
					 struct rw_client_query *cq,
					 const struct rw_answer_client *to)
{
	if (!cq->cookie_len || !to->addr)
		return RW_COOKIE_NONE;
	uint32_t now = (uint32_t)(a->env->now_wall_us(a->env->ctx) / 1000000);
	const uint8_t *secret = rw_shared_cookie_secret(g->shared, a->env);
	enum rw_cookie_state st =
		rw_cookie_check(secret, cq->cookie, cq->cookie_len, to->addr, now);
	a->stats->cookies[st]++;
	rw_cookie_reply(secret, cq->cookie, cq->cookie_len, st, to->addr, now, cq->cookie_reply);
	cq->cookie_answer = true;
	return st;
}

bool rw_gate_check(struct rw_gate *g, struct rw_answerer *a, const uint8_t *pkt, size_t len,
		   struct rw_client_query *cq, const struct rw_answer_client *to)
{
	enum rw_cookie_state cs = check_cookie(g, a, cq, to);
	uint32_t qps = a->cfg->ip_ratelimit;

	/* TCP proves the address; a valid server cookie does too (RFC 7873 5.2.4) */
	if (!qps || !to->addr || to->proto != RW_PROTO_UDP || cs == RW_COOKIE_VALID)
		return false;
	bool sample = false;
	uint64_t now = a->env->now_mono_ms(a->env->ctx);
	enum rw_rl_verdict v = rw_shared_ratelimit(g->shared, to->addr, now, qps,
						   a->cfg->ip_ratelimit_slip, &sample);
	if (v == RW_RL_PASS)
		return false;
	size_t n = 0;
	if (v == RW_RL_SLIP) {
		/* TC=1 and no records: a real client retries over TCP */
		size_t cap = rw_answer_udp_limit(cq);
		n = rw_wire_error_response(pkt, len, cq, LDNS_RCODE_NOERROR, a->buf, cap);
		if (n) {
			a->buf[2] |= RW_FLAG_TC >> 8;
			if (cq->cookie_answer)
				n = rw_cookie_append(a->buf, n, cap, cq->cookie_reply);
		}
		a->stats->ratelimit_slipped++;
	} else {
		a->stats->ratelimit_dropped++;
	}
	to->cb(to->arg, a->buf, n);
	if (sample && traced(a, cq, to)) {
		char why[128];
		snprintf(why, sizeof(why),
			 "over ip-ratelimit (%u per second for the client's block): %s; one such "
			 "event per block per second is traced",
			 qps, v == RW_RL_SLIP ? "answered TC=1" : "dropped");
		trace_gate(a, cq, to, why, v == RW_RL_SLIP ? LDNS_RCODE_NOERROR : -1);
	}
	return true;
}

void rw_gate_refuse_norec(struct rw_answerer *a, const uint8_t *pkt, size_t len,
			  const struct rw_client_query *cq, const struct rw_answer_client *to)
{
	size_t cap = to->proto == RW_PROTO_UDP ? rw_answer_udp_limit(cq) : a->cap;
	size_t n = rw_wire_error_response(pkt, len, cq, LDNS_RCODE_REFUSED, a->buf, cap);
	if (n && cq->cookie_answer)
		n = rw_cookie_append(a->buf, n, cap, cq->cookie_reply);
	a->stats->acl_refused++;
	rw_stats_rcode(a->stats, LDNS_RCODE_REFUSED);
	to->cb(to->arg, a->buf, n);
	if (traced(a, cq, to))
		trace_gate(a, cq, to,
			   "refused: no recursion desired (RD=0) and access-control "
			   "allows recursion only (allow_snoop would answer)",
			   LDNS_RCODE_REFUSED);
}
