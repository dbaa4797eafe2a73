/* Root hints: the built-in IANA set, files in zone format, and what is refused. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "rootwalk/hints.h"

static struct rw_hints *parse(const char *text, char *err, size_t len)
{
	err[0] = '\0';
	return rw_hints_parse(text, "test.hints", err, len);
}

int main(void)
{
	char err[256];
	struct rw_hints *h = rw_hints_load(NULL, err, sizeof(err));

	/* built in: the 13 IANA root servers, each with an IPv4 and an IPv6 address */
	CHECK(h != NULL);
	if (h) {
		CHECK_EQ(ldns_rr_list_rr_count(h->ns), 13);
		CHECK_EQ(ldns_rr_list_rr_count(h->addrs), 26);
		CHECK(strcmp(h->origin, "built-in") == 0);
		rw_hints_free(h);
	}
	/* a lab file: comments, $TTL, relative names, only root NS kept */
	h = parse("; lab\n$TTL 3600000\n.  NS  a.root-servers.net.\n. NS b.root-servers.net.\n"
		  "a.root-servers.net. A 127.1.0.1\nb.root-servers.net. AAAA 2001:db8::1\n"
		  "com. NS a.gtld-servers.net.\na.gtld-servers.net. A 127.2.0.1\n",
		  err, sizeof(err));
	CHECK(h != NULL);
	if (h) {
		CHECK_EQ(ldns_rr_list_rr_count(h->ns), 2);
		CHECK(strcmp(h->origin, "test.hints") == 0);
		rw_hints_free(h);
	}
	/* refused, with the reason */
	CHECK(parse("a.root-servers.net. 1 IN A 127.1.0.1\n", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "no root NS records") != NULL);
	CHECK(parse(". 1 IN NS a.root-servers.net.\n", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "a.root-servers.net. has no address") != NULL);
	CHECK(parse(". 1 IN NS a.root-servers.net.\na.root-servers.net. 1 IN A 300.1.1.1\n", err,
		    sizeof(err)) == NULL);
	CHECK(strstr(err, "test.hints:2:") != NULL); /* the line of the bad record */
	CHECK(parse(". 1 IN NS a.root-servers.net.\n\n; comment\nx. 1 IN A 1.1.1\n", err,
		    sizeof(err)) == NULL);
	CHECK(strstr(err, "test.hints:4:") != NULL);
	CHECK(parse(". 1 IN NS a.root-servers.net.\nx. 1 IN A 1.1.1", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "test.hints:2:") != NULL); /* no newline at the end */
	/* files: the lab's loads; a missing one is named */
	h = rw_hints_load("zones/root.hints", err, sizeof(err));
	CHECK(h != NULL);
	rw_hints_free(h);
	CHECK(rw_hints_check("zones/root.hints", err, sizeof(err)) == 0);
	CHECK(rw_hints_check("/nonexistent/root.hints", err, sizeof(err)) < 0);
	CHECK(strstr(err, "/nonexistent/root.hints: cannot open root hints") != NULL);
	rw_hints_free(NULL);
	return rw_check_report("hints");
}
