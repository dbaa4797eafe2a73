/* The control protocol: parse one request line, answer it from the resolver and its cache.
 *
 * Everything here is synchronous except `trace`, which waits for a resolution. The response is
 * built as one buffer (status line, dot-stuffed body, end marker) and handed to the caller's
 * callback; see rootwalk/control.h for the framing and rootwalk(1) for the formats.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "rootwalk/cache.h"
#include "rootwalk/control.h"
#include "rootwalk/resolver.h"
#include "rootwalk/trace.h"

#define MAX_WORDS 8

/* A growable text buffer; allocation failure is remembered and reported once at the end. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sb_add(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_add(b, big, (size_t)n);
	free(big);
}

static void sb_json_str(struct sbuf *b, const char *s)
{
	sb_puts(b, "\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			sb_add(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			sb_printf(b, "\\u%04x", c);
		} else {
			sb_add(b, (const char *)&c, 1);
		}
	}
	sb_puts(b, "\"");
}

/* ---------------------------------------------------------------------------------------------
 * Parsing
 */

static const struct {
	const char *word;
	enum rw_control_cmd cmd;
	bool name; /* takes a NAME */
} commands[] = {
	{"lookup", RW_CTL_LOOKUP, true},  {"trace", RW_CTL_TRACE, true},
	{"flush", RW_CTL_FLUSH, true},	  {"flush-all", RW_CTL_FLUSH_ALL, false},
	{"stats", RW_CTL_STATS, false},	  {"dump-cache", RW_CTL_DUMP_CACHE, false},
	{"status", RW_CTL_STATUS, false}, {"reload", RW_CTL_RELOAD, false},
	{"help", RW_CTL_HELP, false},
};

/* Set one option flag; duplicates are refused so a mistyped request is never half-understood. */
static int set_flag(bool *flag, const char *word, char *err, size_t errlen)
{
	if (*flag) {
		snprintf(err, errlen, "option '%s' given twice", word);
		return -EINVAL;
	}
	*flag = true;
	return 0;
}

static int parse_option(struct rw_control_request *req, const char *w, bool *have_type, char *err,
			size_t errlen)
{
	const char *cmd = commands[req->cmd].word;

	if (strcmp(w, "json") == 0 && req->cmd != RW_CTL_FLUSH)
		return set_flag(&req->json, w, err, errlen);
	if (strcmp(w, "fresh") == 0 && req->cmd == RW_CTL_TRACE)
		return set_flag(&req->fresh, w, err, errlen);
	if (strcmp(w, "subtree") == 0 && req->cmd == RW_CTL_FLUSH)
		return set_flag(&req->subtree, w, err, errlen);
	if (strcmp(w, "negative") == 0 && req->cmd == RW_CTL_FLUSH)
		return set_flag(&req->negative, w, err, errlen);
	if (req->cmd == RW_CTL_TRACE && !*have_type) {
		ldns_rr_type t = ldns_get_rr_type_by_name(w);

		if (t == 0) {
			snprintf(err, errlen, "trace: unknown type or option '%.40s'", w);
			return -EINVAL;
		}
		/* OPT and the query meta-types (RFC 6895 3.1: 128-255, AXFR, ANY...) are not
		 * questions a resolver walks for. */
		if (t == LDNS_RR_TYPE_OPT || (t >= 128 && t <= 255)) {
			snprintf(err, errlen, "trace: type '%.40s' cannot be traced", w);
			return -EINVAL;
		}
		req->qtype = (uint16_t)t;
		*have_type = true;
		return 0;
	}
	snprintf(err, errlen, "%s: unexpected word '%.40s'", cmd, w);
	return -EINVAL;
}

int rw_control_parse(const char *line, size_t len, struct rw_control_request *req, char *err,
		     size_t errlen)
{
	char buf[RW_CONTROL_MAX_REQUEST];
	char *words[MAX_WORDS];
	size_t n = 0, i, w;
	bool have_type = false;

	memset(req, 0, sizeof(*req));
	req->qtype = LDNS_RR_TYPE_A;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len >= RW_CONTROL_MAX_REQUEST) {
		snprintf(err, errlen, "request longer than %d bytes", RW_CONTROL_MAX_REQUEST);
		return -EMSGSIZE;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c > 0x7e) {
			snprintf(err, errlen,
				 "byte 0x%02x at offset %zu: requests are printable ASCII", c, i);
			return -EINVAL;
		}
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	for (char *p = buf; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (n == MAX_WORDS) {
			snprintf(err, errlen, "too many words (at most %d)", MAX_WORDS);
			return -EINVAL;
		}
		words[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	if (n == 0) {
		snprintf(err, errlen, "empty request (try 'help')");
		return -EINVAL;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(words[0], commands[i].word) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		snprintf(err, errlen, "unknown request '%.40s' (try 'help')", words[0]);
		return -EINVAL;
	}
	req->cmd = commands[i].cmd;
	w = 1;
	if (commands[i].name) {
		ldns_rdf *name = NULL;

		if (n < 2) {
			snprintf(err, errlen, "%s needs a NAME", commands[i].word);
			return -EINVAL;
		}
		if (ldns_str2rdf_dname(&name, words[1]) != LDNS_STATUS_OK || !name ||
		    ldns_rdf_size(name) > sizeof(req->name)) {
			ldns_rdf_deep_free(name);
			snprintf(err, errlen, "%s: '%.80s' is not a domain name", commands[i].word,
				 words[1]);
			return -EINVAL;
		}
		req->name_len = ldns_rdf_size(name);
		memcpy(req->name, ldns_rdf_data(name), req->name_len);
		ldns_rdf_deep_free(name);
		w = 2;
	}
	for (; w < n; w++) {
		int rc = parse_option(req, words[w], &have_type, err, errlen);

		if (rc < 0)
			return rc;
	}
	if (req->json && (req->cmd == RW_CTL_FLUSH_ALL || req->cmd == RW_CTL_STATUS ||
			  req->cmd == RW_CTL_RELOAD || req->cmd == RW_CTL_HELP)) {
		snprintf(err, errlen, "%s: unexpected word 'json'", commands[i].word);
		return -EINVAL;
	}
	return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Responses
 */

struct pending {
	struct rw_control *ctl;
	struct pending *next, **pprev;
	uint64_t handle;  /* ours */
	uint64_t rhandle; /* the resolver's trace handle */
	rw_control_done_cb cb;
	void *arg;
	bool json;
	bool starting; /* inside rw_resolver_trace(): completion is delivered after it returns */
	bool finished; /* the trace arrived while starting */
	char *resp;    /* its framed response (NULL: out of memory) */
	size_t resplen;
};

struct rw_control {
	struct rw_resolver *r;
	struct rw_control_ops ops;
	struct pending *pending;
	size_t n_pending;
	uint64_t next_handle;
};

/* Frame a response: status line, body with dot-stuffing, end marker. Returns a malloc'd buffer or
 * NULL on allocation failure. */
static char *frame(const char *status, const char *body, size_t bodylen, size_t *outlen)
{
	struct sbuf out = {0};
	size_t i = 0;

	/* The status line is one line whatever the reason contains. */
	for (const char *s = status; *s; s++) {
		char c = (*s == '\n' || *s == '\r' || *s == '\t') ? ' ' : *s;
		if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e)
			c = '?';
		sb_add(&out, &c, 1);
	}
	sb_add(&out, "\n", 1);
	while (i < bodylen) {
		const char *nl = memchr(body + i, '\n', bodylen - i);
		size_t n = nl ? (size_t)(nl - (body + i)) : bodylen - i;

		if (body[i] == '.')
			sb_add(&out, ".", 1);
		sb_add(&out, body + i, n);
		sb_add(&out, "\n", 1);
		i += n + (nl ? 1 : 0);
	}
	sb_add(&out, ".\n", 2);
	if (out.oom) {
		free(out.p);
		return NULL;
	}
	*outlen = out.len;
	return out.p;
}

static void respond(rw_control_done_cb cb, void *arg, const char *status, const char *body,
		    size_t bodylen)
{
	size_t len = 0;
	char *resp = frame(status, body, bodylen, &len);

	if (!resp) {
		static const char oom[] = "error: out of memory\n.\n";
		cb(arg, oom, sizeof(oom) - 1);
		return;
	}
	cb(arg, resp, len);
	free(resp);
}

static void respond_error(rw_control_done_cb cb, void *arg, const char *reason)
{
	char status[600];

	snprintf(status, sizeof(status), "error: %s", reason);
	respond(cb, arg, status, NULL, 0);
}

static void respond_body(rw_control_done_cb cb, void *arg, struct sbuf *b)
{
	if (b->oom)
		respond_error(cb, arg, "out of memory");
	else
		respond(cb, arg, "ok", b->p ? b->p : "", b->len);
	free(b->p);
}

/* ---------------------------------------------------------------------------------------------
 * Cache entries: one formatting for lookup, dump-cache and their JSON forms
 */

static char *rr_text(const ldns_rr *rr, uint32_t ttl)
{
	ldns_rr *c = ldns_rr_clone(rr);
	char *s;

	if (!c)
		return NULL;
	ldns_rr_set_ttl(c, ttl < ldns_rr_ttl(rr) ? ttl : ldns_rr_ttl(rr));
	s = ldns_rr2str(c);
	ldns_rr_free(c);
	if (!s)
		return NULL;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (char *p = s; *p; p++)
		if (*p == '\t')
			*p = ' ';
	return s;
}

/* The rdata fields of rr, space separated (malloc'd). */
static char *rdata_text(const ldns_rr *rr)
{
	struct sbuf b = {0};

	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		char *f = ldns_rdf2str(ldns_rr_rdf(rr, i));

		if (i)
			sb_puts(&b, " ");
		sb_puts(&b, f ? f : "?");
		free(f);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p ? b.p : strdup("");
}

static void local_time(int64_t wall_us, bool iso, char *buf, size_t len)
{
	time_t secs = (time_t)(wall_us / 1000000);
	struct tm tm;

	if (!localtime_r(&secs, &tm) ||
	    strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%S%z" : "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, len, "?");
}

static void fmt_duration(char *buf, size_t len, int64_t secs)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 86400)
		snprintf(buf, len, "%" PRId64 "d%02" PRId64 "h%02" PRId64 "m", secs / 86400,
			 (secs % 86400) / 3600, (secs % 3600) / 60);
	else if (secs >= 3600)
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m%02" PRId64 "s", secs / 3600,
			 (secs % 3600) / 60, secs % 60);
	else if (secs >= 60)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", secs / 60, secs % 60);
	else
		snprintf(buf, len, "%" PRId64 "s", secs);
}

static const char *type_name(uint16_t type, char *buf, size_t len)
{
	if (type == 0)
		return "-"; /* NXDOMAIN entries are for the name, not a type */
	return rw_type_str(type, buf, len);
}

static void src_fields(const struct rw_cache_entry *e, const char **server, const char **zone,
		       char *addr, size_t addrlen)
{
	*server = e->src && e->src->server && e->src->server[0] ? e->src->server : "?";
	*zone = e->src && e->src->zone && e->src->zone[0] ? e->src->zone : "?";
	snprintf(addr, addrlen, "?");
	if (e->src && e->src->addrlen)
		rw_addr_str((const struct sockaddr *)&e->src->addr, addr, addrlen);
}

/* lookup: a block of lines per entry. */
static void entry_text(struct sbuf *b, const struct rw_cache_entry *e, int64_t now_us)
{
	uint32_t left = rw_cache_ttl_left(e, now_us);
	char *owner = rw_dname_str(e->owner);
	char tbuf[32], exp[48], loc[64], stored[48], in[32], addr[64];
	const char *server, *zone;
	size_t n = e->rrs ? ldns_rr_list_rr_count(e->rrs) : 0;

	src_fields(e, &server, &zone, addr, sizeof(addr));
	rw_iso_time(e->expires_us, exp, sizeof(exp));
	rw_iso_time(e->stored_us, stored, sizeof(stored));
	local_time(e->expires_us, false, loc, sizeof(loc));
	fmt_duration(in, sizeof(in), (e->expires_us - now_us + 999999) / 1000000);
	if (e->kind == RW_ENTRY_NXDOMAIN)
		sb_printf(b, "%s: nxdomain (the name does not exist)\n", owner ? owner : "?");
	else if (e->kind == RW_ENTRY_NODATA)
		sb_printf(b, "%s %s: nodata (the name exists, without records of this type)\n",
			  owner ? owner : "?", type_name(e->type, tbuf, sizeof(tbuf)));
	else
		sb_printf(b, "%s %s: rrset of %zu record%s\n", owner ? owner : "?",
			  type_name(e->type, tbuf, sizeof(tbuf)), n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		char *s = rr_text(ldns_rr_list_rr(e->rrs, i), left);
		sb_printf(b, "\t%s\n", s ? s : "?");
		free(s);
	}
	for (size_t i = 0; e->sigs && i < ldns_rr_list_rr_count(e->sigs); i++) {
		char *s = rr_text(ldns_rr_list_rr(e->sigs, i), left);
		sb_printf(b, "\t%s\n", s ? s : "?");
		free(s);
	}
	if (e->soa) {
		char *s = rr_text(e->soa, ldns_rr_ttl(e->soa));
		sb_printf(b, "\tsoa:      %s\n", s ? s : "?");
		free(s);
	}
	sb_printf(b, "\tttl:      %u s left of %u (stored %s)\n", left, e->orig_ttl, stored);
	sb_printf(b, "\texpires:  %s, local %s (in %s)\n", exp, loc, in);
	sb_printf(b, "\tfrom:     %s (%s), zone %s\n", server, addr, zone);
	sb_printf(b, "\ttrust:    %s, validation %s\n", rw_rank_name(e->rank),
		  rw_vstate_name(e->vstate));
	free(owner);
}

static void words_no_spaces(struct sbuf *b, const char *s)
{
	for (; *s; s++)
		sb_add(b, *s == ' ' ? "-" : s, 1);
}

/* dump-cache: one line per entry, "key=value" fields then the data. */
static void entry_line(struct sbuf *b, const struct rw_cache_entry *e, int64_t now_us)
{
	char *owner = rw_dname_str(e->owner);
	char tbuf[32], exp[48], loc[64], stored[48], addr[64];
	const char *server, *zone;
	size_t n = e->rrs ? ldns_rr_list_rr_count(e->rrs) : 0;

	src_fields(e, &server, &zone, addr, sizeof(addr));
	rw_iso_time(e->expires_us, exp, sizeof(exp));
	rw_iso_time(e->stored_us, stored, sizeof(stored));
	local_time(e->expires_us, true, loc, sizeof(loc));
	sb_printf(b,
		  "%s %s %s ttl=%u orig_ttl=%u stored=%s expires=%s local=%s server=%s addr=%s "
		  "zone=%s rank=",
		  owner ? owner : "?", type_name(e->type, tbuf, sizeof(tbuf)),
		  rw_entry_kind_name(e->kind), rw_cache_ttl_left(e, now_us), e->orig_ttl, stored,
		  exp, loc, server, addr, zone);
	words_no_spaces(b, rw_rank_name(e->rank));
	sb_printf(b, " vstate=%s", rw_vstate_name(e->vstate));
	if (e->sigs && ldns_rr_list_rr_count(e->sigs))
		sb_printf(b, " rrsigs=%zu", ldns_rr_list_rr_count(e->sigs));
	if (e->soa) {
		char *s = rr_text(e->soa, ldns_rr_ttl(e->soa));
		sb_printf(b, " soa: %s", s ? s : "?");
		free(s);
	}
	for (size_t i = 0; i < n; i++) {
		char *s = rdata_text(ldns_rr_list_rr(e->rrs, i));
		sb_printf(b, "%s%s", i ? " | " : " data: ", s ? s : "?");
		free(s);
	}
	sb_puts(b, "\n");
	free(owner);
}

static void json_rr_list(struct sbuf *b, const ldns_rr_list *l, uint32_t left)
{
	sb_puts(b, "[");
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
		char *s = rr_text(ldns_rr_list_rr(l, i), left);
		if (i)
			sb_puts(b, ",");
		sb_json_str(b, s ? s : "?");
		free(s);
	}
	sb_puts(b, "]");
}

static void entry_json(struct sbuf *b, const struct rw_cache_entry *e, int64_t now_us)
{
	uint32_t left = rw_cache_ttl_left(e, now_us);
	char *owner = rw_dname_str(e->owner);
	char tbuf[32], exp[48], loc[64], stored[48], addr[64];
	const char *server, *zone;

	src_fields(e, &server, &zone, addr, sizeof(addr));
	rw_iso_time(e->expires_us, exp, sizeof(exp));
	rw_iso_time(e->stored_us, stored, sizeof(stored));
	local_time(e->expires_us, true, loc, sizeof(loc));
	sb_puts(b, "{\"owner\":");
	sb_json_str(b, owner ? owner : "?");
	sb_puts(b, ",\"type\":");
	sb_json_str(b, type_name(e->type, tbuf, sizeof(tbuf)));
	sb_printf(b,
		  ",\"kind\":\"%s\",\"ttl\":%u,\"orig_ttl\":%u,\"stored\":%" PRId64
		  ",\"stored_iso\":\"%s\",\"expires\":%" PRId64
		  ",\"expires_iso\":\"%s\",\"expires_local\":\"%s\",\"server\":",
		  rw_entry_kind_name(e->kind), left, e->orig_ttl, e->stored_us / 1000000, stored,
		  (e->expires_us + 999999) / 1000000, exp, loc);
	sb_json_str(b, server);
	sb_puts(b, ",\"addr\":");
	sb_json_str(b, addr);
	sb_puts(b, ",\"zone\":");
	sb_json_str(b, zone);
	sb_puts(b, ",\"rank\":");
	sb_json_str(b, rw_rank_name(e->rank));
	sb_printf(b, ",\"vstate\":\"%s\",\"records\":", rw_vstate_name(e->vstate));
	json_rr_list(b, e->rrs, left);
	sb_puts(b, ",\"rrsigs\":");
	json_rr_list(b, e->sigs, left);
	sb_puts(b, ",\"soa\":");
	if (e->soa) {
		char *s = rr_text(e->soa, ldns_rr_ttl(e->soa));
		sb_json_str(b, s ? s : "?");
		free(s);
	} else {
		sb_puts(b, "null");
	}
	sb_puts(b, "}");
	free(owner);
}

/* Collected entries, sorted before output (the cache walks in hash order). */
struct item {
	ldns_rdf *owner; /* dump-cache only */
	uint16_t type;
	int kind;
	struct sbuf text;
};

struct collect {
	struct item *v;
	size_t n, cap;
	bool oom, json, lines, with_owner;
	int64_t now_us;
};

static void collect_cb(void *arg, const struct rw_cache_entry *e)
{
	struct collect *c = arg;
	struct item *it;

	if (c->oom)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct item *v = realloc(c->v, cap * sizeof(*v));
		if (!v) {
			c->oom = true;
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	it = &c->v[c->n++];
	memset(it, 0, sizeof(*it));
	it->type = e->type;
	it->kind = (int)e->kind;
	if (c->with_owner)
		it->owner = ldns_rdf_clone(e->owner);
	if (c->json)
		entry_json(&it->text, e, c->now_us);
	else if (c->lines)
		entry_line(&it->text, e, c->now_us);
	else
		entry_text(&it->text, e, c->now_us);
	if (it->text.oom || (c->with_owner && !it->owner))
		c->oom = true;
}

static int item_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	int d = 0;

	if (a->owner && b->owner)
		d = ldns_dname_compare(a->owner, b->owner);
	if (d == 0)
		d = (int)a->type - (int)b->type;
	if (d == 0)
		d = a->kind - b->kind;
	return d;
}

static void collect_free(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++) {
		ldns_rdf_deep_free(c->v[i].owner);
		free(c->v[i].text.p);
	}
	free(c->v);
}

/* ---------------------------------------------------------------------------------------------
 * Requests
 */

static void ns_addresses(struct sbuf *b, struct rw_cache *cache, const struct rw_cache_entry *ns,
			 int64_t now, bool json)
{
	static const uint16_t types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
	bool first = true;

	if (json)
		sb_puts(b, "[");
	for (size_t i = 0; ns->rrs && i < ldns_rr_list_rr_count(ns->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns->rrs, i);
		const ldns_rdf *target = ldns_rr_rd_count(rr) ? ldns_rr_rdf(rr, 0) : NULL;
		char *tname = target ? rw_dname_str(target) : NULL;
		bool any = false;

		for (size_t t = 0; target && t < 2; t++) {
			struct rw_cache_entry a;

			if (!rw_cache_get(cache, RW_ENTRY_RRSET, target, types[t], LDNS_RR_CLASS_IN,
					  now, RW_RANK_NONE, &a))
				continue;
			any = true;
			if (json) {
				sb_add(b, first ? "" : ",", first ? 0 : 1);
				entry_json(b, &a, now);
				first = false;
			} else {
				char exp[48], tb[16];

				rw_iso_time(a.expires_us, exp, sizeof(exp));
				sb_printf(b, "\taddress:  %s %s", tname ? tname : "?",
					  rw_type_str(types[t], tb, sizeof(tb)));
				for (size_t k = 0; a.rrs && k < ldns_rr_list_rr_count(a.rrs); k++) {
					char *s = rdata_text(ldns_rr_list_rr(a.rrs, k));
					sb_printf(b, " %s", s ? s : "?");
					free(s);
				}
				sb_printf(b, " (%u s left, expires %s, rank %s)\n",
					  rw_cache_ttl_left(&a, now), exp, rw_rank_name(a.rank));
			}
			rw_cache_entry_clear(&a);
		}
		if (!any && !json)
			sb_printf(b, "\taddress:  %s not cached\n", tname ? tname : "?");
		free(tname);
	}
	if (json)
		sb_puts(b, "]");
}

static void do_lookup(struct rw_control *ctl, const struct rw_control_request *req,
		      rw_control_done_cb cb, void *arg)
{
	struct rw_cache *cache = rw_resolver_cache(ctl->r);
	int64_t now = ctl->ops.now_wall_us(ctl->ops.ctx);
	ldns_rdf *name = ldns_dname_new_frm_data((uint16_t)req->name_len, req->name);
	struct collect c = {.json = req->json, .now_us = now};
	struct rw_cache_entry ns;
	struct sbuf b = {0};
	char *nstr = NULL, *zstr = NULL, iso[48], loc[64];
	bool have_ns = false;

	if (!name) {
		respond_error(cb, arg, "out of memory");
		return;
	}
	nstr = rw_dname_str(name);
	rw_cache_walk(cache, name, 0, now, collect_cb, &c);
	if (c.n > 1)
		qsort(c.v, c.n, sizeof(*c.v), item_cmp);
	/* The closest delegation: the NS set at NAME or the nearest one above it. */
	for (ldns_rdf *z = ldns_rdf_clone(name); z;) {
		if (rw_cache_get(cache, RW_ENTRY_RRSET, z, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, now,
				 RW_RANK_NONE, &ns)) {
			have_ns = true;
			zstr = rw_dname_str(z);
			ldns_rdf_deep_free(z);
			break;
		}
		ldns_rdf *up = ldns_dname_label_count(z) > 0 ? ldns_dname_left_chop(z) : NULL;
		ldns_rdf_deep_free(z);
		z = up;
	}
	rw_iso_time(now, iso, sizeof(iso));
	if (req->json) {
		sb_puts(&b, "{\"name\":");
		sb_json_str(&b, nstr ? nstr : "?");
		sb_printf(&b, ",\"now\":%" PRId64 ",\"now_iso\":\"%s\",\"entries\":[",
			  now / 1000000, iso);
		for (size_t i = 0; i < c.n; i++) {
			sb_add(&b, i ? "," : "", i ? 1 : 0);
			sb_add(&b, c.v[i].text.p ? c.v[i].text.p : "", c.v[i].text.len);
		}
		sb_puts(&b, "],\"delegation\":");
		if (have_ns) {
			sb_puts(&b, "{\"zone\":");
			sb_json_str(&b, zstr ? zstr : "?");
			sb_puts(&b, ",\"ns\":");
			entry_json(&b, &ns, now);
			sb_puts(&b, ",\"addresses\":");
			ns_addresses(&b, cache, &ns, now, true);
			sb_puts(&b, "}");
		} else {
			sb_puts(&b, "null");
		}
		sb_puts(&b, "}\n");
	} else {
		local_time(now, false, loc, sizeof(loc));
		sb_printf(&b, ";; lookup %s at %s (local %s)\n", nstr ? nstr : "?", iso, loc);
		if (c.n == 0)
			sb_printf(&b, ";; nothing cached at %s\n", nstr ? nstr : "?");
		else
			sb_printf(&b, ";; %zu entr%s cached at %s\n", c.n, c.n == 1 ? "y" : "ies",
				  nstr ? nstr : "?");
		for (size_t i = 0; i < c.n; i++) {
			sb_puts(&b, "\n");
			sb_add(&b, c.v[i].text.p ? c.v[i].text.p : "", c.v[i].text.len);
		}
		sb_puts(&b, "\n");
		if (!have_ns) {
			sb_puts(&b,
				";; no delegation cached at or above it: the root hints would be "
				"used\n");
		} else if (ldns_dname_compare(ns.owner, name) == 0) {
			sb_printf(&b,
				  ";; closest cached delegation: %s itself (the NS set above)\n",
				  zstr ? zstr : "?");
			ns_addresses(&b, cache, &ns, now, false);
		} else {
			sb_printf(&b, ";; closest cached delegation above it: %s\n",
				  zstr ? zstr : "?");
			entry_text(&b, &ns, now);
			ns_addresses(&b, cache, &ns, now, false);
		}
	}
	if (have_ns)
		rw_cache_entry_clear(&ns);
	if (c.oom)
		b.oom = true;
	collect_free(&c);
	free(nstr);
	free(zstr);
	ldns_rdf_deep_free(name);
	respond_body(cb, arg, &b);
}

static void do_dump(struct rw_control *ctl, const struct rw_control_request *req,
		    rw_control_done_cb cb, void *arg)
{
	struct collect c = {.json = req->json, .lines = true, .with_owner = true};
	struct sbuf b = {0};

	c.now_us = ctl->ops.now_wall_us(ctl->ops.ctx);
	rw_cache_walk(rw_resolver_cache(ctl->r), NULL, 0, c.now_us, collect_cb, &c);
	if (c.n > 1)
		qsort(c.v, c.n, sizeof(*c.v), item_cmp);
	for (size_t i = 0; i < c.n && !c.oom; i++) {
		sb_add(&b, c.v[i].text.p ? c.v[i].text.p : "", c.v[i].text.len);
		if (req->json)
			sb_puts(&b, "\n");
	}
	if (!req->json)
		sb_printf(&b, ";; %zu entries\n", c.n);
	if (c.oom)
		b.oom = true;
	collect_free(&c);
	respond_body(cb, arg, &b);
}

static void do_flush(struct rw_control *ctl, const struct rw_control_request *req,
		     rw_control_done_cb cb, void *arg)
{
	struct sbuf b = {0};
	ldns_rdf *name = NULL;
	unsigned flags = 0;
	size_t n;
	char *nstr = NULL;

	if (req->cmd == RW_CTL_FLUSH) {
		name = ldns_dname_new_frm_data((uint16_t)req->name_len, req->name);
		if (!name) {
			respond_error(cb, arg, "out of memory");
			return;
		}
		nstr = rw_dname_str(name);
		flags = (req->subtree ? RW_FLUSH_SUBTREE : 0) |
			(req->negative ? RW_FLUSH_NEGATIVE : 0);
	}
	n = rw_cache_flush(rw_resolver_cache(ctl->r), name, flags);
	if (name)
		sb_printf(&b, "removed %zu entr%s %s %s%s\n", n, n == 1 ? "y" : "ies",
			  req->subtree ? "at and below" : "at", nstr ? nstr : "?",
			  req->negative ? " (negative entries only)" : "");
	else
		sb_printf(&b, "removed %zu entr%s (the whole cache)\n", n, n == 1 ? "y" : "ies");
	free(nstr);
	ldns_rdf_deep_free(name);
	respond_body(cb, arg, &b);
}

static void stat_line(struct sbuf *b, bool json, bool *first, const char *key, uint64_t v)
{
	if (json) {
		sb_printf(b, "%s\"%s\":%" PRIu64, *first ? "{" : ",", key, v);
		*first = false;
	} else {
		sb_printf(b, "%s: %" PRIu64 "\n", key, v);
	}
}

static void do_stats(struct rw_control *ctl, const struct rw_control_request *req,
		     rw_control_done_cb cb, void *arg)
{
	const struct rw_stats *st = rw_resolver_stats(ctl->r);
	struct rw_cache *cache = rw_resolver_cache(ctl->r);
	struct sbuf b = {0};
	bool json = req->json, first = true;
	char key[64];

	stat_line(&b, json, &first, "client.queries.udp", st->client_queries[RW_PROTO_UDP]);
	stat_line(&b, json, &first, "client.queries.tcp", st->client_queries[RW_PROTO_TCP]);
	stat_line(&b, json, &first, "client.malformed", st->client_malformed);
	stat_line(&b, json, &first, "client.joined", st->joined);
	for (int i = 0; i < 16; i++) {
		const char *name = rw_rcode_str(i);

		if (strcmp(name, "RCODE?") == 0)
			snprintf(key, sizeof(key), "client.rcode.RCODE%d", i);
		else
			snprintf(key, sizeof(key), "client.rcode.%s", name);
		stat_line(&b, json, &first, key, st->client_rcode[i]);
	}
	stat_line(&b, json, &first, "client.rcode.BADVERS", st->client_badvers);
	stat_line(&b, json, &first, "client.servfail", st->servfail);
	for (int i = 0; i < RW_SERVFAIL_REASONS; i++) {
		snprintf(key, sizeof(key), "client.servfail.%s", rw_servfail_reason_name[i]);
		stat_line(&b, json, &first, key, st->servfail_reason[i]);
	}
	stat_line(&b, json, &first, "cache.hits", st->cache_hits);
	stat_line(&b, json, &first, "cache.misses", st->cache_misses);
	stat_line(&b, json, &first, "cache.fast_path", st->fast_path);
	stat_line(&b, json, &first, "cache.entries", rw_cache_count(cache));
	stat_line(&b, json, &first, "cache.bytes", rw_cache_bytes(cache));
	stat_line(&b, json, &first, "cache.evictions", rw_cache_evictions(cache));
	stat_line(&b, json, &first, "upstream.queries", st->upstream_queries);
	stat_line(&b, json, &first, "upstream.timeouts", st->upstream_timeouts);
	stat_line(&b, json, &first, "upstream.tcp_retries", st->upstream_tcp_retries);
	stat_line(&b, json, &first, "upstream.replies_rejected", st->replies_rejected);
	for (int i = 0; i < RW_RTT_BUCKETS; i++) {
		if (i == 0)
			snprintf(key, sizeof(key), "upstream.rtt.0-%ums", rw_rtt_bucket_ms[0]);
		else if (i == RW_RTT_BUCKETS - 1)
			snprintf(key, sizeof(key), "upstream.rtt.%ums+",
				 rw_rtt_bucket_ms[RW_RTT_BUCKETS - 2]);
		else
			snprintf(key, sizeof(key), "upstream.rtt.%u-%ums", rw_rtt_bucket_ms[i - 1],
				 rw_rtt_bucket_ms[i]);
		stat_line(&b, json, &first, key, st->rtt_hist[i]);
	}
	stat_line(&b, json, &first, "requests.in_progress", rw_resolver_pending(ctl->r));
	stat_line(&b, json, &first, "control.pending", ctl->n_pending);
	if (json)
		sb_puts(&b, "}\n");
	respond_body(cb, arg, &b);
}

static void do_status(struct rw_control *ctl, rw_control_done_cb cb, void *arg)
{
	struct rw_cache *cache = rw_resolver_cache(ctl->r);
	struct sbuf b = {0};
	char *extra = ctl->ops.status ? ctl->ops.status(ctl->ops.ctx) : NULL;

	if (extra) {
		sb_puts(&b, extra);
		if (b.len && b.p[b.len - 1] != '\n')
			sb_puts(&b, "\n");
		free(extra);
	}
	sb_printf(&b, "requests-in-progress: %zu\n", rw_resolver_pending(ctl->r));
	sb_printf(&b, "cache-entries: %zu\n", rw_cache_count(cache));
	sb_printf(&b, "cache-bytes: %zu\n", rw_cache_bytes(cache));
	respond_body(cb, arg, &b);
}

static void do_reload(struct rw_control *ctl, rw_control_done_cb cb, void *arg)
{
	char msg[1024] = "";

	if (!ctl->ops.reload) {
		respond_error(cb, arg, "reload is not available");
		return;
	}
	if (ctl->ops.reload(ctl->ops.ctx, msg, sizeof(msg)) < 0) {
		respond_error(cb, arg, msg[0] ? msg : "reload failed");
		return;
	}
	respond(cb, arg, "ok", msg, strlen(msg));
}

static const char help_text[] =
	"lookup NAME [json]                everything cached at NAME, with expiry and source\n"
	"trace NAME [TYPE] [fresh] [json]  resolve NAME now and show the trace\n"
	"flush NAME [subtree] [negative]   remove cached entries at (or below) NAME\n"
	"flush-all                         remove every cached entry\n"
	"stats [json]                      counters since start\n"
	"dump-cache [json]                 every cached entry, one per line\n"
	"status                            the daemon's state\n"
	"reload                            re-read the configuration, keeping the cache\n"
	"help                              this list\n";

/* trace: the resolver calls back when the resolution is done. */

static void pending_unlink(struct pending *p)
{
	if (!p->pprev)
		return;
	*p->pprev = p->next;
	if (p->next)
		p->next->pprev = p->pprev;
	p->pprev = NULL;
	p->ctl->n_pending--;
}

static void trace_done(void *arg, int rcode, const char *trace, size_t len)
{
	struct pending *p = arg;

	(void)rcode; /* the trace's last lines carry it */
	if (p->starting) {
		p->finished = true;
		p->resp = frame("ok", trace, len, &p->resplen);
		return;
	}
	pending_unlink(p);
	respond(p->cb, p->arg, "ok", trace, len);
	free(p);
}

static uint64_t do_trace(struct rw_control *ctl, const struct rw_control_request *req,
			 rw_control_done_cb cb, void *arg)
{
	ldns_rdf *name = ldns_dname_new_frm_data((uint16_t)req->name_len, req->name);
	char *nstr = name ? rw_dname_str(name) : NULL;
	struct pending *p = calloc(1, sizeof(*p));
	uint64_t rh;

	ldns_rdf_deep_free(name);
	if (!nstr || !p) {
		free(nstr);
		free(p);
		respond_error(cb, arg, "out of memory");
		return 0;
	}
	p->ctl = ctl;
	p->cb = cb;
	p->arg = arg;
	p->starting = true;
	rh = rw_resolver_trace(ctl->r, nstr, req->qtype, req->fresh,
			       req->json ? RW_TRACE_JSON : RW_TRACE_TEXT, trace_done, p);
	free(nstr);
	p->starting = false;
	if (rh == 0) {
		free(p->resp);
		free(p);
		respond_error(cb, arg, "the resolution could not be started");
		return 0;
	}
	if (p->finished) {
		/* Answered at once (from the cache). */
		if (p->resp)
			cb(arg, p->resp, p->resplen);
		else
			respond_error(cb, arg, "out of memory");
		free(p->resp);
		free(p);
		return 0;
	}
	p->rhandle = rh;
	p->handle = ++ctl->next_handle;
	p->next = ctl->pending;
	if (ctl->pending)
		ctl->pending->pprev = &p->next;
	ctl->pending = p;
	p->pprev = &ctl->pending;
	ctl->n_pending++;
	return p->handle;
}

uint64_t rw_control_request(struct rw_control *ctl, const char *line, size_t len,
			    rw_control_done_cb cb, void *arg)
{
	struct rw_control_request req;
	char err[256];

	if (rw_control_parse(line, len, &req, err, sizeof(err)) < 0) {
		respond_error(cb, arg, err);
		return 0;
	}
	switch (req.cmd) {
	case RW_CTL_LOOKUP:
		do_lookup(ctl, &req, cb, arg);
		break;
	case RW_CTL_TRACE:
		return do_trace(ctl, &req, cb, arg);
	case RW_CTL_FLUSH:
	case RW_CTL_FLUSH_ALL:
		do_flush(ctl, &req, cb, arg);
		break;
	case RW_CTL_STATS:
		do_stats(ctl, &req, cb, arg);
		break;
	case RW_CTL_DUMP_CACHE:
		do_dump(ctl, &req, cb, arg);
		break;
	case RW_CTL_STATUS:
		do_status(ctl, cb, arg);
		break;
	case RW_CTL_RELOAD:
		do_reload(ctl, cb, arg);
		break;
	case RW_CTL_HELP:
		respond(cb, arg, "ok", help_text, sizeof(help_text) - 1);
		break;
	}
	return 0;
}

void rw_control_cancel(struct rw_control *ctl, uint64_t handle)
{
	for (struct pending *p = ctl->pending; p; p = p->next) {
		if (p->handle != handle)
			continue;
		rw_resolver_trace_cancel(ctl->r, p->rhandle);
		pending_unlink(p);
		free(p);
		return;
	}
}

size_t rw_control_pending(const struct rw_control *ctl)
{
	return ctl->n_pending;
}

struct rw_control *rw_control_new(struct rw_resolver *r, const struct rw_control_ops *ops)
{
	struct rw_control *ctl;

	if (!r || !ops || !ops->now_wall_us)
		return NULL;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return NULL;
	ctl->r = r;
	ctl->ops = *ops;
	tzset(); /* local times in lookups follow the daemon's TZ */
	return ctl;
}

void rw_control_free(struct rw_control *ctl)
{
	if (!ctl)
		return;
	while (ctl->pending)
		rw_control_cancel(ctl, ctl->pending->handle);
	free(ctl);
}
