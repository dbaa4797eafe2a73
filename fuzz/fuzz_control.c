/* Fuzz target: the control protocol (what `rootwalk` sends over the control socket). Each input
 * line is parsed with rw_control_parse and then handled by rw_control_request against a resolver
 * whose cache holds ordinary and hostile data (names with quotes, backslashes, NUL and high
 * bytes; negative entries; a delegation). Trace requests start resolutions on a fake network
 * that never answers (nothing is ever sent anywhere): their upstream queries time out until the
 * trace comes back. The resolver and the handler are freed at the end with requests pending.
 *
 * The lines after a load-cache request are its cache file lines, up to a "." line.
 *
 * Checked: a parsed request has a well-formed name and a valid command; a refusal has a
 * printable one-line reason; every response is framed as control.h says (a status line "ok" or
 * "error: REASON", body lines with leading dots doubled, a final "." line) and holds no control
 * characters but tabs in the body; cb runs at most once per request; nothing leaks. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "fuzznet.h"
#include "rootwalk/cache.h"
#include "rootwalk/config.h"
#include "rootwalk/control.h"
#include "rootwalk/env.h"
#include "rootwalk/resolver.h"
#include "rootwalk/wire.h"
#include "fuzz.h"

#define MAX_LINES   32
#define MAX_PENDING 64

struct fakenet {
	struct fz_clock clk; /* first: the env callbacks of fuzzclock.c see it at ctx */
	struct rw_env env;
	uint64_t pending[MAX_PENDING];
	int n;
	bool verbose;
};

struct asker {
	int calls;
	bool verbose;
};

static int fn_send(void *ctx, const struct rw_upstream_query *q)
{
	struct fakenet *fn = ctx;

	REQUIRE(q != NULL && q->wire != NULL && q->len >= RW_DNS_HEADER_LEN && q->addrlen > 0);
	if (fn->n == MAX_PENDING)
		return -ENOBUFS;
	fn->pending[fn->n++] = q->id;
	return 0;
}

static void fn_cancel(void *ctx, uint64_t id)
{
	struct fakenet *fn = ctx;

	for (int i = 0; i < fn->n; i++) {
		if (fn->pending[i] == id) {
			fn->pending[i] = fn->pending[--fn->n];
			return;
		}
	}
}

static void fn_trace(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	REQUIRE(text != NULL && len > 0 && text[len - 1] == '\n');
}

static int64_t ops_now(void *ctx)
{
	return ((struct fakenet *)ctx)->clk.wall_us;
}

static char *ops_status(void *ctx)
{
	(void)ctx;
	return strdup("version: fuzz\npid: 1");
}

static int ops_reload(void *ctx, char *msg, size_t msglen)
{
	(void)ctx;
	snprintf(msg, msglen, "f.conf:3: unknown key 'x'");
	return -EINVAL;
}

/* Printable ASCII; tabs too where tab is true (bodies indent with them). */
static bool printable_line(const char *s, size_t len, bool tab)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && !(tab && c == '\t')) || c > 0x7e)
			return false;
	}
	return true;
}

/* A response is: status line, body lines (dot-stuffed), ".". */
static void on_done(void *arg, const char *resp, size_t len)
{
	struct asker *a = arg;
	size_t pos = 0, lines = 0;
	bool ended = false;

	a->calls++;
	REQUIRE(a->calls == 1);
	REQUIRE(resp != NULL && len >= 5 && resp[len - 1] == '\n');
	if (a->verbose)
		fwrite(resp, 1, len, stderr);
	while (pos < len) {
		const char *nl = memchr(resp + pos, '\n', len - pos);
		size_t l;

		REQUIRE(nl != NULL && !ended);
		l = (size_t)(nl - (resp + pos));
		REQUIRE(printable_line(resp + pos, l, lines > 0));
		if (lines == 0)
			REQUIRE((l == 2 && memcmp(resp, "ok", 2) == 0) ||
				(l > 7 && memcmp(resp, "error: ", 7) == 0));
		else if (l == 1 && resp[pos] == '.')
			ended = true;
		else if (l > 0 && resp[pos] == '.')
			REQUIRE(l >= 2 && resp[pos + 1] == '.'); /* dot-stuffed */
		lines++;
		pos += l + 1;
	}
	REQUIRE(ended);
}

static void check_parse(const char *line, size_t len)
{
	struct rw_control_request req;
	char err[200];

	memset(err, 0x5a, sizeof(err));
	if (rw_control_parse(line, len, &req, err, sizeof(err)) == 0) {
		REQUIRE(req.cmd <= RW_CTL_LOAD_CACHE); /* the last command */
		REQUIRE(req.name_len <= sizeof(req.name));
		if (req.name_len > 0)
			REQUIRE(rw_wire_name_equal(req.name, req.name_len, req.name, req.name_len));
		REQUIRE(!(req.subtree || req.negative) || req.cmd == RW_CTL_FLUSH);
		REQUIRE(!req.fresh || req.cmd == RW_CTL_TRACE);
	} else {
		size_t l = strnlen(err, sizeof(err));

		REQUIRE(l > 0 && l < sizeof(err) && printable_line(err, l, false));
	}
}

static void store(struct rw_cache *c, const char *text, enum rw_rank rank, struct rw_source *src,
		  int64_t now)
{
	ldns_rr *rr = NULL;
	ldns_rr_list *l;

	REQUIRE(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) == LDNS_STATUS_OK);
	l = ldns_rr_list_new();
	ldns_rr_list_push_rr(l, rr);
	REQUIRE(rw_cache_store_rrset(c, l, rank, src, now) >= 0);
	ldns_rr_list_deep_free(l);
}

static void fill_cache(struct rw_cache *c, int64_t now)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(53)};
	struct rw_source *src;
	ldns_rr *soa = NULL;
	ldns_rdf *name;

	sin.sin_addr.s_addr = htonl(0xc0000201);
	src = rw_source_new("ns1.\\\"quoted\\\\.example.", "example.", (struct sockaddr *)&sin,
			    sizeof(sin));
	REQUIRE(src != NULL);
	store(c, "example. 300 IN A 192.0.2.1", RW_RANK_ANSWER, src, now);
	/* Owned by the root: text lines about it start with '.', which the framing must stuff. */
	store(c, ". 518400 IN NS a.root-servers.net.", RW_RANK_ANSWER, src, now);
	store(c, "www.example. 300 IN CNAME example.", RW_RANK_ANSWER, src, now);
	store(c, "example. 172800 IN NS ns1.example.", RW_RANK_REFERRAL, src, now);
	store(c, "ns1.example. 172800 IN A 192.0.2.53", RW_RANK_GLUE, src, now);
	store(c, "\\000\\\"\\\\.\\255\\010\\007.example. 60 IN TXT \"a\\\"b\\\\c\\010\\000\"",
	      RW_RANK_ANSWER, src, now);
	store(c, "\\.dot.example. 60 IN A 192.0.2.2", RW_RANK_ANSWER, src, now);
	store(c, "short.example. 1 IN A 192.0.2.3", RW_RANK_ANSWER, NULL, now);
	store(c, "example. 300 IN TYPE65280 \\# 4 0a0d0000", RW_RANK_ANSWER, src, now);
	REQUIRE(ldns_rr_new_frm_str(&soa, "example. 300 IN SOA ns1.example. h.example. 1 2 3 4 60",
				    0, NULL, NULL) == LDNS_STATUS_OK);
	name = ldns_dname_new_frm_str("nope.example.");
	REQUIRE(rw_cache_store_negative(c, RW_ENTRY_NXDOMAIN, name, 0, LDNS_RR_CLASS_IN, soa,
					RW_RANK_AUTH_AUTHORITY, src, now) >= 0);
	REQUIRE(rw_cache_store_negative(c, RW_ENTRY_NODATA, name, LDNS_RR_TYPE_MX, LDNS_RR_CLASS_IN,
					soa, RW_RANK_AUTH_AUTHORITY, src, now) >= 0);
	ldns_rdf_deep_free(name);
	ldns_rr_free(soa);
	rw_source_unref(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fakenet fn;
	struct asker askers[MAX_LINES];
	struct rw_control_ops ops = {
		.ctx = &fn, .now_wall_us = ops_now, .status = ops_status, .reload = ops_reload};
	struct rw_config *cfg = rw_config_default();
	struct rw_resolver *r;
	struct rw_control *ctl;
	char err[256];
	size_t pos = 0;
	int lines = 0;
	uint64_t load = 0; /* a load-cache taking the lines that follow it */

	REQUIRE(cfg != NULL);
	memset(&fn, 0, sizeof(fn));
	fz_env_init(&fn.env, &fn, &fn.clk, 0x636f6e74726f6cull);
	fn.env.send = fn_send;
	fn.env.cancel = fn_cancel;
	fn.env.trace_write = fn_trace;
	fn.verbose = getenv("RW_FUZZ_VERBOSE") != NULL;
	cfg->upstream_timeout_ms = 100;
	r = rw_resolver_new(&fn.env, cfg, err, sizeof(err));
	REQUIRE(r != NULL);
	fill_cache(rw_resolver_cache(r), fn.clk.wall_us);
	ctl = rw_control_new(r, &ops);
	REQUIRE(ctl != NULL);
	memset(askers, 0, sizeof(askers));
	while (pos < size && lines < MAX_LINES) {
		const char *line = (const char *)data + pos;
		const char *nl = memchr(line, '\n', size - pos);
		size_t len = nl != NULL ? (size_t)(nl - line) + 1 : size - pos;

		pos += len;
		if (load) {
			int rc = rw_control_load_line(ctl, load, line, len);
			REQUIRE(rc == 0 || rc == 1);
			if (rc == 0)
				load = 0;
			continue;
		}
		check_parse(line, len);
		askers[lines].verbose = fn.verbose;
		uint64_t h = rw_control_request(ctl, line, len, on_done, &askers[lines]);
		if (h && rw_control_takes_lines(ctl, h))
			load = h;
		lines++;
		/* Let time pass, and let every upstream query the request started time out. */
		for (int step = 0; step < 64 && fn.n > 0; step++) {
			uint64_t id = fn.pending[--fn.n];

			fn.clk.mono_ms += 100;
			fn.clk.wall_us += 100000;
			rw_resolver_on_timeout(r, id, -ETIMEDOUT);
		}
	}
	rw_control_free(ctl);
	rw_resolver_free(r);
	REQUIRE(fn.n == 0);
	rw_config_free(cfg);
	return 0;
}
