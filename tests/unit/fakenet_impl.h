/* Internals shared by fakenet.c and fakenet_cookie.c. */
#ifndef RW_FAKENET_IMPL_H
#define RW_FAKENET_IMPL_H

#include <netinet/in.h>

#include <ldns/ldns.h>

#include "fakenet.h"

/* Record the COOKIE option of the query s and answer (in a) as srv->cookies says. */
void fn_cookie_reply(struct fn_server *srv, const struct fn_sent *s, ldns_pkt *a);
/* spoof_case: deliver a copy of the reply wire with the question's letters flipped in case. */
void fn_forge_case(struct fakenet *fn, const struct fn_sent *s, const struct sockaddr_in *from,
		   const uint8_t *wire, size_t len);

/* spoof_nocookie: deliver the reply a (not yet given its COOKIE) as a forger would. */
void fn_forge_nocookie(struct fakenet *fn, const struct fn_sent *s, const struct sockaddr_in *from,
		       ldns_pkt *a);

#endif
