/* The chain of trust: from the closest trust anchor down to the keys of one zone, through DS at
 * each parent and the DNSKEY RRset it vouches for, one zone cut at a time (RFC 4035 5). Each DS
 * and DNSKEY RRset is fetched by a sub-resolution (an iterator) and checked here; what is
 * concluded about each zone goes to the key cache, so the next question starts lower. */
#include <stdarg.h>

#include "val_impl.h"

void val_chain_clear(struct val *v)
{
	ldns_rdf_deep_free(v->target);
	ldns_rdf_deep_free(v->kzone);
	ldns_rdf_deep_free(v->probe);
	ldns_rr_list_deep_free(v->kkeys);
	ldns_rr_list_deep_free(v->ds);
	v->target = v->kzone = v->probe = NULL;
	v->kkeys = v->ds = NULL;
	v->wait = W_NONE;
	v->kexp_us = 0;
	rw_keyentry_clear(&v->zkey);
	v->have_zkey = false;
	v->zkey_nta = false;
}

static bool name_eq(const ldns_rdf *a, const ldns_rdf *b)
{
	return ldns_dname_compare(a, b) == 0;
}

static void keep_until(struct val *v, uint32_t ttl_s)
{
	int64_t t = v->now_us + (int64_t)ttl_s * 1000000;
	if (!v->kexp_us || t < v->kexp_us)
		v->kexp_us = t;
}

/* What is now known about zone goes to the key cache (not for names made insecure by an NTA or
 * domain-insecure: those change with the configuration). */
static void remember(struct val *v, const ldns_rdf *zone, const struct rw_keyentry *e)
{
	if (v->sh->keys)
		rw_keycache_put(v->sh->keys, zone, e);
}

/* Conclude target's outcome in v->zkey, trace it, and remember it for target (and for the zone
 * where it was decided, when that is another). */
static bool __attribute__((format(printf, 6, 7)))
conclude(struct val *v, enum rw_vstate st, int ede, int64_t until_us, bool store, const char *fmt,
	 ...)
{
	va_list ap;
	rw_keyentry_clear(&v->zkey);
	v->zkey.state = st;
	v->zkey.ede = ede;
	v->zkey.stored_us = v->now_us;
	v->zkey.expires_us = st == RW_VSTATE_BOGUS && val_bogus_until(v) < until_us
				     ? val_bogus_until(v)
				     : until_us;
	va_start(ap, fmt);
	vsnprintf(v->zkey.why, sizeof(v->zkey.why), fmt, ap);
	va_end(ap);
	if (st == RW_VSTATE_SECURE && v->kkeys)
		v->zkey.dnskeys = ldns_rr_list_clone(v->kkeys);
	v->have_zkey = true;
	if (store) {
		remember(v, v->target, &v->zkey);
		if (v->probe && !name_eq(v->probe, v->target) && st != RW_VSTATE_SECURE)
			remember(v, v->probe, &v->zkey);
	}
	if (st != RW_VSTATE_SECURE) {
		struct rw_trace_event *e = val_ev(
			v, st == RW_VSTATE_BOGUS ? RW_VAL_BOGUS : RW_VAL_INSECURE, v->target);
		if (e) {
			e->text = strdup(v->zkey.why);
			e->ede = ede;
			e->vstate = st;
		}
	}
	return true;
}

/* Ask for (name, type) with a sub-resolution; the client's own question is its own answer. */
static bool ask(struct val *v, uint16_t type, struct rw_iter_out *out)
{
	if (rw_iter_qtype(v->bottom) == type && name_eq(rw_iter_qname(v->bottom), v->probe))
		return val_chain_subresult(v, v->bottom, out);
	out->act = RW_ACT_SUBRESOLVE;
	out->sub_qname = v->probe;
	out->sub_qtype = type;
	snprintf(out->sub_step, sizeof(out->sub_step), "v%d", ++v->nsub);
	return false;
}

/* One zone cut further down: ask the DS of the next name towards target, or finish. */
static bool step(struct val *v, struct rw_iter_out *out)
{
	if (name_eq(v->kzone, v->target))
		return conclude(v, RW_VSTATE_SECURE, -1, v->kexp_us, true, "secure");
	const ldns_rdf *base = v->probe && ldns_dname_is_subdomain(v->probe, v->kzone) &&
					       ldns_dname_is_subdomain(v->target, v->probe)
				       ? v->probe
				       : v->kzone;
	uint8_t want = ldns_dname_label_count(base) + 1;
	ldns_rdf *next = ldns_rdf_clone(v->target);
	while (next && ldns_dname_label_count(next) > want) {
		ldns_rdf *up = ldns_dname_left_chop(next);
		ldns_rdf_deep_free(next);
		next = up;
	}
	if (!next)
		return conclude(v, RW_VSTATE_BOGUS, RW_EDE_OTHER, 0, false, "out of memory");
	ldns_rdf_deep_free(v->probe);
	v->probe = next;
	v->wait = W_DS;
	return ask(v, LDNS_RR_TYPE_DS, out);
}

/* The closest zone between target and the anchor whose outcome the key cache holds. Returns
 * true when that settles target (insecure or bogus above it); sets kzone when secure keys were
 * found. */
static bool from_keycache(struct val *v, const ldns_rdf *anchor)
{
	struct rw_keyentry e;
	ldns_rdf *name = ldns_rdf_clone(v->target);
	bool settled = false;
	while (name && !v->kzone && !settled) {
		if (v->sh->keys && rw_keycache_get(v->sh->keys, name, v->now_us, &e)) {
			if (e.state == RW_VSTATE_SECURE) {
				v->kzone = ldns_rdf_clone(name);
				v->kkeys = ldns_rr_list_clone(e.dnskeys);
				v->kexp_us = e.expires_us;
			} else {
				conclude(v, e.state, e.ede, e.expires_us, false, "%s", e.why);
				settled = true;
			}
			struct rw_trace_event *ev = val_ev(v, RW_VAL_CACHED, name);
			if (ev) {
				ev->vstate = e.state;
				ev->expires_us = e.expires_us;
				ev->key_tag = e.key_tag;
				ev->alg = e.alg;
			}
			rw_keyentry_clear(&e);
		}
		if (name_eq(name, anchor) || ldns_dname_label_count(name) == 0)
			break;
		ldns_rdf *up = ldns_dname_left_chop(name);
		ldns_rdf_deep_free(name);
		name = up;
	}
	ldns_rdf_deep_free(name);
	return settled;
}

bool val_chain_begin(struct val *v, const ldns_rdf *zone, struct rw_iter_out *out)
{
	char which[256];
	val_chain_clear(v);
	v->target = ldns_rdf_clone(zone);
	enum rw_insecure_why w =
		v->sh->anchors
			? rw_anchors_insecure(v->sh->anchors, zone, v->now_us, which, sizeof(which))
			: RW_INSECURE_NOT;
	v->zkey_nta = w == RW_INSECURE_NTA;
	if (w != RW_INSECURE_NOT)
		return conclude(v, RW_VSTATE_INSECURE, -1, 0, false, "%s is under %s %s", which,
				w == RW_INSECURE_NTA ? "the negative trust anchor"
						     : "domain-insecure",
				which);
	ldns_rdf *aowner = NULL;
	ldns_rr_list *ads = NULL;
	if (!v->sh->anchors || !rw_anchors_find(v->sh->anchors, zone, &aowner, &ads))
		return conclude(v, RW_VSTATE_INSECURE, -1, 0, false,
				"no trust anchor at or above the zone");
	bool settled = from_keycache(v, aowner);
	if (settled || v->kzone) {
		ldns_rdf_deep_free(aowner);
		ldns_rr_list_deep_free(ads);
		return settled || step(v, out);
	}
	struct rw_trace_event *e = val_ev(v, RW_VAL_ANCHOR, aowner);
	if (e && ldns_rr_list_rr_count(ads) > 0) {
		const ldns_rr *ds = ldns_rr_list_rr(ads, 0);
		e->key_tag = (uint16_t)ldns_rdf2native_int16(ldns_rr_rdf(ds, 0));
		e->alg = ldns_rdf2native_int8(ldns_rr_rdf(ds, 1));
		e->digest = ldns_rdf2native_int8(ldns_rr_rdf(ds, 2));
	}
	v->probe = aowner;
	v->ds = ads;
	v->wait = W_ANCHOR_KEYS;
	return ask(v, LDNS_RR_TYPE_DNSKEY, out);
}

/* The DNSKEY RRset of probe arrived: check it against the DS that vouches for it. */
static bool got_dnskey(struct val *v, const struct rw_iter *child, struct rw_iter_out *out)
{
	size_t n;
	const struct rw_iter_rec *recs = rw_iter_answer(child, &n);
	ldns_rr_list *keys = val_recs(recs, n, v->probe, LDNS_RR_TYPE_DNSKEY, false);
	ldns_rr_list *sigs = val_recs(recs, n, v->probe, LDNS_RR_TYPE_DNSKEY, true);
	ldns_rr_list *trusted = NULL;
	struct rw_dsec_check c;
	memset(&c, 0, sizeof(c));
	char *p = rw_present_name(v->probe);
	bool done;

	if (!keys || ldns_rr_list_rr_count(keys) == 0) {
		const char *why = rw_iter_fail_reason(child);
		done = conclude(v, RW_VSTATE_BOGUS, RW_EDE_DNSKEY_MISSING, val_bogus_until(v), true,
				"no DNSKEY for %s (%s)", p,
				why ? why : rw_present_rcode(rw_iter_rcode(child)));
		goto out;
	}
	rw_dsec_verify_dnskeys(keys, sigs, v->probe, v->ds, val_now_s(v), &v->budget, &c, &trusted);
	struct rw_trace_event *e = val_ev(v, RW_VAL_DNSKEY, v->probe);
	if (e) {
		e->key_tag = c.key_tag;
		e->alg = c.alg;
		e->ds_tag = c.ds_tag;
		e->digest = c.ds_digest;
		e->sig_inception_s = c.inception_s;
		e->sig_expiration_s = c.expiration_s;
		e->vstate = c.result == RW_DSEC_SECURE ? RW_VSTATE_SECURE : RW_VSTATE_BOGUS;
	}
	if (c.result == RW_DSEC_SECURE) {
		ldns_rr_list_deep_free(v->kkeys);
		ldns_rdf_deep_free(v->kzone);
		v->kkeys = trusted;
		trusted = NULL;
		v->kzone = ldns_rdf_clone(v->probe);
		keep_until(v, c.ttl);
		val_mark(v, RW_ENTRY_RRSET, v->probe, LDNS_RR_TYPE_DNSKEY, RW_VSTATE_SECURE,
			 v->kexp_us);
		struct rw_keyentry k = {.state = RW_VSTATE_SECURE,
					.dnskeys = v->kkeys,
					.stored_us = v->now_us,
					.expires_us = v->kexp_us,
					.key_tag = c.key_tag,
					.alg = c.alg,
					.ede = -1};
		remember(v, v->kzone, &k);
		done = step(v, out);
	} else {
		char buf[300];
		val_check_text(buf, sizeof(buf), &c, v->probe, LDNS_RR_TYPE_DNSKEY, v->probe,
			       val_now_s(v));
		if (c.result == RW_DSEC_DS_NO_MATCH) {
			/* name where the DS came from: the parent, or the trust anchor */
			char *k =
				v->kzone && v->wait == W_DNSKEY ? rw_present_name(v->kzone) : NULL;
			snprintf(buf, sizeof(buf), "DS %u/%u %s%s matches no DNSKEY of %s",
				 c.ds_tag, c.ds_alg, k ? "at " : "of the trust anchor", k ? k : "",
				 p);
			free(k);
		}
		bool insecure = c.result == RW_DSEC_UNSUPPORTED_ALG ||
				c.result == RW_DSEC_UNSUPPORTED_DIGEST;
		val_mark(v, RW_ENTRY_RRSET, v->probe, LDNS_RR_TYPE_DNSKEY,
			 insecure ? RW_VSTATE_INSECURE : RW_VSTATE_BOGUS,
			 insecure ? 0 : val_bogus_until(v));
		done = conclude(v, insecure ? RW_VSTATE_INSECURE : RW_VSTATE_BOGUS,
				rw_dsec_result_ede(c.result),
				insecure ? v->now_us + 3600 * 1000000LL : val_bogus_until(v), true,
				"%s", buf);
	}
out:
	free(p);
	ldns_rr_list_deep_free(keys);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(trusted);
	return done;
}

/* No DS at probe: the NSEC/NSEC3 records must prove whether probe is an unsigned delegation
 * (insecure from here down) or no delegation at all (the walk goes one label further). */
static bool no_ds(struct val *v, const struct rw_iter *child, struct rw_iter_out *out)
{
	ldns_rr_list *proof = val_proof_list(child), *nsecs = NULL;
	struct rw_dsec_check bad;
	const ldns_rdf *bad_owner = NULL;
	uint16_t bad_type = 0;
	char *p = rw_present_name(v->probe), *k = rw_present_name(v->kzone);
	char buf[300];
	bool done = false;
	const struct rw_iter_rec *soa = rw_iter_soa(child);
	int64_t neg_until = soa ? soa->expires_us : v->now_us + 60 * 1000000LL;

	if (!val_proof_check(v, proof, v->kzone, v->kkeys, &nsecs, &bad, &bad_owner, &bad_type)) {
		if (bad_owner)
			val_check_text(buf, sizeof(buf), &bad, bad_owner, bad_type, v->kzone,
				       val_now_s(v));
		else
			snprintf(buf, sizeof(buf),
				 "no DS for %s at %s, and no NSEC or NSEC3 proving its absence", p,
				 k);
		done = conclude(v, RW_VSTATE_BOGUS,
				bad_owner ? rw_dsec_result_ede(bad.result) : RW_EDE_NSEC_MISSING,
				val_bogus_until(v), true, "%s", buf);
		goto out;
	}
	struct rw_denial_result d;
	rw_denial_prove(nsecs, v->kzone, v->probe, LDNS_RR_TYPE_DS,
			rw_iter_rcode(child) == LDNS_RCODE_NXDOMAIN, &v->budget, &d);
	struct rw_trace_event *e = val_ev(v, RW_VAL_DENIAL, v->kzone);
	if (e) {
		e->qname = strdup(p);
		e->qtype = LDNS_RR_TYPE_DS;
		e->nsec3 = d.nsec3;
		e->text = strdup(rw_denial_name(d.kind));
	}
	if (!d.nsec3 && (d.kind == RW_DENIAL_INSECURE_DS || d.kind == RW_DENIAL_NODATA ||
			 d.kind == RW_DENIAL_NXDOMAIN))
		val_feed_nsec(v, v->kzone, soa ? soa->rr : NULL, proof, v->kkeys);
	switch (d.kind) {
	case RW_DENIAL_INSECURE_DS:
	case RW_DENIAL_OPTOUT:
		done = conclude(v, RW_VSTATE_INSECURE, -1, neg_until, true,
				"%s is an unsigned delegation: %s at %s proves it has no DS", p,
				d.nsec3 ? "NSEC3" : "NSEC", k);
		break;
	case RW_DENIAL_ITERATIONS:
		done = conclude(
			v, RW_VSTATE_INSECURE, RW_EDE_NSEC3_ITERATIONS, neg_until, true,
			"the NSEC3 records of %s use %u iterations, more than %u (RFC 9276): "
			"treated as insecure",
			k, d.iterations, RW_DSEC_MAX_NSEC3_ITER);
		break;
	case RW_DENIAL_NODATA:
	case RW_DENIAL_NXDOMAIN:
		/* no zone cut at probe: the keys of kzone sign it */
		if (name_eq(v->probe, v->target))
			done = conclude(v, RW_VSTATE_SECURE, -1, v->kexp_us, true, "inside %s", k);
		else
			done = step(v, out);
		break;
	default:
		done = conclude(
			v, RW_VSTATE_BOGUS,
			d.kind == RW_DENIAL_LIMIT ? RW_EDE_OTHER : RW_EDE_NSEC_MISSING,
			val_bogus_until(v), true,
			"no DS for %s at %s, and its NSEC/NSEC3 records do not prove that (%s)", p,
			k, rw_denial_name(d.kind));
		break;
	}
out:
	ldns_rr_list_free(nsecs);
	ldns_rr_list_deep_free(proof);
	free(p);
	free(k);
	return done;
}

/* The DS RRset of probe (or its absence) arrived from kzone. */
static bool got_ds(struct val *v, const struct rw_iter *child, struct rw_iter_out *out)
{
	size_t n;
	const struct rw_iter_rec *recs = rw_iter_answer(child, &n);
	int rcode = rw_iter_rcode(child);
	ldns_rr_list *ds = val_recs(recs, n, v->probe, LDNS_RR_TYPE_DS, false);
	bool done;

	if (rcode == LDNS_RCODE_NXDOMAIN ||
	    (rcode == LDNS_RCODE_NOERROR && ldns_rr_list_rr_count(ds) == 0 && n == 0)) {
		ldns_rr_list_deep_free(ds);
		return no_ds(v, child, out);
	}
	char *p = rw_present_name(v->probe);
	if (rcode != LDNS_RCODE_NOERROR || ldns_rr_list_rr_count(ds) == 0) {
		const char *why = rw_iter_fail_reason(child);
		done = conclude(v, RW_VSTATE_BOGUS, RW_EDE_DNSSEC_BOGUS, val_bogus_until(v), false,
				"the DS of %s could not be had: %s", p,
				why ? why : rw_present_rcode(rcode));
		free(p);
		ldns_rr_list_deep_free(ds);
		return done;
	}
	ldns_rr_list *sigs = val_recs(recs, n, v->probe, LDNS_RR_TYPE_DS, true);
	struct rw_dsec_check c;
	rw_dsec_verify_rrset(ds, sigs, v->kzone, v->kkeys, val_now_s(v), &v->budget, &c);
	struct rw_trace_event *e = val_ev(v, RW_VAL_DS, v->probe);
	if (e) {
		e->qname = rw_present_name(v->kzone);
		e->key_tag = c.key_tag;
		e->alg = c.alg;
		e->sig_inception_s = c.inception_s;
		e->sig_expiration_s = c.expiration_s;
		e->vstate = c.result == RW_DSEC_SECURE ? RW_VSTATE_SECURE : RW_VSTATE_BOGUS;
		if (ldns_rr_list_rr_count(ds) > 0) {
			const ldns_rr *d = ldns_rr_list_rr(ds, 0);
			e->ds_tag = (uint16_t)ldns_rdf2native_int16(ldns_rr_rdf(d, 0));
			e->digest = ldns_rdf2native_int8(ldns_rr_rdf(d, 2));
		}
	}
	if (c.result == RW_DSEC_SECURE) {
		keep_until(v, c.ttl);
		val_mark(v, RW_ENTRY_RRSET, v->probe, LDNS_RR_TYPE_DS, RW_VSTATE_SECURE,
			 v->now_us + (int64_t)c.ttl * 1000000);
		ldns_rr_list_deep_free(v->ds);
		v->ds = ds;
		ds = NULL;
		v->wait = W_DNSKEY;
		done = ask(v, LDNS_RR_TYPE_DNSKEY, out);
	} else {
		char buf[300];
		val_check_text(buf, sizeof(buf), &c, v->probe, LDNS_RR_TYPE_DS, v->kzone,
			       val_now_s(v));
		done = conclude(v, RW_VSTATE_BOGUS, rw_dsec_result_ede(c.result),
				val_bogus_until(v), true, "%s", buf);
	}
	free(p);
	ldns_rr_list_deep_free(ds);
	ldns_rr_list_deep_free(sigs);
	return done;
}

bool val_chain_subresult(struct val *v, const struct rw_iter *child, struct rw_iter_out *out)
{
	if (!child) {
		char *p = rw_present_name(v->probe);
		bool done = conclude(v, RW_VSTATE_BOGUS, RW_EDE_DNSSEC_BOGUS, val_bogus_until(v),
				     false, "could not look up the %s of %s (a lookup limit)",
				     v->wait == W_DS ? "DS" : "DNSKEY", p);
		free(p);
		return done;
	}
	switch (v->wait) {
	case W_ANCHOR_KEYS:
	case W_DNSKEY:
		return got_dnskey(v, child, out);
	case W_DS:
		return got_ds(v, child, out);
	default:
		return conclude(v, RW_VSTATE_BOGUS, RW_EDE_OTHER, 0, false,
				"internal error: a sub-result nobody waited for");
	}
}
