/* Upstream DNS cookies (RFC 7873) and 0x20 that forged replies cannot switch off: the cookie
 * option on the wire, and the iterator against scripted servers (fakenet) that require cookies,
 * echo the wrong one, answer BADCOOKIE, forge replies in another letter case or ignore case. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "fakenet.h"
#include "rootwalk/cookie_client.h"
#include "rootwalk/resolver.h"

#define EX 1 /* fn_example_world's server of example. (192.0.2.2) */

static char hints[64];

/* A reply header with one question (www.example. A) and an OPT record holding opt (olen bytes);
 * ext is the OPT TTL's first byte (the rcode's upper bits). Returns the length. */
static size_t reply_with_opt(uint8_t *buf, int rcode, int ext, const uint8_t *opt, size_t olen)
{
	static const uint8_t q[] = {3,	 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm',
				    'p', 'l', 'e', 0,	0, 1,	0,   1};
	uint8_t *p = buf;
	memset(p, 0, 12);
	p[2] = 0x80, p[3] = (uint8_t)rcode, p[5] = 1, p[11] = 1;
	p += 12;
	memcpy(p, q, sizeof(q));
	p += sizeof(q);
	*p++ = 0, *p++ = 0, *p++ = 41, *p++ = 0x04, *p++ = 0xd0;
	*p++ = (uint8_t)ext, *p++ = 0, *p++ = 0, *p++ = 0;
	*p++ = (uint8_t)(olen >> 8), *p++ = (uint8_t)olen;
	memcpy(p, opt, olen);
	return (size_t)(p - buf) + olen;
}

static void test_wire(void)
{
	uint8_t key[RW_COOKIE_KEY_LEN] = {1}, key2[RW_COOKIE_KEY_LEN] = {2};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};
	struct sockaddr_in b = a;
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
	struct sockaddr un = {.sa_family = AF_UNIX};
	uint8_t c1[8], c2[8], c3[8], c4[8];
	inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
	inet_pton(AF_INET, "192.0.2.2", &b.sin_addr);
	inet_pton(AF_INET6, "2001:db8::1", &a6.sin6_addr);
	CHECK_EQ(rw_cookie_client_make(key, (struct sockaddr *)&a, c1), 0);
	CHECK_EQ(rw_cookie_client_make(key, (struct sockaddr *)&a, c2), 0);
	CHECK(memcmp(c1, c2, 8) == 0);
	CHECK_EQ(rw_cookie_client_make(key, (struct sockaddr *)&b, c2), 0);
	CHECK(memcmp(c1, c2, 8) != 0);
	CHECK_EQ(rw_cookie_client_make(key2, (struct sockaddr *)&a, c3), 0);
	CHECK(memcmp(c1, c3, 8) != 0);
	CHECK_EQ(rw_cookie_client_make(key, (struct sockaddr *)&a6, c4), 0);
	CHECK_EQ(rw_cookie_client_make(key, &un, c4), -1);

	/* write and read back: client only, client and server, a server cookie of a bad size */
	uint8_t opt[RW_COOKIE_OPT_MAX + 8], msg[256];
	const uint8_t sc[16] = "0123456789ABCDEF";
	struct rw_cookie_seen seen;
	size_t n = rw_cookie_opt_write(opt, c1, NULL, 0);
	CHECK_EQ(n, 12);
	CHECK_EQ(rw_cookie_reply_parse(msg, reply_with_opt(msg, 0, 0, opt, n), &seen), 0);
	CHECK(seen.opt && seen.cookie && !seen.malformed && seen.server_len == 0);
	CHECK(memcmp(seen.client, c1, 8) == 0);
	n = rw_cookie_opt_write(opt, c1, sc, 16);
	CHECK_EQ(n, 28);
	CHECK_EQ(rw_cookie_reply_parse(msg, reply_with_opt(msg, 0, 0, opt, n), &seen), 0);
	CHECK(seen.cookie && !seen.malformed && seen.server_len == 16);
	CHECK(memcmp(seen.server, sc, 16) == 0 && seen.rcode == 0);
	CHECK_EQ(rw_cookie_opt_write(opt, c1, sc, 7), 12); /* not a valid server cookie: left out */
	/* BADCOOKIE: 7 in the header, 1 in the OPT TTL */
	n = rw_cookie_opt_write(opt, c1, sc, 16);
	CHECK_EQ(rw_cookie_reply_parse(msg, reply_with_opt(msg, 7, 1, opt, n), &seen), 0);
	CHECK_EQ(seen.rcode, RW_RCODE_BADCOOKIE);
	/* hostile lengths: an option of 5 bytes, of 41 bytes, one running past the OPT data */
	static const uint16_t lens[] = {5, 8 + 7, 8 + 33};
	for (size_t i = 0; i < 3; i++) {
		uint8_t o[64] = {0, 10};
		o[3] = (uint8_t)lens[i];
		CHECK_EQ(rw_cookie_reply_parse(msg, reply_with_opt(msg, 0, 0, o, 4 + lens[i]),
					       &seen),
			 0);
		CHECK(seen.cookie && seen.malformed);
	}
	uint8_t o[12] = {0, 10, 0, 40};
	CHECK_EQ(rw_cookie_reply_parse(msg, reply_with_opt(msg, 0, 0, o, sizeof(o)), &seen), 0);
	CHECK(seen.cookie && seen.malformed);
	/* an OPT whose RDLEN runs past the message, a message cut short: no OPT */
	size_t len = reply_with_opt(msg, 0, 0, opt, n);
	CHECK_EQ(rw_cookie_reply_parse(msg, len - 1, &seen), -1);
	CHECK(!seen.opt && !seen.cookie);
	CHECK_EQ(rw_cookie_reply_parse(msg, 11, &seen), -1);
	/* no OPT at all: no cookie, the header's rcode */
	msg[3] = 3, msg[11] = 0;
	CHECK_EQ(rw_cookie_reply_parse(msg, 12 + 17, &seen), 0);
	CHECK(!seen.opt && !seen.cookie && seen.rcode == 3);
}

static void world(struct fakenet *fn, struct rw_config **cfg, bool caps, bool cookies)
{
	fn_init(fn, true);
	fn_example_world(fn);
	*cfg = fn_config(hints);
	(*cfg)->use_caps_for_id = caps;
	(*cfg)->upstream_cookies = cookies;
	fn_start(fn, *cfg);
}

static void done(struct fakenet *fn, struct rw_config *cfg)
{
	fn_free(fn);
	rw_config_free(cfg);
}

/* A server that requires cookies: the first query (client cookie only) gets BADCOOKIE with a
 * server cookie, which is kept and echoed: the question is asked once more and answered; the
 * next question carries the server cookie from the start. */
static void test_badcookie_retry(void)
{
	struct fakenet fn;
	struct rw_config *cfg;
	world(&fn, &cfg, false, true);
	fn.servers[EX].cookies = FN_COOKIE_REQUIRE;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&fn, "203.0.113.7"));
	CHECK_EQ(fn.servers[EX].badcookies_sent, 1);
	CHECK_EQ(fn.servers[EX].queries, 2);
	CHECK_EQ(fn.servers[EX].tcp_queries, 0);
	CHECK(fn_trace_has(&fn, "BADCOOKIE: the new server cookie is kept, asking again"));
	CHECK_EQ(fn.servers[EX].last_cookie_len, 24);
	CHECK(memcmp(fn.servers[EX].last_cookie + 8, FN_SERVER_COOKIE, 16) == 0);
	uint8_t cc[8];
	memcpy(cc, fn.servers[EX].last_cookie, 8);
	CHECK_EQ(rw_resolver_stats(fn.r)->upstream_badcookie, 1);
	CHECK_EQ(fn_ask(&fn, "key.example.", LDNS_RR_TYPE_TXT, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn.servers[EX].badcookies_sent, 1);
	CHECK_EQ(fn.servers[EX].queries, 3);
	CHECK(memcmp(fn.servers[EX].last_cookie, cc, 8) == 0); /* the same client cookie */
	/* the root's server does no cookies: asked once, with a client cookie, answered */
	CHECK_EQ(fn.servers[0].queries, 1);
	CHECK_EQ(fn.servers[0].last_cookie_len, 8);
	done(&fn, cfg);

	/* BADCOOKIE every time: once more over UDP, then over TCP, then no more */
	world(&fn, &cfg, false, true);
	fn.servers[EX].cookies = FN_COOKIE_ALWAYS_BAD;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(fn.servers[EX].queries, 3);
	CHECK_EQ(fn.servers[EX].tcp_queries, 1);
	CHECK(fn_trace_has(&fn, "BADCOOKIE again: asking over TCP"));
	CHECK(fn_trace_has(&fn, "BADCOOKIE again: trying the next server"));
	/* the TCP query carried the cookies too: client and the server's */
	CHECK_EQ(fn.servers[EX].last_cookie_len, 24);
	CHECK_EQ(rw_resolver_stats(fn.r)->upstream_badcookie, 3);
	done(&fn, cfg);

	/* upstream-cookies: no: no COOKIE option at all, and such a server answers */
	world(&fn, &cfg, false, false);
	fn.servers[EX].cookies = FN_COOKIE_REQUIRE;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn.servers[EX].last_cookie_len, 0);
	CHECK_EQ(fn.servers[EX].badcookies_sent, 0);
	done(&fn, cfg);
}

/* Once a server gave us a cookie, a UDP reply without one is dropped (a forger strips it): the
 * real reply is taken. If only such replies come, TCP decides: a TCP reply without a cookie
 * means the server stopped doing cookies, and its cookie is forgotten. */
static void test_missing_cookie(void)
{
	struct fakenet fn;
	struct rw_config *cfg;
	world(&fn, &cfg, false, true);
	fn.servers[EX].cookies = FN_COOKIE_REQUIRE;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	fn.servers[EX].spoof_nocookie = true;
	CHECK_EQ(fn_ask(&fn, "key.example.", LDNS_RR_TYPE_TXT, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn.forged_accepted, 0);
	CHECK_EQ(fn.servers[EX].tcp_queries, 0);
	CHECK_EQ(rw_resolver_stats(fn.r)->upstream_cookie_missing, 1);
	CHECK(fn_trace_has(&fn, "rejected: no COOKIE from a server that gave us one"));
	/* the server stops doing cookies: the UDP reply is dropped, TCP is asked and believed */
	fn.servers[EX].spoof_nocookie = false;
	fn.servers[EX].cookies = FN_COOKIE_NONE;
	CHECK_EQ(fn_ask(&fn, "ns.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&fn, "192.0.2.2"));
	CHECK_EQ(fn.servers[EX].tcp_queries, 1);
	CHECK(fn_trace_has(&fn, "the only replies had no COOKIE: asking over TCP"));
	/* its cookie is forgotten: only the client cookie goes out, UDP replies are taken */
	CHECK_EQ(fn_ask(&fn, "a.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(fn.servers[EX].last_cookie_len, 8);
	CHECK_EQ(fn.servers[EX].tcp_queries, 1);
	CHECK_EQ(rw_resolver_stats(fn.r)->upstream_cookie_missing, 2);
	done(&fn, cfg);
}

/* A reply whose COOKIE carries another client cookie is not ours: dropped, counted, traced, and
 * its data never served. */
static void test_wrong_client_cookie(void)
{
	struct fakenet fn;
	struct rw_config *cfg;
	world(&fn, &cfg, false, true);
	fn.servers[EX].cookies = FN_COOKIE_WRONG;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK(!fn_has(&fn, "203.0.113.7"));
	CHECK(fn.rejected >= 1);
	CHECK_EQ(rw_resolver_stats(fn.r)->upstream_cookie_mismatch, fn.rejected);
	CHECK(fn_trace_has(&fn, "rejected: client cookie differs from the one sent"));
	done(&fn, cfg);
}

/* A forged UDP reply in another letter case, then no reply (a slow server): the forgery is
 * dropped, counted and logged, the question is asked over TCP and answered, and the server
 * keeps 0x20: the next question goes with it. */
static void test_forged_case_keeps_0x20(void)
{
	struct fakenet fn;
	struct rw_config *cfg;
	world(&fn, &cfg, true, false);
	fn.servers[EX].spoof_case = true;
	fn.servers[EX].udp_silent = true;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&fn, "203.0.113.7"));
	CHECK_EQ(fn.servers[EX].tcp_queries, 1);
	const struct rw_stats *st = rw_resolver_stats(fn.r);
	CHECK_EQ(st->upstream_case_mismatch, 1);
	CHECK_EQ(st->upstream_no_0x20, 0);
	CHECK(fn_trace_has(&fn, "rejected: question case differs from the 0x20 case sent "
				"(possible spoofing)"));
	CHECK_EQ(fn.logs, 1);
	CHECK(strstr(fn.last_log, "possible spoofing: 1 upstream reply") != NULL);
	fn_clear_trace(&fn);
	fn.servers[EX].spoof_case = fn.servers[EX].udp_silent = false;
	CHECK_EQ(fn_ask(&fn, "key.example.", LDNS_RR_TYPE_TXT, true), LDNS_RCODE_NOERROR);
	CHECK(fn_trace_has(&fn, "(0x20)"));
	CHECK_EQ(fn.servers[EX].tcp_queries, 1);
	done(&fn, cfg);

	/* many forgeries, each followed by the real reply: every forgery dropped, one log line */
	world(&fn, &cfg, true, false);
	fn.servers[EX].spoof_case = true;
	const char *names[] = {"www.example.", "key.example.", "ns.example.", "a.example.",
			       "b.example."};
	for (int i = 0; i < 5; i++)
		fn_ask(&fn, names[i], LDNS_RR_TYPE_A, true);
	st = rw_resolver_stats(fn.r);
	CHECK_EQ(st->upstream_case_mismatch, 5);
	CHECK_EQ(st->upstream_no_0x20, 0);
	CHECK_EQ(fn.servers[EX].tcp_queries, 0);
	CHECK_EQ(fn.logs, 1);
	CHECK_EQ(fn.forged_accepted, 0);
	done(&fn, cfg);
}

/* Evidence that a server ignores case: a UDP reply that echoes our client cookie (no off-path
 * forger knows it). 0x20 is off for that server for RW_INFRA_NO0X20_S, then on again. */
static void test_case_evidence_and_expiry(void)
{
	struct fakenet fn;
	struct rw_config *cfg;
	world(&fn, &cfg, true, true);
	fn.servers[EX].lower_case = true;
	fn.servers[EX].cookies = FN_COOKIE_REQUIRE;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&fn, "203.0.113.7"));
	CHECK_EQ(fn.servers[EX].tcp_queries, 0);
	CHECK_EQ(fn.rejected, 0);
	CHECK(fn_trace_has(&fn, "no 0x20: the server does not echo the 0x20 case (a cookie-checked "
				"UDP reply): asked without 0x20 for 300 s"));
	CHECK_EQ(rw_resolver_stats(fn.r)->upstream_no_0x20, 1);
	/* 200 s on: still without 0x20 */
	fn_advance(&fn, 200);
	fn_clear_trace(&fn);
	CHECK_EQ(fn_ask(&fn, "key.example.", LDNS_RR_TYPE_TXT, true), LDNS_RCODE_NOERROR);
	CHECK(!fn_trace_has(&fn, "(0x20)"));
	/* 301 s after the evidence: 0x20 again (and found out again) */
	fn_advance(&fn, 101);
	fn_clear_trace(&fn);
	CHECK_EQ(fn_ask(&fn, "ns.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_trace_has(&fn, "(0x20)"));
	CHECK_EQ(rw_resolver_stats(fn.r)->upstream_no_0x20, 2);
	done(&fn, cfg);
}

int main(void)
{
	if (fn_hints_file(hints, sizeof(hints)) < 0)
		return 1;
	test_wire();
	test_badcookie_retry();
	test_wrong_client_cookie();
	test_missing_cookie();
	test_forged_case_keeps_0x20();
	test_case_evidence_and_expiry();
	unlink(hints);
	return rw_check_report("cookie_client");
}
