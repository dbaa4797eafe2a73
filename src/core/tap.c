/* dnstap in the core: see tap.h. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#define TAP_SPARE 256 /* finished wrappers kept for reuse: a cache hit then allocates nothing */

struct rw_tap_wrap {
	struct rw_taps *t;
	struct rw_tap_wrap *prev, *next; /* t->live, or t->spare (next only) */
	rw_response_cb cb;		 /* the edge's, handed the response after the tap */
	void *arg;
	struct sockaddr_storage client;
	socklen_t clientlen;
	bool tcp;
	int64_t query_us;
};

void rw_tap_init(struct rw_taps *t, const struct rw_env *env, struct rw_stats *stats)
{
	memset(t, 0, sizeof(*t));
	t->env = env;
	t->stats = stats;
}

void rw_tap_deinit(struct rw_taps *t)
{
	struct rw_tap_wrap *lists[2] = {t->live, t->spare};

	for (int i = 0; i < 2; i++)
		while (lists[i]) {
			struct rw_tap_wrap *w = lists[i];
			lists[i] = w->next;
			free(w);
		}
	t->live = t->spare = NULL;
	t->n_spare = 0;
}

bool rw_tap_wanted(const struct rw_taps *t, const struct rw_config *cfg, enum rw_tap_type type)
{
	if (!t->env->dnstap || !cfg->dnstap)
		return false;
	switch (type) {
	case RW_TAP_CLIENT_QUERY:
		return cfg->dnstap_client_query;
	case RW_TAP_CLIENT_RESPONSE:
		return cfg->dnstap_client_response;
	case RW_TAP_RESOLVER_QUERY:
		return cfg->dnstap_resolver_query;
	case RW_TAP_RESOLVER_RESPONSE:
		return cfg->dnstap_resolver_response;
	}
	return false;
}

static void tap(struct rw_taps *t, const struct rw_tap_msg *m)
{
	if (t->env->dnstap(t->env->ctx, m) == 0)
		t->stats->dnstap_sent++;
	else
		t->stats->dnstap_dropped++;
}

static void wrap_release(struct rw_taps *t, struct rw_tap_wrap *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		t->live = w->next;
	if (w->next)
		w->next->prev = w->prev;
	if (t->n_spare < TAP_SPARE) {
		w->next = t->spare;
		t->spare = w;
		t->n_spare++;
	} else {
		free(w);
	}
}

/* The response callback the resolver calls instead of the edge's. */
static void wrap_respond(void *arg, const uint8_t *resp, size_t len)
{
	struct rw_tap_wrap *w = arg;
	struct rw_taps *t = w->t;
	rw_response_cb cb = w->cb;
	void *cb_arg = w->arg;

	if (len > 0 && resp) { /* len 0: nothing is sent, nothing to log */
		struct rw_tap_msg m = {
			.type = RW_TAP_CLIENT_RESPONSE,
			.tcp = w->tcp,
			.peer = (const struct sockaddr *)&w->client,
			.peerlen = w->clientlen,
			.wire = resp,
			.len = len,
			.query_us = w->query_us,
			.response_us = t->env->now_wall_us(t->env->ctx),
		};
		tap(t, &m);
	}
	/* released first: the edge's callback may hand the resolver a new query at once */
	wrap_release(t, w);
	cb(cb_arg, resp, len);
}

struct rw_tap_wrap *rw_tap_client_query(struct rw_taps *t, const struct rw_config *cfg,
					const uint8_t *pkt, size_t len,
					const struct sockaddr *client, socklen_t clientlen,
					enum rw_proto proto, rw_response_cb *cb, void **arg)
{
	bool want_resp = rw_tap_wanted(t, cfg, RW_TAP_CLIENT_RESPONSE);
	int64_t now = 0;

	if (!want_resp && !rw_tap_wanted(t, cfg, RW_TAP_CLIENT_QUERY))
		return NULL;
	now = t->env->now_wall_us(t->env->ctx);
	if (clientlen > sizeof(struct sockaddr_storage))
		clientlen = 0; /* never from the edge; the address is left out */
	if (rw_tap_wanted(t, cfg, RW_TAP_CLIENT_QUERY)) {
		struct rw_tap_msg m = {
			.type = RW_TAP_CLIENT_QUERY,
			.tcp = proto == RW_PROTO_TCP,
			.peer = clientlen ? client : NULL,
			.peerlen = clientlen,
			.wire = pkt,
			.len = len,
			.query_us = now,
		};
		tap(t, &m);
	}
	if (!want_resp)
		return NULL;
	struct rw_tap_wrap *w = t->spare;
	if (w) {
		t->spare = w->next;
		t->n_spare--;
	} else if (!(w = malloc(sizeof(*w)))) {
		t->stats->dnstap_dropped++; /* the response goes out untapped */
		return NULL;
	}
	memset(w, 0, sizeof(*w));
	w->t = t;
	w->cb = *cb;
	w->arg = *arg;
	if (client && clientlen)
		memcpy(&w->client, client, clientlen);
	w->clientlen = clientlen;
	w->tcp = proto == RW_PROTO_TCP;
	w->query_us = now;
	w->next = t->live;
	if (t->live)
		t->live->prev = w;
	t->live = w;
	*cb = wrap_respond;
	*arg = w;
	return w;
}

void rw_tap_unwrap(struct rw_taps *t, struct rw_tap_wrap *w)
{
	wrap_release(t, w);
}

void rw_tap_upstream_query(struct rw_taps *t, const struct rw_config *cfg,
			   const struct rw_upstream_query *q, const uint8_t *zone, size_t zone_len,
			   struct rw_tap_sent *sent)
{
	if (!rw_tap_wanted(t, cfg, RW_TAP_RESOLVER_RESPONSE) &&
	    !rw_tap_wanted(t, cfg, RW_TAP_RESOLVER_QUERY))
		return;
	sent->sent_us = t->env->now_wall_us(t->env->ctx);
	sent->tcp = q->tcp;
	sent->zone_len = zone && zone_len <= sizeof(sent->zone) ? (uint8_t)zone_len : 0;
	if (sent->zone_len)
		memcpy(sent->zone, zone, sent->zone_len);
	if (!rw_tap_wanted(t, cfg, RW_TAP_RESOLVER_QUERY))
		return;
	struct rw_tap_msg m = {
		.type = RW_TAP_RESOLVER_QUERY,
		.tcp = q->tcp,
		.peer = q->addr,
		.peerlen = q->addrlen,
		.wire = q->wire,
		.len = q->len,
		.zone = sent->zone_len ? sent->zone : NULL,
		.zone_len = sent->zone_len,
		.query_us = sent->sent_us,
	};
	tap(t, &m);
}

void rw_tap_upstream_reply(struct rw_taps *t, const struct rw_config *cfg,
			   const struct rw_tap_sent *sent, const struct sockaddr *from,
			   socklen_t fromlen, const uint8_t *pkt, size_t len)
{
	if (!rw_tap_wanted(t, cfg, RW_TAP_RESOLVER_RESPONSE) || !sent->sent_us)
		return;
	struct rw_tap_msg m = {
		.type = RW_TAP_RESOLVER_RESPONSE,
		.tcp = sent->tcp,
		.peer = from,
		.peerlen = fromlen,
		.wire = pkt,
		.len = len,
		.zone = sent->zone_len ? sent->zone : NULL,
		.zone_len = sent->zone_len,
		.query_us = sent->sent_us,
		.response_us = t->env->now_wall_us(t->env->ctx),
	};
	tap(t, &m);
}
