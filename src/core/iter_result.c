/* The iterator's results and its ends: the records of the answer with their provenance, the
 * trace events, finishing, failing (with a reason), and following a CNAME or a DNAME. The lowest
 * layer of the iterator: it calls no other part of it. */
#include "iter_impl.h"

struct rw_trace_event *iter_trace_ev(struct rw_iter *it, enum rw_ev type)
{
	if (!it->sh->trace)
		return NULL;
	struct rw_trace_event *e = rw_trace_add(it->sh->trace, type, it->step, now_us(it));
	if (e)
		e->depth = it->depth;
	return e;
}

/* a is b or below b */

uint32_t iter_rrset_min_ttl(const ldns_rr_list *l)
{
	uint32_t ttl = UINT32_MAX;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		uint32_t t = ldns_rr_ttl(ldns_rr_list_rr(l, i));
		if (t & 0x80000000u)
			t = 0;
		if (t < ttl)
			ttl = t;
	}
	return ttl == UINT32_MAX ? 0 : ttl;
}

struct rw_source *iter_make_source(struct rw_iter *it)
{
	char *server = dstr(it->ns[it->cur_ns].name);
	char *zone = dstr(it->zone);
	const struct ns_addr *a = &it->ns[it->cur_ns].addr[it->cur_addr];
	struct rw_source *s = rw_source_new(server, zone, (const struct sockaddr *)&a->ss, a->len);
	free(server);
	free(zone);
	return s;
}

void iter_set_step(struct rw_iter *it)
{
	it->nstep++;
	if (it->prefix[0])
		snprintf(it->step, sizeof(it->step), "%.18s.%d", it->prefix, it->nstep % 1000);
	else
		snprintf(it->step, sizeof(it->step), "%d", it->nstep % 1000);
}

static int add_to(struct rw_iter_rec **arr, size_t *n, size_t *cap, const ldns_rr *rr,
		  struct rw_source *src, int64_t stored, int64_t expires, uint32_t orig_ttl,
		  bool from_cache)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		struct rw_iter_rec *r = realloc(*arr, c * sizeof(*r));
		if (!r)
			return -1;
		*arr = r;
		*cap = c;
	}
	struct rw_iter_rec *r = &(*arr)[*n];
	r->rr = ldns_rr_clone(rr);
	if (!r->rr)
		return -1;
	r->src = rw_source_ref(src);
	r->stored_us = stored;
	r->expires_us = expires;
	r->orig_ttl = orig_ttl;
	r->from_cache = from_cache;
	r->vstate = RW_VSTATE_UNCHECKED;
	(*n)++;
	return 0;
}

int iter_add_rec(struct rw_iter *it, const ldns_rr *rr, struct rw_source *src, int64_t stored,
		 int64_t expires, uint32_t orig_ttl, bool from_cache)
{
	return add_to(&it->recs, &it->n_recs, &it->cap_recs, rr, src, stored, expires, orig_ttl,
		      from_cache);
}

int iter_add_proof(struct rw_iter *it, const ldns_rr *rr, struct rw_source *src, int64_t stored,
		   int64_t expires, uint32_t orig_ttl, bool from_cache)
{
	return add_to(&it->proof, &it->n_proof, &it->cap_proof, rr, src, stored, expires, orig_ttl,
		      from_cache);
}

void iter_set_soa(struct rw_iter *it, const ldns_rr *soa, struct rw_source *src, int64_t stored,
		  int64_t expires, uint32_t ttl, bool from_cache)
{
	if (it->has_soa) {
		ldns_rr_free(it->soa.rr);
		rw_source_unref(it->soa.src);
	}
	it->soa.rr = ldns_rr_clone(soa);
	it->soa.src = rw_source_ref(src);
	it->soa.stored_us = stored;
	it->soa.expires_us = expires;
	it->soa.orig_ttl = ttl;
	it->soa.from_cache = from_cache;
	it->soa.vstate = RW_VSTATE_UNCHECKED;
	it->has_soa = it->soa.rr != NULL;
}

static void trace_answer(struct rw_iter *it)
{
	if (!tracing(it))
		return;
	int64_t now = now_us(it);
	struct rw_trace_event *e = iter_trace_ev(it, RW_EV_ANSWER);
	if (!e)
		return;
	e->rcode = it->rcode;
	e->qname = dstr(it->orig_qname);
	for (size_t i = 0; i < it->n_recs; i++) {
		const struct rw_iter_rec *r = &it->recs[i];
		if (ldns_rr_get_type(r->rr) == LDNS_RR_TYPE_RRSIG &&
		    it->qtype != LDNS_RR_TYPE_RRSIG)
			continue; /* the validation events tell the signatures' story */
		int64_t left = (r->expires_us - now + 999999) / 1000000;
		if (left < 0)
			left = 0;
		if (left > r->orig_ttl)
			left = r->orig_ttl;
		rw_trace_add_rec(e, r->rr, (uint32_t)left, r->orig_ttl, r->stored_us, r->expires_us,
				 r->src, r->from_cache);
	}
}

void iter_finish(struct rw_iter *it, int rcode, struct rw_iter_out *out)
{
	it->rcode = rcode;
	it->raw_rcode = rcode;
	it->done = true;
	it->waiting = false;
	out->act = RW_ACT_DONE;
	trace_answer(it);
}

int rw_fail_ede(enum rw_fail_reason reason)
{
	switch (reason) {
	case RW_FAIL_NO_AUTHORITY:
		return RW_EDE_NO_REACHABLE_AUTHORITY;
	case RW_FAIL_NETWORK:
		return RW_EDE_NETWORK_ERROR;
	default:
		return RW_EDE_OTHER;
	}
}

void iter_fail(struct rw_iter *it, struct rw_iter_out *out, enum rw_fail_reason why,
	       const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	it->why = why;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(it->fail_reason);
	it->fail_reason = strdup(buf);
	struct rw_trace_event *e = iter_trace_ev(it, RW_EV_FAIL);
	if (e)
		e->text = strdup(buf);
	it->rcode = LDNS_RCODE_SERVFAIL;
	it->raw_rcode = LDNS_RCODE_SERVFAIL;
	it->done = true;
	it->waiting = false;
	out->act = RW_ACT_DONE;
}

void rw_iter_fail(struct rw_iter *it, enum rw_fail_reason reason, const char *text,
		  struct rw_iter_out *out)
{
	iter_fail(it, out, reason, "%s", text);
}

static bool loop_in_chain(const struct rw_iter *it, const ldns_rdf *target)
{
	if (name_eq(target, it->orig_qname))
		return true;
	for (size_t i = 0; i < it->n_recs; i++)
		if (ldns_rr_get_type(it->recs[i].rr) == LDNS_RR_TYPE_CNAME &&
		    name_eq(ldns_rr_owner(it->recs[i].rr), target))
			return true;
	return false;
}

/* Move to the CNAME target. Returns false (after failing) when the chain is too long or loops. */
bool iter_follow_cname(struct rw_iter *it, const ldns_rdf *target, struct rw_iter_out *out)
{
	char *from = dstr(it->qname), *to = dstr(target);
	bool ok = false;

	it->cnames++;
	if (it->cnames > it->sh->cfg->max_cname_chain) {
		iter_fail(it, out, RW_FAIL_LIMIT, "limit max-cname-chain (%u) exceeded at %s -> %s",
			  it->sh->cfg->max_cname_chain, from, to);
	} else if (loop_in_chain(it, target)) {
		iter_fail(it, out, RW_FAIL_CNAME_LOOP, "CNAME loop: %s -> %s", from, to);
	} else {
		struct rw_trace_event *e = iter_trace_ev(it, RW_EV_CNAME);
		if (e) {
			e->qname = from;
			e->text = to;
			from = to = NULL;
		}
		ldns_rdf_deep_free(it->qname);
		it->qname = ldns_rdf_clone(target);
		ok = it->qname != NULL;
		if (!ok)
			iter_fail(it, out, RW_FAIL_OTHER, "out of memory");
	}
	free(from);
	free(to);
	return ok;
}

/* qname with the DNAME owner's labels replaced by its target (RFC 6672 2.2), or NULL when the
 * result would be longer than 255 octets. */
static ldns_rdf *dname_substitute(const ldns_rdf *qname, const ldns_rdf *owner,
				  const ldns_rdf *target)
{
	size_t keep = ldns_rdf_size(qname) - ldns_rdf_size(owner);
	size_t len = keep + ldns_rdf_size(target);
	uint8_t buf[512];
	if (ldns_rdf_size(qname) < ldns_rdf_size(owner) || len > 255)
		return NULL;
	memcpy(buf, ldns_rdf_data(qname), keep);
	memcpy(buf + keep, ldns_rdf_data(target), ldns_rdf_size(target));
	return ldns_dname_new_frm_data((uint16_t)len, buf);
}

bool iter_follow_dname(struct rw_iter *it, const ldns_rr *dname, struct rw_source *src,
		       int64_t stored_us, int64_t expires_us, uint32_t orig_ttl, bool from_cache,
		       struct rw_iter_out *out)
{
	const ldns_rdf *target = ldns_rr_rdf(dname, 0);
	if (!target || ldns_rdf_get_type(target) != LDNS_RDF_TYPE_DNAME) {
		iter_fail(it, out, RW_FAIL_OTHER, "a DNAME without a target name from the server");
		return false;
	}
	ldns_rdf *to = dname_substitute(it->qname, ldns_rr_owner(dname), target);
	if (!to) {
		iter_finish(it, LDNS_RCODE_YXDOMAIN, out); /* RFC 6672 2.2: the name is too long */
		return false;
	}
	ldns_rr *cname = ldns_rr_new();
	ldns_rdf *owner = ldns_rdf_clone(it->qname);
	ldns_rdf *rd = ldns_rdf_clone(to);
	if (!cname || !owner || !rd) {
		ldns_rr_free(cname);
		ldns_rdf_deep_free(owner);
		ldns_rdf_deep_free(rd);
		ldns_rdf_deep_free(to);
		iter_fail(it, out, RW_FAIL_OTHER, "out of memory");
		return false;
	}
	ldns_rr_set_owner(cname, owner);
	ldns_rr_set_type(cname, LDNS_RR_TYPE_CNAME);
	ldns_rr_set_class(cname, ldns_rr_get_class(dname));
	ldns_rr_set_ttl(cname, ldns_rr_ttl(dname));
	ldns_rr_push_rdf(cname, rd);
	iter_add_rec(it, cname, src, stored_us, expires_us, orig_ttl, from_cache);
	ldns_rr_free(cname);
	bool ok = iter_follow_cname(it, to, out);
	ldns_rdf_deep_free(to);
	if (ok && it->qtype == LDNS_RR_TYPE_CNAME) {
		iter_finish(it, LDNS_RCODE_NOERROR, out); /* the synthesised CNAME is the answer */
		return false;
	}
	return ok;
}

int rw_iter_rcode(const struct rw_iter *it)
{
	return it->rcode;
}

const struct rw_iter_rec *rw_iter_answer(const struct rw_iter *it, size_t *n)
{
	*n = it->n_recs;
	return it->recs;
}

const struct rw_iter_rec *rw_iter_soa(const struct rw_iter *it)
{
	return it->has_soa ? &it->soa : NULL;
}

int rw_iter_ede(const struct rw_iter *it)
{
	if (it->vstate == RW_VSTATE_BOGUS || (it->vstate == RW_VSTATE_INSECURE && it->sec_ede > 0))
		return it->sec_ede;
	return it->rcode == LDNS_RCODE_SERVFAIL ? rw_fail_ede(it->why) : -1;
}

const struct rw_iter_rec *rw_iter_proof(const struct rw_iter *it, size_t *n)
{
	*n = it->n_proof;
	return it->proof;
}

const ldns_rdf *rw_iter_final_qname(const struct rw_iter *it)
{
	return it->qname;
}

void rw_iter_set_security(struct rw_iter *it, enum rw_vstate v, int ede, const char *why)
{
	it->vstate = v;
	it->sec_ede = ede;
	if (v != RW_VSTATE_BOGUS && !(v == RW_VSTATE_INSECURE && ede > 0))
		return;
	free(it->fail_reason);
	it->fail_reason = why ? strdup(why) : NULL;
	if (v == RW_VSTATE_BOGUS) {
		it->why = RW_FAIL_DNSSEC;
		it->rcode = LDNS_RCODE_SERVFAIL;
	}
}

enum rw_vstate rw_iter_vstate(const struct rw_iter *it)
{
	return it->vstate;
}

int rw_iter_raw_rcode(const struct rw_iter *it)
{
	return it->raw_rcode;
}

enum rw_fail_reason rw_iter_fail_why(const struct rw_iter *it)
{
	return it->why;
}

const char *rw_iter_fail_reason(const struct rw_iter *it)
{
	return it->fail_reason;
}

const ldns_rdf *rw_iter_qname(const struct rw_iter *it)
{
	return it->orig_qname;
}

uint16_t rw_iter_qtype(const struct rw_iter *it)
{
	return it->qtype;
}
