/* CHAOS class questions (chaos.h): version.bind, version.server, id.server and hostname.bind
 * TXT (or ANY) are answered as Unbound answers them, TTL 0, the owner as asked; hide-version and
 * hide-identity refuse them, and every other CHAOS question is REFUSED. The host's name comes
 * from env->hostname: the core makes no system call for it. */
#include <string.h>

#include <ldns/ldns.h>

#include "chaos.h"
#include "stats.h"

#ifndef RW_VERSION
#define RW_VERSION "unknown"
#endif

enum chaos_kind { CH_NONE, CH_VERSION, CH_IDENTITY };

/* Wire names in lower case, and which they are. */
static const struct {
	const char *wire;
	size_t len;
	enum chaos_kind kind;
} names[] = {
	{"\007version\004bind", 14, CH_VERSION},
	{"\007version\006server", 16, CH_VERSION},
	{"\002id\006server", 11, CH_IDENTITY},
	{"\010hostname\004bind", 15, CH_IDENTITY},
};

static enum chaos_kind kind_of(const struct rw_client_query *cq)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (cq->qname_len != names[i].len)
			continue;
		bool same = true;

		/* Label lengths are below 'A', so folding every byte compares them exactly. */
		for (size_t j = 0; j < cq->qname_len && same; j++) {
			uint8_t c = cq->qname[j];

			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c + 32);
			same = c == (uint8_t)names[i].wire[j];
		}
		if (same)
			return names[i].kind;
	}
	return CH_NONE;
}

/* The text of the answer, or NULL when the question is refused. */
static const char *chaos_text(const struct rw_answerer *a, const struct rw_client_query *cq)
{
	if (cq->qtype != LDNS_RR_TYPE_TXT && cq->qtype != LDNS_RR_TYPE_ANY)
		return NULL;
	switch (kind_of(cq)) {
	case CH_VERSION:
		return a->cfg->hide_version ? NULL : "rootwalkd " RW_VERSION;
	case CH_IDENTITY:
		if (a->cfg->hide_identity)
			return NULL;
		if (a->cfg->identity != NULL)
			return a->cfg->identity;
		return a->env->hostname != NULL && a->env->hostname[0] != '\0' ? a->env->hostname
									       : NULL;
	default:
		return NULL;
	}
}

/* Header and question from rw_wire_error_response (without OPT), then the TXT record with its
 * owner a pointer to the question's name, then the OPT record if the client sent one. */
static size_t build(const uint8_t *pkt, size_t len, const struct rw_client_query *cq,
		    const char *text, uint8_t *out, size_t cap)
{
	struct rw_client_query plain = *cq;
	size_t tlen = strlen(text), off;

	if (tlen > 255)
		tlen = 255; /* one character-string */
	plain.edns = 0;
	off = rw_wire_error_response(pkt, len, &plain, LDNS_RCODE_NOERROR, out, cap);
	if (off != RW_DNS_HEADER_LEN + cq->qname_len + 4 ||
	    off + 2 + RW_RR_FIXED + 1 + tlen + RW_OPT_LEN > cap)
		return 0;
	rw_put16(out + off, 0xc000 | RW_DNS_HEADER_LEN);
	rw_put16(out + off + 2, LDNS_RR_TYPE_TXT);
	rw_put16(out + off + 4, LDNS_RR_CLASS_CH);
	rw_put32(out + off + 6, 0);
	rw_put16(out + off + 10, (uint16_t)(tlen + 1));
	off += 2 + RW_RR_FIXED;
	out[off++] = (uint8_t)tlen;
	memcpy(out + off, text, tlen);
	off += tlen;
	rw_put16(out + 6, 1);
	if (cq->edns) {
		off += rw_wire_put_opt(out + off, 0, cq->do_bit);
		rw_put16(out + 10, 1);
	}
	return off;
}

bool rw_chaos_answer(struct rw_answerer *a, const uint8_t *pkt, size_t len,
		     const struct rw_client_query *cq, const struct rw_answer_client *to)
{
	uint8_t buf[RW_DNS_HEADER_LEN + 2 * 256 + 64 + RW_OPT_LEN];
	const char *text = chaos_text(a, cq);
	int rcode = LDNS_RCODE_NOERROR;
	size_t n = text != NULL ? build(pkt, len, cq, text, buf, sizeof(buf)) : 0;

	if (n == 0) {
		rcode = LDNS_RCODE_REFUSED;
		n = rw_wire_error_response(pkt, len, cq, rcode, buf, sizeof(buf));
	}
	rw_stats_rcode(a->stats, rcode);
	to->cb(to->arg, buf, n);
	return true;
}
