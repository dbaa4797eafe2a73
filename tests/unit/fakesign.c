/* Signed zones for fakenet (fakesign.h): signing done with ldns, never by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakesign.h"

int fs_key_new(struct fs_key *k, const char *zone)
{
	memset(k, 0, sizeof(*k));
	k->key = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);
	if (!k->key)
		return -1;
	ldns_key_set_pubkey_owner(k->key, ldns_dname_new_frm_str(zone));
	ldns_key_set_flags(k->key, 257);
	k->dnskey = ldns_key2rr(k->key);
	if (!k->dnskey)
		return -1;
	ldns_rr_set_ttl(k->dnskey, 3600);
	k->tag = ldns_calc_keytag(k->dnskey);
	ldns_key_set_keytag(k->key, k->tag);
	return 0;
}

void fs_key_free(struct fs_key *k)
{
	ldns_key_deep_free(k->key);
	ldns_rr_free(k->dnskey);
	memset(k, 0, sizeof(*k));
}

static int canon_cmp(const void *a, const void *b)
{
	const ldns_rr *x = *(ldns_rr *const *)a, *y = *(ldns_rr *const *)b;
	int c = ldns_dname_compare(ldns_rr_owner(x), ldns_rr_owner(y));
	if (c)
		return c;
	return (int)ldns_rr_get_type(x) - (int)ldns_rr_get_type(y);
}

/* Sort records in canonical name order (RFC 4034 6.1), then by type. */
static void canon_sort(ldns_rr_list *l)
{
	size_t n = ldns_rr_list_rr_count(l);
	ldns_rr **v = malloc((n ? n : 1) * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = ldns_rr_list_rr(l, i);
	qsort(v, n, sizeof(*v), canon_cmp);
	for (size_t i = 0; i < n; i++)
		ldns_rr_list_set_rr(l, v[i], i);
	free(v);
}

/* Is rr at a name delegated away (NS below the apex at or above its owner, but not a DS)? */
static bool occluded(const ldns_rr *rr, const ldns_rr_list *all, const ldns_rdf *apex)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		const ldns_rr *ns = ldns_rr_list_rr(all, i);
		const ldns_rdf *o = ldns_rr_owner(ns);
		if (ldns_rr_get_type(ns) != LDNS_RR_TYPE_NS || ldns_dname_compare(o, apex) == 0)
			continue;
		if (ldns_dname_compare(ldns_rr_owner(rr), o) == 0)
			return ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS &&
			       ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC;
		if (ldns_dname_is_subdomain(ldns_rr_owner(rr), o))
			return true;
	}
	return false;
}

/* The NSEC chain over the zone's names (delegations included, their glue not). */
static void add_nsec_chain(ldns_rr_list *all, const ldns_rdf *apex)
{
	ldns_rr_list *names = ldns_rr_list_new();
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);
		bool glue = occluded(rr, all, apex) && ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS;
		if (!glue)
			ldns_rr_list_push_rr(names, rr);
	}
	canon_sort(names);
	size_t n = ldns_rr_list_rr_count(names);
	for (size_t i = 0; i < n;) {
		const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(names, i));
		size_t j = i;
		while (j < n &&
		       ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(names, j)), owner) == 0)
			j++;
		const ldns_rdf *next = j < n ? ldns_rr_owner(ldns_rr_list_rr(names, j)) : apex;
		ldns_rr_list *set = ldns_rr_list_new();
		for (size_t k = i; k < j; k++)
			ldns_rr_list_push_rr(set, ldns_rr_list_rr(names, k));
		ldns_rr *nsec = ldns_create_nsec((ldns_rdf *)owner, (ldns_rdf *)next, set);
		ldns_rr_list_free(set);
		if (nsec) {
			ldns_rr_set_ttl(nsec, 300);
			ldns_rr_list_push_rr(all, nsec);
		}
		i = j;
	}
	ldns_rr_list_free(names);
}

char *fs_sign(const char *zone, const char *records, const struct fs_key *k, int64_t inception,
	      int64_t expiration)
{
	ldns_rdf *apex = ldns_dname_new_frm_str(zone);
	ldns_rr_list *all = ldns_rr_list_new();
	char *copy = strdup(records), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, line, 3600, NULL, NULL) == LDNS_STATUS_OK)
			ldns_rr_list_push_rr(all, rr);
	}
	free(copy);
	ldns_rr_list_push_rr(all, ldns_rr_clone(k->dnskey));
	add_nsec_chain(all, apex);

	ldns_key_list *keys = ldns_key_list_new();
	ldns_key_set_inception(k->key, (uint32_t)inception);
	ldns_key_set_expiration(k->key, (uint32_t)expiration);
	ldns_key_list_push_key(keys, k->key);
	ldns_rr_list *sorted = ldns_rr_list_clone(all);
	canon_sort(sorted);
	ldns_rr_list *out = ldns_rr_list_clone(all);
	/* one RRSIG per RRset that the zone is authoritative for */
	size_t n = ldns_rr_list_rr_count(sorted);
	for (size_t i = 0; i < n;) {
		ldns_rr *first = ldns_rr_list_rr(sorted, i);
		size_t j = i;
		ldns_rr_list *set = ldns_rr_list_new();
		while (j < n &&
		       ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(sorted, j)),
					  ldns_rr_owner(first)) == 0 &&
		       ldns_rr_get_type(ldns_rr_list_rr(sorted, j)) == ldns_rr_get_type(first))
			ldns_rr_list_push_rr(set, ldns_rr_list_rr(sorted, j++));
		bool deleg = ldns_rr_get_type(first) == LDNS_RR_TYPE_NS &&
			     ldns_dname_compare(ldns_rr_owner(first), apex) != 0;
		if (!deleg && !occluded(first, all, apex)) {
			ldns_rr_list *sigs = ldns_sign_public(set, keys);
			for (size_t s = 0; sigs && s < ldns_rr_list_rr_count(sigs); s++)
				ldns_rr_list_push_rr(out, ldns_rr_clone(ldns_rr_list_rr(sigs, s)));
			ldns_rr_list_deep_free(sigs);
		}
		ldns_rr_list_free(set);
		i = j;
	}
	ldns_key_list_set_key_count(keys, 0);
	ldns_key_list_free(keys);
	ldns_rr_list_deep_free(sorted);
	ldns_rr_list_deep_free(all);
	ldns_rdf_deep_free(apex);

	size_t cap = 65536, len = 0;
	char *text = malloc(cap);
	text[0] = '\0';
	for (size_t i = 0; i < ldns_rr_list_rr_count(out); i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(out, i));
		size_t sl = strlen(s);
		if (len + sl + 1 >= cap)
			text = realloc(text, cap *= 2);
		memcpy(text + len, s, sl + 1); /* ldns_rr2str ends with a newline */
		len += sl;
		free(s);
	}
	ldns_rr_list_deep_free(out);
	return text;
}

char *fs_ds_line(const struct fs_key *k)
{
	ldns_rr *ds = ldns_key_rr2ds(k->dnskey, LDNS_SHA256);
	if (!ds)
		return NULL;
	ldns_rr_set_ttl(ds, 3600);
	char *s = ldns_rr2str(ds);
	ldns_rr_free(ds);
	return s;
}
