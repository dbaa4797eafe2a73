/* The NSEC cache: see rootwalk/nseccache.h.
 *
 * A table of zone -> the zone's SOA and its NSEC records sorted by owner in canonical order
 * (RFC 4034 6.1), so the record before a name is found by binary search (nametable.h: hashed
 * under the key given, kept in order of use): the zone used least recently is evicted first when
 * the records are too many. One mutex; lookups copy the candidate records out and run
 * the proof (rw_denial_prove) outside the lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nametable.h"
#include "rootwalk/cache.h"
#include "rootwalk/dnssec.h"
#include "rootwalk/nseccache.h"

#define NC_MAX_CAND 130 /* candidate records for one lookup: the name's and a wildcard per label */

struct nc_rec {
	ldns_rr *nsec;	    /* owned */
	ldns_rr_list *sigs; /* its RRSIGs, owned */
	int64_t stored_us, expires_us;
};

struct nc_zone {
	struct rw_ntab_node t;	/* first: the zone, canonical */
	ldns_rr *soa;		/* owned */
	ldns_rr_list *soa_sigs; /* owned */
	int64_t soa_expires_us;
	struct nc_rec *recs; /* sorted by owner */
	size_t n, cap;
};

struct rw_nseccache {
	pthread_mutex_t lock;
	struct rw_ntab tab;
	size_t n_recs, max;
};

void rw_nsec_hit_clear(struct rw_nsec_hit *h)
{
	if (!h)
		return;
	ldns_rdf_deep_free(h->zone);
	ldns_rr_free(h->soa);
	ldns_rr_list_deep_free(h->proof);
	memset(h, 0, sizeof(*h));
}

static void rec_clear(struct nc_rec *r)
{
	ldns_rr_free(r->nsec);
	ldns_rr_list_deep_free(r->sigs);
	memset(r, 0, sizeof(*r));
}

static void zone_free(struct rw_ntab_node *t)
{
	struct nc_zone *z = (struct nc_zone *)t;

	for (size_t i = 0; i < z->n; i++)
		rec_clear(&z->recs[i]);
	free(z->recs);
	ldns_rdf_deep_free(z->t.name);
	ldns_rr_free(z->soa);
	ldns_rr_list_deep_free(z->soa_sigs);
	free(z);
}

struct rw_nseccache *rw_nseccache_new(size_t max_records, const uint8_t key[16])
{
	struct rw_nseccache *c = calloc(1, sizeof(*c));

	if (!c || pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->max = max_records ? max_records : 1;
	if (rw_ntab_init(&c->tab, c->max, (size_t)1 << 16, key, zone_free) < 0) {
		rw_nseccache_free(c);
		return NULL;
	}
	return c;
}

void rw_nseccache_free(struct rw_nseccache *c)
{
	if (!c)
		return;
	rw_ntab_fini(&c->tab);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void zone_remove(struct rw_nseccache *c, struct nc_zone *z)
{
	rw_ntab_remove(&c->tab, &z->t);
	c->n_recs -= z->n;
	zone_free(&z->t);
}

/* The zone node for a name, or NULL. */
static struct nc_zone *zone_find(struct rw_nseccache *c, const ldns_rdf *zone)
{
	return (struct nc_zone *)rw_ntab_find(&c->tab, zone);
}

static void rec_remove(struct rw_nseccache *c, struct nc_zone *z, size_t i)
{
	rec_clear(&z->recs[i]);
	memmove(&z->recs[i], &z->recs[i + 1], (z->n - i - 1) * sizeof(*z->recs));
	z->n--;
	c->n_recs--;
}

/* Index of the last record whose owner sorts at or before name, or -1. */
static long rec_pred(const struct nc_zone *z, const ldns_rdf *name)
{
	long lo = 0, hi = (long)z->n - 1, found = -1;

	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;
		if (ldns_dname_compare(ldns_rr_owner(z->recs[mid].nsec), name) <= 0) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return found;
}

/* ---- putting records in ---- */

/* Clones of the RRSIGs in proof at owner covering type: a new list (maybe empty), or NULL. */
static ldns_rr_list *sigs_of(const ldns_rr_list *proof, const ldns_rdf *owner, uint16_t type)
{
	ldns_rr_list *l = ldns_rr_list_new();

	for (size_t i = 0; l && i < ldns_rr_list_rr_count(proof); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(proof, i);
		const ldns_rdf *tc = ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG
					     ? ldns_rr_rrsig_typecovered(rr)
					     : NULL;
		if (tc && ldns_rdf2rr_type(tc) == type &&
		    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0) {
			ldns_rr *cl = ldns_rr_clone(rr);
			if (!cl || !ldns_rr_list_push_rr(l, cl)) {
				ldns_rr_free(cl);
				ldns_rr_list_deep_free(l);
				return NULL;
			}
		}
	}
	return l;
}

/* The earliest end of the signatures in sigs (RFC 1982 serial time resolved against now_s),
 * INT64_MAX when there is none. */
static int64_t sig_end_s(const ldns_rr_list *sigs, int64_t now_s)
{
	int64_t end = INT64_MAX;

	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rdf *x = ldns_rr_rrsig_expiration(ldns_rr_list_rr(sigs, i));
		if (!x || ldns_rdf_size(x) != 4)
			continue;
		uint32_t e = ldns_rdf2native_int32(x);
		int64_t abs_s = now_s + (int32_t)(e - (uint32_t)now_s);
		if (abs_s < end)
			end = abs_s;
	}
	return end;
}

static uint32_t ttl_of(const ldns_rr *rr)
{
	uint32_t t = ldns_rr_ttl(rr);
	return t & 0x80000000u ? 0 : t;
}

/* When a record with this TTL and these signatures expires, at most at cap_us. */
static int64_t expiry(uint32_t ttl, const ldns_rr_list *sigs, int64_t now_us, int64_t cap_us)
{
	int64_t e = now_us + (int64_t)ttl * 1000000, end = sig_end_s(sigs, now_us / 1000000);

	if (end != INT64_MAX && end * 1000000 < e)
		e = end * 1000000;
	return e < cap_us ? e : cap_us;
}

/* Insert (or replace) rec in z's sorted records; takes rec's contents. */
static int rec_insert(struct rw_nseccache *c, struct nc_zone *z, struct nc_rec *rec)
{
	const ldns_rdf *owner = ldns_rr_owner(rec->nsec);
	long p = rec_pred(z, owner);

	if (p >= 0 && ldns_dname_compare(ldns_rr_owner(z->recs[p].nsec), owner) == 0) {
		rec_clear(&z->recs[p]);
		z->recs[p] = *rec;
		return 0;
	}
	if (z->n == z->cap) {
		size_t cap = z->cap ? z->cap * 2 : 8;
		struct nc_rec *r = realloc(z->recs, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		z->recs = r;
		z->cap = cap;
	}
	size_t at = (size_t)(p + 1);
	memmove(&z->recs[at + 1], &z->recs[at], (z->n - at) * sizeof(*z->recs));
	z->recs[at] = *rec;
	z->n++;
	c->n_recs++;
	return 0;
}

/* The node for zone (canonical, taken on success), made when missing, moved to the end of the
 * use order. NULL when out of memory. */
static struct nc_zone *zone_get(struct rw_nseccache *c, ldns_rdf *zone)
{
	struct nc_zone *z = zone_find(c, zone);

	if (z) {
		rw_ntab_touch(&c->tab, &z->t);
		ldns_rdf_deep_free(zone);
		return z;
	}
	z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	rw_ntab_insert(&c->tab, &z->t, zone);
	return z;
}

/* Drop z's expired records, then whole zones from the least recently used, then z's records
 * that expire first, until the bound holds. */
static void make_room(struct rw_nseccache *c, struct nc_zone *z, int64_t now_us)
{
	for (size_t i = z->n; i-- > 0;)
		if (z->recs[i].expires_us <= now_us)
			rec_remove(c, z, i);
	struct nc_zone *old;

	while (c->n_recs > c->max && (old = (struct nc_zone *)rw_ntab_oldest(&c->tab)) && old != z)
		zone_remove(c, old);
	while (c->n_recs > c->max && z->n > 0) {
		size_t first = 0;
		for (size_t i = 1; i < z->n; i++)
			if (z->recs[i].expires_us < z->recs[first].expires_us)
				first = i;
		rec_remove(c, z, first);
	}
}

/* The NSEC records of proof to keep: clones with their RRSIGs and expiry, into recs (at most
 * max). Returns the count, or negative when out of memory. */
static int collect(const ldns_rdf *zone, const ldns_rr_list *proof, int64_t now_us, int64_t cap_us,
		   struct nc_rec *recs, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(proof) && n < max; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(proof, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC || ldns_rr_rd_count(rr) < 2 ||
		    !rw_ntab_at_or_below(ldns_rr_owner(rr), zone) ||
		    !rw_ntab_at_or_below(ldns_rr_rdf(rr, 0), zone))
			continue;
		bool dup = false;
		for (size_t k = 0; k < n && !dup; k++)
			dup = ldns_dname_compare(ldns_rr_owner(recs[k].nsec), ldns_rr_owner(rr)) ==
			      0;
		if (dup)
			continue;
		struct nc_rec r = {.stored_us = now_us};
		r.sigs = sigs_of(proof, ldns_rr_owner(rr), LDNS_RR_TYPE_NSEC);
		r.nsec = ldns_rr_clone(rr);
		if (!r.sigs || !r.nsec) {
			rec_clear(&r);
			return -ENOMEM;
		}
		if (ldns_rr_list_rr_count(r.sigs) == 0) {
			rec_clear(&r);
			continue;
		}
		ldns_dname2canonical(ldns_rr_owner(r.nsec));
		r.expires_us = expiry(ttl_of(rr), r.sigs, now_us, cap_us);
		recs[n++] = r;
	}
	return (int)n;
}

int rw_nseccache_put(struct rw_nseccache *c, const ldns_rdf *zone, const ldns_rr *soa,
		     const ldns_rr_list *proof, int64_t now_us)
{
	struct nc_rec recs[16];
	ldns_rr_list *soa_sigs = NULL;
	ldns_rr *soa_copy = NULL;
	ldns_rdf *z = NULL;
	int n, rc = -ENOMEM;

	if (!soa || ldns_rr_get_type(soa) != LDNS_RR_TYPE_SOA ||
	    ldns_dname_compare(ldns_rr_owner(soa), zone) != 0)
		return 0;
	soa_sigs = sigs_of(proof, zone, LDNS_RR_TYPE_SOA);
	if (!soa_sigs)
		return -ENOMEM;
	/* RFC 8198 5.4: no longer than the SOA's negative TTL, nor the SOA's signatures */
	int64_t soa_exp = expiry(rw_soa_negative_ttl(soa), soa_sigs, now_us, INT64_MAX);
	n = collect(zone, proof, now_us, soa_exp, recs, sizeof(recs) / sizeof(recs[0]));
	if (n <= 0 || ldns_rr_list_rr_count(soa_sigs) == 0) {
		for (int i = 0; i < n; i++)
			rec_clear(&recs[i]);
		ldns_rr_list_deep_free(soa_sigs);
		return n < 0 ? -ENOMEM : 0;
	}
	soa_copy = ldns_rr_clone(soa);
	z = ldns_rdf_clone(zone);
	if (!soa_copy || !z)
		goto fail;
	pthread_mutex_lock(&c->lock);
	struct nc_zone *node = zone_get(c, z);
	if (!node) {
		pthread_mutex_unlock(&c->lock);
		goto fail;
	}
	z = NULL;
	ldns_rr_free(node->soa);
	ldns_rr_list_deep_free(node->soa_sigs);
	node->soa = soa_copy;
	node->soa_sigs = soa_sigs;
	node->soa_expires_us = soa_exp;
	soa_copy = NULL;
	soa_sigs = NULL;
	rc = 0;
	for (int i = 0; i < n; i++) {
		if (rc == 0 && rec_insert(c, node, &recs[i]) == 0) {
			memset(&recs[i], 0, sizeof(recs[i]));
			continue;
		}
		rc = -ENOMEM;
		rec_clear(&recs[i]);
	}
	make_room(c, node, now_us);
	if (node->n == 0)
		zone_remove(c, node);
	pthread_mutex_unlock(&c->lock);
	return rc < 0 ? rc : n;
fail:
	for (int i = 0; i < n; i++)
		rec_clear(&recs[i]);
	ldns_rr_list_deep_free(soa_sigs);
	ldns_rr_free(soa_copy);
	ldns_rdf_deep_free(z);
	return rc;
}

/* ---- lookups ---- */

/* The closest zone at or above name (for DS: above it) that has records. */
static struct nc_zone *closest_zone(struct rw_nseccache *c, const ldns_rdf *qname, uint16_t qtype)
{
	ldns_rdf *name = ldns_rdf_clone(qname);
	struct nc_zone *z = NULL;

	if (name && qtype == LDNS_RR_TYPE_DS && ldns_rdf_size(name) > 1) {
		ldns_rdf *up = ldns_dname_left_chop(name);
		ldns_rdf_deep_free(name);
		name = up;
	}
	while (name && !z) {
		z = zone_find(c, name);
		if (z && z->n == 0)
			z = NULL;
		ldns_rdf *up = ldns_rdf_size(name) > 1 ? ldns_dname_left_chop(name) : NULL;
		ldns_rdf_deep_free(name);
		name = up;
	}
	ldns_rdf_deep_free(name);
	return z;
}

/* Add index i to idx (no duplicates, i >= 0). */
static void idx_add(long *idx, size_t *n, size_t max, long i)
{
	if (i < 0 || *n >= max)
		return;
	for (size_t k = 0; k < *n; k++)
		if (idx[k] == i)
			return;
	idx[(*n)++] = i;
}

/* Indexes of the records that may prove something about qname: the one at or before it, and the
 * one at or before the wildcard under each of its ancestors in the zone. */
static size_t candidates(const struct nc_zone *z, const ldns_rdf *qname, long *idx, size_t max)
{
	size_t n = 0;
	ldns_rdf *a = ldns_rdf_size(qname) > 1 ? ldns_dname_left_chop(qname) : NULL;

	idx_add(idx, &n, max, rec_pred(z, qname));
	while (a && rw_ntab_at_or_below(a, z->t.name)) {
		ldns_rdf *w = rw_dsec_wildcard_of(a);
		if (w)
			idx_add(idx, &n, max, rec_pred(z, w));
		ldns_rdf_deep_free(w);
		ldns_rdf *up = ldns_rdf_size(a) > 1 ? ldns_dname_left_chop(a) : NULL;
		ldns_rdf_deep_free(a);
		a = up;
	}
	ldns_rdf_deep_free(a);
	return n;
}

/* What a lookup copies out of the lock. */
struct nc_copy {
	ldns_rdf *zone;
	ldns_rr *soa;
	ldns_rr_list *soa_sigs;
	int64_t soa_expires_us;
	struct nc_rec recs[NC_MAX_CAND];
	size_t n;
};

static void copy_clear(struct nc_copy *cp)
{
	ldns_rdf_deep_free(cp->zone);
	ldns_rr_free(cp->soa);
	ldns_rr_list_deep_free(cp->soa_sigs);
	for (size_t i = 0; i < cp->n; i++)
		rec_clear(&cp->recs[i]);
}

/* Copy the zone's SOA and the unexpired candidate records for qname. False when there is
 * nothing usable. */
static bool copy_out(struct rw_nseccache *c, const ldns_rdf *qname, uint16_t qtype, int64_t now_us,
		     struct nc_copy *cp)
{
	long idx[NC_MAX_CAND];
	bool ok = false;

	pthread_mutex_lock(&c->lock);
	struct nc_zone *z = closest_zone(c, qname, qtype);
	if (z && z->soa && z->soa_expires_us > now_us) {
		rw_ntab_touch(&c->tab, &z->t);
		size_t n = candidates(z, qname, idx, NC_MAX_CAND);
		cp->zone = ldns_rdf_clone(z->t.name);
		cp->soa = ldns_rr_clone(z->soa);
		cp->soa_sigs = ldns_rr_list_clone(z->soa_sigs);
		cp->soa_expires_us = z->soa_expires_us;
		ok = cp->zone && cp->soa && cp->soa_sigs;
		for (size_t i = 0; ok && i < n; i++) {
			const struct nc_rec *r = &z->recs[idx[i]];
			if (r->expires_us <= now_us)
				continue;
			struct nc_rec *o = &cp->recs[cp->n++];
			o->stored_us = r->stored_us;
			o->expires_us = r->expires_us;
			o->nsec = ldns_rr_clone(r->nsec);
			o->sigs = ldns_rr_list_clone(r->sigs);
			ok = o->nsec && o->sigs;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return ok && cp->n > 0;
}

/* Append clones of rec's NSEC and RRSIGs to out->proof; the NSEC's clone, or NULL. */
static const ldns_rr *use_rec(struct rw_nsec_hit *out, const struct nc_rec *rec)
{
	ldns_rr *n = ldns_rr_clone(rec->nsec);
	ldns_rr_list *s = ldns_rr_list_clone(rec->sigs);

	if (!n || !s || !ldns_rr_list_push_rr(out->proof, n) ||
	    !ldns_rr_list_push_rr_list(out->proof, s)) {
		ldns_rr_free(n);
		ldns_rr_list_deep_free(s);
		return NULL;
	}
	ldns_rr_list_free(s); /* its records now belong to proof */
	if (rec->expires_us < out->expires_us)
		out->expires_us = rec->expires_us;
	if (rec->stored_us < out->stored_us)
		out->stored_us = rec->stored_us;
	return n;
}

/* The copy of the candidate whose NSEC is rr (borrowed from the candidate list), or NULL. */
static const struct nc_rec *rec_of(const struct nc_copy *cp, const ldns_rr *rr)
{
	for (size_t i = 0; rr && i < cp->n; i++)
		if (cp->recs[i].nsec == rr)
			return &cp->recs[i];
	return NULL;
}

/* Fill out from the proof found over the copies. Returns false when out of memory. */
static bool make_hit(struct nc_copy *cp, const struct rw_denial_result *d, int rcode,
		     struct rw_nsec_hit *out)
{
	const struct nc_rec *first = rec_of(cp, d->cover ? d->cover : d->match);
	const struct nc_rec *wild = rec_of(cp, d->cover_wild);

	out->rcode = rcode;
	out->proof = ldns_rr_list_new();
	out->expires_us = cp->soa_expires_us;
	out->stored_us = INT64_MAX;
	snprintf(out->encloser, sizeof(out->encloser), "%s", d->encloser);
	if (!out->proof || !first || !(out->nsec = use_rec(out, first)))
		return false;
	if (wild && wild != first && !(out->wild = use_rec(out, wild)))
		return false;
	if (wild == first)
		out->wild = out->nsec;
	ldns_rr_list *s = ldns_rr_list_clone(cp->soa_sigs);
	if (!s || !ldns_rr_list_push_rr_list(out->proof, s)) {
		ldns_rr_list_deep_free(s);
		return false;
	}
	ldns_rr_list_free(s);
	out->zone = cp->zone;
	out->soa = cp->soa;
	cp->zone = NULL;
	cp->soa = NULL;
	return true;
}

bool rw_nseccache_lookup(struct rw_nseccache *c, const ldns_rdf *qname, uint16_t qtype,
			 int64_t now_us, struct rw_nsec_hit *out)
{
	struct nc_copy *cp = calloc(1, sizeof(*cp));
	ldns_rr_list *nsecs = ldns_rr_list_new();
	struct rw_dsec_budget b;
	struct rw_denial_result d;
	int rcode = -1;

	memset(out, 0, sizeof(*out));
	if (!cp || !nsecs || !copy_out(c, qname, qtype, now_us, cp))
		goto miss;
	for (size_t i = 0; i < cp->n; i++)
		ldns_rr_list_push_rr(nsecs, cp->recs[i].nsec);
	rw_dsec_budget_init(&b);
	rw_denial_prove(nsecs, cp->zone, qname, qtype, false, &b, &d);
	if (d.kind == RW_DENIAL_NODATA ||
	    (qtype == LDNS_RR_TYPE_DS && d.kind == RW_DENIAL_INSECURE_DS)) {
		rcode = LDNS_RCODE_NOERROR;
	} else {
		rw_denial_prove(nsecs, cp->zone, qname, qtype, true, &b, &d);
		if (d.kind == RW_DENIAL_NXDOMAIN)
			rcode = LDNS_RCODE_NXDOMAIN;
	}
	if (rcode < 0 || !make_hit(cp, &d, rcode, out)) {
		rw_nsec_hit_clear(out);
		goto miss;
	}
	ldns_rr_list_free(nsecs);
	copy_clear(cp);
	free(cp);
	return true;
miss:
	ldns_rr_list_free(nsecs);
	if (cp)
		copy_clear(cp);
	free(cp);
	return false;
}

/* ---- the rest ---- */

size_t rw_nseccache_flush(struct rw_nseccache *c, const ldns_rdf *name)
{
	size_t n = 0;

	pthread_mutex_lock(&c->lock);
	for (struct rw_ntab_node *t = rw_ntab_oldest(&c->tab), *next; t; t = next) {
		struct nc_zone *z = (struct nc_zone *)t;
		next = rw_ntab_newer(t);
		if (name && !rw_ntab_at_or_below(z->t.name, name) &&
		    !rw_ntab_at_or_below(name, z->t.name))
			continue;
		n += z->n;
		zone_remove(c, z);
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}

size_t rw_nseccache_count(struct rw_nseccache *c, size_t *zones)
{
	pthread_mutex_lock(&c->lock);
	size_t n = c->n_recs;
	if (zones)
		*zones = c->tab.n;
	pthread_mutex_unlock(&c->lock);
	return n;
}
