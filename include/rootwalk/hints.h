/* Root hints: the NS names and addresses used to prime the root NS set (RFC 8109). */
#ifndef RW_HINTS_H
#define RW_HINTS_H

#include <stddef.h>
#include <ldns/ldns.h>

struct rw_hints {
	ldns_rr_list *ns;    /* ". NS name" records; owned */
	ldns_rr_list *addrs; /* A and AAAA records of those names; owned */
	char *origin;	     /* "built-in" or the file path, for the trace */
};

/* Load hints from a zone-format file, or the built-in IANA hints when path is NULL. Returns NULL
 * and writes a reason into err on failure (unreadable file, syntax error with line, no NS, an NS
 * without any address). */
struct rw_hints *rw_hints_load(const char *path, char *err, size_t errlen);
/* Parse hints from a string in zone format; name is used in messages. */
struct rw_hints *rw_hints_parse(const char *text, const char *name, char *err, size_t errlen);
void rw_hints_free(struct rw_hints *h);
/* Check that the root hints a configuration names (or the built-in ones) load: 0, or negative
 * with the reason in err. For `rootwalkd -n` and `rootwalk check-conf`. */
int rw_hints_check(const char *path, char *err, size_t errlen);

#endif
