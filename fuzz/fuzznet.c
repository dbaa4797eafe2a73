/* The fuzz targets' fake network: see fuzznet.h. */
#include "fuzznet.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ldns/ldns.h>

#include "fuzz.h"
#include "rootwalk/wire.h"

uint64_t fz_mono_ms(void *ctx)
{
	return ((struct fz_clock *)ctx)->mono_ms;
}

int64_t fz_wall_us(void *ctx)
{
	return ((struct fz_clock *)ctx)->wall_us;
}

void fz_random(void *ctx, void *buf, size_t len)
{
	struct fz_clock *c = ctx;
	uint8_t *b = buf;

	for (size_t i = 0; i < len; i++) {
		c->rng = c->rng * 6364136223846793005ull + 1442695040888963407ull;
		b[i] = (uint8_t)(c->rng >> 56);
	}
}

void fz_env_init(struct rw_env *env, void *ctx, struct fz_clock *clk, uint64_t seed)
{
	*env = (struct rw_env){.ctx = ctx,
			       .now_mono_ms = fz_mono_ms,
			       .now_wall_us = fz_wall_us,
			       .random_buf = fz_random};
	clk->mono_ms = 1000;
	clk->wall_us = 1795600000LL * 1000000; /* 2026-11-25T09:46:40Z */
	clk->rng = seed;
}

int fz_net_keep(struct fz_net *net, const struct rw_upstream_query *q)
{
	uint8_t name[256];
	size_t off = RW_DNS_HEADER_LEN;

	REQUIRE(q != NULL && q->wire != NULL && q->addr != NULL);
	if (net->verbose)
		fprintf(stderr, "-> send id %llu: %zu bytes, addrlen %u, %s\n",
			(unsigned long long)q->id, q->len, (unsigned)q->addrlen,
			q->tcp ? "tcp" : "udp");
	REQUIRE(q->addrlen > 0 && q->addrlen <= sizeof(net->p[0].addr));
	REQUIRE(q->len >= RW_DNS_HEADER_LEN && q->len <= sizeof(net->p[0].wire));
	for (int i = 0; i < net->n; i++)
		REQUIRE(net->p[i].id != q->id); /* ids are unique while outstanding */
	if (net->n == FZ_MAX_PENDING)
		return -ENOBUFS;
	/* A query we send is a well-formed message with one question. */
	REQUIRE(rw_wire_read_name(q->wire, q->len, &off, name) > 0 && off + 4 <= q->len);
	REQUIRE(q->wire[4] == 0 && q->wire[5] == 1);
	struct fz_pending *p = &net->p[net->n++];
	p->id = q->id;
	memcpy(&p->addr, q->addr, q->addrlen);
	p->addrlen = q->addrlen;
	memcpy(p->wire, q->wire, q->len);
	p->len = q->len;
	p->qend = off + 4;
	return 0;
}

void fz_net_forget(struct fz_net *net, uint64_t id)
{
	for (int i = 0; i < net->n; i++) {
		if (net->p[i].id == id) {
			net->p[i] = net->p[--net->n];
			return;
		}
	}
}

void fz_net_reply(struct fz_net *net, struct rw_resolver *r, struct fz_pending *p,
		  const uint8_t *body, size_t blen)
{
	static uint8_t pkt[RW_MAX_MSG];
	size_t n, head = blen < 10 ? blen : 10;
	uint64_t id = p->id;
	struct sockaddr_storage from = p->addr;
	socklen_t fromlen = p->addrlen;

	if (p->qend + (blen - head) > sizeof(pkt))
		return;
	memcpy(pkt, p->wire, 2);
	memset(pkt + 2, 0, 10);
	memcpy(pkt + 2, body, head);
	n = RW_DNS_HEADER_LEN;
	memcpy(pkt + n, p->wire + n, p->qend - n);
	n = p->qend;
	memcpy(pkt + n, body + head, blen - head);
	n += blen - head;
	if (net->verbose) {
		ldns_pkt *v = NULL;

		fprintf(stderr, "<- reply to id %llu, %zu bytes:\n", (unsigned long long)id, n);
		if (ldns_wire2pkt(&v, pkt, n) == LDNS_STATUS_OK)
			ldns_pkt_print(stderr, v);
		else
			fprintf(stderr, "(does not parse)\n");
		ldns_pkt_free(v);
	}
	/* p may move once the resolver answers: it sends and cancels from inside this call. */
	if (rw_resolver_on_reply(r, id, (struct sockaddr *)&from, fromlen, pkt, n))
		fz_net_forget(net, id);
}

bool fz_net_play(struct fz_net *net, struct rw_resolver *r, uint8_t which, const uint8_t *body,
		 size_t len)
{
	if (net->n == 0)
		return false;
	struct fz_pending *p = &net->p[net->n - 1 - which % net->n];
	if (len == 0) {
		uint64_t id = p->id;
		fz_net_forget(net, id);
		rw_resolver_on_timeout(r, id, -ETIMEDOUT);
	} else {
		fz_net_reply(net, r, p, body, len);
	}
	return true;
}
