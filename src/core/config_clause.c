/* Clauses and local zones in unbound.conf's form: forward-zone: and stub-zone: clauses with
 * their indented keys, and the server keys local-zone: and local-data:. They are parsed and
 * checked into struct rw_config; the resolver does not use them yet. Also the repeatable DNSSEC
 * keys trust-anchor-file: (each file is read and checked here) and domain-insecure:. */
#include <ldns/ldns.h>

#include "config_impl.h"
#include "rootwalk/anchor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCAL_DATA_TTL 3600 /* when a local-data line gives none, as in Unbound */

static struct rw_config_zone *open_zone(struct cfg_parser *p)
{
	return &p->cfg->zones[p->cfg->n_zones - 1];
}

static const char *zone_clause(const struct rw_config_zone *z)
{
	return z->kind == RW_ZONE_FORWARD ? "forward-zone" : "stub-zone";
}

int cfg_zone_open(struct cfg_parser *p, enum cfg_clause c)
{
	struct rw_config *cfg = p->cfg;
	struct rw_config_zone *z = cfg_grow(cfg->zones, cfg->n_zones, sizeof(*z));

	if (z == NULL)
		return cfg_oom(p, cfg_clause_name(c));
	cfg->zones = z;
	z = &cfg->zones[cfg->n_zones++];
	memset(z, 0, sizeof(*z));
	z->kind = c == CFG_FORWARD ? RW_ZONE_FORWARD : RW_ZONE_STUB;
	z->line = p->line;
	cfg_apply_defaults(c, z);
	p->zone_open = true;
	p->zone_named = false;
	p->zone_served = false;
	p->zone_errors = p->n_errors;
	return 0;
}

static void zone_free(struct rw_config_zone *z)
{
	free(z->addrs);
	free(z->hosts);
}

void cfg_zone_close(struct cfg_parser *p)
{
	struct rw_config_zone *z = open_zone(p);
	size_t line = p->line;
	const char *what = zone_clause(z);
	/* A missing name or server is likely the cascade of a line refused in the clause (a
	 * misspelt forward-addr): told only when the clause had no other error. */
	bool quiet = p->n_errors > p->zone_errors;

	/* The clause's own problems are told at its first line. */
	p->line = z->line;
	p->zone_open = false;
	if (!p->zone_named) {
		if (!quiet)
			cfg_fail(p, "%s: no 'name:' line", what);
		/* Nameless, it would look like the root to the next clause's duplicate check. */
		zone_free(z);
		p->cfg->n_zones--;
	} else if (!p->zone_served && !quiet) {
		cfg_fail(p, "%s: no '%s-addr:' or '%s-host:' line", what,
			 z->kind == RW_ZONE_FORWARD ? "forward" : "stub",
			 z->kind == RW_ZONE_FORWARD ? "forward" : "stub");
	}
	p->line = line;
}

static bool same_name(const uint8_t *a, const uint8_t *b)
{
	size_t i = 0;

	/* Both are valid wire names in lower case: equal bytes up to the root label. */
	while (a[i] != 0 && a[i] == b[i]) {
		size_t n = (size_t)a[i] + 1;

		if (memcmp(a + i, b + i, n) != 0)
			return false;
		i += n;
	}
	return a[i] == 0 && b[i] == 0;
}

int cfg_set_zone_name(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	struct rw_config_zone *z = obj;
	const struct rw_config *cfg = p->cfg;
	char buf[CFG_SHOWN];

	if (p->zone_named)
		return cfg_fail(p, "name: a second name in this %s clause", zone_clause(z));
	if (cfg_parse_name(val, z->name) < 0)
		return cfg_fail(p, "name: '%s' is not a domain name",
				cfg_shown(val, buf, sizeof(buf)));
	p->zone_named = true;
	for (size_t i = 0; i + 1 < cfg->n_zones; i++) {
		if (!same_name(cfg->zones[i].name, z->name))
			continue;
		return cfg_fail(p, "name: '%s' is also the name of the %s: clause on line %zu",
				cfg_shown(val, buf, sizeof(buf)), zone_clause(&cfg->zones[i]),
				cfg->zones[i].line);
	}
	(void)k;
	return 0;
}

/* Room for one more server (address or name) of a zone: the array, perhaps moved, or NULL
 * after the message. */
static void *one_more(struct cfg_parser *p, const struct cfg_key *k, void *arr, size_t n,
		      size_t size)
{
	void *a;

	if (n >= RW_CONFIG_MAX_ADDRS) {
		cfg_fail(p, "%s: too many servers (at most %d)", k->info.name, RW_CONFIG_MAX_ADDRS);
		return NULL;
	}
	a = cfg_grow(arr, n, size);
	if (a == NULL)
		cfg_oom(p, k->info.name);
	return a;
}

int cfg_set_zone_addr(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	struct rw_config_zone *z = obj;
	struct rw_sockaddr *a = one_more(p, k, z->addrs, z->n_addrs, sizeof(*a));

	if (a == NULL)
		return -EINVAL;
	z->addrs = a;
	if (cfg_parse_addr(p, k->info.name, val, 53, &z->addrs[z->n_addrs]) < 0)
		return -EINVAL;
	z->n_addrs++;
	p->zone_served = true;
	return 0;
}

int cfg_set_zone_host(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	struct rw_config_zone *z = obj;
	uint8_t(*h)[256] = one_more(p, k, z->hosts, z->n_hosts, sizeof(*h));
	char buf[CFG_SHOWN];

	if (h == NULL)
		return -EINVAL;
	z->hosts = h;
	if (cfg_parse_name(val, z->hosts[z->n_hosts]) < 0)
		return cfg_fail(p, "%s: '%s' is not a domain name", k->info.name,
				cfg_shown(val, buf, sizeof(buf)));
	z->n_hosts++;
	p->zone_served = true;
	return 0;
}

/* In the order of enum rw_config_local_type. */
static const char *const local_types[] = {
	"deny",
	"refuse",
	"static",
	"transparent",
	"typetransparent",
	"redirect",
	"nodefault",
	"inform",
	"inform_deny",
	"inform_redirect",
	"always_transparent",
	"always_refuse",
	"always_nxdomain",
	"always_nodata",
	"always_deny",
	"always_null",
	"noview",
	NULL,
};

static int local_type(struct cfg_parser *p, const char *word, enum rw_config_local_type *type)
{
	char buf[CFG_SHOWN];
	const char *near;

	for (size_t i = 0; local_types[i] != NULL; i++) {
		if (strcmp(word, local_types[i]) == 0) {
			*type = (enum rw_config_local_type)i;
			return 0;
		}
	}
	near = cfg_nearest(word, local_types);
	if (near != NULL)
		return cfg_fail(p, "local-zone: unknown type '%s' (did you mean '%s'?)",
				cfg_shown(word, buf, sizeof(buf)), near);
	return cfg_fail(p, "local-zone: unknown type '%s' (deny, refuse, static, transparent, ...)",
			cfg_shown(word, buf, sizeof(buf)));
}

/* "local-zone: NAME TYPE" (the value comes as two words joined by one space). */
int cfg_set_local_zone(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	struct rw_config *cfg = obj;
	struct rw_config_local_zone lz = {.line = p->line}, *arr;
	const char *sp = strchr(val, ' ');
	char name[CFG_MAX_VALUE], buf[CFG_SHOWN];

	if (sp == NULL || strchr(sp + 1, ' ') != NULL)
		return cfg_fail(p, "local-zone: expected 'NAME TYPE', got '%s'",
				cfg_shown(val, buf, sizeof(buf)));
	memcpy(name, val, (size_t)(sp - val));
	name[sp - val] = '\0';
	if (cfg_parse_name(name, lz.name) < 0)
		return cfg_fail(p, "local-zone: '%s' is not a domain name",
				cfg_shown(name, buf, sizeof(buf)));
	if (local_type(p, sp + 1, &lz.type) < 0)
		return -EINVAL;
	for (size_t i = 0; i < cfg->n_lzones; i++)
		if (same_name(cfg->lzones[i].name, lz.name))
			return cfg_fail(p, "local-zone: '%s' is already a local zone (line %zu)",
					cfg_shown(name, buf, sizeof(buf)), cfg->lzones[i].line);
	arr = cfg_grow(cfg->lzones, cfg->n_lzones, sizeof(*arr));
	if (arr == NULL)
		return cfg_oom(p, k->info.name);
	cfg->lzones = arr;
	cfg->lzones[cfg->n_lzones++] = lz;
	return 0;
}

/* The record of a local-data line in wire form, owner in lower case. 0 or the message. */
static int local_record(struct cfg_parser *p, const char *val, struct rw_config_local_data *d)
{
	ldns_rdf *origin = ldns_dname_new_frm_str(".");
	ldns_rr *rr = NULL;
	ldns_status st;
	char buf[CFG_SHOWN];
	int rc = 0;

	if (origin == NULL)
		return cfg_oom(p, "local-data");
	/* Names without a final dot are taken from the root, as in Unbound. */
	st = ldns_rr_new_frm_str(&rr, val, LOCAL_DATA_TTL, origin, NULL);
	ldns_rdf_deep_free(origin);
	if (st != LDNS_STATUS_OK || rr == NULL)
		return cfg_fail(p, "local-data: '%s' is not a record (%s)",
				cfg_shown(val, buf, sizeof(buf)), ldns_get_errorstr_by_id(st));
	if (ldns_rr_rd_count(rr) == 0)
		rc = cfg_fail(p, "local-data: '%s' has no data", cfg_shown(val, buf, sizeof(buf)));
	if (rc == 0) {
		ldns_dname2canonical(ldns_rr_owner(rr));
		d->type = (uint16_t)ldns_rr_get_type(rr);
		if (ldns_rr2wire(&d->rr, rr, LDNS_SECTION_ANSWER, &d->len) != LDNS_STATUS_OK)
			rc = cfg_oom(p, "local-data");
	}
	ldns_rr_free(rr);
	return rc;
}

int cfg_set_local_data(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	struct rw_config *cfg = obj;
	struct rw_config_local_data d = {.line = p->line}, *arr;

	arr = cfg_grow(cfg->ldata, cfg->n_ldata, sizeof(*arr));
	if (arr == NULL)
		return cfg_oom(p, k->info.name);
	cfg->ldata = arr;
	if (local_record(p, val, &d) < 0)
		return -EINVAL;
	cfg->ldata[cfg->n_ldata++] = d;
	return 0;
}

int cfg_set_trust_anchor_file(struct cfg_parser *p, const struct cfg_key *k, void *obj,
			      const char *val)
{
	struct rw_config *cfg = obj;
	struct rw_anchors *a = rw_anchors_new();
	char why[512], **arr, *copy;
	int rc;

	if (a == NULL)
		return cfg_oom(p, k->info.name);
	/* Read now, so that rootwalkd -n and a reload refuse a file that would not load. */
	rc = rw_anchors_load_file(a, val, why, sizeof(why));
	rw_anchors_free(a);
	if (rc < 0)
		return cfg_fail(p, "%s: %s", k->info.name, why);
	for (size_t i = 0; i < cfg->n_trust_anchor_files; i++)
		if (strcmp(cfg->trust_anchor_files[i], val) == 0)
			return 0; /* named twice: read once */
	arr = cfg_grow(cfg->trust_anchor_files, cfg->n_trust_anchor_files, sizeof(*arr));
	if (arr == NULL)
		return cfg_oom(p, k->info.name);
	cfg->trust_anchor_files = arr;
	copy = strdup(val);
	if (copy == NULL)
		return cfg_oom(p, k->info.name);
	cfg->trust_anchor_files[cfg->n_trust_anchor_files++] = copy;
	return 0;
}

int cfg_set_domain_insecure(struct cfg_parser *p, const struct cfg_key *k, void *obj,
			    const char *val)
{
	struct rw_config *cfg = obj;
	uint8_t name[256], (*arr)[256];
	char buf[CFG_SHOWN];

	if (cfg_parse_name(val, name) < 0)
		return cfg_fail(p, "%s: '%s' is not a domain name", k->info.name,
				cfg_shown(val, buf, sizeof(buf)));
	for (size_t i = 0; i < cfg->n_domain_insecure; i++)
		if (same_name(cfg->domain_insecure[i], name))
			return 0;
	arr = cfg_grow(cfg->domain_insecure, cfg->n_domain_insecure, sizeof(*arr));
	if (arr == NULL)
		return cfg_oom(p, k->info.name);
	cfg->domain_insecure = arr;
	memcpy(cfg->domain_insecure[cfg->n_domain_insecure++], name, sizeof(name));
	return 0;
}

void cfg_free_clauses(struct rw_config *cfg)
{
	for (size_t i = 0; i < cfg->n_trust_anchor_files; i++)
		free(cfg->trust_anchor_files[i]);
	free(cfg->trust_anchor_files);
	free(cfg->domain_insecure);
	for (size_t i = 0; i < cfg->n_zones; i++)
		zone_free(&cfg->zones[i]);
	free(cfg->zones);
	free(cfg->lzones);
	for (size_t i = 0; i < cfg->n_ldata; i++)
		free(cfg->ldata[i].rr);
	free(cfg->ldata);
}
