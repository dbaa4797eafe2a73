/* DNSSEC proofs of non-existence: NXDOMAIN, NODATA, the DS of an insecure delegation, and the
 * "no closer name" half of a wildcard answer, from NSEC (RFC 4035 5.4, RFC 6840 4) or NSEC3
 * (RFC 5155 8) records that the caller has already checked.
 *
 * NSEC3 hashing is ldns's and every hash is counted against the query's budget
 * (CVE-2023-50868). Only the NSEC3 records sharing the parameters of the first usable one are
 * used, so a name is hashed once per question whatever the response holds.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "rootwalk/dnssec.h"

#define HASH_B32_LEN 32 /* SHA-1, 20 bytes, in base32hex */
#define RW_XSTR(x)   #x
#define RW_STR(x)    RW_XSTR(x)

const char *rw_denial_name(enum rw_denial d)
{
	switch (d) {
	case RW_DENIAL_NONE:
		return "no proof";
	case RW_DENIAL_NXDOMAIN:
		return "name does not exist";
	case RW_DENIAL_NODATA:
		return "no data of that type";
	case RW_DENIAL_INSECURE_DS:
		return "insecure delegation";
	case RW_DENIAL_OPTOUT:
		return "opt-out";
	case RW_DENIAL_ITERATIONS:
		return "too many NSEC3 iterations";
	case RW_DENIAL_LIMIT:
		return "NSEC3 hash limit reached (max " RW_STR(
			RW_DSEC_MAX_NSEC3_HASH) " hashes per query)";
	case RW_DENIAL_WILDCARD:
		return "no closer name than the wildcard";
	}
	return "unknown";
}

/* ---- names ---- */

static bool at_or_below(const ldns_rdf *name, const ldns_rdf *zone)
{
	return ldns_dname_compare(name, zone) == 0 || ldns_dname_is_subdomain(name, zone);
}

static bool strictly_below(const ldns_rdf *name, const ldns_rdf *parent)
{
	return ldns_dname_label_count(name) > ldns_dname_label_count(parent) &&
	       ldns_dname_is_subdomain(name, parent);
}

/* The ancestor of name (or name itself) with n labels; NULL when out of memory. */
static ldns_rdf *ancestor(const ldns_rdf *name, int n)
{
	return ldns_dname_clone_from(name, (uint16_t)(ldns_dname_label_count(name) - n));
}

/* Labels that a and b share, counted from the root. */
static int common_labels(const ldns_rdf *a, const ldns_rdf *b)
{
	int la = ldns_dname_label_count(a), lb = ldns_dname_label_count(b), k;

	for (k = 1; k <= la && k <= lb; k++) {
		ldns_rdf *sa = ancestor(a, k), *sb = ancestor(b, k);
		bool same = sa != NULL && sb != NULL && ldns_dname_compare(sa, sb) == 0;

		ldns_rdf_deep_free(sa);
		ldns_rdf_deep_free(sb);
		if (!same)
			break;
	}
	return k - 1;
}

ldns_rdf *rw_dsec_wildcard_of(const ldns_rdf *ce)
{
	uint8_t buf[LDNS_MAX_DOMAINLEN + 1];

	if (ldns_rdf_size(ce) + 2 > LDNS_MAX_DOMAINLEN)
		return NULL;
	buf[0] = 1;
	buf[1] = '*';
	memcpy(buf + 2, ldns_rdf_data(ce), ldns_rdf_size(ce));
	return ldns_dname_new_frm_data((uint16_t)(ldns_rdf_size(ce) + 2), buf);
}

static void set_encloser(struct rw_denial_result *out, const ldns_rdf *ce)
{
	char *s = ce != NULL ? ldns_rdf2str(ce) : NULL;

	snprintf(out->encloser, sizeof(out->encloser), "%s", s != NULL ? s : "");
	free(s);
}

/* ---- type bitmaps ---- */

static bool has_type(const ldns_rr *rr, uint16_t t)
{
	size_t at = ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC ? 1 : 5;
	const ldns_rdf *map = ldns_rr_rd_count(rr) > at ? ldns_rr_rdf(rr, at) : NULL;

	return map != NULL && ldns_rdf_get_type(map) == LDNS_RDF_TYPE_BITMAP &&
	       ldns_nsec_bitmap_covers_type(map, t);
}

/* A delegation point as the parent sees it: NS without SOA. */
static bool delegation(const ldns_rr *rr)
{
	return has_type(rr, LDNS_RR_TYPE_NS) && !has_type(rr, LDNS_RR_TYPE_SOA);
}

/* What a record matching the name (or the wildcard standing for it) says about qtype. */
static enum rw_denial nodata_kind(const ldns_rr *m, uint16_t qtype)
{
	if (has_type(m, qtype) || has_type(m, LDNS_RR_TYPE_CNAME))
		return RW_DENIAL_NONE;
	if (qtype == LDNS_RR_TYPE_DS) {
		/* The child's apex record says nothing of the DS held by the parent; the root has
		 * no parent, and its own NSEC proves it has no DS. */
		if (has_type(m, LDNS_RR_TYPE_SOA))
			return ldns_dname_label_count(ldns_rr_owner(m)) == 0 ? RW_DENIAL_NODATA
									     : RW_DENIAL_NONE;
		return has_type(m, LDNS_RR_TYPE_NS) ? RW_DENIAL_INSECURE_DS : RW_DENIAL_NODATA;
	}
	/* The parent's record at a cut proves nothing but the absence of DS (RFC 6840 4.4). */
	return delegation(m) ? RW_DENIAL_NONE : RW_DENIAL_NODATA;
}

/* ---- NSEC ---- */

static bool nsec_ok(const ldns_rr *rr, const ldns_rdf *zone)
{
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC && ldns_rr_rd_count(rr) >= 1 &&
	       ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) == LDNS_RDF_TYPE_DNAME &&
	       at_or_below(ldns_rr_owner(rr), zone) && at_or_below(ldns_rr_rdf(rr, 0), zone);
}

static bool nsec_covers(const ldns_rr *rr, const ldns_rdf *name)
{
	const ldns_rdf *owner = ldns_rr_owner(rr), *next = ldns_rr_rdf(rr, 0);

	if (ldns_dname_compare(owner, name) >= 0)
		return false;
	/* Nothing below a cut or a DNAME is the zone's: its NSEC cannot deny it. */
	if (strictly_below(name, owner) && (delegation(rr) || has_type(rr, LDNS_RR_TYPE_DNAME)))
		return false;
	/* The last NSEC points back to the apex and covers everything after its owner. */
	return ldns_dname_compare(next, owner) <= 0 || ldns_dname_compare(name, next) < 0;
}

static const ldns_rr *nsec_find(const ldns_rr_list *l, const ldns_rdf *zone, const ldns_rdf *name,
				bool cover)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);

		if (!nsec_ok(rr, zone))
			continue;
		if (cover ? nsec_covers(rr, name)
			  : ldns_dname_compare(ldns_rr_owner(rr), name) == 0)
			return rr;
	}
	return NULL;
}

/* The closest encloser that a covering NSEC shows: the longest ancestor of name it proves. */
static int nsec_ce_labels(const ldns_rr *cover, const ldns_rdf *name)
{
	int a = common_labels(name, ldns_rr_owner(cover));
	int b = common_labels(name, ldns_rr_rdf(cover, 0));

	return a > b ? a : b;
}

/* qname is an empty non-terminal: the name after it in the chain is below it (RFC 6840 4.1). */
static bool nsec_ent(const ldns_rr *cover, const ldns_rdf *qname)
{
	return strictly_below(ldns_rr_rdf(cover, 0), qname);
}

static void nsec_prove(const ldns_rr_list *l, const ldns_rdf *zone, const ldns_rdf *qname,
		       uint16_t qtype, bool nxdomain, struct rw_denial_result *out)
{
	const ldns_rr *m = nsec_find(l, zone, qname, false), *c, *w;
	ldns_rdf *ce, *wild;

	if (m != NULL) {
		out->match = m;
		out->kind = nxdomain ? RW_DENIAL_NONE : nodata_kind(m, qtype);
		return;
	}
	c = nsec_find(l, zone, qname, true);
	if (c == NULL)
		return;
	out->cover = c;
	if (nsec_ent(c, qname)) {
		if (!nxdomain) {
			out->kind = RW_DENIAL_NODATA;
			set_encloser(out, qname);
		}
		return;
	}
	ce = ancestor(qname, nsec_ce_labels(c, qname));
	wild = ce != NULL ? rw_dsec_wildcard_of(ce) : NULL;
	if (wild != NULL) {
		set_encloser(out, ce);
		if (nxdomain) {
			w = nsec_find(l, zone, wild, true);
			out->kind = w != NULL ? RW_DENIAL_NXDOMAIN : RW_DENIAL_NONE;
		} else {
			w = nsec_find(l, zone, wild, false);
			out->kind = w != NULL ? nodata_kind(w, qtype) : RW_DENIAL_NONE;
			out->match = w;
		}
		out->cover_wild = w;
	}
	ldns_rdf_deep_free(ce);
	ldns_rdf_deep_free(wild);
}

/* ---- NSEC3 ---- */

/* The first label of a name, lowercase, into buf (at least 64 bytes). */
static size_t first_label(const ldns_rdf *name, char *buf)
{
	const uint8_t *d = ldns_rdf_data(name);
	size_t n = ldns_rdf_size(name) > 0 ? d[0] : 0;

	if (n >= 64 || n + 1 > ldns_rdf_size(name))
		n = 0;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower(d[1 + i]);
	buf[n] = '\0';
	return n;
}

static bool nsec3_ok(const ldns_rr *rr, const ldns_rdf *zone)
{
	const ldns_rdf *salt, *next;
	char label[64];

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC3 || ldns_rr_rd_count(rr) < 5)
		return false;
	salt = ldns_rr_rdf(rr, 3);
	next = ldns_rr_rdf(rr, 4);
	if (ldns_rdf_size(ldns_rr_rdf(rr, 0)) != 1 || ldns_rdf_size(ldns_rr_rdf(rr, 1)) != 1 ||
	    ldns_rdf_size(ldns_rr_rdf(rr, 2)) != 2 || ldns_rdf_size(salt) < 1 ||
	    ldns_rdf_data(salt)[0] + 1u != ldns_rdf_size(salt) ||
	    ldns_rdf_size(next) != LDNS_SHA1_DIGEST_LENGTH + 1 ||
	    ldns_rdf_data(next)[0] != LDNS_SHA1_DIGEST_LENGTH)
		return false;
	/* Unknown hash algorithms and flags other than opt-out: not ours to read (RFC 5155 8.1). */
	if (ldns_rdf2native_int8(ldns_rr_rdf(rr, 0)) != LDNS_SHA1 ||
	    (ldns_rdf2native_int8(ldns_rr_rdf(rr, 1)) & ~LDNS_NSEC3_VARS_OPTOUT_MASK) != 0)
		return false;
	return first_label(ldns_rr_owner(rr), label) == HASH_B32_LEN &&
	       ldns_dname_label_count(ldns_rr_owner(rr)) == ldns_dname_label_count(zone) + 1 &&
	       ldns_dname_is_subdomain(ldns_rr_owner(rr), zone);
}

static bool same_params(const ldns_rr *a, const ldns_rr *b)
{
	return ldns_rdf2native_int16(ldns_rr_rdf(a, 2)) ==
		       ldns_rdf2native_int16(ldns_rr_rdf(b, 2)) &&
	       ldns_rdf_compare(ldns_rr_rdf(a, 3), ldns_rr_rdf(b, 3)) == 0;
}

static bool optout(const ldns_rr *rr)
{
	return (ldns_rdf2native_int8(ldns_rr_rdf(rr, 1)) & LDNS_NSEC3_VARS_OPTOUT_MASK) != 0;
}

static uint16_t iterations(const ldns_rr *rr)
{
	return ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
}

/* The records we read: those that share the parameters of the first usable one. */
struct n3 {
	const ldns_rr_list *l;
	const ldns_rdf *zone;
	const ldns_rr *p;
	struct rw_dsec_budget *b;
};

static const ldns_rr *n3_first(const ldns_rr_list *l, const ldns_rdf *zone)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		if (nsec3_ok(ldns_rr_list_rr(l, i), zone))
			return ldns_rr_list_rr(l, i);
	return NULL;
}

/* The hash of name, lowercase base32hex, into h[64]. Returns 0, or -1 when the budget is spent
 * or ldns fails. */
static int n3_hash(struct n3 *s, const ldns_rdf *name, char *h)
{
	ldns_rdf *r;

	if (s->b->hash_left == 0)
		return -1;
	s->b->hash_left--;
	r = ldns_nsec3_hash_name_frm_nsec3(s->p, name);
	if (r == NULL)
		return -1;
	first_label(r, h);
	ldns_rdf_deep_free(r);
	return 0;
}

/* The record whose owner hash is h (cover false) or that covers h (cover true). */
static const ldns_rr *n3_find(const struct n3 *s, const char *h, bool cover)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(s->l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(s->l, i);
		const ldns_rdf *next;
		char own[64], nxt[64];

		if (!nsec3_ok(rr, s->zone) || !same_params(rr, s->p))
			continue;
		first_label(ldns_rr_owner(rr), own);
		if (!cover) {
			if (strcmp(own, h) == 0)
				return rr;
			continue;
		}
		next = ldns_rr_rdf(rr, 4);
		if (ldns_b32_ntop_extended_hex(ldns_rdf_data(next) + 1, LDNS_SHA1_DIGEST_LENGTH,
					       nxt, sizeof(nxt)) != HASH_B32_LEN)
			continue;
		for (int k = 0; k < HASH_B32_LEN; k++)
			nxt[k] = (char)tolower((unsigned char)nxt[k]);
		/* Same length, same alphabet order: the strings sort as the hashes do. */
		if (strcmp(own, nxt) < 0 ? strcmp(own, h) < 0 && strcmp(h, nxt) < 0
					 : strcmp(own, h) < 0 || strcmp(h, nxt) < 0)
			return rr;
	}
	return NULL;
}

/* The closest encloser proof (RFC 5155 8.3). */
struct ce_proof {
	int labels;		 /* of the closest encloser; -1: none proven */
	const ldns_rr *qmatch;	 /* qname itself matches */
	const ldns_rr *nc_cover; /* covers the next closer name */
};

/* Returns 0, or -1 when the budget ran out. */
static int n3_closest(struct n3 *s, const ldns_rdf *qname, struct ce_proof *ce)
{
	int ql = ldns_dname_label_count(qname), zl = ldns_dname_label_count(s->zone);
	char h[64], prev[64] = "";

	ce->labels = -1;
	for (int k = ql; k >= zl; k--) {
		ldns_rdf *name = ancestor(qname, k);
		const ldns_rr *m;
		int r = name != NULL ? n3_hash(s, name, h) : -1;

		ldns_rdf_deep_free(name);
		if (r < 0)
			return -1;
		m = n3_find(s, h, false);
		if (m == NULL) {
			memcpy(prev, h, sizeof(prev));
			continue;
		}
		if (k == ql) {
			ce->qmatch = m;
			ce->labels = k;
		} else if (!delegation(m) && !has_type(m, LDNS_RR_TYPE_DNAME)) {
			/* Names below a cut or a DNAME are not the zone's to deny. */
			ce->labels = k;
			ce->nc_cover = n3_find(s, prev, true);
		}
		return 0;
	}
	return 0;
}

/* The wildcard at the closest encloser: matched (cover false) or covered. -1: budget. */
static int n3_wild(struct n3 *s, const ldns_rdf *qname, int ce_labels, bool cover,
		   const ldns_rr **found, struct rw_denial_result *out)
{
	ldns_rdf *ce = ancestor(qname, ce_labels),
		 *wild = ce != NULL ? rw_dsec_wildcard_of(ce) : NULL;
	char h[64];
	int r = wild != NULL ? n3_hash(s, wild, h) : -1;

	set_encloser(out, ce);
	*found = r == 0 ? n3_find(s, h, cover) : NULL;
	ldns_rdf_deep_free(ce);
	ldns_rdf_deep_free(wild);
	return r;
}

/* Sets out->nsec3 and iterations and returns true when NSEC3 can be used at all. */
static bool n3_start(struct n3 *s, struct rw_denial_result *out)
{
	s->p = n3_first(s->l, s->zone);
	if (s->p == NULL)
		return false;
	out->nsec3 = true;
	out->iterations = iterations(s->p);
	if (out->iterations > RW_DSEC_MAX_NSEC3_ITER) {
		out->kind = RW_DENIAL_ITERATIONS;
		return false;
	}
	return true;
}

static void nsec3_prove(struct n3 *s, const ldns_rdf *qname, uint16_t qtype, bool nxdomain,
			struct rw_denial_result *out)
{
	struct ce_proof ce = {0};
	const ldns_rr *w = NULL;

	if (!n3_start(s, out))
		return;
	if (n3_closest(s, qname, &ce) < 0) {
		out->kind = RW_DENIAL_LIMIT;
		return;
	}
	if (ce.qmatch != NULL) {
		out->match = ce.qmatch;
		out->kind = nxdomain ? RW_DENIAL_NONE : nodata_kind(ce.qmatch, qtype);
		return;
	}
	if (ce.labels < 0 || ce.nc_cover == NULL)
		return;
	out->cover = ce.nc_cover;
	if (!nxdomain && qtype == LDNS_RR_TYPE_DS) {
		ldns_rdf *encloser = ancestor(qname, ce.labels);

		set_encloser(out, encloser);
		ldns_rdf_deep_free(encloser);
		/* No NSEC3 for the name: only an opt-out span may hide an unsigned cut (8.6). */
		if (optout(ce.nc_cover))
			out->kind = RW_DENIAL_INSECURE_DS;
		return;
	}
	if (n3_wild(s, qname, ce.labels, nxdomain, &w, out) < 0) {
		out->kind = RW_DENIAL_LIMIT;
		return;
	}
	out->cover_wild = w;
	if (w == NULL)
		return;
	if (nxdomain) {
		out->kind = optout(ce.nc_cover) ? RW_DENIAL_OPTOUT : RW_DENIAL_NXDOMAIN;
	} else {
		out->match = w;
		out->kind = nodata_kind(w, qtype);
	}
}

static bool any_of(const ldns_rr_list *l, ldns_rr_type t)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(l, i)) == t)
			return true;
	return false;
}

void rw_denial_prove(const ldns_rr_list *nsecs, const ldns_rdf *zone, const ldns_rdf *qname,
		     uint16_t qtype, bool nxdomain, struct rw_dsec_budget *b,
		     struct rw_denial_result *out)
{
	struct n3 s = {.l = nsecs, .zone = zone, .b = b};

	memset(out, 0, sizeof(*out));
	if (nsecs == NULL || zone == NULL || qname == NULL || !at_or_below(qname, zone))
		return;
	if (any_of(nsecs, LDNS_RR_TYPE_NSEC)) {
		nsec_prove(nsecs, zone, qname, qtype, nxdomain, out);
		if (out->kind != RW_DENIAL_NONE)
			return;
	}
	if (any_of(nsecs, LDNS_RR_TYPE_NSEC3)) {
		memset(out, 0, sizeof(*out));
		nsec3_prove(&s, qname, qtype, nxdomain, out);
	}
}

static void nsec_wildcard(const ldns_rr_list *l, const ldns_rdf *zone, const ldns_rdf *qname,
			  uint8_t sig_labels, struct rw_denial_result *out)
{
	const ldns_rr *c = nsec_find(l, zone, qname, true);
	ldns_rdf *ce;

	/* The chain must show no name between the wildcard's parent and qname (RFC 4035 5.3.4). */
	if (c == NULL || nsec_ent(c, qname) || nsec_ce_labels(c, qname) > sig_labels)
		return;
	out->cover = c;
	out->kind = RW_DENIAL_WILDCARD;
	ce = ancestor(qname, sig_labels);
	set_encloser(out, ce);
	ldns_rdf_deep_free(ce);
}

static void nsec3_wildcard(struct n3 *s, const ldns_rdf *qname, uint8_t sig_labels,
			   struct rw_denial_result *out)
{
	ldns_rdf *nc, *ce;
	char h[64];
	int r;

	if (!n3_start(s, out))
		return;
	/* Only the next closer name needs denying (RFC 5155 8.8). */
	nc = ancestor(qname, sig_labels + 1);
	r = nc != NULL ? n3_hash(s, nc, h) : -1;
	ldns_rdf_deep_free(nc);
	if (r < 0) {
		out->kind = RW_DENIAL_LIMIT;
		return;
	}
	out->cover = n3_find(s, h, true);
	if (out->cover == NULL)
		return;
	out->kind = optout(out->cover) ? RW_DENIAL_OPTOUT : RW_DENIAL_WILDCARD;
	ce = ancestor(qname, sig_labels);
	set_encloser(out, ce);
	ldns_rdf_deep_free(ce);
}

void rw_denial_wildcard(const ldns_rr_list *nsecs, const ldns_rdf *zone, const ldns_rdf *qname,
			uint8_t sig_labels, struct rw_dsec_budget *b, struct rw_denial_result *out)
{
	struct n3 s = {.l = nsecs, .zone = zone, .b = b};

	memset(out, 0, sizeof(*out));
	if (nsecs == NULL || zone == NULL || qname == NULL || !at_or_below(qname, zone) ||
	    sig_labels >= ldns_dname_label_count(qname) ||
	    sig_labels < ldns_dname_label_count(zone))
		return;
	if (any_of(nsecs, LDNS_RR_TYPE_NSEC)) {
		nsec_wildcard(nsecs, zone, qname, sig_labels, out);
		if (out->kind != RW_DENIAL_NONE)
			return;
	}
	if (any_of(nsecs, LDNS_RR_TYPE_NSEC3)) {
		memset(out, 0, sizeof(*out));
		nsec3_wildcard(&s, qname, sig_labels, out);
	}
}
