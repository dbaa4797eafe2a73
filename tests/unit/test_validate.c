/* The validator on fakenet with a fake clock: zones signed here with known windows, so that
 * secure, insecure and each kind of bogus answer, and the exact second a signature runs out, are
 * checked through the whole resolver: rcode, AD, EDE, RRSIGs for DO, the data for CD, the cache,
 * the key cache and the trace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "fakenet.h"
#include "fakesign.h"
#include "rootwalk/control.h"
#include "rootwalk/resolver.h"

#define NOW_S	     1795600800 /* the fake clock's start: 2026-11-25T10:00:00Z */
#define EXPIRES	     (NOW_S + 7200)
#define EXPIRES_TEXT "2026-11-25T12:00:00Z"

static struct fs_key kroot, kex, kbroken, kother, kfuture;

/* Replace the first occurrence of from in text (a signed zone) with to, in place. */
static void edit(char *text, const char *from, const char *to)
{
	char *p = strstr(text, from);
	if (p && strlen(to) == strlen(from))
		memcpy(p, to, strlen(to));
}

/* Remove the line holding needle (an RRSIG of one RRset, say). */
static void drop_line(char *text, const char *needle)
{
	char *p = strstr(text, needle);
	if (!p)
		return;
	char *start = p;
	while (start > text && start[-1] != '\n')
		start--;
	char *end = strchr(p, '\n');
	end = end ? end + 1 : p + strlen(p);
	memmove(start, end, strlen(end) + 1);
}

static char *cat3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);
	snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

static void world(struct fakenet *fn)
{
	char *ds_ex = fs_ds_line(&kex), *ds_other = fs_ds_line(&kother);
	char *ds_future = fs_ds_line(&kfuture);
	char *root_recs = cat3(
		". 86400 IN SOA a.root-servers.net. host.root-servers.net. 1 1800 900 604800 300\n"
		". 518400 IN NS a.root-servers.net.\n"
		"a.root-servers.net. 518400 IN A 192.0.2.1\n"
		"example. 172800 IN NS ns.example.\n"
		"ns.example. 172800 IN A 192.0.2.2\n"
		"unsigned. 172800 IN NS ns.unsigned.\n"
		"ns.unsigned. 172800 IN A 192.0.2.3\n"
		"broken. 172800 IN NS ns.broken.\n"
		"ns.broken. 172800 IN A 192.0.2.4\n"
		"future. 172800 IN NS ns.future.\n"
		"ns.future. 172800 IN A 192.0.2.5\n",
		ds_ex, ds_other);
	char *root_all = cat3(root_recs, ds_future, "");
	char *root = fs_sign(".", root_all, &kroot, NOW_S - 86400, NOW_S + 30 * 86400);
	fn_server(fn, "192.0.2.1", ".", root);

	char *ex = fs_sign("example.",
			   "example. 3600 IN SOA ns.example. host.example. 1 1800 900 604800 300\n"
			   "example. 3600 IN NS ns.example.\n"
			   "ns.example. 3600 IN A 192.0.2.2\n"
			   "www.example. 300 IN A 203.0.113.7\n"
			   "alias.example. 300 IN CNAME www.example.\n"
			   "changed.example. 300 IN A 192.0.2.50\n"
			   "nosig.example. 300 IN TXT \"unsigned by mistake\"\n",
			   &kex, NOW_S - 86400, EXPIRES);
	edit(ex, "192.0.2.50", "192.0.2.51"); /* a record changed after signing */
	drop_line(ex, "nosig.example.\t300\tIN\tRRSIG\tTXT");
	fn_server(fn, "192.0.2.2", "example.", ex);

	fn_server(fn, "192.0.2.3", "unsigned.",
		  "unsigned. 3600 IN SOA ns.unsigned. host.unsigned. 1 1800 900 604800 300\n"
		  "unsigned. 3600 IN NS ns.unsigned.\n"
		  "ns.unsigned. 3600 IN A 192.0.2.3\n"
		  "www.unsigned. 300 IN A 198.51.100.3\n");
	char *broken = fs_sign("broken.",
			       "broken. 3600 IN SOA ns.broken. host.broken. 1 1800 900 604800 300\n"
			       "broken. 3600 IN NS ns.broken.\n"
			       "ns.broken. 3600 IN A 192.0.2.4\n"
			       "www.broken. 300 IN A 198.51.100.4\n",
			       &kbroken, NOW_S - 86400, NOW_S + 30 * 86400);
	fn_server(fn, "192.0.2.4", "broken.", broken);
	char *future = fs_sign("future.",
			       "future. 3600 IN SOA ns.future. host.future. 1 1800 900 604800 300\n"
			       "future. 3600 IN NS ns.future.\n"
			       "ns.future. 3600 IN A 192.0.2.5\n"
			       "www.future. 300 IN A 198.51.100.5\n",
			       &kfuture, NOW_S + 86400, NOW_S + 30 * 86400);
	fn_server(fn, "192.0.2.5", "future.", future);
	free(ds_ex), free(ds_other), free(ds_future), free(root_recs), free(root_all);
	free(root), free(ex), free(broken), free(future);
}

/* Whether the last response has a record of type in a section (0 answer, 1 authority). */
static bool has_type(const struct fakenet *fn, int section, uint16_t type)
{
	ldns_pkt *p = NULL;
	bool found = false;
	if (ldns_wire2pkt(&p, fn->resp, fn->resp_len) != LDNS_STATUS_OK)
		return false;
	const ldns_rr_list *l = section ? ldns_pkt_authority(p) : ldns_pkt_answer(p);
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		found |= ldns_rr_get_type(ldns_rr_list_rr(l, i)) == type;
	ldns_pkt_free(p);
	return found;
}

static bool ad(const struct fakenet *fn)
{
	return fn->resp_len > 3 && (fn->resp[3] & 0x20);
}

/* The EDE text of the last response, or "". */
static const char *ede_text(const struct fakenet *fn, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 12; i + 6 < fn->resp_len; i++) {
		/* option 15, then the length, the code and the text */
		if (fn->resp[i] == 0 && fn->resp[i + 1] == 15) {
			size_t olen = (size_t)(fn->resp[i + 2] << 8 | fn->resp[i + 3]);
			if (olen >= 2 && i + 4 + olen <= fn->resp_len) {
				size_t tl = olen - 2 < len - 1 ? olen - 2 : len - 1;
				memcpy(buf, fn->resp + i + 6, tl);
				buf[tl] = '\0';
			}
		}
	}
	return buf;
}

/* start() with aggressive-nsec on or off and a trace format. */
static void start_with(struct fakenet *fn, struct rw_config **cfgp, char *hints, char *anchor,
		       bool aggressive, enum rw_trace_format format);

static void start(struct fakenet *fn, struct rw_config **cfgp, char *hints, char *anchor)
{
	start_with(fn, cfgp, hints, anchor, true, RW_TRACE_TEXT);
}

static void start_with(struct fakenet *fn, struct rw_config **cfgp, char *hints, char *anchor,
		       bool aggressive, enum rw_trace_format format)
{
	fn_init(fn, true);
	world(fn);
	CHECK(fn_hints_file(hints, 64) == 0);
	char *ds = fs_ds_line(&kroot);
	snprintf(anchor, 64, "/tmp/rw-anchor-XXXXXX");
	int fd = mkstemp(anchor);
	CHECK(fd >= 0 && write(fd, ds, strlen(ds)) == (ssize_t)strlen(ds));
	close(fd);
	free(ds);
	struct rw_config *cfg = fn_config(hints);
	cfg->dnssec = true;
	cfg->trust_anchor_files = calloc(1, sizeof(char *));
	cfg->trust_anchor_files[0] = strdup(anchor);
	cfg->n_trust_anchor_files = 1;
	cfg->aggressive_nsec = aggressive;
	cfg->trace_format = format;
	*cfgp = cfg;
	fn_start(fn, cfg);
	fn->client_do = true;
}

static void stop(struct fakenet *fn, struct rw_config *cfg, char *hints, char *anchor)
{
	fn_free(fn);
	rw_config_free(cfg);
	unlink(hints);
	unlink(anchor);
}

static void test_secure(void)
{
	struct fakenet fn;
	struct rw_config *cfg;
	char hints[64], anchor[64], tag[64];
	start(&fn, &cfg, hints, anchor);

	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(ad(&fn));
	CHECK(has_type(&fn, 0, LDNS_RR_TYPE_RRSIG));
	snprintf(tag, sizeof(tag), "key %u/13", kex.tag);
	CHECK(fn_trace_has(&fn, tag));
	CHECK(fn_trace_has(&fn, "valid until " EXPIRES_TEXT));
	CHECK(fn_trace_has(&fn, "dnssec: trust anchor . DS"));
	CHECK(fn_trace_has(&fn, "the answer is secure"));
	/* again: from the cache, with AD from the state it keeps, nothing asked */
	unsigned sent = fn.sent_total;
	uint64_t fast = rw_resolver_stats(fn.r)->fast_path;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(ad(&fn));
	CHECK(has_type(&fn, 0, LDNS_RR_TYPE_RRSIG));
	CHECK_EQ(fn.sent_total, sent);
	/* on the fast path (wire data, no allocation), AD from the state the cache keeps */
	CHECK_EQ(rw_resolver_stats(fn.r)->fast_path, fast + 1);
	/* without DO (or AD): no RRSIG, no AD */
	fn.client_do = false;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(!ad(&fn));
	CHECK(!has_type(&fn, 0, LDNS_RR_TYPE_RRSIG));
	fn.client_do = true;
	/* a CNAME within the signed zone */
	CHECK_EQ(fn_ask(&fn, "alias.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(ad(&fn));
	/* proven NXDOMAIN and NODATA, with their NSEC records for DO */
	CHECK_EQ(fn_ask(&fn, "nope.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK(ad(&fn));
	CHECK(has_type(&fn, 1, LDNS_RR_TYPE_NSEC));
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_AAAA, true), LDNS_RCODE_NOERROR);
	CHECK(ad(&fn));
	CHECK(has_type(&fn, 1, LDNS_RR_TYPE_NSEC));
	/* an unsigned delegation: insecure, the NSEC at the root proves no DS */
	fn_clear_trace(&fn);
	CHECK_EQ(fn_ask(&fn, "www.unsigned.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(!ad(&fn));
	CHECK(fn_trace_has(&fn, "unsigned. is an unsigned delegation"));
	stop(&fn, cfg, hints, anchor);
}

static void test_bogus(void)
{
	struct fakenet fn;
	struct rw_config *cfg;
	char hints[64], anchor[64], text[300], want[64];
	start(&fn, &cfg, hints, anchor);

	/* a DS at the root that matches no key of broken. (a rollover gone wrong) */
	CHECK_EQ(fn_ask(&fn, "www.broken.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(fn_ede(&fn), 9);
	snprintf(want, sizeof(want), "DS %u/13", kother.tag);
	CHECK(strstr(ede_text(&fn, text, sizeof(text)), want) != NULL);
	CHECK(strstr(text, "at . matches no DNSKEY of broken.") != NULL);
	/* kept for a while: asked again, nothing is fetched */
	unsigned sent = fn.sent_total;
	CHECK_EQ(fn_ask(&fn, "www.broken.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(fn.sent_total, sent);
	/* ... for val-bogus-ttl (60 s): then it is fetched and checked again */
	fn_advance(&fn, 59);
	CHECK_EQ(fn_ask(&fn, "www.broken.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(fn.sent_total, sent);
	fn_advance(&fn, 2);
	CHECK_EQ(fn_ask(&fn, "www.broken.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK(fn.sent_total > sent);
	CHECK_EQ(fn_ede(&fn), 9);
	/* CD: the data, unvalidated, without AD */
	fn.client_cd = true;
	CHECK_EQ(fn_ask(&fn, "www.broken.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(!ad(&fn));
	CHECK(fn_has(&fn, "198.51.100.4"));
	fn.client_cd = false;
	/* a record changed after signing */
	CHECK_EQ(fn_ask(&fn, "changed.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(fn_ede(&fn), 6);
	/* an RRSIG missing in a signed zone */
	CHECK_EQ(fn_ask(&fn, "nosig.example.", LDNS_RR_TYPE_TXT, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(fn_ede(&fn), 10);
	/* signatures from the future */
	CHECK_EQ(fn_ask(&fn, "www.future.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(fn_ede(&fn), 8);
	CHECK(strstr(ede_text(&fn, text, sizeof(text)), "2026-11-26T10:00:00Z") != NULL);
	stop(&fn, cfg, hints, anchor);
}

/* The signatures of example. end at EXPIRES: secure one second before, expired one after (the
 * cached answer lives no longer than its signature). */
static void test_expiry(void)
{
	struct fakenet fn;
	struct rw_config *cfg;
	char hints[64], anchor[64], text[300];
	start(&fn, &cfg, hints, anchor);

	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(ad(&fn));
	/* just before the end: still secure (fetched again, as the TTL of 300 s ran out) */
	fn_advance(&fn, (int)(EXPIRES - NOW_S) - 60);
	fn.wall_us = (int64_t)(EXPIRES - 2) * 1000000;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(ad(&fn));
	/* two seconds after: expired, the cached answer is not served past its signature */
	fn.wall_us = (int64_t)(EXPIRES + 2) * 1000000;
	fn.mono_ms += 4000;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(fn_ede(&fn), 7);
	CHECK(strstr(ede_text(&fn, text, sizeof(text)), "expired " EXPIRES_TEXT) != NULL);
	stop(&fn, cfg, hints, anchor);
}

static int64_t ctl_now(void *ctx)
{
	return ((struct fakenet *)ctx)->wall_us;
}

static void ctl_reply(void *arg, const char *resp, size_t len)
{
	snprintf(arg, 512, "%.*s", (int)len, resp);
}

/* RFC 8198: after NXDOMAIN for nope.example. (NSEC changed.example. -> nosig.example., and
 * example. -> alias.example. for the wildcard) is validated, mango.example. in the same span is
 * answered NXDOMAIN with AD from the NSEC cache without asking; after NODATA for www.example.
 * AAAA, www.example. TXT is NODATA the same way. With aggressive-nsec off, both are asked. */
static void test_aggressive(void)
{
	struct fakenet fn;
	struct rw_config *cfg;
	char hints[64], anchor[64];
	start(&fn, &cfg, hints, anchor);

	CHECK_EQ(fn_ask(&fn, "nope.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK(ad(&fn));
	unsigned sent = fn.sent_total;
	fn_clear_trace(&fn);
	CHECK_EQ(fn_ask(&fn, "mango.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK(ad(&fn));
	CHECK(has_type(&fn, 1, LDNS_RR_TYPE_SOA));
	CHECK(has_type(&fn, 1, LDNS_RR_TYPE_NSEC));
	CHECK(has_type(&fn, 1, LDNS_RR_TYPE_RRSIG));
	CHECK_EQ(fn.sent_total, sent);
	CHECK(fn_trace_has(&fn, "dnssec: NXDOMAIN synthesised from cached NSEC changed.example. -> "
				"nosig.example. (RFC 8198), nothing asked: mango.example. A in "
				"example.; no wildcard *.example.: example. -> alias.example."));
	CHECK(fn_trace_has(&fn, "0 upstream queries"));
	/* again: the negative entry it left in the cache answers, with AD */
	fn_clear_trace(&fn);
	CHECK_EQ(fn_ask(&fn, "mango.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK(ad(&fn));
	CHECK_EQ(fn.sent_total, sent);
	CHECK(!fn_trace_has(&fn, "synthesised"));
	/* below a name that does not exist, and another type: the same proof */
	CHECK_EQ(fn_ask(&fn, "x.mango.example.", LDNS_RR_TYPE_TXT, true), LDNS_RCODE_NXDOMAIN);
	CHECK(ad(&fn));
	CHECK_EQ(fn.sent_total, sent);
	/* outside the span (after nosig.example.): asked */
	CHECK_EQ(fn_ask(&fn, "nr.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK(fn.sent_total > sent);
	/* NODATA: the NSEC at www.example. lists A, RRSIG, NSEC only */
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_AAAA, true), LDNS_RCODE_NOERROR);
	sent = fn.sent_total;
	fn_clear_trace(&fn);
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_TXT, true), LDNS_RCODE_NOERROR);
	CHECK(ad(&fn));
	CHECK_EQ(fn_count(&fn, 0), 0);
	CHECK_EQ(fn.sent_total, sent);
	CHECK(fn_trace_has(&fn, "dnssec: NODATA synthesised from cached NSEC www.example."));
	/* a type the NSEC lists: asked (and answered) */
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&fn, "203.0.113.7"));
	/* `rootwalk flush example.` forgets the zone's NSEC records too: lemon.example. is asked */
	struct rw_control_ops ops = {.ctx = &fn, .now_wall_us = ctl_now};
	struct rw_control *ctl = rw_control_new(fn.r, &ops);
	char resp[512] = "";
	CHECK(ctl != NULL);
	if (ctl)
		rw_control_request(ctl, "flush example.", 14, ctl_reply, resp);
	CHECK(strstr(resp, "NSEC records of the aggressive NSEC cache") != NULL);
	rw_control_free(ctl);
	sent = fn.sent_total;
	CHECK_EQ(fn_ask(&fn, "lemon.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK(ad(&fn));
	CHECK(fn.sent_total > sent);
	stop(&fn, cfg, hints, anchor);

	/* aggressive-nsec: no */
	start_with(&fn, &cfg, hints, anchor, false, RW_TRACE_TEXT);
	CHECK_EQ(fn_ask(&fn, "nope.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	sent = fn.sent_total;
	fn_clear_trace(&fn);
	CHECK_EQ(fn_ask(&fn, "mango.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK(ad(&fn));
	CHECK(fn.sent_total > sent);
	CHECK(!fn_trace_has(&fn, "synthesised"));
	stop(&fn, cfg, hints, anchor);

	/* the JSON trace carries the same facts */
	start_with(&fn, &cfg, hints, anchor, true, RW_TRACE_JSON);
	CHECK_EQ(fn_ask(&fn, "nope.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	fn_clear_trace(&fn);
	CHECK_EQ(fn_ask(&fn, "mango.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK(fn_trace_has(&fn, "\"what\":\"aggressive\",\"zone\":\"example.\",\"name\":"
				"\"mango.example.\",\"type\":\"A\",\"rcode\":\"NXDOMAIN\","
				"\"nsec\":[{\"owner\":\"changed.example.\",\"next\":"
				"\"nosig.example.\"},{\"owner\":\"example.\",\"next\":"
				"\"alias.example.\"}],\"wildcard\":\"*.example.\""));
	CHECK(fn_trace_has(&fn, "\"rfc\":8198,\"upstream\":0,\"synthesised\":true"));
	stop(&fn, cfg, hints, anchor);
}

int main(void)
{
	if (fs_key_new(&kroot, ".") || fs_key_new(&kex, "example.") ||
	    fs_key_new(&kbroken, "broken.") || fs_key_new(&kother, "broken.") ||
	    fs_key_new(&kfuture, "future.")) {
		fprintf(stderr, "cannot make keys\n");
		return 1;
	}
	test_secure();
	test_bogus();
	test_expiry();
	test_aggressive();
	fs_key_free(&kroot), fs_key_free(&kex), fs_key_free(&kbroken), fs_key_free(&kother);
	fs_key_free(&kfuture);
	return rw_check_report("validate");
}
