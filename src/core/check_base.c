/* `rootwalk check`: what every part of a check uses: its clock, its queries on the wire (the
 * resolver's ids, RD clear), server addresses and the server table, the check's status, the
 * time of day for people. Calls nothing else of the check. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "rootwalk/config.h"
#include "rootwalk/present.h"
#include "rootwalk/wire.h"
#include "check_impl.h"
#include "resolver_impl.h"

const char *const ck_state_name[] = {
	[CK_ST_PENDING] = "pending", [CK_ST_OK] = "ok",
	[CK_ST_REFUSED] = "refused", [CK_ST_NOTAUTH] = "not-authoritative",
	[CK_ST_TIMEOUT] = "timeout", [CK_ST_WRONGZONE] = "wrong-zone",
	[CK_ST_ERROR] = "error",
};

int64_t ck_now_us(const struct rw_check *ck)
{
	const struct rw_env *env = ck->r->env;
	if (env->now_mono_us)
		return (int64_t)env->now_mono_us(env->ctx);
	return (int64_t)env->now_mono_ms(env->ctx) * 1000;
}

bool ck_addr_equal(const struct ck_addr *a, const struct ck_addr *b)
{
	const struct sockaddr *x = (const struct sockaddr *)&a->ss;
	const struct sockaddr *y = (const struct sockaddr *)&b->ss;
	if (x->sa_family != y->sa_family)
		return false;
	if (x->sa_family == AF_INET) {
		const struct sockaddr_in *p = (const void *)x, *q = (const void *)y;
		return p->sin_addr.s_addr == q->sin_addr.s_addr && p->sin_port == q->sin_port;
	}
	if (x->sa_family == AF_INET6) {
		const struct sockaddr_in6 *p = (const void *)x, *q = (const void *)y;
		return memcmp(&p->sin6_addr, &q->sin6_addr, 16) == 0 &&
		       p->sin6_port == q->sin6_port;
	}
	return false;
}

void ck_addr_text(const struct ck_addr *a, char *buf, size_t len)
{
	rw_present_addr((const struct sockaddr *)&a->ss, buf, len);
}

int ck_addrs_from(const ldns_rr_list *rrs, const ldns_rdf *name, struct ck_addr *out, int max)
{
	int n = 0;
	for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs) && n < max; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		const ldns_rdf *rd = ldns_rr_rdf(rr, 0);
		if (!rd || (name && ldns_dname_compare(ldns_rr_owner(rr), name) != 0))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A && ldns_rdf_size(rd) == 4) {
			struct sockaddr_in *s = (struct sockaddr_in *)&out[n].ss;
			s->sin_family = AF_INET;
			s->sin_port = htons(53);
			memcpy(&s->sin_addr, ldns_rdf_data(rd), 4);
			out[n].len = sizeof(*s);
		} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA && ldns_rdf_size(rd) == 16) {
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)&out[n].ss;
			s->sin6_family = AF_INET6;
			s->sin6_port = htons(53);
			memcpy(&s->sin6_addr, ldns_rdf_data(rd), 16);
			out[n].len = sizeof(*s);
		} else {
			continue;
		}
		bool dup = false;
		for (int k = 0; k < n; k++)
			dup = dup || ck_addr_equal(&out[k], &out[n]);
		if (!dup)
			n++;
	}
	return n;
}

int ck_server_add(struct rw_check *ck, const ldns_rdf *nsname, const struct ck_addr *a,
		  unsigned src)
{
	for (int i = 0; i < ck->n_servers; i++) {
		struct ck_server *s = &ck->servers[i];
		if (ck_addr_equal(&s->addr, a) && ldns_dname_compare(s->nsname, nsname) == 0) {
			s->src |= src;
			return i;
		}
	}
	if (ck->n_servers == RW_CHECK_MAX_SERVERS)
		return -1;
	struct ck_server *s = &ck->servers[ck->n_servers];
	memset(s, 0, sizeof(*s));
	s->nsname = ldns_rdf_clone(nsname);
	if (!s->nsname)
		return -1;
	s->addr = *a;
	s->src = src;
	return ck->n_servers++;
}

/* A question on the wire: RD clear, EDNS with our buffer size (none for a server that answers
 * FORMERR to it), DO for the DNSSEC questions. */
static uint8_t *build(struct rw_check *ck, const ldns_rdf *qname, uint16_t qtype, bool do_bit,
		      bool no_edns, uint16_t *qid, size_t *len)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_rdf_clone(qname), qtype, LDNS_RR_CLASS_IN, 0);
	uint8_t *wire = NULL;
	if (!p)
		return NULL;
	ck->r->env->random_buf(ck->r->env->ctx, qid, sizeof(*qid));
	ldns_pkt_set_id(p, *qid);
	ldns_pkt_set_rd(p, false);
	if (!no_edns)
		ldns_pkt_set_edns_udp_size(p, RW_EDNS_BUFSIZE);
	/* DO for the DNSSEC questions: the RRSIGs (RFC 3225) */
	if (do_bit && !no_edns)
		ldns_pkt_set_edns_do(p, true);
	if (ldns_pkt2wire(&wire, p, len) != LDNS_STATUS_OK)
		wire = NULL;
	ldns_pkt_free(p);
	return wire;
}

/* The addresses the resolver would ask (iter_cut.c): do-ip4, do-ip6, and no loopback address
 * under do-not-query-localhost unless it comes from the root hints. */
static bool addr_allowed(const struct rw_check *ck, const struct ck_addr *a, bool hints)
{
	const struct rw_config *cfg = ck->r->cfg;
	bool no_local = cfg->do_not_query_localhost && !hints;
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)&a->ss;
		return cfg->do_ip4 && s->sin_addr.s_addr != 0 &&
		       !(no_local && (ntohl(s->sin_addr.s_addr) >> 24) == 127);
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)&a->ss;
		return cfg->do_ip6 && !IN6_IS_ADDR_UNSPECIFIED(&s->sin6_addr) &&
		       !(no_local && IN6_IS_ADDR_LOOPBACK(&s->sin6_addr));
	}
	return false;
}

static int send_full(struct rw_check *ck, enum ck_purpose purpose, int server, int walk,
		     const ldns_rdf *qname, uint16_t qtype, const struct ck_addr *a, bool tcp,
		     int tries, bool no_edns)
{
	struct rw_resolver *r = ck->r;
	if (ck->sent >= CK_MAX_PROBES || ck->over_budget)
		return -ENOSPC;
	bool hints = walk >= 0 && ck->walks[walk].from_hints && ck->walks[walk].referrals == 0;
	if (!addr_allowed(ck, a, hints))
		return -EPERM;
	struct ck_probe *p = calloc(1, sizeof(*p));
	size_t len = 0;
	uint8_t *wire =
		p ? build(ck, qname, qtype,
			  purpose == CK_P_DS || purpose == CK_P_DNSKEY || purpose == CK_P_SIGS,
			  no_edns, &p->qid, &len)
		  : NULL;
	if (!wire) {
		free(p);
		return -ENOMEM;
	}
	p->id = ++r->next_id;
	p->purpose = purpose;
	p->server = server;
	p->walk = walk;
	p->qname = ldns_rdf_clone(qname);
	p->qtype = qtype;
	p->tcp = tcp;
	p->tries = tries;
	p->no_edns = no_edns;
	p->addr = *a;
	p->sent_us = ck_now_us(ck);
	struct rw_upstream_query uq = {
		.id = p->id,
		.addr = (const struct sockaddr *)&a->ss,
		.addrlen = a->len,
		.tcp = tcp,
		.wire = wire,
		.len = len,
		.timeout_ms = tcp ? RW_CHECK_TCP_MS : RW_CHECK_UDP_MS,
	};
	int rc = r->env->send(r->env->ctx, &uq);
	free(wire);
	if (rc < 0) {
		ldns_rdf_deep_free(p->qname);
		free(p);
		return rc;
	}
	ck_trace_send(ck, p, walk >= 0 ? ck->walks[walk].cut : ck->zone,
		      server >= 0 ? ck->servers[server].nsname : NULL, uq.timeout_ms);
	p->next = ck->probes;
	ck->probes = p;
	ck->inflight++;
	ck->sent++;
	return 0;
}

int ck_send(struct rw_check *ck, enum ck_purpose purpose, int server, int walk,
	    const ldns_rdf *qname, uint16_t qtype, const struct ck_addr *a, bool tcp, int tries)
{
	return send_full(ck, purpose, server, walk, qname, qtype, a, tcp, tries, false);
}

int ck_resend(struct rw_check *ck, const struct ck_probe *p, bool tcp, int tries, bool no_edns)
{
	return send_full(ck, p->purpose, p->server, p->walk, p->qname, p->qtype, &p->addr, tcp,
			 tries, no_edns);
}

enum rw_check_status ck_status(const struct rw_check *ck)
{
	enum rw_check_status st = RW_CHECK_OK;
	for (int i = 0; i < ck->n_findings; i++) {
		if (ck->findings[i].sev == CK_ERROR)
			return RW_CHECK_ERRORS;
		if (ck->findings[i].sev == CK_WARNING)
			st = RW_CHECK_WARNINGS;
	}
	return st;
}

static bool same_rr(const ldns_rr *a, const ldns_rr *b)
{
	if (ldns_rr_get_type(a) != ldns_rr_get_type(b) ||
	    ldns_rr_rd_count(a) != ldns_rr_rd_count(b) ||
	    ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b)) != 0)
		return false;
	for (size_t i = 0; i < ldns_rr_rd_count(a); i++)
		if (ldns_rdf_compare(ldns_rr_rdf(a, i), ldns_rr_rdf(b, i)) != 0)
			return false;
	return true;
}

static bool contained(const ldns_rr_list *a, const ldns_rr_list *b)
{
	for (size_t i = 0; a && i < ldns_rr_list_rr_count(a); i++) {
		bool found = false;
		for (size_t j = 0; b && j < ldns_rr_list_rr_count(b) && !found; j++)
			found = same_rr(ldns_rr_list_rr(a, i), ldns_rr_list_rr(b, j));
		if (!found)
			return false;
	}
	return true;
}

/* The same records (TTLs and order aside). */
bool ck_same_rrset(const ldns_rr_list *a, const ldns_rr_list *b)
{
	return contained(a, b) && contained(b, a);
}

/* "15:05:00 UTC" for whole epoch seconds. */
void ck_hms(int64_t secs, int64_t now_s, char *buf, size_t len)
{
	char full[32];
	rw_present_iso_secs(secs, full, sizeof(full));
	if (strlen(full) != 20)
		snprintf(buf, len, "%s", full);
	else if (secs - now_s < 86400)
		snprintf(buf, len, "%.8s UTC", full + 11);
	else
		snprintf(buf, len, "%.10s %.8s UTC", full, full + 11);
}

void ck_finding(struct rw_check *ck, enum ck_severity sev, const char *code, const char *servers,
		const char *fmt, ...)
{
	if (ck->n_findings == CK_MAX_FINDINGS)
		return;
	struct ck_finding *f = &ck->findings[ck->n_findings];
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	f->text = strdup(text);
	if (!f->text)
		return;
	f->sev = sev;
	f->code = code;
	snprintf(f->servers, sizeof(f->servers), "%s", servers ? servers : "");
	ck->n_findings++;
}
