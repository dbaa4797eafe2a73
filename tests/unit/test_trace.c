/* Trace formatting helpers: names and records as text, timestamps. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "check.h"
#include "rootwalk/env.h"
#include "rootwalk/present.h"
#include "rootwalk/trace.h"
#include "rootwalk/wire.h"
#include "../../src/core/sbuf.h"

/* ldns_rr2str() with tabs as single spaces and no newline: the reference. */
static char *reference(const ldns_rr *rr)
{
	char *s = ldns_rr2str(rr);
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (char *c = s; *c; c++)
		if (*c == '\t')
			*c = ' ';
	return s;
}

static void same_as_ldns(const char *text)
{
	ldns_rr *rr = NULL;
	CHECK(ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL) == LDNS_STATUS_OK);
	if (!rr)
		return;
	char *ours = rw_present_rr(rr), *ref = reference(rr);
	if (strcmp(ours, ref) != 0)
		fprintf(stderr, "differs:\n  ours: %s\n  ldns: %s\n", ours, ref);
	CHECK(strcmp(ours, ref) == 0);
	free(ours);
	free(ref);
	ldns_rr_free(rr);
}

static void test_records(void)
{
	same_as_ldns("video-platform.com. 300 IN A 203.0.113.42");
	same_as_ldns("video-platform.com. 300 IN AAAA 2001:db8::1");
	same_as_ldns("video-platform.com. 300 IN AAAA 2001:db8:0:0:1:0:0:1");
	same_as_ldns("www.video-platform.com. 300 IN CNAME video-platform.com.");
	same_as_ldns("video-platform.com. 86400 IN NS ns1.dnshost.net.");
	same_as_ldns("video-platform.com. 300 IN MX 10 mail.video-platform.com.");
	same_as_ldns(
		"video-platform.com. 300 IN SOA ns1.dnshost.net. hostmaster.video-platform.com. "
		"2026112501 7200 3600 1209600 300");
	same_as_ldns("_sip._tcp.video-platform.com. 300 IN SRV 10 60 5060 sip.video-platform.com.");
	same_as_ldns("42.113.0.203.in-addr.arpa. 3600 IN PTR video-platform.com.");
	same_as_ldns("video-platform.com. 300 IN TXT \"v=spf1 mx -all\" \"second\"");
	same_as_ldns("video-platform.com. 300 IN CAA 0 issue \"ca.example.net\"");
	same_as_ldns("odd.video-platform.com. 300 IN TYPE65400 \\# 3 010203");
	same_as_ldns(". 518400 IN NS a.root-servers.net.");
	same_as_ldns("a\\.b.example. 60 IN A 192.0.2.1");
	same_as_ldns("sp\\032ace.example. 60 IN CNAME t\\;x.example.");
	same_as_ldns("ch.example. 60 CH TXT \"chaos\"");
}

static void test_names(void)
{
	char buf[64];
	const uint8_t root[] = {0};
	const uint8_t www[] = {3, 'w', 'W', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
	const uint8_t odd[] = {3, 'a', '.', 0x07, 0};
	const uint8_t bad[] = {5, 'a', 'b', 0};
	CHECK_EQ(rw_wire_name_text(root, sizeof(root), buf, sizeof(buf)), 1);
	CHECK(strcmp(buf, ".") == 0);
	CHECK_EQ(rw_wire_name_text(www, sizeof(www), buf, sizeof(buf)), 12);
	CHECK(strcmp(buf, "wWw.example.") == 0); /* case as given */
	CHECK(rw_wire_name_text(odd, sizeof(odd), buf, sizeof(buf)) > 0);
	CHECK(strcmp(buf, "a\\.\\007.") == 0);
	CHECK_EQ(rw_wire_name_text(bad, sizeof(bad), buf, sizeof(buf)), -1);
	CHECK_EQ(rw_wire_name_text(www, sizeof(www) - 1, buf, sizeof(buf)), -1); /* no root */
	CHECK_EQ(rw_wire_name_text(www, sizeof(www), buf, 8), -1);		 /* too small */
}

static void test_time(void)
{
	char buf[40];
	rw_present_iso_time(1795600800LL * 1000000 + 3000, buf, sizeof(buf));
	CHECK(strcmp(buf, "2026-11-25T10:00:00.003Z") == 0);
	rw_present_iso_time(1795600801LL * 1000000 + 999999, buf, sizeof(buf));
	CHECK(strcmp(buf, "2026-11-25T10:00:01.999Z") == 0);
	rw_present_iso_time(1795600800LL * 1000000 + 123000, buf, sizeof(buf));
	CHECK(strcmp(buf, "2026-11-25T10:00:00.123Z") == 0); /* back a second: not the cache */
	rw_present_iso_time(0, buf, sizeof(buf));
	CHECK(strcmp(buf, "1970-01-01T00:00:00.000Z") == 0);
	rw_present_iso_time(1795600800LL * 1000000, buf, 10);
	CHECK(strcmp(buf, "?") == 0);
	/* the seconds it remembers (a trace's now, stored and expires, day-long ttls among them)
	 * give the same text as gmtime and strftime, however they share its slots */
	char want[40];
	for (int i = 0; i < 3000; i++) {
		int64_t secs = 1795600800LL + (i % 3) * 86400LL + (i / 3) * (i % 2 ? 3600 : 7);
		time_t t = (time_t)secs;
		struct tm tm;
		CHECK(gmtime_r(&t, &tm) != NULL);
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want + 19, sizeof(want) - 19, ".%03dZ", i % 1000);
		rw_present_iso_time(secs * 1000000 + (i % 1000) * 1000, buf, sizeof(buf));
		CHECK(strcmp(buf, want) == 0);
	}
}

static void test_ip4(void)
{
	char buf[16];
	const uint8_t a[][4] = {
		{0, 0, 0, 0}, {127, 0, 0, 53}, {255, 255, 255, 255}, {10, 9, 100, 1}};
	const char *want[] = {"0.0.0.0", "127.0.0.53", "255.255.255.255", "10.9.100.1"};
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(rw_present_ip4(a[i], buf, sizeof(buf)), (long long)strlen(want[i]));
		CHECK(strcmp(buf, want[i]) == 0);
	}
	CHECK_EQ(rw_present_ip4(a[2], buf, 15), -1);
}

/* rw_present_ip6 gives inet_ntop's text: every pattern of zero and non-zero words (runs of
 * zeros of every length and place, ties, embedded IPv4), and random addresses. */
static void test_ip6(void)
{
	char want[INET6_ADDRSTRLEN], got[INET6_ADDRSTRLEN];
	uint8_t a[16];
	uint32_t seed = 12345;
	for (unsigned i = 0; i < 256 + 4000; i++) {
		for (int w = 0; w < 8; w++) {
			seed = seed * 1103515245u + 12345u;
			unsigned v = seed >> 16;
			if (i < 256 && !(i >> w & 1))
				v = 0; /* the 256 zero patterns, with words of 1 to 4 digits */
			else if (i < 256)
				v >>= (unsigned)(w * 4 % 16);
			else if (i % 3 == 0 && (seed >> 8 & 1))
				v = 0; /* random ones, with zeros often */
			a[2 * w] = (uint8_t)(v >> 8);
			a[2 * w + 1] = (uint8_t)v;
		}
		if (i % 7 == 0) { /* ::ffff:a.b.c.d and ::a.b.c.d and near misses */
			memset(a, 0, 10);
			a[10] = a[11] = (i % 2) ? 0xff : 0;
		}
		CHECK(inet_ntop(AF_INET6, a, want, sizeof(want)) != NULL);
		int n = rw_present_ip6(a, got, sizeof(got));
		if (n < 0 || strcmp(got, want) != 0)
			fprintf(stderr, "ip6: got %s, want %s\n", n < 0 ? "(none)" : got, want);
		CHECK(n == (int)strlen(want) && strcmp(got, want) == 0);
	}
	memset(a, 0x11, sizeof(a));
	CHECK_EQ(rw_present_ip6(a, got, 39), -1); /* 39 characters need 40 bytes */
	CHECK_EQ(rw_present_ip6(a, got, 40), 39);
}

/* Every byte value at every place of strings of 1 to 24 characters (words of eight are checked
 * at once): escaped as a byte by byte reference escapes it. */
static void test_json_str_bytes(void)
{
	char in[25], want[200];
	for (unsigned c = 1; c < 256; c++) {
		for (size_t len = 1; len <= 24; len++) {
			for (size_t at = 0; at < len; at++) {
				memset(in, c == 'x' ? 'y' : 'x', len);
				in[at] = (char)c;
				in[len] = '\0';
				char *w = want;
				*w++ = '"';
				for (size_t i = 0; i < len; i++) {
					unsigned char ch = (unsigned char)in[i];
					if (ch == '"' || ch == '\\') {
						*w++ = '\\';
						*w++ = (char)ch;
					} else if (ch < 0x20 || ch == 0x7f) {
						w += sprintf(w, "\\u%04x", ch);
					} else {
						*w++ = (char)ch;
					}
				}
				*w++ = '"';
				*w = '\0';
				struct rw_sbuf b = {0};
				rw_present_json_str(&b, in);
				bool same = b.p && strcmp(b.p, want) == 0;
				if (!same)
					fprintf(stderr, "json byte %u at %zu of %zu: %s, want %s\n",
						c, at, len, b.p ? b.p : "(none)", want);
				CHECK(same);
				free(b.p);
			}
		}
	}
}

/* rw_sbuf_uint writes what printf's %llu does: around every power of ten, both sides of 2^32,
 * the largest number; appended after what is there, the buffer's end moved just past it. */
static void test_uint(void)
{
	char want[64];
	uint64_t p = 1;
	for (int k = 0; k < 20; k++, p *= 10) {
		const uint64_t vs[] = {p - 1,	  p,	      p + 1,
				       p * 2 + 3, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
				       UINT64_MAX};
		for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
			struct rw_sbuf b = {0};
			rw_sbuf_add(&b, "x=", 2);
			rw_sbuf_uint(&b, vs[i]);
			rw_sbuf_add(&b, ";", 1);
			snprintf(want, sizeof(want), "x=%llu;", (unsigned long long)vs[i]);
			CHECK(b.p && strcmp(b.p, want) == 0 && b.len == strlen(want));
			free(b.p);
		}
	}
}

/* rw_wire_name_text as it was written byte by byte, before plain labels were copied whole. */
static int name_text_ref(const uint8_t *name, size_t len, char *out, size_t cap)
{
	size_t off = 0, o = 0;
	if (len == 0 || cap < 2)
		return -1;
	if (name[0] == 0) {
		out[0] = '.';
		out[1] = '\0';
		return 1;
	}
	while (off < len && name[off] != 0) {
		size_t l = name[off++];
		if (l > 63 || off + l > len)
			return -1;
		for (size_t i = 0; i < l; i++) {
			uint8_t c = name[off + i];
			if (o + 5 >= cap)
				return -1;
			if (c == '.' || c == ';' || c == '(' || c == ')' || c == '\\') {
				out[o++] = '\\';
				out[o++] = (char)c;
			} else if (c <= 0x20 || c >= 0x7f) {
				o += (size_t)sprintf(out + o, "\\%03u", c);
			} else {
				out[o++] = (char)c;
			}
		}
		off += l;
		if (o + 2 >= cap)
			return -1;
		out[o++] = '.';
	}
	if (off >= len)
		return -1;
	out[o] = '\0';
	return (int)o;
}

/* Names with every byte value in a label, and every buffer size: the same text, or the same
 * refusal, as the byte by byte reference. */
static void test_name_text(void)
{
	uint8_t name[64];
	char got[300], want[300];
	for (unsigned c = 0; c < 256; c++) {
		/* "ab<c>d" "mail" "" and the plain "www" "example" "" */
		size_t n = 0;
		const char *const labels[] = {c & 1 ? "www" : "ab?d", "mail", "example"};
		for (int i = 0; i < 3; i++) {
			size_t l = strlen(labels[i]);
			name[n++] = (uint8_t)l;
			memcpy(name + n, labels[i], l);
			for (size_t k = 0; k < l; k++)
				if (name[n + k] == '?')
					name[n + k] = (uint8_t)c;
			n += l;
		}
		name[n++] = 0;
		for (size_t cap = 0; cap < 40; cap++) {
			memset(got, 0, sizeof(got));
			memset(want, 0, sizeof(want));
			int g = rw_wire_name_text(name, n, got, cap);
			int w = name_text_ref(name, n, want, cap);
			CHECK(g == w && (g < 0 || strcmp(got, want) == 0));
		}
		CHECK(rw_wire_name_text(name, n - 1, got, sizeof(got)) == -1); /* no root label */
	}
}

static void test_durations(void)
{
	char buf[32];
	static const struct {
		int64_t secs;
		const char *text;
	} cases[] = {{-5, "0s"},
		     {0, "0s"},
		     {59, "59s"},
		     {60, "1m00s"},
		     {298, "4m58s"},
		     {3599, "59m59s"},
		     {3600, "1h00m00s"},
		     {86399, "23h59m59s"},
		     {86400, "1d00h00m"},
		     {90061, "1d01h01m"},
		     {8640000, "100d00h00m"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rw_present_duration(buf, sizeof(buf), cases[i].secs);
		if (strcmp(buf, cases[i].text) != 0)
			fprintf(stderr, "%lld: %s, want %s\n", (long long)cases[i].secs, buf,
				cases[i].text);
		CHECK(strcmp(buf, cases[i].text) == 0);
	}
}

/* Milliseconds with two decimals, rounded; a short buffer still gets printf's truncation. */
static void test_ms(void)
{
	char buf[32], small[4];
	CHECK(strcmp(rw_present_ms(buf, sizeof(buf), 0), "0.00") == 0);
	CHECK(strcmp(rw_present_ms(buf, sizeof(buf), -7), "0.00") == 0);
	CHECK(strcmp(rw_present_ms(buf, sizeof(buf), 4), "0.00") == 0);
	CHECK(strcmp(rw_present_ms(buf, sizeof(buf), 5), "0.01") == 0);
	CHECK(strcmp(rw_present_ms(buf, sizeof(buf), 1234), "1.23") == 0);
	CHECK(strcmp(rw_present_ms(buf, sizeof(buf), 90995), "91.00") == 0);
	CHECK(strcmp(rw_present_ms(buf, sizeof(buf), 12345678901), "12345678.90") == 0);
	CHECK(strcmp(rw_present_ms(buf, sizeof(buf), INT64_MAX), "9223372036854775.81") == 0);
	CHECK(strcmp(rw_present_ms(small, sizeof(small), 1234), "1.2") == 0);
}

/* JSON strings: quotes, backslashes and control characters escaped, the rest copied. */
static void test_json_str(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {{"", "\"\""},
		     {"plain.example. 300 IN A 192.0.2.1", "\"plain.example. 300 IN A 192.0.2.1\""},
		     {"a\"b", "\"a\\\"b\""},
		     {"\\", "\"\\\\\""},
		     {"x\ty\n", "\"x\\u0009y\\u000a\""},
		     {"\x7f\x01z", "\"\\u007f\\u0001z\""},
		     {"\"\"", "\"\\\"\\\"\""}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rw_sbuf b = {0};
		rw_present_json_str(&b, cases[i].in);
		CHECK(!b.oom && strcmp(b.p, cases[i].out) == 0);
		if (b.p && strcmp(b.p, cases[i].out) != 0)
			fprintf(stderr, "json %zu: %s, want %s\n", i, b.p, cases[i].out);
		free(b.p);
	}
	struct rw_sbuf b = {0};
	rw_present_json_str(&b, NULL);
	CHECK(strcmp(b.p, "\"\"") == 0);
	free(b.p);
}

static int random_calls;

static void counting_random(void *ctx, void *buf, size_t len)
{
	static uint8_t next = 1;

	(void)ctx;
	random_calls++;
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = next++;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Trace ids: one draw from the random source for a generator's whole life, none repeated, and
 * two generators (keys) give different ones. */
static void test_ids(void)
{
	struct rw_env env = {.random_buf = counting_random};
	struct rw_trace_ids g = {0}, g2 = {0};
	enum { N = 10000 };
	uint64_t *ids = malloc(sizeof(*ids) * (N + 1));

	for (int i = 0; i < N; i++)
		ids[i] = rw_trace_id_next(&g, &env);
	CHECK_EQ(random_calls, 1);
	ids[N] = rw_trace_id_next(&g2, &env);
	CHECK_EQ(random_calls, 2);
	qsort(ids, N + 1, sizeof(*ids), cmp_u64);
	int repeated = 0;
	for (int i = 1; i <= N; i++)
		repeated += ids[i] == ids[i - 1];
	CHECK_EQ(repeated, 0);
	free(ids);
}

int main(void)
{
	test_ids();
	test_ms();
	test_json_str();
	test_json_str_bytes();
	test_durations();
	test_ip4();
	test_ip6();
	test_uint();
	test_name_text();
	test_records();
	test_names();
	test_time();
	return rw_check_report("trace");
}
