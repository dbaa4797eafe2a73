/* What the unit tests of `rootwalk check` share (test_check.c, test_check_control.c,
 * test_check_quirks.c): a scripted world of a root, com. and example.com. with two servers, a
 * check run on it to its end under the fake clock, and a small JSON reader. The checks stay in the
 * tests (check.h counts per file): the helpers here return what the tests check. */
#ifndef RW_TEST_CHECKWORLD_H
#define RW_TEST_CHECKWORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fakenet.h"
#include "rootwalk/check.h"

extern const char *CW_ROOT_DATA;
extern const char *CW_COM_DATA;

/* The zone as both its servers hold it; %u is the SOA serial, %s more records. */
#define EXAMPLE_FMT                                                                                \
	"example.com. 3600 IN SOA ns1.example.com. host.example.com. %u 1800 900 604800 600\n"     \
	"example.com. 3600 IN NS ns1.example.com.\n"                                               \
	"example.com. 3600 IN NS ns2.example.com.\n"                                               \
	"ns1.example.com. 3600 IN A 192.0.2.30\n"                                                  \
	"ns2.example.com. 3600 IN A 192.0.2.31\n"                                                  \
	"www.example.com. 300 IN A 203.0.113.7\n"                                                  \
	"www.example.com. 300 IN TXT \"hello\"\n"                                                  \
	"%s"

struct world {
	struct fakenet fn;
	struct rw_config *cfg;
	int ns1, ns2, com, root;
	int refusing;	  /* a server whose every query comes back ECONNREFUSED, or -1 */
	int tcp_refusing; /* one whose TCP queries do, or -1 */
};

struct result {
	bool done;
	int calls;
	enum rw_check_status st;
	char text[65536];
	uint64_t at_ms; /* the fake clock when it ended */
	struct fakenet *fn;
};

/* The root hints file of the world (fn_hints_file), made by the test's main(). */
extern char cw_hints_path[64];

/* Bring the world up (example.com. at serial 2026120301, with more records), or down. */
void world_up(struct world *w, const char *more);
void world_down(struct world *w);
/* Give one example.com. server the zone at another serial, with more records. */
void zone_records(struct world *w, int server, unsigned serial, const char *more);
/* The check's callback: the result into arg (a struct result). */
void on_check(void *arg, enum rw_check_status st, const char *text, size_t len);
/* Deliver what is due first, at most max events (see checkworld.c). */
void run(struct world *w, int max);
/* Check name/qtype on w to its end. False when the check could not start, answered during the
 * call, or did not answer exactly once. */
bool cw_check(struct world *w, const char *name, uint16_t qtype, bool json, struct result *res);
/* Does the report hold s? Prints the report when not. */
bool has(const struct result *res, const char *s);
/* Is text one well-formed JSON value? */
bool json_ok(const char *text);

#endif
