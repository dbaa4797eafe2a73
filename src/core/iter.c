/* The iterator: the delegation walk of one (qname, qtype) as a state machine. See iter.h.
 * This file: events in, results out, and the start from the cache. */
#include "iter_impl.h"

/* ---------------------------------------------------------------------------------------------
 * Small helpers
 */

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

/* ---------------------------------------------------------------------------------------------
 * Results
 */

int iter_add_rec(struct rw_iter *it, const ldns_rr *rr, struct rw_source *src, int64_t stored,
		 int64_t expires, uint32_t orig_ttl, bool from_cache)
{
	if (it->n_recs == it->cap_recs) {
		size_t cap = it->cap_recs ? it->cap_recs * 2 : 8;
		struct rw_iter_rec *r = realloc(it->recs, cap * sizeof(*r));
		if (!r)
			return -1;
		it->recs = r;
		it->cap_recs = cap;
	}
	struct rw_iter_rec *r = &it->recs[it->n_recs];
	r->rr = ldns_rr_clone(rr);
	if (!r->rr)
		return -1;
	r->src = rw_source_ref(src);
	r->stored_us = stored;
	r->expires_us = expires;
	r->orig_ttl = orig_ttl;
	r->from_cache = from_cache;
	it->n_recs++;
	return 0;
}

/* Add a cached entry's records (RRSIGs stay in the cache: we do not serve DNSSEC yet). */
static void add_entry(struct rw_iter *it, const struct rw_cache_entry *e)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(e->rrs); i++)
		iter_add_rec(it, ldns_rr_list_rr(e->rrs, i), e->src, e->stored_us, e->expires_us,
			     e->orig_ttl, true);
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
	it->done = true;
	it->waiting = false;
	out->act = RW_ACT_DONE;
}

void rw_iter_fail(struct rw_iter *it, enum rw_fail_reason reason, const char *text,
		  struct rw_iter_out *out)
{
	iter_fail(it, out, reason, "%s", text);
}

/* ---------------------------------------------------------------------------------------------
 * Start: answer from the cache or walk from the closest cut
 */

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

static void trace_cache_hit(struct rw_iter *it, const struct rw_cache_entry *e, size_t first)
{
	struct rw_trace_event *ev = iter_trace_ev(it, RW_EV_CACHE_HIT);
	if (!ev)
		return;
	int64_t now = ev->wall_us;
	ev->qname = dstr(it->qname);
	ev->qtype = it->qtype;
	if (e && e->kind != RW_ENTRY_RRSET && e->soa) {
		ev->text = strdup(e->kind == RW_ENTRY_NXDOMAIN ? "nxdomain" : "nodata");
		rw_trace_add_rec(ev, e->soa, rw_cache_ttl_left(e, now), e->orig_ttl, e->stored_us,
				 e->expires_us, e->src, true);
		return;
	}
	for (size_t i = first; i < it->n_recs; i++) {
		const struct rw_iter_rec *r = &it->recs[i];
		rw_trace_add_rec(ev, r->rr, e ? rw_cache_ttl_left(e, now) : 0, r->orig_ttl,
				 r->stored_us, r->expires_us, r->src, true);
	}
}

/* A cached DNAME at a proper ancestor of the current name (RFC 6672 3.2): synthesise the CNAME
 * from it without asking. Returns 0 when there is none, 1 when the walk goes on with the new
 * name, -1 when the iterator finished or failed. */
static int dname_from_cache(struct rw_iter *it, size_t first, struct rw_iter_out *out)
{
	int64_t now = now_us(it);
	ldns_rdf *name = is_root(it->qname) ? NULL : ldns_dname_left_chop(it->qname);
	int rc = 0;

	while (name && !is_root(name) && rc == 0) {
		struct rw_cache_entry e;
		if (rw_cache_get(it->sh->cache, RW_ENTRY_RRSET, name, LDNS_RR_TYPE_DNAME,
				 it->qclass, now, RW_RANK_NONAUTH_ANSWER, &e)) {
			if (ldns_rr_list_rr_count(e.rrs) == 1) {
				add_entry(it, &e);
				it->sh->cache_hits++;
				trace_cache_hit(it, &e, first);
				rc = iter_follow_dname(it, ldns_rr_list_rr(e.rrs, 0), e.src,
						       e.stored_us, e.expires_us, e.orig_ttl, true,
						       out)
					     ? 1
					     : -1;
			}
			rw_cache_entry_clear(&e);
			if (rc == 0)
				break; /* a broken DNAME set: let the servers say */
		}
		ldns_rdf *up = ldns_dname_left_chop(name);
		ldns_rdf_deep_free(name);
		name = up;
	}
	ldns_rdf_deep_free(name);
	return rc;
}

/* Try to finish from the cache, following cached CNAMEs. Returns true when done (or failed). */
static bool answer_from_cache(struct rw_iter *it, struct rw_iter_out *out)
{
	struct rw_cache *c = it->sh->cache;

	if (it->sh->no_cache_answer && it->depth == 0)
		return false;
	for (;;) {
		int64_t now = now_us(it);
		struct rw_cache_entry e;
		size_t first = it->n_recs;

		if (rw_cache_get(c, RW_ENTRY_RRSET, it->qname, it->qtype, it->qclass, now,
				 RW_RANK_NONAUTH_ANSWER, &e)) {
			add_entry(it, &e);
			it->sh->cache_hits++;
			trace_cache_hit(it, &e, first);
			rw_cache_entry_clear(&e);
			iter_finish(it, LDNS_RCODE_NOERROR, out);
			return true;
		}
		if (rw_cache_get(c, RW_ENTRY_NXDOMAIN, it->qname, 0, it->qclass, now, RW_RANK_NONE,
				 &e) ||
		    rw_cache_get(c, RW_ENTRY_NODATA, it->qname, it->qtype, it->qclass, now,
				 RW_RANK_NONE, &e)) {
			it->sh->cache_hits++;
			if (e.soa)
				iter_set_soa(it, e.soa, e.src, e.stored_us, e.expires_us,
					     e.orig_ttl, true);
			trace_cache_hit(it, &e, first);
			int rcode = e.kind == RW_ENTRY_NXDOMAIN ? LDNS_RCODE_NXDOMAIN
								: LDNS_RCODE_NOERROR;
			rw_cache_entry_clear(&e);
			iter_finish(it, rcode, out);
			return true;
		}
		if (it->qtype == LDNS_RR_TYPE_CNAME ||
		    !rw_cache_get(c, RW_ENTRY_RRSET, it->qname, LDNS_RR_TYPE_CNAME, it->qclass, now,
				  RW_RANK_NONAUTH_ANSWER, &e)) {
			int d = dname_from_cache(it, first, out);
			if (d <= 0)
				return d < 0;
			continue;
		}
		if (ldns_rr_list_rr_count(e.rrs) == 0) {
			rw_cache_entry_clear(&e);
			return false;
		}
		add_entry(it, &e);
		it->sh->cache_hits++;
		trace_cache_hit(it, &e, first);
		const ldns_rdf *t0 = ldns_rr_rdf(ldns_rr_list_rr(e.rrs, 0), 0);
		ldns_rdf *target = t0 ? ldns_rdf_clone(t0) : NULL;
		rw_cache_entry_clear(&e);
		bool ok = target && iter_follow_cname(it, target, out);
		ldns_rdf_deep_free(target);
		if (!ok)
			return true;
	}
}

void iter_walk(struct rw_iter *it, struct rw_iter_out *out)
{
	if (answer_from_cache(it, out))
		return;
	iter_find_cut(it);
	uint8_t r = 0;
	it->sh->env->random_buf(it->sh->env->ctx, &r, 1);
	it->rr_start = it->n_ns ? r % it->n_ns : 0;
	iter_next_server(it, out);
}

void rw_iter_start(struct rw_iter *it, struct rw_iter_out *out)
{
	iter_walk(it, out);
}

/* ---------------------------------------------------------------------------------------------
 * Life cycle and results
 */

struct rw_iter *rw_iter_new(struct rw_iter_shared *sh, const ldns_rdf *qname, uint16_t qtype,
			    uint16_t qclass, int depth, const char *step)
{
	struct rw_iter *it = calloc(1, sizeof(*it));
	if (!it)
		return NULL;
	it->sh = sh;
	it->orig_qname = ldns_rdf_clone(qname);
	it->qname = ldns_rdf_clone(qname);
	if (!it->orig_qname || !it->qname) {
		rw_iter_free(it);
		return NULL;
	}
	it->qtype = qtype;
	it->qclass = qclass;
	it->depth = depth;
	snprintf(it->prefix, sizeof(it->prefix), "%s", step ? step : "");
	snprintf(it->step, sizeof(it->step), "%s", it->prefix);
	return it;
}

void rw_iter_free(struct rw_iter *it)
{
	if (!it)
		return;
	iter_clear_cut(it);
	ldns_rdf_deep_free(it->orig_qname);
	ldns_rdf_deep_free(it->qname);
	ldns_rdf_deep_free(it->sname);
	ldns_rdf_deep_free(it->reask_zone);
	for (size_t i = 0; i < it->n_recs; i++) {
		ldns_rr_free(it->recs[i].rr);
		rw_source_unref(it->recs[i].src);
	}
	free(it->recs);
	if (it->has_soa) {
		ldns_rr_free(it->soa.rr);
		rw_source_unref(it->soa.src);
	}
	free(it->fail_reason);
	free(it);
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
	return it->rcode == LDNS_RCODE_SERVFAIL ? rw_fail_ede(it->why) : -1;
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
