/* Who may ask: the access-control: lines of the configuration compiled for a quick lookup.
 *
 * Unbound's meanings: deny drops the query silently, refuse answers REFUSED, allow permits
 * recursion (an RD=0 question is REFUSED, except for local zones), allow_snoop permits RD=0
 * questions too. Loopback (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104) is allowed unless a line
 * says otherwise; any other client is refused, so that listening on a LAN address never makes
 * an open resolver by accident. The most specific netblock wins; a line for the very netblock
 * of another replaces it (the later line wins). An IPv4-mapped IPv6 client is looked up as the
 * IPv4 address it carries (and the mapped netblocks of the lines as IPv4 netblocks), then, if
 * nothing matched, among the IPv6 netblocks.
 */
#ifndef RW_ACL_H
#define RW_ACL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rootwalk/config.h"

/* The compiled lines, most specific first in each family. Read-only outside acl.c: visible
 * only so that an IPv4 lookup, every query's, is inline. */
struct rw_acl4 {
	uint32_t net, mask; /* host order */
	unsigned prefix;
	enum rw_acl_action action;
};
struct rw_acl6;
struct rw_acl {
	struct rw_acl4 *v4;
	struct rw_acl6 *v6;
	size_t n4, n6;
};

/* Compile the lines (borrowed, n of them; may be 0) after the defaults. Returns NULL when
 * memory ran out. */
struct rw_acl *rw_acl_new(const struct rw_config_acl *lines, size_t n);
/* NULL does nothing. */
void rw_acl_free(struct rw_acl *acl);
/* What applies to an IPv6 (or other: refused) client. */
enum rw_acl_action rw_acl_lookup6(const struct rw_acl *acl, const struct sockaddr *client);

/* What applies to client (AF_INET or AF_INET6; any other family is refused): two compares per
 * line of the client's family. */
static inline enum rw_acl_action rw_acl_lookup(const struct rw_acl *acl,
					       const struct sockaddr *client)
{
	if (client->sa_family != AF_INET)
		return rw_acl_lookup6(acl, client);
	uint32_t a = ntohl(((const struct sockaddr_in *)(const void *)client)->sin_addr.s_addr);
	for (size_t i = 0; i < acl->n4; i++)
		if ((a & acl->v4[i].mask) == acl->v4[i].net)
			return acl->v4[i].action;
	return RW_ACL_REFUSE;
}
/* "deny", "refuse", "allow", "allow_snoop". */
const char *rw_acl_action_name(enum rw_acl_action a);

#endif
