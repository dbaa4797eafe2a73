/* The stages of a resolution (layer.h): a second stage after the iterator begins when the walk
 * is done, sees its answer, may look names up (sub-resolutions are iterators) and decides when
 * the client is answered; a stage that cannot begin fails the request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "fakenet.h"
#include "rootwalk/layer.h"
#include "rootwalk/resolver.h"

/* A second stage that, like a validator fetching a key, looks one name up before answering. */
struct probe {
	ldns_rdf *name;
	int rcode_seen, looked_up;
};
static int begun, ended;

static void *probe_begin(struct rw_iter_shared *sh, const ldns_rdf *qname, uint16_t qtype,
			 uint16_t qclass, struct rw_iter *bottom, struct rw_iter_out *out)
{
	(void)sh, (void)qname, (void)qtype, (void)qclass;
	struct probe *p = calloc(1, sizeof(*p));
	begun++;
	p->name = ldns_dname_new_frm_str("key.example.");
	p->rcode_seen = rw_iter_rcode(bottom);
	out->act = RW_ACT_SUBRESOLVE;
	out->sub_qname = p->name;
	out->sub_qtype = LDNS_RR_TYPE_TXT;
	snprintf(out->sub_step, sizeof(out->sub_step), "v");
	return p;
}

static bool probe_reply(void *st, const struct sockaddr *from, socklen_t fromlen,
			const uint8_t *pkt, size_t len, struct rw_iter_out *out)
{
	(void)st, (void)from, (void)fromlen, (void)pkt, (void)len, (void)out;
	return false; /* it never sends itself */
}

static void probe_timeout(void *st, int err, struct rw_iter_out *out)
{
	(void)st, (void)err;
	out->act = RW_ACT_DONE;
}

static void probe_subresult(void *st, const struct rw_iter *child, struct rw_iter_out *out)
{
	struct probe *p = st;
	size_t n = 0;
	if (child && rw_iter_rcode(child) == LDNS_RCODE_NOERROR && rw_iter_answer(child, &n) && n)
		p->looked_up++;
	out->act = RW_ACT_DONE;
}

static struct rw_iter *probe_result(void *st)
{
	(void)st;
	return NULL;
}

static void probe_end(void *st)
{
	struct probe *p = st;
	CHECK_EQ(p->rcode_seen, LDNS_RCODE_NOERROR);
	CHECK_EQ(p->looked_up, 1);
	ldns_rdf_deep_free(p->name);
	free(p);
	ended++;
}

static const struct rw_layer probe = {"probe",	       probe_begin,  probe_reply, probe_timeout,
				      probe_subresult, probe_result, probe_end};

static void *failing_begin(struct rw_iter_shared *sh, const ldns_rdf *qname, uint16_t qtype,
			   uint16_t qclass, struct rw_iter *bottom, struct rw_iter_out *out)
{
	(void)sh, (void)qname, (void)qtype, (void)qclass, (void)bottom, (void)out;
	return NULL;
}

static const struct rw_layer failing = {"failing",	 failing_begin, probe_reply, probe_timeout,
					probe_subresult, probe_result,	probe_end};

int main(void)
{
	char hints[64];
	struct fakenet fn;
	if (fn_hints_file(hints, sizeof(hints)) < 0)
		return 1;
	fn_init(&fn, true);
	fn_example_world(&fn);
	struct rw_config *cfg = fn_config(hints);
	fn_start(&fn, cfg);

	/* the first stage must be the iterator */
	static const struct rw_layer *const wrong[] = {&probe};
	CHECK(rw_resolver_set_layers(fn.r, wrong, 1) < 0);
	static const struct rw_layer *const two[] = {&rw_layer_iterator, &probe};
	CHECK_EQ(rw_resolver_set_layers(fn.r, two, 2), 0);

	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&fn, "203.0.113.7"));
	CHECK_EQ(begun, 1);
	CHECK_EQ(ended, 1);
	CHECK_EQ(fn.servers[1].queries, 2); /* www, then the second stage's key */
	CHECK(fn_trace_has(&fn, "step v.1  zone example.  ask ns.example. (192.0.2.2) udp  "
				"\"key.example. TXT\""));
	/* from the cache: the second stage is the resolution's, the fast path has none */
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK_EQ(begun, 1);
	fn_free(&fn);

	/* a stage that cannot begin: SERVFAIL, not a hang */
	fn_init(&fn, false);
	fn_example_world(&fn);
	fn_start(&fn, cfg);
	static const struct rw_layer *const broken[] = {&rw_layer_iterator, &failing};
	CHECK_EQ(rw_resolver_set_layers(fn.r, broken, 2), 0);
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_SERVFAIL);
	fn_free(&fn);
	rw_config_free(cfg);
	unlink(hints);
	return rw_check_report("layer");
}
