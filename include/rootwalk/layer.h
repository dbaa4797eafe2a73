/* The stages of a resolution: the seam for a validator after the iterator.
 *
 * As Knot Resolver's layers and Unbound's module stack, each stage is a state machine with one
 * interface: events in (begin, a reply, a timeout, the result of a sub-resolution), one action
 * out (struct rw_iter_out: send, resolve a name first, done). The resolver's drive loop runs the
 * stages of a request in order: each begins when the one before is done, with the request's
 * bottom iterator (the answer and how it was found) to read; when the last one is done the
 * client is answered from that iterator. Sub-resolutions are always iterators, whichever stage
 * asks for them. The stages are the iterator (rw_layer_iterator) and, with dnssec: yes, the validator
 * (rw_layer_validator).
 */
#ifndef RW_LAYER_H
#define RW_LAYER_H

#include <sys/socket.h>
#include <ldns/ldns.h>

#include "rootwalk/iter.h"

struct rw_layer {
	const char *name;
	/* Begin the stage for the question (qname, qtype, qclass); bottom is the iterator of the
	 * stage before, NULL for the first. Returns the stage's state (NULL: out of memory, the
	 * request fails) and sets the first action. */
	void *(*begin)(struct rw_iter_shared *sh, const ldns_rdf *qname, uint16_t qtype,
		       uint16_t qclass, struct rw_iter *bottom, struct rw_iter_out *out);
	/* As rw_iter_reply(): false when the reply is not for the query in flight. */
	bool (*reply)(void *state, const struct sockaddr *from, socklen_t fromlen,
		      const uint8_t *pkt, size_t len, struct rw_iter_out *out);
	void (*timeout)(void *state, int err, struct rw_iter_out *out);
	void (*subresult)(void *state, const struct rw_iter *child, struct rw_iter_out *out);
	/* The iterator the client's answer is read from (the first stage's state), or NULL. */
	struct rw_iter *(*result)(void *state);
	void (*end)(void *state); /* free the state */
};

/* The first stage: the delegation walk (iter.h). */
extern const struct rw_layer rw_layer_iterator;
/* The second: DNSSEC validation of what the iterator found (validate.c). */
extern const struct rw_layer rw_layer_validator;

#endif
