/* The list-valued server keys of rootwalkd.conf: trace-names, trace-clients and access-control
 * (items split on commas and blanks; netblocks with their host bits cleared). Their setters are
 * named in the key table (config_keys.c). */
#include "config_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Split a list on commas and blanks; calls fn for each item. */
static int each_item(struct cfg_parser *p, const char *key, const char *val,
		     int (*fn)(struct cfg_parser *, struct rw_config *, const char *),
		     struct rw_config *cfg)
{
	char item[300];
	const char *c = val;
	int n = 0;

	while (*c) {
		while (*c == ',' || *c == ' ' || *c == '\t')
			c++;
		size_t len = strcspn(c, ", \t");
		if (len == 0)
			break;
		if (len >= sizeof(item))
			return cfg_fail(p, "%s: item too long", key);
		memcpy(item, c, len);
		item[len] = '\0';
		int rc = fn(p, cfg, item);
		if (rc < 0)
			return rc;
		n++;
		c += len;
	}
	return n ? 0 : cfg_fail(p, "%s: missing value", key);
}

static int add_trace_name(struct cfg_parser *p, struct rw_config *cfg, const char *item)
{
	/* ".net" and "net" and "net." all mean the name net. and everything below it */
	const char *name = item[0] == '.' && item[1] != '\0' ? item + 1 : item;

	if (cfg->n_trace_names >= RW_CONFIG_MAX_FILTERS)
		return cfg_fail(p, "trace-names: too many names (at most %d)",
				RW_CONFIG_MAX_FILTERS);
	if (cfg_parse_name(name, cfg->trace_names[cfg->n_trace_names]) < 0)
		return cfg_fail(p, "trace-names: '%s' is not a domain name", item);
	cfg->n_trace_names++;
	return 0;
}

int cfg_set_trace_names(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	struct rw_config *cfg = obj;

	cfg->n_trace_names = 0; /* the last line wins, as for other keys */
	return each_item(p, k->info.name, val, add_trace_name, cfg);
}

/* "ADDRESS[/PREFIX]" (IPv4 or IPv6) into nb, host bits kept as written. 0, -EINVAL (not an
 * address) or -ERANGE (prefix too long; *max says the longest). */
static int parse_netblock(const char *item, struct rw_netblock *nb, unsigned *max)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(item, '/');
	size_t hlen = slash ? (size_t)(slash - item) : strlen(item);
	uint32_t prefix;

	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, item, hlen);
	host[hlen] = '\0';
	memset(nb, 0, sizeof(*nb));
	struct sockaddr_in *sin = (struct sockaddr_in *)&nb->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&nb->addr;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		*max = 32;
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		*max = 128;
	} else {
		return -EINVAL;
	}
	prefix = *max;
	if (slash && cfg_parse_u32(slash + 1, 0, *max, &prefix) < 0)
		return -ERANGE;
	nb->prefix = prefix;
	return 0;
}

static int add_trace_client(struct cfg_parser *p, struct rw_config *cfg, const char *item)
{
	unsigned max = 0;

	if (cfg->n_trace_clients >= RW_CONFIG_MAX_FILTERS)
		return cfg_fail(p, "trace-clients: too many netblocks (at most %d)",
				RW_CONFIG_MAX_FILTERS);
	int rc = parse_netblock(item, &cfg->trace_clients[cfg->n_trace_clients], &max);
	if (rc == -ERANGE)
		return cfg_fail(p, "trace-clients: '%s': prefix length must be 0..%u", item, max);
	if (rc < 0)
		return cfg_fail(p, "trace-clients: '%s' is not an address or netblock", item);
	cfg->n_trace_clients++;
	return 0;
}

int cfg_set_trace_clients(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val)
{
	struct rw_config *cfg = obj;

	cfg->n_trace_clients = 0;
	return each_item(p, k->info.name, val, add_trace_client, cfg);
}

/* access-control: NETBLOCK ACTION, repeatable (acl.c compiles the lines). */
int cfg_set_access_control(struct cfg_parser *p, const struct cfg_key *k, void *obj,
			   const char *val)
{
	static const char *const actions[] = {"deny", "refuse", "allow", "allow_snoop", NULL};
	struct rw_config *cfg = obj;
	char block[80], word[40], buf[CFG_SHOWN];
	int n = 0;

	(void)k;
	if (sscanf(val, "%79s %39s %n", block, word, &n) != 2 || val[n] != '\0')
		return cfg_fail(p, "access-control: expected 'NETBLOCK ACTION', got '%s'",
				cfg_shown(val, buf, sizeof(buf)));
	int action = -1;
	for (int i = 0; actions[i]; i++)
		if (strcmp(word, actions[i]) == 0)
			action = i;
	if (action < 0)
		return cfg_fail(p,
				"access-control: expected 'deny', 'refuse', 'allow' or "
				"'allow_snoop', got '%s'",
				cfg_shown(word, buf, sizeof(buf)));
	struct rw_config_acl *a = cfg_grow(cfg->acl, cfg->n_acl, sizeof(*a));
	if (a == NULL)
		return cfg_oom(p, "access-control");
	cfg->acl = a;
	a = &cfg->acl[cfg->n_acl];
	unsigned max = 0;
	int rc = parse_netblock(block, &a->nb, &max);
	if (rc == -ERANGE)
		return cfg_fail(p, "access-control: '%s': prefix length must be 0..%u",
				cfg_shown(block, buf, sizeof(buf)), max);
	if (rc < 0)
		return cfg_fail(p, "access-control: '%s' is not an address or netblock",
				cfg_shown(block, buf, sizeof(buf)));
	a->action = (enum rw_acl_action)action;
	a->line = p->line;
	cfg->n_acl++;
	return 0;
}
