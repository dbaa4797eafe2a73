/* Zone cuts held in the cache: the closest cached delegation and a name server's addresses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "check.h"
#include "rootwalk/zonecut.h"

#define NOW (1795600800LL * 1000000)

static void store(struct rw_cache *c, const char *text, enum rw_rank rank, bool parent)
{
	ldns_rr *rr = NULL;
	CHECK(ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL) == LDNS_STATUS_OK);
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rr_list_push_rr(l, rr);
	if (parent)
		CHECK_EQ(rw_cache_store_parent_glue(c, l, NULL, NOW), 1);
	else
		CHECK_EQ(rw_cache_store_rrset(c, l, rank, NULL, NOW), 1);
	ldns_rr_list_deep_free(l);
}

static char *owner_of(const struct rw_cache_entry *e)
{
	return ldns_rdf2str(e->owner);
}

static bool not_com(void *arg, const struct rw_cache_entry *ns)
{
	(*(int *)arg)++;
	char *o = owner_of(ns);
	bool ok = strcmp(o, "com.") != 0;
	free(o);
	return ok;
}

struct seen {
	char text[512];
};

static bool note(void *arg, const struct rw_cache_entry *e, bool parent_side)
{
	struct seen *s = arg;
	for (size_t i = 0; i < ldns_rr_list_rr_count(e->rrs); i++) {
		char *r = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(e->rrs, i), 0));
		size_t n = strlen(s->text);
		snprintf(s->text + n, sizeof(s->text) - n, "%s%s%s", n ? " " : "", r,
			 parent_side ? "(p)" : "");
		free(r);
	}
	return true;
}

static bool stop_first(void *arg, const struct rw_cache_entry *e, bool parent_side)
{
	(void)e;
	(void)parent_side;
	(*(int *)arg)++;
	return false;
}

int main(void)
{
	uint8_t key[16] = {7};
	struct rw_cache_opts opts = {.max_ttl = 86400};
	struct rw_cache *c = rw_cache_new(&opts, key);
	struct rw_cache_entry ns;
	ldns_rdf *www = ldns_dname_new_frm_str("www.Example.COM.");
	ldns_rdf *apex = ldns_dname_new_frm_str("example.com.");
	ldns_rdf *ns1 = ldns_dname_new_frm_str("ns1.example.net.");

	/* nothing cached: no cut */
	CHECK(!rw_zonecut_find(c, www, false, NOW, NULL, NULL, &ns));
	store(c, ". 86400 IN NS a.root-servers.net.", RW_RANK_ANSWER, false);
	store(c, "com. 86400 IN NS a.gtld-servers.net.", RW_RANK_REFERRAL, false);
	store(c, "example.com. 86400 IN NS ns1.example.net.", RW_RANK_REFERRAL, false);
	/* glue rank is not a delegation */
	store(c, "www.example.com. 86400 IN NS ns.glue.example.", RW_RANK_GLUE, false);

	/* the closest cut at or above the name, in any case */
	CHECK(rw_zonecut_find(c, www, false, NOW, NULL, NULL, &ns));
	char *o = owner_of(&ns);
	CHECK(strcmp(o, "example.com.") == 0);
	free(o);
	rw_cache_entry_clear(&ns);
	/* DS lives above the cut: for example.com. DS the cut is com. */
	CHECK(rw_zonecut_find(c, apex, true, NOW, NULL, NULL, &ns));
	o = owner_of(&ns);
	CHECK(strcmp(o, "com.") == 0);
	free(o);
	rw_cache_entry_clear(&ns);
	/* a cut the caller cannot use: the search goes on above it */
	int asked = 0;
	CHECK(rw_zonecut_find(c, apex, true, NOW, not_com, &asked, &ns));
	o = owner_of(&ns);
	CHECK(strcmp(o, ".") == 0);
	CHECK_EQ(asked, 2);
	free(o);
	rw_cache_entry_clear(&ns);
	/* expired: gone */
	CHECK(!rw_zonecut_find(c, www, false, NOW + 86401LL * 1000000, NULL, NULL, &ns));

	/* addresses: A, then AAAA, then the parent side when asked for */
	struct seen s = {""};
	CHECK_EQ(rw_zonecut_addrs(c, ns1, NOW, true, note, &s), 0);
	store(c, "ns1.example.net. 3600 IN AAAA 2001:db8::53", RW_RANK_ANSWER, false);
	store(c, "ns1.example.net. 3600 IN A 192.0.2.53", RW_RANK_ANSWER, false);
	store(c, "ns1.example.net. 3600 IN A 192.0.2.54", RW_RANK_GLUE, true);
	CHECK_EQ(rw_zonecut_addrs(c, ns1, NOW, true, note, &s), 3);
	CHECK(strcmp(s.text, "192.0.2.53 2001:db8::53 192.0.2.54(p)") == 0);
	s.text[0] = '\0';
	CHECK_EQ(rw_zonecut_addrs(c, ns1, NOW, false, note, &s), 2);
	CHECK(strcmp(s.text, "192.0.2.53 2001:db8::53") == 0);
	int calls = 0;
	CHECK_EQ(rw_zonecut_addrs(c, ns1, NOW, true, stop_first, &calls), 1);
	CHECK_EQ(calls, 1);
	CHECK_EQ(rw_zonecut_addrs(c, NULL, NOW, true, note, &s), 0);

	ldns_rdf_deep_free(www);
	ldns_rdf_deep_free(apex);
	ldns_rdf_deep_free(ns1);
	rw_cache_free(c);
	return rw_check_report("zonecut");
}
