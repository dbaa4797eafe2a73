/* Zone cuts held in the cache: see rootwalk/zonecut.h. */
#include <string.h>

#include "rootwalk/zonecut.h"

bool rw_zonecut_find(struct rw_cache *c, const ldns_rdf *name, bool ds, int64_t now_us,
		     bool (*usable)(void *arg, const struct rw_cache_entry *ns), void *arg,
		     struct rw_cache_entry *ns)
{
	ldns_rdf *n = ldns_rdf_clone(name);

	if (n && ds && ldns_dname_label_count(n) > 0) {
		ldns_rdf *up = ldns_dname_left_chop(n);
		ldns_rdf_deep_free(n);
		n = up;
	}
	while (n) {
		memset(ns, 0, sizeof(*ns));
		if (rw_cache_get(c, RW_ENTRY_RRSET, n, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, now_us,
				 RW_ZONECUT_MIN_RANK, ns)) {
			if (ns->rrs && ldns_rr_list_rr_count(ns->rrs) > 0 &&
			    (!usable || usable(arg, ns))) {
				ldns_rdf_deep_free(n);
				return true;
			}
			rw_cache_entry_clear(ns);
		}
		ldns_rdf *up = ldns_dname_label_count(n) > 0 ? ldns_dname_left_chop(n) : NULL;
		ldns_rdf_deep_free(n);
		n = up;
	}
	memset(ns, 0, sizeof(*ns));
	return false;
}

int rw_zonecut_addrs(struct rw_cache *c, const ldns_rdf *nsname, int64_t now_us, bool parent_too,
		     bool (*fn)(void *arg, const struct rw_cache_entry *e, bool parent_side),
		     void *arg)
{
	static const uint16_t types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
	static const enum rw_entry_kind kinds[] = {RW_ENTRY_RRSET, RW_ENTRY_PARENT_GLUE};
	int found = 0;

	if (!nsname || ldns_rdf_get_type(nsname) != LDNS_RDF_TYPE_DNAME)
		return 0;
	for (int k = 0; k < (parent_too ? 2 : 1); k++) {
		for (int t = 0; t < 2; t++) {
			struct rw_cache_entry e;
			if (!rw_cache_get(c, kinds[k], nsname, types[t], LDNS_RR_CLASS_IN, now_us,
					  RW_RANK_GLUE, &e))
				continue;
			found++;
			bool go_on = !e.rrs || fn(arg, &e, k == 1);
			rw_cache_entry_clear(&e);
			if (!go_on)
				return found;
		}
	}
	return found;
}
