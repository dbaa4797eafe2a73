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

#include <stddef.h>
#include <sys/socket.h>

#include "rootwalk/config.h"

struct rw_acl;

/* Compile the lines (borrowed, n of them; may be 0) after the defaults. Returns NULL when
 * memory ran out. */
struct rw_acl *rw_acl_new(const struct rw_config_acl *lines, size_t n);
/* NULL does nothing. */
void rw_acl_free(struct rw_acl *acl);
/* What applies to client (AF_INET or AF_INET6; any other family is refused). Inline callers
 * need nothing else: a few compares per line of the client's family. */
enum rw_acl_action rw_acl_lookup(const struct rw_acl *acl, const struct sockaddr *client);
/* "deny", "refuse", "allow", "allow_snoop". */
const char *rw_acl_action_name(enum rw_acl_action a);

#endif
