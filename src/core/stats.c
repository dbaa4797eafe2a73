/* The tables behind the metrics counters of struct rw_stats: client question types and the
 * latency histogram of client answers. */
#include "stats.h"

#include <ldns/ldns.h>

/* The types most clients ask for; everything else is "other". Kept small and fixed, as a
 * Prometheus label set must be, and a label per type would let clients grow it. */
static const uint16_t qtypes[RW_STATS_QTYPES - 1] = {
	LDNS_RR_TYPE_A,	   LDNS_RR_TYPE_NS,    LDNS_RR_TYPE_CNAME, LDNS_RR_TYPE_SOA,
	LDNS_RR_TYPE_PTR,  LDNS_RR_TYPE_MX,    LDNS_RR_TYPE_TXT,   LDNS_RR_TYPE_AAAA,
	LDNS_RR_TYPE_SRV,  LDNS_RR_TYPE_NAPTR, LDNS_RR_TYPE_DS,	   LDNS_RR_TYPE_DNSKEY,
	LDNS_RR_TYPE_SVCB, LDNS_RR_TYPE_HTTPS, LDNS_RR_TYPE_ANY,
};

const char *const rw_stats_qtype_name[RW_STATS_QTYPES] = {
	"A",   "NS",	"CNAME", "SOA",	   "PTR",  "MX",    "TXT", "AAAA",
	"SRV", "NAPTR", "DS",	 "DNSKEY", "SVCB", "HTTPS", "ANY", "other",
};

/* Upper bounds of the latency buckets: a cache hit takes microseconds, a walk milliseconds to
 * seconds (query-budget is 10 s by default). */
const uint32_t rw_stats_latency_us[RW_LATENCY_BUCKETS - 1] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 500000, 2000000,
};

int rw_stats_qtype_index(uint16_t qtype)
{
	for (int i = 0; i < RW_STATS_QTYPES - 1; i++)
		if (qtypes[i] == qtype)
			return i;
	return RW_STATS_QTYPES - 1;
}

void rw_stats_answered(struct rw_stats *st, uint64_t us)
{
	int b = 0;

	while (b < RW_LATENCY_BUCKETS - 1 && us > rw_stats_latency_us[b])
		b++;
	st->answer_latency[b]++;
	st->answer_latency_sum_us += us;
}

/* Every field of struct rw_stats is a uint64_t counter, so the struct is summed as an array. */
_Static_assert(sizeof(struct rw_stats) % sizeof(uint64_t) == 0, "rw_stats holds uint64_t only");

void rw_stats_add(struct rw_stats *sum, const struct rw_stats *st)
{
	uint64_t *a = (uint64_t *)(void *)sum;
	const uint64_t *b = (const uint64_t *)(const void *)st;

	for (size_t i = 0; i < sizeof(*sum) / sizeof(uint64_t); i++)
		a[i] += b[i];
}
