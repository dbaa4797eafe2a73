/* The fast path's trace of a cache hit (trace_hit.c, built from the response) and the general
 * formatter's (trace.c, built from events, as the iterator records a cache hit) must be the
 * same text and the same JSON. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "check.h"
#include "rootwalk/cache.h"
#include "rootwalk/trace.h"
#include "rootwalk/wire.h"
#include "../../src/core/sbuf.h"
#include "testquery.h"

#define T0 (1795600800LL * 1000000) /* 2026-11-25T10:00:00Z */

static struct rw_cache *cache_with(const char *const *records, size_t n, struct rw_source *src)
{
	uint8_t key[16] = {1, 2, 3};
	struct rw_cache_opts opts = {.max_ttl = 86400};
	struct rw_cache *c = rw_cache_new(&opts, key);
	ldns_rr_list *set = ldns_rr_list_new();
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = NULL;
		CHECK(ldns_rr_new_frm_str(&rr, records[i], 3600, NULL, NULL) == LDNS_STATUS_OK);
		ldns_rr_list_push_rr(set, rr);
	}
	CHECK(rw_cache_store_rrset(c, set, RW_RANK_ANSWER, src, T0) == 1);
	ldns_rr_list_deep_free(set);
	return c;
}

/* The events the iterator and the resolver record for a cache hit of one RRset. */
static char *general(struct rw_cache *c, const char *qname, uint16_t qtype,
		     const struct sockaddr_in *client, uint64_t id, enum rw_trace_format fmt,
		     int64_t start, int64_t end, size_t *len)
{
	struct rw_trace *t = rw_trace_new(id, fmt);
	ldns_rdf *name = ldns_dname_new_frm_str(qname);
	struct rw_cache_entry e;
	CHECK(rw_cache_get(c, RW_ENTRY_RRSET, name, qtype, LDNS_RR_CLASS_IN, start,
			   RW_RANK_NONAUTH_ANSWER, &e));
	struct rw_trace_event *q = rw_trace_add(t, RW_EV_QUERY, "", start);
	q->qname = strdup(qname);
	q->qtype = qtype;
	memcpy(&q->addr, client, sizeof(*client));
	q->addrlen = sizeof(*client);
	struct rw_trace_event *h = rw_trace_add(t, RW_EV_CACHE_HIT, "", start);
	h->qname = strdup(qname);
	h->qtype = qtype;
	struct rw_trace_event *a = rw_trace_add(t, RW_EV_ANSWER, "", start);
	a->rcode = LDNS_RCODE_NOERROR;
	a->qname = strdup(qname);
	for (size_t i = 0; i < ldns_rr_list_rr_count(e.rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(e.rrs, i);
		uint32_t left = rw_cache_ttl_left(&e, start);
		rw_trace_add_rec(h, rr, left, e.orig_ttl, e.stored_us, e.expires_us, e.src, true);
		rw_trace_add_rec(a, rr, left, e.orig_ttl, e.stored_us, e.expires_us, e.src, true);
	}
	struct rw_trace_event *d = rw_trace_add(t, RW_EV_DONE, "", end);
	d->elapsed_us = end - start;
	d->cache_hits = 1;
	d->rcode = LDNS_RCODE_NOERROR;
	char *text = rw_trace_format(t, len);
	rw_cache_entry_clear(&e);
	ldns_rdf_deep_free(name);
	rw_trace_free(t);
	return text;
}

/* The hit packed (rw_trace_hit_pack) and formatted from the record gives the same bytes as
 * formatting it at once; a record cut short, or one byte too long, gives nothing. */
static void packed_agrees(const struct rw_trace_hit *h, const struct rw_sbuf *fast)
{
	struct rw_sbuf rec = {0};
	struct rw_trace_formatter *f = rw_trace_formatter_new();
	size_t len = 0;
	CHECK(f != NULL);
	CHECK(rw_trace_hit_pack(&rec, h) == 0);
	CHECK(rec.len > h->len && rec.len < h->len + 600);
	const char *text = rw_trace_formatter_hit(f, rec.p, rec.len, &len);
	bool same = text && len == fast->len && memcmp(text, fast->p, len) == 0;
	if (!same)
		fprintf(stderr, "packed: the formatters differ\n--- packed:\n%s--- at once:\n%s",
			text ? text : "(none)", fast->p);
	CHECK(same);
	for (size_t cut = 0; cut < rec.len; cut += 7)
		CHECK(rw_trace_formatter_hit(f, rec.p, cut, &len) == NULL);
	rw_sbuf_add(&rec, "x", 1);
	CHECK(rw_trace_formatter_hit(f, rec.p, rec.len, &len) == NULL);
	rw_trace_formatter_free(f);
	free(rec.p);
}

static void agree(const char *const *records, size_t n, const char *qname, uint16_t qtype)
{
	struct sockaddr_in ns = {.sin_family = AF_INET, .sin_port = htons(53)};
	struct sockaddr_in client = {.sin_family = AF_INET, .sin_port = htons(40000)};
	inet_pton(AF_INET, "127.3.0.1", &ns.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &client.sin_addr);
	struct rw_source *src = rw_source_new("ns1.dnshost.net.", "video-platform.com.",
					      (const struct sockaddr *)&ns, sizeof(ns));
	struct rw_cache *c = cache_with(records, n, src);
	uint8_t q[512], resp[4096];
	struct rw_client_query cq;
	size_t qlen = test_query(q, 0x1234, 0x0100, qname, qtype, 0);
	CHECK(rw_wire_parse_query(q, qlen, &cq) == RW_QUERY_OK);
	int64_t start = T0 + 2345678, end = start + 17;
	struct rw_cache_used used = {0};
	size_t rlen = rw_cache_answer_used(c, &cq, start, 11, resp, sizeof(resp), &used);
	CHECK(rlen > 0);
	for (int f = 0; f < 2; f++) {
		enum rw_trace_format fmt = f ? RW_TRACE_JSON : RW_TRACE_TEXT;
		struct rw_trace_hit h = {.id = 0x3aadde169b0bcba7ULL,
					 .format = fmt,
					 .start_us = start,
					 .end_us = end,
					 .client = (const struct sockaddr *)&client,
					 .clientlen = sizeof(client),
					 .resp = resp,
					 .len = rlen,
					 .used = &used};
		struct rw_sbuf fast = {0};
		CHECK(rw_trace_hit_format(&fast, &h) == 0);
		size_t glen = 0;
		char *gen = general(c, qname, qtype, &client, h.id, fmt, start, end, &glen);
		bool same = gen && fast.p && glen == fast.len && memcmp(gen, fast.p, glen) == 0;
		if (!same)
			fprintf(stderr,
				"%s %s: the two formatters differ\n--- fast path:\n%s--- "
				"general:\n%s",
				qname, f ? "json" : "text", fast.p ? fast.p : "(none)",
				gen ? gen : "(none)");
		CHECK(same);
		packed_agrees(&h, &fast);
		h.prefetch_left = 29; /* and with the prefetch line */
		h.prefetch_orig = 300;
		h.tcp = true;
		fast.len = 0;
		CHECK(rw_trace_hit_format(&fast, &h) == 0);
		packed_agrees(&h, &fast);
		free(gen);
		free(fast.p);
	}
	rw_cache_free(c);
	rw_source_unref(src);
}

int main(void)
{
	static const char *const one[] = {"video-platform.com. 300 IN A 203.0.113.42"};
	static const char *const two[] = {"video-platform.com. 300 IN AAAA 2001:db8::1",
					  "video-platform.com. 300 IN AAAA 2001:db8::2"};
	static const char *const txt[] = {
		"video-platform.com. 300 IN TXT \"v=spf1 mx -all\" \"a \\\"quoted\\\" part\""};
	agree(one, 1, "video-platform.com.", LDNS_RR_TYPE_A);
	agree(two, 2, "video-platform.com.", LDNS_RR_TYPE_AAAA);
	agree(txt, 1, "video-platform.com.", LDNS_RR_TYPE_TXT);
	return rw_check_report("trace_agree");
}
