/* DNSSEC trace events as text and JSON: which anchor, which DS matched which key, which key
 * signed which RRset and until when, what the NSEC/NSEC3 records prove, and the verdict with the
 * first broken link. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "trace_val.h"

static const char *digest_name(uint8_t d)
{
	switch (d) {
	case 1:
		return "SHA-1";
	case 2:
		return "SHA-256";
	case 4:
		return "SHA-384";
	default:
		return "digest?";
	}
}

static const char *step_name(enum rw_val_step s)
{
	static const char *const names[] = {
		[RW_VAL_ANCHOR] = "anchor",   [RW_VAL_DNSKEY] = "dnskey",
		[RW_VAL_DS] = "ds",	      [RW_VAL_RRSIG] = "rrsig",
		[RW_VAL_DENIAL] = "denial",   [RW_VAL_INSECURE] = "insecure",
		[RW_VAL_BOGUS] = "bogus",     [RW_VAL_RESULT] = "result",
		[RW_VAL_CACHED] = "keycache", [RW_VAL_AGGRESSIVE] = "aggressive",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) && names[s] ? names[s] : "?";
}

/* " until 2026-12-17T00:00:00Z (in 13d)" for a signature's end. */
static void until(struct rw_sbuf *b, int64_t end_s, int64_t now_us)
{
	char when[40], d[24];
	if (!end_s)
		return;
	rw_present_iso_secs(end_s, when, sizeof(when));
	int64_t now_s = now_us / 1000000, left = end_s - now_s;
	rw_present_duration(d, sizeof(d), left < 0 ? -left : left);
	rw_sbuf_printf(b, ", valid until %s (%s%s%s)", when, left < 0 ? "" : "in ", d,
		       left < 0 ? " ago" : "");
}

/* "owner -> next" of the NSEC record of rec i of e. */
static void span(struct rw_sbuf *b, const struct rw_trace_event *e, size_t i)
{
	const ldns_rr *rr = i < e->n_recs ? e->recs[i].rr : NULL;
	char *o = rr ? rw_present_name(ldns_rr_owner(rr)) : NULL;
	char *n = rr && ldns_rr_rd_count(rr) ? rw_present_name(ldns_rr_rdf(rr, 0)) : NULL;
	rw_sbuf_printf(b, "%s -> %s", o ? o : "?", n ? n : "?");
	free(o);
	free(n);
}

static const char *synth_kind(const struct rw_trace_event *e)
{
	return e->rcode == LDNS_RCODE_NXDOMAIN ? "NXDOMAIN" : "NODATA";
}

/* RFC 8198: "NXDOMAIN synthesised from cached NSEC a.example. -> c.example. (RFC 8198), nothing
 * asked: b.example. A in example.; no wildcard *.example.: NSEC example. -> a.example.; until" */
static void text_aggressive(struct rw_sbuf *b, const struct rw_trace_event *e)
{
	char tb[24], exp[40];
	bool nx = e->rcode == LDNS_RCODE_NXDOMAIN;

	rw_sbuf_printf(b, "%s synthesised from cached NSEC ", synth_kind(e));
	span(b, e, 0);
	rw_sbuf_printf(b, " (RFC 8198), nothing asked: %s %s in %s", e->qname ? e->qname : "?",
		       rw_present_type(e->qtype, tb, sizeof(tb)), e->zone ? e->zone : "?");
	if (e->text) {
		rw_sbuf_printf(b, "; %s %s%s: ", nx ? "no wildcard" : "wildcard", e->text,
			       nx ? "" : " without that type");
		if (e->n_recs > 1)
			span(b, e, 1);
		else
			rw_sbuf_puts(b, "the same NSEC");
	}
	rw_present_iso_time(e->expires_us, exp, sizeof(exp));
	rw_sbuf_printf(b, "; until %s\n", exp);
}

static void json_aggressive(struct rw_sbuf *b, const struct rw_trace_event *e)
{
	char when[40];

	rw_sbuf_printf(b, ",\"rcode\":\"%s\",\"nsec\":[", synth_kind(e));
	for (size_t i = 0; i < e->n_recs; i++) {
		const ldns_rr *rr = e->recs[i].rr;
		char *o = rw_present_name(ldns_rr_owner(rr));
		char *n = ldns_rr_rd_count(rr) ? rw_present_name(ldns_rr_rdf(rr, 0)) : NULL;
		rw_sbuf_puts(b, i ? ",{\"owner\":" : "{\"owner\":");
		rw_present_json_str(b, o ? o : "?");
		rw_sbuf_puts(b, ",\"next\":");
		rw_present_json_str(b, n ? n : "?");
		rw_sbuf_puts(b, "}");
		free(o);
		free(n);
	}
	rw_sbuf_puts(b, "]");
	if (e->text) {
		rw_sbuf_puts(b, ",\"wildcard\":");
		rw_present_json_str(b, e->text);
	}
	rw_present_iso_time(e->expires_us, when, sizeof(when));
	rw_sbuf_puts(b, ",\"until\":");
	rw_present_json_str(b, when);
	rw_sbuf_puts(b, ",\"rfc\":8198,\"upstream\":0,\"synthesised\":true");
}

void rw_trace_val_text(struct rw_sbuf *b, const struct rw_trace_event *e, const char *ind)
{
	char tb[24], exp[40];
	const char *z = e->zone ? e->zone : "?";

	rw_sbuf_printf(b, ";; %sdnssec: ", ind);
	switch (e->vstep) {
	case RW_VAL_ANCHOR:
		rw_sbuf_printf(b, "trust anchor %s DS %u/%u (%s)\n", z, e->key_tag, e->alg,
			       digest_name(e->digest));
		return;
	case RW_VAL_CACHED:
		rw_present_iso_time(e->expires_us, exp, sizeof(exp));
		rw_sbuf_printf(b, "%s is %s (key cache, until %s)\n", z, rw_vstate_name(e->vstate),
			       exp);
		return;
	case RW_VAL_DNSKEY:
		if (e->vstate == RW_VSTATE_SECURE) {
			rw_sbuf_printf(b,
				       "DNSKEY %s secure: key %u/%u matches DS %u (%s) and signs "
				       "the set",
				       z, e->key_tag, e->alg, e->ds_tag, digest_name(e->digest));
			until(b, e->sig_expiration_s, e->wall_us);
			rw_sbuf_puts(b, "\n");
		} else {
			rw_sbuf_printf(b, "DNSKEY %s not trusted\n", z);
		}
		return;
	case RW_VAL_DS:
		rw_sbuf_printf(b, "DS %u (%s) of %s at %s, signed by key %u/%u", e->ds_tag,
			       digest_name(e->digest), z, e->qname ? e->qname : "?", e->key_tag,
			       e->alg);
		until(b, e->sig_expiration_s, e->wall_us);
		rw_sbuf_printf(b, ": %s\n", rw_vstate_name(e->vstate));
		return;
	case RW_VAL_RRSIG:
		if (e->vstate == RW_VSTATE_SECURE) {
			rw_sbuf_printf(b, "%s %s signed by %s key %u/%u", e->qname,
				       rw_present_type(e->qtype, tb, sizeof(tb)), z, e->key_tag,
				       e->alg);
			until(b, e->sig_expiration_s, e->wall_us);
			rw_sbuf_printf(b, ": secure%s%s\n", e->text ? ", " : "",
				       e->text ? e->text : "");
		} else {
			rw_sbuf_printf(b, "%s: %s\n", rw_vstate_name(e->vstate),
				       e->text ? e->text : "?");
		}
		return;
	case RW_VAL_DENIAL:
		rw_sbuf_printf(b, "%s of %s for %s %s: %s\n", e->nsec3 ? "NSEC3" : "NSEC", z,
			       e->qname ? e->qname : "?", rw_present_type(e->qtype, tb, sizeof(tb)),
			       e->text ? e->text : "?");
		return;
	case RW_VAL_INSECURE:
		rw_sbuf_printf(b, "%s is insecure: %s\n", z, e->text ? e->text : "?");
		return;
	case RW_VAL_BOGUS:
		rw_sbuf_printf(b, "BOGUS at %s: %s (EDE %d)\n", z, e->text ? e->text : "?", e->ede);
		return;
	case RW_VAL_AGGRESSIVE:
		text_aggressive(b, e);
		return;
	case RW_VAL_RESULT:
		if (e->vstate == RW_VSTATE_BOGUS)
			rw_sbuf_printf(b, "the answer is BOGUS: %s (EDE %d): SERVFAIL\n",
				       e->text ? e->text : "?", e->ede);
		else if (e->vstate == RW_VSTATE_INSECURE)
			rw_sbuf_printf(b, "the answer is insecure: %s\n", e->text ? e->text : "?");
		else
			rw_sbuf_puts(b, "the answer is secure\n");
		return;
	}
	rw_sbuf_puts(b, "?\n");
}

static void key_str(struct rw_sbuf *b, const char *key, const char *val)
{
	rw_sbuf_printf(b, ",\"%s\":", key);
	rw_present_json_str(b, val);
}

void rw_trace_val_json(struct rw_sbuf *b, const struct rw_trace_event *e)
{
	char tb[24], when[40];

	key_str(b, "what", step_name(e->vstep));
	if (e->zone)
		key_str(b, "zone", e->zone);
	if (e->qname)
		key_str(b, e->vstep == RW_VAL_DS ? "parent" : "name", e->qname);
	if (e->vstep == RW_VAL_RRSIG || e->vstep == RW_VAL_DENIAL || e->vstep == RW_VAL_AGGRESSIVE)
		key_str(b, "type", rw_present_type(e->qtype, tb, sizeof(tb)));
	if (e->vstep == RW_VAL_AGGRESSIVE) {
		json_aggressive(b, e);
		key_str(b, "state", rw_vstate_name(e->vstate));
		return;
	}
	if (e->key_tag || e->alg)
		rw_sbuf_printf(b, ",\"key_tag\":%u,\"alg\":%u", e->key_tag, e->alg);
	if (e->vstep == RW_VAL_DNSKEY || e->vstep == RW_VAL_DS || e->vstep == RW_VAL_ANCHOR)
		rw_sbuf_printf(b, ",\"ds_tag\":%u,\"digest\":%u", e->ds_tag, e->digest);
	if (e->sig_expiration_s) {
		rw_present_iso_secs(e->sig_inception_s, when, sizeof(when));
		key_str(b, "sig_inception", when);
		rw_present_iso_secs(e->sig_expiration_s, when, sizeof(when));
		key_str(b, "sig_expiration", when);
		rw_sbuf_printf(b, ",\"sig_expiration_epoch\":%" PRId64, e->sig_expiration_s);
	}
	if (e->vstep == RW_VAL_DENIAL)
		rw_sbuf_printf(b, ",\"nsec3\":%s", e->nsec3 ? "true" : "false");
	if (e->vstep != RW_VAL_ANCHOR && e->vstep != RW_VAL_DENIAL)
		key_str(b, "state", rw_vstate_name(e->vstate));
	if (e->vstep == RW_VAL_CACHED && e->expires_us) {
		rw_present_iso_time(e->expires_us, when, sizeof(when));
		key_str(b, "until", when);
	}
	if (e->ede >= 0)
		rw_sbuf_printf(b, ",\"ede\":%d", e->ede);
	if (e->text)
		key_str(b, e->vstep == RW_VAL_DENIAL ? "proves" : "reason", e->text);
}
