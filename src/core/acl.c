/* Access control: the configuration's netblocks sorted most specific first, IPv4 as 32-bit
 * words and IPv6 as two 64-bit words with their masks, so that a lookup is a few compares. */
#include "rootwalk/acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct rw_acl6 {
	uint64_t net[2], mask[2];
	unsigned prefix;
	enum rw_acl_action action;
};

static uint32_t mask4(unsigned prefix)
{
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

static uint64_t mask64(unsigned bits)
{
	return bits == 0 ? 0 : bits >= 64 ? UINT64_MAX : UINT64_MAX << (64 - bits);
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static bool mapped(const uint8_t a[16])
{
	static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a, pre, sizeof(pre)) == 0;
}

/* Add or replace (same netblock) an IPv4 entry. */
static void put4(struct rw_acl *acl, uint32_t addr, unsigned prefix, enum rw_acl_action a)
{
	uint32_t m = mask4(prefix);
	for (size_t i = 0; i < acl->n4; i++)
		if (acl->v4[i].prefix == prefix && acl->v4[i].net == (addr & m)) {
			acl->v4[i].action = a;
			return;
		}
	acl->v4[acl->n4++] = (struct rw_acl4){addr & m, m, prefix, a};
}

static void put6(struct rw_acl *acl, const uint8_t addr[16], unsigned prefix, enum rw_acl_action a)
{
	if (prefix >= 96 && mapped(addr)) {
		/* ::ffff:a.b.c.d/p is the IPv4 netblock a.b.c.d/(p - 96) */
		uint32_t v4 = (uint32_t)addr[12] << 24 | (uint32_t)addr[13] << 16 |
			      (uint32_t)addr[14] << 8 | addr[15];
		put4(acl, v4, prefix - 96, a);
		return;
	}
	struct rw_acl6 e = {.prefix = prefix, .action = a};
	e.mask[0] = mask64(prefix);
	e.mask[1] = mask64(prefix > 64 ? prefix - 64 : 0);
	e.net[0] = load64(addr) & e.mask[0];
	e.net[1] = load64(addr + 8) & e.mask[1];
	for (size_t i = 0; i < acl->n6; i++)
		if (acl->v6[i].prefix == prefix && acl->v6[i].net[0] == e.net[0] &&
		    acl->v6[i].net[1] == e.net[1]) {
			acl->v6[i].action = a;
			return;
		}
	acl->v6[acl->n6++] = e;
}

static int by_prefix4(const void *a, const void *b)
{
	const struct rw_acl4 *x = a, *y = b;
	return (int)y->prefix - (int)x->prefix;
}

static int by_prefix6(const void *a, const void *b)
{
	const struct rw_acl6 *x = a, *y = b;
	return (int)y->prefix - (int)x->prefix;
}

struct rw_acl *rw_acl_new(const struct rw_config_acl *lines, size_t n)
{
	/* the defaults: 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 (the same as the first) */
	static const uint8_t lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	struct rw_acl *acl = calloc(1, sizeof(*acl));

	if (!acl)
		return NULL;
	acl->v4 = calloc(n + 1, sizeof(*acl->v4));
	acl->v6 = calloc(n + 1, sizeof(*acl->v6));
	if (!acl->v4 || !acl->v6) {
		rw_acl_free(acl);
		return NULL;
	}
	put4(acl, 0x7f000000u, 8, RW_ACL_ALLOW);
	put6(acl, lo6, 128, RW_ACL_ALLOW);
	for (size_t i = 0; i < n; i++) {
		const struct rw_netblock *nb = &lines[i].nb;
		if (nb->addr.ss_family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)&nb->addr;
			put4(acl, ntohl(sin->sin_addr.s_addr), nb->prefix, lines[i].action);
		} else if (nb->addr.ss_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&nb->addr;
			put6(acl, sin6->sin6_addr.s6_addr, nb->prefix, lines[i].action);
		}
	}
	qsort(acl->v4, acl->n4, sizeof(*acl->v4), by_prefix4);
	qsort(acl->v6, acl->n6, sizeof(*acl->v6), by_prefix6);
	return acl;
}

void rw_acl_free(struct rw_acl *acl)
{
	if (!acl)
		return;
	free(acl->v4);
	free(acl->v6);
	free(acl);
}

static int find4(const struct rw_acl *acl, uint32_t a)
{
	for (size_t i = 0; i < acl->n4; i++)
		if ((a & acl->v4[i].mask) == acl->v4[i].net)
			return (int)acl->v4[i].action;
	return -1;
}

enum rw_acl_action rw_acl_lookup6(const struct rw_acl *acl, const struct sockaddr *client)
{
	if (client->sa_family == AF_INET)
		return rw_acl_lookup(acl, client);
	if (client->sa_family != AF_INET6)
		return RW_ACL_REFUSE;
	const uint8_t *b = ((const struct sockaddr_in6 *)(const void *)client)->sin6_addr.s6_addr;
	if (mapped(b)) {
		int a = find4(acl, (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
					   (uint32_t)b[14] << 8 | b[15]);
		if (a >= 0)
			return (enum rw_acl_action)a;
	}
	uint64_t hi = load64(b), lo = load64(b + 8);
	for (size_t i = 0; i < acl->n6; i++)
		if ((hi & acl->v6[i].mask[0]) == acl->v6[i].net[0] &&
		    (lo & acl->v6[i].mask[1]) == acl->v6[i].net[1])
			return acl->v6[i].action;
	return RW_ACL_REFUSE;
}

const char *rw_acl_action_name(enum rw_acl_action a)
{
	switch (a) {
	case RW_ACL_DENY:
		return "deny";
	case RW_ACL_REFUSE:
		return "refuse";
	case RW_ACL_ALLOW:
		return "allow";
	case RW_ACL_ALLOW_SNOOP:
		return "allow_snoop";
	}
	return "?";
}
