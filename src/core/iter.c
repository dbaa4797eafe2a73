/* The iterator: the delegation walk of one (qname, qtype) as a state machine. See iter.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/infra.h"
#include "rootwalk/iter.h"
#include "rootwalk/resolver.h"
#include "rootwalk/wire.h"

#define QBUF_MAX 300 /* header + name + question + OPT */

#define MAX_ATTEMPTS   2  /* per address and cut: a second try only after a timeout */
#define MAX_MINIMISE   10 /* RFC 9156 MAX_MINIMISE_COUNT */
#define EXPLORE_ONE_IN 8  /* now and then ask a server that is not the fastest */

struct ns_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	uint8_t attempts;
	bool dead; /* lame, refused or broken for this cut: not asked again */
};

struct ns_entry {
	ldns_rdf *name; /* owned */
	struct ns_addr addr[RW_ITER_MAX_ADDRS];
	int n_addr;
	bool looked_a, looked_aaaa; /* address lookups done (or impossible) */
};

struct rw_iter {
	struct rw_iter_shared *sh;
	ldns_rdf *orig_qname; /* as asked */
	ldns_rdf *qname;      /* current name: moves along a CNAME chain */
	uint16_t qtype, qclass;
	int depth;
	char prefix[24];
	int nstep, nsub;
	char step[32];

	/* The current cut: the zone whose servers we ask. */
	ldns_rdf *zone;
	struct ns_entry ns[RW_ITER_MAX_NS];
	int n_ns;
	uint32_t lookups; /* address lookups started for this cut */
	int rr_start;	  /* where the round over the servers starts */

	/* QNAME minimisation for the current cut (RFC 9156). */
	bool qm_off;   /* ask the full name from now on */
	int qm_labels; /* labels of the name to ask next */
	int qm_count;  /* minimised queries sent for this cut */

	/* The query in flight: the name and type actually sent (minimised or not, 0x20 case). */
	ldns_rdf *sname;
	uint16_t stype;
	bool cur_edns, cur_0x20, case_mismatch;
	bool waiting;
	uint16_t qid;
	int cur_ns, cur_addr;
	bool cur_tcp;
	uint64_t sent_ms, sent_us;
	uint8_t qbuf[QBUF_MAX + 2];
	size_t qlen;
	int sub_ns; /* name server whose address is being resolved */
	uint16_t sub_type;

	/* The result. */
	int rcode;
	struct rw_iter_rec *recs;
	size_t n_recs, cap_recs;
	struct rw_iter_rec soa;
	bool has_soa;
	char *fail_reason;
	int ede;		       /* RFC 8914 info-code for a failure, -1 none */
	uint32_t timeouts, net_errors; /* how the upstream queries of this iterator failed */
	uint32_t cnames;
	bool done;
};

/* ---------------------------------------------------------------------------------------------
 * Small helpers
 */

static int64_t now_us(const struct rw_iter *it)
{
	return it->sh->env->now_wall_us(it->sh->env->ctx);
}

static uint64_t now_ms(const struct rw_iter *it)
{
	return it->sh->env->now_mono_ms(it->sh->env->ctx);
}

static uint64_t now_mono_us(const struct rw_iter *it)
{
	const struct rw_env *env = it->sh->env;
	return env->now_mono_us ? env->now_mono_us(env->ctx) : env->now_mono_ms(env->ctx) * 1000;
}

static bool tracing(const struct rw_iter *it)
{
	return it->sh->trace != NULL;
}

static struct rw_trace_event *trace_ev(struct rw_iter *it, enum rw_ev type)
{
	if (!it->sh->trace)
		return NULL;
	struct rw_trace_event *e = rw_trace_add(it->sh->trace, type, it->step, now_us(it));
	if (e)
		e->depth = it->depth;
	return e;
}

static char *dstr(const ldns_rdf *d)
{
	return rw_dname_str(d);
}

static bool name_eq(const ldns_rdf *a, const ldns_rdf *b)
{
	return ldns_dname_compare(a, b) == 0;
}

/* a is b or below b */
static bool name_under(const ldns_rdf *a, const ldns_rdf *b)
{
	return name_eq(a, b) || ldns_dname_is_subdomain(a, b);
}

static bool is_root(const ldns_rdf *d)
{
	return ldns_rdf_size(d) == 1;
}

static uint32_t rrset_min_ttl(const ldns_rr_list *l)
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

static struct rw_source *make_source(struct rw_iter *it)
{
	char *server = dstr(it->ns[it->cur_ns].name);
	char *zone = dstr(it->zone);
	const struct ns_addr *a = &it->ns[it->cur_ns].addr[it->cur_addr];
	struct rw_source *s = rw_source_new(server, zone, (const struct sockaddr *)&a->ss, a->len);
	free(server);
	free(zone);
	return s;
}

static void set_step(struct rw_iter *it)
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

static int add_rec(struct rw_iter *it, const ldns_rr *rr, struct rw_source *src, int64_t stored,
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
		add_rec(it, ldns_rr_list_rr(e->rrs, i), e->src, e->stored_us, e->expires_us,
			e->orig_ttl, true);
}

static void set_soa(struct rw_iter *it, const ldns_rr *soa, struct rw_source *src, int64_t stored,
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
	struct rw_trace_event *e = trace_ev(it, RW_EV_ANSWER);
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

static void finish(struct rw_iter *it, int rcode, struct rw_iter_out *out)
{
	it->rcode = rcode;
	it->done = true;
	it->waiting = false;
	out->act = RW_ACT_DONE;
	trace_answer(it);
}

static void fail(struct rw_iter *it, struct rw_iter_out *out, int ede, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Stop with SERVFAIL; ede is the Extended DNS Error the client gets (RFC 8914). */
static void fail(struct rw_iter *it, struct rw_iter_out *out, int ede, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	it->ede = ede;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(it->fail_reason);
	it->fail_reason = strdup(buf);
	struct rw_trace_event *e = trace_ev(it, RW_EV_FAIL);
	if (e)
		e->text = strdup(buf);
	it->rcode = LDNS_RCODE_SERVFAIL;
	it->done = true;
	it->waiting = false;
	out->act = RW_ACT_DONE;
}

void rw_iter_fail(struct rw_iter *it, const char *reason, struct rw_iter_out *out)
{
	fail(it, out, RW_EDE_OTHER, "%s", reason);
}

/* ---------------------------------------------------------------------------------------------
 * The cut and its servers
 */

static void clear_cut(struct rw_iter *it)
{
	for (int i = 0; i < it->n_ns; i++)
		ldns_rdf_deep_free(it->ns[i].name);
	it->n_ns = 0;
	ldns_rdf_deep_free(it->zone);
	it->zone = NULL;
	it->lookups = 0;
	/* a new cut: minimise again from its apex */
	it->qm_off = !it->sh->cfg->qname_minimisation;
	it->qm_labels = 0;
	it->qm_count = 0;
}

static bool addr_allowed(const struct rw_iter *it, const struct sockaddr_storage *ss)
{
	const struct rw_config *cfg = it->sh->cfg;
	if (ss->ss_family == AF_INET) {
		if (!cfg->do_ip4)
			return false;
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)ss;
		if (cfg->do_not_query_localhost && (ntohl(sin->sin_addr.s_addr) >> 24) == 127)
			return false;
		if (sin->sin_addr.s_addr == 0)
			return false;
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		if (!cfg->do_ip6)
			return false;
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)ss;
		if (cfg->do_not_query_localhost && IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return false;
		if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
			return false;
		return true;
	}
	return false;
}

/* Add an A or AAAA record's address to a name server entry (duplicates ignored). */
static bool ns_add_addr(struct rw_iter *it, struct ns_entry *ns, const ldns_rr *rr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const ldns_rdf *rd = ldns_rr_rdf(rr, 0);

	if (!rd)
		return false;
	memset(&ss, 0, sizeof(ss));
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A && ldns_rdf_size(rd) == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(it->sh->cfg->upstream_port);
		memcpy(&sin->sin_addr, ldns_rdf_data(rd), 4);
		len = sizeof(*sin);
	} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA && ldns_rdf_size(rd) == 16) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(it->sh->cfg->upstream_port);
		memcpy(&sin6->sin6_addr, ldns_rdf_data(rd), 16);
		len = sizeof(*sin6);
	} else {
		return false;
	}
	if (!addr_allowed(it, &ss))
		return false;
	for (int i = 0; i < ns->n_addr; i++)
		if (ns->addr[i].len == len && memcmp(&ns->addr[i].ss, &ss, len) == 0)
			return false;
	if (ns->n_addr == RW_ITER_MAX_ADDRS)
		return false;
	ns->addr[ns->n_addr].ss = ss;
	ns->addr[ns->n_addr].len = len;
	ns->addr[ns->n_addr].attempts = 0;
	ns->addr[ns->n_addr].dead = false;
	ns->n_addr++;
	return true;
}

static struct ns_entry *ns_add(struct rw_iter *it, const ldns_rdf *name)
{
	if (!name || ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME)
		return NULL; /* an NS record with empty or broken rdata */
	for (int i = 0; i < it->n_ns; i++)
		if (name_eq(it->ns[i].name, name))
			return &it->ns[i];
	if (it->n_ns == RW_ITER_MAX_NS)
		return NULL;
	struct ns_entry *ns = &it->ns[it->n_ns];
	memset(ns, 0, sizeof(*ns));
	ns->name = ldns_rdf_clone(name);
	if (!ns->name)
		return NULL;
	it->n_ns++;
	return ns;
}

/* Addresses of a name server from the cache, at any rank (glue is fine for reaching servers). */
static void ns_addrs_from_cache(struct rw_iter *it, struct ns_entry *ns)
{
	static const uint16_t types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
	int64_t now = now_us(it);

	for (size_t t = 0; t < 2; t++) {
		struct rw_cache_entry e;
		if (!rw_cache_get(it->sh->cache, RW_ENTRY_RRSET, ns->name, types[t],
				  LDNS_RR_CLASS_IN, now, RW_RANK_GLUE, &e))
			continue;
		for (size_t i = 0; i < ldns_rr_list_rr_count(e.rrs); i++)
			ns_add_addr(it, ns, ldns_rr_list_rr(e.rrs, i));
		rw_cache_entry_clear(&e);
	}
}

static int count_addrs(const struct rw_iter *it)
{
	int n = 0;
	for (int i = 0; i < it->n_ns; i++)
		n += it->ns[i].n_addr;
	return n;
}

/* Addresses of a root server name from the hints. */
static void ns_addrs_from_hints(struct rw_iter *it, struct ns_entry *ns)
{
	const ldns_rr_list *addrs = it->sh->hints->addrs;
	for (size_t j = 0; j < ldns_rr_list_rr_count(addrs); j++) {
		const ldns_rr *a = ldns_rr_list_rr(addrs, j);
		if (name_eq(ldns_rr_owner(a), ns->name))
			ns_add_addr(it, ns, a);
	}
}

/* Use the NS set in e (cached) for zone as the cut. Returns false when it cannot work: no server
 * has an address and every server name lies inside the zone (its address would need the cut). */
static bool cut_from_entry(struct rw_iter *it, const ldns_rdf *zone, const struct rw_cache_entry *e)
{
	clear_cut(it);
	it->zone = ldns_rdf_clone(zone);
	bool resolvable = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(e->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(e->rrs, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || !ldns_rr_rdf(rr, 0))
			continue;
		struct ns_entry *ns = ns_add(it, ldns_rr_rdf(rr, 0));
		if (!ns)
			continue;
		ns_addrs_from_cache(it, ns);
		if (ns->n_addr == 0 && is_root(zone))
			ns_addrs_from_hints(it, ns);
		if (!name_under(ns->name, zone))
			resolvable = true;
	}
	return it->n_ns > 0 && (count_addrs(it) > 0 || resolvable);
}

static void cut_from_hints(struct rw_iter *it)
{
	const struct rw_hints *h = it->sh->hints;

	clear_cut(it);
	it->zone = ldns_dname_new_frm_str(".");
	for (size_t i = 0; i < ldns_rr_list_rr_count(h->ns); i++) {
		struct ns_entry *ns = ns_add(it, ldns_rr_rdf(ldns_rr_list_rr(h->ns, i), 0));
		if (!ns)
			continue;
		ns_addrs_from_hints(it, ns);
		ns->looked_a = ns->looked_aaaa = true; /* hints are all we have for the root */
	}
}

/* Find the closest enclosing cut known for the current qname (RFC 1034 5.3.3 step 2). */
static void find_cut(struct rw_iter *it)
{
	int64_t now = now_us(it);
	ldns_rdf *name = ldns_rdf_clone(it->qname);

	/* DS lives at the parent side of a cut: start one label up. */
	if (it->qtype == LDNS_RR_TYPE_DS && !is_root(name)) {
		ldns_rdf *up = ldns_dname_left_chop(name);
		ldns_rdf_deep_free(name);
		name = up;
	}
	while (name) {
		struct rw_cache_entry e;
		if (rw_cache_get(it->sh->cache, RW_ENTRY_RRSET, name, LDNS_RR_TYPE_NS, it->qclass,
				 now, RW_RANK_REFERRAL, &e)) {
			bool usable = cut_from_entry(it, name, &e);
			int64_t expires = e.expires_us;
			rw_cache_entry_clear(&e);
			if (usable) {
				it->sh->cache_hits++;
				struct rw_trace_event *ev = trace_ev(it, RW_EV_CUT);
				if (ev) {
					ev->zone = dstr(name);
					ev->text = strdup("cache");
					ev->expires_us = expires;
				}
				ldns_rdf_deep_free(name);
				return;
			}
		}
		if (is_root(name))
			break;
		ldns_rdf *up = ldns_dname_left_chop(name);
		ldns_rdf_deep_free(name);
		name = up;
	}
	ldns_rdf_deep_free(name);
	cut_from_hints(it);
	struct rw_trace_event *ev = trace_ev(it, RW_EV_CUT);
	if (ev) {
		ev->zone = strdup(".");
		ev->text = strdup("hints");
		ev->server = strdup(it->sh->hints->origin ? it->sh->hints->origin : "built-in");
	}
}

/* ---------------------------------------------------------------------------------------------
 * Sending
 */

static size_t build_query(struct rw_iter *it, uint8_t *buf, size_t cap)
{
	size_t nlen = ldns_rdf_size(it->sname);
	size_t need = 12 + nlen + 4 + (it->cur_edns ? 11 : 0);
	if (need > cap)
		return 0;
	uint8_t *p = buf;
	p[0] = (uint8_t)(it->qid >> 8);
	p[1] = (uint8_t)it->qid;
	p[2] = 0; /* QR=0, opcode QUERY, RD=0 */
	p[3] = 0;
	p[4] = 0, p[5] = 1;			 /* QDCOUNT */
	p[6] = p[7] = 0;			 /* ANCOUNT */
	p[8] = p[9] = 0;			 /* NSCOUNT */
	p[10] = 0, p[11] = it->cur_edns ? 1 : 0; /* ARCOUNT: OPT */
	p += 12;
	memcpy(p, ldns_rdf_data(it->sname), nlen);
	if (it->cur_0x20) {
		/* 0x20: a random case for every letter; the reply must echo it exactly */
		uint8_t bits[32];
		it->sh->env->random_buf(it->sh->env->ctx, bits, sizeof(bits));
		for (size_t k = 0; k < nlen; k++) {
			uint8_t c = p[k] | 0x20;
			if (c >= 'a' && c <= 'z' && p[k] != '.')
				p[k] = (bits[k / 8 % 32] >> (k % 8)) & 1 ? (uint8_t)(c & ~0x20) : c;
		}
	}
	p += nlen;
	*p++ = (uint8_t)(it->stype >> 8);
	*p++ = (uint8_t)it->stype;
	*p++ = (uint8_t)(it->qclass >> 8);
	*p++ = (uint8_t)it->qclass;
	if (it->cur_edns) {
		/* OPT: root owner, type 41, class = UDP payload size, TTL 0 (no DO), RDLEN 0 */
		*p++ = 0;
		*p++ = 0, *p++ = 41;
		*p++ = (uint8_t)(RW_EDNS_BUFSIZE >> 8), *p++ = (uint8_t)(RW_EDNS_BUFSIZE & 0xff);
		*p++ = 0, *p++ = 0, *p++ = 0, *p++ = 0;
		*p++ = 0, *p++ = 0;
	}
	return (size_t)(p - buf);
}

/* The name and type to ask the current cut: with QNAME minimisation (RFC 9156) the zone plus
 * one more label of the query name, type A; otherwise the whole question. */
static bool choose_sname(struct rw_iter *it)
{
	int qlabels = ldns_dname_label_count(it->qname);
	int zlabels = ldns_dname_label_count(it->zone);

	ldns_rdf_deep_free(it->sname);
	it->sname = NULL;
	if (!it->qm_off && it->qtype != LDNS_RR_TYPE_DS && it->qm_count < MAX_MINIMISE) {
		if (it->qm_labels <= zlabels)
			it->qm_labels = zlabels + 1;
		if (it->qm_labels < qlabels) {
			it->sname = ldns_dname_clone_from(it->qname,
							  (uint16_t)(qlabels - it->qm_labels));
			it->stype = LDNS_RR_TYPE_A;
			if (it->sname)
				return true;
		}
	}
	it->sname = ldns_rdf_clone(it->qname);
	it->stype = it->qtype;
	return false;
}

static bool minimised(const struct rw_iter *it)
{
	return it->sname && !name_eq(it->sname, it->qname);
}

/* Send to the current server. fresh: a new attempt at this address (a new name may be chosen);
 * otherwise the same question again (over TCP, without EDNS or 0x20). */
static void send_query(struct rw_iter *it, bool tcp, bool fresh, struct rw_iter_out *out)
{
	struct ns_entry *ns = &it->ns[it->cur_ns];
	struct ns_addr *a = &ns->addr[it->cur_addr];
	const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
	struct rw_server_info info;
	bool qmin;

	memset(&info, 0, sizeof(info));
	info.rto_ms = it->sh->cfg->upstream_timeout_ms;
	if (it->sh->infra)
		rw_infra_get(it->sh->infra, sa, now_us(it), it->sh->cfg->upstream_timeout_ms,
			     &info);
	if (fresh) {
		a->attempts++;
		it->cur_edns = !info.no_edns;
		it->cur_0x20 = it->sh->cfg->use_caps_for_id && !info.no_0x20;
	}
	if (fresh || !it->sname)
		qmin = choose_sname(it);
	else
		qmin = minimised(it);
	it->case_mismatch = false;
	it->sh->env->random_buf(it->sh->env->ctx, &it->qid, sizeof(it->qid));
	it->qlen = build_query(it, it->qbuf, sizeof(it->qbuf));
	it->cur_tcp = tcp;
	it->waiting = true;
	it->sent_ms = now_ms(it);
	it->sent_us = now_mono_us(it);
	it->sh->upstream++;
	set_step(it);

	out->act = RW_ACT_SEND;
	out->addr = a->ss;
	out->addrlen = a->len;
	out->tcp = tcp;
	out->wire = it->qbuf;
	out->len = it->qlen;
	out->timeout_ms = info.rto_ms;

	struct rw_trace_event *e = trace_ev(it, RW_EV_SEND);
	if (e) {
		e->zone = dstr(it->zone);
		e->server = dstr(ns->name);
		e->addr = a->ss;
		e->addrlen = a->len;
		e->tcp = tcp;
		e->qname = dstr(it->sname);
		e->qtype = it->stype;
		e->qmin = qmin;
		e->no_edns = !it->cur_edns;
		e->caps = it->cur_0x20;
		e->after_ms = out->timeout_ms;
	}
}

/* Choose the next server and send, start an address lookup, or fail. */
static void next_server(struct rw_iter *it, struct rw_iter_out *out)
{
	const struct rw_config *cfg = it->sh->cfg;
	int64_t now = now_us(it);

	if (it->sh->upstream >= cfg->max_upstream_queries) {
		char *z = dstr(it->zone);
		fail(it, out, RW_EDE_OTHER,
		     "limit max-upstream-queries (%u) reached while asking %s servers",
		     cfg->max_upstream_queries, z);
		free(z);
		return;
	}
	/* Candidates: addresses not dead and not lame for this zone, fewest attempts first; among
	 * those the fastest known (smoothed RTT; an unknown server counts as 400 ms, a server that
	 * timed out as its backed-off timeout), except now and then a random one, so that one slow
	 * answer does not exile a server for good. */
	struct {
		int i, j;
		uint64_t score;
	} cand[RW_ITER_MAX_NS * RW_ITER_MAX_ADDRS];
	int n = 0, tier = MAX_ATTEMPTS;
	for (int i = 0; i < it->n_ns; i++) {
		for (int j = 0; j < it->ns[i].n_addr; j++) {
			struct ns_addr *a = &it->ns[i].addr[j];
			const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
			if (a->dead || a->attempts >= MAX_ATTEMPTS)
				continue;
			if (it->sh->infra && rw_infra_is_lame(it->sh->infra, sa, it->zone, now)) {
				a->dead = true;
				continue;
			}
			struct rw_server_info info;
			uint64_t score = (uint64_t)RW_INFRA_UNKNOWN_RTO_MS * 1000;
			if (it->sh->infra) {
				rw_infra_get(it->sh->infra, sa, now, cfg->upstream_timeout_ms,
					     &info);
				if (info.timeouts)
					score = (uint64_t)info.rto_ms * 1000;
				else if (info.known)
					score = info.srtt_us;
			}
			if (a->attempts < tier) {
				tier = a->attempts;
				n = 0;
			}
			if (a->attempts == tier) {
				cand[n].i = i;
				cand[n].j = j;
				cand[n].score = score;
				n++;
			}
		}
	}
	if (n > 0) {
		int pick = 0;
		uint8_t r[2] = {0, 0};
		it->sh->env->random_buf(it->sh->env->ctx, r, sizeof(r));
		if (n > 1 && r[0] % EXPLORE_ONE_IN == 0) {
			pick = r[1] % n;
		} else {
			/* the fastest; ties broken from a random start to spread the load */
			int start = r[1] % n;
			pick = start;
			for (int k = 1; k < n; k++) {
				int c = (start + k) % n;
				if (cand[c].score < cand[pick].score)
					pick = c;
			}
		}
		it->cur_ns = cand[pick].i;
		it->cur_addr = cand[pick].j;
		send_query(it, false, true, out);
		return;
	}
	/* No address left: look up one more name server's address (NXNSAttack cap). */
	for (int k = 0; k < it->n_ns; k++) {
		int i = (it->rr_start + k) % it->n_ns;
		struct ns_entry *ns = &it->ns[i];
		uint16_t type = 0;
		if (ns->n_addr > 0)
			continue; /* it has addresses, and all of them failed */
		if (!ns->looked_a && cfg->do_ip4)
			type = LDNS_RR_TYPE_A;
		else if (!ns->looked_aaaa && cfg->do_ip6)
			type = LDNS_RR_TYPE_AAAA;
		if (!type)
			continue;
		if (it->lookups >= cfg->max_ns_lookups) {
			char *z = dstr(it->zone);
			fail(it, out, RW_EDE_NO_REACHABLE_AUTHORITY,
			     "limit max-ns-lookups (%u): no server of %s reachable after %u "
			     "address "
			     "lookups",
			     cfg->max_ns_lookups, z, it->lookups);
			free(z);
			return;
		}
		if (type == LDNS_RR_TYPE_A)
			ns->looked_a = true;
		else
			ns->looked_aaaa = true;
		it->lookups++;
		it->sub_ns = i;
		it->sub_type = type;
		it->sh->subres++;
		it->nsub++;
		out->act = RW_ACT_SUBRESOLVE;
		out->sub_qname = ns->name;
		out->sub_qtype = type;
		/* the child's steps are labelled "<step><letter>.N" */
		snprintf(out->sub_step, sizeof(out->sub_step), "%.24s%c",
			 it->step[0] ? it->step : "0", 'a' + (it->nsub - 1) % 26);
		struct rw_trace_event *e = trace_ev(it, RW_EV_SUBRESOLVE);
		if (e) {
			snprintf(e->step, sizeof(e->step), "%s", out->sub_step);
			e->qname = dstr(ns->name);
			e->qtype = type;
			e->zone = dstr(it->zone);
		}
		return;
	}
	char *z = dstr(it->zone);
	if (it->net_errors > 0 && it->timeouts == 0)
		fail(it, out, RW_EDE_NETWORK_ERROR,
		     "network error: no server of %s could be reached (%u send failure(s))", z,
		     it->net_errors);
	else
		fail(it, out, RW_EDE_NO_REACHABLE_AUTHORITY,
		     "no reachable authority for %s: all %d server(s) failed or have no address "
		     "(%u timeout(s))",
		     z, it->n_ns, it->timeouts);
	free(z);
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
static bool follow_cname(struct rw_iter *it, const ldns_rdf *target, struct rw_iter_out *out)
{
	char *from = dstr(it->qname), *to = dstr(target);
	bool ok = false;

	it->cnames++;
	if (it->cnames > it->sh->cfg->max_cname_chain) {
		fail(it, out, RW_EDE_OTHER, "limit max-cname-chain (%u) exceeded at %s -> %s",
		     it->sh->cfg->max_cname_chain, from, to);
	} else if (loop_in_chain(it, target)) {
		fail(it, out, RW_EDE_OTHER, "CNAME loop: %s -> %s", from, to);
	} else {
		struct rw_trace_event *e = trace_ev(it, RW_EV_CNAME);
		if (e) {
			e->qname = from;
			e->text = to;
			from = to = NULL;
		}
		ldns_rdf_deep_free(it->qname);
		it->qname = ldns_rdf_clone(target);
		ok = it->qname != NULL;
		if (!ok)
			fail(it, out, RW_EDE_OTHER, "out of memory");
	}
	free(from);
	free(to);
	return ok;
}

static void trace_cache_hit(struct rw_iter *it, const struct rw_cache_entry *e, size_t first)
{
	struct rw_trace_event *ev = trace_ev(it, RW_EV_CACHE_HIT);
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
			finish(it, LDNS_RCODE_NOERROR, out);
			return true;
		}
		if (rw_cache_get(c, RW_ENTRY_NXDOMAIN, it->qname, 0, it->qclass, now, RW_RANK_NONE,
				 &e) ||
		    rw_cache_get(c, RW_ENTRY_NODATA, it->qname, it->qtype, it->qclass, now,
				 RW_RANK_NONE, &e)) {
			it->sh->cache_hits++;
			if (e.soa)
				set_soa(it, e.soa, e.src, e.stored_us, e.expires_us, e.orig_ttl,
					true);
			trace_cache_hit(it, &e, first);
			int rcode = e.kind == RW_ENTRY_NXDOMAIN ? LDNS_RCODE_NXDOMAIN
								: LDNS_RCODE_NOERROR;
			rw_cache_entry_clear(&e);
			finish(it, rcode, out);
			return true;
		}
		if (it->qtype == LDNS_RR_TYPE_CNAME)
			return false;
		if (!rw_cache_get(c, RW_ENTRY_RRSET, it->qname, LDNS_RR_TYPE_CNAME, it->qclass, now,
				  RW_RANK_NONAUTH_ANSWER, &e))
			return false;
		if (ldns_rr_list_rr_count(e.rrs) == 0) {
			rw_cache_entry_clear(&e);
			return false;
		}
		add_entry(it, &e);
		it->sh->cache_hits++;
		trace_cache_hit(it, &e, first);
		ldns_rdf *target = ldns_rdf_clone(ldns_rr_rdf(ldns_rr_list_rr(e.rrs, 0), 0));
		rw_cache_entry_clear(&e);
		bool ok = target && follow_cname(it, target, out);
		ldns_rdf_deep_free(target);
		if (!ok)
			return true;
	}
}

static void walk(struct rw_iter *it, struct rw_iter_out *out)
{
	if (answer_from_cache(it, out))
		return;
	find_cut(it);
	uint8_t r = 0;
	it->sh->env->random_buf(it->sh->env->ctx, &r, 1);
	it->rr_start = it->n_ns ? r % it->n_ns : 0;
	next_server(it, out);
}

void rw_iter_start(struct rw_iter *it, struct rw_iter_out *out)
{
	walk(it, out);
}

/* ---------------------------------------------------------------------------------------------
 * Replies
 */

static bool same_addr(const struct sockaddr *a, socklen_t alen, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return false;
	if (a->sa_family == AF_INET && alen >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)(const void *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)(const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6 && alen >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)(const void *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)(const void *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

/* Header and question checks on the raw reply: is it the answer to what we sent? */
static const char *mismatch(struct rw_iter *it, const uint8_t *pkt, size_t len)
{
	if (len < 12)
		return "shorter than a DNS header";
	if (((pkt[0] << 8) | pkt[1]) != it->qid)
		return "wrong ID";
	if (!(pkt[2] & 0x80))
		return "not a response";
	if (((pkt[2] >> 3) & 0xf) != 0)
		return "wrong opcode";
	if (((pkt[4] << 8) | pkt[5]) != 1)
		return "question count is not 1";
	size_t off = 12;
	uint8_t name[256];
	int n = rw_wire_read_name(pkt, len, &off, name);
	if (n <= 0 || off + 4 > len)
		return "malformed question";
	const uint8_t *sent = it->qbuf + 12; /* the name as sent, 0x20 case included */
	size_t slen = ldns_rdf_size(it->sname);
	if (!rw_wire_name_equal(name, (size_t)n, sent, slen))
		return "question name differs";
	if (((pkt[off] << 8) | pkt[off + 1]) != it->stype ||
	    ((pkt[off + 2] << 8) | pkt[off + 3]) != it->qclass)
		return "question type or class differs";
	if (it->cur_0x20 && memcmp(name, sent, slen) != 0) {
		it->case_mismatch = true;
		return "question case differs from the 0x20 case sent";
	}
	return NULL;
}

static struct rw_trace_event *trace_reply(struct rw_iter *it, const ldns_pkt *p, size_t len,
					  const char *kind)
{
	struct rw_trace_event *e = trace_ev(it, RW_EV_REPLY);
	if (!e)
		return NULL;
	uint64_t rtt_us = now_mono_us(it) - it->sent_us;
	e->rcode = p ? ldns_pkt_get_rcode(p) : 0;
	e->aa = p ? ldns_pkt_aa(p) : false;
	e->tc = p ? ldns_pkt_tc(p) : false;
	e->rtt_us = (uint32_t)rtt_us;
	e->bytes = (uint32_t)len;
	e->kind = kind;
	return e;
}

static void reply_problem(struct rw_iter *it, const ldns_pkt *p, size_t len, const char *kind,
			  const char *reason, struct rw_iter_out *out)
{
	struct rw_trace_event *e = trace_reply(it, p, len, kind);
	if (e)
		e->text = strdup(reason);
	next_server(it, out);
}

/* Records of one type at one owner from a section, as a new list (shallow: borrowed records). */
static ldns_rr_list *rrset_of(const ldns_rr_list *sec, const ldns_rdf *owner, uint16_t type,
			      uint16_t klass)
{
	ldns_rr_list *l = ldns_rr_list_new();
	if (!l)
		return NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(sec); i++) {
		ldns_rr *rr = ldns_rr_list_rr(sec, i);
		if (ldns_rr_get_type(rr) == type && ldns_rr_get_class(rr) == klass &&
		    name_eq(ldns_rr_owner(rr), owner))
			ldns_rr_list_push_rr(l, rr);
	}
	return l;
}

/* Cache an RRset and add it to the result with its provenance. */
static void take_rrset(struct rw_iter *it, const ldns_rr_list *set, enum rw_rank rank,
		       struct rw_source *src, bool into_result)
{
	int64_t now = now_us(it);
	uint32_t ttl = rw_cache_cap_ttl(it->sh->cache, rrset_min_ttl(set), false);

	rw_cache_store_rrset(it->sh->cache, set, rank, src, now);
	if (!into_result)
		return;
	for (size_t i = 0; i < ldns_rr_list_rr_count(set); i++)
		add_rec(it, ldns_rr_list_rr(set, i), src, now, now + (int64_t)ttl * 1000000, ttl,
			false);
}

/* Cache addresses from the additional section for the given NS names that lie inside zone. */
static bool take_glue(struct rw_iter *it, const ldns_pkt *p, const ldns_rr_list *nsset,
		      const ldns_rdf *zone, struct rw_source *src, bool fill_cut)
{
	static const uint16_t types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
	const ldns_rr_list *add = ldns_pkt_additional(p);
	bool used = false;

	for (size_t i = 0; i < ldns_rr_list_rr_count(nsset); i++) {
		const ldns_rdf *nsname = ldns_rr_rdf(ldns_rr_list_rr(nsset, i), 0);
		if (!nsname || !name_under(nsname, zone))
			continue;
		for (size_t t = 0; t < 2; t++) {
			ldns_rr_list *g = rrset_of(add, nsname, types[t], it->qclass);
			if (g && ldns_rr_list_rr_count(g) > 0) {
				rw_cache_store_rrset(it->sh->cache, g, RW_RANK_GLUE, src,
						     now_us(it));
				if (fill_cut) {
					struct ns_entry *ns = ns_add(it, nsname);
					for (size_t k = 0; ns && k < ldns_rr_list_rr_count(g); k++)
						used |= ns_add_addr(it, ns, ldns_rr_list_rr(g, k));
				}
			}
			ldns_rr_list_free(g);
		}
	}
	return used;
}

/* Find a referral in the authority section: an NS set for a zone strictly below the current cut
 * that contains the current qname. Returns the zone name (borrowed from the packet) or NULL. */
static const ldns_rdf *find_referral(const struct rw_iter *it, const ldns_pkt *p)
{
	const ldns_rr_list *auth = ldns_pkt_authority(p);
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS)
			continue;
		const ldns_rdf *owner = ldns_rr_owner(rr);
		if (!ldns_dname_is_subdomain(owner, it->zone))
			continue; /* not below the cut: upward or sideways */
		if (it->qtype == LDNS_RR_TYPE_DS ? !ldns_dname_is_subdomain(it->sname, owner)
						 : !name_under(it->sname, owner))
			continue;
		return owner;
	}
	return NULL;
}

static void do_referral(struct rw_iter *it, const ldns_pkt *p, size_t len, const ldns_rdf *to,
			struct rw_source *src, struct rw_iter_out *out)
{
	ldns_rr_list *nsset = rrset_of(ldns_pkt_authority(p), to, LDNS_RR_TYPE_NS, it->qclass);
	ldns_rdf *zone = ldns_rdf_clone(to);
	if (!nsset || !zone) {
		ldns_rr_list_free(nsset);
		ldns_rdf_deep_free(zone);
		fail(it, out, RW_EDE_OTHER, "out of memory");
		return;
	}
	int64_t now = now_us(it);
	uint32_t ttl = rw_cache_cap_ttl(it->sh->cache, rrset_min_ttl(nsset), false);
	rw_cache_store_rrset(it->sh->cache, nsset, RW_RANK_REFERRAL, src, now);

	/* The new cut: its servers, glue only for names inside the delegated zone. */
	clear_cut(it);
	it->zone = zone;
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsset); i++)
		ns_add(it, ldns_rr_rdf(ldns_rr_list_rr(nsset, i), 0));
	bool glue = take_glue(it, p, nsset, zone, src, true);
	for (int i = 0; i < it->n_ns; i++)
		ns_addrs_from_cache(it, &it->ns[i]);

	struct rw_trace_event *e = trace_reply(it, p, len, "referral");
	if (e) {
		e->zone = dstr(zone);
		for (size_t i = 0; i < ldns_rr_list_rr_count(nsset); i++)
			rw_trace_add_ns(e, ldns_rr_rdf(ldns_rr_list_rr(nsset, i), 0));
		e->ttl = ttl;
		e->glue = glue;
		e->expires_us = now + (int64_t)ttl * 1000000;
	}
	ldns_rr_list_free(nsset);
	uint8_t r = 0;
	it->sh->env->random_buf(it->sh->env->ctx, &r, 1);
	it->rr_start = it->n_ns ? r % it->n_ns : 0;
	next_server(it, out);
}

/* The SOA in the authority section that covers name within the zone asked, or NULL. */
static const ldns_rr *find_soa(const struct rw_iter *it, const ldns_pkt *p, const ldns_rdf *name)
{
	const ldns_rr_list *auth = ldns_pkt_authority(p);
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    name_under(name, ldns_rr_owner(rr)) &&
		    name_under(ldns_rr_owner(rr), it->zone) && ldns_rr_rd_count(rr) >= 7)
			return rr;
	}
	return NULL;
}

static void do_negative(struct rw_iter *it, const ldns_pkt *p, size_t len, bool nxdomain,
			struct rw_source *src, struct rw_iter_out *out)
{
	const ldns_rr *soa = find_soa(it, p, it->qname);
	int64_t now = now_us(it);
	enum rw_entry_kind kind = nxdomain ? RW_ENTRY_NXDOMAIN : RW_ENTRY_NODATA;
	enum rw_rank rank = ldns_pkt_aa(p) ? RW_RANK_AUTH_AUTHORITY : RW_RANK_NONAUTH_ANSWER;

	trace_reply(it, p, len, nxdomain ? "nxdomain" : "nodata");
	if (soa) {
		uint32_t ttl = rw_cache_cap_ttl(it->sh->cache, rw_soa_negative_ttl(soa), true);
		int64_t expires = now + (int64_t)ttl * 1000000;
		rw_cache_store_negative(it->sh->cache, kind, it->qname, it->qtype, it->qclass, soa,
					rank, src, now);
		set_soa(it, soa, src, now, expires, ttl, false);
		struct rw_trace_event *e = trace_ev(it, RW_EV_NEGATIVE);
		if (e) {
			e->kind = nxdomain ? "nxdomain" : "nodata";
			e->qname = dstr(it->qname);
			e->qtype = it->qtype;
			char *s = ldns_rr2str(soa);
			if (s) {
				size_t n = strlen(s);
				while (n && s[n - 1] == '\n')
					s[--n] = '\0';
				for (char *c = s; *c; c++)
					if (*c == '\t')
						*c = ' ';
			}
			e->text = s;
			e->ttl = ttl;
			e->expires_us = expires;
		}
	}
	finish(it, nxdomain ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR, out);
}

/* An answer (or part of a CNAME chain) in the answer section. Returns true when it handled the
 * reply; false when the answer section holds nothing for the current name. */
static bool do_answer(struct rw_iter *it, const ldns_pkt *p, size_t len, struct rw_source *src,
		      struct rw_iter_out *out)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	enum rw_rank rank = ldns_pkt_aa(p) ? RW_RANK_ANSWER : RW_RANK_NONAUTH_ANSWER;
	bool any = false;
	const char *kind = NULL;

	for (;;) {
		if (!name_under(it->qname, it->zone))
			break; /* out of the server's bailiwick: ask that name's own servers */
		ldns_rr_list *set = NULL;
		if (it->qtype == LDNS_RR_TYPE_ANY) {
			set = ldns_rr_list_new();
			for (size_t i = 0; set && i < ldns_rr_list_rr_count(an); i++) {
				ldns_rr *rr = ldns_rr_list_rr(an, i);
				if (name_eq(ldns_rr_owner(rr), it->qname) &&
				    ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG)
					ldns_rr_list_push_rr(set, rr);
			}
		} else {
			set = rrset_of(an, it->qname, it->qtype, it->qclass);
		}
		if (set && ldns_rr_list_rr_count(set) > 0) {
			if (it->qtype == LDNS_RR_TYPE_ANY) {
				/* cache per type */
				for (size_t i = 0; i < ldns_rr_list_rr_count(set); i++)
					add_rec(it, ldns_rr_list_rr(set, i), src, now_us(it),
						now_us(it) + (int64_t)rw_cache_cap_ttl(
								     it->sh->cache,
								     ldns_rr_ttl(ldns_rr_list_rr(
									     set, i)),
								     false) *
								     1000000,
						rw_cache_cap_ttl(
							it->sh->cache,
							ldns_rr_ttl(ldns_rr_list_rr(set, i)),
							false),
						false);
			} else {
				take_rrset(it, set, rank, src, true);
			}
			ldns_rr_list_free(set);
			/* Glue-like addresses for NS answers (priming, NS queries). */
			if (it->qtype == LDNS_RR_TYPE_NS) {
				ldns_rr_list *ns =
					rrset_of(an, it->qname, LDNS_RR_TYPE_NS, it->qclass);
				if (ns)
					take_glue(it, p, ns, it->zone, src, false);
				ldns_rr_list_free(ns);
			}
			if (!kind)
				trace_reply(it, p, len, "answer");
			finish(it, LDNS_RCODE_NOERROR, out);
			return true;
		}
		ldns_rr_list_free(set);
		if (it->qtype == LDNS_RR_TYPE_CNAME)
			break;
		ldns_rr_list *cn = rrset_of(an, it->qname, LDNS_RR_TYPE_CNAME, it->qclass);
		if (!cn || ldns_rr_list_rr_count(cn) == 0) {
			ldns_rr_list_free(cn);
			break;
		}
		const ldns_rdf *target = ldns_rr_rdf(ldns_rr_list_rr(cn, 0), 0);
		take_rrset(it, cn, rank, src, true);
		if (!kind) {
			struct rw_trace_event *e = trace_reply(it, p, len, "cname");
			if (e)
				e->text = dstr(target);
			kind = "cname";
		}
		any = true;
		bool ok = target && follow_cname(it, target, out);
		ldns_rr_list_free(cn);
		if (!ok)
			return true;
	}
	if (!any)
		return false;
	/* The chain left this reply: the rest comes from the cache or a new walk, unless this
	 * same reply says the target does not exist or has no data. */
	if (name_under(it->qname, it->zone) && ldns_pkt_aa(p)) {
		if (ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN) {
			do_negative(it, p, len, true, src, out);
			return true;
		}
		if (find_soa(it, p, it->qname)) {
			do_negative(it, p, len, false, src, out);
			return true;
		}
	}
	walk(it, out);
	return true;
}

/* The current address will not be asked again for this cut; with lame, remember it. */
static void mark_dead(struct rw_iter *it, bool lame)
{
	struct ns_addr *a = &it->ns[it->cur_ns].addr[it->cur_addr];
	a->dead = true;
	if (lame && it->sh->infra)
		rw_infra_set_lame(it->sh->infra, (const struct sockaddr *)&a->ss, it->zone,
				  now_us(it));
}

/* A reply to a minimised question: a referral moves the cut down; a server that cannot answer
 * the minimised question gets the full one; otherwise there is no cut at the name asked, and
 * the same server is asked one label more. Returns true when handled. */
static bool minimised_reply(struct rw_iter *it, const ldns_pkt *p, size_t len,
			    struct rw_source *src, struct rw_iter_out *out)
{
	int rcode = ldns_pkt_get_rcode(p);
	const ldns_rdf *to;

	if (rcode == LDNS_RCODE_NOERROR && !ldns_pkt_aa(p) && (to = find_referral(it, p))) {
		do_referral(it, p, len, to, src, out);
		return true;
	}
	if (rcode == LDNS_RCODE_SERVFAIL)
		return false; /* the server's own trouble, not the minimisation's */
	if (rcode != LDNS_RCODE_NOERROR || (!ldns_pkt_aa(p) && !find_soa(it, p, it->sname))) {
		char reason[128];
		snprintf(reason, sizeof(reason),
			 "%s to the minimised question: asking the full name instead",
			 rw_rcode_str(rcode));
		struct rw_trace_event *e = trace_reply(it, p, len, "qmin-fallback");
		if (e)
			e->text = strdup(reason);
		it->qm_off = true;
		ldns_rdf_deep_free(it->sname);
		it->sname = NULL; /* choose_sname() now gives the full name */
		send_query(it, it->cur_tcp, false, out);
		return true;
	}
	/* NOERROR with data or NODATA: the name exists and is no cut; one label more */
	char *n = dstr(it->sname);
	struct rw_trace_event *e = trace_reply(it, p, len, "no-cut");
	if (e) {
		char reason[300];
		snprintf(reason, sizeof(reason), "%s is inside the zone: asking one label more", n);
		e->text = strdup(reason);
	}
	free(n);
	it->qm_labels++;
	it->qm_count++;
	ldns_rdf_deep_free(it->sname);
	it->sname = NULL;
	send_query(it, false, false, out);
	return true;
}

static void handle_reply(struct rw_iter *it, const uint8_t *pkt, size_t len,
			 struct rw_iter_out *out)
{
	ldns_pkt *p = NULL;

	if (ldns_wire2pkt(&p, pkt, len) != LDNS_STATUS_OK || !p) {
		mark_dead(it, false);
		reply_problem(it, NULL, len, "error", "malformed reply", out);
		return;
	}
	if (ldns_pkt_tc(p) && !it->cur_tcp) {
		trace_reply(it, p, len, "truncated, retrying over TCP");
		ldns_pkt_free(p);
		if (it->sh->upstream >= it->sh->cfg->max_upstream_queries) {
			next_server(it, out); /* fails with the limit */
			return;
		}
		send_query(it, true, false, out);
		return;
	}
	int rcode = ldns_pkt_get_rcode(p);
	if (rcode == LDNS_RCODE_FORMERR && it->cur_edns) {
		/* RFC 6891 7: a server that does not know EDNS; ask again without it, remember */
		struct rw_trace_event *e = trace_reply(it, p, len, "error");
		if (e)
			e->text = strdup("FORMERR to an EDNS query: retrying without EDNS");
		if (it->sh->infra)
			rw_infra_set_no_edns(
				it->sh->infra,
				(const struct sockaddr *)&it->ns[it->cur_ns].addr[it->cur_addr].ss,
				now_us(it));
		ldns_pkt_free(p);
		it->cur_edns = false;
		send_query(it, it->cur_tcp, false, out);
		return;
	}
	struct rw_source *src = make_source(it);
	if (minimised(it) && minimised_reply(it, p, len, src, out)) {
		rw_source_unref(src);
		ldns_pkt_free(p);
		return;
	}
	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
		char reason[160];
		bool lame = rcode == LDNS_RCODE_REFUSED || rcode == LDNS_RCODE_NOTAUTH ||
			    rcode == LDNS_RCODE_SERVFAIL;
		char *z = dstr(it->zone);
		if (rcode == LDNS_RCODE_SERVFAIL)
			snprintf(reason, sizeof(reason),
				 "SERVFAIL: the server cannot answer for %s (marked lame)", z);
		else if (lame)
			snprintf(reason, sizeof(reason), "%s: the server does not serve %s (lame)",
				 rw_rcode_str(rcode), z);
		else
			snprintf(reason, sizeof(reason), "%s from the server for %s",
				 rw_rcode_str(rcode), z);
		free(z);
		mark_dead(it, lame);
		reply_problem(it, p, len, lame ? "lame" : "error", reason, out);
		rw_source_unref(src);
		ldns_pkt_free(p);
		return;
	}
	const ldns_rdf *to;

	if (do_answer(it, p, len, src, out)) {
		/* answered, chained or failed */
	} else if (rcode == LDNS_RCODE_NXDOMAIN) {
		do_negative(it, p, len, true, src, out);
	} else if (!ldns_pkt_aa(p) && (to = find_referral(it, p)) != NULL) {
		do_referral(it, p, len, to, src, out);
	} else if (ldns_pkt_aa(p)) {
		do_negative(it, p, len, false, src, out);
	} else {
		mark_dead(it, true);
		reply_problem(it, p, len, "lame",
			      "not authoritative and no referral below the zone asked", out);
	}
	rw_source_unref(src);
	ldns_pkt_free(p);
}

int rw_iter_reply(struct rw_iter *it, const struct sockaddr *from, socklen_t fromlen,
		  const uint8_t *pkt, size_t len, struct rw_iter_out *out)
{
	if (!it->waiting || it->done)
		return 0;
	const struct sockaddr_storage *ss = &it->ns[it->cur_ns].addr[it->cur_addr].ss;
	const char *why = NULL;
	if (!from || !same_addr(from, fromlen, ss))
		why = "from an address or port the query was not sent to";
	else
		why = mismatch(it, pkt, len);
	if (why) {
		/* dropped and counted; the query keeps waiting for the real reply */
		struct rw_trace_event *e = trace_reply(it, NULL, len, "rejected");
		if (e)
			e->text = strdup(why);
		return 0;
	}
	it->waiting = false;
	uint32_t rtt_us = (uint32_t)(now_mono_us(it) - it->sent_us);
	if (it->sh->infra)
		rw_infra_rtt(it->sh->infra, (const struct sockaddr *)ss, rtt_us, now_us(it));
	if (it->sh->rtt_hist) {
		int b = 0;
		while (b < RW_RTT_BUCKETS - 1 && rtt_us >= rw_rtt_bucket_ms[b] * 1000u)
			b++;
		it->sh->rtt_hist[b]++;
	}
	handle_reply(it, pkt, len, out);
	return 1;
}

void rw_iter_timeout(struct rw_iter *it, int err, struct rw_iter_out *out)
{
	if (it->done)
		return;
	it->waiting = false;
	struct ns_addr *a = &it->ns[it->cur_ns].addr[it->cur_addr];
	const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
	bool case_trouble = it->case_mismatch && err == -ETIMEDOUT;
	struct rw_trace_event *e = trace_ev(it, RW_EV_TIMEOUT);
	if (e) {
		e->server = dstr(it->ns[it->cur_ns].name);
		e->addr = a->ss;
		e->addrlen = a->len;
		e->after_ms = (uint32_t)(now_ms(it) - it->sent_ms);
		e->text = strdup(case_trouble ? "timeout; the only reply did not echo the 0x20 case"
				 : err == -ETIMEDOUT ? "timeout"
						     : strerror(-err));
	}
	if (it->sh->infra) {
		if (err == -ETIMEDOUT)
			rw_infra_timeout(it->sh->infra, sa, now_us(it));
		if (case_trouble)
			rw_infra_set_no_0x20(it->sh->infra, sa, now_us(it));
	}
	if (err != -ETIMEDOUT) {
		a->dead = true; /* unreachable (no route, refused): do not retry this address */
		it->net_errors++;
	} else {
		it->timeouts++;
		it->sh->timeouts++;
	}
	if (case_trouble && it->sh->upstream < it->sh->cfg->max_upstream_queries) {
		/* the server answers but not in our case: ask it once more without 0x20 */
		it->cur_0x20 = false;
		send_query(it, it->cur_tcp, false, out);
		return;
	}
	next_server(it, out);
}

void rw_iter_subresult(struct rw_iter *it, const struct rw_iter *child, struct rw_iter_out *out)
{
	if (it->done)
		return;
	if (child && child->rcode == LDNS_RCODE_NOERROR) {
		struct ns_entry *ns = &it->ns[it->sub_ns];
		for (size_t i = 0; i < child->n_recs; i++) {
			const ldns_rr *rr = child->recs[i].rr;
			if (ldns_rr_get_type(rr) == it->sub_type)
				ns_add_addr(it, ns, rr);
		}
	}
	next_server(it, out);
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
	it->ede = -1;
	snprintf(it->prefix, sizeof(it->prefix), "%s", step ? step : "");
	snprintf(it->step, sizeof(it->step), "%s", it->prefix);
	return it;
}

void rw_iter_free(struct rw_iter *it)
{
	if (!it)
		return;
	clear_cut(it);
	ldns_rdf_deep_free(it->orig_qname);
	ldns_rdf_deep_free(it->qname);
	ldns_rdf_deep_free(it->sname);
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
	return it->ede;
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
