/* Root hints: built in for real deployments, or read from a zone-format file (the lab). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rootwalk/hints.h"

/* The IANA root servers (named.root). Used only when no root-hints file is configured. */
static const char builtin_hints[] =
	".                        3600000      NS    A.ROOT-SERVERS.NET.\n"
	"A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4\n"
	"A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30\n"
	".                        3600000      NS    B.ROOT-SERVERS.NET.\n"
	"B.ROOT-SERVERS.NET.      3600000      A     170.247.170.2\n"
	"B.ROOT-SERVERS.NET.      3600000      AAAA  2801:1b8:10::b\n"
	".                        3600000      NS    C.ROOT-SERVERS.NET.\n"
	"C.ROOT-SERVERS.NET.      3600000      A     192.33.4.12\n"
	"C.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2::c\n"
	".                        3600000      NS    D.ROOT-SERVERS.NET.\n"
	"D.ROOT-SERVERS.NET.      3600000      A     199.7.91.13\n"
	"D.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2d::d\n"
	".                        3600000      NS    E.ROOT-SERVERS.NET.\n"
	"E.ROOT-SERVERS.NET.      3600000      A     192.203.230.10\n"
	"E.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:a8::e\n"
	".                        3600000      NS    F.ROOT-SERVERS.NET.\n"
	"F.ROOT-SERVERS.NET.      3600000      A     192.5.5.241\n"
	"F.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2f::f\n"
	".                        3600000      NS    G.ROOT-SERVERS.NET.\n"
	"G.ROOT-SERVERS.NET.      3600000      A     192.112.36.4\n"
	"G.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:12::d0d\n"
	".                        3600000      NS    H.ROOT-SERVERS.NET.\n"
	"H.ROOT-SERVERS.NET.      3600000      A     198.97.190.53\n"
	"H.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:1::53\n"
	".                        3600000      NS    I.ROOT-SERVERS.NET.\n"
	"I.ROOT-SERVERS.NET.      3600000      A     192.36.148.17\n"
	"I.ROOT-SERVERS.NET.      3600000      AAAA  2001:7fe::53\n"
	".                        3600000      NS    J.ROOT-SERVERS.NET.\n"
	"J.ROOT-SERVERS.NET.      3600000      A     192.58.128.30\n"
	"J.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:c27::2:30\n"
	".                        3600000      NS    K.ROOT-SERVERS.NET.\n"
	"K.ROOT-SERVERS.NET.      3600000      A     193.0.14.129\n"
	"K.ROOT-SERVERS.NET.      3600000      AAAA  2001:7fd::1\n"
	".                        3600000      NS    L.ROOT-SERVERS.NET.\n"
	"L.ROOT-SERVERS.NET.      3600000      A     199.7.83.42\n"
	"L.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:9f::42\n"
	".                        3600000      NS    M.ROOT-SERVERS.NET.\n"
	"M.ROOT-SERVERS.NET.      3600000      A     202.12.27.33\n"
	"M.ROOT-SERVERS.NET.      3600000      AAAA  2001:dc3::35\n";

void rw_hints_free(struct rw_hints *h)
{
	if (!h)
		return;
	ldns_rr_list_deep_free(h->ns);
	ldns_rr_list_deep_free(h->addrs);
	free(h->origin);
	free(h);
}

static bool has_address(const struct rw_hints *h, const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(h->addrs); i++) {
		if (ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(h->addrs, i)), name) == 0)
			return true;
	}
	return false;
}

struct rw_hints *rw_hints_parse(const char *text, const char *name, char *err, size_t errlen)
{
	struct rw_hints *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->ns = ldns_rr_list_new();
	h->addrs = ldns_rr_list_new();
	h->origin = strdup(name);
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	if (!f || !h->ns || !h->addrs || !h->origin) {
		if (f)
			fclose(f);
		snprintf(err, errlen, "out of memory");
		rw_hints_free(h);
		return NULL;
	}
	uint32_t default_ttl = 3600000;
	ldns_rdf *origin = ldns_dname_new_frm_str(".");
	ldns_rdf *prev = NULL;
	int line = 1;
	int ok = 1;
	while (!feof(f)) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, f, &default_ttl, &origin, &prev, &line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN || st == LDNS_STATUS_SYNTAX_INCLUDE)
			continue;
		if (st != LDNS_STATUS_OK) {
			if (feof(f) && st == LDNS_STATUS_SYNTAX_ERR)
				break;
			/* ldns counts the newline it has read: the record ended on the line before */
			long pos = ftell(f);
			int at = pos > 0 && text[pos - 1] == '\n' && line > 1 ? line - 1 : line;
			snprintf(err, errlen, "%s:%d: %s", name, at, ldns_get_errorstr_by_id(st));
			ok = 0;
			break;
		}
		ldns_rr_type t = ldns_rr_get_type(rr);
		if (t == LDNS_RR_TYPE_NS && ldns_dname_compare(ldns_rr_owner(rr), origin) == 0 &&
		    ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN)
			ldns_rr_list_push_rr(h->ns, rr);
		else if (t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA)
			ldns_rr_list_push_rr(h->addrs, rr);
		else
			ldns_rr_free(rr);
	}
	fclose(f);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	if (ok && ldns_rr_list_rr_count(h->ns) == 0) {
		snprintf(err, errlen, "%s: no root NS records", name);
		ok = 0;
	}
	for (size_t i = 0; ok && i < ldns_rr_list_rr_count(h->ns); i++) {
		ldns_rdf *ns = ldns_rr_rdf(ldns_rr_list_rr(h->ns, i), 0);
		if (!has_address(h, ns)) {
			char *s = ldns_rdf2str(ns);
			snprintf(err, errlen, "%s: root server %s has no address", name,
				 s ? s : "?");
			free(s);
			ok = 0;
		}
	}
	if (!ok) {
		rw_hints_free(h);
		return NULL;
	}
	return h;
}

struct rw_hints *rw_hints_load(const char *path, char *err, size_t errlen)
{
	if (!path)
		return rw_hints_parse(builtin_hints, "built-in", err, errlen);
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open root hints: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(1 << 20);
	size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	buf[n] = 0;
	struct rw_hints *h = rw_hints_parse(buf, path, err, errlen);
	free(buf);
	return h;
}

int rw_hints_check(const char *path, char *err, size_t errlen)
{
	struct rw_hints *h = rw_hints_load(path, err, errlen);
	if (!h)
		return -EINVAL;
	rw_hints_free(h);
	return 0;
}
