/* The validator's trace events and the texts of its findings: which key signed what, until when,
 * and the first broken link, in words a person can act on. Calls no other part of the
 * validator. */
#include "val_impl.h"

struct rw_trace_event *val_ev(struct val *v, enum rw_val_step step, const ldns_rdf *zone)
{
	if (!v->sh->trace)
		return NULL;
	struct rw_trace_event *e = rw_trace_add(v->sh->trace, RW_EV_DNSSEC, "", v->now_us);
	if (!e)
		return NULL;
	e->vstep = step;
	e->ede = -1;
	if (zone)
		e->zone = rw_present_name(zone);
	return e;
}

/* "3 days ago", "in 13d" */
static void ago(char *buf, size_t len, int64_t when_s, int64_t now_s)
{
	char d[24];
	rw_present_duration(d, sizeof(d), when_s > now_s ? when_s - now_s : now_s - when_s);
	snprintf(buf, len, when_s > now_s ? "in %s" : "%s ago", d);
}

void val_check_text(char *buf, size_t len, const struct rw_dsec_check *c, const ldns_rdf *owner,
		    uint16_t type, const ldns_rdf *zone, int64_t now_s)
{
	char tb[24], when[40], rel[48];
	char *o = rw_present_name(owner), *z = rw_present_name(zone);
	const char *t = rw_present_type(type, tb, sizeof(tb));

	switch (c->result) {
	case RW_DSEC_EXPIRED:
		rw_present_iso_secs(c->expiration_s, when, sizeof(when));
		ago(rel, sizeof(rel), c->expiration_s, now_s);
		snprintf(buf, len, "RRSIG %s of %s (key %u/%u of %s) expired %s, %s", t, o,
			 c->key_tag, c->alg, z, when, rel);
		break;
	case RW_DSEC_NOT_YET_VALID:
		rw_present_iso_secs(c->inception_s, when, sizeof(when));
		ago(rel, sizeof(rel), c->inception_s, now_s);
		snprintf(buf, len, "RRSIG %s of %s (key %u/%u of %s) is not valid before %s, %s", t,
			 o, c->key_tag, c->alg, z, when, rel);
		break;
	case RW_DSEC_NO_RRSIG:
		snprintf(buf, len, "no RRSIG from %s over %s %s, but %s is signed", z, o, t, z);
		break;
	case RW_DSEC_NO_DNSKEY:
		snprintf(buf, len, "RRSIG %s of %s names key %u/%u, which is no DNSKEY of %s", t, o,
			 c->key_tag, c->alg, z);
		break;
	case RW_DSEC_DS_NO_MATCH:
		snprintf(buf, len, "DS %u/%u at the parent of %s matches no DNSKEY of %s",
			 c->ds_tag, c->ds_alg, z, z);
		break;
	case RW_DSEC_LIMIT:
		snprintf(buf, len, "%s %s of %s: gave up at the limit %s", t, o, z, c->limit);
		break;
	default:
		snprintf(buf, len, "%s %s of %s: %s (key %u/%u of %s)", t, o, z,
			 rw_dsec_result_name(c->result), c->key_tag, c->alg, z);
		break;
	}
	free(o);
	free(z);
}

void val_trace_check(struct val *v, const struct rw_dsec_check *c, const ldns_rdf *owner,
		     uint16_t type, const ldns_rdf *zone)
{
	struct rw_trace_event *e = val_ev(v, RW_VAL_RRSIG, zone);
	if (!e)
		return;
	e->qname = rw_present_name(owner);
	e->qtype = type;
	e->key_tag = c->key_tag;
	e->alg = c->alg;
	e->sig_inception_s = c->inception_s;
	e->sig_expiration_s = c->expiration_s;
	e->vstate =
		c->result == RW_DSEC_SECURE ? RW_VSTATE_SECURE
		: c->result == RW_DSEC_UNSUPPORTED_ALG || c->result == RW_DSEC_UNSUPPORTED_DIGEST
			? RW_VSTATE_INSECURE
			: RW_VSTATE_BOGUS;
	if (c->result != RW_DSEC_SECURE) {
		char buf[300];
		val_check_text(buf, sizeof(buf), c, owner, type, zone, val_now_s(v));
		e->text = strdup(buf);
		e->ede = rw_dsec_result_ede(c->result);
	} else if (c->wildcard) {
		e->text = strdup("expanded from a wildcard");
	}
}
