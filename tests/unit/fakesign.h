/* Signed zones for fakenet: keys made with ldns, every RRset signed with an explicit validity
 * window, an NSEC chain, and the DS for the parent. Times are seconds since the epoch, so a test
 * with the fake clock knows exactly when each signature ends. */
#ifndef RW_FAKESIGN_H
#define RW_FAKESIGN_H

#include <stdbool.h>
#include <stdint.h>
#include <ldns/ldns.h>

struct fs_key {
	ldns_key *key;
	ldns_rr *dnskey; /* the public key as a DNSKEY record */
	uint16_t tag;
};

/* A new key for zone (ECDSAP256SHA256, flags 257). Returns 0 or -1. */
int fs_key_new(struct fs_key *k, const char *zone);
void fs_key_free(struct fs_key *k);
/* The zone's records (zone-file lines, absolute names, one SOA among them) with the key's DNSKEY
 * added, an NSEC chain, and RRSIGs valid from inception to expiration: a malloc'd text of
 * zone-file lines for fn_server(). Delegations (NS below the apex) and glue stay unsigned; DS
 * records are signed. */
char *fs_sign(const char *zone, const char *records, const struct fs_key *k, int64_t inception,
	      int64_t expiration);
/* "zone. 3600 IN DS ..." for the key (SHA-256), a malloc'd line with its newline. */
char *fs_ds_line(const struct fs_key *k);

#endif
