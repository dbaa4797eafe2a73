/* The iterator as the first stage of a resolution (rootwalk/layer.h): the stage interface over
 * iter.c (begin) and iter_reply.c (replies, timeouts, sub-results). */
#include "iter_impl.h"
#include "rootwalk/layer.h"

static void *layer_begin(struct rw_iter_shared *sh, const ldns_rdf *qname, uint16_t qtype,
			 uint16_t qclass, struct rw_iter *bottom, struct rw_iter_out *out)
{
	(void)bottom;
	struct rw_iter *it = rw_iter_new(sh, qname, qtype, qclass, 0, "");
	if (it)
		rw_iter_start(it, out);
	return it;
}

static bool layer_reply(void *state, const struct sockaddr *from, socklen_t fromlen,
			const uint8_t *pkt, size_t len, struct rw_iter_out *out)
{
	return rw_iter_reply(state, from, fromlen, pkt, len, out);
}

static void layer_timeout(void *state, int err, struct rw_iter_out *out)
{
	rw_iter_timeout(state, err, out);
}

static void layer_subresult(void *state, const struct rw_iter *child, struct rw_iter_out *out)
{
	rw_iter_subresult(state, child, out);
}

static struct rw_iter *layer_result(void *state)
{
	return state;
}

static void layer_end(void *state)
{
	rw_iter_free(state);
}

const struct rw_layer rw_layer_iterator = {
	.name = "iterator",
	.begin = layer_begin,
	.reply = layer_reply,
	.timeout = layer_timeout,
	.subresult = layer_subresult,
	.result = layer_result,
	.end = layer_end,
};
