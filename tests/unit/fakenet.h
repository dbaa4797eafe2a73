/* A scripted network and a fake clock for driving the resolver without sockets.
 *
 * Each fake authoritative server has an IPv4 address, the zones it serves and their records; it
 * answers like a real authoritative server (answer, referral with glue, CNAME, NXDOMAIN or NODATA
 * with the SOA, REFUSED for zones it does not serve). Scripted faults per server: never answer,
 * truncate every UDP reply, answer with a wrong ID first. A zone signed with fakesign.h is served
 * with its RRSIGs and NSEC proofs to queries with DO. The clock only moves when the test or a
 * timeout moves it.
 */
#ifndef RW_FAKENET_H
#define RW_FAKENET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rootwalk/config.h"
#include "rootwalk/env.h"
#include "rootwalk/resolver.h"

#define FN_MAX_SERVERS 16

/* Cookie behaviour of a fake server. */
#define FN_COOKIE_NONE 0 /* ignores COOKIE options (no cookie in replies) */
#define FN_COOKIE_REQUIRE                                                                          \
	1		       /* echoes the client cookie with its server cookie; over UDP a
			      * query without that server cookie gets BADCOOKIE */
#define FN_COOKIE_WRONG	     2 /* echoes a client cookie that is not the one sent */
#define FN_COOKIE_ALWAYS_BAD 3 /* BADCOOKIE to everything, UDP and TCP */
#define FN_SERVER_COOKIE     "SRVCOOKIE1234567" /* the 16-byte server cookie it hands out */
#define FN_MAX_QUEUE	     64

struct fn_server {
	char addr[32];
	char zones[8][64];
	int n_zones;
	void *rrs;	     /* ldns_rr_list * */
	bool drop;	     /* never answer: the query times out */
	bool tc_udp;	     /* every UDP reply is truncated (TC, no records) */
	bool tc_always;	     /* truncated even over TCP (a broken server) */
	bool spoof_first;    /* send a reply with a wrong ID (and one from a wrong port) first */
	bool lower_case;     /* echo the question in lower case (breaks 0x20) */
	bool no_edns;	     /* FORMERR to any query with an OPT record */
	bool ent_nxdomain;   /* NXDOMAIN for names that exist only below (broken for RFC 9156) */
	bool refuse;	     /* REFUSED to everything (lame) */
	bool unreachable;    /* sending to it fails at once (no route) */
	bool udp_silent;     /* never answer over UDP (TCP answers) */
	bool spoof_nocookie; /* over UDP, first a copy of the reply without the COOKIE option */
	bool spoof_case;     /* over UDP, first a reply whose question is in another letter case
			    * (an off-path forger who guessed ID and port, not the 0x20 case) */
	/* DNS cookies (RFC 7873): FN_COOKIE_* below; what the last query carried (hex-free raw
	 * option value: client cookie, then server cookie) and the BADCOOKIE replies sent */
	int cookies;
	uint8_t last_cookie[40];
	size_t last_cookie_len;
	unsigned badcookies_sent;
	unsigned queries, tcp_queries;
	unsigned rtt_ms;
	/* Called with the query and the reply (ldns_pkt *) before the reply goes out: a test
	 * changes the reply in place to script a server's quirk. state is the test's own. */
	void (*mangle)(struct fn_server *s, const void *query, void *reply);
	int state;
};

struct fn_sent {
	uint64_t id;
	int server; /* index, -1 for an unknown address */
	bool tcp;
	uint8_t wire[512];
	size_t len;
	uint32_t timeout_ms;
	char qname[256];
	uint16_t qtype;
	uint64_t sent_ms; /* the clock when it was sent */
};

struct fakenet {
	struct rw_env env;
	struct fn_server servers[FN_MAX_SERVERS];
	int n_servers;
	struct fn_sent queue[FN_MAX_QUEUE];
	int n_queue;
	uint64_t mono_ms;
	int64_t wall_us;
	uint64_t rng;
	unsigned sent_total, cancelled;
	unsigned unknown;	  /* queries sent to addresses no fake server has */
	unsigned rejected;	  /* genuine replies the resolver did not accept */
	unsigned forged_accepted; /* forged copies (spoof_case, spoof_nocookie) it accepted */
	struct rw_resolver *r;
	char trace[65536]; /* trace text written, appended */
	size_t trace_len;
	/* the last client response */
	uint8_t resp[65536];
	size_t resp_len;
	int responses;
	/* The resolver's timer (env->set_timer): due at timer_at when timer_set; fn_fire_timer
	 * moves the clock there and fires it. timer_ms is the last delay asked for. */
	bool timer_set;
	uint64_t timer_at;
	uint32_t timer_ms;
	/* Messages the resolver logged (env->log): how many, and the last. */
	int logs;
	char last_log[512];
	/* Client questions set DO (with EDNS, 4096 bytes) or CD. */
	bool client_do, client_cd;
	/* Called after each client response (a TCP server reads the next query then). */
	void (*after_response)(struct fakenet *fn);
	/* Queries in flight wait at the same time: a timeout moves the clock to the time it was
	 * sent plus its timeout (not that much further), as for `rootwalk check`'s parallel
	 * queries. Off: each timeout adds its whole wait (queries one after another). */
	bool concurrent;
};

/* Set up the env with a fake clock (2026-11-25T10:00:00Z) and a deterministic "random" stream. */
void fn_init(struct fakenet *fn, bool tracing);
/* Add a server at addr serving the given zones (space separated) with records in zone-file lines
 * (absolute names, "name ttl IN type rdata" per line). Returns its index. */
int fn_server(struct fakenet *fn, const char *addr, const char *zones, const char *records);
/* Move the clock to the resolver's timer and fire it (then run the network). Returns false
 * when no timer is set. */
bool fn_fire_timer(struct fakenet *fn);
/* The smallest world: the root at 192.0.2.1 and example. at 192.0.2.2 (www.example. A
 * 203.0.113.7, key.example. TXT). */
void fn_example_world(struct fakenet *fn);
/* Replace a server's records (the zone changed at its servers). */
void fn_server_records(struct fakenet *fn, int server, const char *records);
/* Deliver queued queries (and the replies they cause) until none is left or max steps ran. */
void fn_run(struct fakenet *fn, int max_steps);
/* Hand a client question (from 127.0.0.1#port, ID port) to fn->r without running the network. */
void fn_submit(struct fakenet *fn, const char *qname, uint16_t qtype, bool edns, uint16_t port);
/* The Extended DNS Error info-code in the last response, -1 if none. */
int fn_ede(const struct fakenet *fn);
/* Send a client question to fn->r and run the network. Returns the response rcode, -1 if none. */
int fn_ask(struct fakenet *fn, const char *qname, uint16_t qtype, bool edns);
/* In the last response: number of records in a section (0 answer, 1 authority), the TTL of the
 * first record of a type in the answer (-1 if none), and whether rdata text appears. */
int fn_count(const struct fakenet *fn, int section);
long fn_ttl(const struct fakenet *fn, uint16_t type);
bool fn_has(const struct fakenet *fn, const char *text);
void fn_free(struct fakenet *fn);
/* Write root hints naming a.root-servers.net. at 192.0.2.1 to a new temporary file; its path
 * goes to path (the caller unlinks it). Returns 0 or -1. */
int fn_hints_file(char *path, size_t len);
/* Create fn->r with cfg (borrowed: it must outlive the resolver); aborts on failure. */
void fn_start(struct fakenet *fn, const struct rw_config *cfg);
/* Whether the trace text written so far has text (with RW_TEST_VERBOSE set, a miss prints the
 * trace), and forget what was written. */
bool fn_trace_has(const struct fakenet *fn, const char *text);
void fn_clear_trace(struct fakenet *fn);
/* Move both clocks forward. */
void fn_advance(struct fakenet *fn, int secs);
/* Standard test configuration: defaults, localhost allowed, hints from a file. */
struct rw_config *fn_config(const char *hints_path);

#endif
