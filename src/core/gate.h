/* The client gate (gate.c): what happens to a client query before it is answered at all:
 * access control, DNS cookies, the rate limit. Internal to src/core. */
#ifndef RW_GATE_H
#define RW_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "answer.h"
#include "rootwalk/acl.h"
#include "rootwalk/cookie.h"
#include "rootwalk/ratelimit.h"
#include "rootwalk/shared.h"

struct rw_resolver;

/* The gate's state, in the resolver. */
struct rw_gate {
	struct rw_acl *acl; /* compiled from the configuration in use */
	/* borrowed: the server cookie secret and the rate limit's table, one for every resolver
	 * of the daemon (rw_shared_cookie_secret, rw_shared_ratelimit), so that a cookie made by
	 * one worker is valid at another and the limit counts a client's queries at all */
	struct rw_shared *shared;
};

/* Set up for cfg: the ACL. Returns 0 or -ENOMEM. */
int rw_gate_init(struct rw_gate *g, const struct rw_env *env, const struct rw_config *cfg,
		 struct rw_shared *shared);
/* A new configuration (a reload): the ACL is compiled anew (on failure the old one stays and
 * the log says so); the secret and the rate limit's counts are kept. */
void rw_gate_use_config(struct rw_gate *g, const struct rw_env *env, const struct rw_config *cfg);
void rw_gate_deinit(struct rw_gate *g);

/* Refuse (REFUSED: the header alone, as Unbound answers) or drop (deny) a query that access
 * control turned away, without parsing it: counted, traced when wanted. */
void rw_gate_turn_away(struct rw_answerer *a, const uint8_t *pkt, size_t len,
		       const struct rw_answer_client *to, enum rw_acl_action action);
/* The cookie and the rate limit (rw_gate_limit) once the quick test has passed. */
bool rw_gate_check(struct rw_gate *g, struct rw_answerer *a, const uint8_t *pkt, size_t len,
		   struct rw_client_query *cq, const struct rw_answer_client *to);

/* Access control, before the query is parsed: true when the query was dealt with (denied:
 * dropped; refused: REFUSED). Otherwise *action says what the client may do. Inline, as the
 * quick test of rw_gate_limit: every query passes here, most of them allowed. */
static inline bool rw_gate_access(struct rw_gate *g, struct rw_answerer *a, const uint8_t *pkt,
				  size_t len, const struct rw_answer_client *to,
				  enum rw_acl_action *action)
{
	/* no address: a query of our own (tests), never refused */
	*action = to->addr ? rw_acl_lookup(g->acl, to->addr) : RW_ACL_ALLOW_SNOOP;
	if (*action >= RW_ACL_ALLOW)
		return false;
	rw_gate_turn_away(a, pkt, len, to, *action);
	return true;
}

/* After parsing: the client's cookie checked (cq->cookie_answer and cookie_reply set for the
 * answer), then the rate limit. True when the query was dealt with (dropped, or answered TC=1
 * empty). */
static inline bool rw_gate_limit(struct rw_gate *g, struct rw_answerer *a, const uint8_t *pkt,
				 size_t len, struct rw_client_query *cq,
				 const struct rw_answer_client *to)
{
	if (!cq->cookie_len && !a->cfg->ip_ratelimit)
		return false;
	return rw_gate_check(g, a, pkt, len, cq, to);
}
/* RD=0 from a client allowed only recursion: REFUSED as Unbound answers (local zones were
 * answered before). */
void rw_gate_refuse_norec(struct rw_answerer *a, const uint8_t *pkt, size_t len,
			  const struct rw_client_query *cq, const struct rw_answer_client *to);

#endif
