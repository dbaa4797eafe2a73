/* One cache, infrastructure cache and set of root hints (struct rw_shared) under two resolvers,
 * as worker threads will have it: what one learns, the other answers from; a reload goes
 * through the shared state and then each resolver. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "fakenet.h"
#include "rootwalk/resolver.h"
#include "rootwalk/shared.h"

int main(void)
{
	char hints[64], err[256];
	struct fakenet fn;

	if (fn_hints_file(hints, sizeof(hints)) < 0)
		return 1;
	fn_init(&fn, false);
	fn_example_world(&fn);
	struct rw_config *cfg = fn_config(hints);
	struct rw_shared *shared = rw_shared_new(&fn.env, cfg, err, sizeof(err));
	CHECK(shared != NULL);
	struct rw_resolver *one = rw_resolver_new_shared(&fn.env, cfg, shared, err, sizeof(err));
	struct rw_resolver *two = rw_resolver_new_shared(&fn.env, cfg, shared, err, sizeof(err));
	CHECK(one && two);

	/* the first resolver walks; the second answers from the same cache, asking nobody */
	fn.r = one;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	unsigned sent = fn.sent_total;
	CHECK(sent >= 2);
	fn.r = two;
	CHECK_EQ(fn_ask(&fn, "www.example.", LDNS_RR_TYPE_A, true), LDNS_RCODE_NOERROR);
	CHECK(fn_has(&fn, "203.0.113.7"));
	CHECK_EQ(fn.sent_total, sent);
	CHECK(rw_resolver_cache(one) == rw_resolver_cache(two));
	CHECK_EQ(rw_resolver_stats(two)->fast_path, 1);

	/* a reload: bad hints change nothing; good ones reach both resolvers */
	struct rw_config *bad = fn_config("/nonexistent/hints");
	CHECK(rw_shared_reconfigure(shared, bad, err, sizeof(err)) == NULL);
	struct rw_config *cfg2 = fn_config(hints);
	cfg2->cache_max_ttl = 60;
	struct rw_hints *old = rw_shared_reconfigure(shared, cfg2, err, sizeof(err));
	CHECK(old != NULL && old != shared->hints);
	rw_resolver_use_config(one, cfg2);
	rw_resolver_use_config(two, cfg2);
	rw_hints_free(old);
	CHECK_EQ(rw_cache_cap_ttl(shared->cache, 300, false), 60);
	fn.r = one;
	CHECK_EQ(fn_ask(&fn, "example.", LDNS_RR_TYPE_SOA, true), LDNS_RCODE_NOERROR);
	CHECK(fn_ttl(&fn, LDNS_RR_TYPE_SOA) <= 60);

	/* a resolver made alone owns its shared state and reloads it itself */
	fn.r = NULL;
	rw_resolver_free(one);
	rw_resolver_free(two);
	struct rw_resolver *alone = rw_resolver_new(&fn.env, cfg, err, sizeof(err));
	CHECK(alone && rw_resolver_reconfigure(alone, cfg2, err, sizeof(err)) == 0);
	CHECK(rw_resolver_reconfigure(alone, bad, err, sizeof(err)) < 0);
	rw_resolver_free(alone);
	rw_shared_free(shared);
	fn_free(&fn);
	rw_config_free(cfg);
	rw_config_free(cfg2);
	rw_config_free(bad);
	unlink(hints);
	return rw_check_report("shared");
}
