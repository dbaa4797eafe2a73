/* DNS cookies, client side (RFC 7873 5.1 and 5.3): the client cookie we send each upstream
 * server, the COOKIE option in our queries, and what a reply's OPT record says (extended rcode,
 * the cookies it carries).
 *
 * The client cookie is 8 bytes of SipHash-2-4 over the server's address (family and address,
 * not the port), keyed by a secret drawn from env->random_buf when the resolver starts. RFC 7873
 * 4.1 also mixes in the client's own address so that the cookie changes when the client moves;
 * the core does not know which source address the edge's socket gets, so it is left out: a
 * restart draws a new secret. The server cookies servers return are kept in the infra cache.
 * The server-side cookie code (answering clients) is a separate module, cookie.c.
 */
#ifndef RW_COOKIE_CLIENT_H
#define RW_COOKIE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RW_COOKIE_OPT	     10 /* EDNS option code of COOKIE */
#define RW_COOKIE_CLIENT_LEN 8
#define RW_COOKIE_SERVER_MIN 8
#define RW_COOKIE_SERVER_MAX 32
#define RW_COOKIE_KEY_LEN    16 /* crypto_shorthash_siphash24_KEYBYTES */
#define RW_RCODE_BADCOOKIE   23 /* extended rcode (RFC 7873 8) */
/* The longest COOKIE option we write: code, length, client and server cookie. */
#define RW_COOKIE_OPT_MAX (4 + RW_COOKIE_CLIENT_LEN + RW_COOKIE_SERVER_MAX)

/* What the OPT record of a reply says. */
struct rw_cookie_seen {
	bool opt;	/* the reply has an OPT record */
	int rcode;	/* the full 12-bit rcode (header and OPT) */
	bool cookie;	/* a COOKIE option was present */
	bool malformed; /* it was, with a length RFC 7873 does not allow */
	uint8_t client[RW_COOKIE_CLIENT_LEN];
	uint8_t server[RW_COOKIE_SERVER_MAX];
	size_t server_len; /* 0 when the option held only a client cookie */
};

/* The client cookie for the server at sa (port ignored) under key. Returns 0, or -1 for an
 * address family other than IPv4 and IPv6. */
int rw_cookie_client_make(const uint8_t key[RW_COOKIE_KEY_LEN], const struct sockaddr *sa,
			  uint8_t out[RW_COOKIE_CLIENT_LEN]);

/* Write a COOKIE option (code, length, client cookie, then the server cookie when sclen is
 * 8..32, else none) at p, which has room for RW_COOKIE_OPT_MAX bytes. Returns the bytes
 * written. */
size_t rw_cookie_opt_write(uint8_t *p, const uint8_t cc[RW_COOKIE_CLIENT_LEN], const uint8_t *sc,
			   size_t sclen);

/* Read the OPT record of a reply (pkt, len: untrusted wire data) into *out. Returns 0, or -1
 * when the message cannot be walked to its additional section (then *out says no OPT). */
int rw_cookie_reply_parse(const uint8_t *pkt, size_t len, struct rw_cookie_seen *out);

#endif
