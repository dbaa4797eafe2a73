/* The Prometheus exposition (src/core/metrics.c): the text format 0.0.4 line by line, the counters
 * it shows after known traffic on the scripted network, the latency histogram under the fake
 * clock, `stats prometheus` on the control protocol, and the HTTP request parser. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "check.h"
#include "testreply.h"
#include "fakenet.h"
#include "rootwalk/cache.h"
#include "rootwalk/control.h"
#include "rootwalk/metrics.h"
#include "rootwalk/resolver.h"

static char hints_path[64];

/* The value of the sample whose name and labels are exactly `series`, or -1. */
static long long value(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, series, n) == 0 && l[n] == ' ')
			return atoll(l + n + 1);
	return -1;
}

static bool name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' ||
	       (!first && isdigit((unsigned char)c));
}

/* Every line is "# HELP name text", "# TYPE name type" (after its HELP, before its samples) or
 * a sample of the family last typed: name{label="value",...} number. Counters end in _total;
 * a histogram has cumulative _bucket lines ending with le="+Inf", then _sum and _count equal
 * to the +Inf bucket. Returns the number of families. */
static int check_format(const char *text)
{
	char family[128] = "", type[16] = "", help[128] = "";
	long long last_bucket = -1, inf = -1;
	int families = 0;

	CHECK(text[0] != '\0' && text[strlen(text) - 1] == '\n');
	for (const char *l = text; *l;) {
		const char *e = strchr(l, '\n');
		char line[512];
		size_t n = e ? (size_t)(e - l) : strlen(l);

		CHECK(n > 0 && n < sizeof(line));
		if (n == 0 || n >= sizeof(line))
			return -1;
		memcpy(line, l, n);
		line[n] = '\0';
		l += n + (e ? 1 : 0);
		if (strncmp(line, "# HELP ", 7) == 0) {
			CHECK(sscanf(line + 7, "%127s", help) == 1);
			CHECK(strncmp(help, "rootwalk_", 9) == 0);
			CHECK(strlen(line) > 8 + strlen(help)); /* some text */
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			CHECK(sscanf(line + 7, "%127s %15s", family, type) == 2);
			CHECK(strcmp(family, help) == 0);
			CHECK(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
			      strcmp(type, "histogram") == 0);
			if (strcmp(type, "counter") == 0)
				CHECK(strlen(family) > 6 &&
				      strcmp(family + strlen(family) - 6, "_total") == 0);
			last_bucket = inf = -1;
			families++;
			continue;
		}
		CHECK(line[0] != '#');
		/* a sample: the name */
		size_t i = 0;
		while (name_char(line[i], i == 0))
			i++;
		CHECK(i > 0);
		char name[128];
		snprintf(name, sizeof(name), "%.*s", (int)i, line);
		if (strcmp(type, "histogram") == 0) {
			size_t f = strlen(family);
			CHECK(strncmp(name, family, f) == 0);
			const char *suffix = name + f;
			CHECK(strcmp(suffix, "_bucket") == 0 || strcmp(suffix, "_sum") == 0 ||
			      strcmp(suffix, "_count") == 0);
			if (strcmp(suffix, "_bucket") == 0) {
				long long v = atoll(strrchr(line, ' ') + 1);
				CHECK(v >= last_bucket); /* cumulative */
				last_bucket = v;
				if (strstr(line, "le=\"+Inf\""))
					inf = v;
			}
			if (strcmp(suffix, "_count") == 0)
				CHECK_EQ(atoll(strrchr(line, ' ') + 1), inf);
		} else {
			CHECK(strcmp(name, family) == 0);
		}
		/* labels: key="value" pairs */
		if (line[i] == '{') {
			const char *close = strchr(line + i, '}');
			CHECK(close != NULL);
			for (const char *p = line + i + 1; close && p < close;) {
				const char *eq = strchr(p, '=');
				CHECK(eq && eq > p && eq[1] == '"');
				if (!eq)
					break;
				const char *q = strchr(eq + 2, '"');
				CHECK(q && q < close);
				if (!q)
					break;
				p = q + 1;
				if (*p == ',')
					p++;
			}
			i = close ? (size_t)(close - line) + 1 : n;
		}
		CHECK(line[i] == ' ');
		/* the value: a number */
		char *end = NULL;
		strtod(line + i + 1, &end);
		CHECK(end && end != line + i + 1 && *end == '\0');
	}
	return families;
}

static char *metrics(struct fakenet *fn)
{
	struct rw_metrics_edge edge = {.trace_dropped = 7,
				       .in_progress = rw_resolver_pending(fn->r)};
	size_t len = 0;
	char *text =
		rw_metrics_text(rw_resolver_stats(fn->r), rw_resolver_cache(fn->r), &edge, &len);

	CHECK(text != NULL);
	if (!text)
		abort();
	CHECK_EQ(len, strlen(text));
	if (getenv("RW_SHOW"))
		fputs(text, stderr);
	return text;
}

static void test_text(void)
{
	struct rw_config *cfg = fn_config(hints_path);
	struct fakenet fn;
	char *text;

	fn_init(&fn, false);
	fn_example_world(&fn);
	fn.servers[0].rtt_ms = 20;
	fn.servers[1].rtt_ms = 20;
	fn_start(&fn, cfg);

	/* Before any query: every family there, every counter 0. */
	text = metrics(&fn);
	CHECK(check_format(text) >= 14);
	CHECK_EQ(value(text, "rootwalk_client_queries_total{protocol=\"udp\"}"), 0);
	CHECK_EQ(value(text, "rootwalk_answer_latency_seconds_count"), 0);
	CHECK_EQ(value(text, "rootwalk_trace_dropped_total"), 7);
	free(text);

	/* A walk (two servers, 20 ms each on the fake clock), then the same from the cache. */
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_ask(&fn, "nothing.example.", LDNS_RR_TYPE_MX, false), LDNS_RCODE_NXDOMAIN);
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_CAA, false), LDNS_RCODE_NOERROR);
	text = metrics(&fn);
	CHECK(check_format(text) >= 14);
	CHECK_EQ(value(text, "rootwalk_client_queries_total{protocol=\"udp\"}"), 4);
	CHECK_EQ(value(text, "rootwalk_client_queries_total{protocol=\"tcp\"}"), 0);
	CHECK_EQ(value(text, "rootwalk_client_queries_by_type_total{type=\"A\"}"), 2);
	CHECK_EQ(value(text, "rootwalk_client_queries_by_type_total{type=\"MX\"}"), 1);
	CHECK_EQ(value(text, "rootwalk_client_queries_by_type_total{type=\"other\"}"), 1);
	CHECK_EQ(value(text, "rootwalk_client_answers_total{rcode=\"NOERROR\"}"), 3);
	CHECK_EQ(value(text, "rootwalk_client_answers_total{rcode=\"NXDOMAIN\"}"), 1);
	CHECK_EQ(value(text, "rootwalk_client_outcomes_total{outcome=\"cache_hit\"}"), 1);
	CHECK_EQ(value(text, "rootwalk_client_outcomes_total{outcome=\"cache_miss\"}"), 3);
	CHECK(value(text, "rootwalk_upstream_queries_total") >= 4);
	CHECK(value(text, "rootwalk_cache_entries") > 0);
	CHECK(value(text, "rootwalk_cache_bytes") > 0);
	/* The histogram: the cache hit took no fake time, the first walk 40 ms (two servers),
	 * the others 20 ms (the example. server only). */
	CHECK_EQ(value(text, "rootwalk_answer_latency_seconds_count"), 4);
	CHECK_EQ(value(text, "rootwalk_answer_latency_seconds_bucket{le=\"0.0001\"}"), 1);
	CHECK_EQ(value(text, "rootwalk_answer_latency_seconds_bucket{le=\"0.01\"}"), 1);
	CHECK_EQ(value(text, "rootwalk_answer_latency_seconds_bucket{le=\"0.025\"}"), 3);
	CHECK_EQ(value(text, "rootwalk_answer_latency_seconds_bucket{le=\"0.05\"}"), 4);
	CHECK_EQ(value(text, "rootwalk_answer_latency_seconds_bucket{le=\"+Inf\"}"), 4);
	CHECK(strstr(text, "rootwalk_answer_latency_seconds_sum 0.080000\n") != NULL);
	free(text);
	fn_free(&fn);
	rw_config_free(cfg);
}

/* A batch's receipt time (rw_resolver_set_received): a cache hit counts its TTL down to the
 * batch's wall clock and its latency from the batch's monotonic time, not from the clocks read
 * during the call; 0, 0 goes back to reading them. */
static void test_received(void)
{
	struct rw_config *cfg = fn_config(hints_path);
	struct fakenet fn;

	fn_init(&fn, false);
	fn_example_world(&fn);
	fn_start(&fn, cfg);
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_ttl(&fn, LDNS_RR_TYPE_A), 300);
	struct rw_stats st0 = *rw_resolver_stats(fn.r);
	/* read 3 ms ago by the monotonic clock; the wall clock then 100 s ahead of the env's */
	rw_resolver_set_received(fn.r, fn.wall_us + 100 * 1000000LL, fn.mono_ms * 1000 - 3000);
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_ttl(&fn, LDNS_RR_TYPE_A), 200);
	const struct rw_stats *st = rw_resolver_stats(fn.r);
	CHECK_EQ(st->cache_hits, st0.cache_hits + 1);
	CHECK_EQ(st->answer_latency_sum_us, st0.answer_latency_sum_us + 3000);
	/* 3 ms: the bucket up to 5 ms (100, 250, 500, 1000, 2500, 5000 µs) */
	CHECK_EQ(st->answer_latency[5], st0.answer_latency[5] + 1);
	/* past the entry's expiry by the batch's wall clock: not from the cache (a walk) */
	uint64_t hits = st->cache_hits;
	rw_resolver_set_received(fn.r, fn.wall_us + 301 * 1000000LL, fn.mono_ms * 1000);
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	CHECK_EQ(rw_resolver_stats(fn.r)->cache_hits, hits);
	rw_resolver_set_received(fn.r, 0, 0);
	st0 = *rw_resolver_stats(fn.r);
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_ttl(&fn, LDNS_RR_TYPE_A), 300);
	CHECK_EQ(rw_resolver_stats(fn.r)->cache_hits, st0.cache_hits + 1);
	CHECK_EQ(rw_resolver_stats(fn.r)->answer_latency_sum_us, st0.answer_latency_sum_us);
	fn_free(&fn);
	rw_config_free(cfg);
}

/* Two threads' counters: rw_stats_add sums them, and the text gives each one's part with a
 * worker label beside the sums. */
static void test_workers(void)
{
	struct rw_config *cfg = fn_config(hints_path);
	struct rw_metrics_thread th[2] = {{.name = "0"}, {.name = "main"}};
	struct rw_stats sum = {0};
	struct fakenet fn;
	size_t len = 0;

	fn_init(&fn, false);
	fn_example_world(&fn);
	fn_start(&fn, cfg);
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	th[0].st = *rw_resolver_stats(fn.r);
	th[0].in_progress = 2;
	th[1].st.client_queries[RW_PROTO_TCP] = 5;
	th[1].st.upstream_queries = 1;
	rw_stats_add(&sum, &th[0].st);
	rw_stats_add(&sum, &th[1].st);
	CHECK_EQ(sum.client_queries[RW_PROTO_UDP], 2);
	CHECK_EQ(sum.client_queries[RW_PROTO_TCP], 5);
	CHECK_EQ(sum.upstream_queries, th[0].st.upstream_queries + 1);
	CHECK_EQ(sum.cache_hits, 1);
	CHECK_EQ(sum.answer_latency_sum_us, th[0].st.answer_latency_sum_us);
	struct rw_metrics_edge edge = {.threads = th, .n_threads = 2};
	char *text = rw_metrics_text(&sum, rw_resolver_cache(fn.r), &edge, &len);
	CHECK(text != NULL);
	if (!text)
		abort();
	CHECK(check_format(text) >= 19);
	CHECK_EQ(value(text, "rootwalk_client_queries_total{protocol=\"tcp\"}"), 5);
	CHECK_EQ(value(text, "rootwalk_worker_client_queries_total{worker=\"0\",protocol=\"udp\"}"),
		 2);
	CHECK_EQ(value(text,
		       "rootwalk_worker_client_queries_total{worker=\"main\",protocol=\"tcp\"}"),
		 5);
	CHECK_EQ(value(text, "rootwalk_worker_cache_hits_total{worker=\"0\"}"), 1);
	CHECK_EQ(value(text, "rootwalk_worker_upstream_queries_total{worker=\"main\"}"), 1);
	CHECK_EQ(value(text, "rootwalk_worker_requests_in_progress{worker=\"0\"}"), 2);
	free(text);
	/* without threads, no worker families */
	edge.n_threads = 0;
	text = rw_metrics_text(&sum, rw_resolver_cache(fn.r), &edge, &len);
	CHECK(text && !strstr(text, "rootwalk_worker_"));
	free(text);
	fn_free(&fn);
	rw_config_free(cfg);
}

static int64_t w_now(void *ctx)
{
	return ((struct fakenet *)ctx)->wall_us;
}

static uint64_t w_dropped(void *ctx)
{
	(void)ctx;
	return 3;
}

/* `stats prometheus`: the same text, framed; with json it is refused. */
static void test_control(void)
{
	struct rw_config *cfg = fn_config(hints_path);
	struct fakenet fn;
	struct reply r = {0};
	struct rw_control_request req;
	char err[128];

	fn_init(&fn, false);
	fn_example_world(&fn);
	fn_start(&fn, cfg);
	struct rw_control_ops ops = {.ctx = &fn, .now_wall_us = w_now, .trace_dropped = w_dropped};
	struct rw_control *ctl = rw_control_new(fn.r, &ops);
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);

	CHECK_EQ(rw_control_request(ctl, "stats prometheus", 16, on_reply, &r), 0);
	CHECK_EQ(r.calls, 1);
	CHECK(r.text && strncmp(r.text, "ok\n", 3) == 0);
	struct rw_metrics_edge edge = {.trace_dropped = 3};
	size_t len;
	char *text = rw_metrics_text(rw_resolver_stats(fn.r), rw_resolver_cache(fn.r), &edge, &len);
	CHECK(r.text && text && strlen(r.text) == 3 + len + 2 &&
	      memcmp(r.text + 3, text, len) == 0 && strcmp(r.text + 3 + len, ".\n") == 0);
	CHECK(r.text && value(r.text + 3, "rootwalk_trace_dropped_total") == 3);
	free(text);
	CHECK(rw_control_parse("stats json prometheus", 21, &req, err, sizeof(err)) < 0);
	CHECK(rw_control_parse("stats prometheus json", 21, &req, err, sizeof(err)) < 0);
	CHECK(strstr(err, "exclude") != NULL);
	CHECK(rw_control_parse("stats prometheus prometheus", 27, &req, err, sizeof(err)) < 0);
	CHECK(rw_control_parse("lookup x. prometheus", 20, &req, err, sizeof(err)) < 0);
	CHECK_EQ(rw_control_parse("stats prometheus", 16, &req, err, sizeof(err)), 0);
	CHECK(req.prometheus && !req.json);
	free(r.text);
	rw_control_free(ctl);
	fn_free(&fn);
	rw_config_free(cfg);
}

static enum rw_metrics_req parse(const char *s)
{
	return rw_metrics_parse_request(s, strlen(s));
}

static void test_parse(void)
{
	char big[5000];

	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), RW_METRICS_GET);
	CHECK_EQ(parse("GET /metrics HTTP/1.0\n\n"), RW_METRICS_GET);
	CHECK_EQ(parse("GET /metrics?x=1 HTTP/1.1\r\n\r\n"), RW_METRICS_GET);
	CHECK_EQ(parse("GET http://127.0.0.1:9153/metrics HTTP/1.1\r\n\r\n"), RW_METRICS_GET);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nAccept: text/plain\r\n"), RW_METRICS_NEED_MORE);
	CHECK_EQ(parse("GET /metr"), RW_METRICS_NEED_MORE);
	CHECK_EQ(parse(""), RW_METRICS_NEED_MORE);
	CHECK_EQ(parse("GET / HTTP/1.1\r\n\r\n"), RW_METRICS_NOT_FOUND);
	CHECK_EQ(parse("GET /metricsx HTTP/1.1\r\n\r\n"), RW_METRICS_NOT_FOUND);
	CHECK_EQ(parse("GET /metrics/ HTTP/1.1\r\n\r\n"), RW_METRICS_NOT_FOUND);
	CHECK_EQ(parse("GET http://h/other HTTP/1.1\r\n\r\n"), RW_METRICS_NOT_FOUND);
	CHECK_EQ(parse("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
		 RW_METRICS_BAD_METHOD);
	CHECK_EQ(parse("HEAD /metrics HTTP/1.1\r\n\r\n"), RW_METRICS_BAD_METHOD);
	CHECK_EQ(parse("DELETE / HTTP/1.1\r\n\r\n"), RW_METRICS_BAD_METHOD);
	CHECK_EQ(parse("get /metrics HTTP/1.1\r\n\r\n"), RW_METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET /metrics HTTP/2.0\r\n\r\n"), RW_METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET /metrics HTTP/1.1x\r\n\r\n"), RW_METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET  /metrics HTTP/1.1\r\n\r\n"), RW_METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET /metrics\r\n\r\n"), RW_METRICS_BAD_REQUEST);
	CHECK_EQ(parse("GET metrics HTTP/1.1\r\n\r\n"), RW_METRICS_BAD_REQUEST);
	CHECK_EQ(parse("\r\n\r\n"), RW_METRICS_BAD_REQUEST);
	CHECK_EQ(parse("\x16\x03\x01\x02\x00"), RW_METRICS_BAD_REQUEST); /* TLS, before any LF */
	CHECK_EQ(rw_metrics_parse_request("GET /metrics\0 HTTP/1.1\r\n\r\n", 27),
		 RW_METRICS_BAD_REQUEST);
	/* bytes after the blank line are a body: not judged */
	CHECK_EQ(rw_metrics_parse_request("GET /metrics HTTP/1.1\r\n\r\n\x01", 26), RW_METRICS_GET);
	/* a long header is only ever "need more": the daemon bounds the size */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	CHECK_EQ(parse(big), RW_METRICS_NEED_MORE);
}

int main(void)
{
	if (fn_hints_file(hints_path, sizeof(hints_path)) < 0)
		return 1;
	test_text();
	test_workers();
	test_received();
	test_control();
	test_parse();
	remove(hints_path);
	return rw_check_report("metrics");
}
