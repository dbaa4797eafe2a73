/* The cache file: one text line per cache entry, written for dump-cache and read back by
 * load-cache. See rootwalk/cachefile.h for the format.
 *
 * Writing checks each record's rdata: its presentation is used only when ldns reads it back to
 * the same wire data and when it splits as one item (ldns cannot read some of its own output,
 * such as a CAA value or an HINFO string holding a space or a ";"); otherwise the record is
 * written in RFC 3597's generic form, which reads back for every type. Reading stores through the
 * cache's own store functions, so the TTL caps and cache-size apply as to any answer.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "rootwalk/cachefile.h"
#include "rootwalk/config.h"
#include "rootwalk/present.h"
#include "sbuf.h"

enum section { SEC_SOA = 0, SEC_DATA, SEC_SIGS, SEC_PROOF, SEC_N };
static const char *const section_word[SEC_N] = {"soa:", "data:", "sigs:", "proof:"};

/* ---------------------------------------------------------------------------------------------
 * Tokens: split at spaces and tabs outside quoted strings; a backslash escapes the next byte.
 */

struct tok {
	const char *p;
	size_t len;
};

/* The next token at or after *pos (moved past it). Returns false at the end; *open is set when the
 * token leaves a quoted string open (it then runs to the end). */
static bool next_tok(const char **pos, const char *end, struct tok *t, bool *open)
{
	const char *p = *pos;
	bool quoted = false;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end) {
		*pos = p;
		return false;
	}
	t->p = p;
	while (p < end) {
		if (*p == '\\' && p + 1 < end) {
			p += 2;
			continue;
		}
		/* A quoted string opens only at the start of a token, as in zone files: a quote
		 * inside a name is a character of the name. */
		if (*p == '"' && (quoted || p == t->p))
			quoted = !quoted;
		else if (!quoted && (*p == ' ' || *p == '\t'))
			break;
		p++;
	}
	t->len = (size_t)(p - t->p);
	if (quoted)
		*open = true;
	*pos = p;
	return true;
}

static bool tok_is(const struct tok *t, const char *word)
{
	size_t n = strlen(word);
	return t->len == n && memcmp(t->p, word, n) == 0;
}

/* The section a token opens, or -1. */
static int section_of(const struct tok *t)
{
	for (int i = 0; i < SEC_N; i++)
		if (tok_is(t, section_word[i]))
			return i;
	return -1;
}

/* Does text read back as exactly one item: printable ASCII, quotes closed, no token that is
 * "|" or a section keyword? */
static bool one_item(const char *text)
{
	const char *p = text, *end = text + strlen(text);
	struct tok t;
	bool open = false, any = false;

	for (const char *c = text; c < end; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			return false;
	while (next_tok(&p, end, &t, &open)) {
		if (open || tok_is(&t, "|") || section_of(&t) >= 0)
			return false;
		any = true;
	}
	return any;
}

/* ---------------------------------------------------------------------------------------------
 * Writing
 */

/* Scratch space for one line's checks. */
struct wbuf {
	ldns_buffer *a, *b;
};

static bool rdata_wire(ldns_buffer *w, const ldns_rr *rr)
{
	ldns_buffer_clear(w);
	return ldns_rr_rdata2buffer_wire(w, rr) == LDNS_STATUS_OK && ldns_buffer_status_ok(w);
}

/* A record of the given type and TTL whose rdata is the text item (len bytes), owned by the root
 * (the caller sets the owner): ". TTL IN TYPE item". NULL when ldns refuses the text. */
static ldns_rr *rr_of_rdata(uint16_t type, uint32_t ttl, const char *item, size_t len)
{
	struct rw_sbuf s = {0};
	char tb[32];
	ldns_rr *rr = NULL;

	rw_sbuf_printf(&s, ". %" PRIu32 " IN %s ", ttl, rw_present_type(type, tb, sizeof(tb)));
	rw_sbuf_add(&s, item, len);
	if (s.oom || ldns_rr_new_frm_str(&rr, s.p, 0, NULL, NULL) != LDNS_STATUS_OK)
		rr = NULL;
	if (rr && ldns_rr_get_type(rr) != type) {
		ldns_rr_free(rr);
		rr = NULL;
	}
	free(s.p);
	return rr;
}

/* Types whose presentation ldns reads back as written when it holds only letters, digits and
 * ". - _ + / = : *" (names without escapes, numbers, base64, hex, type lists): no check needed,
 * which keeps a dump of a big cache fast. Others (strings, escapes, the generic form) are read
 * back to check. */
static bool plain(const ldns_rr *rr, const char *text)
{
	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_A:
	case LDNS_RR_TYPE_AAAA:
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_DNAME:
	case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_MX:
	case LDNS_RR_TYPE_SOA:
	case LDNS_RR_TYPE_SRV:
	case LDNS_RR_TYPE_DS:
	case LDNS_RR_TYPE_DNSKEY:
	case LDNS_RR_TYPE_RRSIG:
	case LDNS_RR_TYPE_NSEC:
	case LDNS_RR_TYPE_NSEC3:
	case LDNS_RR_TYPE_NSEC3PARAM:
		break;
	default:
		return false;
	}
	for (const char *c = text; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || strchr(" .-_+/=:*", *c)))
			return false;
	return *text != '\0';
}

/* The rdata of rr as one item: its presentation when that reads back to the same wire data, else
 * "\# LEN HEX" (RFC 3597 5). */
static void put_rdata(struct rw_sbuf *b, const ldns_rr *rr, struct wbuf *w)
{
	char *s = rw_present_rdata(rr);
	bool same = false;

	for (size_t n = s ? strlen(s) : 0; n > 0 && s[n - 1] == ' '; n--)
		s[n - 1] = '\0'; /* ldns ends an NSEC type list with a space */
	if (s && plain(rr, s) && one_item(s)) {
		same = true;
	} else if (s && one_item(s)) {
		ldns_rr *back = rr_of_rdata((uint16_t)ldns_rr_get_type(rr), 0, s, strlen(s));
		same = back && rdata_wire(w->a, rr) && rdata_wire(w->b, back) &&
		       ldns_buffer_position(w->a) == ldns_buffer_position(w->b) &&
		       memcmp(ldns_buffer_begin(w->a), ldns_buffer_begin(w->b),
			      ldns_buffer_position(w->a)) == 0;
		ldns_rr_free(back);
	}
	if (same) {
		rw_sbuf_puts(b, s);
	} else if (rdata_wire(w->a, rr)) {
		const uint8_t *d = ldns_buffer_begin(w->a);
		size_t n = ldns_buffer_position(w->a);

		rw_sbuf_printf(b, "\\# %zu%s", n, n ? " " : "");
		for (size_t i = 0; i < n; i++)
			rw_sbuf_printf(b, "%02x", d[i]);
	} else {
		b->oom = true; /* nothing readable to write: the dump reports it */
	}
	free(s);
}

/* A name with every byte but letters, digits, '-', '_' and '*' written as \DDD: whatever the
 * name holds, it is one token that ldns reads back (it would take a leading quote for a string). */
static void put_name(struct rw_sbuf *b, const ldns_rdf *name)
{
	const uint8_t *d = ldns_rdf_data(name);
	size_t len = ldns_rdf_size(name), off = 0;

	if (ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME || len == 0) {
		rw_sbuf_puts(b, "?");
		return;
	}
	if (d[0] == 0) {
		rw_sbuf_puts(b, ".");
		return;
	}
	while (off < len && d[off] != 0 && off + d[off] < len) {
		for (size_t i = off + 1; i <= off + d[off]; i++) {
			uint8_t c = d[i];
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*')
				rw_sbuf_add(b, (const char *)&c, 1);
			else
				rw_sbuf_printf(b, "\\%03u", c);
		}
		rw_sbuf_puts(b, ".");
		off += (size_t)d[off] + 1;
	}
}

/* A whole record as one item: owner, TTL, class, type, rdata. */
static void put_rr(struct rw_sbuf *b, const ldns_rr *rr, struct wbuf *w)
{
	char tb[32], cb[16];
	uint16_t klass = (uint16_t)ldns_rr_get_class(rr);

	if (klass == LDNS_RR_CLASS_IN)
		snprintf(cb, sizeof(cb), "IN");
	else
		snprintf(cb, sizeof(cb), "CLASS%u", klass);
	put_name(b, ldns_rr_owner(rr));
	rw_sbuf_printf(b, " %" PRIu32 " %s %s ", ldns_rr_ttl(rr), cb,
		       rw_present_type((uint16_t)ldns_rr_get_type(rr), tb, sizeof(tb)));
	put_rdata(b, rr, w);
}

/* One section: the keyword, then the items separated by " | "; nothing when list is empty. */
static void put_section(struct rw_sbuf *b, enum section sec, const ldns_rr_list *list, bool whole,
			struct wbuf *w)
{
	size_t n = list ? ldns_rr_list_rr_count(list) : 0;

	for (size_t i = 0; i < n; i++) {
		rw_sbuf_puts(b, i ? " | " : " ");
		if (i == 0) {
			rw_sbuf_puts(b, section_word[sec]);
			rw_sbuf_puts(b, " ");
		}
		if (whole)
			put_rr(b, ldns_rr_list_rr(list, i), w);
		else
			put_rdata(b, ldns_rr_list_rr(list, i), w);
	}
}

static void words_no_spaces(struct rw_sbuf *b, const char *s)
{
	for (; *s; s++)
		rw_sbuf_add(b, *s == ' ' ? "-" : s, 1);
}

void rw_cachefile_format(struct rw_sbuf *b, const struct rw_cache_entry *e, int64_t now_us)
{
	char tbuf[32], exp[48], loc[64], stored[48], addr[80] = "?";
	const char *server = e->src && e->src->server && e->src->server[0] ? e->src->server : "?";
	const char *zone = e->src && e->src->zone && e->src->zone[0] ? e->src->zone : "?";
	struct wbuf w = {ldns_buffer_new(512), ldns_buffer_new(512)};

	if (e->src && e->src->addrlen) {
		uint16_t port = rw_present_port(&e->src->addr);
		size_t n;

		rw_present_addr((const struct sockaddr *)&e->src->addr, addr, sizeof(addr));
		n = strlen(addr);
		if (port != 53 && port != 0)
			snprintf(addr + n, sizeof(addr) - n, "@%u", port);
	}
	rw_present_iso_time(e->expires_us, exp, sizeof(exp));
	rw_present_iso_time(e->stored_us, stored, sizeof(stored));
	rw_present_local_time(e->expires_us, true, loc, sizeof(loc));
	put_name(b, e->owner);
	rw_sbuf_printf(b,
		       " %s %s ttl=%u orig_ttl=%u stored=%s expires=%s local=%s server=%s addr=%s "
		       "zone=%s rank=",
		       rw_present_type_or_dash(e->type, tbuf, sizeof(tbuf)),
		       rw_entry_kind_name(e->kind), rw_cache_ttl_left(e, now_us), e->orig_ttl,
		       stored, exp, loc, server, addr, zone);
	words_no_spaces(b, rw_rank_name(e->rank));
	rw_sbuf_printf(b, " vstate=%s", rw_vstate_name(e->vstate));
	if (e->sigs && ldns_rr_list_rr_count(e->sigs))
		rw_sbuf_printf(b, " rrsigs=%zu", ldns_rr_list_rr_count(e->sigs));
	if (!w.a || !w.b) {
		b->oom = true;
	} else {
		if (e->soa) {
			rw_sbuf_puts(b, " soa: ");
			put_rr(b, e->soa, &w);
		}
		put_section(b, SEC_DATA, e->rrs, false, &w);
		put_section(b, SEC_SIGS, e->sigs, false, &w);
		put_section(b, SEC_PROOF, e->proof, true, &w);
	}
	rw_sbuf_puts(b, "\n");
	ldns_buffer_free(w.a);
	ldns_buffer_free(w.b);
}

/* ---------------------------------------------------------------------------------------------
 * Reading
 */

/* What the key=value fields said. */
struct fields {
	bool have_stored, have_expires, have_ttl;
	int64_t stored_us, expires_us;
	uint32_t orig_ttl;
	char server[256], zone[256];
	struct rw_sockaddr addr;
	int rank, vstate;
};

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		snprintf(err, errlen, __VA_ARGS__);                                                \
		return -EINVAL;                                                                    \
	} while (0)

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "2026-11-25T10:00:00.112Z" (rw_present_iso_time) to wall-clock microseconds. */
static bool parse_iso(const char *s, int64_t *us)
{
	if (strlen(s) != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != '.' || s[23] != 'Z')
		return false;
	int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	int h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
	int ms = digits(s + 20, 3);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || sec < 0 || sec > 60 || ms < 0)
		return false;
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = mo - 1,
			.tm_mday = d,
			.tm_hour = h,
			.tm_min = mi,
			.tm_sec = sec};
	time_t t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != d)
		return false; /* not a date (February 30th) */
	*us = (int64_t)t * 1000000 + (int64_t)ms * 1000;
	return true;
}

static bool parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* The name's index in names (by fn), or -1; "-" in the text stands for a space. */
static int name_index(const char *text, int n, const char *(*fn)(int))
{
	for (int i = 0; i < n; i++) {
		const char *name = fn(i);
		size_t k = 0;

		while (name[k] && text[k] &&
		       (text[k] == name[k] || (text[k] == '-' && name[k] == ' ')))
			k++;
		if (!name[k] && !text[k])
			return i;
	}
	return -1;
}

static const char *rank_name(int i)
{
	return rw_rank_name((enum rw_rank)i);
}

static const char *vstate_name(int i)
{
	return rw_vstate_name((enum rw_vstate)i);
}

static const char *kind_name(int i)
{
	return rw_entry_kind_name((enum rw_entry_kind)i);
}

/* One key=value field into f. Unknown keys are left alone (fields a later version adds). */
static int parse_field(const struct tok *t, struct fields *f, char *err, size_t errlen)
{
	const char *eq = memchr(t->p, '=', t->len);
	char key[16], val[300];
	size_t klen = eq ? (size_t)(eq - t->p) : 0;

	if (!eq || klen == 0 || klen >= sizeof(key))
		FAIL("'%.*s' is neither key=value nor soa:, data:, sigs: or proof:",
		     (int)(t->len > 60 ? 60 : t->len), t->p);
	if (t->len - klen - 1 >= sizeof(val))
		FAIL("the value of %.*s is too long", (int)klen, t->p);
	memcpy(key, t->p, klen);
	key[klen] = '\0';
	memcpy(val, eq + 1, t->len - klen - 1);
	val[t->len - klen - 1] = '\0';
	if (strcmp(key, "stored") == 0 || strcmp(key, "expires") == 0) {
		bool st = key[0] == 's';
		if (!parse_iso(val, st ? &f->stored_us : &f->expires_us))
			FAIL("%s: '%.40s' is not a time as 2026-11-25T10:00:00.112Z", key, val);
		*(st ? &f->have_stored : &f->have_expires) = true;
	} else if (strcmp(key, "orig_ttl") == 0) {
		if (!parse_u32(val, &f->orig_ttl))
			FAIL("orig_ttl: '%.40s' is not a number of seconds", val);
		f->have_ttl = true;
	} else if (strcmp(key, "server") == 0 || strcmp(key, "zone") == 0) {
		char *dst = key[0] == 's' ? f->server : f->zone;
		size_t n = strcmp(val, "?") == 0 ? 0 : strlen(val);
		if (n > 255)
			FAIL("%s: longer than 255 bytes", key);
		memcpy(dst, val, n);
		dst[n] = '\0';
	} else if (strcmp(key, "addr") == 0) {
		if (strcmp(val, "?") != 0 && rw_config_parse_addr(val, 53, &f->addr) < 0)
			FAIL("addr: '%.60s' is not an address", val);
	} else if (strcmp(key, "rank") == 0) {
		if ((f->rank = name_index(val, RW_RANK_ANSWER + 1, rank_name)) < 0)
			FAIL("rank: unknown rank '%.40s'", val);
	} else if (strcmp(key, "vstate") == 0) {
		if ((f->vstate = name_index(val, RW_VSTATE_BOGUS + 1, vstate_name)) < 0)
			FAIL("vstate: unknown validation state '%.40s'", val);
	}
	return 0;
}

/* One item of a section into the entry being read. */
static int add_item(struct rw_cache_entry *e, enum section sec, const char *item, size_t len,
		    uint32_t ttl, char *err, size_t errlen)
{
	ldns_rr *rr = NULL;
	ldns_rr_list **list = sec == SEC_DATA ? &e->rrs : sec == SEC_SIGS ? &e->sigs : &e->proof;

	if (sec == SEC_SOA && e->soa)
		FAIL("soa: more than one record");
	if (sec != SEC_SOA && *list && ldns_rr_list_rr_count(*list) >= RW_CACHEFILE_MAX_ITEMS)
		FAIL("%s more than %d records", section_word[sec], RW_CACHEFILE_MAX_ITEMS);
	if (sec == SEC_DATA || sec == SEC_SIGS) {
		uint16_t type = sec == SEC_DATA ? e->type : LDNS_RR_TYPE_RRSIG;
		rr = rr_of_rdata(type, ttl, item, len);
		if (rr) {
			ldns_rdf_deep_free(ldns_rr_owner(rr));
			ldns_rr_set_owner(rr, ldns_rdf_clone(e->owner));
		}
	} else {
		char *s = strndup(item, len);
		if (s && ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL) != LDNS_STATUS_OK)
			rr = NULL;
		free(s);
	}
	if (!rr)
		FAIL("%s '%.*s%s' is not a record ldns can read", section_word[sec],
		     (int)(len > 60 ? 60 : len), item, len > 60 ? "..." : "");
	ldns_rr_type t = ldns_rr_get_type(rr);
	if ((sec == SEC_SOA && t != LDNS_RR_TYPE_SOA) ||
	    (sec == SEC_PROOF && t != LDNS_RR_TYPE_NSEC && t != LDNS_RR_TYPE_NSEC3 &&
	     t != LDNS_RR_TYPE_RRSIG)) {
		ldns_rr_free(rr);
		FAIL("%s a record of the wrong type", section_word[sec]);
	}
	if (sec == SEC_SOA) {
		e->soa = rr;
		return 0;
	}
	if ((!*list && !(*list = ldns_rr_list_new())) || !ldns_rr_list_push_rr(*list, rr)) {
		ldns_rr_free(rr);
		FAIL("out of memory");
	}
	return 0;
}

/* The sections, from the token after the first keyword (first) to the end of the line. */
static int parse_sections(struct rw_cache_entry *e, enum section first, const char **pos,
			  const char *end, uint32_t ttl, char *err, size_t errlen)
{
	bool seen[SEC_N] = {false}, open = false;
	enum section cur = first;
	const char *is = NULL, *ie = NULL;
	struct tok t;

	seen[cur] = true;
	for (;;) {
		bool more = next_tok(pos, end, &t, &open);
		int s = more ? section_of(&t) : -1;

		if (more && s < 0 && !tok_is(&t, "|")) {
			if (!is)
				is = t.p;
			ie = t.p + t.len;
			continue;
		}
		if (!is)
			FAIL("an empty item in %s", section_word[cur]);
		if (open)
			FAIL("a quoted string in %s is not closed", section_word[cur]);
		int rc = add_item(e, cur, is, (size_t)(ie - is), ttl, err, errlen);
		if (rc < 0)
			return rc;
		is = NULL;
		if (!more)
			return 0;
		if (s >= 0) {
			if (seen[s])
				FAIL("%s given twice", section_word[s]);
			seen[s] = true;
			cur = (enum section)s;
		}
	}
}

/* The sections an entry of its kind needs and may have. */
static int check_shape(const struct rw_cache_entry *e, char *err, size_t errlen)
{
	bool has_rrs = e->kind == RW_ENTRY_RRSET || e->kind == RW_ENTRY_PARENT_GLUE;

	if (has_rrs && (!e->rrs || e->soa))
		FAIL("an %s entry needs data: and has no soa:", kind_name(e->kind));
	if (!has_rrs && (e->rrs || e->sigs))
		FAIL("a negative entry has no data: nor sigs:");
	if (e->kind == RW_ENTRY_NXDOMAIN && !e->soa)
		FAIL("an nxdomain entry needs its soa:");
	if (e->kind == RW_ENTRY_PARENT_GLUE &&
	    ((e->type != LDNS_RR_TYPE_A && e->type != LDNS_RR_TYPE_AAAA) || e->proof))
		FAIL("parent-glue is an A or AAAA set without proof:");
	return 0;
}

/* The owner, type and kind tokens into e. */
static int parse_key(struct rw_cache_entry *e, const struct tok t[3], char *err, size_t errlen)
{
	char buf[1100];

	if (t[0].len >= sizeof(buf) || t[1].len >= 32 || t[2].len >= 32)
		FAIL("the owner, type or kind is too long");
	memcpy(buf, t[0].p, t[0].len);
	buf[t[0].len] = '\0';
	if (ldns_str2rdf_dname(&e->owner, buf) != LDNS_STATUS_OK || !e->owner)
		FAIL("'%.80s' is not a domain name", buf);
	memcpy(buf, t[2].p, t[2].len);
	buf[t[2].len] = '\0';
	int k = name_index(buf, RW_ENTRY_PARENT_GLUE + 1, kind_name);
	if (k < 0)
		FAIL("unknown kind '%s'", buf);
	e->kind = (enum rw_entry_kind)k;
	memcpy(buf, t[1].p, t[1].len);
	buf[t[1].len] = '\0';
	e->type = strcmp(buf, "-") == 0 ? 0 : (uint16_t)ldns_get_rr_type_by_name(buf);
	if ((e->type == 0) != (e->kind == RW_ENTRY_NXDOMAIN))
		FAIL("type '%s' with kind %s", buf, kind_name(k));
	if (e->type == LDNS_RR_TYPE_RRSIG || e->type == LDNS_RR_TYPE_OPT)
		FAIL("type %s is not cached as a set of its own", buf);
	return 0;
}

static int parse_line(const char *p, const char *end, struct rw_cache_entry *e, char *err,
		      size_t errlen)
{
	struct fields f = {.rank = RW_RANK_NONE, .vstate = RW_VSTATE_UNCHECKED};
	struct tok t[3], x;
	bool open = false;
	int rc, sec = -1;

	for (int i = 0; i < 3; i++)
		if (!next_tok(&p, end, &t[i], &open))
			FAIL("too few fields (owner, type, kind, key=value..., data:)");
	if ((rc = parse_key(e, t, err, errlen)) < 0)
		return rc;
	while (next_tok(&p, end, &x, &open) && (sec = section_of(&x)) < 0)
		if ((rc = parse_field(&x, &f, err, errlen)) < 0)
			return rc;
	if (!f.have_stored || !f.have_expires)
		FAIL("stored= and expires= are needed");
	if (f.expires_us < f.stored_us)
		FAIL("expires before it was stored");
	if (!f.have_ttl && (e->kind == RW_ENTRY_RRSET || e->kind == RW_ENTRY_PARENT_GLUE))
		FAIL("orig_ttl= is needed");
	if (sec >= 0 &&
	    (rc = parse_sections(e, (enum section)sec, &p, end, f.orig_ttl, err, errlen)) < 0)
		return rc;
	if ((rc = check_shape(e, err, errlen)) < 0)
		return rc;
	e->wildcard = e->kind == RW_ENTRY_RRSET && e->proof;
	e->stored_us = f.stored_us;
	e->expires_us = f.expires_us;
	e->orig_ttl = f.orig_ttl;
	e->rank = (enum rw_rank)f.rank;
	e->vstate = (enum rw_vstate)f.vstate;
	if (f.server[0] || f.zone[0] || f.addr.len) {
		e->src = rw_source_new(f.server, f.zone,
				       f.addr.len ? (const struct sockaddr *)&f.addr.ss : NULL,
				       f.addr.len);
		if (!e->src)
			FAIL("out of memory");
	}
	return 0;
}

int rw_cachefile_parse(const char *line, size_t len, struct rw_cache_entry *out, char *err,
		       size_t errlen)
{
	const char *p = line, *end = line + len;

	memset(out, 0, sizeof(*out));
	if (end > p && end[-1] == '\n')
		end--;
	if (end > p && end[-1] == '\r')
		end--;
	for (const char *c = p; c < end; c++) {
		if ((unsigned char)*c > 0x7e || ((unsigned char)*c < 0x20 && *c != '\t')) {
			snprintf(err, errlen,
				 "byte 0x%02x at column %zu: lines are printable ASCII",
				 (unsigned char)*c, (size_t)(c - line) + 1);
			return -EINVAL;
		}
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == ';')
		return 0;
	int rc = parse_line(p, end, out, err, errlen);
	if (rc < 0) {
		rw_cache_entry_clear(out);
		return rc;
	}
	return 1;
}

/* ---------------------------------------------------------------------------------------------
 * Storing
 */

int rw_cachefile_store(struct rw_cache *c, const struct rw_cache_entry *e, int64_t now_us)
{
	struct rw_cache_entry old;
	uint16_t type = e->kind == RW_ENTRY_NXDOMAIN ? 0 : e->type;
	int64_t at = e->stored_us < now_us ? e->stored_us : now_us;
	int rc;

	if (e->expires_us <= now_us)
		return RW_CACHEFILE_EXPIRED;
	/* What the daemon learnt since it started is fresher than the file (and the lookup
	 * reaps an expired entry of the same key, which would otherwise outrank this one). */
	if (rw_cache_get(c, e->kind, e->owner, type, LDNS_RR_CLASS_IN, now_us, RW_RANK_NONE,
			 &old)) {
		rw_cache_entry_clear(&old);
		return RW_CACHEFILE_PRESENT;
	}
	if (e->kind == RW_ENTRY_RRSET || e->kind == RW_ENTRY_PARENT_GLUE) {
		/* The store takes the RRset with its RRSIGs in one list. */
		ldns_rr_list *set = ldns_rr_list_new();
		if (!set)
			return -ENOMEM;
		bool ok = ldns_rr_list_push_rr_list(set, e->rrs) &&
			  (!e->sigs || ldns_rr_list_push_rr_list(set, e->sigs));
		if (!ok)
			rc = -1;
		else if (e->kind == RW_ENTRY_PARENT_GLUE)
			rc = rw_cache_store_parent_glue(c, set, e->src, at);
		else
			rc = rw_cache_store_rrset_proof(c, set, e->proof, e->rank, e->src, at);
		ldns_rr_list_free(set); /* the records are e's */
	} else {
		rc = rw_cache_store_negative_proof(c, e->kind, e->owner, type, LDNS_RR_CLASS_IN,
						   e->soa, e->proof, e->rank, e->src, at);
	}
	if (rc < 0)
		return -ENOMEM;
	if (rc == 0)
		return RW_CACHEFILE_PRESENT;
	/* Stored with its life from the stored time; now its validation state, and its expiry as
	 * the file says when that is sooner (a signature that ended it earlier, or rounding). */
	if (!rw_cache_set_vstate(c, e->kind, e->owner, type, LDNS_RR_CLASS_IN, e->vstate,
				 e->expires_us, now_us))
		return RW_CACHEFILE_EXPIRED;
	return RW_CACHEFILE_STORED;
}
