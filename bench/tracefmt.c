/* tracefmt: what formatting one cache hit's trace costs on the trace sink's thread, without a
 * daemon. Builds the benchmark's cached answers (bench.py: a leaf zone's A, AAAA, MX, www A and
 * AAAA through a CNAME, mail A) in a cache, packs their traces as the answering thread does
 * (rw_trace_hit_pack) and formats each record ROUNDS times as the sink does
 * (rw_trace_formatter_hit). Count the instructions with callgrind:
 *
 *   valgrind --tool=callgrind --toggle-collect=rw_trace_formatter_hit BUILD/tracefmt text 2000
 *
 * and divide by 6 * ROUNDS (it prints the traces' count and bytes). With no ROUNDS it prints
 * each trace once (to look at, or compare between two builds). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "rootwalk/cache.h"
#include "rootwalk/trace.h"
#include "rootwalk/wire.h"
#include "../src/core/sbuf.h"
#include "../tests/unit/testquery.h"

#define T0 (1795600800LL * 1000000) /* 2026-11-25T10:00:00Z */

static void store(struct rw_cache *c, struct rw_source *src, const char *rr_text)
{
	ldns_rr_list *set = ldns_rr_list_new();
	ldns_rr *rr = NULL;
	if (ldns_rr_new_frm_str(&rr, rr_text, 3600, NULL, NULL) != LDNS_STATUS_OK) {
		fprintf(stderr, "tracefmt: bad record %s\n", rr_text);
		exit(1);
	}
	ldns_rr_list_push_rr(set, rr);
	rw_cache_store_rrset(c, set, RW_RANK_ANSWER, src, T0);
	ldns_rr_list_deep_free(set);
}

int main(int argc, char **argv)
{
	static const char *const zone[] = {
		"site00042.com. 86400 IN A 198.18.0.42",
		"site00042.com. 86400 IN AAAA 2001:db8:18::2a",
		"site00042.com. 86400 IN MX 10 mail.site00042.com.",
		"mail.site00042.com. 86400 IN A 198.19.0.42",
		"www.site00042.com. 86400 IN CNAME site00042.com.",
	};
	static const struct {
		const char *name;
		uint16_t type;
	} q[] = {
		{"site00042.com.", LDNS_RR_TYPE_A},	   {"site00042.com.", LDNS_RR_TYPE_AAAA},
		{"site00042.com.", LDNS_RR_TYPE_MX},	   {"www.site00042.com.", LDNS_RR_TYPE_A},
		{"www.site00042.com.", LDNS_RR_TYPE_AAAA}, {"mail.site00042.com.", LDNS_RR_TYPE_A}};
	enum { NQ = sizeof(q) / sizeof(q[0]) };
	bool json = argc > 1 && strcmp(argv[1], "json") == 0;
	long rounds = argc > 2 ? atol(argv[2]) : 0;
	uint8_t key[16] = {1, 2, 3};
	struct rw_cache_opts opts = {.max_ttl = 86400};
	struct rw_cache *c = rw_cache_new(&opts, key);
	struct sockaddr_in ns = {.sin_family = AF_INET, .sin_port = htons(53)};
	struct sockaddr_in client = {.sin_family = AF_INET, .sin_port = htons(40000)};
	inet_pton(AF_INET, "127.3.0.1", &ns.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &client.sin_addr);
	struct rw_source *src = rw_source_new("ns1.site00042.com.", "site00042.com.",
					      (const struct sockaddr *)&ns, sizeof(ns));
	for (size_t i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
		store(c, src, zone[i]);

	struct rw_sbuf rec[NQ] = {{0}};
	for (int i = 0; i < NQ; i++) {
		uint8_t query[512], resp[4096];
		struct rw_client_query cq;
		struct rw_cache_used used = {0};
		size_t qlen = test_query(query, 0x1234, 0x0100, q[i].name, q[i].type, 0);
		int64_t start = T0 + 2345678 + i * 1000;
		if (rw_wire_parse_query(query, qlen, &cq) != RW_QUERY_OK)
			return 1;
		size_t rlen = rw_cache_answer_used(c, &cq, start, 11, resp, sizeof(resp), &used);
		struct rw_trace_hit h = {.id = 0x3aadde169b0bcba7ULL + (uint64_t)i,
					 .format = json ? RW_TRACE_JSON : RW_TRACE_TEXT,
					 .start_us = start,
					 .end_us = start + 17,
					 .client = (const struct sockaddr *)&client,
					 .clientlen = sizeof(client),
					 .resp = resp,
					 .len = rlen,
					 .used = &used};
		if (rlen == 0 || rw_trace_hit_pack(&rec[i], &h) < 0) {
			fprintf(stderr, "tracefmt: no answer for %s\n", q[i].name);
			return 1;
		}
	}
	struct rw_trace_formatter *f = rw_trace_formatter_new();
	size_t bytes = 0, traces = 0, len = 0;
	for (long r = 0; r < (rounds ? rounds : 1); r++) {
		for (int i = 0; i < NQ; i++) {
			const char *text = rw_trace_formatter_hit(f, rec[i].p, rec[i].len, &len);
			if (!text)
				return 1;
			if (!rounds)
				fwrite(text, 1, len, stdout);
			bytes += len;
			traces++;
		}
	}
	if (rounds)
		printf("%zu traces, %zu bytes (%.0f per trace)\n", traces, bytes,
		       (double)bytes / (double)traces);
	rw_trace_formatter_free(f);
	for (int i = 0; i < NQ; i++)
		free(rec[i].p);
	rw_source_unref(src);
	rw_cache_free(c);
	return 0;
}
