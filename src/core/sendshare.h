/* Identical upstream queries in flight are sent once (as Unbound's serviced queries): when a
 * resolution is about to send the same question (name in any case, type, class, flags, EDNS) to
 * the same server address and transport as one already waiting for its reply, it joins that one
 * and gets a copy of its reply, with its own ID and question case written in. This table finds
 * the query in flight; the resolver keeps who joined it. Internal to src/core. */
#ifndef RW_SENDSHARE_H
#define RW_SENDSHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct rw_sendshare;
struct rw_sendshare_entry;

/* key: 16 random bytes for the hash. Returns NULL on allocation failure. */
struct rw_sendshare *rw_sendshare_new(const uint8_t key[16]);
void rw_sendshare_free(struct rw_sendshare *s);
/* The owner of a query in flight identical to wire (to addr, over TCP or not), or NULL. */
void *rw_sendshare_find(struct rw_sendshare *s, const struct sockaddr *addr, socklen_t addrlen,
			bool tcp, const uint8_t *wire, size_t len);
/* owner sent wire and waits for its reply. Returns the entry to remove later, or NULL (then it
 * is not shared). */
struct rw_sendshare_entry *rw_sendshare_add(struct rw_sendshare *s, void *owner,
					    const struct sockaddr *addr, socklen_t addrlen,
					    bool tcp, const uint8_t *wire, size_t len);
/* The query got its reply, timed out or was cancelled. NULL does nothing. */
void rw_sendshare_remove(struct rw_sendshare *s, struct rw_sendshare_entry *entry);
/* A copy of a reply (already accepted for the query sent) for a query that joined it: reply
 * with the ID and the question name's letters of wire, the joined query as built. out has room
 * for len bytes. Returns false when the reply's question does not line up with wire. */
bool rw_sendshare_patch(const uint8_t *reply, size_t len, const uint8_t *wire, size_t wlen,
			uint8_t *out);

#endif
