/* Trust anchors, domain-insecure names and negative trust anchors: see rootwalk/anchor.h.
 *
 * A handful of entries at most (an anchor per configured zone, a few insecure names and NTAs),
 * so plain arrays searched in full; every name is kept in canonical (lower-case) form. One mutex
 * guards the whole set: the NTAs change from the control socket while workers read.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/anchor.h"

struct ta {
	ldns_rdf *owner;
	ldns_rr_list *ds;
};

struct nta {
	ldns_rdf *name;
	int64_t expires_us;
};

struct rw_anchors {
	pthread_mutex_t lock;
	struct ta *ta;
	size_t n_ta;
	ldns_rdf **insecure;
	size_t n_insecure;
	struct nta *nta;
	size_t n_nta;
};

/* The root KSKs (KSK-2017 and KSK-2024), as IANA's root-anchors.xml publishes them. */
static const char *const builtin_root[] = {
	". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
	". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16",
};

struct rw_anchors *rw_anchors_new(void)
{
	struct rw_anchors *a = calloc(1, sizeof(*a));

	if (a && pthread_mutex_init(&a->lock, NULL) != 0) {
		free(a);
		return NULL;
	}
	return a;
}

void rw_anchors_free(struct rw_anchors *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_ta; i++) {
		ldns_rdf_deep_free(a->ta[i].owner);
		ldns_rr_list_deep_free(a->ta[i].ds);
	}
	for (size_t i = 0; i < a->n_insecure; i++)
		ldns_rdf_deep_free(a->insecure[i]);
	for (size_t i = 0; i < a->n_nta; i++)
		ldns_rdf_deep_free(a->nta[i].name);
	free(a->ta);
	free(a->insecure);
	free(a->nta);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static ldns_rdf *canonical(const ldns_rdf *name)
{
	ldns_rdf *c = name ? ldns_rdf_clone(name) : NULL;

	if (c)
		ldns_dname2canonical(c);
	return c;
}

/* name is at or below zone. */
static bool at_or_below(const ldns_rdf *name, const ldns_rdf *zone)
{
	return ldns_dname_compare(name, zone) == 0 || ldns_dname_is_subdomain(name, zone);
}

static void *grow(void *arr, size_t n, size_t size)
{
	return realloc(arr, (n + 1) * size);
}

/* Add one DS record (copied) to the anchor of its owner. Called with the lock held. */
static int add_ds(struct rw_anchors *a, const ldns_rr *ds)
{
	ldns_rdf *owner = canonical(ldns_rr_owner(ds));
	ldns_rr *copy = ldns_rr_clone(ds);
	size_t i;

	if (!owner || !copy)
		goto oom;
	ldns_rr2canonical(copy);
	for (i = 0; i < a->n_ta; i++)
		if (ldns_dname_compare(a->ta[i].owner, owner) == 0)
			break;
	if (i == a->n_ta) {
		struct ta *v = grow(a->ta, a->n_ta, sizeof(*v));
		ldns_rr_list *l = ldns_rr_list_new();
		if (!v || !l) {
			if (v)
				a->ta = v;
			ldns_rr_list_free(l);
			goto oom;
		}
		a->ta = v;
		a->ta[a->n_ta].owner = owner;
		a->ta[a->n_ta].ds = l;
		a->n_ta++;
		owner = NULL;
	}
	ldns_rdf_deep_free(owner);
	for (size_t k = 0; k < ldns_rr_list_rr_count(a->ta[i].ds); k++) {
		if (ldns_rr_compare(ldns_rr_list_rr(a->ta[i].ds, k), copy) == 0) {
			ldns_rr_free(copy); /* the same record twice: kept once */
			return 0;
		}
	}
	if (!ldns_rr_list_push_rr(a->ta[i].ds, copy)) {
		ldns_rr_free(copy);
		return -ENOMEM;
	}
	return 0;
oom:
	ldns_rdf_deep_free(owner);
	ldns_rr_free(copy);
	return -ENOMEM;
}

/* A DS or DNSKEY record (a DNSKEY becomes its SHA-256 DS). Returns 0, -EINVAL with the reason in
 * err, or -ENOMEM. */
static int add_rr(struct rw_anchors *a, const ldns_rr *rr, char *err, size_t errlen)
{
	ldns_rr_type t = ldns_rr_get_type(rr);
	ldns_rr *ds = NULL;
	int rc;

	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
		snprintf(err, errlen, "trust anchors are of class IN");
		return -EINVAL;
	}
	if (t == LDNS_RR_TYPE_DNSKEY) {
		ds = ldns_key_rr2ds(rr, LDNS_SHA256);
		if (!ds) {
			snprintf(err, errlen, "the DNSKEY cannot be made into a DS");
			return -EINVAL;
		}
	} else if (t != LDNS_RR_TYPE_DS) {
		char *tn = ldns_rr_type2str(t);
		snprintf(err, errlen, "a %s record: trust anchors are DS or DNSKEY records",
			 tn ? tn : "?");
		free(tn);
		return -EINVAL;
	} else if (ldns_rr_rd_count(rr) != 4) {
		snprintf(err, errlen, "a DS record needs 4 fields");
		return -EINVAL;
	}
	pthread_mutex_lock(&a->lock);
	rc = add_ds(a, ds ? ds : rr);
	pthread_mutex_unlock(&a->lock);
	ldns_rr_free(ds);
	if (rc < 0)
		snprintf(err, errlen, "out of memory");
	return rc;
}

int rw_anchors_add_text(struct rw_anchors *a, const char *text, char *err, size_t errlen)
{
	ldns_rr *rr = NULL;
	ldns_status s = ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL);
	int rc;

	if (s != LDNS_STATUS_OK || !rr) {
		snprintf(err, errlen, "%s", ldns_get_errorstr_by_id(s));
		ldns_rr_free(rr);
		return -EINVAL;
	}
	rc = add_rr(a, rr, err, errlen);
	ldns_rr_free(rr);
	return rc;
}

int rw_anchors_add_builtin(struct rw_anchors *a)
{
	char err[128];

	for (size_t i = 0; i < sizeof(builtin_root) / sizeof(builtin_root[0]); i++)
		if (rw_anchors_add_text(a, builtin_root[i], err, sizeof(err)) < 0)
			return -ENOMEM; /* the records themselves are known good */
	return 0;
}

/* Skip blanks, empty lines and comment lines (counting lines); true at the end of the file. */
static bool only_blank_left(FILE *f, int *line)
{
	int c;

	while ((c = fgetc(f)) != EOF) {
		if (c == ';') {
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			if (c == '\n')
				(*line)++;
			continue;
		}
		if (c == '\n')
			(*line)++;
		else if (c != ' ' && c != '\t' && c != '\r') {
			ungetc(c, f);
			return false;
		}
	}
	return true;
}

int rw_anchors_load_file(struct rw_anchors *a, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	ldns_rdf *origin = NULL, *prev = NULL;
	uint32_t ttl = 3600;
	int line = 1, rc = 0, n = 0;
	char why[160];

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && !only_blank_left(f, &line)) {
		ldns_rr *rr = NULL;
		int start = line; /* ldns counts the record's lines: its first is named */
		ldns_status s = ldns_rr_new_frm_fp_l(&rr, f, &ttl, &origin, &prev, &line);

		if (s == LDNS_STATUS_SYNTAX_EMPTY || s == LDNS_STATUS_SYNTAX_TTL ||
		    s == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (s != LDNS_STATUS_OK || !rr) {
			snprintf(err, errlen, "%s:%d: %s", path, start,
				 s == LDNS_STATUS_SYNTAX_INCLUDE ? "$INCLUDE is not supported"
								 : ldns_get_errorstr_by_id(s));
			rc = -1;
		} else if (add_rr(a, rr, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, start, why);
			rc = -1;
		} else {
			n++;
		}
		ldns_rr_free(rr);
	}
	if (rc == 0 && n == 0) {
		snprintf(err, errlen, "%s: no DS or DNSKEY record in the file", path);
		rc = -1;
	}
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	fclose(f);
	return rc;
}

int rw_anchors_add_insecure(struct rw_anchors *a, const ldns_rdf *name)
{
	ldns_rdf *c = canonical(name);
	int rc = -ENOMEM;

	if (!c)
		return -ENOMEM;
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->n_insecure; i++) {
		if (ldns_dname_compare(a->insecure[i], c) == 0) {
			ldns_rdf_deep_free(c);
			c = NULL;
			rc = 0;
			break;
		}
	}
	if (c) {
		ldns_rdf **v = grow(a->insecure, a->n_insecure, sizeof(*v));
		if (v) {
			a->insecure = v;
			a->insecure[a->n_insecure++] = c;
			rc = 0;
		} else {
			ldns_rdf_deep_free(c);
		}
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

bool rw_anchors_find(struct rw_anchors *a, const ldns_rdf *name, ldns_rdf **owner,
		     ldns_rr_list **ds)
{
	const struct ta *best = NULL;
	bool found = false;

	*owner = NULL;
	*ds = NULL;
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->n_ta; i++) {
		if (!at_or_below(name, a->ta[i].owner))
			continue;
		if (!best ||
		    ldns_dname_label_count(a->ta[i].owner) > ldns_dname_label_count(best->owner))
			best = &a->ta[i];
	}
	if (best) {
		*owner = ldns_rdf_clone(best->owner);
		*ds = ldns_rr_list_clone(best->ds);
		found = *owner && *ds;
		if (!found) {
			ldns_rdf_deep_free(*owner);
			ldns_rr_list_deep_free(*ds);
			*owner = NULL;
			*ds = NULL;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return found;
}

static void put_name(const ldns_rdf *name, char *buf, size_t len)
{
	char *s;

	if (!buf || len == 0)
		return;
	s = ldns_rdf2str(name);
	snprintf(buf, len, "%s", s ? s : "?");
	free(s);
}

/* Drop the expired NTAs. Called with the lock held. */
static void nta_expire(struct rw_anchors *a, int64_t now_us)
{
	size_t k = 0;

	for (size_t i = 0; i < a->n_nta; i++) {
		if (a->nta[i].expires_us <= now_us)
			ldns_rdf_deep_free(a->nta[i].name);
		else
			a->nta[k++] = a->nta[i];
	}
	a->n_nta = k;
}

enum rw_insecure_why rw_anchors_insecure(struct rw_anchors *a, const ldns_rdf *name, int64_t now_us,
					 char *which, size_t whichlen)
{
	enum rw_insecure_why why = RW_INSECURE_NOT;

	if (which && whichlen)
		which[0] = '\0';
	pthread_mutex_lock(&a->lock);
	nta_expire(a, now_us);
	for (size_t i = 0; i < a->n_insecure && !why; i++) {
		if (at_or_below(name, a->insecure[i])) {
			why = RW_INSECURE_DOMAIN;
			put_name(a->insecure[i], which, whichlen);
		}
	}
	for (size_t i = 0; i < a->n_nta && !why; i++) {
		if (at_or_below(name, a->nta[i].name)) {
			why = RW_INSECURE_NTA;
			put_name(a->nta[i].name, which, whichlen);
		}
	}
	pthread_mutex_unlock(&a->lock);
	return why;
}

int rw_anchors_nta_add(struct rw_anchors *a, const ldns_rdf *name, uint32_t ttl_s, int64_t now_us)
{
	ldns_rdf *c = canonical(name);
	int64_t expires = now_us + (int64_t)ttl_s * 1000000;
	int rc = 0;

	if (!c)
		return -ENOMEM;
	pthread_mutex_lock(&a->lock);
	nta_expire(a, now_us);
	for (size_t i = 0; i < a->n_nta; i++) {
		if (ldns_dname_compare(a->nta[i].name, c) == 0) {
			a->nta[i].expires_us = expires; /* renewed */
			ldns_rdf_deep_free(c);
			c = NULL;
			break;
		}
	}
	if (c) {
		struct nta *v = grow(a->nta, a->n_nta, sizeof(*v));
		if (v) {
			a->nta = v;
			a->nta[a->n_nta].name = c;
			a->nta[a->n_nta].expires_us = expires;
			a->n_nta++;
		} else {
			ldns_rdf_deep_free(c);
			rc = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

bool rw_anchors_nta_remove(struct rw_anchors *a, const ldns_rdf *name)
{
	bool found = false;

	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->n_nta; i++) {
		if (ldns_dname_compare(a->nta[i].name, name) != 0)
			continue;
		ldns_rdf_deep_free(a->nta[i].name);
		a->nta[i] = a->nta[--a->n_nta];
		found = true;
		break;
	}
	pthread_mutex_unlock(&a->lock);
	return found;
}

/* One NTA as copied out of the lock, so that fn may call back into the set. */
struct nta_copy {
	char name[LDNS_MAX_DOMAINLEN * 4 + 2];
	int64_t expires_us;
};

static int nta_cmp(const void *pa, const void *pb)
{
	const struct nta *x = pa, *y = pb;

	return ldns_dname_compare(x->name, y->name);
}

size_t rw_anchors_nta_list(struct rw_anchors *a, int64_t now_us,
			   void (*fn)(void *arg, const char *name, int64_t expires_us), void *arg)
{
	struct nta_copy *v = NULL;
	size_t n = 0;

	pthread_mutex_lock(&a->lock);
	nta_expire(a, now_us);
	if (a->n_nta > 1)
		qsort(a->nta, a->n_nta, sizeof(*a->nta), nta_cmp);
	v = a->n_nta ? calloc(a->n_nta, sizeof(*v)) : NULL;
	for (size_t i = 0; v && i < a->n_nta; i++) {
		put_name(a->nta[i].name, v[i].name, sizeof(v[i].name));
		v[i].expires_us = a->nta[i].expires_us;
		n++;
	}
	pthread_mutex_unlock(&a->lock);
	for (size_t i = 0; fn && i < n; i++)
		fn(arg, v[i].name, v[i].expires_us);
	free(v);
	return n;
}

void rw_anchors_nta_move(struct rw_anchors *to, struct rw_anchors *from)
{
	/* Always in the same order (by address), so two moves the other way cannot deadlock. */
	struct rw_anchors *first = to < from ? to : from, *second = to < from ? from : to;

	if (to == from)
		return;
	pthread_mutex_lock(&first->lock);
	pthread_mutex_lock(&second->lock);
	for (size_t i = 0; i < from->n_nta; i++) {
		size_t k;
		for (k = 0; k < to->n_nta; k++)
			if (ldns_dname_compare(to->nta[k].name, from->nta[i].name) == 0)
				break;
		if (k < to->n_nta) {
			if (from->nta[i].expires_us > to->nta[k].expires_us)
				to->nta[k].expires_us = from->nta[i].expires_us;
			ldns_rdf_deep_free(from->nta[i].name);
			continue;
		}
		struct nta *v = grow(to->nta, to->n_nta, sizeof(*v));
		if (!v) {
			ldns_rdf_deep_free(from->nta[i].name); /* out of memory: that NTA is lost */
			continue;
		}
		to->nta = v;
		to->nta[to->n_nta++] = from->nta[i];
	}
	from->n_nta = 0;
	pthread_mutex_unlock(&second->lock);
	pthread_mutex_unlock(&first->lock);
}

size_t rw_anchors_each(struct rw_anchors *a, void (*fn)(void *arg, const char *rr), void *arg)
{
	ldns_rr_list *all = ldns_rr_list_new();
	size_t n;

	pthread_mutex_lock(&a->lock);
	n = a->n_ta;
	for (size_t i = 0; all && i < a->n_ta; i++)
		for (size_t k = 0; k < ldns_rr_list_rr_count(a->ta[i].ds); k++) {
			ldns_rr *c = ldns_rr_clone(ldns_rr_list_rr(a->ta[i].ds, k));
			if (c && !ldns_rr_list_push_rr(all, c))
				ldns_rr_free(c);
		}
	pthread_mutex_unlock(&a->lock);
	for (size_t i = 0; all && fn && i < ldns_rr_list_rr_count(all); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(all, i);
		char *s = rr ? ldns_rr2str(rr) : NULL;
		if (s) {
			size_t len = strlen(s);
			if (len && s[len - 1] == '\n')
				s[len - 1] = '\0';
			fn(arg, s);
		}
		free(s);
	}
	ldns_rr_list_deep_free(all);
	return n;
}

void rw_anchors_replace(struct rw_anchors *to, struct rw_anchors *from)
{
	struct rw_anchors *first = to < from ? to : from, *second = to < from ? from : to;
	struct ta *ta;
	ldns_rdf **ins;
	size_t n;

	if (to == from)
		return;
	pthread_mutex_lock(&first->lock);
	pthread_mutex_lock(&second->lock);
	ta = to->ta;
	n = to->n_ta;
	to->ta = from->ta;
	to->n_ta = from->n_ta;
	from->ta = ta;
	from->n_ta = n;
	ins = to->insecure;
	n = to->n_insecure;
	to->insecure = from->insecure;
	to->n_insecure = from->n_insecure;
	from->insecure = ins;
	from->n_insecure = n;
	pthread_mutex_unlock(&second->lock);
	pthread_mutex_unlock(&first->lock);
}
