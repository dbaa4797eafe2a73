/* The iterator's zone cut: the zone whose servers are asked, its name servers and their
 * addresses (child side, parent side, root hints), and where a walk starts (zonecut.c). Calls
 * only iter_result.c. */
#include "iter_impl.h"
#include "rootwalk/zonecut.h"

void iter_clear_cut(struct rw_iter *it)
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

/* do-not-query-localhost filters addresses learned from DNS replies; the root hints are the
 * operator's own choice and are used as given (as Knot Resolver does). */
static bool addr_allowed(const struct rw_iter *it, const struct sockaddr_storage *ss,
			 enum addr_origin origin)
{
	const struct rw_config *cfg = it->sh->cfg;
	bool no_local = cfg->do_not_query_localhost && origin != ADDR_HINTS;
	if (ss->ss_family == AF_INET) {
		if (!cfg->do_ip4)
			return false;
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)ss;
		if (no_local && (ntohl(sin->sin_addr.s_addr) >> 24) == 127)
			return false;
		if (sin->sin_addr.s_addr == 0)
			return false;
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		if (!cfg->do_ip6)
			return false;
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)ss;
		if (no_local && IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return false;
		if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
			return false;
		return true;
	}
	return false;
}

/* Add an A or AAAA record's address to a name server entry. A duplicate is ignored, except that
 * an address known from the parent's glue becomes child-side when the child names it too. */
bool iter_ns_add_addr(struct rw_iter *it, struct ns_entry *ns, const ldns_rr *rr,
		      enum addr_origin origin)
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
	if (!addr_allowed(it, &ss, origin))
		return false;
	for (int i = 0; i < ns->n_addr; i++) {
		if (ns->addr[i].len == len && memcmp(&ns->addr[i].ss, &ss, len) == 0) {
			if (origin != ADDR_PARENT)
				ns->addr[i].parent_side = false;
			return false;
		}
	}
	if (ns->n_addr == RW_ITER_MAX_ADDRS)
		return false;
	ns->addr[ns->n_addr].ss = ss;
	ns->addr[ns->n_addr].len = len;
	ns->addr[ns->n_addr].attempts = 0;
	ns->addr[ns->n_addr].dead = false;
	ns->addr[ns->n_addr].parent_side = origin == ADDR_PARENT;
	ns->n_addr++;
	return true;
}

struct ns_entry *iter_ns_add(struct rw_iter *it, const ldns_rdf *name)
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

struct addr_sink {
	struct rw_iter *it;
	struct ns_entry *ns;
};

static bool add_cached_addrs(void *arg, const struct rw_cache_entry *e, bool parent_side)
{
	struct addr_sink *to = arg;
	for (size_t i = 0; i < ldns_rr_list_rr_count(e->rrs); i++)
		iter_ns_add_addr(to->it, to->ns, ldns_rr_list_rr(e->rrs, i),
				 parent_side ? ADDR_PARENT : ADDR_DNS);
	return true;
}

/* Addresses of a name server from the cache: the child's (or the best known) first, then the
 * parent-side glue kept beside them, as a fallback. */
void iter_ns_addrs_from_cache(struct rw_iter *it, struct ns_entry *ns)
{
	struct addr_sink to = {it, ns};
	rw_zonecut_addrs(it->sh->cache, ns->name, now_us(it), true, add_cached_addrs, &to);
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
			iter_ns_add_addr(it, ns, a, ADDR_HINTS);
	}
}

/* Use a cached NS set as the cut. It cannot work when no server has an address and every server
 * name lies inside the zone (its address would need the cut): the search goes on above it. */
static bool cut_from_entry(void *arg, const struct rw_cache_entry *e)
{
	struct rw_iter *it = arg;
	const ldns_rdf *zone = e->owner;
	iter_clear_cut(it);
	it->zone = ldns_rdf_clone(zone);
	bool resolvable = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(e->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(e->rrs, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || !ldns_rr_rdf(rr, 0))
			continue;
		struct ns_entry *ns = iter_ns_add(it, ldns_rr_rdf(rr, 0));
		if (!ns)
			continue;
		iter_ns_addrs_from_cache(it, ns);
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

	iter_clear_cut(it);
	it->zone = ldns_dname_new_frm_str(".");
	for (size_t i = 0; i < ldns_rr_list_rr_count(h->ns); i++) {
		struct ns_entry *ns = iter_ns_add(it, ldns_rr_rdf(ldns_rr_list_rr(h->ns, i), 0));
		if (!ns)
			continue;
		ns_addrs_from_hints(it, ns);
		ns->looked_a = ns->looked_aaaa = true; /* hints are all we have for the root */
	}
}

/* Find the closest enclosing cut known for the current qname (RFC 1034 5.3.3 step 2). */
void iter_find_cut(struct rw_iter *it)
{
	iter_find_cut_from(it, it->qname, it->qtype == LDNS_RR_TYPE_DS);
}

void iter_find_cut_from(struct rw_iter *it, const ldns_rdf *start, bool ds)
{
	struct rw_cache_entry e;

	if (rw_zonecut_find(it->sh->cache, start, ds, now_us(it), cut_from_entry, it, &e)) {
		it->cut_cached = true;
		it->sh->cache_hits++;
		struct rw_trace_event *ev = iter_trace_ev(it, RW_EV_CUT);
		if (ev) {
			ev->zone = dstr(e.owner);
			ev->text = strdup("cache");
			ev->expires_us = e.expires_us;
		}
		rw_cache_entry_clear(&e);
		return;
	}
	cut_from_hints(it);
	it->cut_cached = false;	   /* the hints are not a cut to ask the parent about */
	it->sh->used_hints = true; /* the primed root NS set is gone: time to prime again */
	struct rw_trace_event *ev = iter_trace_ev(it, RW_EV_CUT);
	if (ev) {
		ev->zone = strdup(".");
		ev->text = strdup("hints");
		ev->server = strdup(it->sh->hints->origin ? it->sh->hints->origin : "built-in");
	}
}

void iter_skip_failed(struct rw_iter *it)
{
	if (!it->reask_zone || !name_eq(it->reask_zone, it->zone))
		return;
	for (int i = 0; i < it->n_ns; i++)
		for (int j = 0; j < it->ns[i].n_addr; j++)
			for (int k = 0; k < it->n_reask_dead; k++)
				if (memcmp(&it->ns[i].addr[j].ss, &it->reask_dead[k],
					   it->ns[i].addr[j].len) == 0)
					it->ns[i].addr[j].dead = true;
}
