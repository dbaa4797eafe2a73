/* Text for people (present.c): every formatter of names, addresses, times, durations, rcodes,
 * types, records and JSON strings, shared by the trace, the fast path's trace and the control
 * socket. Functions that return char * return a malloc'd string the caller frees; those that
 * take a buffer write a NUL-terminated string into it. */
#ifndef RW_PRESENT_H
#define RW_PRESENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <ldns/ldns.h>

struct rw_sbuf;

/* A domain name in presentation form ("www.example.", escapes as ldns writes them). */
char *rw_present_name(const ldns_rdf *name);
/* A record on one line, fields separated by single spaces, as ldns_rr2str() writes it (the
 * common types without ldns, for speed); with rr_ttl, the TTL shown is at most ttl. */
char *rw_present_rr(const ldns_rr *rr);
char *rw_present_rr_ttl(const ldns_rr *rr, uint32_t ttl);
/* The rdata fields of a record, space separated. */
char *rw_present_rdata(const ldns_rr *rr);
/* An address without its port ("127.0.0.1", "2001:db8::1"); "" for NULL. */
void rw_present_addr(const struct sockaddr *sa, char *buf, size_t len);
/* Dotted-quad text of an IPv4 address; returns its length, or -1 if len is too small. */
int rw_present_ip4(const uint8_t a[4], char *buf, size_t len);
/* The same text as inet_ntop(AF_INET6) gives; its length, or -1 if len is too small. */
int rw_present_ip6(const uint8_t a[16], char *buf, size_t len);
/* The port of an IPv4 or IPv6 address, 0 otherwise. */
uint16_t rw_present_port(const struct sockaddr_storage *ss);
/* "2026-11-25T10:00:00.112Z" (buf >= 25 bytes). */
void rw_present_iso_time(int64_t wall_us, char *buf, size_t len);
/* Whole seconds since the epoch as "2026-12-17T00:00:00Z" (a signature's window). */
void rw_present_iso_secs(int64_t secs, char *buf, size_t len);
/* Local time: ISO 8601 with the offset, or "2026-11-25 10:00:00 UTC". */
void rw_present_local_time(int64_t wall_us, bool iso, char *buf, size_t len);
/* Whole epoch seconds, rounded up (the first second something is no longer served). */
int64_t rw_present_epoch(int64_t wall_us);
/* "42s", "4m58s", "1h00m00s", "2d03h00m": how long until something expires (buf >= 24). */
void rw_present_duration(char *buf, size_t len, int64_t secs);
/* Microseconds as milliseconds with two decimals, rounded to 10 us ("0.57"; buf >= 24). */
char *rw_present_ms(char *buf, size_t len, int64_t us);
/* "NOERROR", ..., "BADVERS", "RCODE?". */
const char *rw_present_rcode(int rcode);
/* "A", "TYPE65400"; buf holds the text for types ldns does not name. */
const char *rw_present_type(uint16_t type, char *buf, size_t len);
/* As rw_present_type, "-" for type 0 (an NXDOMAIN entry is for the name, not a type). */
const char *rw_present_type_or_dash(uint16_t type, char *buf, size_t len);
/* A JSON string literal, quotes included; control characters escaped, UTF-8 passed through. */
void rw_present_json_str(struct rw_sbuf *b, const char *s);
/* The same for the n characters at s. */
void rw_present_json_strn(struct rw_sbuf *b, const char *s, size_t n);

#endif
