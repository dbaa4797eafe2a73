/* Fuzz target: what authoritative servers send back. A resolver runs against a fake network
 * (no sockets, a fake clock, no real server is ever contacted): a client asks a question, and
 * the fuzzer plays every server the resolver turns to, with whatever replies it likes.
 *
 * Input: a flags byte (0x40 tracing on, 0x20 JSON traces, 0x10 QNAME minimisation off, 0x08
 * use-caps-for-id on), a byte choosing the client's
 * question (name: low 3 bits; type: the next bits; 0x80: over TCP), then chunks, each
 * [u16 length][u8 which][body]. "which" picks one of the outstanding upstream queries (counted
 * from the newest). Length 0 makes that query time out; length 0xffff asks another client
 * question, chosen by "which"; anything else is a reply: the body's first 10 bytes are the
 * header after the ID (flags and the four counts), the query's own ID and question are filled in
 * so that the reply gets past matching, and the rest of the body follows the question.
 *
 * Checked: no crash, leak or sanitizer report; every client response parses and answers its
 * query; every trace record is one or more whole lines without control characters (names from
 * the wire are hostile); when the resolver is freed, every upstream query it started has been
 * answered, timed out or cancelled. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "fuzznet.h"
#include "rootwalk/config.h"
#include "rootwalk/env.h"
#include "rootwalk/resolver.h"
#include "rootwalk/wire.h"
#include "fuzz.h"

#define MAX_STEPS 64

struct fakenet {
	struct fz_clock clk; /* first: the env callbacks of fuzzclock.c see it at ctx */
	struct rw_env env;
	struct fz_net net;
	int json;
	int responses;
	/* Client questions still waiting for their response (the resolver may join equal ones). */
	struct {
		uint16_t id, qtype;
		uint8_t qname[256];
		size_t qlen;
	} asked[MAX_STEPS + 1];
	int n_asked;
};

static int fn_send(void *ctx, const struct rw_upstream_query *q)
{
	return fz_net_keep(&((struct fakenet *)ctx)->net, q);
}

static void fn_cancel(void *ctx, uint64_t id)
{
	fz_net_forget(&((struct fakenet *)ctx)->net, id);
}

static void fn_trace(void *ctx, const char *text, size_t len)
{
	struct fakenet *fn = ctx;

	REQUIRE(text != NULL && len > 0 && text[len - 1] == '\n');
	if (fn->net.verbose)
		fwrite(text, 1, len, stderr);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		REQUIRE(c == '\n' || (c >= 0x20 && c != 0x7f));
		/* JSON: one object per line. */
		if (fn->json && (i == 0 || text[i - 1] == '\n'))
			REQUIRE(c == '{');
		if (fn->json && c == '\n')
			REQUIRE(i > 0 && text[i - 1] == '}');
	}
}

static void on_response(void *arg, const uint8_t *resp, size_t len)
{
	struct fakenet *fn = arg;
	ldns_pkt *pkt = NULL;
	uint16_t id;
	int i;

	fn->responses++;
	REQUIRE(len >= RW_DNS_HEADER_LEN);
	REQUIRE(resp[2] & 0x80);
	REQUIRE(ldns_wire2pkt(&pkt, resp, len) == LDNS_STATUS_OK);
	REQUIRE(ldns_pkt_qdcount(pkt) == 1);
	if (fn->net.verbose)
		ldns_pkt_print(stderr, pkt);
	ldns_pkt_free(pkt);
	/* It answers one of the questions asked, with its ID and its question as sent. */
	id = (uint16_t)((resp[0] << 8) | resp[1]);
	for (i = 0; i < fn->n_asked; i++) {
		size_t ql = fn->asked[i].qlen;

		if (fn->asked[i].id == id && len >= RW_DNS_HEADER_LEN + ql + 4 &&
		    memcmp(resp + RW_DNS_HEADER_LEN, fn->asked[i].qname, ql) == 0 &&
		    ((resp[RW_DNS_HEADER_LEN + ql] << 8) | resp[RW_DNS_HEADER_LEN + ql + 1]) ==
			    fn->asked[i].qtype)
			break;
	}
	REQUIRE(i < fn->n_asked);
	fn->asked[i] = fn->asked[--fn->n_asked];
}

static const char *const qnames[] = {"www.video-platform.com.",	   "video-platform.com.",
				     "42.113.0.203.in-addr.arpa.", ".",
				     "nope.example.org.",	   "a.b.c.d.e.f.example.net.",
				     "xn--bcher-kva.example.",	   "com."};
static const uint16_t qtypes[] = {1, 28, 2, 15, 16, 5, 6, 12, 33, 257, 65280, 255, 43};

static void ask(struct fakenet *fn, struct rw_resolver *r, uint8_t choice)
{
	uint8_t pkt[300];
	ldns_rdf *name = ldns_dname_new_frm_str(qnames[choice % 8]);
	uint16_t qtype = qtypes[((choice >> 3) & 0x0f) % 13];
	struct sockaddr_in client = {.sin_family = AF_INET, .sin_port = htons(40000)};
	size_t n = RW_DNS_HEADER_LEN;
	int responses = fn->responses, rc;
	uint16_t id = (uint16_t)(0x1000 + choice);

	REQUIRE(name != NULL && fn->n_asked < MAX_STEPS + 1);
	client.sin_addr.s_addr = htonl(0x7f000001);
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = (uint8_t)(id >> 8);
	pkt[1] = (uint8_t)id;
	fn->asked[fn->n_asked].id = id;
	fn->asked[fn->n_asked].qtype = qtype;
	fn->asked[fn->n_asked].qlen = ldns_rdf_size(name);
	memcpy(fn->asked[fn->n_asked].qname, ldns_rdf_data(name), ldns_rdf_size(name));
	fn->n_asked++;
	pkt[2] = 0x01; /* RD */
	pkt[5] = 1;
	pkt[11] = 1; /* OPT */
	memcpy(pkt + n, ldns_rdf_data(name), ldns_rdf_size(name));
	n += ldns_rdf_size(name);
	ldns_rdf_deep_free(name);
	pkt[n++] = (uint8_t)(qtype >> 8);
	pkt[n++] = (uint8_t)qtype;
	pkt[n++] = 0;
	pkt[n++] = 1;
	memcpy(pkt + n, "\0\0\x29\x04\xd0\0\0\0\0\0\0", 11); /* EDNS0, 1232 bytes */
	n += 11;
	rc = rw_resolver_query(r, pkt, n, (struct sockaddr *)&client, sizeof(client),
			       (choice & 0x80) ? RW_PROTO_TCP : RW_PROTO_UDP, on_response, fn);
	if (rc < 0) {
		/* Refused outright: no callback, now or later. */
		REQUIRE(fn->responses == responses);
		fn->n_asked--;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fakenet fn;
	struct rw_config *cfg;
	struct rw_resolver *r;
	char err[256];
	size_t pos = 2;

	if (size < 2)
		return 0;
	memset(&fn, 0, sizeof(fn));
	fz_env_init(&fn.env, &fn, &fn.clk, 0x726f6f7477616c6bull);
	fn.env.send = fn_send;
	fn.env.cancel = fn_cancel;
	fn.net.verbose = getenv("RW_FUZZ_VERBOSE") != NULL;
	/* The built-in hints are only addresses here: nothing is ever sent anywhere. */
	cfg = rw_config_default();
	REQUIRE(cfg != NULL);
	cfg->upstream_timeout_ms = 100;
	cfg->qname_minimisation = (data[0] & 0x10) == 0;
	cfg->use_caps_for_id = (data[0] & 0x08) != 0;
	if ((data[0] & 0x40) != 0) {
		fn.env.trace_write = fn_trace;
		fn.json = (data[0] & 0x20) != 0;
		cfg->trace_format = fn.json ? RW_TRACE_JSON : RW_TRACE_TEXT;
	}
	r = rw_resolver_new(&fn.env, cfg, err, sizeof(err));
	REQUIRE(r != NULL);
	ask(&fn, r, data[1]);
	for (int step = 0; step < MAX_STEPS && size - pos >= 3; step++) {
		size_t len = ((size_t)data[pos] << 8) | data[pos + 1];
		uint8_t which = data[pos + 2];

		pos += 3;
		fn.clk.mono_ms += 10;
		fn.clk.wall_us += 10000;
		if (len == 0xffff) {
			ask(&fn, r, which);
			continue;
		}
		if (len > size - pos)
			len = size - pos;
		fz_net_play(&fn.net, r, which, data + pos, len);
		pos += len;
	}
	rw_resolver_free(r);
	/* Freed with queries outstanding: each was cancelled. */
	REQUIRE(fn.net.n == 0);
	rw_config_free(cfg);
	return 0;
}
