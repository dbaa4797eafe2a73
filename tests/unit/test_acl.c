/* access-control: the lines as the configuration parses them, and the compiled lookup (most
 * specific netblock first, the defaults, IPv4, IPv6 and IPv4-mapped clients). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testaddr.h"
#include "rootwalk/acl.h"
#include "rootwalk/config.h"

static enum rw_acl_action look(const struct rw_acl *acl, const char *s)
{
	struct sockaddr_storage ss = addr(s);
	return rw_acl_lookup(acl, (const struct sockaddr *)&ss);
}

/* Compile the access-control lines of text (a configuration file). */
static struct rw_acl *compile(const char *text, struct rw_config **cfgp)
{
	char err[512] = "";
	struct rw_config *cfg = NULL;
	int rc = rw_config_parse(text, strlen(text), "test", &cfg, err, sizeof(err));
	CHECK_EQ(rc, 0);
	if (rc != 0) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	*cfgp = cfg;
	return rw_acl_new(cfg->acl, cfg->n_acl);
}

static void test_defaults(void)
{
	struct rw_acl *acl = rw_acl_new(NULL, 0);
	CHECK(acl != NULL);
	CHECK_EQ(look(acl, "127.0.0.1"), RW_ACL_ALLOW);
	CHECK_EQ(look(acl, "127.255.1.2"), RW_ACL_ALLOW);
	CHECK_EQ(look(acl, "::1"), RW_ACL_ALLOW);
	CHECK_EQ(look(acl, "::ffff:127.0.0.1"), RW_ACL_ALLOW);
	/* everything else is refused: no open resolver by accident */
	CHECK_EQ(look(acl, "192.0.2.1"), RW_ACL_REFUSE);
	CHECK_EQ(look(acl, "128.0.0.1"), RW_ACL_REFUSE);
	CHECK_EQ(look(acl, "2001:db8::1"), RW_ACL_REFUSE);
	CHECK_EQ(look(acl, "::2"), RW_ACL_REFUSE);
	CHECK_EQ(look(acl, "::ffff:192.0.2.1"), RW_ACL_REFUSE);
	/* another family than IP: refused */
	struct sockaddr un = {.sa_family = AF_UNIX};
	CHECK_EQ(rw_acl_lookup(acl, &un), RW_ACL_REFUSE);
	rw_acl_free(acl);
	rw_acl_free(NULL);
}

static void test_most_specific(void)
{
	struct rw_config *cfg = NULL;
	struct rw_acl *acl = compile("access-control: 0.0.0.0/0 deny\n"
				     "access-control: 192.0.2.0/24 allow\n"
				     "access-control: 192.0.2.128/25 refuse\n"
				     "access-control: 192.0.2.200 allow_snoop\n"
				     "access-control: 198.51.100.7/16 allow\n" /* host bits */
				     "access-control: 2001:db8::/32 allow\n"
				     "access-control: 2001:db8:1::/48 deny\n"
				     "access-control: 2001:db8:1:2::/64 allow_snoop\n"
				     "access-control: 127.0.0.0/8 refuse\n",
				     &cfg);
	CHECK(acl != NULL);
	if (!acl)
		return;
	CHECK_EQ(cfg->n_acl, 9);
	CHECK_EQ(look(acl, "203.0.113.1"), RW_ACL_DENY);
	CHECK_EQ(look(acl, "192.0.2.1"), RW_ACL_ALLOW);
	CHECK_EQ(look(acl, "192.0.2.127"), RW_ACL_ALLOW);
	CHECK_EQ(look(acl, "192.0.2.128"), RW_ACL_REFUSE);
	CHECK_EQ(look(acl, "192.0.2.200"), RW_ACL_ALLOW_SNOOP);
	CHECK_EQ(look(acl, "192.0.2.201"), RW_ACL_REFUSE);
	CHECK_EQ(look(acl, "198.51.1.1"), RW_ACL_ALLOW);
	CHECK_EQ(look(acl, "198.52.0.1"), RW_ACL_DENY);
	/* a line for the default's netblock replaces it */
	CHECK_EQ(look(acl, "127.0.0.1"), RW_ACL_REFUSE);
	CHECK_EQ(look(acl, "::1"), RW_ACL_ALLOW);
	CHECK_EQ(look(acl, "2001:db8:ffff::1"), RW_ACL_ALLOW);
	CHECK_EQ(look(acl, "2001:db8:1:3::1"), RW_ACL_DENY);
	CHECK_EQ(look(acl, "2001:db8:1:2::99"), RW_ACL_ALLOW_SNOOP);
	CHECK_EQ(look(acl, "2001:db9::1"), RW_ACL_REFUSE); /* no ::/0 line */
	/* IPv4-mapped: looked up as the IPv4 address */
	CHECK_EQ(look(acl, "::ffff:192.0.2.200"), RW_ACL_ALLOW_SNOOP);
	CHECK_EQ(look(acl, "::ffff:203.0.113.1"), RW_ACL_DENY);
	rw_acl_free(acl);
	rw_config_free(cfg);
}

static void test_mapped_lines(void)
{
	struct rw_config *cfg = NULL;
	/* a mapped netblock is the IPv4 netblock; ::/0 catches mapped clients nothing else has */
	struct rw_acl *acl = compile("access-control: ::ffff:192.0.2.0/120 allow\n"
				     "access-control: ::/0 deny\n",
				     &cfg);
	CHECK(acl != NULL);
	if (!acl)
		return;
	CHECK_EQ(look(acl, "192.0.2.9"), RW_ACL_ALLOW);
	CHECK_EQ(look(acl, "::ffff:192.0.2.9"), RW_ACL_ALLOW);
	CHECK_EQ(look(acl, "::ffff:198.51.100.1"), RW_ACL_DENY);
	CHECK_EQ(look(acl, "198.51.100.1"), RW_ACL_REFUSE);
	CHECK_EQ(look(acl, "2001:db8::1"), RW_ACL_DENY);
	CHECK_EQ(look(acl, "::1"), RW_ACL_ALLOW); /* /128 beats /0 */
	rw_acl_free(acl);
	rw_config_free(cfg);
}

/* The last of two lines for one netblock wins. */
static void test_repeat(void)
{
	struct rw_config *cfg = NULL;
	struct rw_acl *acl = compile("access-control: 192.0.2.0/24 allow\n"
				     "access-control: 192.0.2.0/24 deny\n",
				     &cfg);
	CHECK(acl != NULL);
	if (!acl)
		return;
	CHECK_EQ(look(acl, "192.0.2.5"), RW_ACL_DENY);
	rw_acl_free(acl);
	rw_config_free(cfg);
}

static void bad(const char *text, const char *want)
{
	char err[512] = "";
	struct rw_config *cfg = NULL;
	CHECK(rw_config_parse(text, strlen(text), "test", &cfg, err, sizeof(err)) < 0);
	CHECK(cfg == NULL);
	CHECK(strstr(err, want) != NULL);
	if (!strstr(err, want))
		fprintf(stderr, "  got: %s\n", err);
	rw_config_free(cfg);
}

static void test_config_errors(void)
{
	bad("access-control: 192.0.2.0/24\n", "expected 'NETBLOCK ACTION'");
	bad("access-control: 192.0.2.0/24 allow extra\n", "expected 'NETBLOCK ACTION'");
	bad("access-control: 192.0.2.0/24 permit\n", "'permit'");
	bad("access-control: 192.0.2.0/33 allow\n", "prefix length must be 0..32");
	bad("access-control: 2001:db8::/129 allow\n", "prefix length must be 0..128");
	bad("access-control: example.com allow\n", "is not an address or netblock");
	bad("ip-ratelimit: -1\n", "ip-ratelimit");
	bad("ip-ratelimit-slip: 1001\n", "out of range");

	struct rw_config *cfg = rw_config_default();
	CHECK(cfg != NULL);
	CHECK_EQ(cfg->n_acl, 0);
	CHECK_EQ(cfg->ip_ratelimit, 0);
	CHECK_EQ(cfg->ip_ratelimit_slip, 2);
	rw_config_free(cfg);
}

int main(void)
{
	test_defaults();
	test_most_specific();
	test_mapped_lines();
	test_repeat();
	test_config_errors();
	return rw_check_report("test_acl");
}
