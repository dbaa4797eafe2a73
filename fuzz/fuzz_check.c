/* Fuzz target: what authoritative servers send to `rootwalk check` (src/core/check*.c). A
 * resolver runs against a fake network (no sockets, a fake clock, nothing is ever sent): a check
 * starts, and the fuzzer plays every server it asks, with whatever replies it likes; then every
 * query still out times out and the resolver's timer fires until the check ends.
 *
 * Input: a flags byte (0x40 tracing on, 0x20 JSON traces, 0x01 JSON report, 0x02 the SOA-serials
 * mode of trace --fresh), a byte choosing the name (low 3 bits) and type (the next bits), then
 * chunks [u16 length][u8 which][body] as fuzz_upstream_reply.c reads them: "which" picks one of
 * the outstanding queries (from the newest); length 0 times it out; else the body's first 10
 * bytes are the header after the ID, the query's own ID and question are filled in, and the rest
 * follows the question.
 *
 * Checked: no crash, leak or sanitizer report; the check ends exactly once, within its budget
 * on the fake clock, with a report of printable lines (JSON: one object); trace records are
 * whole printable lines; every query the check sent is answered, timed out or cancelled. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "fuzznet.h"
#include "rootwalk/check.h"
#include "rootwalk/config.h"
#include "rootwalk/env.h"
#include "rootwalk/resolver.h"
#include "rootwalk/wire.h"
#include "fuzz.h"

#define MAX_STEPS 96

struct fakenet {
	struct fz_clock clk; /* first: the env callbacks of fuzzclock.c see it at ctx */
	struct rw_env env;
	struct fz_net net;
	bool json_trace, json_report;
	int done;
	uint64_t timer_at;
	bool timer_set;
};

static int fn_send(void *ctx, const struct rw_upstream_query *q)
{
	struct fakenet *fn = ctx;

	REQUIRE(q != NULL && q->wire != NULL);
	REQUIRE(q->timeout_ms > 0 && q->timeout_ms <= 1500);		  /* the contract's bound */
	REQUIRE(q->len >= RW_DNS_HEADER_LEN && (q->wire[2] & 0x01) == 0); /* RD clear */
	return fz_net_keep(&fn->net, q);
}

static void fn_cancel(void *ctx, uint64_t id)
{
	fz_net_forget(&((struct fakenet *)ctx)->net, id);
}

static void fn_set_timer(void *ctx, uint32_t ms)
{
	struct fakenet *fn = ctx;
	fn->timer_set = true;
	fn->timer_at = fn->clk.mono_ms + ms;
}

static void printable(const char *text, size_t len, bool json)
{
	REQUIRE(len == 0 || text[len - 1] == '\n');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		REQUIRE(c == '\n' || (c >= 0x20 && c != 0x7f));
		if (json && (i == 0 || text[i - 1] == '\n'))
			REQUIRE(c == '{');
		if (json && c == '\n')
			REQUIRE(i > 0 && text[i - 1] == '}');
	}
}

static void fn_trace(void *ctx, const char *text, size_t len)
{
	struct fakenet *fn = ctx;
	REQUIRE(text != NULL && len > 0);
	if (fn->net.verbose)
		fwrite(text, 1, len, stderr);
	printable(text, len, fn->json_trace);
}

static void on_check(void *arg, enum rw_check_status st, const char *text, size_t len)
{
	struct fakenet *fn = arg;
	fn->done++;
	REQUIRE(st == RW_CHECK_OK || st == RW_CHECK_WARNINGS || st == RW_CHECK_ERRORS);
	REQUIRE(text != NULL);
	if (fn->net.verbose)
		fwrite(text, 1, len, stderr);
	printable(text, len, fn->json_report);
}

static const char *const names[] = {"www.video-platform.com.",
				    "video-platform.com.",
				    ".",
				    "com.",
				    "nope.example.org.",
				    "a.b.c.d.",
				    "xn--bcher-kva.example.",
				    "mail.example.net."};
static const uint16_t types[] = {1, 28, 2, 15, 16, 5, 6, 12, 33, 257, 65280, 43, 99};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fakenet fn;
	char err[256];
	size_t pos = 2;

	if (size < 2)
		return 0;
	memset(&fn, 0, sizeof(fn));
	fz_env_init(&fn.env, &fn, &fn.clk, 0x636865636b696e67ull);
	fn.env.send = fn_send;
	fn.env.cancel = fn_cancel;
	fn.env.set_timer = fn_set_timer;
	fn.net.verbose = getenv("RW_FUZZ_VERBOSE") != NULL;
	fn.json_report = (data[0] & 0x01) != 0;
	/* The built-in hints are only addresses here: nothing is ever sent anywhere. */
	struct rw_config *cfg = rw_config_default();
	REQUIRE(cfg != NULL);
	if ((data[0] & 0x40) != 0) {
		fn.env.trace_write = fn_trace;
		fn.json_trace = (data[0] & 0x20) != 0;
		cfg->trace_format = fn.json_trace ? RW_TRACE_JSON : RW_TRACE_TEXT;
	}
	struct rw_resolver *r = rw_resolver_new(&fn.env, cfg, err, sizeof(err));
	REQUIRE(r != NULL);
	ldns_rdf *name = ldns_dname_new_frm_str(names[data[1] % 8]);
	REQUIRE(name != NULL);
	unsigned flags =
		(fn.json_report ? RW_CHECK_JSON : 0) | ((data[0] & 0x02) ? RW_CHECK_SERIALS : 0);
	uint64_t start = fn.clk.mono_ms;
	uint64_t h = rw_resolver_check(r, ldns_rdf_data(name), ldns_rdf_size(name),
				       types[(data[1] >> 3) % 13], flags, on_check, &fn);
	ldns_rdf_deep_free(name);
	REQUIRE(h > 0 && fn.done == 0);
	for (int step = 0; step < MAX_STEPS && size - pos >= 3 && !fn.done; step++) {
		size_t len = ((size_t)data[pos] << 8) | data[pos + 1];
		uint8_t which = data[pos + 2];
		pos += 3;
		fn.clk.mono_ms += 10;
		fn.clk.wall_us += 10000;
		if (len > size - pos)
			len = size - pos;
		if (!fz_net_play(&fn.net, r, which, data + pos, len) && fn.timer_set) {
			fn.timer_set = false;
			rw_resolver_on_timer(r);
		}
		pos += len;
	}
	/* The rest is silence: the check ends by its budget at the latest. */
	for (int i = 0; i < 4000 && !fn.done; i++) {
		if (fn.timer_set && (fn.net.n == 0 || fn.timer_at <= fn.clk.mono_ms + 1000)) {
			if (fn.timer_at > fn.clk.mono_ms)
				fn.clk.mono_ms = fn.timer_at;
			fn.timer_set = false;
			rw_resolver_on_timer(r);
		} else if (fn.net.n > 0) {
			uint64_t id = fn.net.p[fn.net.n - 1].id;
			fn.clk.mono_ms += 1000;
			fz_net_forget(&fn.net, id);
			rw_resolver_on_timeout(r, id, -ETIMEDOUT);
		} else {
			break;
		}
	}
	REQUIRE(fn.done == 1);
	REQUIRE(fn.clk.mono_ms - start <= RW_CHECK_BUDGET_MS + 1000);
	rw_resolver_free(r);
	REQUIRE(fn.net.n == 0);
	rw_config_free(cfg);
	return 0;
}
