/* DNS Cookies, server side (RFC 7873, server cookies as RFC 9018 makes them).
 *
 * A server cookie is version 1, three reserved bytes, a 32-bit timestamp (seconds since the
 * epoch, serial arithmetic) and SipHash-2-4, under a 16-byte server secret, of the client
 * cookie, version, reserved bytes, timestamp and the client's IP address (4 or 16 bytes as it
 * arrived). A returned server cookie is valid when its hash matches and its timestamp is at
 * most an hour old and at most five minutes ahead (RFC 9018 4.3).
 */
#ifndef RW_COOKIE_H
#define RW_COOKIE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RW_COOKIE_SECRET_LEN 16
#define RW_COOKIE_CLIENT_LEN 8
#define RW_COOKIE_SERVER_LEN 16 /* the cookies we make */
#define RW_COOKIE_REPLY_LEN  (RW_COOKIE_CLIENT_LEN + RW_COOKIE_SERVER_LEN)
/* The option in an answer: code, length, client cookie, server cookie. */
#define RW_COOKIE_OPT_LEN (4 + RW_COOKIE_REPLY_LEN)

enum rw_cookie_state {
	RW_COOKIE_NONE = 0,	   /* no COOKIE option */
	RW_COOKIE_CLIENT_ONLY = 1, /* a client cookie alone */
	RW_COOKIE_VALID = 2,	   /* a server cookie we made, recent enough */
	RW_COOKIE_INVALID = 3,	   /* a server cookie we did not make, or too old or new */
};

/* Make the server cookie for client cookie cc (8 bytes) from client at time ts into out. */
void rw_cookie_make(const uint8_t secret[RW_COOKIE_SECRET_LEN],
		    const uint8_t cc[RW_COOKIE_CLIENT_LEN], const struct sockaddr *client,
		    uint32_t ts, uint8_t out[RW_COOKIE_SERVER_LEN]);
/* Classify the COOKIE option content of a query (cookie, len bytes: 8, or 16 to 40; 0 for
 * none) from client at now (seconds). */
enum rw_cookie_state rw_cookie_check(const uint8_t secret[RW_COOKIE_SECRET_LEN],
				     const uint8_t *cookie, size_t len,
				     const struct sockaddr *client, uint32_t now);
/* The option content to answer with (client cookie and server cookie, 24 bytes, in out): the
 * server cookie received when it is valid and less than half an hour old (RFC 9018 4.3),
 * else a fresh one. */
void rw_cookie_reply(const uint8_t secret[RW_COOKIE_SECRET_LEN], const uint8_t *cookie, size_t len,
		     enum rw_cookie_state state, const struct sockaddr *client, uint32_t now,
		     uint8_t out[RW_COOKIE_REPLY_LEN]);
/* Add the COOKIE option with content reply (24 bytes) to the OPT record of the message msg/len
 * (the OPT must be its last record, as in every answer we build), within cap bytes. Returns the
 * new length, or len unchanged when there is no OPT record at the end or no room. */
size_t rw_cookie_append(uint8_t *msg, size_t len, size_t cap,
			const uint8_t reply[RW_COOKIE_REPLY_LEN]);

#endif
