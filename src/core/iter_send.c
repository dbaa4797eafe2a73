/* The iterator's sending: which server next (select.c), which name to ask (QNAME minimisation),
 * the query on the wire, address lookups for servers without one, and asking the parent again
 * when every server of a cached cut failed. Calls iter_result.c and iter_cut.c. */
#include "iter_impl.h"
#include "rootwalk/select.h"

/* The COOKIE option for the current server (RFC 7873 5.1): its client cookie, and the server
 * cookie it gave us last. Returns the option's length (0: none is sent). */
static size_t cookie_option(struct rw_iter *it, const struct sockaddr *sa, uint8_t *opt)
{
	uint8_t sc[RW_COOKIE_SERVER_MAX];
	it->cur_cookie = it->cur_sc = false;
	if (!it->cur_edns || !it->sh->cfg->upstream_cookies || !it->sh->infra)
		return 0;
	size_t sclen = rw_infra_cookie(it->sh->infra, sa, now_us(it), it->cc, sc);
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return 0;
	it->cur_cookie = true;
	it->cur_sc = sclen > 0;
	return rw_cookie_opt_write(opt, it->cc, sc, sclen);
}

static size_t build_query(struct rw_iter *it, const struct sockaddr *sa, uint8_t *buf, size_t cap)
{
	uint8_t opt[RW_COOKIE_OPT_MAX];
	size_t olen = cookie_option(it, sa, opt);
	size_t nlen = ldns_rdf_size(it->sname);
	size_t need = 12 + nlen + 4 + (it->cur_edns ? 11 + olen : 0);
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
		/* OPT: root owner, type 41, class = UDP payload size, TTL with DO set (RFC 3225:
		 * we want the RRSIGs, NSEC and NSEC3 records), RDLEN 0 */
		*p++ = 0;
		*p++ = 0, *p++ = 41;
		*p++ = (uint8_t)(RW_EDNS_BUFSIZE >> 8), *p++ = (uint8_t)(RW_EDNS_BUFSIZE & 0xff);
		*p++ = 0, *p++ = 0, *p++ = 0x80, *p++ = 0;
		*p++ = (uint8_t)(olen >> 8), *p++ = (uint8_t)olen;
		memcpy(p, opt, olen);
		p += olen;
	}
	return (size_t)(p - buf);
}

/* The name and type to ask the current cut: with QNAME minimisation (RFC 9156) the zone plus
 * one more label of the query name, type A; otherwise the whole question. */
bool iter_choose_sname(struct rw_iter *it)
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

bool iter_minimised(const struct rw_iter *it)
{
	return it->sname && !name_eq(it->sname, it->qname);
}

/* Send to the current server. fresh: a new attempt at this address (a new name may be chosen);
 * otherwise the same question again (over TCP, without EDNS or 0x20). */
void iter_send_query(struct rw_iter *it, bool tcp, bool fresh, struct rw_iter_out *out)
{
	struct ns_entry *ns = &it->ns[it->cur_ns];
	struct ns_addr *a = &ns->addr[it->cur_addr];
	const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
	struct rw_server_info info;
	bool qmin;

	/* the whole query's time budget: no query is sent (or traced) once it is spent, nor
	 * when less is left than any server could answer in */
	if (it->sh->deadline_ms && now_ms(it) + RW_INFRA_MIN_RTO_MS > it->sh->deadline_ms) {
		iter_fail(it, out, RW_FAIL_LIMIT, "limit query-budget (%u ms) used up",
			  it->sh->cfg->query_budget_ms);
		return;
	}
	memset(&info, 0, sizeof(info));
	info.rto_ms = it->sh->cfg->upstream_timeout_ms;
	if (it->sh->infra)
		rw_infra_get(it->sh->infra, sa, now_us(it), it->sh->cfg->upstream_timeout_ms,
			     &info);
	if (fresh) {
		a->attempts++;
		it->badcookies = 0;
		it->cur_edns = !info.no_edns;
		it->cur_0x20 = it->sh->cfg->use_caps_for_id && !info.no_0x20;
	}
	if (fresh || !it->sname)
		qmin = iter_choose_sname(it);
	else
		qmin = iter_minimised(it);
	it->case_mismatch = it->cookie_missing = false;
	it->sh->env->random_buf(it->sh->env->ctx, &it->qid, sizeof(it->qid));
	it->qlen = build_query(it, sa, it->qbuf, sizeof(it->qbuf));
	it->cur_tcp = tcp;
	it->waiting = true;
	it->sent_ms = now_ms(it);
	it->sent_us = now_mono_us(it);
	it->sh->upstream++;
	iter_set_step(it);

	out->act = RW_ACT_SEND;
	out->addr = a->ss;
	out->addrlen = a->len;
	out->tcp = tcp;
	out->wire = it->qbuf;
	out->len = it->qlen;
	out->timeout_ms = info.rto_ms;
	out->zone = it->zone ? ldns_rdf_data(it->zone) : NULL;
	out->zone_len = it->zone ? ldns_rdf_size(it->zone) : 0;
	if (it->sh->deadline_ms) {
		/* never wait past the query's budget */
		uint64_t left = it->sh->deadline_ms - now_ms(it);
		if (left < out->timeout_ms)
			out->timeout_ms = left > 0 ? (uint32_t)left : 1;
	}

	struct rw_trace_event *e = iter_trace_ev(it, RW_EV_SEND);
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
		e->parent_glue = a->parent_side;
		e->after_ms = out->timeout_ms;
	}
}

/* Start the lookup of one more name server's address, as long as max-ns-lookups allows
 * (NXNSAttack), or fail at the limit. Returns false when no server is left to look up. */
static bool lookup_address(struct rw_iter *it, struct rw_iter_out *out)
{
	const struct rw_config *cfg = it->sh->cfg;

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
			iter_fail(it, out, RW_FAIL_NO_AUTHORITY,
				  "limit max-ns-lookups (%u): no server of %s reachable after %u "
				  "address "
				  "lookups",
				  cfg->max_ns_lookups, z, it->lookups);
			free(z);
			return true;
		}
		if (type == LDNS_RR_TYPE_A)
			ns->looked_a = true;
		else
			ns->looked_aaaa = true;
		it->lookups++;
		it->sub_ns = i;
		it->sub_type = type;
		it->sh->subres++;
		/* letters count the lookups started at this step: 2a, 2b, then 3a */
		if (it->sub_at_step != it->nstep) {
			it->sub_at_step = it->nstep;
			it->nsub = 0;
		}
		it->nsub++;
		out->act = RW_ACT_SUBRESOLVE;
		out->sub_qname = ns->name;
		out->sub_qtype = type;
		/* the child's steps are labelled "<step><letter>.N" */
		snprintf(out->sub_step, sizeof(out->sub_step), "%.24s%c",
			 it->step[0] ? it->step : "0", 'a' + (it->nsub - 1) % 26);
		struct rw_trace_event *e = iter_trace_ev(it, RW_EV_SUBRESOLVE);
		if (e) {
			snprintf(e->step, sizeof(e->step), "%s", out->sub_step);
			e->qname = dstr(ns->name);
			e->qtype = type;
			e->zone = dstr(it->zone);
		}
		return true;
	}
	return false;
}

/* Every server of a cut taken from the cache failed for this query: ask the parent zone for the
 * delegation once more. A zone moved to new servers, or whose in-zone glue expired while its
 * other server is broken, then resolves before the old NS set's TTL runs out. Once per client
 * request, so that cyclic or broken delegations cannot multiply it; returns true when it acted. */
static bool reask_parent(struct rw_iter *it, struct rw_iter_out *out)
{
	if (!it->cut_cached || it->sh->reasked || is_root(it->zone))
		return false;
	ldns_rdf *zone = ldns_rdf_clone(it->zone);
	ldns_rdf *up = zone ? ldns_dname_left_chop(zone) : NULL;
	if (!up) {
		ldns_rdf_deep_free(zone);
		return false;
	}
	it->sh->reasked = true;
	it->n_reask_dead = 0;
	it->reask_dead = calloc(RW_ITER_MAX_NS * RW_ITER_MAX_ADDRS, sizeof(*it->reask_dead));
	for (int i = 0; it->reask_dead && i < it->n_ns; i++)
		for (int j = 0; j < it->ns[i].n_addr; j++)
			if (it->ns[i].addr[j].dead || it->ns[i].addr[j].attempts)
				it->reask_dead[it->n_reask_dead++] = it->ns[i].addr[j].ss;
	it->reask_zone = ldns_rdf_clone(zone);
	iter_find_cut_from(it, up, false);
	struct rw_trace_event *e = iter_trace_ev(it, RW_EV_REASK);
	if (e) {
		char reason[320];
		char *z = dstr(zone);
		snprintf(reason, sizeof(reason),
			 "every server of %s (cached delegation) failed for this query (%u "
			 "timeout(s))",
			 z, it->timeouts);
		e->zone = z;
		e->qname = dstr(it->zone);
		e->text = strdup(reason);
	}
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(up);
	uint8_t r = 0;
	it->sh->env->random_buf(it->sh->env->ctx, &r, 1);
	it->rr_start = it->n_ns ? r % it->n_ns : 0;
	iter_next_server(it, out);
	return true;
}

/* Choose the next server and send, start an address lookup, or fail. */
void iter_next_server(struct rw_iter *it, struct rw_iter_out *out)
{
	const struct rw_config *cfg = it->sh->cfg;
	int64_t now = now_us(it);

	if (it->sh->upstream >= cfg->max_upstream_queries) {
		char *z = dstr(it->zone);
		iter_fail(it, out, RW_FAIL_LIMIT,
			  "limit max-upstream-queries (%u) reached while asking %s servers",
			  cfg->max_upstream_queries, z);
		free(z);
		return;
	}
	/* Candidates: addresses not dead and not lame for this zone; select.c chooses. */
	struct rw_select_cand cand[RW_ITER_MAX_NS * RW_ITER_MAX_ADDRS];
	struct {
		int i, j;
	} at[RW_ITER_MAX_NS * RW_ITER_MAX_ADDRS];
	int n = 0;
	for (int i = 0; i < it->n_ns; i++) {
		bool child_untried = false; /* a child-side address not asked yet */
		for (int j = 0; j < it->ns[i].n_addr; j++) {
			const struct ns_addr *a = &it->ns[i].addr[j];
			if (!a->parent_side && !a->dead && a->attempts == 0)
				child_untried = true;
		}
		for (int j = 0; j < it->ns[i].n_addr; j++) {
			struct ns_addr *a = &it->ns[i].addr[j];
			const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
			if (a->dead || a->attempts >= MAX_ATTEMPTS)
				continue;
			if (a->parent_side && child_untried)
				continue; /* the parent's glue waits until the child's addresses fail */
			if (it->sh->infra && rw_infra_is_lame(it->sh->infra, sa, it->zone, now)) {
				a->dead = true;
				continue;
			}
			struct rw_server_info info;
			if (it->sh->infra)
				rw_infra_get(it->sh->infra, sa, now, cfg->upstream_timeout_ms,
					     &info);
			cand[n].score_us = rw_select_score(it->sh->infra ? &info : NULL);
			cand[n].failing = it->sh->infra && info.failing;
			cand[n].attempts = a->attempts;
			at[n].i = i;
			at[n].j = j;
			n++;
		}
	}
	if (n > 0) {
		uint8_t r[2] = {0, 0};
		it->sh->env->random_buf(it->sh->env->ctx, r, sizeof(r));
		int pick = rw_select_pick(cand, n, r);
		it->cur_ns = at[pick].i;
		it->cur_addr = at[pick].j;
		iter_send_query(it, false, true, out);
		return;
	}
	/* No address left: look up one more name server's address (NXNSAttack cap). */
	if (lookup_address(it, out))
		return;
	if (reask_parent(it, out))
		return;
	char *z = dstr(it->zone);
	if (it->net_errors > 0 && it->timeouts == 0)
		iter_fail(it, out, RW_FAIL_NETWORK,
			  "network error: no server of %s could be reached (%u send failure(s))", z,
			  it->net_errors);
	else
		iter_fail(
			it, out, RW_FAIL_NO_AUTHORITY,
			"no reachable authority for %s: all %d server(s) failed or have no address "
			"(%u timeout(s))",
			z, it->n_ns, it->timeouts);
	free(z);
}
