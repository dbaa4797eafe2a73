/* Text for people: names, addresses and ports, times (ISO 8601 UTC and local), durations,
 * milliseconds, rcodes, types, records and rdata, JSON strings. One module for the trace, the
 * fast path's trace and the control socket, so that they write the same thing the same way.
 * See rootwalk/present.h. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rootwalk/present.h"
#include "rootwalk/wire.h"
#include "sbuf.h"

char *rw_present_name(const ldns_rdf *name)
{
	char buf[1024];
	if (name && ldns_rdf_get_type(name) == LDNS_RDF_TYPE_DNAME &&
	    rw_wire_name_text(ldns_rdf_data(name), ldns_rdf_size(name), buf, sizeof(buf)) >= 0)
		return strdup(buf);
	char *s = name ? ldns_rdf2str(name) : NULL;
	return s ? s : strdup("?");
}

int rw_present_ip4(const uint8_t a[4], char *buf, size_t len)
{
	/* inet_ntop() prints through sprintf: this runs for every A record a trace shows */
	char tmp[16], *p = tmp;
	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];
		if (v >= 100) {
			*p++ = (char)('0' + v / 100);
			v %= 100;
			memcpy(p, rw_digit_pairs + 2 * v, 2);
			p += 2;
		} else if (v >= 10) {
			memcpy(p, rw_digit_pairs + 2 * v, 2);
			p += 2;
		} else {
			*p++ = (char)('0' + v);
		}
		*p++ = '.';
	}
	size_t o = (size_t)(p - tmp); /* the last '.' becomes the NUL */
	if (o > len)
		return -1;
	tmp[o - 1] = '\0';
	memcpy(buf, tmp, o);
	return (int)o - 1;
}

int rw_present_ip6(const uint8_t a[16], char *buf, size_t len)
{
	/* inet_ntop()'s text (RFC 5952: the longest run of two or more zero words, the first of
	 * equals, as "::"; "::ffff:" and "::" before an embedded IPv4 address), without its
	 * sprintf per word: this runs for every AAAA record a trace shows */
	static const char hex[] = "0123456789abcdef";
	unsigned w[8];
	int best = -1, best_len = 0;
	for (int i = 0, run = 0; i < 8; i++) {
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
		run = w[i] ? 0 : run + 1;
		if (run > best_len) {
			best_len = run;
			best = i - run + 1;
		}
	}
	if (best_len < 2)
		best = -1;
	char tmp[48], *p = tmp;
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			*p++ = ':';
			i += best_len - 1;
			if (i == 7)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
			int n = rw_present_ip4(a + 12, p, 16);
			p += n;
			break;
		}
		unsigned v = w[i];
		if (v >= 0x1000)
			*p++ = hex[v >> 12];
		if (v >= 0x100)
			*p++ = hex[v >> 8 & 0xf];
		if (v >= 0x10)
			*p++ = hex[v >> 4 & 0xf];
		*p++ = hex[v & 0xf];
	}
	*p = '\0';
	size_t n = (size_t)(p - tmp);
	if (n + 1 > len)
		return -1;
	memcpy(buf, tmp, n + 1);
	return (int)n;
}

void rw_present_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	if (!sa || len == 0) {
		if (len)
			buf[0] = '\0';
		return;
	}
	if (sa->sa_family == AF_INET) {
		if (rw_present_ip4((const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)
					   ->sin_addr,
				   buf, len) < 0)
			snprintf(buf, len, "?");
	} else if (sa->sa_family == AF_INET6) {
		if (rw_present_ip6(
			    ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr, buf,
			    len) < 0)
			snprintf(buf, len, "?");
	} else {
		snprintf(buf, len, "?");
	}
}

uint16_t rw_present_port(const struct sockaddr_storage *ss)
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

void rw_present_iso_time(int64_t wall_us, char *buf, size_t len)
{
	/* by arithmetic rather than gmtime and strftime, and the last few seconds remembered per
	 * thread: a trace of a cache hit shows now, when a record was stored and when it expires */
	static _Thread_local struct {
		int64_t secs;
		char text[20];
	} seen[16]; /* by a hash of the second: one look; 0 is empty (second 0 is never kept) */

	if (wall_us > ((int64_t)1 << 62) || wall_us < -((int64_t)1 << 62) || len < 25) {
		snprintf(buf, len, "?");
		return;
	}
	int64_t secs = wall_us >= 0 ? wall_us / 1000000 : (wall_us - 999999) / 1000000;
	unsigned ms = (unsigned)((wall_us - secs * 1000000) / 1000);
	/* mixed, not the low bits: a ttl of 86400 or 3600 would put stored and expires together */
	unsigned slot = (unsigned)(((uint64_t)secs * 0x9e3779b97f4a7c15ULL) >> 60);
	const char *text = seen[slot].secs == secs && secs != 0 ? seen[slot].text : NULL;
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
		char *t = seen[slot].text, *p = put_digits(t, (unsigned)y, 4);
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
		seen[slot].secs = secs;
		text = t;
	}
	memcpy(buf, text, 19);
	char *p = buf + 19;
	*p++ = '.';
	p = put_digits(p, ms, 3);
	*p++ = 'Z';
	*p = '\0';
}

void rw_present_iso_secs(int64_t secs, char *buf, size_t len)
{
	char full[32];
	rw_present_iso_time(secs * 1000000, full, sizeof(full));
	if (strlen(full) != 24) { /* "?" for a time out of range */
		snprintf(buf, len, "%s", full);
		return;
	}
	snprintf(buf, len, "%.19sZ", full);
}

int64_t rw_present_epoch(int64_t wall_us)
{
	/* rounded up: from this second on the entry is no longer served (expires_iso has the
	 * milliseconds) */
	return wall_us >= 0 ? (wall_us + 999999) / 1000000 : wall_us / 1000000;
}

const char *rw_present_rcode(int rcode)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
					    "NXRRSET", "NOTAUTH", "NOTZONE"};
	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	if (rcode == 16)
		return "BADVERS";
	if (rcode == 23)
		return "BADCOOKIE"; /* RFC 7873 */
	return "RCODE?";
}

const char *rw_present_type(uint16_t type, char *buf, size_t len)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);

	if (d && d->_name && type != 0)
		return d->_name; /* static in ldns: no copy needed */
	snprintf(buf, len, "TYPE%u", (unsigned)type);
	return buf;
}

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
	const char *tname = rw_present_type(ldns_rr_get_type(rr), tb, sizeof(tb));
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
			n = len == 4 ? rw_present_ip4(p, buf + o, cap - o) : -1;
			break;
		case LDNS_RDF_TYPE_AAAA:
			n = len == 16 ? rw_present_ip6(p, buf + o, cap - o) : -1;
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
char *rw_present_rr(const ldns_rr *rr)
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

static char *put_num(char *p, char *end, uint64_t v, int min_digits)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n < min_digits)
		tmp[n++] = '0';
	while (n && p < end)
		*p++ = tmp[--n];
	return p;
}

/* Two digits of v (below 100). */
static char *put2(char *p, uint64_t v)
{
	memcpy(p, rw_digit_pairs + 2 * v, 2);
	return p + 2;
}

char *rw_present_ms(char *buf, size_t len, int64_t us)
{
	uint64_t hundredths = us > 0 ? ((uint64_t)us + 5) / 10 : 0;
	if (len < 24) { /* without printf when it fits: every traced answer says its time */
		snprintf(buf, len, "%llu.%02u", (unsigned long long)(hundredths / 100),
			 (unsigned)(hundredths % 100));
		return buf;
	}
	char *p = put_num(buf, buf + len - 1, hundredths / 100, 1);
	*p++ = '.';
	p = put2(p, hundredths % 100);
	*p = '\0';
	return buf;
}

void rw_present_duration(char *buf, size_t len, int64_t secs)
{
	if (len < 24) {
		snprintf(buf, len, "?");
		return;
	}
	uint64_t s = secs < 0 ? 0 : (uint64_t)secs;
	char *p = buf, *end = buf + len - 1;
	if (s >= 86400) {
		p = put_num(p, end, s / 86400, 1);
		*p++ = 'd';
		p = put2(p, s % 86400 / 3600);
		*p++ = 'h';
		p = put2(p, s % 3600 / 60);
		*p++ = 'm';
	} else if (s >= 3600) {
		p = put_num(p, end, s / 3600, 1);
		*p++ = 'h';
		p = put2(p, s % 3600 / 60);
		*p++ = 'm';
		p = put2(p, s % 60);
		*p++ = 's';
	} else if (s >= 60) {
		p = put_num(p, end, s / 60, 1);
		*p++ = 'm';
		p = put2(p, s % 60);
		*p++ = 's';
	} else {
		p = put_num(p, end, s, 1);
		*p++ = 's';
	}
	*p = '\0';
}

/* 1 for a character a JSON string must escape (RFC 8259: '"', '\\', controls; and DEL) */
static const unsigned char json_special[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
	[0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
	[0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
	[0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
	[0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1,  ['\\'] = 1, [0x7f] = 1};

/* How many of the n characters at s need no escaping, eight at a time while none does: a
 * byte below 0x20, or equal to '"', '\\' or 0x7f, makes a word fall back to the table. */
static size_t json_plain_run(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	size_t i = 0;
	for (; n - i >= 8; i += 8) {
		uint64_t x, q, bs, del;
		memcpy(&x, s + i, 8);
		q = x ^ (ones * '"');
		bs = x ^ (ones * '\\');
		del = x ^ (ones * 0x7f);
		uint64_t hit = ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((bs - ones) & ~bs) |
			       ((del - ones) & ~del);
		if (hit & highs)
			break;
	}
	while (i < n && !json_special[(unsigned char)s[i]])
		i++;
	return i;
}

void rw_present_json_strn(struct rw_sbuf *b, const char *s, size_t n)
{
	/* runs of plain characters in one copy: every record of a JSON trace comes through here */
	rw_sbuf_add(b, "\"", 1);
	for (size_t i = 0;;) {
		size_t k = json_plain_run(s + i, n - i);
		rw_sbuf_add(b, s + i, k);
		i += k;
		if (i >= n)
			break;
		unsigned char c = (unsigned char)s[i++];
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			rw_sbuf_add(b, esc, 2);
		} else {
			rw_sbuf_printf(b, "\\u%04x", c);
		}
	}
	rw_sbuf_add(b, "\"", 1);
}

void rw_present_json_str(struct rw_sbuf *b, const char *s)
{
	s = s ? s : "";
	rw_present_json_strn(b, s, strlen(s));
}

char *rw_present_rr_ttl(const ldns_rr *rr, uint32_t ttl)
{
	ldns_rr *c = ldns_rr_clone(rr);
	if (!c)
		return NULL;
	ldns_rr_set_ttl(c, ttl < ldns_rr_ttl(rr) ? ttl : ldns_rr_ttl(rr));
	char *s = rw_present_rr(c);
	ldns_rr_free(c);
	return s;
}

/* The rdata fields of rr, space separated (malloc'd). */
char *rw_present_rdata(const ldns_rr *rr)
{
	struct rw_sbuf b = {0};

	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		char *f = ldns_rdf2str(ldns_rr_rdf(rr, i));

		if (i)
			rw_sbuf_puts(&b, " ");
		rw_sbuf_puts(&b, f ? f : "?");
		free(f);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p ? b.p : strdup("");
}

void rw_present_local_time(int64_t wall_us, bool iso, char *buf, size_t len)
{
	time_t secs = (time_t)(wall_us / 1000000);
	struct tm tm;

	if (!localtime_r(&secs, &tm) ||
	    strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%S%z" : "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, len, "?");
}

const char *rw_present_type_or_dash(uint16_t type, char *buf, size_t len)
{
	if (type == 0)
		return "-"; /* NXDOMAIN entries are for the name, not a type */
	return rw_present_type(type, buf, len);
}
