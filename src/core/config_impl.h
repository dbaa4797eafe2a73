/* Inside the configuration parser, in layers that call only downwards:
 *   config.c         reads the text line by line: keys, values, clause lines; parse and load
 *   config_clause.c  forward-zone:, stub-zone:, local-zone: and local-data:
 *   config_keys.c    the table of keys, the server keys' setters, suggestions, whole-file checks
 *   config_values.c  the error messages and the values several keys share
 * (config_keys.c names the clause setters in its table but does not call them.) */
#ifndef RW_CONFIG_IMPL_H
#define RW_CONFIG_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rootwalk/config.h"

#define CFG_MAX_KEYS  128 /* entries of the key table, checked where it is defined */
#define CFG_MAX_VALUE 4096
#define CFG_SHOWN     80 /* a quoted value in a message is cut to this */

/* Where the keys of a line belong. A clause lasts until the next clause line, as in
 * unbound.conf; a file starts in server:. */
enum cfg_clause {
	CFG_SERVER,
	CFG_FORWARD,
	CFG_STUB,
	CFG_FOREIGN, /* a clause of unbound.conf that rootwalkd does not have: its keys are skipped */
};

struct cfg_parser {
	const char *name; /* of the file, for messages */
	size_t line;
	char *err; /* every message, joined by "; " */
	size_t errlen, errused;
	unsigned n_errors, n_unshown; /* messages so far, and those that did not fit */
	bool oom;
	struct rw_config *cfg;
	enum cfg_clause clause;
	bool zone_open;		   /* cfg->zones[n_zones - 1] is the clause being read */
	bool zone_named;	   /* it has a name */
	bool zone_served;	   /* it has an address or host */
	unsigned zone_errors;	   /* n_errors when it was opened */
	size_t seen[CFG_MAX_KEYS]; /* line each key was last set on, 0: never */
	bool failed[CFG_MAX_KEYS]; /* a line of this key was refused */
};

struct cfg_key;
/* Set the key from val (never empty) into obj: the config, or the open zone for clause keys. */
typedef int (*cfg_setter)(struct cfg_parser *p, const struct cfg_key *k, void *obj,
			  const char *val);

struct cfg_key {
	struct rw_config_keyinfo info;
	enum cfg_clause clause;
	size_t off;		    /* of the field in obj, for the generic setters */
	const char *const *choices; /* RW_CONFIG_CHOICE and RW_CONFIG_BOOL: NULL-terminated */
	cfg_setter set;
	bool empty_ok; /* a quoted "" is a value (username, chroot, pidfile) */
};

/* config_values.c */
/* Record "NAME:LINE: reason" (made printable) for the current line. Returns -EINVAL. */
__attribute__((format(printf, 2, 3))) int cfg_fail(struct cfg_parser *p, const char *fmt, ...);
/* The same for a failed allocation: -ENOMEM. */
int cfg_oom(struct cfg_parser *p, const char *key);
/* After the last message: "; N more errors" for those that did not fit, when that fits. */
void cfg_finish_errors(struct cfg_parser *p);
/* s cut to fit cap with "..." and made printable, for quoting in a message. Returns buf. */
const char *cfg_shown(const char *s, char *buf, size_t cap);
/* Strict decimal in lo..hi: 0, -EINVAL (not a number) or -ERANGE. */
int cfg_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);
/* A domain name into wire form, lower case: 0 or -EINVAL. */
int cfg_parse_name(const char *s, uint8_t out[256]);
/* "ADDRESS[@PORT]" into *sa, with the message for key when it is not one. default_port 0: no
 * port may be given. */
int cfg_parse_addr(struct cfg_parser *p, const char *key, const char *val, uint16_t default_port,
		   struct rw_sockaddr *sa);
/* arr (n elements of size bytes, from this function) with room for one more: arr itself, a
 * larger copy (arr is then freed), or NULL when memory ran out (arr is then kept). */
void *cfg_grow(void *arr, size_t n, size_t size);
/* The word of words[] (NULL-terminated) nearest to s, or NULL when none is near enough. */
const char *cfg_nearest(const char *s, const char *const *words);

/* config_keys.c */
/* The entry for name in clause, or NULL. */
const struct cfg_key *cfg_key_find(const char *name, enum cfg_clause clause);
/* Its index in the table (for p->seen and p->failed). */
size_t cfg_key_index(const struct cfg_key *k);
/* The clause a clause line such as "forward-zone" opens, or -1. */
int cfg_clause_of(const char *name);
/* The name of a clause, as in the file ("forward-zone"). */
const char *cfg_clause_name(enum cfg_clause c);
/* Why name is not a key of clause, with a suggestion when one is near: "unknown key 'x' (did
 * you mean 'y'?)" or "'listen' is a server key ...". */
void cfg_unknown(struct cfg_parser *p, const char *name, enum cfg_clause clause);
/* Set every key of clause that has a default to it, in obj (the config or a zone). */
void cfg_apply_defaults(enum cfg_clause clause, void *obj);
/* The checks that need the whole file: cache-min-ttl against cache-max-ttl, the IP families. */
void cfg_check_server(struct cfg_parser *p);

/* config_clause.c */
/* Open a forward-zone: or stub-zone: clause at the current line. */
int cfg_zone_open(struct cfg_parser *p, enum cfg_clause c);
/* Check the open clause (a name, some servers, no other clause of that name) and close it. */
void cfg_zone_close(struct cfg_parser *p);
/* The setters of the clause keys and of local-zone: and local-data:. */
int cfg_set_zone_name(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val);
int cfg_set_zone_addr(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val);
int cfg_set_zone_host(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val);
int cfg_set_local_zone(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val);
/* The list-valued server keys (config_lists.c). */
int cfg_set_trace_names(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val);
int cfg_set_trace_clients(struct cfg_parser *p, const struct cfg_key *k, void *obj,
			  const char *val);
int cfg_set_access_control(struct cfg_parser *p, const struct cfg_key *k, void *obj,
			   const char *val);
int cfg_set_local_data(struct cfg_parser *p, const struct cfg_key *k, void *obj, const char *val);
/* trust-anchor-file: (the file is read and must hold DS or DNSKEY records) and
 * domain-insecure:, both repeatable. */
int cfg_set_trust_anchor_file(struct cfg_parser *p, const struct cfg_key *k, void *obj,
			      const char *val);
int cfg_set_domain_insecure(struct cfg_parser *p, const struct cfg_key *k, void *obj,
			    const char *val);
/* Free what the clauses, local zones and DNSSEC lists of cfg own. */
void cfg_free_clauses(struct rw_config *cfg);

#endif
