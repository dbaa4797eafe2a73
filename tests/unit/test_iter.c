/* The delegation walk, driven by a scripted network and a fake clock: no sockets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "fakenet.h"
#include "rootwalk/cache.h"
#include "rootwalk/resolver.h"

static char hints_path[64];

static const char *ROOT_DATA =
	". 86400 IN SOA a.root-servers.net. host.root-servers.net. 1 1800 900 604800 300\n"
	". 518400 IN NS a.root-servers.net.\n"
	"a.root-servers.net. 518400 IN A 192.0.2.1\n"
	"com. 172800 IN NS a.gtld-servers.com.\n"
	"com. 172800 IN NS b.gtld-servers.com.\n"
	"a.gtld-servers.com. 172800 IN A 192.0.2.10\n"
	"b.gtld-servers.com. 172800 IN A 192.0.2.11\n"
	"net. 172800 IN NS a.gtld-servers.net.\n"
	"a.gtld-servers.net. 172800 IN A 192.0.2.20\n";

static const char *COM_DATA =
	"com. 900 IN SOA a.gtld-servers.com. host.gtld-servers.com. 1 1800 900 604800 300\n"
	"com. 172800 IN NS a.gtld-servers.com.\n"
	"example.com. 172800 IN NS ns1.example.com.\n"
	"ns1.example.com. 172800 IN A 192.0.2.30\n"
	"video.com. 172800 IN NS ns1.dnshost.net.\n"
	"evil.com. 172800 IN NS ns.evil.net.\n"
	/* out-of-bailiwick "glue" that a resolver must not believe */
	"ns.evil.net. 172800 IN A 192.0.2.66\n";

static const char *NET_DATA =
	"net. 900 IN SOA a.gtld-servers.net. host.gtld-servers.net. 1 1800 900 604800 300\n"
	"net. 172800 IN NS a.gtld-servers.net.\n"
	"dnshost.net. 172800 IN NS ns1.dnshost.net.\n"
	"ns1.dnshost.net. 172800 IN A 192.0.2.40\n"
	"evil.net. 172800 IN NS ns.evil.net.\n"
	"ns.evil.net. 172800 IN A 192.0.2.31\n"
	"cdn.net. 172800 IN NS ns.cdn.net.\n"
	"ns.cdn.net. 172800 IN A 192.0.2.50\n";

static const char *EXAMPLE_DATA =
	"example.com. 3600 IN SOA ns1.example.com. host.example.com. 1 1800 900 604800 600\n"
	"example.com. 3600 IN NS ns1.example.com.\n"
	"ns1.example.com. 3600 IN A 192.0.2.30\n"
	"example.com. 300 IN A 203.0.113.1\n"
	"www.example.com. 300 IN CNAME example.com.\n"
	"alias.example.com. 300 IN CNAME www.cdn.net.\n"
	"loop1.example.com. 300 IN CNAME loop2.example.com.\n"
	"loop2.example.com. 300 IN CNAME loop1.example.com.\n"
	"txtonly.example.com. 300 IN TXT \"only text here\"\n"
	"a.b.c.example.com. 300 IN A 203.0.113.5\n"
	"big.example.com. 300 IN TXT "
	"\"1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxx\"\n"
	"big.example.com. 300 IN TXT "
	"\"2xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxx\"\n"
	"big.example.com. 300 IN TXT "
	"\"3xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxx\"\n"
	"big.example.com. 300 IN TXT "
	"\"4xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxx\"\n";

static const char *DNSHOST_DATA =
	"dnshost.net. 3600 IN SOA ns1.dnshost.net. host.dnshost.net. 1 1800 900 604800 300\n"
	"dnshost.net. 3600 IN NS ns1.dnshost.net.\n"
	"ns1.dnshost.net. 3600 IN A 192.0.2.40\n"
	"video.com. 3600 IN SOA ns1.dnshost.net. host.dnshost.net. 1 1800 900 604800 300\n"
	"video.com. 3600 IN NS ns1.dnshost.net.\n"
	"video.com. 300 IN A 203.0.113.42\n";

static const char *CDN_DATA =
	"cdn.net. 3600 IN SOA ns.cdn.net. host.cdn.net. 1 1800 900 604800 300\n"
	"cdn.net. 3600 IN NS ns.cdn.net.\n"
	"ns.cdn.net. 3600 IN A 192.0.2.50\n"
	"www.cdn.net. 60 IN A 203.0.113.99\n";

static const char *EVIL_DATA =
	"evil.net. 3600 IN SOA ns.evil.net. host.evil.net. 1 1800 900 604800 300\n"
	"evil.net. 3600 IN NS ns.evil.net.\n"
	"ns.evil.net. 3600 IN A 192.0.2.31\n"
	"evil.com. 3600 IN SOA ns.evil.net. host.evil.net. 1 1800 900 604800 300\n"
	"evil.com. 3600 IN NS ns.evil.net.\n"
	"evil.com. 300 IN A 203.0.113.7\n";

enum { S_ROOT, S_COM1, S_COM2, S_NET, S_EXAMPLE, S_DNSHOST, S_CDN, S_EVIL };

struct world {
	struct fakenet fn;
	struct rw_config *cfg;
};

static void world_up(struct world *w, bool tracing, uint64_t seed,
		     void (*tweak)(struct rw_config *cfg))
{
	fn_init(&w->fn, tracing);
	w->fn.rng = seed;
	fn_server(&w->fn, "192.0.2.1", ".", ROOT_DATA);
	fn_server(&w->fn, "192.0.2.10", "com.", COM_DATA);
	fn_server(&w->fn, "192.0.2.11", "com.", COM_DATA);
	fn_server(&w->fn, "192.0.2.20", "net.", NET_DATA);
	fn_server(&w->fn, "192.0.2.30", "example.com.", EXAMPLE_DATA);
	fn_server(&w->fn, "192.0.2.40", "dnshost.net. video.com.", DNSHOST_DATA);
	fn_server(&w->fn, "192.0.2.50", "cdn.net.", CDN_DATA);
	fn_server(&w->fn, "192.0.2.31", "evil.net. evil.com.", EVIL_DATA);
	w->cfg = fn_config(hints_path);
	if (tweak)
		tweak(w->cfg);
	fn_start(&w->fn, w->cfg);
}

static void world_down(struct world *w)
{
	fn_free(&w->fn);
	rw_config_free(w->cfg);
}

static void test_referral_chain(void)
{
	struct world w;
	world_up(&w, true, 1, NULL);
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.1"));
	CHECK_EQ(fn_ttl(&w.fn, LDNS_RR_TYPE_A), 300);
	CHECK_EQ(w.fn.sent_total, 3); /* root, com, example.com */
	CHECK_EQ(w.fn.servers[S_ROOT].queries, 1);
	CHECK_EQ(w.fn.servers[S_EXAMPLE].queries, 1);
	CHECK(fn_trace_has(&w.fn, "step 1  zone .  ask a.root-servers.net. (192.0.2.1) udp"));
	CHECK(fn_trace_has(&w.fn, "referral to com. NS"));
	CHECK(fn_trace_has(&w.fn, "step 2  zone com."));
	CHECK(fn_trace_has(&w.fn,
			   "referral to example.com. NS ns1.example.com.  ttl 86400, glue used"));
	CHECK(fn_trace_has(&w.fn, "step 3  zone example.com.  ask ns1.example.com. (192.0.2.30)"));
	/* answer expiry: stored at 10:00:00 plus 3 ms of fake RTT, TTL 300 */
	CHECK(fn_trace_has(
		&w.fn, "example.com. 300 IN A 203.0.113.1   ; fetched 2026-11-25T10:00:00.003Z "
		       "from ns1.example.com. (192.0.2.30) zone example.com., original ttl 300, "
		       "expires 2026-11-25T10:05:00.003Z (in 5m00s)"));
	CHECK(fn_trace_has(&w.fn, "3 upstream queries"));
	CHECK_EQ(rw_resolver_pending(w.fn.r), 0);

	/* From the cache: nothing sent, TTL counts down with the clock. */
	fn_advance(&w.fn, 100);
	w.fn.trace_len = 0;
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(w.fn.sent_total, 3);
	CHECK_EQ(fn_ttl(&w.fn, LDNS_RR_TYPE_A), 200);
	CHECK(fn_trace_has(&w.fn, "cache hit: example.com. A"));
	CHECK(fn_trace_has(&w.fn, "0 upstream queries"));
	/* traced, yet answered by the fast path, with the provenance in the trace */
	CHECK_EQ(rw_resolver_stats(w.fn.r)->fast_path, 1);
	CHECK(fn_trace_has(&w.fn,
			   "example.com. 200 IN A 203.0.113.1   ; cached, stored "
			   "2026-11-25T10:00:00.003Z from ns1.example.com. (192.0.2.30) zone "
			   "example.com., original ttl 300, expires 2026-11-25T10:05:00.003Z"));
	CHECK(fn_trace_has(&w.fn, ";; answer NOERROR for example.com."));

	/* After expiry: a fresh query, starting from the cached example.com. delegation. */
	fn_advance(&w.fn, 201);
	w.fn.trace_len = 0;
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(w.fn.sent_total, 4);
	CHECK_EQ(w.fn.servers[S_ROOT].queries, 1);
	CHECK(fn_trace_has(&w.fn, "closest known cut: example.com."));
	CHECK_EQ(fn_ttl(&w.fn, LDNS_RR_TYPE_A), 300);

	/* A second name under com. starts at the cached com. servers: no root query. */
	unsigned root_before = w.fn.servers[S_ROOT].queries;
	CHECK_EQ(fn_ask(&w.fn, "evil.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(w.fn.servers[S_ROOT].queries, root_before + 1); /* only for net. (ns.evil.net) */
	world_down(&w);
}

static void test_cname_across_zones(void)
{
	struct world w;
	world_up(&w, true, 2, NULL);
	CHECK_EQ(fn_ask(&w.fn, "alias.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_count(&w.fn, 0), 2);
	CHECK(fn_has(&w.fn, "www.cdn.net."));
	CHECK(fn_has(&w.fn, "203.0.113.99"));
	CHECK_EQ(fn_ttl(&w.fn, LDNS_RR_TYPE_A), 60);
	CHECK_EQ(w.fn.servers[S_CDN].queries, 1);
	CHECK(fn_trace_has(&w.fn, "cname alias.example.com. -> www.cdn.net."));

	/* An in-zone chain comes in one reply. */
	unsigned before = w.fn.sent_total;
	CHECK_EQ(fn_ask(&w.fn, "www.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_count(&w.fn, 0), 2);
	CHECK(fn_has(&w.fn, "203.0.113.1"));
	CHECK_EQ(w.fn.sent_total, before + 1);

	/* A loop is SERVFAIL. */
	CHECK_EQ(fn_ask(&w.fn, "loop1.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(fn_count(&w.fn, 0), 0); /* no partial chain in a failure */
	CHECK(fn_trace_has(&w.fn, "CNAME loop"));
	world_down(&w);
}

static void test_no_glue_subresolution(void)
{
	struct world w;
	world_up(&w, true, 3, NULL);
	CHECK_EQ(fn_ask(&w.fn, "video.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.42"));
	CHECK(fn_trace_has(&w.fn, "no usable glue"));
	CHECK(fn_trace_has(&w.fn, "sub-resolve ns1.dnshost.net. A"));
	CHECK(fn_trace_has(&w.fn, "step 2a.1"));
	CHECK(fn_trace_has(&w.fn, "1 sub-resolution"));
	/* root, com, then (root cached) net, then ns1.dnshost.net: answer comes from net glue,
	 * which is never an answer, so dnshost.net is asked, then video.com */
	CHECK(w.fn.sent_total <= 6);
	CHECK_EQ(w.fn.servers[S_DNSHOST].queries, 2);
	world_down(&w);
}

static void test_out_of_bailiwick_glue_ignored(void)
{
	struct world w;
	world_up(&w, true, 4, NULL);
	CHECK_EQ(fn_ask(&w.fn, "evil.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.7"));
	CHECK_EQ(w.fn.unknown, 0); /* never asked the forged 192.0.2.66 */
	CHECK_EQ(w.fn.servers[S_EVIL].queries, 2);
	world_down(&w);
}

static void drop_first_com(struct world *w)
{
	w->fn.servers[S_COM1].drop = true;
}

static void test_timeout_next_server(void)
{
	int timed_out = 0;
	for (uint64_t seed = 1; seed <= 8; seed++) {
		struct world w;
		world_up(&w, true, seed, NULL);
		drop_first_com(&w);
		CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
		CHECK(fn_has(&w.fn, "203.0.113.1"));
		CHECK_EQ(w.fn.servers[S_COM2].queries, 1);
		if (w.fn.servers[S_COM1].queries) {
			timed_out++;
			CHECK(fn_trace_has(
				&w.fn,
				"no reply from a.gtld-servers.com. (192.0.2.10) after 400 ms"));
			CHECK_EQ(rw_resolver_stats(w.fn.r)->upstream_timeouts, 1);
		}
		world_down(&w);
	}
	CHECK(timed_out > 0 && timed_out < 8); /* the random start spreads over both servers */
}

static void test_negative(void)
{
	struct world w;
	world_up(&w, true, 5, NULL);
	CHECK_EQ(fn_ask(&w.fn, "nope.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(fn_count(&w.fn, 0), 0);
	CHECK_EQ(fn_count(&w.fn, 1), 1);
	CHECK(fn_has(&w.fn, "SOA"));
	CHECK(fn_trace_has(&w.fn, "negative nxdomain for nope.example.com. A: SOA"));
	CHECK(fn_trace_has(&w.fn, "sets ttl 600"));
	unsigned sent = w.fn.sent_total;
	fn_advance(&w.fn, 599);
	CHECK_EQ(fn_ask(&w.fn, "nope.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(w.fn.sent_total, sent);
	fn_advance(&w.fn, 2);
	CHECK_EQ(fn_ask(&w.fn, "nope.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(w.fn.sent_total, sent + 1);

	CHECK_EQ(fn_ask(&w.fn, "txtonly.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_count(&w.fn, 0), 0);
	CHECK_EQ(fn_count(&w.fn, 1), 1);
	CHECK(fn_trace_has(&w.fn, "negative nodata"));
	CHECK_EQ(fn_ask(&w.fn, "txtonly.example.com.", LDNS_RR_TYPE_TXT, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "only text here"));
	world_down(&w);
}

static void test_tcp_fallback_and_spoofing(void)
{
	struct world w;
	world_up(&w, true, 6, NULL);
	w.fn.servers[S_EXAMPLE].tc_udp = true;
	w.fn.servers[S_ROOT].spoof_first = true;
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.1"));
	CHECK_EQ(w.fn.servers[S_EXAMPLE].tcp_queries, 1);
	CHECK_EQ(w.fn.servers[S_EXAMPLE].queries, 2);
	CHECK(fn_trace_has(&w.fn, "retrying over TCP"));
	CHECK(fn_trace_has(&w.fn, "(192.0.2.30) tcp"));
	CHECK_EQ(rw_resolver_stats(w.fn.r)->replies_rejected, 2);
	world_down(&w);
}

static void tiny_budget(struct rw_config *cfg)
{
	cfg->max_upstream_queries = 2;
}

static void test_limits(void)
{
	struct world w;
	world_up(&w, true, 7, tiny_budget);
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK(fn_trace_has(&w.fn, "limit max-upstream-queries (2)"));
	CHECK_EQ(rw_resolver_stats(w.fn.r)->servfail_reason[2], 1); /* "limit" */
	CHECK_EQ(w.fn.sent_total, 2);
	world_down(&w);

	/* Every com. server silent: SERVFAIL naming the zone, bounded queries. */
	world_up(&w, true, 8, NULL);
	w.fn.servers[S_COM1].drop = true;
	w.fn.servers[S_COM2].drop = true;
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK(fn_trace_has(&w.fn, "no reachable authority for com."));
	CHECK(w.fn.sent_total <= 8);
	CHECK_EQ(rw_resolver_pending(w.fn.r), 0);
	world_down(&w);
}

static void test_priming(void)
{
	struct world w;
	world_up(&w, true, 9, NULL);
	CHECK_EQ(rw_resolver_prime(w.fn.r), 0);
	fn_run(&w.fn, 20);
	CHECK_EQ(w.fn.servers[S_ROOT].queries, 1);
	CHECK(fn_trace_has(&w.fn, "priming"));
	ldns_rdf *root = ldns_dname_new_frm_str(".");
	struct rw_cache_entry e;
	CHECK(rw_cache_get(rw_resolver_cache(w.fn.r), RW_ENTRY_RRSET, root, LDNS_RR_TYPE_NS,
			   LDNS_RR_CLASS_IN, w.fn.wall_us, RW_RANK_ANSWER, &e));
	CHECK_EQ(e.rank, RW_RANK_ANSWER);
	rw_cache_entry_clear(&e);
	ldns_rdf_deep_free(root);
	/* the next query starts from the primed (cached) root, not the hints */
	w.fn.trace_len = 0;
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_trace_has(&w.fn, "closest known cut: .  (cache"));

	/* a day later the primed set has expired (cache-max-ttl 86400): a walk falls back to the
	 * hints and the root NS set is primed again (RFC 8109 4) */
	fn_advance(&w.fn, 86401);
	w.fn.trace_len = 0;
	unsigned root_before = w.fn.servers[S_ROOT].queries;
	CHECK_EQ(fn_ask(&w.fn, "video.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_trace_has(&w.fn, "(root hints from"));
	fn_run(&w.fn, 20);
	CHECK(fn_trace_has(&w.fn, "priming the root NS set"));
	ldns_rdf *root2 = ldns_dname_new_frm_str(".");
	CHECK(rw_cache_get(rw_resolver_cache(w.fn.r), RW_ENTRY_RRSET, root2, LDNS_RR_TYPE_NS,
			   LDNS_RR_CLASS_IN, w.fn.wall_us, RW_RANK_ANSWER, &e));
	rw_cache_entry_clear(&e);
	ldns_rdf_deep_free(root2);
	CHECK(w.fn.servers[S_ROOT].queries > root_before);
	CHECK_EQ(rw_resolver_pending(w.fn.r), 0);
	world_down(&w);
}

static void test_tracing_off(void)
{
	struct world w;
	world_up(&w, false, 10, NULL);
	CHECK_EQ(fn_ask(&w.fn, "video.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.42"));
	CHECK_EQ(w.fn.trace_len, 0);
	world_down(&w);
}

/* With tracing off, cache hits are answered by the cache's wire fast path. */
static void test_fast_path(void)
{
	struct world w;
	world_up(&w, false, 11, NULL);
	CHECK_EQ(fn_ask(&w.fn, "alias.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	unsigned sent = w.fn.sent_total;
	uint64_t hits = rw_resolver_stats(w.fn.r)->cache_hits;
	fn_advance(&w.fn, 10);
	CHECK_EQ(fn_ask(&w.fn, "ALIAS.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(w.fn.sent_total, sent);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->cache_hits, hits + 1);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->fast_path, 1);
	CHECK_EQ(fn_count(&w.fn, 0), 2);
	CHECK(fn_has(&w.fn, "ALIAS.example.com.\t290\tIN\tCNAME\twww.cdn.net."));
	CHECK(fn_has(&w.fn, "www.cdn.net.\t50\tIN\tA\t203.0.113.99"));
	CHECK(fn_has(&w.fn, "EDNS: version 0; flags: ; udp: 1232"));
	CHECK(fn_has(&w.fn, "flags: qr rd ra"));
	/* negative answers come with their SOA, its TTL counting down */
	CHECK_EQ(fn_ask(&w.fn, "nope.example.com.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NXDOMAIN);
	sent = w.fn.sent_total;
	fn_advance(&w.fn, 100);
	CHECK_EQ(fn_ask(&w.fn, "nope.example.com.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(w.fn.sent_total, sent);
	CHECK_EQ(fn_count(&w.fn, 1), 1);
	CHECK(fn_has(&w.fn, "example.com.\t500\tIN\tSOA"));
	CHECK(!fn_has(&w.fn, "EDNS"));
	/* A large RRset: whole with EDNS (1232), truncated to the question for a 512-byte client,
	 * from the upstream walk and from the cache alike. */
	for (int round = 0; round < 2; round++) {
		CHECK_EQ(fn_ask(&w.fn, "big.example.com.", LDNS_RR_TYPE_TXT, true),
			 LDNS_RCODE_NOERROR);
		CHECK_EQ(fn_count(&w.fn, 0), 4);
		CHECK(!fn_has(&w.fn, "flags: qr tc"));
		CHECK_EQ(fn_ask(&w.fn, "big.example.com.", LDNS_RR_TYPE_TXT, false),
			 LDNS_RCODE_NOERROR);
		CHECK_EQ(fn_count(&w.fn, 0), 0);
		CHECK(fn_has(&w.fn, "flags: qr tc rd ra"));
	}
	/* expired: not served, fetched again */
	sent = w.fn.sent_total;
	fn_advance(&w.fn, 600);
	CHECK_EQ(fn_ask(&w.fn, "nope.example.com.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(w.fn.sent_total, sent + 1);
	world_down(&w);
}

static void no_qmin(struct rw_config *cfg)
{
	cfg->qname_minimisation = false;
}

static void test_qname_minimisation(void)
{
	struct world w;
	world_up(&w, true, 12, NULL);
	CHECK_EQ(fn_ask(&w.fn, "a.b.c.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.5"));
	CHECK(fn_trace_has(&w.fn,
			   "zone .  ask a.root-servers.net. (192.0.2.1) udp  \"com. A\"  (qname "
			   "minimised)"));
	CHECK(fn_trace_has(&w.fn, "\"example.com. A\"  (qname minimised)"));
	CHECK(fn_trace_has(&w.fn, "\"c.example.com. A\"  (qname minimised)"));
	CHECK(fn_trace_has(&w.fn, "c.example.com. is inside the zone: asking one label more"));
	CHECK(fn_trace_has(&w.fn, "\"b.c.example.com. A\"  (qname minimised)"));
	CHECK(fn_trace_has(&w.fn, "\"a.b.c.example.com. A\"  timeout"));
	CHECK_EQ(w.fn.servers[S_EXAMPLE].queries, 3);
	world_down(&w);

	/* A server that says NXDOMAIN for an empty non-terminal: fall back to the full name. */
	world_up(&w, true, 12, NULL);
	w.fn.servers[S_EXAMPLE].ent_nxdomain = true;
	CHECK_EQ(fn_ask(&w.fn, "a.b.c.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.5"));
	CHECK(fn_trace_has(&w.fn,
			   "NXDOMAIN to the minimised question: asking the full name instead"));
	CHECK_EQ(w.fn.servers[S_EXAMPLE].queries, 2);
	world_down(&w);

	/* Off: the full question everywhere. */
	world_up(&w, true, 12, no_qmin);
	CHECK_EQ(fn_ask(&w.fn, "a.b.c.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(!fn_trace_has(&w.fn, "minimised"));
	CHECK_EQ(w.fn.servers[S_EXAMPLE].queries, 1);
	world_down(&w);
}

static void caps(struct rw_config *cfg)
{
	cfg->use_caps_for_id = true;
}

static void test_0x20(void)
{
	struct world w;
	world_up(&w, true, 13, caps);
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_trace_has(&w.fn, "(0x20)"));
	CHECK_EQ(w.fn.rejected, 0);
	world_down(&w);

	/* A server that does not echo the case: its UDP reply is rejected (it could be forged),
	 * the query times out and is asked over TCP, still with 0x20; the TCP reply in lower case
	 * shows the server ignores case, which is remembered: the next question goes without. */
	world_up(&w, true, 13, caps);
	w.fn.servers[S_EXAMPLE].lower_case = true;
	w.cfg->upstream_cookies = false; /* a cookie echo would prove the UDP reply genuine */
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.1"));
	CHECK_EQ(w.fn.rejected, 1);
	CHECK(fn_trace_has(&w.fn, "rejected: question case differs from the 0x20 case sent"));
	CHECK(fn_trace_has(&w.fn, "the only replies did not echo the 0x20 case: asking over TCP"));
	CHECK(fn_trace_has(&w.fn, "no 0x20: the server does not echo the 0x20 case (a TCP reply)"));
	CHECK_EQ(w.fn.servers[S_EXAMPLE].queries, 2);
	CHECK_EQ(w.fn.servers[S_EXAMPLE].tcp_queries, 1);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->upstream_no_0x20, 1);
	CHECK_EQ(fn_ask(&w.fn, "www.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(w.fn.rejected, 1);
	CHECK_EQ(w.fn.servers[S_EXAMPLE].queries, 3);
	CHECK_EQ(w.fn.servers[S_EXAMPLE].tcp_queries, 1);
	world_down(&w);
}

static void test_edns_fallback_and_lame(void)
{
	struct world w;
	world_up(&w, true, 14, NULL);
	w.fn.servers[S_EXAMPLE].no_edns = true;
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&w.fn, "203.0.113.1"));
	CHECK(fn_trace_has(&w.fn, "FORMERR to an EDNS query: retrying without EDNS"));
	CHECK(fn_trace_has(&w.fn, "(no EDNS)"));
	CHECK_EQ(w.fn.servers[S_EXAMPLE].queries, 2);
	/* remembered: the next question goes without EDNS at once */
	CHECK_EQ(fn_ask(&w.fn, "www.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(w.fn.servers[S_EXAMPLE].queries, 3);
	world_down(&w);

	/* A lame com. server: marked for com., never asked for com. again, even with the
	 * cache flushed (the infrastructure cache remembers). */
	world_up(&w, true, 15, NULL);
	w.fn.servers[S_COM1].refuse = true;
	for (int round = 0; round < 6; round++) {
		rw_cache_flush_all(rw_resolver_cache(w.fn.r));
		CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	}
	CHECK(w.fn.servers[S_COM1].queries <= 1);
	CHECK_EQ(w.fn.servers[S_COM2].queries, 6);
	world_down(&w);

	/* A silent com. server: later questions prefer the one that answers. */
	world_up(&w, true, 16, NULL);
	w.fn.servers[S_COM1].drop = true;
	for (int round = 0; round < 8; round++) {
		rw_cache_flush_all(rw_resolver_cache(w.fn.r));
		CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	}
	printf("silent server asked %u times in 8 cold walks\n", w.fn.servers[S_COM1].queries);
	CHECK(w.fn.servers[S_COM1].queries <= 3);
	CHECK_EQ(w.fn.servers[S_COM2].queries, 8);
	world_down(&w);
}

static void ask_again_once(struct fakenet *fn)
{
	if (fn->responses < 2)
		return; /* after the waiter's answer, not the first client's */
	fn->after_response = NULL;
	fn_submit(fn, "example.com.", LDNS_RR_TYPE_A, true, 1003);
}

static void test_ede_and_dedup(void)
{
	struct world w;
	world_up(&w, true, 17, NULL);
	w.fn.servers[S_COM1].drop = true;
	w.fn.servers[S_COM2].drop = true;
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(fn_ede(&w.fn), 22); /* No Reachable Authority */
	CHECK(fn_has(&w.fn, "no reachable authority for com."));
	world_down(&w);

	/* No route to any com. server: SERVFAIL at once with "Network Error". */
	world_up(&w, true, 17, NULL);
	w.fn.servers[S_COM1].unreachable = true;
	w.fn.servers[S_COM2].unreachable = true;
	uint64_t t0 = w.fn.mono_ms;
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(fn_ede(&w.fn), 23);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->servfail_reason[1], 1); /* "network_error" */
	CHECK(w.fn.mono_ms - t0 < 100);
	CHECK(fn_trace_has(&w.fn, "network error: no server of com. could be reached"));
	world_down(&w);

	/* Three clients, one question in flight: one walk, three answers. */
	world_up(&w, true, 18, NULL);
	fn_submit(&w.fn, "example.com.", LDNS_RR_TYPE_A, true, 1001);
	fn_submit(&w.fn, "EXAMPLE.com.", LDNS_RR_TYPE_A, true, 1002);
	fn_submit(&w.fn, "example.com.", LDNS_RR_TYPE_A, false, 1003);
	fn_run(&w.fn, 50);
	CHECK_EQ(w.fn.responses, 3);
	CHECK_EQ(w.fn.sent_total, 3);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->joined, 2);
	CHECK(fn_trace_has(&w.fn, "client 127.0.0.1#1002 (udp) asked the same question"));
	CHECK_EQ(rw_resolver_pending(w.fn.r), 0);
	world_down(&w);

	/* A client answered as a waiter asks the same question again at once (a TCP server reads
	 * the next query when an answer goes out): that one is answered too. */
	world_up(&w, true, 18, NULL);
	w.fn.servers[S_COM1].drop = true;
	w.fn.servers[S_COM2].drop = true; /* a slow SERVFAIL: nothing gets cached */
	fn_submit(&w.fn, "example.com.", LDNS_RR_TYPE_A, true, 1001);
	fn_submit(&w.fn, "example.com.", LDNS_RR_TYPE_A, true, 1002);
	w.fn.after_response = ask_again_once;
	fn_run(&w.fn, 50);
	CHECK_EQ(w.fn.responses, 3);
	CHECK_EQ(rw_resolver_pending(w.fn.r), 0);
	world_down(&w);
}

struct traced {
	int calls, rcode;
	char text[16384];
};

static void on_trace(void *arg, int rcode, const char *trace, size_t len)
{
	struct traced *t = arg;
	t->calls++;
	t->rcode = rcode;
	snprintf(t->text, sizeof(t->text), "%.*s", (int)len, trace);
}

/* rootwalk trace: the trace of one resolution, on demand; --fresh ignores cached answers. */
static void test_on_demand_trace(void)
{
	struct world w;
	struct traced t = {0};
	world_up(&w, false, 19, NULL);
	CHECK_EQ(fn_ask(&w.fn, "www.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	unsigned sent = w.fn.sent_total;
	CHECK(rw_resolver_trace(w.fn.r, "www.example.com", LDNS_RR_TYPE_A, false, RW_TRACE_TEXT,
				on_trace, &t) > 0);
	fn_run(&w.fn, 50);
	CHECK_EQ(t.calls, 1);
	CHECK_EQ(t.rcode, LDNS_RCODE_NOERROR);
	CHECK(strstr(t.text, "cache hit: www.example.com. A") != NULL);
	CHECK_EQ(w.fn.sent_total, sent);
	CHECK_EQ(w.fn.trace_len, 0); /* the trace log is off: only the caller gets it */

	CHECK(rw_resolver_trace(w.fn.r, "www.example.com.", LDNS_RR_TYPE_A, true, RW_TRACE_JSON,
				on_trace, &t) > 0);
	fn_run(&w.fn, 50);
	CHECK_EQ(t.calls, 2);
	CHECK(strstr(t.text, "\"ev\":\"send\"") != NULL);
	CHECK(strstr(t.text, "\"zone\":\"example.com.\"") != NULL);
	CHECK(strstr(t.text, "\"ev\":\"cache_hit\"") == NULL);
	CHECK_EQ(w.fn.sent_total, sent + 1); /* the cached delegation was used */

	/* a cancelled trace is not delivered */
	w.fn.servers[S_EXAMPLE].drop = true;
	uint64_t h = rw_resolver_trace(w.fn.r, "other.example.com.", LDNS_RR_TYPE_A, true,
				       RW_TRACE_TEXT, on_trace, &t);
	CHECK(h > 0);
	rw_resolver_trace_cancel(w.fn.r, h);
	fn_run(&w.fn, 50);
	CHECK_EQ(t.calls, 2);
	CHECK_EQ(rw_resolver_pending(w.fn.r), 0);

	/* reconfigure keeps the cache */
	struct rw_config *cfg2 = fn_config(hints_path);
	cfg2->max_cname_chain = 0;
	char err[128];
	CHECK_EQ(rw_resolver_reconfigure(w.fn.r, cfg2, err, sizeof(err)), 0);
	w.fn.servers[S_EXAMPLE].drop = false;
	sent = w.fn.sent_total;
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(w.fn.sent_total, sent); /* still cached (it came with the www chain) */
	CHECK_EQ(fn_ask(&w.fn, "alias.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	world_down(&w);
	rw_config_free(cfg2);
}

static const char *filter_text;

static void filters(struct rw_config *cfg)
{
	struct rw_config *f = NULL;
	char err[256];
	if (rw_config_parse(filter_text, strlen(filter_text), "filters", &f, err, sizeof(err)) <
	    0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	memcpy(cfg->trace_names, f->trace_names, sizeof(cfg->trace_names));
	cfg->n_trace_names = f->n_trace_names;
	memcpy(cfg->trace_clients, f->trace_clients, sizeof(cfg->trace_clients));
	cfg->n_trace_clients = f->n_trace_clients;
	cfg->trace_only = f->trace_only;
	rw_config_free(f);
}

static void test_trace_filters(void)
{
	struct world w;
	filter_text = "trace-names: .NET, example.com\ntrace-only: miss\n";
	world_up(&w, true, 20, filters);
	CHECK_EQ(fn_ask(&w.fn, "video.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(w.fn.trace_len, 0); /* not under .net or example.com */
	CHECK_EQ(fn_ask(&w.fn, "www.cdn.net.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_trace_has(&w.fn, "www.cdn.net. A  (udp)"));
	size_t len = w.fn.trace_len;
	CHECK_EQ(fn_ask(&w.fn, "WWW.cdn.NET.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(w.fn.trace_len, len); /* a pure cache hit: trace-only miss skips it */
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_MX, true), LDNS_RCODE_NOERROR);
	CHECK(w.fn.trace_len > len); /* at the apex of a listed name */
	len = w.fn.trace_len;
	CHECK_EQ(fn_ask(&w.fn, "notexample.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(w.fn.trace_len, len); /* a suffix match stops at label boundaries */
	world_down(&w);

	filter_text = "trace-clients: 10.0.0.0/8, 2001:db8::/32\n";
	world_up(&w, true, 21, filters);
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(w.fn.trace_len, 0); /* the client is 127.0.0.1 */
	world_down(&w);
	filter_text = "trace-clients: 127.0.0.0/8\n";
	world_up(&w, true, 21, filters);
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(w.fn.trace_len > 0);
	world_down(&w);

	filter_text = "trace-only: fail\n";
	world_up(&w, true, 22, filters);
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(w.fn.trace_len, 0);
	w.fn.servers[S_EXAMPLE].drop = true;
	CHECK_EQ(fn_ask(&w.fn, "www2.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK(fn_trace_has(&w.fn, "no reachable authority for example.com."));
	world_down(&w);
}

static void small_budget(struct rw_config *cfg)
{
	cfg->query_budget_ms = 1000;
}

static unsigned count_in_trace(const struct world *w, const char *needle)
{
	unsigned n = 0;
	for (const char *p = w->fn.trace; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* The time budget ends the walk; nothing is sent (or traced as sent) after it. A server that
 * truncates even over TCP is given up on. */
static void test_budget_and_broken_tcp(void)
{
	struct world w;
	world_up(&w, true, 23, small_budget);
	w.fn.servers[S_COM1].drop = true;
	w.fn.servers[S_COM2].drop = true;
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK(fn_trace_has(&w.fn, "limit query-budget (1000 ms) used up"));
	CHECK_EQ(count_in_trace(&w, ";; step "), w.fn.sent_total);
	CHECK(w.fn.sent_total <= 4);
	world_down(&w);

	world_up(&w, true, 24, NULL);
	w.fn.servers[S_EXAMPLE].tc_always = true;
	CHECK_EQ(fn_ask(&w.fn, "example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK(fn_trace_has(&w.fn, "truncated even over TCP"));
	CHECK_EQ(w.fn.servers[S_EXAMPLE].queries, 2); /* UDP, then TCP, then no more */
	world_down(&w);
}

int main(void)
{
	if (fn_hints_file(hints_path, sizeof(hints_path)) < 0)
		return 1;

	test_referral_chain();
	test_cname_across_zones();
	test_no_glue_subresolution();
	test_out_of_bailiwick_glue_ignored();
	test_timeout_next_server();
	test_negative();
	test_tcp_fallback_and_spoofing();
	test_limits();
	test_priming();
	test_tracing_off();
	test_fast_path();
	test_qname_minimisation();
	test_0x20();
	test_edns_fallback_and_lame();
	test_ede_and_dedup();
	test_on_demand_trace();
	test_trace_filters();
	test_budget_and_broken_tcp();
	unlink(hints_path);
	return rw_check_report("iter");
}
