/* Golden traces: a fixed story (priming, a cold walk with a CNAME and name servers without glue,
 * the same question from the cache, NXDOMAIN, NODATA, a lame delegation, a special-use name)
 * on a scripted network with a fake clock and a fixed random stream, in text and in JSON, must
 * give exactly the traces in tests/golden/. A refactoring that changes one byte of a trace fails
 * here; a change meant to alter the traces rewrites the files with RW_UPDATE_GOLDEN=1 and shows
 * the difference in the commit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "check.h"
#include "fakenet.h"
#include "rootwalk/resolver.h"

/* A fixed path (the tests run at the top of the tree): the trace names the hints file. */
static const char hints_path[] = "tests/golden/root.hints";

static const char *ROOT_DATA =
	". 86400 IN SOA a.root-servers.net. hostmaster.root-servers.net. 2026112501 1800 900 "
	"604800 300\n"
	". 518400 IN NS a.root-servers.net.\n"
	"a.root-servers.net. 518400 IN A 192.0.2.1\n"
	"com. 172800 IN NS a.gtld-servers.net.\n"
	"net. 172800 IN NS b.gtld-servers.net.\n"
	"a.gtld-servers.net. 172800 IN A 192.0.2.10\n"
	"b.gtld-servers.net. 172800 IN A 192.0.2.11\n";

static const char *COM_DATA =
	"com. 900 IN SOA a.gtld-servers.net. hostmaster.gtld-servers.net. 1 1800 900 604800 86400\n"
	"com. 172800 IN NS a.gtld-servers.net.\n"
	"video-platform.com. 172800 IN NS ns1.dnshost.net.\n"
	"video-platform.com. 172800 IN NS ns2.dnshost.net.\n"
	"lame.com. 172800 IN NS ns.lame.com.\n"
	"ns.lame.com. 172800 IN A 192.0.2.66\n";

static const char *NET_DATA =
	"net. 900 IN SOA b.gtld-servers.net. hostmaster.gtld-servers.net. 1 1800 900 604800 86400\n"
	"net. 172800 IN NS b.gtld-servers.net.\n"
	"b.gtld-servers.net. 172800 IN A 192.0.2.11\n"
	"dnshost.net. 172800 IN NS ns1.dnshost.net.\n"
	"dnshost.net. 172800 IN NS ns2.dnshost.net.\n"
	"ns1.dnshost.net. 172800 IN A 192.0.2.31\n"
	"ns2.dnshost.net. 172800 IN A 192.0.2.32\n";

static const char *DNSHOST_DATA =
	"dnshost.net. 3600 IN SOA ns1.dnshost.net. hostmaster.dnshost.net. 1 7200 3600 1209600 "
	"300\n"
	"dnshost.net. 3600 IN NS ns1.dnshost.net.\n"
	"dnshost.net. 3600 IN NS ns2.dnshost.net.\n"
	"ns1.dnshost.net. 3600 IN A 192.0.2.31\n"
	"ns2.dnshost.net. 3600 IN A 192.0.2.32\n"
	"video-platform.com. 300 IN SOA ns1.dnshost.net. hostmaster.video-platform.com. 2026112501 "
	"7200 3600 1209600 300\n"
	"video-platform.com. 86400 IN NS ns1.dnshost.net.\n"
	"video-platform.com. 86400 IN NS ns2.dnshost.net.\n"
	"video-platform.com. 300 IN A 203.0.113.42\n"
	"www.video-platform.com. 300 IN CNAME video-platform.com.\n"
	"txt-only.video-platform.com. 300 IN TXT \"no address here\"\n";

static void story(struct fakenet *fn)
{
	CHECK_EQ(rw_resolver_prime(fn->r), 0);
	fn_run(fn, 100);
	CHECK_EQ(fn_ask(fn, "www.video-platform.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	fn_advance(fn, 2);
	CHECK_EQ(fn_ask(fn, "www.video-platform.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_ask(fn, "nope.video-platform.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(fn_ask(fn, "txt-only.video-platform.com.", LDNS_RR_TYPE_A, true),
		 LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_ask(fn, "nope.video-platform.com.", LDNS_RR_TYPE_A, false),
		 LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(fn_ask(fn, "www.lame.com.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	CHECK_EQ(fn_ask(fn, "localhost.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
}

static void golden(enum rw_trace_format fmt, const char *path)
{
	struct fakenet fn;
	fn_init(&fn, true);
	fn.rng = 2026;
	fn_server(&fn, "192.0.2.1", ".", ROOT_DATA);
	fn_server(&fn, "192.0.2.10", "com.", COM_DATA);
	fn_server(&fn, "192.0.2.11", "net.", NET_DATA);
	fn_server(&fn, "192.0.2.31", "dnshost.net. video-platform.com.", DNSHOST_DATA);
	fn_server(&fn, "192.0.2.32", "dnshost.net. video-platform.com.", DNSHOST_DATA);
	fn_server(&fn, "192.0.2.66", "example.org.", "");
	struct rw_config *cfg = fn_config(hints_path);
	cfg->trace_format = fmt;
	fn_start(&fn, cfg);
	story(&fn);

	if (getenv("RW_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "w");
		CHECK(f != NULL);
		if (f) {
			fwrite(fn.trace, 1, fn.trace_len, f);
			fclose(f);
		}
	} else {
		static char want[65536];
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(want, 1, sizeof(want) - 1, f) : 0;
		if (f)
			fclose(f);
		want[n] = '\0';
		CHECK(f != NULL);
		bool same = n == fn.trace_len && memcmp(want, fn.trace, n) == 0;
		if (!same) {
			/* the first line that differs, to read in the test log */
			size_t i = 0, line = 1, at = 0;
			while (i < n && i < fn.trace_len && want[i] == fn.trace[i]) {
				if (want[i] == '\n') {
					line++;
					at = i + 1;
				}
				i++;
			}
			fprintf(stderr,
				"%s: the traces differ from line %zu\n--- want: %.300s\n"
				"--- got:  %.300s\n",
				path, line, want + at, fn.trace + at);
		}
		CHECK(same);
	}
	fn_free(&fn);
	rw_config_free(cfg);
}

int main(void)
{
	golden(RW_TRACE_TEXT, "tests/golden/story.txt");
	golden(RW_TRACE_JSON, "tests/golden/story.json");
	return rw_check_report("golden");
}
