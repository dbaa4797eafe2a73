/* Admission under load (admit.c): num-queries-per-thread client questions are resolved at once;
 * when full, a new one replaces the oldest that has run longer than jostle-timeout (dropped
 * without an answer), else the new one is dropped; cache hits are answered whatever the load;
 * clients joining a question under way do not count as new requests, and are bounded apart.
 * The example. server never answers, so the questions stay under way; the clock is fake. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "fakenet.h"
#include "rootwalk/resolver.h"

#define S_EXAMPLE 1

static int nested_left;

/* A client whose answer makes the server read its next query at once (a TCP connection): it
 * comes from inside the resolver's callback, where nothing may be dropped to make room. */
static void ask_again(struct fakenet *fn)
{
	if (nested_left > 0) {
		nested_left--;
		fn_submit(fn,
			  nested_left == 2   ? "x.example."
			  : nested_left == 1 ? "y.example."
					     : "z.example.",
			  LDNS_RR_TYPE_A, false, (uint16_t)(3000 + nested_left));
	}
}

static void advance_ms(struct fakenet *fn, uint64_t ms)
{
	fn->mono_ms += ms;
	fn->wall_us += (int64_t)ms * 1000;
}

int main(void)
{
	char hints[256];
	struct fakenet fn;
	struct rw_config *cfg;
	const struct rw_stats *st;
	int before;

	CHECK(fn_hints_file(hints, sizeof(hints)) == 0);
	cfg = fn_config(hints);
	cfg->num_queries_per_thread = 3;
	cfg->jostle_timeout_ms = 200;
	fn_init(&fn, false);
	fn_example_world(&fn);
	fn_start(&fn, cfg);
	st = rw_resolver_stats(fn.r);

	/* A cached name first, then the server goes silent. */
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	fn.servers[S_EXAMPLE].drop = true;
	CHECK_EQ(rw_resolver_pending(fn.r), 0);

	/* Three slow questions fill the table. */
	before = fn.responses;
	fn_submit(&fn, "a.example.", LDNS_RR_TYPE_A, false, 1001);
	advance_ms(&fn, 10);
	fn_submit(&fn, "b.example.", LDNS_RR_TYPE_A, false, 1002);
	advance_ms(&fn, 10);
	fn_submit(&fn, "c.example.", LDNS_RR_TYPE_A, false, 1003);
	CHECK_EQ(rw_resolver_pending(fn.r), 3);
	CHECK_EQ(fn.responses, before);

	/* Full, and none has run 200 ms: the new question is dropped, unanswered, counted. */
	advance_ms(&fn, 100);
	fn_submit(&fn, "d.example.", LDNS_RR_TYPE_A, false, 1004);
	CHECK_EQ(fn.responses, before);
	CHECK_EQ(st->dropped, 1);
	CHECK_EQ(st->jostled, 0);
	CHECK_EQ(rw_resolver_pending(fn.r), 3);

	/* A cached name is answered whatever the load. */
	fn_submit(&fn, "www.example.", LDNS_RR_TYPE_A, false, 1005);
	CHECK_EQ(fn.responses, before + 1);
	CHECK(fn.resp_len > 12 && (fn.resp[3] & 0xf) == LDNS_RCODE_NOERROR);
	CHECK_EQ(st->dropped, 1);

	/* A client asking b.example. again joins it: not a new request, nothing dropped. */
	fn_submit(&fn, "b.example.", LDNS_RR_TYPE_A, false, 1006);
	CHECK_EQ(st->joined, 1);
	CHECK_EQ(st->dropped, 1);
	CHECK_EQ(rw_resolver_pending(fn.r), 3);

	/* a.example. has now run 220 ms: a new question takes its place. a.example.'s client gets
	 * its callback with nothing to send, and its upstream query is cancelled. */
	advance_ms(&fn, 100);
	unsigned cancelled = fn.cancelled;
	fn_submit(&fn, "e.example.", LDNS_RR_TYPE_A, false, 1007);
	CHECK_EQ(fn.responses, before + 2);
	CHECK_EQ(fn.resp_len, 0);
	CHECK_EQ(st->jostled, 1);
	CHECK_EQ(st->dropped, 1);
	CHECK_EQ(fn.cancelled, cancelled + 1);
	CHECK_EQ(rw_resolver_pending(fn.r), 3);

	/* The next oldest is b.example. (210 ms), with its joined client: both dropped. */
	fn_submit(&fn, "f.example.", LDNS_RR_TYPE_A, false, 1008);
	CHECK_EQ(fn.responses, before + 4);
	CHECK_EQ(st->jostled, 3);
	CHECK_EQ(rw_resolver_pending(fn.r), 3);

	/* c.example. (200 ms) may go too; then e. and f. are young: the next is dropped. */
	fn_submit(&fn, "g.example.", LDNS_RR_TYPE_A, false, 1009);
	CHECK_EQ(st->jostled, 4);
	fn_submit(&fn, "h.example.", LDNS_RR_TYPE_A, false, 1010);
	CHECK_EQ(st->jostled, 4);
	CHECK_EQ(st->dropped, 2);

	/* Clients joining questions under way: at most 8 per request admitted (24 here). */
	for (int i = 0; i < 30; i++)
		fn_submit(&fn, "e.example.", LDNS_RR_TYPE_A, false, (uint16_t)(2000 + i));
	CHECK_EQ(st->joined, 1 + 24);
	CHECK_EQ(st->dropped, 2 + 6);

	/* The questions left time out and are answered (SERVFAIL): the table empties. The first
	 * answers bring three new questions from inside the callback, while the table is full and
	 * e. is old enough to drop: they are dropped instead (e. is being answered). */
	before = fn.responses;
	nested_left = 3;
	fn.after_response = ask_again;
	advance_ms(&fn, 300);
	fn_run(&fn, 500);
	CHECK_EQ(nested_left, 0);
	CHECK_EQ(st->jostled, 4);
	CHECK_EQ(st->dropped, 8 + 3);
	CHECK_EQ(rw_resolver_pending(fn.r), 0);
	CHECK_EQ(fn.responses, before + 3 + 24);

	fn_free(&fn);
	rw_config_free(cfg);
	unlink(hints);
	return rw_check_report("admit");
}
