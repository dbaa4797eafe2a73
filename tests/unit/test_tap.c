/* dnstap in the core (tap.c): the messages the dnstap-log-* keys ask for reach env->dnstap in
 * order (client query, the walk's queries and replies with the zone asked, the client's
 * response), with the client's address and the query's time on the response; a refused
 * submission is counted as dropped; keys off or env->dnstap NULL mean no call; a client still
 * waiting when the resolver is freed leaks nothing (ASan). And the config line "dnstap: yes"
 * is a server key, while "dnstap:" alone stays unbound.conf's clause. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ldns/ldns.h>

#include "check.h"
#include "fakenet.h"
#include "rootwalk/resolver.h"

#define MAX_TAPS 64

struct tapped {
	enum rw_tap_type type;
	size_t len;
	uint8_t wire[512];
	char zone[64];
	char peer[64];
	int64_t query_us, response_us;
};

static struct tapped taps[MAX_TAPS];
static int n_taps;
static int tap_result; /* what the fake edge returns: 0 queued, negative dropped */

static int fake_dnstap(void *ctx, const struct rw_tap_msg *m)
{
	struct tapped *t = &taps[n_taps < MAX_TAPS ? n_taps : MAX_TAPS - 1];
	(void)ctx;
	n_taps++;
	memset(t, 0, sizeof(*t));
	t->type = m->type;
	t->len = m->len;
	memcpy(t->wire, m->wire, m->len < sizeof(t->wire) ? m->len : sizeof(t->wire));
	if (m->zone) {
		ldns_rdf *z = ldns_dname_new_frm_data((uint16_t)m->zone_len, m->zone);
		char *s = z ? ldns_rdf2str(z) : NULL;
		snprintf(t->zone, sizeof(t->zone), "%s", s ? s : "?");
		free(s);
		ldns_rdf_deep_free(z);
	}
	if (m->peer && m->peer->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)m->peer;
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(t->peer, sizeof(t->peer), "%s#%u", a, ntohs(in->sin_port));
	}
	t->query_us = m->query_us;
	t->response_us = m->response_us;
	return tap_result;
}

static void all_on(struct rw_config *cfg)
{
	cfg->dnstap = true;
	cfg->dnstap_client_query = cfg->dnstap_client_response = true;
	cfg->dnstap_resolver_query = cfg->dnstap_resolver_response = true;
}

static void test_order_and_content(const char *hints)
{
	struct fakenet fn;
	struct rw_config *cfg = fn_config(hints);

	all_on(cfg);
	cfg->dnssec = false;
	fn_init(&fn, false);
	fn.env.dnstap = fake_dnstap;
	fn_example_world(&fn);
	fn_start(&fn, cfg);
	fn_run(&fn, 100); /* the priming: resolver messages only */
	n_taps = 0;
	tap_result = 0;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	CHECK(n_taps >= 4);
	CHECK_EQ(taps[0].type, RW_TAP_CLIENT_QUERY);
	CHECK(strcmp(taps[0].peer, "127.0.0.1#0") != 0 &&
	      strncmp(taps[0].peer, "127.0.0.1#", 10) == 0);
	CHECK_EQ(taps[n_taps - 1].type, RW_TAP_CLIENT_RESPONSE);
	CHECK(strcmp(taps[n_taps - 1].peer, taps[0].peer) == 0);
	CHECK_EQ(taps[n_taps - 1].query_us, taps[0].query_us);
	CHECK(taps[n_taps - 1].response_us >= taps[0].query_us);
	CHECK_EQ(taps[n_taps - 1].len, fn.resp_len);
	CHECK(memcmp(taps[n_taps - 1].wire, fn.resp, fn.resp_len) == 0);
	/* in between: query, reply, query, reply... to the example. server, zone example. */
	bool example = false;
	for (int i = 1; i < n_taps - 1; i++) {
		CHECK_EQ(taps[i].type, i % 2 ? RW_TAP_RESOLVER_QUERY : RW_TAP_RESOLVER_RESPONSE);
		CHECK(taps[i].zone[0] != '\0');
		CHECK(strstr(taps[i].peer, "#53") != NULL);
		if (strcmp(taps[i].zone, "example.") == 0 &&
		    strcmp(taps[i].peer, "192.0.2.2#53") == 0)
			example = true;
		if (taps[i].type == RW_TAP_RESOLVER_RESPONSE) {
			CHECK(strcmp(taps[i].zone, taps[i - 1].zone) == 0);
			CHECK_EQ(taps[i].query_us, taps[i - 1].query_us);
			CHECK(taps[i].wire[2] & 0x80); /* QR */
		}
	}
	CHECK(example);
	const struct rw_stats *st = rw_resolver_stats(fn.r);
	uint64_t sent = st->dnstap_sent;
	CHECK_EQ(st->dnstap_dropped, 0);

	/* A cache hit: the client's two messages; the edge refuses them: counted as dropped. */
	n_taps = 0;
	tap_result = -11;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	CHECK_EQ(n_taps, 2);
	CHECK_EQ(st->dnstap_dropped, 2);
	CHECK_EQ(st->dnstap_sent, sent);

	/* Only what is asked for; dnstap: no (a reload) stops it all. */
	cfg->dnstap_client_query = cfg->dnstap_resolver_query = false;
	cfg->dnstap_resolver_response = false;
	n_taps = 0;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	CHECK_EQ(n_taps, 1);
	CHECK_EQ(taps[0].type, RW_TAP_CLIENT_RESPONSE);
	cfg->dnstap = false;
	n_taps = 0;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	CHECK_EQ(n_taps, 0);

	/* A client still waiting when the resolver is freed: its wrapper is freed too. */
	cfg->dnstap = true;
	fn.servers[1].drop = true;
	fn_submit(&fn, "slow.example.", LDNS_RR_TYPE_A, false, 4000);
	CHECK_EQ(rw_resolver_pending(fn.r), 1);
	fn_free(&fn);
	rw_config_free(cfg);
}

static void test_off_means_no_call(const char *hints)
{
	struct fakenet fn;
	struct rw_config *cfg = fn_config(hints);

	all_on(cfg); /* the keys say yes, but the edge has no output: env->dnstap NULL */
	fn_init(&fn, false);
	fn_example_world(&fn);
	fn_start(&fn, cfg);
	n_taps = 0;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, false), LDNS_RCODE_NOERROR);
	CHECK_EQ(n_taps, 0);
	CHECK_EQ(rw_resolver_stats(fn.r)->dnstap_sent, 0);
	fn_free(&fn);
	rw_config_free(cfg);
}

static void test_config_lines(void)
{
	struct rw_config *cfg = NULL;
	char err[1024];
	const char *on = "server:\n  dnstap: yes\n  dnstap-file: /tmp/x\n"
			 "  dnstap-log-client-query-messages: yes\n";

	CHECK_EQ(rw_config_parse(on, strlen(on), "t", &cfg, err, sizeof(err)), 0);
	CHECK(cfg && cfg->dnstap && cfg->dnstap_client_query && !cfg->dnstap_client_response);
	CHECK(cfg && cfg->dnstap_file && strcmp(cfg->dnstap_file, "/tmp/x") == 0);
	rw_config_free(cfg);
	cfg = NULL;
	/* unbound.conf's clause: reported, its lines skipped, not taken as the key */
	const char *clause = "server:\n  verbosity: 1\ndnstap:\n  dnstap-enable: yes\n";
	CHECK(rw_config_parse(clause, strlen(clause), "t", &cfg, err, sizeof(err)) < 0);
	CHECK(strstr(err, "unknown clause 'dnstap:'") != NULL);
	rw_config_free(cfg);
}

int main(void)
{
	char hints[256];

	CHECK(fn_hints_file(hints, sizeof(hints)) == 0);
	test_order_and_content(hints);
	test_off_means_no_call(hints);
	test_config_lines();
	unlink(hints);
	return rw_check_report("tap");
}
