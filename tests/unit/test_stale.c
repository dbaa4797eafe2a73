/* Serve-stale (RFC 8767) and prefetch, on the fake network and clock: expired records answered
 * with TTL 30 and EDE 3 when the authorities are silent, the client timer, the failure recheck
 * timer, serve-expired-ttl, and the background refresh of prefetch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "fakenet.h"
#include "rootwalk/resolver.h"

static char hints_path[64];

#define S_EXAMPLE 1 /* fn_example_world: the server of example. */

struct world {
	struct fakenet fn;
	struct rw_config *cfg;
};

static void world_up(struct world *w, bool serve_expired, bool prefetch)
{
	fn_init(&w->fn, true);
	fn_example_world(&w->fn);
	w->cfg = fn_config(hints_path);
	w->cfg->serve_expired = serve_expired;
	w->cfg->prefetch = prefetch;
	fn_start(&w->fn, w->cfg);
	/* www.example. A is cached with TTL 300 */
	CHECK_EQ(fn_ask(&w->fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_ttl(&w->fn, LDNS_RR_TYPE_A), 300);
}

static void world_down(struct world *w)
{
	fn_free(&w->fn);
	rw_config_free(w->cfg);
}

/* Without serve-expired, a silent authority means SERVFAIL once the record expired. */
static void test_off(void)
{
	struct world w;
	world_up(&w, false, false);
	fn_advance(&w.fn, 312);
	w.fn.servers[S_EXAMPLE].drop = true;
	CHECK_EQ(fn_ask(&w.fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK(fn_ede(&w.fn) != 3);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->stale_answers, 0);
	world_down(&w);
}

/* The resolution fails: the expired record instead of SERVFAIL, then for 30 s at once. */
static void test_refresh_failed(void)
{
	struct world w;
	world_up(&w, true, false);
	fn_advance(&w.fn, 312);
	w.fn.servers[S_EXAMPLE].drop = true;
	w.fn.trace_len = 0;
	CHECK_EQ(fn_ask(&w.fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_ttl(&w.fn, LDNS_RR_TYPE_A), 30);
	CHECK(fn_has(&w.fn, "203.0.113.7"));
	CHECK_EQ(fn_ede(&w.fn), 3);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->stale_answers, 1);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->servfail, 0);
	CHECK(fn_trace_has(&w.fn, "served stale: expired 12 s ago; refresh failed because "));
	CHECK_EQ(rw_resolver_pending(w.fn.r), 0);

	/* The failure recheck timer: answered stale with no new upstream query. */
	unsigned sent = w.fn.sent_total;
	fn_advance(&w.fn, 10);
	w.fn.trace_len = 0;
	CHECK_EQ(fn_ask(&w.fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_ttl(&w.fn, LDNS_RR_TYPE_A), 30);
	CHECK_EQ(w.fn.sent_total, sent);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->stale_answers, 2);
	CHECK(fn_trace_has(&w.fn, "served stale: expired 2"));
	CHECK(fn_trace_has(&w.fn, "next try in"));

	/* After it, a new resolution is tried; the server is back: fresh again. */
	fn_advance(&w.fn, 31);
	w.fn.servers[S_EXAMPLE].drop = false;
	CHECK_EQ(fn_ask(&w.fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(w.fn.sent_total > sent);
	CHECK_EQ(fn_ttl(&w.fn, LDNS_RR_TYPE_A), 300);
	CHECK_EQ(fn_ede(&w.fn), -1);
	world_down(&w);
}

/* The client timer: stale after serve-expired-client-timeout, the refresh still running. */
static void test_client_timeout(void)
{
	struct world w;
	world_up(&w, true, false);
	fn_advance(&w.fn, 400);
	w.fn.servers[S_EXAMPLE].drop = true;
	w.fn.trace_len = 0;
	int before = w.fn.responses;
	uint64_t t0 = w.fn.mono_ms;
	fn_submit(&w.fn, "www.example.", LDNS_RR_TYPE_A, true, 1001);
	CHECK_EQ(w.fn.responses, before);
	CHECK(w.fn.timer_set);
	CHECK_EQ(w.fn.timer_ms, 1800);
	/* the timer fires at 1800 ms, before the first upstream query timed out */
	w.fn.timer_set = false;
	w.fn.mono_ms = t0 + 1800;
	w.fn.wall_us += 1800 * 1000;
	rw_resolver_on_timer(w.fn.r);
	CHECK_EQ(w.fn.responses, before + 1);
	CHECK_EQ(fn_ttl(&w.fn, LDNS_RR_TYPE_A), 30);
	CHECK_EQ(fn_ede(&w.fn), 3);
	CHECK_EQ(rw_resolver_pending(w.fn.r), 1); /* the refresh goes on */
	/* a second client during the refresh: stale at once, no second resolution */
	fn_submit(&w.fn, "www.example.", LDNS_RR_TYPE_A, true, 1002);
	CHECK_EQ(w.fn.responses, before + 2);
	CHECK_EQ(rw_resolver_pending(w.fn.r), 1);
	fn_run(&w.fn, 1000);
	CHECK_EQ(w.fn.responses, before + 2); /* nobody gets the SERVFAIL */
	CHECK_EQ(rw_resolver_pending(w.fn.r), 0);
	CHECK(fn_trace_has(
		&w.fn, "served stale: expired 101 s ago; refresh still under way after 1800 ms"));
	CHECK(fn_trace_has(&w.fn, "refresh failed because"));
	CHECK_EQ(rw_resolver_stats(w.fn.r)->stale_answers, 2);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->servfail, 0); /* nobody got it */
	world_down(&w);
}

/* Past serve-expired-ttl the record is gone: SERVFAIL. */
static void test_past_ttl(void)
{
	struct world w;
	world_up(&w, true, false);
	fn_advance(&w.fn, 300 + 86400 + 1);
	w.fn.servers[S_EXAMPLE].drop = true;
	w.fn.servers[0].drop = true;
	CHECK_EQ(fn_ask(&w.fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->stale_answers, 0);
	world_down(&w);
}

/* Prefetch: a cache hit at 91% of the TTL starts one background query; the client's answer
 * stays a cache hit; a second hit during the refresh starts none. */
static void test_prefetch(void)
{
	struct world w;
	world_up(&w, false, true);
	unsigned sent = w.fn.sent_total;
	fn_advance(&w.fn, 150); /* half the TTL left: no prefetch */
	CHECK_EQ(fn_ask(&w.fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(w.fn.sent_total, sent);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->prefetches, 0);

	fn_advance(&w.fn, 123); /* 273 s of 300: 27 s left */
	w.fn.trace_len = 0;
	int before = w.fn.responses;
	fn_submit(&w.fn, "www.example.", LDNS_RR_TYPE_A, true, 1001);
	CHECK_EQ(w.fn.responses, before + 1);
	CHECK_EQ(fn_ttl(&w.fn, LDNS_RR_TYPE_A), 27);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->prefetches, 1);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->fast_path, 2);
	CHECK_EQ(w.fn.n_queue, 1);
	CHECK_EQ(rw_resolver_pending(w.fn.r), 1);
	CHECK(fn_trace_has(&w.fn, "prefetch started: 27 s of 300 s left"));
	fn_submit(&w.fn, "www.example.", LDNS_RR_TYPE_A, true, 1002);
	CHECK_EQ(w.fn.responses, before + 2);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->prefetches, 1);
	CHECK_EQ(w.fn.n_queue, 1);
	fn_run(&w.fn, 100);
	CHECK_EQ(w.fn.responses, before + 2); /* the refresh answers nobody */
	CHECK_EQ(rw_resolver_pending(w.fn.r), 0);
	CHECK_EQ(w.fn.sent_total, sent + 1);
	CHECK(fn_trace_has(&w.fn, "prefetch: refreshing in the background, 27 s of 300 s left"));
	/* the record was refreshed: a full TTL, from the cache */
	CHECK_EQ(fn_ask(&w.fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_ttl(&w.fn, LDNS_RR_TYPE_A), 300);
	CHECK_EQ(w.fn.sent_total, sent + 1);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->cache_misses, 1);
	world_down(&w);

	/* prefetch: no (the default): nothing starts */
	world_up(&w, false, false);
	fn_advance(&w.fn, 280);
	sent = w.fn.sent_total;
	CHECK_EQ(fn_ask(&w.fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(w.fn.sent_total, sent);
	CHECK_EQ(rw_resolver_stats(w.fn.r)->prefetches, 0);
	world_down(&w);
}

int main(void)
{
	if (fn_hints_file(hints_path, sizeof(hints_path)) < 0)
		return 1;
	test_off();
	test_refresh_failed();
	test_client_timeout();
	test_past_ttl();
	test_prefetch();
	unlink(hints_path);
	return rw_check_report("stale");
}
