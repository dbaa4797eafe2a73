/* The control protocol (src/core/control.c): request parsing, framing, and every request against
 * a resolver on the scripted network with a fake clock. No sockets. */
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
#include "rootwalk/shared.h"

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
	/* in the cache's order, not sorted (it is made in parts, not at once) */
	CHECK(strstr(s, "\ncom. NS") != NULL);
	CHECK(strstr(s, " entries\n.\n") != NULL);
	s = ask(&w, &r, "dump-cache json");
	CHECK(strstr(s, "ok\n{\"owner\":") == s);
	CHECK(strstr(s, "{\"owner\":\".\"") != NULL);

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

static void test_parse_dnssec(void)
{
	struct rw_control_request req;
	char err[256];

	CHECK_EQ(rw_control_parse("nta-add example.com", 19, &req, err, sizeof(err)), 0);
	CHECK_EQ(req.cmd, RW_CTL_NTA_ADD);
	CHECK_EQ(req.ttl, 3600);
	CHECK_EQ(req.name_len, 13);
	CHECK_EQ(rw_control_parse("nta-add x ttl=60", 16, &req, err, sizeof(err)), 0);
	CHECK_EQ(req.ttl, 60);
	CHECK(parse_err("nta-add x ttl=0", 15) < 0);
	CHECK(parse_err("nta-add x ttl=604801", 20) < 0);
	CHECK(parse_err("nta-add x ttl=1x", 16) < 0);
	CHECK(parse_err("nta-add x ttl=-5", 16) < 0);
	CHECK(parse_err("nta-add x ttl=5 ttl=6", 21) < 0);
	CHECK(parse_err("nta-add x json", 14) < 0);
	CHECK(parse_err("nta-add", 7) < 0);
	CHECK(parse_err("nta-remove", 10) < 0);
	CHECK(parse_err("nta-remove x ttl=5", 18) < 0);
	CHECK(parse_err("nta-list x", 10) < 0);
	CHECK_EQ(rw_control_parse("nta-list json", 13, &req, err, sizeof(err)), 0);
	CHECK(req.json && req.cmd == RW_CTL_NTA_LIST);
	CHECK_EQ(rw_control_parse("flush bogus", 11, &req, err, sizeof(err)), 0);
	CHECK(req.bogus && req.name_len == 0);
	CHECK_EQ(rw_control_parse("flush bogus. bogus", 18, &req, err, sizeof(err)), 0);
	CHECK(req.bogus && req.name_len == 7);
	CHECK_EQ(rw_control_parse("flush x subtree bogus", 21, &req, err, sizeof(err)), 0);
	CHECK(req.bogus && req.subtree);
	CHECK(parse_err("flush bogus subtree", 19) < 0);
	CHECK(parse_err("flush bogus bogus", 17) < 0);
	CHECK(parse_err("lookup x bogus", 14) < 0);
}

/* An RRset with an RRSIG straight into the cache, for lookup. */
static void store_signed(struct world *w, const char *a, const char *sig)
{
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rr *rr = NULL;
	struct rw_source *src = rw_source_new("ns.signed.example.", "signed.example.", NULL, 0);

	CHECK_EQ(ldns_rr_new_frm_str(&rr, a, 0, NULL, NULL), LDNS_STATUS_OK);
	ldns_rr_list_push_rr(l, rr);
	rr = NULL;
	CHECK_EQ(ldns_rr_new_frm_str(&rr, sig, 0, NULL, NULL), LDNS_STATUS_OK);
	ldns_rr_list_push_rr(l, rr);
	CHECK_EQ(rw_cache_store_rrset(rw_resolver_cache(w->fn.r), l, RW_RANK_ANSWER, src,
				      w->fn.wall_us),
		 1);
	rw_source_unref(src);
	ldns_rr_list_deep_free(l);
}

static void test_dnssec_requests(void)
{
	struct world w;
	struct reply r = {0};
	const char *s;
	struct rw_shared *sh;
	ldns_rdf *zone;
	struct rw_keyentry bogus = {.state = RW_VSTATE_BOGUS, .expires_us = INT64_MAX, .ede = 6};

	world_up(&w);
	sh = rw_resolver_shared(w.fn.r);
	s = ask(&w, &r, "nta-list");
	CHECK(strcmp(s, "ok\n;; 0 negative trust anchors\n.\n") == 0);

	/* adding an NTA forgets the key cache's verdicts at and below it */
	zone = ldns_dname_new_frm_str("a.broken.example.");
	CHECK_EQ(rw_keycache_put(sh->keys, zone, &bogus), 0);
	ldns_rdf_deep_free(zone);
	zone = ldns_dname_new_frm_str("other.example.");
	CHECK_EQ(rw_keycache_put(sh->keys, zone, &bogus), 0);
	s = ask(&w, &r, "nta-add Broken.Example ttl=90");
	CHECK(strstr(s,
		     "ok\nnegative trust anchor broken.example. until 2026-11-25T10:01:30.000Z "
		     "(in 1m30s)\nremoved 1 key cache entry at and below broken.example.\n") == s);
	CHECK_EQ(rw_anchors_insecure(sh->anchors, zone, w.fn.wall_us, NULL, 0), RW_INSECURE_NOT);
	s = ask(&w, &r, "nta-add example.org");
	w.fn.wall_us += 30 * 1000000LL;
	s = ask(&w, &r, "nta-list");
	CHECK(strcmp(s, "ok\nbroken.example. 2026-11-25T10:01:30.000Z in 60s\n"
			"example.org. 2026-11-25T11:00:00.000Z in 3570s\n"
			";; 2 negative trust anchors\n.\n") == 0);
	s = ask(&w, &r, "nta-list json");
	CHECK(strstr(s, "ok\n[{\"name\":\"broken.example.\",\"expires\":1795600890,"
			"\"expires_iso\":\"2026-11-25T10:01:30.000Z\",\"in\":60},{") == s);
	s = ask(&w, &r, "nta-remove example.org.");
	CHECK(strcmp(s, "ok\nremoved negative trust anchor example.org.\nremoved 0 key cache and 0 "
			"cache entries at and below example.org.\n.\n") == 0);
	s = ask(&w, &r, "nta-remove example.org.");
	CHECK(strcmp(s, "error: example.org. is not a negative trust anchor\n.\n") == 0);
	w.fn.wall_us += 60 * 1000000LL; /* broken.example. expires */
	s = ask(&w, &r, "nta-list");
	CHECK(strcmp(s, "ok\n;; 0 negative trust anchors\n.\n") == 0);

	/* flush bogus: the key cache's bogus verdicts */
	s = ask(&w, &r, "flush bogus");
	CHECK(strstr(s, "removed 1 bogus key cache entry (every zone)\n") != NULL);
	CHECK_EQ(rw_keycache_put(sh->keys, zone, &bogus), 0);
	s = ask(&w, &r, "flush example subtree bogus");
	CHECK(strstr(s, "removed 1 bogus key cache entry at and below example.\n") != NULL);
	ldns_rdf_deep_free(zone);

	/* lookup: the signatures' end, and which comes first */
	store_signed(&w, "soon.signed.example. 300 IN A 192.0.2.1",
		     "soon.signed.example. 300 IN RRSIG A 13 3 300 20261125100400 20261101000000 "
		     "4242 signed.example. AAAA");
	store_signed(&w, "late.signed.example. 300 IN A 192.0.2.2",
		     "late.signed.example. 300 IN RRSIG A 13 3 300 20261217000000 20261101000000 "
		     "4242 signed.example. AAAA");
	s = ask(&w, &r, "lookup soon.signed.example");
	CHECK(strstr(s, "(in 5m00s)\n\tsigs:     sig until 2026-11-25T10:04:00.000Z (in 2m30s)"
			"  <- first\n") != NULL);
	CHECK(strstr(s, "trust:    authoritative answer, validation unchecked") != NULL);
	s = ask(&w, &r, "lookup late.signed.example");
	CHECK(strstr(s, "(in 5m00s)  <- first\n\tsigs:     sig until 2026-12-17T00:00:00.000Z "
			"(in 21d13h58m)\n") != NULL);
	s = ask(&w, &r, "lookup soon.signed.example json");
	CHECK(strstr(s,
		     "\"vstate\":\"unchecked\",\"sig_expires\":1795601040,"
		     "\"sig_expires_iso\":\"2026-11-25T10:04:00.000Z\",\"first\":\"sig\"") != NULL);
	s = ask(&w, &r, "lookup late.signed.example json");
	CHECK(strstr(s, "\"first\":\"ttl\"") != NULL);
	s = ask(&w, &r, "help");
	CHECK(strstr(s, "nta-add NAME [ttl=SECONDS]") != NULL);

	free(r.text);
	world_down(&w);
}

/* dump-cache in parts (ops.part): parts come one per rw_control_continue, the first with the
 * status line, the last (to cb) with the count and the end marker; together they are the same
 * framed response as at once. A dump cancelled, or left when the handler is freed, costs no
 * callback and leaks nothing. */
struct parts {
	struct rw_sbuf_lite {
		char *p;
		size_t len;
	} all;
	int parts, done;
};

static void parts_add(struct parts *p, const char *data, size_t len)
{
	p->all.p = realloc(p->all.p, p->all.len + len + 1);
	if (!p->all.p)
		abort();
	memcpy(p->all.p + p->all.len, data, len);
	p->all.len += len;
	p->all.p[p->all.len] = '\0';
}

static void on_part(void *arg, const char *data, size_t len)
{
	struct parts *p = arg;

	CHECK(len > 0);
	/* a part stays near 64 KB, and only the last one (to cb) ends the response */
	CHECK(len < 80 * 1024);
	CHECK(!(len >= 3 && memcmp(data + len - 3, "\n.\n", 3) == 0));
	p->parts++;
	parts_add(p, data, len);
}

static void on_last(void *arg, const char *data, size_t len)
{
	struct parts *p = arg;

	p->done++;
	parts_add(p, data, len);
}

static void store_hosts(struct rw_cache *c, unsigned n, int64_t now)
{
	for (unsigned i = 0; i < n; i++) {
		char text[128];
		ldns_rr *rr = NULL;
		snprintf(text, sizeof(text), "h%u.dump.example. 3600 IN A 192.0.2.%u", i, i & 255);
		CHECK(ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL) == LDNS_STATUS_OK);
		ldns_rr_list *l = ldns_rr_list_new();
		ldns_rr_list_push_rr(l, rr);
		CHECK_EQ(rw_cache_store_rrset(c, l, RW_RANK_ANSWER, NULL, now), 1);
		ldns_rr_list_deep_free(l);
	}
}

static void test_dump_parts(void)
{
	struct world w;
	struct reply r = {0};
	struct parts p = {0}, q = {0};

	world_up(&w);
	rw_control_free(w.ctl);
	struct rw_control_ops ops = {.ctx = &w, .now_wall_us = w_now, .part = on_part};
	w.ctl = rw_control_new(w.fn.r, &ops);
	store_hosts(rw_resolver_cache(w.fn.r), 1000, w.fn.wall_us);

	uint64_t h = rw_control_request(w.ctl, "dump-cache\n", 11, on_last, &p);
	CHECK(h != 0);
	CHECK_EQ(p.parts, 1);
	CHECK(p.all.p && strncmp(p.all.p, "ok\n", 3) == 0);
	for (int k = 0; k < 1000 && !p.done; k++) {
		int before = p.parts + p.done;
		rw_control_continue(w.ctl, h);
		CHECK_EQ(p.parts + p.done, before + 1); /* exactly one part per call */
	}
	CHECK_EQ(p.done, 1);
	CHECK(p.parts >= 1000 / 128);
	CHECK(framed(p.all.p));
	CHECK(strstr(p.all.p, "\n;; 1000 entries\n.\n") != NULL);
	CHECK(strstr(p.all.p, "\nh999.dump.example. A rrset ") != NULL);
	rw_control_continue(w.ctl, h); /* done: the handle is unknown now */
	CHECK_EQ(p.done, 1);

	/* Without ops.part, the same dump is one response. */
	struct rw_control *whole =
		rw_control_new(w.fn.r, &(struct rw_control_ops){.ctx = &w, .now_wall_us = w_now});
	CHECK_EQ(rw_control_request(whole, "dump-cache", 10, on_reply, &r), 0);
	CHECK_EQ(r.calls, 1);
	CHECK(r.text && strlen(r.text) == p.all.len);
	rw_control_free(whole);

	/* Cancelled after its first part; another left for rw_control_free. */
	h = rw_control_request(w.ctl, "dump-cache json", 15, on_last, &q);
	CHECK(h != 0);
	rw_control_cancel(w.ctl, h);
	rw_control_continue(w.ctl, h);
	CHECK_EQ(q.parts, 1);
	CHECK_EQ(q.done, 0);
	CHECK(rw_control_request(w.ctl, "dump-cache", 10, on_last, &q) != 0);

	free(p.all.p);
	free(q.all.p);
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
	test_parse_dnssec();
	test_dnssec_requests();
	test_dump_parts();

	unlink(hints_path);
	return rw_check_report("control");
}
