/* Per-query trace: events are typed records; text and JSON exist only here, at the sink. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rootwalk/trace.h"
#include "rootwalk/wire.h"
#include "sbuf.h"

static void sb_json_key_str(struct rw_sbuf *b, const char *key, const char *val)
{
	rw_sbuf_printf(b, ",\"%s\":", key);
	rw_sbuf_json_str(b, val);
}

/* ---- helpers shared with the resolver ---- */

char *rw_dname_str(const ldns_rdf *name)
{
	char buf[1024];
	if (name && ldns_rdf_get_type(name) == LDNS_RDF_TYPE_DNAME &&
	    rw_wire_name_text(ldns_rdf_data(name), ldns_rdf_size(name), buf, sizeof(buf)) >= 0)
		return strdup(buf);
	char *s = name ? ldns_rdf2str(name) : NULL;
	return s ? s : strdup("?");
}

int rw_ip4_str(const uint8_t a[4], char *buf, size_t len)
{
	/* inet_ntop() prints through sprintf: this runs for every A record a trace shows */
	char tmp[16];
	size_t o = 0;
	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];
		if (v >= 100)
			tmp[o++] = (char)('0' + v / 100);
		if (v >= 10)
			tmp[o++] = (char)('0' + v / 10 % 10);
		tmp[o++] = (char)('0' + v % 10);
		tmp[o++] = i < 3 ? '.' : '\0';
	}
	if (o > len)
		return -1;
	memcpy(buf, tmp, o);
	return (int)o - 1;
}

void rw_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	if (!sa || len == 0) {
		if (len)
			buf[0] = '\0';
		return;
	}
	if (sa->sa_family == AF_INET) {
		if (rw_ip4_str((const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)
				       ->sin_addr,
			       buf, len) < 0)
			snprintf(buf, len, "?");
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  buf, (socklen_t)len);
	} else {
		snprintf(buf, len, "?");
	}
}

static uint16_t addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
	return 0;
}

/* Days since 1970-01-01 to a civil date (the proleptic Gregorian calendar). */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static char *put_digits(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

void rw_iso_time(int64_t wall_us, char *buf, size_t len)
{
	/* by arithmetic rather than gmtime and strftime, and the last few seconds remembered per
	 * thread: a trace of a cache hit shows now, when a record was stored and when it expires */
	static _Thread_local struct {
		int64_t secs;
		char text[20];
	} seen[4] = {{INT64_MIN, ""}, {INT64_MIN, ""}, {INT64_MIN, ""}, {INT64_MIN, ""}};
	static _Thread_local unsigned next;

	if (wall_us > ((int64_t)1 << 62) || wall_us < -((int64_t)1 << 62) || len < 25) {
		snprintf(buf, len, "?");
		return;
	}
	int64_t secs = wall_us >= 0 ? wall_us / 1000000 : (wall_us - 999999) / 1000000;
	unsigned ms = (unsigned)((wall_us - secs * 1000000) / 1000);
	const char *text = NULL;
	for (unsigned i = 0; i < 4 && !text; i++)
		if (seen[i].secs == secs)
			text = seen[i].text;
	if (!text) {
		int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
		unsigned sod = (unsigned)(secs - days * 86400);
		int y;
		unsigned mo, d;
		civil_from_days(days, &y, &mo, &d);
		if (y < 0 || y > 9999) {
			snprintf(buf, len, "?");
			return;
		}
		char *t = seen[next].text, *p = put_digits(t, (unsigned)y, 4);
		*p++ = '-';
		p = put_digits(p, mo, 2);
		*p++ = '-';
		p = put_digits(p, d, 2);
		*p++ = 'T';
		p = put_digits(p, sod / 3600, 2);
		*p++ = ':';
		p = put_digits(p, sod / 60 % 60, 2);
		*p++ = ':';
		p = put_digits(p, sod % 60, 2);
		*p = '\0';
		seen[next].secs = secs;
		text = t;
		next = (next + 1) % 4;
	}
	memcpy(buf, text, 19);
	char *p = buf + 19;
	*p++ = '.';
	p = put_digits(p, ms, 3);
	*p++ = 'Z';
	*p = '\0';
}

static int64_t epoch_secs(int64_t wall_us)
{
	/* rounded up: from this second on the entry is no longer served (expires_iso has the
	 * milliseconds) */
	return wall_us >= 0 ? (wall_us + 999999) / 1000000 : wall_us / 1000000;
}

const char *rw_rcode_str(int rcode)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
					    "NXRRSET", "NOTAUTH", "NOTZONE"};
	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	if (rcode == 16)
		return "BADVERS";
	return "RCODE?";
}

const char *rw_type_str(uint16_t type, char *buf, size_t len)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);

	if (d && d->_name && type != 0)
		return d->_name; /* static in ldns: no copy needed */
	snprintf(buf, len, "TYPE%u", (unsigned)type);
	return buf;
}

/* ---- trace objects ---- */

struct rw_trace *rw_trace_new(uint64_t id, enum rw_trace_format format)
{
	struct rw_trace *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	snprintf(t->id, sizeof(t->id), "%016" PRIx64, id);
	t->format = format;
	return t;
}

static void event_clear(struct rw_trace_event *e)
{
	free(e->qname);
	free(e->zone);
	free(e->server);
	free(e->text);
	for (size_t i = 0; i < e->n_ns; i++)
		free(e->ns[i]);
	free(e->ns);
	for (size_t i = 0; i < e->n_recs; i++) {
		ldns_rr_free(e->recs[i].rr);
		rw_source_unref(e->recs[i].src);
	}
	free(e->recs);
}

void rw_trace_free(struct rw_trace *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		event_clear(&t->ev[i]);
	free(t->ev);
	free(t);
}

struct rw_trace_event *rw_trace_add(struct rw_trace *t, enum rw_ev type, const char *step,
				    int64_t wall_us)
{
	if (!t)
		return NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct rw_trace_event *ev = realloc(t->ev, cap * sizeof(*ev));
		if (!ev)
			return NULL;
		t->ev = ev;
		t->cap = cap;
	}
	struct rw_trace_event *e = &t->ev[t->n++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->wall_us = wall_us;
	snprintf(e->step, sizeof(e->step), "%s", step ? step : "");
	return e;
}

int rw_trace_add_rec(struct rw_trace_event *e, const ldns_rr *rr, uint32_t ttl_left,
		     uint32_t orig_ttl, int64_t stored_us, int64_t expires_us,
		     struct rw_source *src, bool from_cache)
{
	if (!e)
		return 0;
	struct rw_trace_rec *recs = realloc(e->recs, (e->n_recs + 1) * sizeof(*recs));
	if (!recs)
		return -1;
	e->recs = recs;
	struct rw_trace_rec *r = &recs[e->n_recs];
	r->rr = ldns_rr_clone(rr);
	if (!r->rr)
		return -1;
	ldns_rr_set_ttl(r->rr, ttl_left);
	r->ttl_left = ttl_left;
	r->orig_ttl = orig_ttl;
	r->stored_us = stored_us;
	r->expires_us = expires_us;
	r->src = rw_source_ref(src);
	r->from_cache = from_cache;
	e->n_recs++;
	return 0;
}

int rw_trace_add_ns(struct rw_trace_event *e, const ldns_rdf *name)
{
	if (!e || !name)
		return 0;
	char **ns = realloc(e->ns, (e->n_ns + 1) * sizeof(*ns));
	if (!ns)
		return -1;
	e->ns = ns;
	ns[e->n_ns] = rw_dname_str(name);
	if (!ns[e->n_ns])
		return -1;
	e->n_ns++;
	return 0;
}

/* ---- formatting ---- */

/* Presentation form of a record on one line, tabs turned into single spaces. */
/* The fast presentation of the common record types; false when a field needs ldns. */
static bool rr_text_fast(const ldns_rr *rr, char *buf, size_t cap)
{
	char tb[24];
	size_t o;
	int n;

	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || ldns_rr_rd_count(rr) == 0)
		return false; /* ldns writes empty rdata as "\# 0" */
	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_A:
	case LDNS_RR_TYPE_AAAA:
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_DNAME:
	case LDNS_RR_TYPE_MX:
	case LDNS_RR_TYPE_SOA:
	case LDNS_RR_TYPE_SRV:
		break;
	default:
		return false; /* ldns adds comments to some types (DNSKEY key ids): let it */
	}
	n = rw_wire_name_text(ldns_rdf_data(ldns_rr_owner(rr)), ldns_rdf_size(ldns_rr_owner(rr)),
			      buf, cap);
	if (n < 0)
		return false;
	o = (size_t)n;
	const char *tname = rw_type_str(ldns_rr_get_type(rr), tb, sizeof(tb));
	size_t tlen = strlen(tname);
	if (o + 16 + 4 + tlen >= cap)
		return false;
	buf[o++] = ' ';
	char digits[12];
	int nd = 0;
	uint32_t ttl = ldns_rr_ttl(rr);
	do {
		digits[nd++] = (char)('0' + ttl % 10);
		ttl /= 10;
	} while (ttl);
	while (nd)
		buf[o++] = digits[--nd];
	memcpy(buf + o, " IN ", 4);
	o += 4;
	memcpy(buf + o, tname, tlen + 1);
	o += tlen;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *d = ldns_rr_rdf(rr, i);
		const uint8_t *p = ldns_rdf_data(d);
		size_t len = ldns_rdf_size(d);
		if (o + 2 >= cap)
			return false;
		buf[o++] = ' ';
		buf[o] = '\0';
		switch (ldns_rdf_get_type(d)) {
		case LDNS_RDF_TYPE_DNAME:
			n = rw_wire_name_text(p, len, buf + o, cap - o);
			break;
		case LDNS_RDF_TYPE_A:
			n = len == 4 ? rw_ip4_str(p, buf + o, cap - o) : -1;
			break;
		case LDNS_RDF_TYPE_AAAA:
			n = len == 16 && inet_ntop(AF_INET6, p, buf + o, (socklen_t)(cap - o))
				    ? (int)strlen(buf + o)
				    : -1;
			break;
		case LDNS_RDF_TYPE_INT8:
			n = len == 1 ? snprintf(buf + o, cap - o, "%u", p[0]) : -1;
			break;
		case LDNS_RDF_TYPE_INT16:
			n = len == 2
				    ? snprintf(buf + o, cap - o, "%u", (unsigned)(p[0] << 8 | p[1]))
				    : -1;
			break;
		case LDNS_RDF_TYPE_INT32:
		case LDNS_RDF_TYPE_PERIOD:
			n = len == 4 ? snprintf(buf + o, cap - o, "%u",
						(unsigned)((uint32_t)p[0] << 24 |
							   (uint32_t)p[1] << 16 |
							   (uint32_t)p[2] << 8 | p[3]))
				     : -1;
			break;
		default:
			return false;
		}
		if (n < 0 || (size_t)n >= cap - o)
			return false;
		o += (size_t)n;
	}
	return true;
}

/* Presentation form of a record on one line, tabs turned into single spaces. */
char *rw_rr_str(const ldns_rr *rr)
{
	char buf[2048];
	if (rr_text_fast(rr, buf, sizeof(buf)))
		return strdup(buf);
	char *s = ldns_rr2str(rr);
	if (!s)
		return strdup("?");
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (char *c = s; *c; c++)
		if (*c == '\t')
			*c = ' ';
	return s;
}

static void text_rec(struct rw_sbuf *b, const struct rw_trace_rec *r, int64_t now_us)
{
	char *line = rw_rr_str(r->rr);
	char exp[40], stored[40], in[32], addr[64] = "?";

	rw_iso_time(r->expires_us, exp, sizeof(exp));
	rw_iso_time(r->stored_us, stored, sizeof(stored));
	rw_fmt_duration(in, sizeof(in), (r->expires_us - now_us + 999999) / 1000000);
	if (r->src && r->src->addrlen)
		rw_addr_str((const struct sockaddr *)&r->src->addr, addr, sizeof(addr));
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

static void format_text_event(struct rw_sbuf *b, const struct rw_trace *t,
			      const struct rw_trace_event *e)
{
	char tb[24], when[40], addr[64], exp[40];
	const char *ind = indent_for(e->depth);

	switch (e->type) {
	case RW_EV_QUERY:
		rw_iso_time(e->wall_us, when, sizeof(when));
		rw_addr_str((const struct sockaddr *)&e->addr, addr, sizeof(addr));
		if (e->addrlen)
			rw_sbuf_printf(b, ";; trace %s  %s  client %s#%u  %s %s  (%s)\n", t->id,
				       when, addr, addr_port(&e->addr), e->qname,
				       rw_type_str(e->qtype, tb, sizeof(tb)),
				       e->tcp ? "tcp" : "udp");
		else
			rw_sbuf_printf(b, ";; trace %s  %s  %s %s  (%s)\n", t->id, when, e->qname,
				       rw_type_str(e->qtype, tb, sizeof(tb)),
				       e->text ? e->text : "");
		break;
	case RW_EV_CACHE_HIT:
		rw_sbuf_printf(b, ";; %scache hit: %s %s served from cache without asking anyone\n",
			       ind, e->qname, rw_type_str(e->qtype, tb, sizeof(tb)));
		for (size_t i = 0; i < e->n_recs; i++)
			text_rec(b, &e->recs[i], e->wall_us);
		break;
	case RW_EV_CUT:
		rw_iso_time(e->expires_us, exp, sizeof(exp));
		if (e->server)
			rw_sbuf_printf(b, ";; %sclosest known cut: %s  (root hints from %s)\n", ind,
				       e->zone, e->server);
		else
			rw_sbuf_printf(b, ";; %sclosest known cut: %s  (%s%s%s)\n", ind, e->zone,
				       e->text, e->expires_us ? ", expires " : "",
				       e->expires_us ? exp : "");
		break;
	case RW_EV_SEND:
		rw_addr_str((const struct sockaddr *)&e->addr, addr, sizeof(addr));
		rw_sbuf_printf(b,
			       ";; %sstep %s  zone %s  ask %s (%s%s) %s  \"%s %s\"%s%s%s  timeout "
			       "%u ms%s\n",
			       ind, e->step, e->zone, e->server, addr,
			       e->parent_glue ? ", parent-side glue" : "", e->tcp ? "tcp" : "udp",
			       e->qname, rw_type_str(e->qtype, tb, sizeof(tb)),
			       e->qmin ? "  (qname minimised)" : "",
			       e->no_edns ? "  (no EDNS)" : "", e->caps ? "  (0x20)" : "",
			       e->after_ms,
			       e->shared ? "  (shares the reply of the same query in flight)" : "");
		break;
	case RW_EV_REPLY:
		rw_sbuf_printf(b, ";; %s        <- %s%s%s in %.1f ms, %u B: ", ind,
			       rw_rcode_str(e->rcode), e->aa ? " AA" : "", e->tc ? " TC" : "",
			       e->rtt_us / 1000.0, e->bytes);
		if (e->kind == RW_REPLY_REFERRAL) {
			rw_iso_time(e->expires_us, exp, sizeof(exp));
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
		break;
	case RW_EV_TIMEOUT:
		rw_addr_str((const struct sockaddr *)&e->addr, addr, sizeof(addr));
		rw_sbuf_printf(
			b, ";; %s        <- no reply from %s (%s) after %u ms: %s; next server\n",
			ind, e->server, addr, e->after_ms, e->text ? e->text : "timeout");
		break;
	case RW_EV_SUBRESOLVE:
		rw_sbuf_printf(
			b, ";; %sstep %s  sub-resolve %s %s  (address of a name server for %s)\n",
			ind, e->step, e->qname, rw_type_str(e->qtype, tb, sizeof(tb)), e->zone);
		break;
	case RW_EV_CNAME:
		rw_sbuf_printf(b, ";; %scname %s -> %s: following the chain\n", ind, e->qname,
			       e->text);
		break;
	case RW_EV_NEGATIVE:
		rw_iso_time(e->expires_us, exp, sizeof(exp));
		if (e->text)
			rw_sbuf_printf(
				b,
				";; %snegative %s for %s %s: SOA %s sets ttl %u, cached until %s\n",
				ind, rw_reply_kind_name(e->kind), e->qname,
				rw_type_str(e->qtype, tb, sizeof(tb)), e->text, e->ttl, exp);
		else
			rw_sbuf_printf(b,
				       ";; %snegative %s for %s %s: no SOA in the reply, so cached "
				       "only %u s, until %s\n",
				       ind, rw_reply_kind_name(e->kind), e->qname,
				       rw_type_str(e->qtype, tb, sizeof(tb)), e->ttl, exp);
		break;
	case RW_EV_ANSWER:
		if (answer_listed_above(t, e)) {
			rw_sbuf_printf(b, ";; %sanswer %s%s%s  (the records listed above)\n", ind,
				       rw_rcode_str(e->rcode), e->qname ? " for " : "",
				       e->qname ? e->qname : "");
			break;
		}
		rw_sbuf_printf(b, ";; %sanswer %s%s%s\n", ind, rw_rcode_str(e->rcode),
			       e->qname ? " for " : "", e->qname ? e->qname : "");
		for (size_t i = 0; i < e->n_recs; i++)
			text_rec(b, &e->recs[i], e->wall_us);
		break;
	case RW_EV_FAIL:
		rw_sbuf_printf(b, ";; %sfailed: %s\n", ind, e->text ? e->text : "?");
		break;
	case RW_EV_JOINED:
		rw_addr_str((const struct sockaddr *)&e->addr, addr, sizeof(addr));
		rw_iso_time(e->wall_us, when, sizeof(when));
		rw_sbuf_printf(
			b,
			";; %s  client %s#%u (%s) asked the same question: it gets this answer "
			"too\n",
			when, addr, addr_port(&e->addr), e->tcp ? "tcp" : "udp");
		break;
	case RW_EV_NOREC:
		rw_iso_time(e->expires_us, exp, sizeof(exp));
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
			       ind, e->zone, e->text, rw_rcode_str(e->rcode));
		break;
	case RW_EV_REASK:
		rw_sbuf_printf(
			b, ";; %sre-ask the parent: %s; asking the servers of %s for %s again\n",
			ind, e->text ? e->text : "?", e->qname, e->zone);
		break;
	case RW_EV_DONE:
		rw_sbuf_printf(b,
			       ";; done in %s ms: %s, %u upstream quer%s, %u cache hit%s, %u "
			       "sub-resolution%s\n",
			       rw_fmt_ms(tb, sizeof(tb), e->elapsed_us), rw_rcode_str(e->rcode),
			       e->upstream, e->upstream == 1 ? "y" : "ies", e->cache_hits,
			       e->cache_hits == 1 ? "" : "s", e->subres, e->subres == 1 ? "" : "s");
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
	case RW_EV_REASK:
		return "reask";
	}
	return "?";
}

static void json_expiry(struct rw_sbuf *b, int64_t expires_us)
{
	char exp[40];

	rw_iso_time(expires_us, exp, sizeof(exp));
	rw_sbuf_puts(b, ",\"expires\":");
	rw_sbuf_uint(b, (uint64_t)epoch_secs(expires_us));
	sb_json_key_str(b, "expires_iso", exp);
}

static void json_recs(struct rw_sbuf *b, const struct rw_trace_event *e)
{
	char tb[24], addr[64];

	rw_sbuf_puts(b, ",\"records\":[");
	for (size_t i = 0; i < e->n_recs; i++) {
		const struct rw_trace_rec *r = &e->recs[i];
		char *line = rw_rr_str(r->rr);
		char *owner = rw_dname_str(ldns_rr_owner(r->rr));
		rw_sbuf_puts(b, i ? ",{\"rr\":" : "{\"rr\":");
		rw_sbuf_json_str(b, line);
		sb_json_key_str(b, "name", owner);
		sb_json_key_str(b, "type", rw_type_str(ldns_rr_get_type(r->rr), tb, sizeof(tb)));
		rw_sbuf_puts(b, ",\"ttl\":");
		rw_sbuf_uint(b, r->ttl_left);
		rw_sbuf_puts(b, ",\"orig_ttl\":");
		rw_sbuf_uint(b, r->orig_ttl);
		rw_sbuf_puts(b, ",\"stored\":");
		rw_sbuf_uint(b, (uint64_t)(r->stored_us / 1000000));
		json_expiry(b, r->expires_us);
		if (r->src) {
			rw_addr_str((const struct sockaddr *)&r->src->addr, addr, sizeof(addr));
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

static void format_json_event(struct rw_sbuf *b, const struct rw_trace *t,
			      const struct rw_trace_event *e)
{
	char tb[24], addr[64], when[40];

	rw_sbuf_printf(b, "{\"trace\":\"%s\",\"ev\":\"%s\"", t->id, ev_name(e->type));
	if (e->step[0])
		sb_json_key_str(b, "step", e->step);
	if (e->type != RW_EV_QUERY && e->type != RW_EV_DONE)
		rw_sbuf_printf(b, ",\"depth\":%d", e->depth);
	switch (e->type) {
	case RW_EV_QUERY:
		rw_iso_time(e->wall_us, when, sizeof(when));
		rw_addr_str((const struct sockaddr *)&e->addr, addr, sizeof(addr));
		sb_json_key_str(b, "time", when);
		if (e->addrlen)
			rw_sbuf_printf(b, ",\"client\":\"%s#%u\"", addr, addr_port(&e->addr));
		else
			sb_json_key_str(b, "reason", e->text);
		sb_json_key_str(b, "qname", e->qname);
		sb_json_key_str(b, "qtype", rw_type_str(e->qtype, tb, sizeof(tb)));
		sb_json_key_str(b, "proto", !e->addrlen ? "internal" : e->tcp ? "tcp" : "udp");
		break;
	case RW_EV_CACHE_HIT:
		sb_json_key_str(b, "qname", e->qname);
		sb_json_key_str(b, "qtype", rw_type_str(e->qtype, tb, sizeof(tb)));
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
		rw_addr_str((const struct sockaddr *)&e->addr, addr, sizeof(addr));
		sb_json_key_str(b, "zone", e->zone);
		sb_json_key_str(b, "server", e->server);
		sb_json_key_str(b, "addr", addr);
		sb_json_key_str(b, "proto", e->tcp ? "tcp" : "udp");
		sb_json_key_str(b, "qname", e->qname);
		sb_json_key_str(b, "qtype", rw_type_str(e->qtype, tb, sizeof(tb)));
		rw_sbuf_printf(b,
			       ",\"minimised\":%s,\"edns\":%s,\"caps\":%s,\"parent_glue\":%s,"
			       "\"shared\":%s,\"timeout_ms\":%u",
			       e->qmin ? "true" : "false", e->no_edns ? "false" : "true",
			       e->caps ? "true" : "false", e->parent_glue ? "true" : "false",
			       e->shared ? "true" : "false", e->after_ms);
		break;
	case RW_EV_REPLY:
		sb_json_key_str(b, "rcode", rw_rcode_str(e->rcode));
		rw_sbuf_printf(b, ",\"aa\":%s,\"tc\":%s,\"rtt_us\":%u,\"bytes\":%u",
			       e->aa ? "true" : "false", e->tc ? "true" : "false", e->rtt_us,
			       e->bytes);
		sb_json_key_str(b, "kind", rw_reply_kind_name(e->kind));
		if (e->kind == RW_REPLY_REFERRAL) {
			sb_json_key_str(b, "to_zone", e->zone);
			rw_sbuf_puts(b, ",\"ns\":[");
			for (size_t i = 0; i < e->n_ns; i++) {
				if (i)
					rw_sbuf_puts(b, ",");
				rw_sbuf_json_str(b, e->ns[i]);
			}
			rw_sbuf_printf(b, "],\"ttl\":%u,\"glue\":%s", e->ttl,
				       e->glue ? "true" : "false");
			json_expiry(b, e->expires_us);
		} else if (e->kind == RW_REPLY_CNAME) {
			sb_json_key_str(b, "target", e->text);
		} else if (e->text) {
			sb_json_key_str(b, "reason", e->text);
		}
		break;
	case RW_EV_TIMEOUT:
		rw_addr_str((const struct sockaddr *)&e->addr, addr, sizeof(addr));
		sb_json_key_str(b, "server", e->server);
		sb_json_key_str(b, "addr", addr);
		rw_sbuf_printf(b, ",\"after_ms\":%u", e->after_ms);
		sb_json_key_str(b, "reason", e->text ? e->text : "timeout");
		break;
	case RW_EV_SUBRESOLVE:
		sb_json_key_str(b, "qname", e->qname);
		sb_json_key_str(b, "qtype", rw_type_str(e->qtype, tb, sizeof(tb)));
		sb_json_key_str(b, "for_zone", e->zone);
		break;
	case RW_EV_CNAME:
		sb_json_key_str(b, "from", e->qname);
		sb_json_key_str(b, "to", e->text);
		break;
	case RW_EV_NEGATIVE:
		sb_json_key_str(b, "kind", rw_reply_kind_name(e->kind));
		sb_json_key_str(b, "qname", e->qname);
		sb_json_key_str(b, "qtype", rw_type_str(e->qtype, tb, sizeof(tb)));
		if (e->text)
			sb_json_key_str(b, "soa", e->text);
		else
			rw_sbuf_puts(b, ",\"soa\":null");
		rw_sbuf_printf(b, ",\"ttl\":%u", e->ttl);
		json_expiry(b, e->expires_us);
		break;
	case RW_EV_ANSWER:
		sb_json_key_str(b, "rcode", rw_rcode_str(e->rcode));
		if (e->qname)
			sb_json_key_str(b, "qname", e->qname);
		json_recs(b, e);
		break;
	case RW_EV_FAIL:
		sb_json_key_str(b, "reason", e->text);
		break;
	case RW_EV_JOINED:
		rw_addr_str((const struct sockaddr *)&e->addr, addr, sizeof(addr));
		rw_iso_time(e->wall_us, when, sizeof(when));
		sb_json_key_str(b, "time", when);
		rw_sbuf_printf(b, ",\"client\":\"%s#%u\"", addr, addr_port(&e->addr));
		sb_json_key_str(b, "proto", e->tcp ? "tcp" : "udp");
		break;
	case RW_EV_NOREC:
		sb_json_key_str(b, "zone", e->zone);
		json_expiry(b, e->expires_us);
		json_recs(b, e);
		break;
	case RW_EV_LOCAL:
		sb_json_key_str(b, "zone", e->zone);
		sb_json_key_str(b, "rfc", e->text);
		sb_json_key_str(b, "rcode", rw_rcode_str(e->rcode));
		break;
	case RW_EV_REASK:
		sb_json_key_str(b, "zone", e->zone);
		sb_json_key_str(b, "parent", e->qname);
		sb_json_key_str(b, "reason", e->text);
		break;
	case RW_EV_DONE:
		rw_sbuf_printf(b,
			       ",\"elapsed_us\":%" PRId64
			       ",\"upstream\":%u,\"cache_hits\":%u,\"subresolutions\":%u",
			       e->elapsed_us, e->upstream, e->cache_hits, e->subres);
		sb_json_key_str(b, "rcode", rw_rcode_str(e->rcode));
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
