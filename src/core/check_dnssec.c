/* `rootwalk check`: DNSSEC where it is cheap: the parent's DS set (asked of a server of the
 * parent) against the zone's DNSKEY set and its RRSIGs (asked of the details' server), checked
 * as the validator checks a DNSKEY set (dnssec_verify.c); in a zone so found secure, the RRSIGs
 * of NAME/TYPE (asked with DO) against its keys, and when they end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/dnssec.h"
#include "rootwalk/present.h"
#include "check_impl.h"
#include "resolver_impl.h"

void ck_dnssec_start(struct rw_check *ck)
{
	if (!ck->have_parent || ck->ref < 0 || ck->n_parent_servers == 0)
		return;
	ck_send(ck, CK_P_DS, ck->ref, -1, ck->zone, LDNS_RR_TYPE_DS, &ck->parent_servers[0], false,
		0);
	ck_send(ck, CK_P_DNSKEY, ck->ref, -1, ck->zone, LDNS_RR_TYPE_DNSKEY,
		&ck->servers[ck->ref].addr, false, 0);
	ck_send(ck, CK_P_SIGS, ck->ref, -1, ck->name, ck->qtype, &ck->servers[ck->ref].addr, false,
		0);
}

/* The records of type at owner in the answer (RRSIG: those covering covered). */
static ldns_rr_list *records_at(const ldns_rdf *owner, const ldns_pkt *pkt, uint16_t type,
				uint16_t covered)
{
	ldns_rr_list *out = ldns_rr_list_new();
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	for (size_t i = 0; out && i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) != type || ldns_dname_compare(ldns_rr_owner(rr), owner))
			continue;
		if (type == LDNS_RR_TYPE_RRSIG &&
		    (!ldns_rr_rrsig_typecovered(rr) ||
		     ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) != covered))
			continue;
		ldns_rr_list_push_rr(out, ldns_rr_clone(rr));
	}
	return out;
}

void ck_dnssec_reply(struct rw_check *ck, const struct ck_probe *p, const ldns_pkt *pkt)
{
	if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR)
		return;
	if (p->purpose == CK_P_DS && !ck->ds_got) {
		ck->ds_got = true;
		ck->ds = records_at(ck->zone, pkt, LDNS_RR_TYPE_DS, 0);
	} else if (p->purpose == CK_P_DNSKEY && !ck->dnskey_got && ldns_pkt_aa(pkt)) {
		ck->dnskey_got = true;
		ck->dnskeys = records_at(ck->zone, pkt, LDNS_RR_TYPE_DNSKEY, 0);
		ck->dnskey_sigs =
			records_at(ck->zone, pkt, LDNS_RR_TYPE_RRSIG, LDNS_RR_TYPE_DNSKEY);
	} else if (p->purpose == CK_P_SIGS && !ck->rrset && ldns_pkt_aa(pkt)) {
		ck->rrset = records_at(ck->name, pkt, ck->qtype, 0);
		ck->rrset_sigs = records_at(ck->name, pkt, LDNS_RR_TYPE_RRSIG, ck->qtype);
	}
}

/* The RRSIGs of NAME/TYPE against the zone's keys (a secure zone): expired, not yet valid, bad,
 * or ending before the TTL does (RFC 4035 5.3.3: a resolver keeps it no longer than that). */
static void find_sigs(struct rw_check *ck, const char *zone)
{
	if (!ck->rrset || ldns_rr_list_rr_count(ck->rrset) == 0)
		return;
	struct rw_dsec_budget budget;
	struct rw_dsec_check out;
	int64_t now_s = rw_present_epoch(ck->start_wall_us);
	rw_dsec_budget_init(&budget);
	memset(&out, 0, sizeof(out));
	rw_dsec_verify_rrset(ck->rrset, ck->rrset_sigs, ck->zone, ck->dnskeys, now_s, &budget,
			     &out);
	char *name = rw_present_name(ck->name), tb[32], when[40];
	const char *type = rw_present_type(ck->qtype, tb, sizeof(tb));
	uint32_t ttl = ldns_rr_ttl(ldns_rr_list_rr(ck->rrset, 0));
	rw_present_iso_secs(out.expiration_s, when, sizeof(when));
	if (out.result == RW_DSEC_SECURE && out.expiration_s < ck->sig_earliest_s)
		ck->sig_earliest_s = out.expiration_s;
	if (out.result == RW_DSEC_SECURE && out.expiration_s < now_s + (int64_t)ttl)
		ck_finding(ck, CK_WARNING, "dnssec-sig-expires-before-ttl", NULL,
			   "the signature of %s %s ends at %s, %lld s from now, before its TTL of "
			   "%u s: resolvers keep it only until then (RFC 4035 5.3.3); re-sign %s",
			   name ? name : "?", type, when, (long long)(out.expiration_s - now_s),
			   ttl, zone);
	else if (out.result == RW_DSEC_EXPIRED || out.result == RW_DSEC_NOT_YET_VALID)
		ck_finding(ck, CK_ERROR,
			   out.result == RW_DSEC_EXPIRED ? "dnssec-sig-expired"
							 : "dnssec-sig-not-yet-valid",
			   NULL,
			   "the signature of %s %s is %s (valid until %s): validating resolvers "
			   "answer SERVFAIL",
			   name ? name : "?", type, rw_dsec_result_name(out.result), when);
	else if (out.result != RW_DSEC_SECURE)
		ck_finding(ck, CK_ERROR, "dnssec-sig-bogus", NULL,
			   "%s %s does not validate with the keys of %s: %s", name ? name : "?",
			   type, zone, rw_dsec_result_name(out.result));
	free(name);
}

void ck_dnssec_find(struct rw_check *ck)
{
	if (!ck->ds_got)
		return;
	if (ldns_rr_list_rr_count(ck->ds) == 0) {
		ck->dnssec_result = "unsigned (the parent has no DS for the zone)";
		return;
	}
	if (!ck->dnskey_got)
		return;
	struct rw_dsec_budget budget;
	struct rw_dsec_check out;
	rw_dsec_budget_init(&budget);
	memset(&out, 0, sizeof(out));
	rw_dsec_verify_dnskeys(ck->dnskeys, ck->dnskey_sigs, ck->zone, ck->ds,
			       rw_present_epoch(ck->start_wall_us), &budget, &out, NULL);
	ck->dnssec_result = rw_dsec_result_name(out.result);
	char *z = rw_present_name(ck->zone);
	switch (out.result) {
	case RW_DSEC_SECURE:
		ck->sig_earliest_s = out.expiration_s;
		find_sigs(ck, z ? z : "?");
		break;
	case RW_DSEC_DS_NO_MATCH:
	case RW_DSEC_NO_DNSKEY:
		ck_finding(ck, CK_ERROR, "dnssec-ds-mismatch", NULL,
			   "the parent's DS for %s (key tag %u, algorithm %u, digest type %u) "
			   "matches no key of the zone's DNSKEY set (%zu keys): validating "
			   "resolvers answer SERVFAIL for every name in it",
			   z ? z : "?", out.ds_tag, out.ds_alg, out.ds_digest,
			   ldns_rr_list_rr_count(ck->dnskeys));
		break;
	case RW_DSEC_UNSUPPORTED_ALG:
	case RW_DSEC_UNSUPPORTED_DIGEST:
		ck_finding(ck, CK_INFO, "dnssec-unsupported", NULL,
			   "%s is signed with an algorithm or DS digest this resolver does not "
			   "validate (%s): treated as unsigned",
			   z ? z : "?", rw_dsec_result_name(out.result));
		break;
	case RW_DSEC_EXPIRED:
	case RW_DSEC_NOT_YET_VALID:
		ck_finding(ck, CK_ERROR,
			   out.result == RW_DSEC_EXPIRED ? "dnssec-sig-expired"
							 : "dnssec-sig-not-yet-valid",
			   NULL,
			   "the signatures of the DNSKEY set of %s are %s: validating resolvers "
			   "answer SERVFAIL for every name in it",
			   z ? z : "?",
			   out.result == RW_DSEC_EXPIRED ? "expired" : "not valid yet");
		break;
	default:
		ck_finding(ck, CK_ERROR, "dnssec-dnskey-bogus", NULL,
			   "the DNSKEY set of %s does not validate against the parent's DS: %s",
			   z ? z : "?", rw_dsec_result_name(out.result));
		break;
	}
	free(z);
}

void ck_dnssec_json(const struct rw_check *ck, struct rw_sbuf *b)
{
	rw_sbuf_printf(b, "{\"checked\":%s", ck->dnssec_result ? "true" : "false");
	if (ck->dnssec_result) {
		rw_sbuf_puts(b, ",\"result\":");
		rw_present_json_str(b, ck->dnssec_result);
	}
	if (ck->sig_earliest_s > 0) {
		char when[40];
		rw_present_iso_secs(ck->sig_earliest_s, when, sizeof(when));
		rw_sbuf_printf(b, ",\"earliest_rrsig_expiry\":\"%s\"", when);
	}
	rw_sbuf_puts(b, ",\"ds\":[");
	for (size_t i = 0; ck->ds && i < ldns_rr_list_rr_count(ck->ds); i++) {
		char *t = rw_present_rdata(ldns_rr_list_rr(ck->ds, i));
		rw_sbuf_puts(b, i ? "," : "");
		rw_present_json_str(b, t ? t : "?");
		free(t);
	}
	rw_sbuf_puts(b, "],\"dnskey_tags\":[");
	for (size_t i = 0; ck->dnskeys && i < ldns_rr_list_rr_count(ck->dnskeys); i++)
		rw_sbuf_printf(b, "%s%u", i ? "," : "",
			       ldns_calc_keytag(ldns_rr_list_rr(ck->dnskeys, i)));
	rw_sbuf_puts(b, "]}");
}

void ck_dnssec_free(struct rw_check *ck)
{
	ldns_rr_list_deep_free(ck->ds);
	ldns_rr_list_deep_free(ck->dnskeys);
	ldns_rr_list_deep_free(ck->dnskey_sigs);
	ldns_rr_list_deep_free(ck->rrset);
	ldns_rr_list_deep_free(ck->rrset_sigs);
}
