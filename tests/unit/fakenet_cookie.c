/* The fake servers' quirks about DNS cookies and 0x20 (fakenet.h): kept apart from fakenet.c
 * so that each file stays small. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "fakenet.h"
#include "fakenet_impl.h"
#include "rootwalk/cookie_client.h"

/* The server's side of DNS cookies: remember the query's COOKIE, answer as srv->cookies says. */
void fn_cookie_reply(struct fn_server *srv, const struct fn_sent *s, ldns_pkt *a)
{
	struct rw_cookie_seen ck;
	uint8_t opt[RW_COOKIE_OPT_MAX];
	rw_cookie_reply_parse(s->wire, s->len, &ck);
	srv->last_cookie_len = 0;
	if (!ck.cookie || ck.malformed)
		return;
	memcpy(srv->last_cookie, ck.client, 8);
	memcpy(srv->last_cookie + 8, ck.server, ck.server_len);
	srv->last_cookie_len = 8 + ck.server_len;
	if (srv->cookies == FN_COOKIE_NONE)
		return;
	uint8_t cc[8];
	memcpy(cc, ck.client, 8);
	if (srv->cookies == FN_COOKIE_WRONG)
		cc[0] ^= 0xff;
	bool valid = ck.server_len == 16 && memcmp(ck.server, FN_SERVER_COOKIE, 16) == 0;
	if (srv->cookies == FN_COOKIE_ALWAYS_BAD ||
	    (srv->cookies == FN_COOKIE_REQUIRE && !valid && !s->tcp)) {
		/* BADCOOKIE (23): 7 in the header, 1 in the OPT record; no records */
		ldns_rr_list_deep_free(ldns_pkt_answer(a));
		ldns_pkt_set_answer(a, ldns_rr_list_new());
		ldns_rr_list_deep_free(ldns_pkt_authority(a));
		ldns_pkt_set_authority(a, ldns_rr_list_new());
		ldns_rr_list_deep_free(ldns_pkt_additional(a));
		ldns_pkt_set_additional(a, ldns_rr_list_new());
		ldns_pkt_set_ancount(a, 0);
		ldns_pkt_set_nscount(a, 0);
		ldns_pkt_set_arcount(a, 0);
		ldns_pkt_set_rcode(a, RW_RCODE_BADCOOKIE & 0xf);
		ldns_pkt_set_edns_extended_rcode(a, RW_RCODE_BADCOOKIE >> 4);
		srv->badcookies_sent++;
	}
	size_t n = rw_cookie_opt_write(opt, cc, (const uint8_t *)FN_SERVER_COOKIE, 16);
	ldns_pkt_set_edns_udp_size(a, 1232);
	ldns_pkt_set_edns_data(a, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, n, opt));
}

/* spoof_case: a copy of the reply with every letter of the question's name flipped in case,
 * delivered before the real one; the resolver must not accept it. */
void fn_forge_case(struct fakenet *fn, const struct fn_sent *s, const struct sockaddr_in *from,
		   const uint8_t *wire, size_t len)
{
	uint8_t *copy = malloc(len);
	if (!copy)
		return;
	memcpy(copy, wire, len);
	for (size_t i = 12; i < len && copy[i]; i += copy[i] + 1u)
		for (size_t k = i + 1; k <= i + copy[i] && k < len; k++)
			if ((copy[k] | 0x20) >= 'a' && (copy[k] | 0x20) <= 'z')
				copy[k] ^= 0x20;
	if (rw_resolver_on_reply(fn->r, s->id, (const struct sockaddr *)from, sizeof(*from), copy,
				 len))
		fn->forged_accepted++;
	free(copy);
}

void fn_forge_nocookie(struct fakenet *fn, const struct fn_sent *s, const struct sockaddr_in *from,
		       ldns_pkt *a)
{
	uint8_t *wire = NULL;
	size_t len = 0;
	if (ldns_pkt2wire(&wire, a, &len) != LDNS_STATUS_OK)
		return;
	if (rw_resolver_on_reply(fn->r, s->id, (const struct sockaddr *)from, sizeof(*from), wire,
				 len))
		fn->forged_accepted++;
	free(wire);
}
