/* CHAOS class questions (chaos.c): the server's version and identity, as Unbound answers them.
 * Internal to src/core. */
#ifndef RW_CHAOS_H
#define RW_CHAOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "answer.h"

/* Answer a CHAOS class question (cq->qclass is CH): version.bind, version.server, id.server or
 * hostname.bind with TXT or ANY gets a TXT record (unless hide-version or hide-identity, or no
 * identity is known), anything else REFUSED. The answer goes to to->cb, and is counted in
 * a->stats. Returns true (the question is handled). */
bool rw_chaos_answer(struct rw_answerer *a, const uint8_t *pkt, size_t len,
		     const struct rw_client_query *cq, const struct rw_answer_client *to);

#endif
