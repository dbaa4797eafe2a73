/* Client answers: refusals of what is not a question for a resolver, names in special-use
 * zones, the RD=0 referral, answers straight from the cache (the fast path), and the final
 * answer of a resolution with its truncation and Extended DNS Error; and the short traces of
 * the paths that need no walk. Everything it needs comes in struct rw_answerer: no request. */
#include <string.h>

#include "answer.h"
#include "chaos.h"
#include "rootwalk/localzone.h"
#include "rootwalk/norec.h"
#include "rootwalk/trace.h"
#include "rootwalk/zonecut.h"

/* The room for an answer: the client's UDP size, or all of the buffer over TCP. */
static size_t room(const struct rw_answerer *a, const struct rw_client_query *cq,
		   const struct rw_answer_client *to)
{
	return to->proto == RW_PROTO_UDP ? rw_answer_udp_limit(cq) : a->cap;
}

/* The bytes to keep free for the COOKIE option of the answer. */
static size_t cookie_room(const struct rw_client_query *cq)
{
	return cq->cookie_answer ? RW_COOKIE_OPT_LEN : 0;
}

/* The answer msg/n (room for cap bytes) with the client's COOKIE option added. */
static size_t with_cookie(uint8_t *msg, size_t n, size_t cap, const struct rw_client_query *cq)
{
	return n && cq->cookie_answer ? rw_cookie_append(msg, n, cap, cq->cookie_reply) : n;
}

static uint32_t ttl_left(int64_t expires_us, uint32_t orig, int64_t now)
{
	int64_t left = (expires_us - now + 999999) / 1000000;
	if (left < 0)
		left = 0;
	if (left > orig)
		left = orig;
	return (uint32_t)left;
}

/* An Extended DNS Error option (RFC 8914): INFO-CODE and a short UTF-8 text. */
static void add_ede(ldns_pkt *p, int code, const char *text)
{
	uint8_t buf[4 + 2 + 200];
	size_t tlen = text ? strlen(text) : 0;
	if (tlen > 200)
		tlen = 200;
	buf[0] = 0, buf[1] = 15; /* OPTION-CODE 15: Extended DNS Error */
	buf[2] = (uint8_t)((2 + tlen) >> 8), buf[3] = (uint8_t)(2 + tlen);
	buf[4] = (uint8_t)(code >> 8), buf[5] = (uint8_t)code;
	if (tlen)
		memcpy(buf + 6, text, tlen);
	ldns_rdf *d = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, 6 + tlen, buf);
	if (d)
		ldns_pkt_set_edns_data(p, d);
}

/* How much of the response: all of it, without the additional section, or TC and the question. */
enum shape { FULL, NO_ADDITIONAL, TRUNCATED };

struct additional {
	ldns_pkt *p;
	int64_t now;
};

static bool push_addrs(void *arg, const struct rw_cache_entry *e, bool parent_side)
{
	struct additional *ad = arg;
	uint32_t ttl = rw_cache_ttl_left(e, ad->now);
	(void)parent_side;
	for (size_t k = 0; k < ldns_rr_list_rr_count(e->rrs); k++) {
		ldns_rr *rr = ldns_rr_clone(ldns_rr_list_rr(e->rrs, k));
		if (rr) {
			ldns_rr_set_ttl(rr, ttl);
			ldns_pkt_push_rr(ad->p, LDNS_SECTION_ADDITIONAL, rr);
		}
	}
	return true;
}

/* For an NS answer, the cached addresses of the name servers (what `dig +trace` reads). */
static void add_ns_addresses(struct rw_cache *cache, ldns_pkt *p, int64_t now)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	struct additional ad = {p, now};
	size_t n = ldns_rr_list_rr_count(an);
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *ns = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(ns) == LDNS_RR_TYPE_NS && ldns_rr_rdf(ns, 0))
			rw_zonecut_addrs(cache, ldns_rr_rdf(ns, 0), now, false, push_addrs, &ad);
	}
}

/* For a client that set DO: the NSEC/NSEC3 records and RRSIGs that prove a negative answer or a
 * wildcard expansion, in the authority section. */
static void add_proof(ldns_pkt *p, const struct rw_iter *it, int64_t now)
{
	size_t n;
	const struct rw_iter_rec *proof = rw_iter_proof(it, &n);
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_clone(proof[i].rr);
		if (rr) {
			ldns_rr_set_ttl(rr, ttl_left(proof[i].expires_us, proof[i].orig_ttl, now));
			ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
		}
	}
}

/* AD (RFC 4035 3.2.3, RFC 6840 5.8): the answer was validated secure and the client shows it
 * understands (DO or AD set); never on a failure. */
static bool authentic(const struct rw_client_query *cq, const struct rw_iter *it, int rcode)
{
	return it && rcode != LDNS_RCODE_SERVFAIL && rw_iter_vstate(it) == RW_VSTATE_SECURE &&
	       (cq->do_bit || (cq->flags & RW_FLAG_AD));
}

static uint8_t *build_response(const struct rw_answerer *a, const struct rw_client_query *cq,
			       const struct rw_iter *it, int rcode, enum shape shape, size_t *len)
{
	bool truncate = shape == TRUNCATED;
	int64_t now = a->env->now_wall_us(a->env->ctx);
	ldns_pkt *p = ldns_pkt_new();
	uint8_t *wire = NULL;

	if (!p)
		return NULL;
	ldns_pkt_set_id(p, cq->id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rd(p, (cq->flags & RW_FLAG_RD) != 0);
	ldns_pkt_set_cd(p, (cq->flags & RW_FLAG_CD) != 0);
	ldns_pkt_set_ad(p, authentic(cq, it, rcode));
	ldns_pkt_set_opcode(p, LDNS_PACKET_QUERY);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	ldns_pkt_set_tc(p, truncate);

	ldns_rr *qrr = ldns_rr_new();
	ldns_rdf *qname = ldns_dname_new_frm_data((uint16_t)cq->qname_len, cq->qname);
	if (!qrr || !qname) {
		ldns_rr_free(qrr);
		ldns_rdf_deep_free(qname);
		ldns_pkt_free(p);
		return NULL;
	}
	ldns_rr_set_owner(qrr, qname);
	ldns_rr_set_type(qrr, cq->qtype);
	ldns_rr_set_class(qrr, cq->qclass);
	ldns_rr_set_question(qrr, true);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, qrr);

	/* A failure carries no partial data (a CNAME chain that ended in a loop, say). */
	if (it && !truncate && rcode != LDNS_RCODE_SERVFAIL) {
		size_t n;
		const struct rw_iter_rec *recs = rw_iter_answer(it, &n);
		/* RRSIGs only for a client that set DO (RFC 4035 3.2.1), unless asked for */
		bool sigs = cq->do_bit || cq->qtype == LDNS_RR_TYPE_RRSIG;
		for (size_t i = 0; i < n; i++) {
			if (!sigs && ldns_rr_get_type(recs[i].rr) == LDNS_RR_TYPE_RRSIG)
				continue;
			ldns_rr *rr = ldns_rr_clone(recs[i].rr);
			if (!rr)
				continue;
			ldns_rr_set_ttl(rr, ttl_left(recs[i].expires_us, recs[i].orig_ttl, now));
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
		}
		const struct rw_iter_rec *soa = rw_iter_soa(it);
		if (soa) {
			ldns_rr *rr = ldns_rr_clone(soa->rr);
			if (rr) {
				ldns_rr_set_ttl(rr, ttl_left(soa->expires_us, soa->orig_ttl, now));
				ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
			}
		}
		if (cq->do_bit)
			add_proof(p, it, now);
		if (shape == FULL && cq->qtype == LDNS_RR_TYPE_NS)
			add_ns_addresses(a->cache, p, now);
	}
	if (cq->edns) {
		ldns_pkt_set_edns_udp_size(p, RW_EDNS_BUFSIZE);
		ldns_pkt_set_edns_do(p, cq->do_bit); /* RFC 3225 3: DO is copied */
		/* a failure's reason, or why an answer is insecure (EDE 1, 2, 27); a client that
		 * set CD asked for the data, not the verdict */
		bool cd_data = (cq->flags & RW_FLAG_CD) && rcode != LDNS_RCODE_SERVFAIL;
		if (it && rw_iter_ede(it) >= 0 && !cd_data &&
		    (rcode == LDNS_RCODE_SERVFAIL || rw_iter_vstate(it) == RW_VSTATE_INSECURE))
			add_ede(p, rw_iter_ede(it), rw_iter_fail_reason(it));
	}
	if (ldns_pkt2wire(&wire, p, len) != LDNS_STATUS_OK)
		wire = NULL;
	ldns_pkt_free(p);
	return wire;
}

void rw_answer_final(const struct rw_answerer *a, const struct rw_client_query *cq,
		     enum rw_proto proto, const struct rw_iter *it, int rcode, rw_response_cb cb,
		     void *arg)
{
	size_t len = 0;
	/* CD (RFC 4035 3.2.2): the data even when it is bogus */
	if (it && (cq->flags & RW_FLAG_CD) && rw_iter_vstate(it) == RW_VSTATE_BOGUS)
		rcode = rw_iter_raw_rcode(it);
	uint8_t *wire = build_response(a, cq, it, rcode, FULL, &len);

	rw_stats_rcode(a->stats, rcode);
	/* too big for the client's UDP: drop the additional section first (RFC 2181 9), then TC */
	for (enum shape sh = NO_ADDITIONAL;
	     wire && proto == RW_PROTO_UDP && len + cookie_room(cq) > rw_answer_udp_limit(cq) &&
	     sh <= TRUNCATED;
	     sh++) {
		free(wire);
		wire = build_response(a, cq, it, rcode, sh, &len);
	}
	if (wire && cq->cookie_answer) {
		uint8_t *big = realloc(wire, len + RW_COOKIE_OPT_LEN);
		if (big) {
			wire = big;
			len = with_cookie(wire, len, len + RW_COOKIE_OPT_LEN, cq);
		}
	}
	/* out of memory: send nothing, the client retries */
	cb(arg, wire, wire ? len : 0);
	free(wire);
}

/* The trace of a fast-path cache hit: the records served, with where each came from. */
void rw_answer_trace_fast_hit(struct rw_answerer *a, const struct rw_answer_client *to, size_t len,
			      int64_t t0)
{
	const struct rw_env *env = a->env;
	struct rw_trace_hit h = {
		.format = a->cfg->trace_format,
		.start_us = t0,
		.end_us = env->now_wall_us(env->ctx),
		.client = to->addr,
		.clientlen = to->addrlen,
		.tcp = to->proto == RW_PROTO_TCP,
		.resp = a->buf,
		.len = len,
		.used = &a->used,
		.prefetch_left = a->pf_left,
		.prefetch_orig = a->pf_orig,
	};
	h.id = rw_trace_id_next(&a->ids, env); /* no system call per trace */
	a->tbuf.len = 0; /* the buffer is kept: no allocation once it has grown */
	a->tbuf.oom = false;
	if (env->trace_write_hit) { /* formatted by the sink's thread */
		if (rw_trace_hit_pack(&a->tbuf, &h) == 0)
			env->trace_write_hit(env->ctx, a->tbuf.p, a->tbuf.len);
	} else if (rw_trace_hit_format(&a->tbuf, &h) == 0) {
		env->trace_write(env->ctx, a->tbuf.p, a->tbuf.len);
	}
}

/* A trace for a query answered without a walk, holding its query event; NULL if that fails. */
static struct rw_trace *trace_start_short(const struct rw_answerer *a,
					  const struct rw_client_query *cq,
					  const struct rw_answer_client *to, int64_t t0)
{
	const struct rw_env *env = a->env;
	uint64_t id = 0;

	env->random_buf(env->ctx, &id, sizeof(id));
	struct rw_trace *t = rw_trace_new(id, a->cfg->trace_format);
	if (!t)
		return NULL;
	ldns_rdf *qname = ldns_dname_new_frm_data((uint16_t)cq->qname_len, cq->qname);
	struct rw_trace_event *e = rw_trace_add(t, RW_EV_QUERY, "", t0);
	if (e && qname) {
		e->qname = rw_present_name(qname);
		e->qtype = cq->qtype;
		e->tcp = to->proto == RW_PROTO_TCP;
		if (to->addr && to->addrlen <= sizeof(e->addr)) {
			memcpy(&e->addr, to->addr, to->addrlen);
			e->addrlen = to->addrlen;
		}
	}
	ldns_rdf_deep_free(qname);
	return t;
}

/* Close a short trace with its done event, write it and free it. */
static void trace_end_short(const struct rw_answerer *a, struct rw_trace *t, uint32_t cache_hits,
			    int rcode, int64_t t0)
{
	const struct rw_env *env = a->env;
	int64_t t1 = env->now_wall_us(env->ctx);
	struct rw_trace_event *e = rw_trace_add(t, RW_EV_DONE, "", t1);

	if (e) {
		e->elapsed_us = t1 - t0;
		e->cache_hits = cache_hits;
		e->rcode = rcode;
	}
	rw_trace_flush(t, env);
}

/* The trace of a query with RD clear that the cache could not answer: the referral it got. */
static void trace_norec(const struct rw_answerer *a, const struct rw_client_query *cq,
			const struct rw_answer_client *to, const struct rw_cache_entry *cut,
			int rcode, int64_t t0)
{
	struct rw_trace *t = trace_start_short(a, cq, to, t0);
	struct rw_trace_event *e;

	if (!t)
		return;
	if (cut && (e = rw_trace_add(t, RW_EV_NOREC, "", t0))) {
		e->zone = rw_present_name(cut->owner);
		e->expires_us = cut->expires_us;
		uint32_t ttl = rw_cache_ttl_left(cut, t0);
		for (size_t i = 0; i < ldns_rr_list_rr_count(cut->rrs); i++)
			(void)rw_trace_add_rec(e, ldns_rr_list_rr(cut->rrs, i), ttl, cut->orig_ttl,
					       cut->stored_us, cut->expires_us, cut->src, true);
	} else if (!cut && (e = rw_trace_add(t, RW_EV_FAIL, "", t0))) {
		e->text = strdup("no recursion desired (RD=0) and no cached delegation to refer "
				 "to: REFUSED");
	}
	trace_end_short(a, t, cut ? 1 : 0, rcode, t0);
}

/* A name in a special-use or locally served zone: answered here, never asked upstream. */
void rw_answer_local(struct rw_answerer *a, int zone, const uint8_t *pkt, size_t len,
		     const struct rw_client_query *cq, const struct rw_answer_client *to)
{
	int64_t now = a->env->now_wall_us(a->env->ctx);
	size_t cap = room(a, cq, to);
	int rcode = LDNS_RCODE_NOERROR;
	size_t n = rw_localzone_answer(zone, pkt, len, cq, a->buf, cap - cookie_room(cq), &rcode);

	if (n == 0) {
		rcode = LDNS_RCODE_SERVFAIL;
		n = rw_wire_error_response(pkt, len, cq, rcode, a->buf, cap - cookie_room(cq));
	}
	n = with_cookie(a->buf, n, cap, cq);
	a->stats->local_answers++;
	rw_stats_rcode(a->stats, rcode);
	to->cb(to->arg, a->buf, n);
	if (!to->traced || a->cfg->trace_only != RW_TRACE_ALL)
		return;
	struct rw_trace *t = trace_start_short(a, cq, to, now);
	struct rw_trace_event *e;
	if (!t)
		return;
	if ((e = rw_trace_add(t, RW_EV_LOCAL, "", now))) {
		e->zone = strdup(rw_localzone_name(zone));
		e->text = strdup(rw_localzone_why(zone));
		e->rcode = rcode;
	}
	trace_end_short(a, t, 0, rcode, now);
}

/* RD clear and no cached answer: a referral to the closest cached cut, never a resolution
 * (norec.c); REFUSED when not even a cut is cached. */
void rw_answer_norec(struct rw_answerer *a, const uint8_t *pkt, size_t len,
		     const struct rw_client_query *cq, const struct rw_answer_client *to)
{
	int64_t now = a->env->now_wall_us(a->env->ctx);
	size_t cap = room(a, cq, to);
	struct rw_cache_entry cut;
	int rcode = LDNS_RCODE_NOERROR;
	size_t n = 0;
	bool found = rw_norec_find_cut(a->cache, cq, now, &cut);

	if (found)
		n = rw_norec_referral(a->cache, pkt, len, cq, &cut, now, a->buf,
				      cap - cookie_room(cq));
	if (n == 0) {
		rcode = LDNS_RCODE_REFUSED;
		n = rw_wire_error_response(pkt, len, cq, rcode, a->buf, cap - cookie_room(cq));
	}
	n = with_cookie(a->buf, n, cap, cq);
	if (found)
		a->stats->cache_hits++;
	else
		a->stats->cache_misses++;
	rw_stats_rcode(a->stats, rcode);
	to->cb(to->arg, a->buf, n);
	if (to->traced && a->cfg->trace_only == RW_TRACE_ALL)
		trace_norec(a, cq, to, found ? &cut : NULL, rcode, now);
	if (found)
		rw_cache_entry_clear(&cut);
}

bool rw_answer_refusal(struct rw_answerer *a, const uint8_t *pkt, size_t len,
		       const struct rw_client_query *cq, enum rw_query_status st,
		       const struct rw_answer_client *to)
{
	uint8_t buf[512];
	size_t n = 0;

	if (st != RW_QUERY_OK) {
		int rcode = st == RW_QUERY_NOTIMP    ? LDNS_RCODE_NOTIMPL
			    : st == RW_QUERY_BADVERS ? 16
						     : LDNS_RCODE_FORMERR;
		a->stats->client_malformed++;
		if (st != RW_QUERY_DROP) {
			n = rw_wire_error_response(pkt, len, cq, rcode, buf, sizeof(buf));
			if (rcode > 15) {
				a->stats->client_badvers++;
				a->stats->client_answers++;
			} else {
				rw_stats_rcode(a->stats, (unsigned)rcode);
			}
		}
		to->cb(to->arg, buf, n);
		return true;
	}
	bool meta = rw_answer_meta_type(cq->qtype);
	if (!rw_answer_is_refusal(st, cq))
		return false;
	if (cq->qclass == LDNS_RR_CLASS_CH)
		return rw_chaos_answer(a, pkt, len, cq, to);
	int rcode = cq->qclass != LDNS_RR_CLASS_IN ? LDNS_RCODE_NOTIMPL
		    : meta			   ? LDNS_RCODE_FORMERR
						   : LDNS_RCODE_REFUSED;
	n = rw_wire_error_response(pkt, len, cq, rcode, buf, sizeof(buf) - cookie_room(cq));
	n = with_cookie(buf, n, sizeof(buf), cq);
	rw_stats_rcode(a->stats, rcode);
	to->cb(to->arg, buf, n);
	return true;
}

/* ---------------------------------------------------------------------------------------------
 * Serve-stale (RFC 8767)
 */

#define EDE_STALE_LEN 6 /* OPTION-CODE, OPTION-LENGTH, INFO-CODE: no EXTRA-TEXT */

/* Add EDE 3 "Stale Answer" (RFC 8914 4.4) to the fast path's OPT, the last record, with no
 * options yet; msg has room for EDE_STALE_LEN more bytes. Returns the new length. */
static size_t put_ede_stale(uint8_t *msg, size_t n)
{
	size_t opt = n - RW_OPT_LEN;
	if (n < RW_DNS_HEADER_LEN + RW_OPT_LEN || rw_get16(msg + 10) != 1 || msg[opt] != 0 ||
	    rw_get16(msg + opt + 1) != RW_TYPE_OPT || rw_get16(msg + opt + 9) != 0)
		return n;
	rw_put16(msg + opt + 9, EDE_STALE_LEN);
	rw_put16(msg + n, 15); /* Extended DNS Error */
	rw_put16(msg + n + 2, 2);
	rw_put16(msg + n + 4, RW_EDE_STALE_ANSWER);
	return n + EDE_STALE_LEN;
}

bool rw_answer_stale(struct rw_answerer *a, const struct rw_client_query *cq, enum rw_proto proto,
		     rw_response_cb cb, void *arg, int64_t *expired_us)
{
	size_t cap = proto == RW_PROTO_UDP ? rw_answer_udp_limit(cq) : a->cap;
	size_t extra = cookie_room(cq) + (cq->edns ? EDE_STALE_LEN : 0);
	int64_t now = a->env->now_wall_us(a->env->ctx);
	struct rw_cache_read rd = {.stale_ttl = RW_STALE_TTL};
	size_t n = rw_cache_answer_read(a->cache, cq, now, a->cfg->max_cname_chain, a->buf,
					cap - extra, &rd);
	if (!n)
		return false;
	if (cq->edns)
		n = put_ede_stale(a->buf, n);
	n = with_cookie(a->buf, n, cap, cq);
	a->stats->stale_answers++;
	rw_stats_rcode(a->stats, a->buf[3]);
	*expired_us = rd.expired_us;
	cb(arg, a->buf, n);
	return true;
}

void rw_answer_trace_stale(const struct rw_answerer *a, const struct rw_client_query *cq,
			   const struct rw_answer_client *to, const char *text, int64_t t0)
{
	struct rw_trace *t = trace_start_short(a, cq, to, t0);
	struct rw_trace_event *e;

	if (!t)
		return;
	if ((e = rw_trace_add(t, RW_EV_STALE, "", t0)))
		e->text = strdup(text);
	trace_end_short(a, t, 1, a->buf[3] & 15, t0);
}
