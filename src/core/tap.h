/* dnstap in the core: which messages the configuration asks for, handed to env->dnstap with the
 * times and the zone asked, and counted (stats.dnstap_sent, dnstap_dropped). The encoding and the
 * output are the daemon's (src/daemon/dnstap.c): the core knows no protobuf and no socket.
 *
 * A client's response is tapped by wrapping its response callback: the wrapper keeps the
 * client's address and the time of the query until the answer goes out. Wrappers are owned by
 * struct rw_taps; those still waiting when the resolver is freed (it never calls back then) are
 * freed by rw_tap_deinit.
 */
#ifndef RW_CORE_TAP_H
#define RW_CORE_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rootwalk/config.h"
#include "rootwalk/env.h"
#include "rootwalk/resolver.h"

struct rw_tap_wrap;

struct rw_taps {
	const struct rw_env *env;  /* borrowed */
	struct rw_stats *stats;	   /* borrowed: the resolver's */
	struct rw_tap_wrap *live;  /* wrappers waiting for their response */
	struct rw_tap_wrap *spare; /* finished ones kept for reuse */
	size_t n_spare;
};

/* What an upstream query needs to be tapped again with its reply: kept in the request. */
struct rw_tap_sent {
	int64_t sent_us; /* wall clock */
	bool tcp;
	uint8_t zone_len;
	uint8_t zone[255];
};

void rw_tap_init(struct rw_taps *t, const struct rw_env *env, struct rw_stats *stats);
/* Free every wrapper, waiting or spare. */
void rw_tap_deinit(struct rw_taps *t);

/* Is this kind of message to be logged? False whenever env->dnstap is NULL. */
bool rw_tap_wanted(const struct rw_taps *t, const struct rw_config *cfg, enum rw_tap_type type);

/* A client query arrives: tap it when asked, and when responses are asked for, replace *cb and
 * *arg by a wrapper that taps the response before handing it on. Returns the wrapper, or NULL
 * when none was made (then *cb and *arg are unchanged). When the resolver then refuses the query
 * without calling back, the caller gives the wrapper back with rw_tap_unwrap. */
struct rw_tap_wrap *rw_tap_client_query(struct rw_taps *t, const struct rw_config *cfg,
					const uint8_t *pkt, size_t len,
					const struct sockaddr *client, socklen_t clientlen,
					enum rw_proto proto, rw_response_cb *cb, void **arg);
void rw_tap_unwrap(struct rw_taps *t, struct rw_tap_wrap *w);

/* An upstream query went out (q as handed to env->send; zone: the zone asked, wire form, may be
 * NULL): tap it when asked, and remember in *sent what its reply will need. */
void rw_tap_upstream_query(struct rw_taps *t, const struct rw_config *cfg,
			   const struct rw_upstream_query *q, const uint8_t *zone, size_t zone_len,
			   struct rw_tap_sent *sent);
/* Its reply was accepted: tap it when asked. */
void rw_tap_upstream_reply(struct rw_taps *t, const struct rw_config *cfg,
			   const struct rw_tap_sent *sent, const struct sockaddr *from,
			   socklen_t fromlen, const uint8_t *pkt, size_t len);

#endif
