/* Per-query trace, formatting: events are typed records (trace_record.c); text and JSON exist
 * only here, at the sink. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rootwalk/env.h"
#include "rootwalk/trace.h"
#include "rootwalk/wire.h"
#include "sbuf.h"
#include "trace_val.h"

static void sb_json_key_str(struct rw_sbuf *b, const char *key, const char *val)
{
	rw_sbuf_printf(b, ",\"%s\":", key);
	rw_present_json_str(b, val);
}

/* ---- formatting ---- */

static void text_rec(struct rw_sbuf *b, const struct rw_trace_rec *r, int64_t now_us)
{
	char *line = rw_present_rr(r->rr);
	char exp[40], stored[40], in[32], addr[64] = "?";

	rw_present_iso_time(r->expires_us, exp, sizeof(exp));
	rw_present_iso_time(r->stored_us, stored, sizeof(stored));
	rw_present_duration(in, sizeof(in), (r->expires_us - now_us + 999999) / 1000000);
	if (r->src && r->src->addrlen)
		rw_present_addr((const struct sockaddr *)&r->src->addr, addr, sizeof(addr));
	rw_sbuf_puts(b, ";;   ");
	rw_sbuf_puts(b, line);
	rw_sbuf_puts(b, r->from_cache ? "   ; cached, stored " : "   ; fetched ");
	rw_sbuf_puts(b, stored);
	rw_sbuf_puts(b, " from ");
	rw_sbuf_puts(b, r->src && r->src->server[0] ? r->src->server : "?");
	rw_sbuf_puts(b, " (");
	rw_sbuf_puts(b, addr);
	rw_sbuf_puts(b, ") zone ");
	rw_sbuf_puts(b, r->src ? r->src->zone : "?");
	rw_sbuf_puts(b, ", original ttl ");
	rw_sbuf_uint(b, r->orig_ttl);
	rw_sbuf_puts(b, ", expires ");
	rw_sbuf_puts(b, exp);
	rw_sbuf_puts(b, " (in ");
	rw_sbuf_puts(b, in);
	rw_sbuf_puts(b, ")\n");
	free(line);
}

/* Whether every record of an answer event was listed, exactly so, by the cache-hit events of
 * the same question just before it: then the text form does not list them a second time. */
static bool answer_listed_above(const struct rw_trace *t, const struct rw_trace_event *e)
{
	size_t at = (size_t)(e - t->ev);

	if (e->n_recs == 0)
		return false;
	for (size_t k = 0; k < e->n_recs; k++) {
		const struct rw_trace_rec *want = &e->recs[k];
		bool found = false;
		for (size_t j = at; j-- > 0 && !found;) {
			const struct rw_trace_event *h = &t->ev[j];
			if (h->depth != e->depth)
				continue;
			if (h->type == RW_EV_ANSWER || h->type == RW_EV_QUERY ||
			    h->type == RW_EV_SUBRESOLVE)
				break; /* the search stops at the start of this question */
			if (h->type != RW_EV_CACHE_HIT)
				continue;
			for (size_t m = 0; m < h->n_recs && !found; m++) {
				const struct rw_trace_rec *r = &h->recs[m];
				found = ldns_rr_compare(r->rr, want->rr) == 0 &&
					ldns_rr_ttl(r->rr) == ldns_rr_ttl(want->rr) &&
					r->expires_us == want->expires_us && r->src == want->src;
			}
		}
		if (!found)
			return false;
	}
	return true;
}

static const char *indent_for(int depth)
{
	static const char spaces[] = "                ";
	int n = depth * 2;
	if (n > (int)sizeof(spaces) - 1)
		n = (int)sizeof(spaces) - 1;
	return spaces + (sizeof(spaces) - 1 - (size_t)n);
}

static void text_send(struct rw_sbuf *b, const struct rw_trace_event *e, const char *ind)
{
	char tb[24], addr[64];

	rw_present_addr((const struct sockaddr *)&e->addr, addr, sizeof(addr));
	rw_sbuf_printf(b,
		       ";; %sstep %s  zone %s  ask %s (%s%s) %s  \"%s %s\"%s%s%s  timeout "
		       "%u ms%s\n",
		       ind, e->step, e->zone, e->server, addr,
		       e->parent_glue ? ", parent-side glue" : "", e->tcp ? "tcp" : "udp", e->qname,
		       rw_present_type(e->qtype, tb, sizeof(tb)),
		       e->qmin ? "  (qname minimised)" : "", e->no_edns ? "  (no EDNS)" : "",
		       e->caps ? "  (0x20)" : "", e->after_ms,
		       e->shared ? "  (shares the reply of the same query in flight)" : "");
}

static void text_reply(struct rw_sbuf *b, const struct rw_trace_event *e, const char *ind)
{
	char exp[40];

	rw_sbuf_printf(b, ";; %s        <- %s%s%s in %.1f ms, %u B: ", ind,
		       rw_present_rcode(e->rcode), e->aa ? " AA" : "", e->tc ? " TC" : "",
		       e->rtt_us / 1000.0, e->bytes);
	if (e->kind == RW_REPLY_REFERRAL) {
		rw_present_iso_time(e->expires_us, exp, sizeof(exp));
		rw_sbuf_printf(b, "referral to %s NS", e->zone);
		for (size_t i = 0; i < e->n_ns; i++)
			rw_sbuf_printf(b, "%s %s", i ? "," : "", e->ns[i]);
		rw_sbuf_printf(b, "  ttl %u, %s, cached until %s\n", e->ttl,
			       e->glue ? "glue used" : "no usable glue", exp);
	} else if (e->kind == RW_REPLY_CNAME) {
		rw_sbuf_printf(b, "CNAME to %s\n", e->text);
	} else if (e->text) {
		rw_sbuf_printf(b, "%s: %s\n", rw_reply_kind_name(e->kind), e->text);
	} else {
		rw_sbuf_printf(b, "%s\n", rw_reply_kind_name(e->kind));
	}
}

static void text_negative(struct rw_sbuf *b, const struct rw_trace_event *e, const char *ind)
{
	char tb[24], exp[40];

	rw_present_iso_time(e->expires_us, exp, sizeof(exp));
	if (e->text)
		rw_sbuf_printf(b,
			       ";; %snegative %s for %s %s: SOA %s sets ttl %u, cached until %s\n",
			       ind, rw_reply_kind_name(e->kind), e->qname,
			       rw_present_type(e->qtype, tb, sizeof(tb)), e->text, e->ttl, exp);
	else
		rw_sbuf_printf(b,
			       ";; %snegative %s for %s %s: no SOA in the reply, so cached "
			       "only %u s, until %s\n",
			       ind, rw_reply_kind_name(e->kind), e->qname,
			       rw_present_type(e->qtype, tb, sizeof(tb)), e->ttl, exp);
}

static void text_query(struct rw_sbuf *b, const struct rw_trace *t, const struct rw_trace_event *e,
		       const char *ind)
{
	char tb[24], addr[64], when[40];

	rw_present_iso_time(e->wall_us, when, sizeof(when));
	rw_present_addr((const struct sockaddr *)&e->addr, addr, sizeof(addr));
	if (e->addrlen)
		rw_sbuf_printf(b, ";; trace %s  %s  client %s#%u  %s %s  (%s)\n", t->id, when, addr,
			       rw_present_port(&e->addr), e->qname,
			       rw_present_type(e->qtype, tb, sizeof(tb)), e->tcp ? "tcp" : "udp");
	else
		rw_sbuf_printf(b, ";; trace %s  %s  %s %s  (%s)\n", t->id, when, e->qname,
			       rw_present_type(e->qtype, tb, sizeof(tb)), e->text ? e->text : "");
}

static void text_cut(struct rw_sbuf *b, const struct rw_trace *t, const struct rw_trace_event *e,
		     const char *ind)
{
	char exp[40];

	rw_present_iso_time(e->expires_us, exp, sizeof(exp));
	if (e->server)
		rw_sbuf_printf(b, ";; %sclosest known cut: %s  (root hints from %s)\n", ind,
			       e->zone, e->server);
	else
		rw_sbuf_printf(b, ";; %sclosest known cut: %s  (%s%s%s)\n", ind, e->zone, e->text,
			       e->expires_us ? ", expires " : "", e->expires_us ? exp : "");
}

static void text_answer(struct rw_sbuf *b, const struct rw_trace *t, const struct rw_trace_event *e,
			const char *ind)
{
	if (answer_listed_above(t, e)) {
		rw_sbuf_printf(b, ";; %sanswer %s%s%s  (the records listed above)\n", ind,
			       rw_present_rcode(e->rcode), e->qname ? " for " : "",
			       e->qname ? e->qname : "");
		return;
	}
	rw_sbuf_printf(b, ";; %sanswer %s%s%s\n", ind, rw_present_rcode(e->rcode),
		       e->qname ? " for " : "", e->qname ? e->qname : "");
	for (size_t i = 0; i < e->n_recs; i++)
		text_rec(b, &e->recs[i], e->wall_us);
}

static void text_joined(struct rw_sbuf *b, const struct rw_trace *t, const struct rw_trace_event *e,
			const char *ind)
{
	char addr[64], when[40];

	rw_present_addr((const struct sockaddr *)&e->addr, addr, sizeof(addr));
	rw_present_iso_time(e->wall_us, when, sizeof(when));
	rw_sbuf_printf(b,
		       ";; %s  client %s#%u (%s) asked the same question: it gets this answer "
		       "too\n",
		       when, addr, rw_present_port(&e->addr), e->tcp ? "tcp" : "udp");
}

/* After the last rejected reply listed: how many more came. */
static bool rejected_summary_after(const struct rw_trace *t, const struct rw_trace_event *e)
{
	return t->rejected_more && t->rejected && (size_t)(e - t->ev) == t->last_rejected;
}

static void text_done(struct rw_sbuf *b, const struct rw_trace *t, const struct rw_trace_event *e)
{
	char tb[24];

	rw_sbuf_printf(b,
		       ";; done in %s ms: %s, %u upstream quer%s, %u cache hit%s, %u "
		       "sub-resolution%s",
		       rw_present_ms(tb, sizeof(tb), e->elapsed_us), rw_present_rcode(e->rcode),
		       e->upstream, e->upstream == 1 ? "y" : "ies", e->cache_hits,
		       e->cache_hits == 1 ? "" : "s", e->subres, e->subres == 1 ? "" : "s");
	if (e->val_upstream)
		rw_sbuf_printf(b, "; %u of the queries checked DNSSEC (DS, DNSKEY)",
			       e->val_upstream);
	if (t->events_dropped)
		rw_sbuf_printf(b, "; %" PRIu64 " more events not recorded (a trace keeps %d)",
			       t->events_dropped, RW_TRACE_MAX_EVENTS);
	rw_sbuf_puts(b, "\n");
}

static void format_text_event(struct rw_sbuf *b, const struct rw_trace *t,
			      const struct rw_trace_event *e)
{
	char tb[24], addr[64], exp[40];
	const char *ind = indent_for(e->depth);

	switch (e->type) {
	case RW_EV_QUERY:
		text_query(b, t, e, ind);
		break;
	case RW_EV_CACHE_HIT:
		rw_sbuf_printf(b, ";; %scache hit: %s %s served from cache without asking anyone\n",
			       ind, e->qname, rw_present_type(e->qtype, tb, sizeof(tb)));
		for (size_t i = 0; i < e->n_recs; i++)
			text_rec(b, &e->recs[i], e->wall_us);
		break;
	case RW_EV_CUT:
		text_cut(b, t, e, ind);
		break;
	case RW_EV_SEND:
		text_send(b, e, ind);
		break;
	case RW_EV_REPLY:
		text_reply(b, e, ind);
		if (rejected_summary_after(t, e))
			rw_sbuf_printf(b,
				       ";; %s        <- and %" PRIu64
				       " more rejected replies, not listed (a trace lists the "
				       "first %d)\n",
				       ind, t->rejected_more, RW_TRACE_MAX_REJECTED);
		break;
	case RW_EV_TIMEOUT:
		rw_present_addr((const struct sockaddr *)&e->addr, addr, sizeof(addr));
		rw_sbuf_printf(
			b, ";; %s        <- no reply from %s (%s) after %u ms: %s; next server\n",
			ind, e->server, addr, e->after_ms, e->text ? e->text : "timeout");
		break;
	case RW_EV_SUBRESOLVE:
		rw_sbuf_printf(
			b, ";; %sstep %s  sub-resolve %s %s  (address of a name server for %s)\n",
			ind, e->step, e->qname, rw_present_type(e->qtype, tb, sizeof(tb)), e->zone);
		break;
	case RW_EV_CNAME:
		rw_sbuf_printf(b, ";; %scname %s -> %s: following the chain\n", ind, e->qname,
			       e->text);
		break;
	case RW_EV_NEGATIVE:
		text_negative(b, e, ind);
		break;
	case RW_EV_ANSWER:
		text_answer(b, t, e, ind);
		break;
	case RW_EV_FAIL:
		rw_sbuf_printf(b, ";; %sfailed: %s\n", ind, e->text ? e->text : "?");
		break;
	case RW_EV_JOINED:
		text_joined(b, t, e, ind);
		break;
	case RW_EV_NOREC:
		rw_present_iso_time(e->expires_us, exp, sizeof(exp));
		rw_sbuf_printf(
			b,
			";; %sno recursion desired (RD=0) and no cached answer: referral to %s"
			"  (cached, expires %s)\n",
			ind, e->zone, exp);
		for (size_t i = 0; i < e->n_recs; i++)
			text_rec(b, &e->recs[i], e->wall_us);
		break;
	case RW_EV_LOCAL:
		rw_sbuf_printf(b,
			       ";; %sanswered locally: %s is a special-use zone (%s), never asked "
			       "upstream: %s\n",
			       ind, e->zone, e->text, rw_present_rcode(e->rcode));
		break;
	case RW_EV_REASK:
		rw_sbuf_printf(
			b, ";; %sre-ask the parent: %s; asking the servers of %s for %s again\n",
			ind, e->text ? e->text : "?", e->qname, e->zone);
		break;
	case RW_EV_DNSSEC:
		rw_trace_val_text(b, e, ind);
		break;
	case RW_EV_NO_0X20:
		rw_sbuf_printf(b, ";; %sno 0x20: %s\n", ind, e->text ? e->text : "?");
		break;
	case RW_EV_ACCESS:
		rw_sbuf_printf(b, ";; %sgate: %s: %s\n", ind, e->text ? e->text : "?",
			       e->rcode < 0 ? "no answer" : rw_present_rcode(e->rcode));
		break;
	case RW_EV_STALE:
	case RW_EV_PREFETCH:
		rw_sbuf_printf(b, ";; %s%s\n", ind, e->text ? e->text : "?");
		break;
	case RW_EV_DONE:
		text_done(b, t, e);
		break;
	}
}

const char *rw_reply_kind_name(enum rw_reply_kind kind)
{
	static const char *const names[] = {
		[RW_REPLY_NONE] = "?",
		[RW_REPLY_REFERRAL] = "referral",
		[RW_REPLY_ANSWER] = "answer",
		[RW_REPLY_CNAME] = "cname",
		[RW_REPLY_DNAME] = "dname",
		[RW_REPLY_NXDOMAIN] = "nxdomain",
		[RW_REPLY_NODATA] = "nodata",
		[RW_REPLY_TRUNCATED] = "truncated",
		[RW_REPLY_LAME] = "lame",
		[RW_REPLY_FAILED] = "failed",
		[RW_REPLY_REJECTED] = "rejected",
		[RW_REPLY_ERROR] = "error",
		[RW_REPLY_NO_CUT] = "no-cut",
		[RW_REPLY_QMIN_FALLBACK] = "qmin-fallback",
	};
	return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

static const char *ev_name(enum rw_ev type)
{
	switch (type) {
	case RW_EV_QUERY:
		return "query";
	case RW_EV_CACHE_HIT:
		return "cache_hit";
	case RW_EV_CUT:
		return "cut";
	case RW_EV_SEND:
		return "send";
	case RW_EV_REPLY:
		return "reply";
	case RW_EV_TIMEOUT:
		return "timeout";
	case RW_EV_SUBRESOLVE:
		return "subresolve";
	case RW_EV_CNAME:
		return "cname";
	case RW_EV_ANSWER:
		return "answer";
	case RW_EV_NEGATIVE:
		return "negative";
	case RW_EV_FAIL:
		return "fail";
	case RW_EV_DONE:
		return "done";
	case RW_EV_JOINED:
		return "joined";
	case RW_EV_NOREC:
		return "norec";
	case RW_EV_LOCAL:
		return "local";
	case RW_EV_DNSSEC:
		return "dnssec";
	case RW_EV_REASK:
		return "reask";
	case RW_EV_NO_0X20:
		return "no_0x20";
	case RW_EV_ACCESS:
		return "access";
	case RW_EV_STALE:
		return "stale";
	case RW_EV_PREFETCH:
		return "prefetch";
	}
	return "?";
}

static void json_expiry(struct rw_sbuf *b, int64_t expires_us)
{
	char exp[40];

	rw_present_iso_time(expires_us, exp, sizeof(exp));
	rw_sbuf_puts(b, ",\"expires\":");
	rw_sbuf_uint(b, (uint64_t)rw_present_epoch(expires_us));
	sb_json_key_str(b, "expires_iso", exp);
}

static void json_recs(struct rw_sbuf *b, const struct rw_trace_event *e)
{
	char tb[24], addr[64];

	rw_sbuf_puts(b, ",\"records\":[");
	for (size_t i = 0; i < e->n_recs; i++) {
		const struct rw_trace_rec *r = &e->recs[i];
		char *line = rw_present_rr(r->rr);
		char *owner = rw_present_name(ldns_rr_owner(r->rr));
		rw_sbuf_puts(b, i ? ",{\"rr\":" : "{\"rr\":");
		rw_present_json_str(b, line);
		sb_json_key_str(b, "name", owner);
		sb_json_key_str(b, "type",
				rw_present_type(ldns_rr_get_type(r->rr), tb, sizeof(tb)));
		rw_sbuf_puts(b, ",\"ttl\":");
		rw_sbuf_uint(b, r->ttl_left);
		rw_sbuf_puts(b, ",\"orig_ttl\":");
		rw_sbuf_uint(b, r->orig_ttl);
		rw_sbuf_puts(b, ",\"stored\":");
		rw_sbuf_uint(b, (uint64_t)(r->stored_us / 1000000));
		json_expiry(b, r->expires_us);
		if (r->src) {
			rw_present_addr((const struct sockaddr *)&r->src->addr, addr, sizeof(addr));
			sb_json_key_str(b, "server", r->src->server);
			sb_json_key_str(b, "addr", addr);
			sb_json_key_str(b, "zone", r->src->zone);
		}
		rw_sbuf_printf(b, ",\"cached\":%s}", r->from_cache ? "true" : "false");
		free(line);
		free(owner);
	}
	rw_sbuf_puts(b, "]");
}

static void json_send(struct rw_sbuf *b, const struct rw_trace_event *e)
{
	char tb[24], addr[64];

	rw_present_addr((const struct sockaddr *)&e->addr, addr, sizeof(addr));
	sb_json_key_str(b, "zone", e->zone);
	sb_json_key_str(b, "server", e->server);
	sb_json_key_str(b, "addr", addr);
	sb_json_key_str(b, "proto", e->tcp ? "tcp" : "udp");
	sb_json_key_str(b, "qname", e->qname);
	sb_json_key_str(b, "qtype", rw_present_type(e->qtype, tb, sizeof(tb)));
	rw_sbuf_printf(b,
		       ",\"minimised\":%s,\"edns\":%s,\"caps\":%s,\"parent_glue\":%s,"
		       "\"shared\":%s,\"timeout_ms\":%u",
		       e->qmin ? "true" : "false", e->no_edns ? "false" : "true",
		       e->caps ? "true" : "false", e->parent_glue ? "true" : "false",
		       e->shared ? "true" : "false", e->after_ms);
}

static void json_reply(struct rw_sbuf *b, const struct rw_trace_event *e)
{
	sb_json_key_str(b, "rcode", rw_present_rcode(e->rcode));
	rw_sbuf_printf(b, ",\"aa\":%s,\"tc\":%s,\"rtt_us\":%u,\"bytes\":%u",
		       e->aa ? "true" : "false", e->tc ? "true" : "false", e->rtt_us, e->bytes);
	sb_json_key_str(b, "kind", rw_reply_kind_name(e->kind));
	if (e->kind == RW_REPLY_REFERRAL) {
		sb_json_key_str(b, "to_zone", e->zone);
		rw_sbuf_puts(b, ",\"ns\":[");
		for (size_t i = 0; i < e->n_ns; i++) {
			if (i)
				rw_sbuf_puts(b, ",");
			rw_present_json_str(b, e->ns[i]);
		}
		rw_sbuf_printf(b, "],\"ttl\":%u,\"glue\":%s", e->ttl, e->glue ? "true" : "false");
		json_expiry(b, e->expires_us);
	} else if (e->kind == RW_REPLY_CNAME) {
		sb_json_key_str(b, "target", e->text);
	} else if (e->text) {
		sb_json_key_str(b, "reason", e->text);
	}
}

static void json_negative(struct rw_sbuf *b, const struct rw_trace_event *e)
{
	char tb[24];

	sb_json_key_str(b, "kind", rw_reply_kind_name(e->kind));
	sb_json_key_str(b, "qname", e->qname);
	sb_json_key_str(b, "qtype", rw_present_type(e->qtype, tb, sizeof(tb)));
	if (e->text)
		sb_json_key_str(b, "soa", e->text);
	else
		rw_sbuf_puts(b, ",\"soa\":null");
	rw_sbuf_printf(b, ",\"ttl\":%u", e->ttl);
	json_expiry(b, e->expires_us);
}

static void json_query(struct rw_sbuf *b, const struct rw_trace_event *e)
{
	char tb[24], addr[64], when[40];

	rw_present_iso_time(e->wall_us, when, sizeof(when));
	rw_present_addr((const struct sockaddr *)&e->addr, addr, sizeof(addr));
	sb_json_key_str(b, "time", when);
	if (e->addrlen)
		rw_sbuf_printf(b, ",\"client\":\"%s#%u\"", addr, rw_present_port(&e->addr));
	else
		sb_json_key_str(b, "reason", e->text);
	sb_json_key_str(b, "qname", e->qname);
	sb_json_key_str(b, "qtype", rw_present_type(e->qtype, tb, sizeof(tb)));
	sb_json_key_str(b, "proto", !e->addrlen ? "internal" : e->tcp ? "tcp" : "udp");
}

static void json_joined(struct rw_sbuf *b, const struct rw_trace_event *e)
{
	char addr[64], when[40];

	rw_present_addr((const struct sockaddr *)&e->addr, addr, sizeof(addr));
	rw_present_iso_time(e->wall_us, when, sizeof(when));
	sb_json_key_str(b, "time", when);
	rw_sbuf_printf(b, ",\"client\":\"%s#%u\"", addr, rw_present_port(&e->addr));
	sb_json_key_str(b, "proto", e->tcp ? "tcp" : "udp");
}

static void json_done(struct rw_sbuf *b, const struct rw_trace *t, const struct rw_trace_event *e)
{
	rw_sbuf_printf(b,
		       ",\"elapsed_us\":%" PRId64
		       ",\"upstream\":%u,\"cache_hits\":%u,\"subresolutions\":%u",
		       e->elapsed_us, e->upstream, e->cache_hits, e->subres);
	if (e->val_upstream)
		rw_sbuf_printf(b, ",\"upstream_dnssec\":%u", e->val_upstream);
	if (t->events_dropped)
		rw_sbuf_printf(b, ",\"events_not_recorded\":%" PRIu64, t->events_dropped);
	sb_json_key_str(b, "rcode", rw_present_rcode(e->rcode));
}

static void json_timeout(struct rw_sbuf *b, const struct rw_trace_event *e)
{
	char addr[64];

	rw_present_addr((const struct sockaddr *)&e->addr, addr, sizeof(addr));
	sb_json_key_str(b, "server", e->server);
	sb_json_key_str(b, "addr", addr);
	rw_sbuf_printf(b, ",\"after_ms\":%u", e->after_ms);
	sb_json_key_str(b, "reason", e->text ? e->text : "timeout");
}

static void format_json_event(struct rw_sbuf *b, const struct rw_trace *t,
			      const struct rw_trace_event *e)
{
	char tb[24];

	rw_sbuf_printf(b, "{\"trace\":\"%s\",\"ev\":\"%s\"", t->id, ev_name(e->type));
	if (e->step[0])
		sb_json_key_str(b, "step", e->step);
	if (e->type != RW_EV_QUERY && e->type != RW_EV_DONE)
		rw_sbuf_printf(b, ",\"depth\":%d", e->depth);
	switch (e->type) {
	case RW_EV_QUERY:
		json_query(b, e);
		break;
	case RW_EV_CACHE_HIT:
		sb_json_key_str(b, "qname", e->qname);
		sb_json_key_str(b, "qtype", rw_present_type(e->qtype, tb, sizeof(tb)));
		json_recs(b, e);
		break;
	case RW_EV_CUT:
		sb_json_key_str(b, "zone", e->zone);
		sb_json_key_str(b, "source", e->text);
		if (e->server)
			sb_json_key_str(b, "hints_file", e->server);
		if (e->expires_us)
			json_expiry(b, e->expires_us);
		break;
	case RW_EV_SEND:
		json_send(b, e);
		break;
	case RW_EV_REPLY:
		json_reply(b, e);
		if (rejected_summary_after(t, e))
			rw_sbuf_printf(b, ",\"rejected_not_listed\":%" PRIu64, t->rejected_more);
		break;
	case RW_EV_TIMEOUT:
		json_timeout(b, e);
		break;
	case RW_EV_SUBRESOLVE:
		sb_json_key_str(b, "qname", e->qname);
		sb_json_key_str(b, "qtype", rw_present_type(e->qtype, tb, sizeof(tb)));
		sb_json_key_str(b, "for_zone", e->zone);
		break;
	case RW_EV_CNAME:
		sb_json_key_str(b, "from", e->qname);
		sb_json_key_str(b, "to", e->text);
		break;
	case RW_EV_NEGATIVE:
		json_negative(b, e);
		break;
	case RW_EV_ANSWER:
		sb_json_key_str(b, "rcode", rw_present_rcode(e->rcode));
		if (e->qname)
			sb_json_key_str(b, "qname", e->qname);
		json_recs(b, e);
		break;
	case RW_EV_FAIL:
		sb_json_key_str(b, "reason", e->text);
		break;
	case RW_EV_JOINED:
		json_joined(b, e);
		break;
	case RW_EV_NOREC:
		sb_json_key_str(b, "zone", e->zone);
		json_expiry(b, e->expires_us);
		json_recs(b, e);
		break;
	case RW_EV_LOCAL:
		sb_json_key_str(b, "zone", e->zone);
		sb_json_key_str(b, "rfc", e->text);
		sb_json_key_str(b, "rcode", rw_present_rcode(e->rcode));
		break;
	case RW_EV_REASK:
		sb_json_key_str(b, "zone", e->zone);
		sb_json_key_str(b, "parent", e->qname);
		sb_json_key_str(b, "reason", e->text);
		break;
	case RW_EV_DNSSEC:
		rw_trace_val_json(b, e);
		break;
	case RW_EV_NO_0X20:
		sb_json_key_str(b, "reason", e->text);
		rw_sbuf_printf(b, ",\"ttl\":%u", e->ttl);
		break;
	case RW_EV_ACCESS:
		sb_json_key_str(b, "reason", e->text);
		sb_json_key_str(b, "rcode", e->rcode < 0 ? "none" : rw_present_rcode(e->rcode));
		break;
	case RW_EV_STALE:
	case RW_EV_PREFETCH:
		sb_json_key_str(b, "text", e->text);
		break;
	case RW_EV_DONE:
		json_done(b, t, e);
		break;
	}
	rw_sbuf_puts(b, "}\n");
}

char *rw_trace_format(const struct rw_trace *t, size_t *len)
{
	struct rw_sbuf b = {0};

	for (size_t i = 0; i < t->n; i++) {
		if (t->format == RW_TRACE_JSON)
			format_json_event(&b, t, &t->ev[i]);
		else
			format_text_event(&b, t, &t->ev[i]);
	}
	if (t->format == RW_TRACE_TEXT)
		rw_sbuf_puts(&b, "\n");
	if (b.oom || !b.p) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

void rw_trace_flush(struct rw_trace *t, const struct rw_env *env)
{
	size_t len = 0;
	char *text = rw_trace_format(t, &len);

	if (text && env->trace_write)
		env->trace_write(env->ctx, text, len);
	free(text);
	rw_trace_free(t);
}
