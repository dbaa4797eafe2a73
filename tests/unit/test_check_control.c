/* `rootwalk check` through the control request (src/core/control_check.c) on the scripted
 * network: its answer, its cancellation, and the SOA serials line of `trace --fresh`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "checkworld.h"
#include "fakenet.h"
#include "fakesign.h"
#include "rootwalk/cache.h"
#include "rootwalk/check.h"
#include "rootwalk/control.h"
#include "rootwalk/resolver.h"

static struct {
	int calls;
	char resp[65536];
} ctl_out;

static void ctl_done(void *arg, const char *resp, size_t len)
{
	(void)arg;
	ctl_out.calls++;
	snprintf(ctl_out.resp, sizeof(ctl_out.resp), "%.*s", (int)len, resp);
}

static int64_t ctl_now(void *ctx)
{
	return ((struct fakenet *)ctx)->wall_us;
}

/* The control request: words, errors, the answer, and a check whose asker went away. */
static void test_control(void)
{
	struct rw_control_request req;
	char err[256];
	CHECK(rw_control_parse("check www.example.com. MX json", 30, &req, err, sizeof(err)) == 0);
	CHECK_EQ(req.cmd, RW_CTL_CHECK);
	CHECK_EQ(req.qtype, LDNS_RR_TYPE_MX);
	CHECK(req.json);
	CHECK(rw_control_parse("check", 5, &req, err, sizeof(err)) < 0);
	CHECK(strstr(err, "check needs a NAME") != NULL);
	CHECK(rw_control_parse("check www.example.com. BOGUS", 28, &req, err, sizeof(err)) < 0);
	CHECK(strstr(err, "check: unknown type or option 'BOGUS'") != NULL);
	CHECK(rw_control_parse("check www.example.com. ANY", 26, &req, err, sizeof(err)) < 0);
	CHECK(strstr(err, "check: type 'ANY' cannot be checked") != NULL);
	CHECK(rw_control_parse("check a..b", 10, &req, err, sizeof(err)) < 0);
	CHECK(strstr(err, "is not a domain name") != NULL);

	struct world w;
	world_up(&w, "");
	struct rw_control_ops ops = {.ctx = &w.fn, .now_wall_us = ctl_now};
	struct rw_control *ctl = rw_control_new(w.fn.r, &ops);
	memset(&ctl_out, 0, sizeof(ctl_out));
	const char *line = "check www.example.com.\n";
	uint64_t h = rw_control_request(ctl, line, strlen(line), ctl_done, NULL);
	CHECK(h > 0);
	CHECK_EQ(rw_control_pending(ctl), 1);
	run(&w, 2000);
	CHECK_EQ(ctl_out.calls, 1);
	const char *head = "ok\ncheck www.example.com. A: zone example.com., parent com.: "
			   "status: ok\n";
	CHECK(strncmp(ctl_out.resp, head, strlen(head)) == 0);
	CHECK_EQ(rw_control_pending(ctl), 0);

	/* the connection closes while the check runs: its queries are cancelled, no answer */
	memset(&ctl_out, 0, sizeof(ctl_out));
	h = rw_control_request(ctl, line, strlen(line), ctl_done, NULL);
	CHECK(h > 0 && w.fn.n_queue > 0);
	unsigned cancelled = w.fn.cancelled;
	rw_control_cancel(ctl, h);
	CHECK(w.fn.cancelled > cancelled);
	CHECK_EQ(w.fn.n_queue, 0);
	CHECK_EQ(rw_check_running(w.fn.r), 0);
	CHECK_EQ(rw_control_pending(ctl), 0);
	run(&w, 100);
	CHECK_EQ(ctl_out.calls, 0);

	/* the daemon stops with a check under way: freed without a callback */
	h = rw_control_request(ctl, line, strlen(line), ctl_done, NULL);
	CHECK(h > 0);
	rw_control_free(ctl);
	CHECK_EQ(rw_check_running(w.fn.r), 0);
	h = rw_resolver_check(w.fn.r, (const uint8_t *)"\3www\7example\3com", 17, LDNS_RR_TYPE_A,
			      false, on_check, NULL);
	CHECK(h > 0);
	world_down(&w); /* the resolver frees it */
	CHECK_EQ(ctl_out.calls, 0);
}

/* trace fresh: a line when the zone's servers disagree on the SOA serial, none when they
 * agree. */
static void test_trace_serials(void)
{
	struct world w;
	world_up(&w, "");
	struct rw_control_ops ops = {.ctx = &w.fn, .now_wall_us = ctl_now};
	struct rw_control *ctl = rw_control_new(w.fn.r, &ops);
	const char *line = "trace www.example.com. fresh\n";
	memset(&ctl_out, 0, sizeof(ctl_out));
	CHECK(rw_control_request(ctl, line, strlen(line), ctl_done, NULL) > 0);
	run(&w, 2000);
	CHECK_EQ(ctl_out.calls, 1);
	CHECK(strstr(ctl_out.resp, ";; done in") != NULL);
	CHECK(strstr(ctl_out.resp, "disagree") == NULL);

	zone_records(&w, w.ns1, 2026120302u, "");
	unsigned before = w.fn.servers[w.ns2].queries;
	memset(&ctl_out, 0, sizeof(ctl_out));
	CHECK(rw_control_request(ctl, line, strlen(line), ctl_done, NULL) > 0);
	run(&w, 2000);
	CHECK_EQ(ctl_out.calls, 1);
	const char *want = ";; servers of example.com. disagree on the SOA serial: 192.0.2.30 "
			   "2026120302, 192.0.2.31 2026120301 (behind)\n.\n";
	size_t rl = strlen(ctl_out.resp), wl = strlen(want);
	CHECK(rl > wl && strcmp(ctl_out.resp + rl - wl, want) == 0);
	CHECK(w.fn.servers[w.ns2].queries > before);
	CHECK_EQ(rw_check_running(w.fn.r), 0);

	const char *jline = "trace www.example.com. fresh json\n";
	memset(&ctl_out, 0, sizeof(ctl_out));
	CHECK(rw_control_request(ctl, jline, strlen(jline), ctl_done, NULL) > 0);
	run(&w, 2000);
	char *ev = strstr(ctl_out.resp, "\"ev\":\"serials\"");
	CHECK(ev != NULL);
	if (ev) {
		char *start = ev;
		while (start > ctl_out.resp && start[-1] != '\n')
			start--;
		CHECK(strncmp(start, "{\"trace\":\"", 10) == 0);
		char *nl = strchr(ev, '\n');
		if (nl)
			*nl = '\0';
		CHECK(json_ok(start));
		CHECK(strstr(ev,
			     "\"zone\":\"example.com.\",\"agree\":false,\"servers\":[{\"addr\":"
			     "\"192.0.2.30\",\"serial\":2026120302,\"behind\":false},{\"addr\":"
			     "\"192.0.2.31\",\"serial\":2026120301,\"behind\":true}]}") != NULL);
	}

	/* the asker goes away while the serials are asked */
	memset(&ctl_out, 0, sizeof(ctl_out));
	uint64_t h = rw_control_request(ctl, line, strlen(line), ctl_done, NULL);
	for (int i = 0; i < 50 && rw_check_running(w.fn.r) == 0 && w.fn.n_queue > 0; i++)
		fn_run(&w.fn, 1);
	CHECK_EQ(rw_check_running(w.fn.r), 1);
	rw_control_cancel(ctl, h);
	CHECK_EQ(rw_check_running(w.fn.r), 0);
	run(&w, 100);
	CHECK_EQ(ctl_out.calls, 0);
	rw_control_free(ctl);
	world_down(&w);
}

int main(void)
{
	if (fn_hints_file(cw_hints_path, sizeof(cw_hints_path)) < 0)
		return 1;
	test_control();
	test_trace_serials();
	unlink(cw_hints_path);
	return rw_check_report("check_control");
}
