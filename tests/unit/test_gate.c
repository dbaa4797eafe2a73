/* The client gate through the whole resolver on the fake network: access control (deny,
 * refuse, allow and RD=0, allow_snoop, over UDP and TCP), the rate limit with the fake clock,
 * and the COOKIE option on the fast path and the walked answer at the edge of the client's
 * UDP size. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "fakenet.h"
#include "rootwalk/cookie.h"
#include "rootwalk/wire.h"

struct got {
	int calls;
	uint8_t resp[65536];
	size_t len;
};

static void on_resp(void *arg, const uint8_t *resp, size_t len)
{
	struct got *g = arg;
	g->calls++;
	g->len = len;
	if (len)
		memcpy(g->resp, resp, len);
}

/* A query for qname/qtype (flags: RD or not), with EDNS of size bufsize when bufsize > 0 and
 * a COOKIE option of clen bytes from cookie when clen > 0. */
static size_t query(uint8_t *out, const char *qname, uint16_t qtype, bool rd, uint16_t bufsize,
		    const uint8_t *cookie, size_t clen)
{
	ldns_rdf *name = ldns_dname_new_frm_str(qname);
	size_t n = 12;
	memset(out, 0, 12);
	rw_put16(out, 0x4242);
	rw_put16(out + 2, rd ? RW_FLAG_RD : 0);
	rw_put16(out + 4, 1);
	memcpy(out + n, ldns_rdf_data(name), ldns_rdf_size(name));
	n += ldns_rdf_size(name);
	ldns_rdf_deep_free(name);
	rw_put16(out + n, qtype);
	rw_put16(out + n + 2, 1);
	n += 4;
	if (bufsize) {
		rw_put16(out + 10, 1);
		n += rw_wire_put_opt(out + n, 0, 0);
		rw_put16(out + n - 9 + 1, bufsize); /* CLASS: the UDP size */
		if (clen) {
			rw_put16(out + n - 2, (uint16_t)(4 + clen));
			rw_put16(out + n, RW_OPT_COOKIE);
			rw_put16(out + n + 2, (uint16_t)clen);
			memcpy(out + n + 4, cookie, clen);
			n += 4 + clen;
		}
	}
	return n;
}

static struct sockaddr_in v4(const char *s)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(5353);
	inet_pton(AF_INET, s, &a.sin_addr);
	return a;
}

static void ask(struct fakenet *fn, struct got *g, const char *from, const uint8_t *q, size_t n,
		enum rw_proto proto)
{
	struct sockaddr_in a = v4(from);
	g->calls = 0;
	g->len = 0;
	CHECK_EQ(
		rw_resolver_query(fn->r, q, n, (struct sockaddr *)&a, sizeof(a), proto, on_resp, g),
		0);
	fn_run(fn, 200);
	CHECK_EQ(g->calls, 1);
}

static int rcode_of(const struct got *g)
{
	return g->len >= 12 ? g->resp[3] & 15 : -1;
}

/* The COOKIE option content at the end of the response, or NULL. */
static const uint8_t *cookie_in(const struct got *g)
{
	if (g->len < 12 + 28 || rw_get16(g->resp + g->len - 28) != RW_OPT_COOKIE ||
	    rw_get16(g->resp + g->len - 26) != 24)
		return NULL;
	return g->resp + g->len - 24;
}

static void add_acl(struct rw_config *cfg, const char *net, unsigned prefix,
		    enum rw_acl_action action)
{
	cfg->acl = realloc(cfg->acl, (cfg->n_acl + 1) * sizeof(*cfg->acl));
	struct rw_config_acl *a = &cfg->acl[cfg->n_acl++];
	memset(a, 0, sizeof(*a));
	struct sockaddr_in s = v4(net);
	memcpy(&a->nb.addr, &s, sizeof(s));
	a->nb.prefix = prefix;
	a->action = action;
}

static void test_access(const char *hints)
{
	struct fakenet fn;
	struct got *g = calloc(1, sizeof(*g));
	uint8_t q[600];
	fn_init(&fn, false);
	fn_example_world(&fn);
	struct rw_config *cfg = fn_config(hints);
	add_acl(cfg, "198.51.100.0", 24, RW_ACL_DENY);
	add_acl(cfg, "198.51.100.7", 32, RW_ACL_ALLOW);
	add_acl(cfg, "203.0.113.0", 24, RW_ACL_ALLOW_SNOOP);
	fn_start(&fn, cfg);
	const struct rw_stats *st = rw_resolver_stats(fn.r);

	size_t n = query(q, "www.example.", LDNS_RR_TYPE_A, true, 1232, NULL, 0);
	ask(&fn, g, "198.51.100.1", q, n, RW_PROTO_UDP);
	CHECK_EQ(g->len, 0); /* deny: nothing */
	ask(&fn, g, "198.51.100.1", q, n, RW_PROTO_TCP);
	CHECK_EQ(g->len, 0);
	CHECK_EQ(st->acl_denied, 2);
	ask(&fn, g, "192.0.2.200", q, n, RW_PROTO_UDP); /* the default: refused */
	CHECK_EQ(rcode_of(g), LDNS_RCODE_REFUSED);
	CHECK_EQ(g->len, 12); /* the header alone, as Unbound answers */
	CHECK_EQ(rw_get16(g->resp), 0x4242);
	CHECK_EQ(rw_get16(g->resp + 2), RW_FLAG_QR | RW_FLAG_RD | LDNS_RCODE_REFUSED);
	CHECK_EQ(st->acl_refused, 1);
	CHECK_EQ(fn.sent_total, 0);			 /* nothing was asked upstream for them */
	ask(&fn, g, "198.51.100.7", q, n, RW_PROTO_UDP); /* /32 allow beats /24 deny */
	CHECK_EQ(rcode_of(g), LDNS_RCODE_NOERROR);
	CHECK_EQ(rw_get16(g->resp + 6), 1);
	/* RD=0: refused for allow (cached or not), answered for allow_snoop */
	n = query(q, "www.example.", LDNS_RR_TYPE_A, false, 1232, NULL, 0);
	ask(&fn, g, "198.51.100.7", q, n, RW_PROTO_UDP);
	CHECK_EQ(rcode_of(g), LDNS_RCODE_REFUSED);
	ask(&fn, g, "127.0.0.1", q, n, RW_PROTO_UDP);
	CHECK_EQ(rcode_of(g), LDNS_RCODE_REFUSED);
	ask(&fn, g, "203.0.113.9", q, n, RW_PROTO_UDP);
	CHECK_EQ(rcode_of(g), LDNS_RCODE_NOERROR);
	CHECK_EQ(rw_get16(g->resp + 6), 1);
	CHECK_EQ(st->acl_refused, 3);
	/* a local zone is answered to RD=0 from allow, as Unbound does */
	n = query(q, "localhost.", LDNS_RR_TYPE_A, false, 1232, NULL, 0);
	ask(&fn, g, "127.0.0.1", q, n, RW_PROTO_UDP);
	CHECK_EQ(rcode_of(g), LDNS_RCODE_NOERROR);
	rw_resolver_free(fn.r);
	fn.r = NULL;
	rw_config_free(cfg);
	fn_free(&fn);
	free(g);
}

static void test_ratelimit(const char *hints)
{
	struct fakenet fn;
	struct got *g = calloc(1, sizeof(*g));
	uint8_t q[600], cc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	fn_init(&fn, false);
	fn_example_world(&fn);
	struct rw_config *cfg = fn_config(hints);
	cfg->ip_ratelimit = 2;
	cfg->ip_ratelimit_slip = 2;
	fn_start(&fn, cfg);
	const struct rw_stats *st = rw_resolver_stats(fn.r);
	size_t n = query(q, "www.example.", LDNS_RR_TYPE_A, true, 1232, NULL, 0);
	fn_advance(&fn, 1);
	int full = 0, tc = 0, none = 0;
	for (int i = 0; i < 6; i++) {
		ask(&fn, g, "127.0.0.1", q, n, RW_PROTO_UDP);
		if (!g->len) {
			none++;
		} else if (g->resp[2] & (RW_FLAG_TC >> 8)) {
			tc++;
			CHECK_EQ(rw_get16(g->resp + 6), 0);
		} else {
			full++;
		}
	}
	CHECK_EQ(full, 2);
	CHECK_EQ(tc, 2);
	CHECK_EQ(none, 2);
	CHECK_EQ(st->ratelimit_dropped, 2);
	CHECK_EQ(st->ratelimit_slipped, 2);
	ask(&fn, g, "127.0.0.1", q, n, RW_PROTO_TCP); /* TCP: not limited */
	CHECK_EQ(rw_get16(g->resp + 6), 1);
	/* the same /24 shares the count; a client cookie alone does not exempt, and the TC
	 * answer carries the server cookie that does */
	n = query(q, "www.example.", LDNS_RR_TYPE_A, true, 1232, cc, 8);
	ask(&fn, g, "127.0.0.2", q, n, RW_PROTO_UDP);
	ask(&fn, g, "127.0.0.2", q, n, RW_PROTO_UDP);
	CHECK(g->len > 0 && (g->resp[2] & (RW_FLAG_TC >> 8)));
	const uint8_t *ck = cookie_in(g);
	CHECK(ck != NULL);
	uint8_t full_cookie[24];
	if (ck)
		memcpy(full_cookie, ck, 24);
	n = query(q, "www.example.", LDNS_RR_TYPE_A, true, 1232, full_cookie, 24);
	for (int i = 0; i < 5; i++) {
		ask(&fn, g, "127.0.0.2", q, n, RW_PROTO_UDP);
		CHECK(g->len > 0 && !(g->resp[2] & (RW_FLAG_TC >> 8)));
	}
	/* the cookie is bound to the address */
	ask(&fn, g, "127.0.0.3", q, n, RW_PROTO_UDP);
	CHECK(g->len == 0 || (g->resp[2] & (RW_FLAG_TC >> 8)));
	CHECK_EQ(st->cookies[RW_COOKIE_VALID], 5);
	CHECK_EQ(st->cookies[RW_COOKIE_INVALID], 1);
	/* the next second starts afresh */
	fn_advance(&fn, 1);
	n = query(q, "www.example.", LDNS_RR_TYPE_A, true, 1232, NULL, 0);
	ask(&fn, g, "127.0.0.1", q, n, RW_PROTO_UDP);
	CHECK_EQ(rw_get16(g->resp + 6), 1);
	rw_resolver_free(fn.r);
	fn.r = NULL;
	rw_config_free(cfg);
	fn_free(&fn);
	free(g);
}

/* An answer of 500 bytes without the cookie: 528 with it. At 512 it must be truncated (from
 * the cache as from the walk), at 1232 whole, with the cookie, from the fast path. */
static void test_cookie_at_the_edge(const char *hints)
{
	struct fakenet fn;
	struct got *g = calloc(1, sizeof(*g));
	uint8_t q[600], cc[8] = {9, 9, 9, 9, 9, 9, 9, 9};
	char recs[2048], s1[201], s2[247];
	memset(s1, 'a', 200);
	s1[200] = 0;
	memset(s2, 'b', 246);
	s2[246] = 0;
	fn_init(&fn, false);
	fn_example_world(&fn);
	snprintf(recs, sizeof(recs),
		 "example. 3600 IN SOA ns.example. host.example. 1 1800 900 604800 300\n"
		 "example. 3600 IN NS ns.example.\n"
		 "ns.example. 3600 IN A 192.0.2.2\n"
		 "big.example. 300 IN TXT \"%s\" \"%s\"\n",
		 s1, s2);
	fn_server_records(&fn, 1, recs);
	struct rw_config *cfg = fn_config(hints);
	fn_start(&fn, cfg);
	const struct rw_stats *st = rw_resolver_stats(fn.r);
	size_t n = query(q, "big.example.", LDNS_RR_TYPE_TXT, true, 1232, NULL, 0);
	ask(&fn, g, "127.0.0.1", q, n, RW_PROTO_UDP);
	CHECK_EQ(g->len, 500); /* the size this test is built on */
	for (int round = 0; round < 2; round++) {
		n = query(q, "big.example.", LDNS_RR_TYPE_TXT, true, 512, cc, 8);
		ask(&fn, g, "127.0.0.1", q, n, RW_PROTO_UDP);
		CHECK(g->len <= 512);
		CHECK(g->resp[2] & (RW_FLAG_TC >> 8));
		CHECK(cookie_in(g) != NULL);
		n = query(q, "big.example.", LDNS_RR_TYPE_TXT, true, 1232, cc, 8);
		uint64_t fast = st->fast_path;
		ask(&fn, g, "127.0.0.1", q, n, RW_PROTO_UDP);
		CHECK_EQ(g->len, 528);
		CHECK_EQ(st->fast_path, fast + 1);
		CHECK(!(g->resp[2] & (RW_FLAG_TC >> 8)));
		CHECK(cookie_in(g) != NULL && memcmp(cookie_in(g), cc, 8) == 0);
	}
	rw_resolver_free(fn.r);
	fn.r = NULL;
	rw_config_free(cfg);
	fn_free(&fn);
	free(g);
}

/* Two resolvers over one rw_shared, as two worker threads have: a server cookie made by one
 * is valid at the other, and the rate limit counts a client's queries at both together. */
static void test_two_resolvers_share_the_gate(const char *hints)
{
	struct fakenet fn;
	struct got *g = calloc(1, sizeof(*g));
	uint8_t q[600], cc[8] = {7, 7, 7, 7, 1, 2, 3, 4}, full_cookie[24];
	struct sockaddr_in a = v4("127.0.0.1");
	char err[256];
	fn_init(&fn, false);
	fn_example_world(&fn);
	struct rw_config *cfg = fn_config(hints);
	cfg->ip_ratelimit = 3;
	cfg->ip_ratelimit_slip = 0;
	fn_start(&fn, cfg);
	struct rw_resolver *r1 = fn.r;
	struct rw_resolver *r2 =
		rw_resolver_new_shared(&fn.env, cfg, rw_resolver_shared(r1), err, sizeof(err));
	CHECK(r2 != NULL);
	if (!r2)
		return;
	fn_advance(&fn, 1);
	/* the first resolver makes the server cookie... */
	size_t n = query(q, "localhost.", LDNS_RR_TYPE_A, true, 1232, cc, 8);
	ask(&fn, g, "127.0.0.1", q, n, RW_PROTO_UDP);
	const uint8_t *ck = cookie_in(g);
	CHECK(ck != NULL);
	if (!ck)
		return;
	memcpy(full_cookie, ck, 24);
	/* ...which the second finds valid */
	n = query(q, "localhost.", LDNS_RR_TYPE_A, true, 1232, full_cookie, 24);
	g->calls = 0;
	CHECK_EQ(rw_resolver_query(r2, q, n, (struct sockaddr *)&a, sizeof(a), RW_PROTO_UDP,
				   on_resp, g),
		 0);
	CHECK_EQ(g->calls, 1);
	CHECK_EQ(rw_resolver_stats(r2)->cookies[RW_COOKIE_VALID], 1);
	CHECK_EQ(rw_resolver_stats(r2)->cookies[RW_COOKIE_INVALID], 0);
	/* 3 a second for the client's block: two more at the first resolver, then the second
	 * resolver's first query is the fourth of the second */
	n = query(q, "localhost.", LDNS_RR_TYPE_A, true, 1232, NULL, 0);
	ask(&fn, g, "127.0.0.1", q, n, RW_PROTO_UDP);
	CHECK(g->len > 0);
	ask(&fn, g, "127.0.0.1", q, n, RW_PROTO_UDP);
	CHECK(g->len > 0);
	g->calls = 0;
	CHECK_EQ(rw_resolver_query(r2, q, n, (struct sockaddr *)&a, sizeof(a), RW_PROTO_UDP,
				   on_resp, g),
		 0);
	CHECK_EQ(g->calls, 1);
	CHECK_EQ(g->len, 0);
	CHECK_EQ(rw_resolver_stats(r2)->ratelimit_dropped, 1);
	rw_resolver_free(r2);
	rw_resolver_free(fn.r);
	fn.r = NULL;
	rw_config_free(cfg);
	fn_free(&fn);
	free(g);
}

int main(void)
{
	char hints[64];
	if (fn_hints_file(hints, sizeof(hints)) < 0)
		return 1;
	test_access(hints);
	test_ratelimit(hints);
	test_cookie_at_the_edge(hints);
	test_two_resolvers_share_the_gate(hints);
	unlink(hints);
	return rw_check_report("test_gate");
}
