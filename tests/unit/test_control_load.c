/* load-cache over the control protocol (src/core/control_load.c): a resolver's dump, loaded into a
 * new resolver, answers the warm names with no query sent and TTLs counting down from the
 * original expiry; expired, already cached and malformed lines are counted, the malformed ones
 * named by line number; a load cut short answers an error or nothing, and leaks nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "testreply.h"
#include "fakenet.h"
#include "rootwalk/cache.h"
#include "rootwalk/control.h"
#include "rootwalk/resolver.h"

static char hints_path[64];

struct world {
	struct fakenet fn;
	struct rw_config *cfg;
	struct rw_control *ctl;
};

static int64_t w_now(void *ctx)
{
	return ((struct world *)ctx)->fn.wall_us;
}

static void world_up(struct world *w)
{
	struct rw_control_ops ops = {.ctx = w, .now_wall_us = w_now};

	memset(w, 0, sizeof(*w));
	fn_init(&w->fn, false);
	fn_example_world(&w->fn);
	w->cfg = fn_config(hints_path);
	fn_start(&w->fn, w->cfg);
	w->ctl = rw_control_new(w->fn.r, &ops);
	if (!w->ctl)
		abort();
}

static void world_down(struct world *w)
{
	rw_control_free(w->ctl);
	fn_free(&w->fn);
	rw_config_free(w->cfg);
}

static uint64_t start_load(struct world *w, struct reply *r)
{
	int calls = r->calls;
	uint64_t h = rw_control_request(w->ctl, "load-cache\n", 11, on_reply, r);

	CHECK(h != 0);
	CHECK_EQ(r->calls, calls);
	CHECK(rw_control_takes_lines(w->ctl, h));
	return h;
}

/* Feed the lines of text (each ended by "\n") to the load; returns the last return value. */
static int feed(struct world *w, uint64_t h, const char *text)
{
	int rc = 1;

	for (const char *p = text; *p && rc == 1;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		rc = rw_control_load_line(w->ctl, h, p, len);
		p += len;
	}
	return rc;
}

static void test_restart_with_a_dump(void)
{
	struct world a, b;
	struct reply ra = {0}, rb = {0};

	world_up(&a);
	CHECK_EQ(fn_ask(&a.fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_ask(&a.fn, "nope.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(rw_control_request(a.ctl, "dump-cache", 10, on_reply, &ra), 0);
	CHECK(ra.text && strncmp(ra.text, "ok\n", 3) == 0);
	/* the body as it came, dot-stuffed: a load takes it so */
	const char *body = ra.text + 3;
	CHECK(strstr(body, "\nwww.example. A rrset ttl=300 orig_ttl=300 ") != NULL ||
	      strncmp(body, "www.example. A rrset ttl=300 ", 29) == 0);

	/* A new daemon, 10 s later: it loads the dump, and a few lines more. */
	world_up(&b);
	fn_advance(&b.fn, 10);
	uint64_t h = start_load(&b, &rb);
	CHECK_EQ(feed(&b, h,
		      "gone.example. A rrset ttl=1 orig_ttl=5 stored=2026-11-25T09:59:59.000Z "
		      "expires=2026-11-25T10:00:04.000Z rank=authoritative-answer data: 192.0.2.9\n"
		      "; a comment\n"
		      /* stuffed, as the root's lines are in a dump */
		      ".. NS rrset ttl=1 orig_ttl=518400 stored=2026-11-25T09:00:00.000Z "
		      "expires=2026-12-01T09:00:00.000Z rank=referral data: a.root-servers.net.\n"
		      "\n"
		      "not a line\n"),
		 1);
	/* the dump's body, with its end marker, ends the load */
	CHECK_EQ(feed(&b, h, body), 0);
	CHECK_EQ(rb.calls, 1);
	CHECK(!rw_control_takes_lines(b.ctl, h));
	CHECK_EQ(rw_control_load_line(b.ctl, h, "x\n", 2), -ENOENT);
	int n = 0;
	for (const char *p = body; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	/* n lines in the body: the entries, ";; N entries" and "." */
	char want[256];
	snprintf(want, sizeof(want),
		 "ok\nlines: %d\nloaded: %d\nexpired: 1\nalready-cached: 0\nmalformed: 1\n"
		 "failed: 0\nevicted: 0\nline 5: unknown kind 'line'\n",
		 5 + n - 1, n - 1);
	CHECK(rb.text && strncmp(rb.text, want, strlen(want)) == 0);
	if (rb.text && strncmp(rb.text, want, strlen(want)) != 0)
		fprintf(stderr, "want: %s\ngot: %s\n", want, rb.text);

	/* The same expiry (to the millisecond) and provenance as in the old daemon. */
	struct rw_cache_entry ea, eb;
	ldns_rdf *www = ldns_dname_new_frm_str("www.example.");
	CHECK(rw_cache_get(rw_resolver_cache(a.fn.r), RW_ENTRY_RRSET, www, LDNS_RR_TYPE_A,
			   LDNS_RR_CLASS_IN, b.fn.wall_us, RW_RANK_NONE, &ea));
	CHECK(rw_cache_get(rw_resolver_cache(b.fn.r), RW_ENTRY_RRSET, www, LDNS_RR_TYPE_A,
			   LDNS_RR_CLASS_IN, b.fn.wall_us, RW_RANK_NONE, &eb));
	CHECK_EQ(ea.expires_us / 1000, eb.expires_us / 1000);
	CHECK_EQ(ea.stored_us / 1000, eb.stored_us / 1000);
	CHECK(eb.src && strcmp(eb.src->server, "ns.example.") == 0 &&
	      strcmp(eb.src->zone, "example.") == 0);
	CHECK_EQ(eb.rank, RW_RANK_ANSWER);
	rw_cache_entry_clear(&ea);
	rw_cache_entry_clear(&eb);
	ldns_rdf_deep_free(www);
	/* Warm: answered with no query sent, its TTL 10 s on; the NXDOMAIN too. */
	unsigned sent = b.fn.sent_total;
	CHECK_EQ(fn_ask(&b.fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_ttl(&b.fn, LDNS_RR_TYPE_A), 291); /* 290.002 s left, rounded up */
	CHECK_EQ(fn_ask(&b.fn, "nope.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(b.fn.sent_total, sent);
	/* and a name not in the dump is resolved from the loaded delegation: one query */
	CHECK_EQ(fn_ask(&b.fn, "key.example.", LDNS_RR_TYPE_TXT, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(b.fn.sent_total, sent + 1);

	/* Loaded again: everything is cached already. */
	h = start_load(&b, &rb);
	CHECK_EQ(feed(&b, h, body), 0);
	snprintf(want, sizeof(want), "ok\nlines: %d\nloaded: 0\nexpired: 0\nalready-cached: %d\n",
		 n - 1, n - 2);
	CHECK(rb.text && strncmp(rb.text, want, strlen(want)) == 0);

	free(ra.text);
	free(rb.text);
	world_down(&a);
	world_down(&b);
}

static void test_cut_short(void)
{
	struct world w;
	struct reply r = {0};
	char line[64];

	world_up(&w);
	CHECK_EQ(rw_control_request(w.ctl, "load-cache json", 15, on_reply, &r), 0);
	CHECK(r.text && strcmp(r.text, "error: load-cache: unexpected word 'json'\n.\n") == 0);
	CHECK_EQ(rw_control_request(w.ctl, "load-cache x.", 13, on_reply, &r), 0);
	CHECK(r.text && strncmp(r.text, "error: ", 7) == 0);

	/* the input ends without "." */
	uint64_t h = start_load(&w, &r);
	CHECK_EQ(feed(&w, h, "junk\n"), 1);
	CHECK_EQ(rw_control_load_line(w.ctl, h, NULL, 0), 0);
	CHECK(r.text && strcmp(r.text, "error: load-cache: the input ended before the line \".\"; "
				       "0 of 1 lines were loaded\n.\n") == 0);

	/* 25 malformed lines: 20 named, the rest counted */
	h = start_load(&w, &r);
	for (int i = 0; i < 25; i++)
		CHECK_EQ(feed(&w, h, "junk\n"), 1);
	CHECK_EQ(feed(&w, h, ".\n"), 0);
	CHECK(r.text && strstr(r.text, "\nmalformed: 25\n") != NULL);
	CHECK(r.text && strstr(r.text, "\nline 20: too few fields") != NULL);
	CHECK(r.text && strstr(r.text, "\nline 21: ") == NULL);
	CHECK(r.text && strstr(r.text, "\nand 5 more lines were not loaded\n.\n") != NULL);
	if (getenv("SHOW"))
		fputs(r.text, stderr);

	/* the asker went away: no answer, the handle is gone; one left pending is freed */
	int calls = r.calls;
	h = start_load(&w, &r);
	rw_control_cancel(w.ctl, h);
	CHECK(!rw_control_takes_lines(w.ctl, h));
	CHECK_EQ(rw_control_load_line(w.ctl, h, ".\n", 2), -ENOENT);
	h = start_load(&w, &r);
	snprintf(line, sizeof(line), "..\n"); /* a stuffed "." is a line holding "." */
	CHECK_EQ(rw_control_load_line(w.ctl, h, line, strlen(line)), 1);
	CHECK_EQ(r.calls, calls);
	free(r.text);
	world_down(&w); /* with the load pending: AddressSanitizer sees any leak */
}

int main(void)
{
	if (fn_hints_file(hints_path, sizeof(hints_path)) < 0)
		return 1;
	test_restart_with_a_dump();
	test_cut_short();
	unlink(hints_path);
	return rw_check_report("control_load");
}
