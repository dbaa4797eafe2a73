/* `rootwalk check`: the report, as text for people (one screen: the delegation, a table of the
 * servers, the findings by severity, TTL advice, what this resolver holds) or as one JSON object
 * (the keys of rootwalk(1), CHECK). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/present.h"
#include "check_impl.h"

static const char *const sev_name[] = {"info", "warning", "error"};
static const char *const tcp_name[] = {"not-tried", "ok", "failed"};
static const char *const status_name[] = {"ok", "warnings", "errors"};

/* The TTL advice: the longest TTL in the servers' answers, the delegation's, the negative. */
struct advice {
	bool have_answer;
	uint32_t answer_ttl;
	int64_t answer_until;
	bool have_neg;
	uint32_t neg_ttl;
	int64_t now_s;
};

static void get_advice(const struct rw_check *ck, struct advice *ad)
{
	memset(ad, 0, sizeof(*ad));
	ad->now_s = rw_present_epoch(ck->start_wall_us);
	for (int i = 0; i < ck->n_servers; i++) {
		const struct ck_server *s = &ck->servers[i];
		if (s->state != CK_ST_OK)
			continue;
		if (s->ans.got && ldns_rr_list_rr_count(s->ans.rrs) > 0 &&
		    (!ad->have_answer || s->ans.max_ttl > ad->answer_ttl)) {
			ad->have_answer = true;
			ad->answer_ttl = s->ans.max_ttl;
		}
		if (s->soa && !ad->have_neg) {
			ad->have_neg = true;
			ad->neg_ttl = rw_soa_negative_ttl(s->soa);
		}
	}
	ad->answer_until = ad->now_s + ad->answer_ttl;
}

static char *name_or(const ldns_rdf *n)
{
	char *t = n ? rw_present_name(n) : NULL;
	return t ? t : strdup("?");
}

/* ---------------------------------------------------------------------------------------------
 * JSON
 */

static void json_names(struct rw_sbuf *b, const ldns_rr_list *set)
{
	rw_sbuf_puts(b, "[");
	for (size_t i = 0; set && i < ldns_rr_list_rr_count(set); i++) {
		char *n = name_or(ldns_rr_rdf(ldns_rr_list_rr(set, i), 0));
		rw_sbuf_puts(b, i ? "," : "");
		rw_present_json_str(b, n);
		free(n);
	}
	rw_sbuf_puts(b, "]");
}

static void json_records(struct rw_sbuf *b, const ldns_rr_list *rrs)
{
	rw_sbuf_puts(b, "[");
	for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++) {
		char *t = rw_present_rr(ldns_rr_list_rr(rrs, i));
		rw_sbuf_puts(b, i ? "," : "");
		rw_present_json_str(b, t ? t : "?");
		free(t);
	}
	rw_sbuf_puts(b, "]");
}

static void json_parent(const struct rw_check *ck, struct rw_sbuf *b)
{
	char a[64];
	if (!ck->have_parent) {
		rw_sbuf_puts(b, "null");
		return;
	}
	char *p = name_or(ck->parent);
	rw_sbuf_puts(b, "{\"zone\":");
	rw_present_json_str(b, p);
	free(p);
	rw_sbuf_puts(b, ",\"ns\":");
	json_names(b, ck->parent_ns);
	rw_sbuf_printf(b, ",\"ns_ttl\":%u,\"glue\":{", ck->parent_ns_ttl);
	bool first = true;
	for (size_t i = 0; i < ldns_rr_list_rr_count(ck->parent_ns); i++) {
		const ldns_rdf *n = ldns_rr_rdf(ldns_rr_list_rr(ck->parent_ns, i), 0);
		struct ck_addr g[CK_MAX_ADDRS];
		int ng = ck_addrs_from(ck->glue, n, g, CK_MAX_ADDRS);
		if (ng == 0)
			continue;
		char *t = name_or(n);
		rw_sbuf_puts(b, first ? "" : ",");
		first = false;
		rw_present_json_str(b, t);
		free(t);
		rw_sbuf_puts(b, ":[");
		for (int k = 0; k < ng; k++) {
			ck_addr_text(&g[k], a, sizeof(a));
			rw_sbuf_puts(b, k ? "," : "");
			rw_present_json_str(b, a);
		}
		rw_sbuf_puts(b, "]");
	}
	rw_sbuf_puts(b, "},\"servers\":[");
	for (int i = 0; i < ck->n_parent_servers; i++) {
		ck_addr_text(&ck->parent_servers[i], a, sizeof(a));
		rw_sbuf_puts(b, i ? "," : "");
		rw_present_json_str(b, a);
	}
	rw_sbuf_puts(b, "]}");
}

static void json_server(const struct ck_server *s, struct rw_sbuf *b)
{
	static const char *const srcs[] = {"glue", "child", "resolved"};
	char a[64], ms[24];
	char *n = name_or(s->nsname);
	rw_sbuf_puts(b, "{\"name\":");
	rw_present_json_str(b, n);
	free(n);
	ck_addr_text(&s->addr, a, sizeof(a));
	rw_sbuf_puts(b, ",\"address\":");
	rw_present_json_str(b, a);
	rw_sbuf_puts(b, ",\"source\":[");
	for (int k = 0, f = 0; k < 3; k++)
		if (s->src & (1u << k))
			rw_sbuf_printf(b, "%s\"%s\"", f++ ? "," : "", srcs[k]);
	rw_sbuf_printf(b, "],\"state\":\"%s\"", ck_state_name[s->state]);
	if (s->have_rtt)
		rw_sbuf_printf(b, ",\"rtt_ms\":%s", rw_present_ms(ms, sizeof(ms), s->rtt_us));
	else
		rw_sbuf_puts(b, ",\"rtt_ms\":null");
	if (s->have_serial)
		rw_sbuf_printf(b, ",\"soa_serial\":%u", s->serial);
	else
		rw_sbuf_puts(b, ",\"soa_serial\":null");
	rw_sbuf_printf(b, ",\"tcp\":\"%s\",\"detail\":", tcp_name[s->tcp]);
	rw_present_json_str(b, s->detail);
	if (s->ans.got) {
		rw_sbuf_printf(b, ",\"answer\":{\"rcode\":\"%s\",\"aa\":%s,\"records\":",
			       rw_present_rcode(s->ans.rcode), s->ans.aa ? "true" : "false");
		json_records(b, s->ans.rrs);
		if (ldns_rr_list_rr_count(s->ans.rrs) > 0)
			rw_sbuf_printf(b, ",\"min_ttl\":%u,\"max_ttl\":%u}", s->ans.min_ttl,
				       s->ans.max_ttl);
		else
			rw_sbuf_puts(b, ",\"min_ttl\":null,\"max_ttl\":null}");
	} else {
		rw_sbuf_puts(b, ",\"answer\":null");
	}
	rw_sbuf_puts(b, "}");
}

static void json_ttl(const struct rw_check *ck, struct rw_sbuf *b)
{
	struct advice ad;
	char t[40];
	get_advice(ck, &ad);
	rw_sbuf_puts(b, "{");
	if (ad.have_answer) {
		rw_present_iso_secs(ad.answer_until, t, sizeof(t));
		rw_sbuf_printf(b, "\"answer_max_ttl\":%u,\"serve_until\":\"%s\"", ad.answer_ttl, t);
	} else {
		rw_sbuf_puts(b, "\"answer_max_ttl\":null,\"serve_until\":null");
	}
	if (ck->have_parent) {
		rw_present_iso_secs(ad.now_s + ck->parent_ns_ttl, t, sizeof(t));
		rw_sbuf_printf(b, ",\"delegation_ttl\":%u,\"delegation_serve_until\":\"%s\"",
			       ck->parent_ns_ttl, t);
	} else {
		rw_sbuf_puts(b, ",\"delegation_ttl\":null,\"delegation_serve_until\":null");
	}
	if (ad.have_neg)
		rw_sbuf_printf(b, ",\"negative_ttl\":%u}", ad.neg_ttl);
	else
		rw_sbuf_puts(b, ",\"negative_ttl\":null}");
}

static void json_cache(const struct rw_check *ck, struct rw_sbuf *b)
{
	char a[64], t[40];
	if (!ck->cached) {
		rw_sbuf_puts(b, "{\"cached\":false,\"differs\":false}");
		return;
	}
	const struct rw_cache_entry *e = &ck->cache;
	rw_sbuf_printf(
		b, "{\"cached\":true,\"kind\":\"%s\",\"records\":", rw_entry_kind_name(e->kind));
	json_records(b, e->kind == RW_ENTRY_RRSET ? e->rrs : NULL);
	a[0] = '\0';
	if (e->src)
		rw_present_addr((const struct sockaddr *)&e->src->addr, a, sizeof(a));
	rw_sbuf_puts(b, ",\"from\":");
	rw_present_json_str(b, a);
	rw_sbuf_puts(b, ",\"from_server\":");
	rw_present_json_str(b, e->src && e->src->server ? e->src->server : "");
	rw_present_iso_secs(rw_present_epoch(e->expires_us), t, sizeof(t));
	rw_sbuf_printf(b, ",\"ttl_left\":%u,\"expires\":\"%s\",\"differs\":%s}",
		       rw_cache_ttl_left(e, ck->start_wall_us), t,
		       ck->cache_differs ? "true" : "false");
}

void ck_format_json(const struct rw_check *ck, struct rw_sbuf *b)
{
	char tb[32], t[40];
	char *name = name_or(ck->name);
	rw_sbuf_puts(b, "{\"name\":");
	rw_present_json_str(b, name);
	free(name);
	rw_sbuf_puts(b, ",\"type\":");
	rw_present_json_str(b, rw_present_type(ck->qtype, tb, sizeof(tb)));
	rw_sbuf_puts(b, ",\"zone\":");
	if (ck->zone) {
		char *z = name_or(ck->zone);
		rw_present_json_str(b, z);
		free(z);
	} else {
		rw_sbuf_puts(b, "null");
	}
	rw_present_iso_secs(ck->start_wall_us / 1000000, t, sizeof(t));
	rw_sbuf_printf(b, ",\"status\":\"%s\",\"checked_at\":\"%s\",\"parent\":",
		       status_name[ck_status(ck)], t);
	json_parent(ck, b);
	const struct ck_walk *w = &ck->walks[0];
	rw_sbuf_printf(b, ",\"walk\":{\"complete\":%s", w->final ? "true" : "false");
	if (!w->final) {
		char *at = name_or(w->cut);
		rw_sbuf_puts(b, ",\"stopped_at\":");
		rw_present_json_str(b, at);
		free(at);
		rw_sbuf_puts(b, ",\"why\":");
		rw_present_json_str(b, w->why);
	}
	rw_sbuf_puts(b, "},\"child_ns\":");
	json_names(b, ck->child_ns);
	if (ck->child_ns)
		rw_sbuf_printf(b, ",\"child_ns_ttl\":%u", ck->child_ns_ttl);
	else
		rw_sbuf_puts(b, ",\"child_ns_ttl\":null");
	rw_sbuf_puts(b, ",\"servers\":[");
	for (int i = 0; i < ck->n_servers; i++) {
		rw_sbuf_puts(b, i ? "," : "");
		json_server(&ck->servers[i], b);
	}
	rw_sbuf_puts(b, "],\"findings\":[");
	for (int i = 0; i < ck->n_findings; i++) {
		const struct ck_finding *f = &ck->findings[i];
		rw_sbuf_printf(b, "%s{\"severity\":\"%s\",\"code\":\"%s\",\"text\":", i ? "," : "",
			       sev_name[f->sev], f->code);
		rw_present_json_str(b, f->text);
		rw_sbuf_puts(b, ",\"servers\":[");
		const char *p = f->servers;
		for (int k = 0; *p; k++) {
			size_t l = strcspn(p, " ");
			char one[64];
			snprintf(one, sizeof(one), "%.*s", (int)(l < 63 ? l : 63), p);
			rw_sbuf_puts(b, k ? "," : "");
			rw_present_json_str(b, one);
			p += l;
			p += strspn(p, " ");
		}
		rw_sbuf_puts(b, "]}");
	}
	rw_sbuf_puts(b, "],\"ttl\":");
	json_ttl(ck, b);
	rw_sbuf_puts(b, ",\"cache\":");
	json_cache(ck, b);
	rw_sbuf_puts(b, ",\"dnssec\":");
	ck_dnssec_json(ck, b);
	rw_sbuf_puts(b, "}\n");
}

/* ---------------------------------------------------------------------------------------------
 * The SOA serials after `rootwalk trace --fresh`
 */

void ck_format_serials(const struct rw_check *ck, struct rw_sbuf *b)
{
	uint32_t top = 0;
	int n = 0;
	bool differ = false;
	char a[64];
	for (int i = 0; i < ck->n_servers; i++) {
		const struct ck_server *s = &ck->servers[i];
		if (!s->have_serial || s->state != CK_ST_OK)
			continue;
		differ = differ || (n > 0 && s->serial != top);
		if (n++ == 0 || (int32_t)(s->serial - top) > 0) /* RFC 1982: the newest */
			top = s->serial;
	}
	if (!differ)
		return;
	char *z = name_or(ck->zone);
	if (ck->json) {
		rw_sbuf_puts(b, "{\"ev\":\"serials\",\"zone\":");
		rw_present_json_str(b, z);
		rw_sbuf_puts(b, ",\"agree\":false,\"servers\":[");
	} else {
		rw_sbuf_printf(b, ";; servers of %s disagree on the SOA serial: ", z);
	}
	for (int i = 0, k = 0; i < ck->n_servers; i++) {
		const struct ck_server *s = &ck->servers[i];
		if (!s->have_serial || s->state != CK_ST_OK)
			continue;
		ck_addr_text(&s->addr, a, sizeof(a));
		if (ck->json)
			rw_sbuf_printf(b, "%s{\"addr\":\"%s\",\"serial\":%u,\"behind\":%s}",
				       k++ ? "," : "", a, s->serial,
				       s->serial != top ? "true" : "false");
		else
			rw_sbuf_printf(b, "%s%s %u%s", k++ ? ", " : "", a, s->serial,
				       s->serial != top ? " (behind)" : "");
	}
	rw_sbuf_puts(b, ck->json ? "]}\n" : "\n");
	free(z);
}

/* ---------------------------------------------------------------------------------------------
 * Text
 */

static void text_names(struct rw_sbuf *b, const ldns_rr_list *set)
{
	for (size_t i = 0; set && i < ldns_rr_list_rr_count(set); i++) {
		char *n = name_or(ldns_rr_rdf(ldns_rr_list_rr(set, i), 0));
		rw_sbuf_printf(b, "%s%s", i ? " " : "", n);
		free(n);
	}
	if (!set || ldns_rr_list_rr_count(set) == 0)
		rw_sbuf_puts(b, "(unknown)");
}

static void text_delegation(const struct rw_check *ck, struct rw_sbuf *b)
{
	if (ck->have_parent) {
		char *p = name_or(ck->parent);
		rw_sbuf_printf(b, "  parent %s delegates (NS TTL %u s): ", p, ck->parent_ns_ttl);
		free(p);
		text_names(b, ck->parent_ns);
		rw_sbuf_puts(b, "\n");
	} else {
		rw_sbuf_puts(b,
			     "  parent: none seen (the zone is the root, or no referral came)\n");
	}
	if (ck->child_ns)
		rw_sbuf_printf(b, "  the zone's own NS set (TTL %u s):  ", ck->child_ns_ttl);
	else
		rw_sbuf_puts(b, "  the zone's own NS set: ");
	text_names(b, ck->child_ns);
	rw_sbuf_puts(b, "\n");
}

/* Where an address came from: "glue", "glue+child", "resolved". */
static const char *source_text(unsigned src, char *buf, size_t len)
{
	static const char *const names[] = {"glue", "child", "resolved"};
	buf[0] = '\0';
	for (int k = 0; k < 3; k++)
		if (src & (1u << k)) {
			size_t l = strlen(buf);
			snprintf(buf + l, len - l, "%s%s", l ? "+" : "", names[k]);
		}
	return buf[0] ? buf : "-";
}

static void text_servers(const struct rw_check *ck, struct rw_sbuf *b)
{
	char a[64], ms[24], ser[16], brief[160], src[32];
	if (ck->n_servers == 0)
		return;
	rw_sbuf_printf(b, "\n  %-26s %-16s %-10s %-17s %8s %-11s %-4s %s\n", "server", "address",
		       "from", "state", "rtt ms", "serial", "tcp", "answer");
	for (int i = 0; i < ck->n_servers; i++) {
		const struct ck_server *s = &ck->servers[i];
		char *n = name_or(s->nsname);
		ck_addr_text(&s->addr, a, sizeof(a));
		snprintf(ser, sizeof(ser), "%s", "-");
		if (s->have_serial)
			snprintf(ser, sizeof(ser), "%u", s->serial);
		brief[0] = '\0';
		if (s->ans.got) {
			size_t nr = ldns_rr_list_rr_count(s->ans.rrs);
			if (nr == 0)
				snprintf(brief, sizeof(brief), "%s, no records%s",
					 rw_present_rcode(s->ans.rcode),
					 s->ans.aa ? "" : ", no AA");
			for (size_t k = 0; k < nr && k < 4; k++) {
				const ldns_rr *rr = ldns_rr_list_rr(s->ans.rrs, k);
				char *rd = rw_present_rdata(rr), tb[32];
				size_t l = strlen(brief);
				uint16_t t = ldns_rr_get_type(rr);
				snprintf(brief + l, sizeof(brief) - l, "%s%s%s%s", k ? " " : "",
					 t != ck->qtype ? rw_present_type(t, tb, sizeof(tb)) : "",
					 t != ck->qtype ? " " : "", rd ? rd : "?");
				free(rd);
			}
			if (nr > 4) {
				size_t l = strlen(brief);
				snprintf(brief + l, sizeof(brief) - l, " (+%zu)", nr - 4);
			}
		} else {
			snprintf(brief, sizeof(brief), "-");
		}
		rw_sbuf_printf(b, "  %-26s %-16s %-10s %-17s %8s %-11s %-4s %s\n", n, a,
			       source_text(s->src, src, sizeof(src)), ck_state_name[s->state],
			       s->have_rtt ? rw_present_ms(ms, sizeof(ms), s->rtt_us) : "-", ser,
			       s->tcp == CK_TCP_OK ? "ok"
						   : (s->tcp == CK_TCP_FAILED ? "FAIL" : "-"),
			       brief);
		free(n);
	}
}

static void text_findings(const struct rw_check *ck, struct rw_sbuf *b)
{
	static const char *const heads[] = {"info", "warnings", "errors"};
	rw_sbuf_puts(b, "\n");
	if (ck->n_findings == 0)
		rw_sbuf_puts(b, "no problems found\n");
	for (int sev = CK_ERROR; sev >= CK_INFO; sev--) {
		bool head = false;
		for (int i = 0; i < ck->n_findings; i++) {
			const struct ck_finding *f = &ck->findings[i];
			if ((int)f->sev != sev)
				continue;
			if (!head)
				rw_sbuf_printf(b, "%s:\n", heads[sev]);
			head = true;
			rw_sbuf_printf(b, "  [%s] %s\n", f->code, f->text);
		}
	}
}

static void text_advice(const struct rw_check *ck, struct rw_sbuf *b)
{
	struct advice ad;
	char t[40];
	get_advice(ck, &ad);
	rw_sbuf_puts(b, "\nTTL advice:\n");
	if (ad.have_answer) {
		ck_hms(ad.answer_until, ad.now_s, t, sizeof(t));
		rw_sbuf_printf(b,
			       "  a resolver that fetched this just now may serve it until %s "
			       "(longest TTL among the servers' answers: %u s)\n",
			       t, ad.answer_ttl);
	}
	if (ck->have_parent) {
		ck_hms(ad.now_s + ck->parent_ns_ttl, ad.now_s, t, sizeof(t));
		rw_sbuf_printf(b, "  NS changes: the parent's delegation TTL is %u s: until %s\n",
			       ck->parent_ns_ttl, t);
	}
	if (ad.have_neg)
		rw_sbuf_printf(b,
			       "  a name created now: negative answers may be cached %u s (SOA "
			       "minimum)\n",
			       ad.neg_ttl);
}

static void text_cache(const struct rw_check *ck, struct rw_sbuf *b)
{
	char a[64] = "", t[40];
	rw_sbuf_puts(b, "\nthis resolver holds: ");
	if (!ck->cached) {
		rw_sbuf_puts(b, "nothing for this name and type\n");
		return;
	}
	const struct rw_cache_entry *e = &ck->cache;
	if (e->src)
		rw_present_addr((const struct sockaddr *)&e->src->addr, a, sizeof(a));
	ck_hms(rw_present_epoch(e->expires_us), rw_present_epoch(ck->start_wall_us), t, sizeof(t));
	rw_sbuf_printf(b, "%s from %s (%s), %u s left (until %s)%s\n", rw_entry_kind_name(e->kind),
		       e->src && e->src->server[0] ? e->src->server : "?", a[0] ? a : "?",
		       rw_cache_ttl_left(e, ck->start_wall_us), t,
		       ck->cache_differs ? ", DIFFERS from the servers now" : "");
	for (size_t i = 0; e->kind == RW_ENTRY_RRSET && i < ldns_rr_list_rr_count(e->rrs); i++) {
		char *r = rw_present_rr_ttl(ldns_rr_list_rr(e->rrs, i),
					    rw_cache_ttl_left(e, ck->start_wall_us));
		rw_sbuf_printf(b, "  %s\n", r ? r : "?");
		free(r);
	}
}

void ck_format_text(const struct rw_check *ck, struct rw_sbuf *b)
{
	char tb[32];
	char *name = name_or(ck->name), *zone = ck->zone ? name_or(ck->zone) : strdup("?");
	char *parent = ck->have_parent ? name_or(ck->parent) : strdup("-");
	rw_sbuf_printf(b, "check %s %s: zone %s, parent %s: status: %s\n", name,
		       rw_present_type(ck->qtype, tb, sizeof(tb)), zone ? zone : "?",
		       parent ? parent : "?", status_name[ck_status(ck)]);
	free(name);
	free(zone);
	free(parent);
	const struct ck_walk *w = &ck->walks[0];
	if (!w->final) {
		char *at = name_or(w->cut);
		rw_sbuf_printf(b, "  the walk down to the name stopped at %s: %s\n", at, w->why);
		free(at);
	}
	text_delegation(ck, b);
	text_servers(ck, b);
	text_findings(ck, b);
	text_advice(ck, b);
	text_cache(ck, b);
	if (!ck->dnssec_result)
		rw_sbuf_puts(b, "DNSSEC: not checked (no DS or DNSKEY answer)\n");
	else
		rw_sbuf_printf(b, "DNSSEC: the parent's DS against the zone's DNSKEY set: %s\n",
			       ck->dnssec_result);
	if (ck->sig_earliest_s > 0) {
		char when[40];
		rw_present_iso_secs(ck->sig_earliest_s, when, sizeof(when));
		rw_sbuf_printf(b,
			       "DNSSEC: the first signature to end (DNSKEY set and answer): %s\n",
			       when);
	}
}
