/* The Prometheus text exposition of struct rw_stats and the cache's counters.
 *
 * Names follow Prometheus's conventions: a rootwalk_ prefix, counters end in _total, times in
 * seconds. Label values come from fixed tables (types, rcodes, reasons), never from the wire, so
 * the text needs no escaping and the number of series is bounded. With worker threads the
 * families are the sums over them, and the rootwalk_worker_* families give each thread's part
 * (label worker="0", "1", ..., or "main" for the control socket's resolver).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/cache.h"
#include "rootwalk/metrics.h"
#include "rootwalk/present.h"
#include "rootwalk/resolver.h"
#include "sbuf.h"

static void family(struct rw_sbuf *b, const char *name, const char *type, const char *help)
{
	rw_sbuf_printf(b, "# HELP rootwalk_%s %s\n# TYPE rootwalk_%s %s\n", name, help, name, type);
}

/* One sample; label is "" or 'key="value"'. */
static void sample(struct rw_sbuf *b, const char *name, const char *label, uint64_t v)
{
	if (label[0])
		rw_sbuf_printf(b, "rootwalk_%s{%s} %" PRIu64 "\n", name, label, v);
	else
		rw_sbuf_printf(b, "rootwalk_%s %" PRIu64 "\n", name, v);
}

static void one(struct rw_sbuf *b, const char *name, const char *type, const char *help, uint64_t v)
{
	family(b, name, type, help);
	sample(b, name, "", v);
}

static void labelled(struct rw_sbuf *b, const char *name, const char *key, const char *value,
		     uint64_t v)
{
	char label[80];

	snprintf(label, sizeof(label), "%s=\"%s\"", key, value);
	sample(b, name, label, v);
}

static void client(struct rw_sbuf *b, const struct rw_stats *st)
{
	char name[16];

	family(b, "client_queries_total", "counter", "Client queries received, by protocol.");
	labelled(b, "client_queries_total", "protocol", "udp", st->client_queries[RW_PROTO_UDP]);
	labelled(b, "client_queries_total", "protocol", "tcp", st->client_queries[RW_PROTO_TCP]);
	family(b, "client_queries_by_type_total", "counter",
	       "Parsed client questions, by type (the common ones; the rest as other).");
	for (int i = 0; i < RW_STATS_QTYPES; i++)
		labelled(b, "client_queries_by_type_total", "type", rw_stats_qtype_name[i],
			 st->client_qtype[i]);
	family(b, "client_answers_total", "counter", "Client answers, by response code.");
	for (int i = 0; i < 16; i++) {
		const char *rc = rw_present_rcode(i);

		if (strcmp(rc, "RCODE?") == 0) {
			snprintf(name, sizeof(name), "RCODE%d", i);
			rc = name;
		}
		labelled(b, "client_answers_total", "rcode", rc, st->client_rcode[i]);
	}
	labelled(b, "client_answers_total", "rcode", "BADVERS", st->client_badvers);
	family(b, "client_outcomes_total", "counter",
	       "Client queries by outcome: answered from the cache (cache_hit) or by a walk "
	       "(cache_miss), from a local zone, refused or denied by access-control, over the "
	       "rate limit, malformed, dropped under load.");
	labelled(b, "client_outcomes_total", "outcome", "cache_hit", st->cache_hits);
	labelled(b, "client_outcomes_total", "outcome", "cache_miss", st->cache_misses);
	labelled(b, "client_outcomes_total", "outcome", "local", st->local_answers);
	labelled(b, "client_outcomes_total", "outcome", "refused", st->acl_refused);
	labelled(b, "client_outcomes_total", "outcome", "denied", st->acl_denied);
	labelled(b, "client_outcomes_total", "outcome", "ratelimited",
		 st->ratelimit_dropped + st->ratelimit_slipped);
	labelled(b, "client_outcomes_total", "outcome", "malformed", st->client_malformed);
	labelled(b, "client_outcomes_total", "outcome", "dropped",
		 st->jostled + st->dropped + st->stale);
	one(b, "client_joined_total", "counter",
	    "Client queries that joined an identical question being resolved.", st->joined);
}

static void latency(struct rw_sbuf *b, const struct rw_stats *st)
{
	const char *name = "answer_latency_seconds";
	uint64_t n = 0;

	family(b, name, "histogram",
	       "Time from a client query's arrival at the resolver to its answer, cache hits and "
	       "walks alike.");
	for (int i = 0; i < RW_LATENCY_BUCKETS; i++) {
		n += st->answer_latency[i];
		if (i < RW_LATENCY_BUCKETS - 1)
			rw_sbuf_printf(b, "rootwalk_%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
				       rw_stats_latency_us[i] / 1e6, n);
		else
			rw_sbuf_printf(b, "rootwalk_%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, n);
	}
	rw_sbuf_printf(b, "rootwalk_%s_sum %.6f\n", name, st->answer_latency_sum_us / 1e6);
	rw_sbuf_printf(b, "rootwalk_%s_count %" PRIu64 "\n", name, n);
}

static void upstream(struct rw_sbuf *b, const struct rw_stats *st)
{
	one(b, "upstream_queries_total", "counter", "Queries sent to authoritative servers.",
	    st->upstream_queries);
	one(b, "upstream_timeouts_total", "counter",
	    "Upstream queries that timed out or failed at the network level.",
	    st->upstream_timeouts);
	one(b, "upstream_tcp_retries_total", "counter", "Upstream queries asked again over TCP.",
	    st->upstream_tcp_retries);
	family(b, "upstream_errors_total", "counter",
	       "Upstream replies dropped (wrong ID, address or question; wrong 0x20 case; a "
	       "cookie not ours or missing), BADCOOKIE replies, and sends refused with "
	       "outgoing-range full.");
	labelled(b, "upstream_errors_total", "kind", "reply_rejected", st->replies_rejected);
	labelled(b, "upstream_errors_total", "kind", "case_mismatch", st->upstream_case_mismatch);
	labelled(b, "upstream_errors_total", "kind", "cookie_mismatch",
		 st->upstream_cookie_mismatch);
	labelled(b, "upstream_errors_total", "kind", "cookie_missing", st->upstream_cookie_missing);
	labelled(b, "upstream_errors_total", "kind", "badcookie", st->upstream_badcookie);
	labelled(b, "upstream_errors_total", "kind", "range_full", st->upstream_range_full);
	family(b, "servfail_total", "counter", "SERVFAIL answers of walks, by reason.");
	for (int i = 0; i < RW_SERVFAIL_REASONS; i++)
		labelled(b, "servfail_total", "reason", rw_servfail_reason_name[i],
			 st->servfail_reason[i]);
}

/* Each thread's share of the client traffic, with a worker label. */
static void workers(struct rw_sbuf *b, const struct rw_metrics_edge *edge)
{
	static const char *const names[] = {
		"worker_client_queries_total", "worker_client_answers_total",
		"worker_cache_hits_total", "worker_upstream_queries_total",
		"worker_requests_in_progress"};
	static const char *const help[] = {
		"Client queries received by each worker thread, by protocol.",
		"Client answers sent by each worker thread.",
		"Client queries each worker thread answered from the cache.",
		"Queries each worker thread sent to authoritative servers.",
		"Client requests each worker thread is resolving."};
	char label[64];

	for (size_t f = 0; f < sizeof(names) / sizeof(names[0]); f++) {
		family(b, names[f], f == 4 ? "gauge" : "counter", help[f]);
		for (size_t i = 0; i < edge->n_threads; i++) {
			const struct rw_metrics_thread *t = &edge->threads[i];

			if (f == 0) {
				for (int p = RW_PROTO_UDP; p <= RW_PROTO_TCP; p++) {
					snprintf(label, sizeof(label),
						 "worker=\"%s\",protocol=\"%s\"", t->name,
						 p == RW_PROTO_UDP ? "udp" : "tcp");
					sample(b, names[f], label, t->st.client_queries[p]);
				}
				continue;
			}
			snprintf(label, sizeof(label), "worker=\"%s\"", t->name);
			sample(b, names[f], label,
			       f == 1	? t->st.client_answers
			       : f == 2 ? t->st.cache_hits
			       : f == 3 ? t->st.upstream_queries
					: t->in_progress);
		}
	}
}

char *rw_metrics_text(const struct rw_stats *st, const struct rw_cache *cache,
		      const struct rw_metrics_edge *edge, size_t *len)
{
	struct rw_sbuf b = {0};

	client(&b, st);
	latency(&b, st);
	upstream(&b, st);
	one(&b, "cache_entries", "gauge", "Entries in the cache.", rw_cache_count(cache));
	one(&b, "cache_bytes", "gauge", "Memory the cache's entries take (bytes).",
	    rw_cache_bytes(cache));
	one(&b, "cache_evictions_total", "counter",
	    "Cache entries evicted to make room (least recently used).", rw_cache_evictions(cache));
	one(&b, "requests_in_progress", "gauge", "Client requests being resolved.",
	    edge->in_progress);
	one(&b, "trace_dropped_total", "counter",
	    "Whole traces the trace log dropped because its file fell behind.",
	    edge->trace_dropped);
	if (edge->n_threads)
		workers(&b, edge);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* The end of the header block: the index just past the blank line, or 0 when there is none
 * yet. */
static size_t header_end(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

enum rw_metrics_req rw_metrics_parse_request(const char *buf, size_t len)
{
	size_t end = header_end(buf, len), m = 0, t, tlen = 0, line = 0;

	/* bytes no request line or header may hold, refused even before the end arrives (what
	 * follows the blank line is a body, not ours to judge) */
	for (size_t i = 0; i < (end ? end : len); i++) {
		unsigned char c = (unsigned char)buf[i];

		if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f)
			return RW_METRICS_BAD_REQUEST;
	}
	if (end == 0)
		return RW_METRICS_NEED_MORE;
	while (line < end && buf[line] != '\n')
		line++;
	if (line > 0 && buf[line - 1] == '\r')
		line--;
	/* METHOD SP TARGET SP HTTP/1.x (RFC 9112 3), single spaces */
	while (m < line && buf[m] >= 'A' && buf[m] <= 'Z')
		m++;
	if (m == 0 || m == line || buf[m] != ' ')
		return RW_METRICS_BAD_REQUEST;
	t = m + 1;
	while (t + tlen < line && buf[t + tlen] != ' ')
		tlen++;
	if (tlen == 0 || t + tlen + 9 != line || memcmp(buf + t + tlen, " HTTP/1.", 8) != 0 ||
	    (buf[line - 1] != '0' && buf[line - 1] != '1'))
		return RW_METRICS_BAD_REQUEST;
	if (buf[t] != '/' && !(tlen > 7 && memcmp(buf + t, "http://", 7) == 0))
		return RW_METRICS_BAD_REQUEST;
	if (m != 3 || memcmp(buf, "GET", 3) != 0)
		return RW_METRICS_BAD_METHOD;
	/* origin form; the absolute form's path after the authority (RFC 9112 3.2.2) */
	if (buf[t] != '/') {
		size_t s = 7;

		while (s < tlen && buf[t + s] != '/')
			s++;
		t += s;
		tlen -= s;
	}
	if (tlen >= 8 && memcmp(buf + t, "/metrics", 8) == 0 && (tlen == 8 || buf[t + 8] == '?'))
		return RW_METRICS_GET;
	return RW_METRICS_NOT_FOUND;
}
