/* Which server address to ask next: see rootwalk/select.h. */
#include "rootwalk/select.h"

uint64_t rw_select_score(const struct rw_server_info *info)
{
	if (info && info->timeouts)
		return (uint64_t)info->rto_ms * 1000;
	if (info && info->known)
		return info->srtt_us;
	return (uint64_t)RW_INFRA_UNKNOWN_RTO_MS * 1000;
}

int rw_select_pick(const struct rw_select_cand *c, int n, const uint8_t rnd[2])
{
	int idx[RW_SELECT_MAX];
	int m = 0;

	if (n > RW_SELECT_MAX)
		n = RW_SELECT_MAX;
	unsigned tier = ~0u;
	bool healthy = false;

	/* the fewest attempts; within them, the servers not failing if there are any */
	for (int k = 0; k < n; k++) {
		if (c[k].attempts < tier)
			tier = c[k].attempts;
	}
	for (int k = 0; k < n; k++)
		if (c[k].attempts == tier && !c[k].failing)
			healthy = true;
	for (int k = 0; k < n; k++)
		if (c[k].attempts == tier && (!healthy || !c[k].failing))
			idx[m++] = k;
	if (m == 0)
		return -1;
	if (m > 1 && rnd[0] % RW_SELECT_EXPLORE_ONE_IN == 0)
		return idx[rnd[1] % m];
	/* the fastest; ties broken from a random start to spread the load */
	int start = rnd[1] % m, pick = start;
	for (int k = 1; k < m; k++) {
		int i = (start + k) % m;
		if (c[idx[i]].score_us < c[idx[pick]].score_us)
			pick = i;
	}
	return idx[pick];
}
