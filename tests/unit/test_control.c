/* The control protocol (src/core/control.c): request parsing, framing, and every request against
 * a resolver on the scripted network with a fake clock. No sockets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "fakenet.h"
#include "rootwalk/cache.h"
#include "rootwalk/control.h"
#include "rootwalk/resolver.h"

static char hints_path[64];

static const char *ROOT_DATA =
	". 86400 IN SOA a.root-servers.net. host.root-servers.net. 1 1800 900 604800 300\n"
	". 518400 IN NS a.root-servers.net.\n"
	"a.root-servers.net. 518400 IN A 192.0.2.1\n"
	"com. 172800 IN NS a.gtld-servers.com.\n"
	"a.gtld-servers.com. 172800 IN A 192.0.2.10\n";

static const char *COM_DATA =
	"com. 900 IN SOA a.gtld-servers.com. host.gtld-servers.com. 1 1800 900 604800 300\n"
	"com. 172800 IN NS a.gtld-servers.com.\n"
	"example.com. 172800 IN NS ns1.example.com.\n"
	"ns1.example.com. 172800 IN A 192.0.2.30\n";

static const char *EXAMPLE_DATA =
	"example.com. 3600 IN SOA ns1.example.com. host.example.com. 1 1800 900 604800 600\n"
	"example.com. 3600 IN NS ns1.example.com.\n"
	"ns1.example.com. 3600 IN A 192.0.2.30\n"
	"example.com. 300 IN A 203.0.113.1\n"
	"www.example.com. 300 IN CNAME example.com.\n";

struct world {
	struct fakenet fn;
	struct rw_config *cfg;
	struct rw_control *ctl;
	int reload_rc;
};

/* Responses collected by the callback. */
struct reply {
	char *text;
	int calls;
};

static void on_reply(void *arg, const char *resp, size_t len)
{
	struct reply *r = arg;

	r->calls++;
	free(r->text);
	r->text = malloc(len + 1);
	if (!r->text)
		abort();
	memcpy(r->text, resp, len);
	r->text[len] = '\0';
}

static int64_t w_now(void *ctx)
{
	struct world *w = ctx;
	return w->fn.wall_us;
}

static char *w_status(void *ctx)
{
	(void)ctx;
	return strdup("version: test\npid: 1");
}

static int w_reload(void *ctx, char *msg, size_t msglen)
{
	struct world *w = ctx;

	if (w->reload_rc < 0)
		snprintf(msg, msglen, "/etc/x.conf:3: unknown key 'bogus'");
	else
		snprintf(msg, msglen, "reloaded /etc/x.conf\n.hidden dot line\n");
	return w->reload_rc;
}

static void world_up(struct world *w)
{
	struct rw_control_ops ops = {
		.ctx = w, .now_wall_us = w_now, .status = w_status, .reload = w_reload};
	char err[256];

	memset(w, 0, sizeof(*w));
	fn_init(&w->fn, false); /* the trace log is off: on-demand traces work regardless */
	fn_server(&w->fn, "192.0.2.1", ".", ROOT_DATA);
	fn_server(&w->fn, "192.0.2.10", "com.", COM_DATA);
	fn_server(&w->fn, "192.0.2.30", "example.com.", EXAMPLE_DATA);
	w->cfg = fn_config(hints_path);
	w->fn.r = rw_resolver_new(&w->fn.env, w->cfg, err, sizeof(err));
	if (!w->fn.r) {
		fprintf(stderr, "resolver: %s\n", err);
		abort();
	}
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

/* Send a request that completes at once; returns the response (owned by r). */
static const char *ask(struct world *w, struct reply *r, const char *line)
{
	int before = r->calls;
	uint64_t h = rw_control_request(w->ctl, line, strlen(line), on_reply, r);

	CHECK_EQ(h, 0);
	CHECK_EQ(r->calls, before + 1);
	if (getenv("RW_SHOW"))
		fprintf(stderr, "--- %s\n%s", line, r->text ? r->text : "");
	return r->text ? r->text : "";
}

static bool framed(const char *s)
{
	size_t n = strlen(s);

	return (strncmp(s, "ok\n", 3) == 0 || strncmp(s, "error: ", 7) == 0) && n >= 5 &&
	       strcmp(s + n - 3, "\n.\n") == 0;
}

static int parse_err(const char *line, size_t len)
{
	struct rw_control_request req;
	char err[256] = "";
	int rc = rw_control_parse(line, len, &req, err, sizeof(err));

	if (rc < 0) {
		CHECK(err[0] != '\0');
		for (const char *c = err; *c; c++)
			CHECK((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
	}
	return rc;
}

static void test_parse(void)
{
	struct rw_control_request req;
	char err[256], big[RW_CONTROL_MAX_REQUEST + 8];

	CHECK_EQ(rw_control_parse("lookup Example.COM", 18, &req, err, sizeof(err)), 0);
	CHECK_EQ(req.cmd, RW_CTL_LOOKUP);
	CHECK_EQ(req.name_len, 13);
	CHECK(!req.json);
	CHECK_EQ(rw_control_parse("trace www.example.com. aaaa fresh json\r\n", 40, &req, err,
				  sizeof(err)),
		 0);
	CHECK_EQ(req.cmd, RW_CTL_TRACE);
	CHECK_EQ(req.qtype, LDNS_RR_TYPE_AAAA);
	CHECK(req.fresh && req.json);
	CHECK_EQ(rw_control_parse("trace x.\tjson", 13, &req, err, sizeof(err)), 0);
	CHECK_EQ(req.qtype, LDNS_RR_TYPE_A);
	CHECK_EQ(rw_control_parse("trace x TYPE65280", 17, &req, err, sizeof(err)), 0);
	CHECK_EQ(req.qtype, 65280);
	CHECK_EQ(rw_control_parse("  flush . negative subtree\n", 27, &req, err, sizeof(err)), 0);
	CHECK(req.subtree && req.negative);
	CHECK_EQ(req.name_len, 1);
	CHECK_EQ(rw_control_parse("flush-all", 9, &req, err, sizeof(err)), 0);
	CHECK_EQ(req.name_len, 0);
	CHECK_EQ(rw_control_parse("dump-cache json", 15, &req, err, sizeof(err)), 0);
	CHECK(req.json);

	CHECK(parse_err("", 0) < 0);
	CHECK(parse_err(" \t \n", 4) < 0);
	CHECK(parse_err("LOOKUP x", 8) < 0); /* commands are lower case */
	CHECK(parse_err("lookup", 6) < 0);
	CHECK(parse_err("lookup a..b", 11) < 0);
	CHECK(parse_err("lookup x json json", 18) < 0);
	CHECK(parse_err("lookup x fresh", 14) < 0);
	CHECK(parse_err("lookup x y", 10) < 0);
	CHECK(parse_err("trace x AXFR", 12) < 0);
	CHECK(parse_err("trace x ANY", 11) < 0);
	CHECK(parse_err("trace x OPT", 11) < 0);
	CHECK(parse_err("trace x A MX", 12) < 0);
	CHECK(parse_err("trace x nosuchtype", 18) < 0);
	CHECK(parse_err("flush x json", 12) < 0);
	CHECK(parse_err("flush-all x", 11) < 0);
	CHECK(parse_err("status json", 11) < 0);
	CHECK(parse_err("stats fresh", 11) < 0);
	CHECK(parse_err("lookup a b c d e f g h i", 24) < 0);
	CHECK(parse_err("lookup x\0y", 10) < 0);
	CHECK(parse_err("lookup \x1b[31mx", 13) < 0);
	CHECK(parse_err("lookup caf\xc3\xa9.example", 19) < 0);
	CHECK(parse_err("lookup x\ny", 10) < 0); /* one line per request */
	/* 63-byte labels are fine; a 64-byte label or a name over 255 bytes is not */
	memset(big, 'a', sizeof(big));
	memcpy(big, "lookup ", 7);
	memcpy(big + 7 + 63, ".com", 4);
	CHECK_EQ(parse_err(big, 7 + 63 + 4), 0);
	memcpy(big + 7 + 63, "a.com", 5);
	CHECK(parse_err(big, 7 + 64 + 4) < 0);
	memset(big, 'a', sizeof(big));
	memcpy(big, "lookup ", 7);
	for (size_t i = 7; i + 2 < 7 + 300; i += 2)
		big[i + 1] = '.';
	CHECK(parse_err(big, 300) < 0);
	/* the size bound: 4095 bytes and a newline pass the length check, one more does not */
	memset(big, ' ', sizeof(big));
	memcpy(big, "status", 6);
	big[RW_CONTROL_MAX_REQUEST - 1] = '\n';
	CHECK_EQ(parse_err(big, RW_CONTROL_MAX_REQUEST), 0);
	CHECK_EQ(parse_err(big, RW_CONTROL_MAX_REQUEST - 1), 0);
	big[RW_CONTROL_MAX_REQUEST] = '\n';
	CHECK(parse_err(big, RW_CONTROL_MAX_REQUEST + 1) < 0);
}

static void test_requests(void)
{
	struct world w;
	struct reply r = {0};
	const char *s;

	world_up(&w);

	s = ask(&w, &r, "help");
	CHECK(framed(s));
	CHECK(strstr(s, "flush NAME") != NULL);

	s = ask(&w, &r, "nonsense");
	CHECK(framed(s));
	CHECK(strncmp(s, "error: unknown request 'nonsense'", 33) == 0);
	CHECK(strcmp(s + strlen(s) - 3, "\n.\n") == 0);

	s = ask(&w, &r, "lookup example.com");
	CHECK(framed(s));
	CHECK(strstr(s, ";; nothing cached at example.com.") != NULL);
	CHECK(strstr(s, "no delegation cached") != NULL);

	CHECK_EQ(rw_resolver_prime(w.fn.r), 0);
	fn_run(&w.fn, 100);

	CHECK_EQ(fn_ask(&w.fn, "www.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	w.fn.wall_us += 100 * 1000000LL;

	s = ask(&w, &r, "lookup example.com");
	CHECK(framed(s));
	CHECK(strstr(s, "example.com. A: rrset of 1 record") != NULL);
	CHECK(strstr(s, "\texample.com. 200 IN A 203.0.113.1") != NULL);
	CHECK(strstr(s, "ttl:      200 s left of 300 (stored 2026-11-25T10:00:00.0") != NULL);
	CHECK(strstr(s, "expires:  2026-11-25T10:05:00.0") != NULL);
	CHECK(strstr(s, "(in 3m20s)") != NULL);
	CHECK(strstr(s, "from:     ns1.example.com. (192.0.2.30), zone example.com.") != NULL);
	CHECK(strstr(s, "trust:    authoritative answer, validation unchecked") != NULL);
	CHECK(strstr(s, "closest cached delegation: example.com. itself") != NULL);
	CHECK(strstr(s, "address:  ns1.example.com. A 192.0.2.30") != NULL);

	s = ask(&w, &r, "lookup www.example.com.");
	CHECK(strstr(s, "www.example.com. CNAME: rrset of 1 record") != NULL);
	CHECK(strstr(s, "closest cached delegation above it: example.com.") != NULL);

	s = ask(&w, &r, "lookup example.com json");
	CHECK(framed(s));
	CHECK(strstr(s, "ok\n{\"name\":\"example.com.\"") == s);
	CHECK(strstr(s, "\"type\":\"A\",\"kind\":\"rrset\",\"ttl\":200,\"orig_ttl\":300") != NULL);
	CHECK(strstr(s, "\"server\":\"ns1.example.com.\",\"addr\":\"192.0.2.30\"") != NULL);
	CHECK(strstr(s, "\"delegation\":{\"zone\":\"example.com.\"") != NULL);

	/* Lines starting with "." are stuffed: the root's entries in the dump. */
	s = ask(&w, &r, "dump-cache");
	CHECK(framed(s));
	CHECK(strstr(s, "\n.. NS rrset ") != NULL);
	CHECK(strstr(s, "\nexample.com. A rrset ttl=200 orig_ttl=300 ") != NULL);
	CHECK(strstr(s, "zone=example.com. rank=authoritative-answer vstate=unchecked "
			"data: 203.0.113.1\n") != NULL);
	/* canonical order: the root first, com. before example.com. */
	CHECK(strstr(s, "\ncom. NS") < strstr(s, "\nexample.com. A"));
	s = ask(&w, &r, "dump-cache json");
	CHECK(strstr(s, "ok\n{\"owner\":\".\"") == s);

	s = ask(&w, &r, "stats");
	CHECK(strstr(s, "\nclient.queries.udp: 1\n") != NULL);
	CHECK(strstr(s, "\nclient.rcode.NOERROR: 1\n") != NULL);
	CHECK(strstr(s, "\nupstream.rtt.0-1ms: ") != NULL);
	CHECK(strstr(s, "\nupstream.rtt.2000ms+: 0\n") != NULL);
	s = ask(&w, &r, "stats json");
	CHECK(strstr(s, "ok\n{\"client.queries.udp\":1,") == s);

	s = ask(&w, &r, "status");
	CHECK(strstr(s, "ok\nversion: test\npid: 1\nrequests-in-progress: 0\n") == s);

	/* Negative entries, and flush of negative entries only. */
	CHECK_EQ(fn_ask(&w.fn, "nope.example.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	s = ask(&w, &r, "lookup nope.example.com");
	CHECK(strstr(s, "nope.example.com.: nxdomain") != NULL);
	CHECK(strstr(s, "\tsoa:      example.com. ") != NULL);
	s = ask(&w, &r, "flush example.com subtree negative");
	CHECK(strstr(s, "ok\nremoved 1 entry at and below example.com. (negative entries only)") ==
	      s);
	s = ask(&w, &r, "lookup nope.example.com");
	CHECK(strstr(s, ";; nothing cached at nope.example.com.") != NULL);

	s = ask(&w, &r, "flush example.com");
	CHECK(strstr(s, "ok\nremoved ") == s);
	CHECK(strstr(s, "ok\nremoved 0 ") == NULL);
	s = ask(&w, &r, "lookup example.com");
	CHECK(strstr(s, ";; nothing cached at example.com.") != NULL);
	CHECK(strstr(s, "closest cached delegation above it: com.") != NULL);
	s = ask(&w, &r, "flush-all");
	CHECK(strstr(s, "ok\nremoved ") == s);
	CHECK(strstr(s, "(the whole cache)") != NULL);
	s = ask(&w, &r, "dump-cache");
	CHECK(strcmp(s, "ok\n;; 0 entries\n.\n") == 0);

	/* reload: the report is framed (its "." line stuffed), a failure is one error line */
	s = ask(&w, &r, "reload");
	CHECK(strcmp(s, "ok\nreloaded /etc/x.conf\n..hidden dot line\n.\n") == 0);
	w.reload_rc = -22;
	s = ask(&w, &r, "reload");
	CHECK(strcmp(s, "error: /etc/x.conf:3: unknown key 'bogus'\n.\n") == 0);

	free(r.text);
	world_down(&w);
}

static void test_trace(void)
{
	struct world w;
	struct reply r = {0};
	uint64_t h;
	const char *line = "trace www.example.com";

	world_up(&w);
	/* Cold: the answer comes later, through the network. */
	h = rw_control_request(w.ctl, line, strlen(line), on_reply, &r);
	CHECK(h > 0);
	CHECK_EQ(r.calls, 0);
	CHECK_EQ(rw_control_pending(w.ctl), 1);
	fn_run(&w.fn, 1000);
	CHECK_EQ(r.calls, 1);
	CHECK_EQ(rw_control_pending(w.ctl), 0);
	CHECK(r.text && framed(r.text));
	CHECK(r.text && strstr(r.text, ";; step") != NULL);
	CHECK(r.text && strstr(r.text, "203.0.113.1") != NULL);

	/* Warm: answered from the cache before rw_control_request returns. */
	h = rw_control_request(w.ctl, line, strlen(line), on_reply, &r);
	CHECK_EQ(h, 0);
	CHECK_EQ(r.calls, 2);
	CHECK(r.text && strstr(r.text, "203.0.113.1") != NULL);
	CHECK(r.text && strstr(r.text, ";; step") == NULL);

	/* fresh: the cached answer is ignored, the walk starts at the cached delegation. */
	line = "trace www.example.com A fresh json";
	h = rw_control_request(w.ctl, line, strlen(line), on_reply, &r);
	CHECK(h > 0);
	fn_run(&w.fn, 1000);
	CHECK_EQ(r.calls, 3);
	CHECK(r.text && strncmp(r.text, "ok\n{", 4) == 0);
	CHECK(r.text && strstr(r.text, "\"ev\":\"send\"") != NULL);

	/* Cancelled: no callback. */
	line = "trace nope.example.com";
	h = rw_control_request(w.ctl, line, strlen(line), on_reply, &r);
	CHECK(h > 0);
	rw_control_cancel(w.ctl, h);
	rw_control_cancel(w.ctl, h); /* unknown now: ignored */
	CHECK_EQ(rw_control_pending(w.ctl), 0);
	fn_run(&w.fn, 1000);
	CHECK_EQ(r.calls, 3);

	/* Freed with a trace pending: no callback, nothing leaks (ASan). */
	line = "trace other.example.com MX";
	h = rw_control_request(w.ctl, line, strlen(line), on_reply, &r);
	CHECK(h > 0);
	rw_control_free(w.ctl);
	w.ctl = NULL;
	fn_run(&w.fn, 1000);
	CHECK_EQ(r.calls, 3);

	free(r.text);
	world_down(&w);
}

int main(void)
{
	if (fn_hints_file(hints_path, sizeof(hints_path)) < 0)
		return 1;

	test_parse();
	test_requests();
	test_trace();

	unlink(hints_path);
	return rw_check_report("control");
}
