/* Per-query trace: typed events recorded during a resolution, formatted to text or JSON only
 * when the query is done. With tracing off no trace object exists and nothing is recorded. */
#ifndef RW_TRACE_H
#define RW_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <ldns/ldns.h>

#include "rootwalk/cache.h"
#include "rootwalk/config.h"
#include "rootwalk/present.h"

enum rw_ev {
	RW_EV_QUERY,	  /* client question: qname, qtype, addr (client), tcp */
	RW_EV_CACHE_HIT,  /* answer served from cache: qname, qtype, recs */
	RW_EV_CUT,	  /* closest cut chosen: zone, text (source), expires_us */
	RW_EV_SEND,	  /* upstream query: zone, server, addr, tcp, qname, qtype */
	RW_EV_REPLY,	  /* reply: rcode, aa, tc, rtt_us, bytes, kind + kind fields */
	RW_EV_TIMEOUT,	  /* no reply: server, addr, after_ms, text (error) */
	RW_EV_SUBRESOLVE, /* sub-resolution: qname, qtype, zone (needed for), depth */
	RW_EV_CNAME,	  /* qname -> text (target) */
	RW_EV_ANSWER,	  /* final answer: rcode, recs */
	RW_EV_NEGATIVE,	  /* kind nxdomain/nodata: text (SOA), ttl, expires_us */
	RW_EV_FAIL,	  /* text (reason) */
	RW_EV_DONE,	  /* elapsed_us, upstream, cache_hits, subres, rcode */
	RW_EV_JOINED,	  /* another client asked the same question: addr, tcp */
	RW_EV_NOREC,	  /* RD clear, no cached answer: referral to zone, recs (its NS) */
	RW_EV_LOCAL,	  /* answered from a special-use zone: zone, text (the RFC), rcode */
	RW_EV_REASK,	  /* every server of a cached cut failed: zone, qname (the parent), text */
	RW_EV_DNSSEC,	  /* a validation step: vstep and its fields (trace_val.c) */
	RW_EV_NO_0X20,	  /* a server shown not to echo the 0x20 case: addr, text, ttl */
	RW_EV_ACCESS,	  /* access control or rate limit acted: text, rcode (-1: no answer) */
	RW_EV_STALE,	  /* serve-stale (RFC 8767): text ("served stale: expired 12 s ago; ...") */
	RW_EV_PREFETCH,	  /* a prefetch (background refresh) started or ran: text */
};

/* What a DNSSEC event says (RW_EV_DNSSEC). */
enum rw_val_step {
	RW_VAL_ANCHOR,	 /* zone: the trust anchor used; key_tag/alg/digest of its DS */
	RW_VAL_DNSKEY,	 /* zone's DNSKEY RRset: key key_tag/alg matched DS ds_tag (digest) */
	RW_VAL_DS,	 /* DS of zone at qname (the parent): signed by key_tag/alg */
	RW_VAL_RRSIG,	 /* qname/qtype signed by zone key key_tag/alg, window sig_* */
	RW_VAL_DENIAL,	 /* qname/qtype: text says what the NSEC/NSEC3 records prove */
	RW_VAL_INSECURE, /* zone is insecure: text says why */
	RW_VAL_BOGUS,	 /* the first broken link: text, ede */
	RW_VAL_RESULT,	 /* the verdict: vstate, ede, text */
	RW_VAL_CACHED,	 /* zone's keys from the key cache: vstate, expires_us */
	/* qname/qtype answered rcode (NXDOMAIN, or NOERROR: NODATA) from zone's cached NSEC
	 * records, nothing asked (RFC 8198): recs the NSEC at or covering the name, then the one
	 * covering the wildcard when another; text the wildcard denied; expires_us */
	RW_VAL_AGGRESSIVE,
};

/* What an upstream reply meant (reply events), or which negative answer (negative events). */
enum rw_reply_kind {
	RW_REPLY_NONE = 0,
	RW_REPLY_REFERRAL,	/* NS below the zone asked */
	RW_REPLY_ANSWER,	/* the data asked for */
	RW_REPLY_CNAME,		/* a CNAME to follow */
	RW_REPLY_DNAME,		/* a DNAME to follow (RFC 6672) */
	RW_REPLY_NXDOMAIN,	/* the name does not exist */
	RW_REPLY_NODATA,	/* the name exists without data of the type */
	RW_REPLY_TRUNCATED,	/* TC over UDP: asked again over TCP */
	RW_REPLY_LAME,		/* not authoritative, upward or sideways: remembered for the zone */
	RW_REPLY_FAILED,	/* SERVFAIL, REFUSED or NOTAUTH: skipped for this question */
	RW_REPLY_REJECTED,	/* not the reply to what was sent: dropped, still waiting */
	RW_REPLY_ERROR,		/* malformed, another rcode, or not usable */
	RW_REPLY_NO_CUT,	/* a minimised question landed inside the zone */
	RW_REPLY_QMIN_FALLBACK, /* a minimised question failed: the full name is asked */
};
/* The kind as the trace and its JSON name it ("referral", "no-cut", ...). */
const char *rw_reply_kind_name(enum rw_reply_kind kind);

/* A record with where it came from and when it expires. */
struct rw_trace_rec {
	ldns_rr *rr; /* owned clone, TTL as served */
	uint32_t ttl_left, orig_ttl;
	int64_t stored_us, expires_us;
	struct rw_source *src; /* one reference held */
	bool from_cache;
};

struct rw_trace_event {
	enum rw_ev type;
	char step[32];
	int64_t wall_us;
	char *qname, *zone, *server, *text; /* owned strings, may be NULL */
	uint16_t qtype;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool tcp, aa, tc, glue;
	bool qmin, no_edns, caps; /* send: minimised name, no EDNS, 0x20 case */
	bool parent_glue;	  /* send: the address is known only from the parent's glue */
	bool shared;		  /* send: not sent, it joined an identical query in flight */
	int rcode;
	enum rw_reply_kind kind; /* reply and negative events */
	uint32_t rtt_us, bytes, ttl, after_ms;
	int64_t expires_us;
	char **ns; /* owned list of owned strings */
	size_t n_ns;
	struct rw_trace_rec *recs; /* owned */
	size_t n_recs;
	int depth;
	uint32_t upstream, cache_hits, subres;
	uint32_t val_upstream; /* done: of upstream, the validator's (DS, DNSKEY) */
	int64_t elapsed_us;
	/* RW_EV_DNSSEC */
	enum rw_val_step vstep;
	enum rw_vstate vstate;
	uint16_t key_tag, ds_tag;
	uint8_t alg, digest;
	bool nsec3;
	int ede;				   /* -1 for none */
	int64_t sig_inception_s, sig_expiration_s; /* 0 when not known */
};

/* A trace's memory is bounded whatever upstream servers send: it lists at most
 * RW_TRACE_MAX_REJECTED rejected replies (junk from a server's address while a query waits), then
 * only counts them; and it holds at most RW_TRACE_MAX_EVENTS events, then only the ones that end
 * a resolution (answer, fail, done), RW_TRACE_MAX_ENDING more at most; the others are counted. */
#define RW_TRACE_MAX_REJECTED 16
#define RW_TRACE_MAX_EVENTS   4096
#define RW_TRACE_MAX_ENDING   64

struct rw_trace {
	char id[17];
	enum rw_trace_format format;
	struct rw_trace_event *ev;
	size_t n, cap;
	size_t rejected;	 /* rejected replies listed */
	size_t last_rejected;	 /* index of the last one listed */
	uint64_t rejected_more;	 /* rejected replies not listed */
	uint64_t events_dropped; /* events not recorded (over RW_TRACE_MAX_EVENTS) */
};

/* Returns a new empty trace, or NULL. */
struct rw_trace *rw_trace_new(uint64_t id, enum rw_trace_format format);
void rw_trace_free(struct rw_trace *t);
/* Append a zeroed event of the given type. Returns NULL when t is NULL (tracing off), on
 * allocation failure, or when the trace is full (RW_TRACE_MAX_EVENTS: the event is counted);
 * callers fill the returned event only if non-NULL. */
struct rw_trace_event *rw_trace_add(struct rw_trace *t, enum rw_ev type, const char *step,
				    int64_t wall_us);
/* A rejected reply arrived: whether to record it (add its reply event), or only count it (the
 * trace lists RW_TRACE_MAX_REJECTED already). False when t is NULL. */
bool rw_trace_keep_rejected(struct rw_trace *t);
/* Add a record to an event (clones rr, references src). Returns 0 or negative. */
int rw_trace_add_rec(struct rw_trace_event *e, const ldns_rr *rr, uint32_t ttl_left,
		     uint32_t orig_ttl, int64_t stored_us, int64_t expires_us,
		     struct rw_source *src, bool from_cache);
/* Add a name server name to an event's ns list. */
int rw_trace_add_ns(struct rw_trace_event *e, const ldns_rdf *name);

/* Format the whole trace. Returns a malloc'd NUL-terminated buffer (caller frees) and its length
 * in *len, or NULL on allocation failure. */
char *rw_trace_format(const struct rw_trace *t, size_t *len);
struct rw_env;
/* Trace ids without a system call each (env->random_buf may make one per call: libsodium reads
 * getrandom(2) every time): a counter from a random start drawn once from env->random_buf, mixed
 * by a bijection. Ids must be unique and look unrelated, not be secret (they are written to the
 * operator's trace log): none repeats within one generator, and two generators start at random
 * places. Zeroed to start; one per thread (not shared). */
struct rw_trace_ids {
	uint64_t key, n;
	bool keyed;
};
/* The next id of g. */
uint64_t rw_trace_id_next(struct rw_trace_ids *g, const struct rw_env *env);

/* Format the trace, hand it to env->trace_write and free it (t too). */
void rw_trace_flush(struct rw_trace *t, const struct rw_env *env);

/* A cache hit answered by the fast path, for its trace. All pointers borrowed. */
struct rw_trace_hit {
	uint64_t id;
	enum rw_trace_format format;
	int64_t start_us, end_us; /* wall clock */
	const struct sockaddr *client;
	socklen_t clientlen;
	bool tcp;
	const uint8_t *resp; /* the response sent */
	size_t len;
	const struct rw_cache_used *used; /* what the cache used, in record order */
	/* prefetch: a background refresh started, the entry had prefetch_left of prefetch_orig
	 * seconds left (prefetch_orig 0: none started) */
	uint32_t prefetch_left, prefetch_orig;
};
struct rw_sbuf;
/* Append the trace of a fast-path cache hit to b: the same text or JSON the general formatter
 * gives for its events (query, cache_hit, answer, done), built straight from the response.
 * Returns 0, or negative (b may hold part of it: the caller drops it). */
int rw_trace_hit_format(struct rw_sbuf *b, const struct rw_trace_hit *h);

/* A fast-path cache hit as a packed record (trace_pack.c), for a trace sink that formats on a
 * thread of its own (env->trace_write_hit): the answering thread only copies. Append h's record
 * to b (the response and the used sets copied). Returns 0, or negative (b may hold part of it). */
int rw_trace_hit_pack(struct rw_sbuf *b, const struct rw_trace_hit *h);
/* Turns packed records back into trace text, keeping its buffers between records (one per
 * thread). _new returns NULL when out of memory; _free(NULL) does nothing. */
struct rw_trace_formatter;
struct rw_trace_formatter *rw_trace_formatter_new(void);
void rw_trace_formatter_free(struct rw_trace_formatter *f);
/* The text or JSON of the record of len bytes at rec: what rw_trace_hit_format gives for the hit
 * it was packed from. Returns the text (its length in *text_len; valid until the next call), or
 * NULL when the record is not a whole, well-formed one or out of memory. */
const char *rw_trace_formatter_hit(struct rw_trace_formatter *f, const void *rec, size_t len,
				   size_t *text_len);

#endif
