/* The infrastructure cache: what we learned about each authoritative server address.
 *
 * Keyed by address (and port), it keeps the smoothed RTT and its variance (RFC 6298), the count
 * of consecutive timeouts, whether the server handles EDNS and echoes the 0x20 case of the
 * question, the DNS server cookie it gave us (RFC 7873), and the zones it is lame for. Every entry expires infra_ttl seconds after it was last
 * updated, and lameness per zone has its own expiry, so one bad moment does not exile a server
 * for good. Time is passed in (wall clock for expiry, microseconds); one lock makes it safe to
 * share between threads. The table is bounded: when full, the least recently updated entry goes.
 */
#ifndef RW_INFRA_H
#define RW_INFRA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <ldns/ldns.h>

#include "rootwalk/cookie_client.h"

#define RW_INFRA_UNKNOWN_RTO_MS 400 /* retransmit timeout of a server we know nothing about */
#define RW_INFRA_MIN_RTO_MS	50
/* Lameness for a zone is remembered for 30 s, doubling each time the server is found lame for it
 * again, up to 5 minutes (RFC 9520 3.2: resolution failures are cached at most 5 minutes). */
#define RW_INFRA_LAME_MIN_S 30
#define RW_INFRA_LAME_MAX_S 300
/* A server that answered SERVFAIL, REFUSED or NOTAUTH is ranked below the others for 10 s,
 * doubling for each further failure without a good reply between, up to 5 minutes. */
#define RW_INFRA_FAIL_MIN_S 10
#define RW_INFRA_FAIL_MAX_S 300
/* A server found not to echo the 0x20 case (over TCP, or in a reply that echoed our client
 * cookie: evidence no off-path attacker can forge) is asked without 0x20 for 5 minutes (at most
 * infra-ttl); replies do not renew it, so it is tried again after that. */
#define RW_INFRA_NO0X20_S 300
/* Replies with the wrong 0x20 case (possible spoofing) are logged at most once per 10 s. */
#define RW_INFRA_CASE_LOG_S 10

struct rw_infra;

struct rw_server_info {
	bool known;	    /* we have an RTT sample that has not expired */
	uint32_t srtt_us;   /* smoothed RTT */
	uint32_t rttvar_us; /* its variance */
	uint32_t timeouts;  /* consecutive timeouts since the last reply */
	uint32_t rto_ms;    /* retransmit timeout to use now (backed off after timeouts) */
	bool no_edns;	    /* answered FORMERR to EDNS: ask without it */
	bool no_0x20;	    /* does not echo the case of the question (until it expires) */
	bool failing;	    /* answered SERVFAIL/REFUSED/NOTAUTH lately: ask the others first */
};

struct rw_infra *rw_infra_new(const uint8_t key[16], size_t max_entries, uint32_t ttl_s);
void rw_infra_free(struct rw_infra *inf);

/* What we know about a server at now_us, with the RTO capped at max_rto_ms. */
void rw_infra_get(struct rw_infra *inf, const struct sockaddr *sa, int64_t now_us,
		  uint32_t max_rto_ms, struct rw_server_info *out);
/* A reply came back after rtt_us: update SRTT/RTTVAR, clear the timeout count. */
void rw_infra_rtt(struct rw_infra *inf, const struct sockaddr *sa, uint32_t rtt_us, int64_t now_us);
/* No reply within the timeout. */
void rw_infra_timeout(struct rw_infra *inf, const struct sockaddr *sa, int64_t now_us);
/* Remember that the server does not handle EDNS. */
void rw_infra_set_no_edns(struct rw_infra *inf, const struct sockaddr *sa, int64_t now_us);
/* Remember that the server does not echo the 0x20 case, for RW_INFRA_NO0X20_S (at most
 * infra-ttl). Call it only on evidence an off-path attacker cannot forge. Returns the seconds
 * it is remembered (0 when it could not be stored). */
uint32_t rw_infra_set_no_0x20(struct rw_infra *inf, const struct sockaddr *sa, int64_t now_us);
/* The client cookie for the server at sa (into cc) and the server cookie it last gave us (into
 * sc). Returns the server cookie's length, 0 when there is none (cc is filled all the same,
 * unless sa is neither IPv4 nor IPv6). */
size_t rw_infra_cookie(struct rw_infra *inf, const struct sockaddr *sa, int64_t now_us,
		       uint8_t cc[RW_COOKIE_CLIENT_LEN], uint8_t sc[RW_COOKIE_SERVER_MAX]);
/* Keep the server cookie a server returned (8 to 32 bytes; 0 forgets it). */
void rw_infra_set_cookie(struct rw_infra *inf, const struct sockaddr *sa, const uint8_t *sc,
			 size_t len, int64_t now_us);
/* One more reply with the wrong 0x20 case. Returns how many came since the last time it
 * returned non-zero when a log line is due now (at most one per RW_INFRA_CASE_LOG_S), else 0. */
uint64_t rw_infra_case_mismatch(struct rw_infra *inf, int64_t now_us);
/* The server answered SERVFAIL, REFUSED or NOTAUTH: rank it lower for a while (backed off).
 * Returns the seconds it stays ranked lower. */
uint32_t rw_infra_failed(struct rw_infra *inf, const struct sockaddr *sa, int64_t now_us);
/* The server gave a usable reply (answer, referral, negative answer): it is failing no more. */
void rw_infra_good(struct rw_infra *inf, const struct sockaddr *sa, int64_t now_us);
/* Lameness for one zone (not authoritative for it, an upward or sideways referral), remembered
 * with backoff (RW_INFRA_LAME_MIN_S doubling to RW_INFRA_LAME_MAX_S, never past infra-ttl).
 * Returns the seconds it is remembered. */
uint32_t rw_infra_set_lame(struct rw_infra *inf, const struct sockaddr *sa, const ldns_rdf *zone,
			   int64_t now_us);
bool rw_infra_is_lame(struct rw_infra *inf, const struct sockaddr *sa, const ldns_rdf *zone,
		      int64_t now_us);
/* Number of servers known (for stats and tests). */
size_t rw_infra_count(struct rw_infra *inf);
/* Forget everything. */
void rw_infra_flush(struct rw_infra *inf);

#endif
