/* What the unit tests of `rootwalk check` share: see checkworld.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "checkworld.h"
#include "rootwalk/resolver.h"

char cw_hints_path[64];

const char *CW_ROOT_DATA =
	". 86400 IN SOA a.root-servers.net. host.root-servers.net. 1 1800 900 604800 300\n"
	". 518400 IN NS a.root-servers.net.\n"
	"a.root-servers.net. 518400 IN A 192.0.2.1\n"
	"com. 172800 IN NS a.gtld-servers.com.\n"
	"a.gtld-servers.com. 172800 IN A 192.0.2.10\n";

const char *CW_COM_DATA =
	"com. 900 IN SOA a.gtld-servers.com. host.gtld-servers.com. 1 1800 900 604800 300\n"
	"com. 172800 IN NS a.gtld-servers.com.\n"
	"example.com. 172800 IN NS ns1.example.com.\n"
	"example.com. 172800 IN NS ns2.example.com.\n"
	"ns1.example.com. 172800 IN A 192.0.2.30\n"
	"ns2.example.com. 172800 IN A 192.0.2.31\n";

void zone_records(struct world *w, int server, unsigned serial, const char *more)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), EXAMPLE_FMT, serial, more);
	fn_server_records(&w->fn, server, buf);
}

void world_up(struct world *w, const char *more)
{
	char buf[4096];
	memset(w, 0, sizeof(*w));
	fn_init(&w->fn, false);
	w->root = fn_server(&w->fn, "192.0.2.1", ".", CW_ROOT_DATA);
	w->com = fn_server(&w->fn, "192.0.2.10", "com.", CW_COM_DATA);
	snprintf(buf, sizeof(buf), EXAMPLE_FMT, 2026120301u, more ? more : "");
	w->ns1 = fn_server(&w->fn, "192.0.2.30", "example.com.", buf);
	w->ns2 = fn_server(&w->fn, "192.0.2.31", "example.com.", buf);
	w->refusing = w->tcp_refusing = -1;
	w->cfg = fn_config(cw_hints_path);
	fn_start(&w->fn, w->cfg);
	w->fn.concurrent = true;
}

void world_down(struct world *w)
{
	fn_free(&w->fn);
	rw_config_free(w->cfg);
}

void on_check(void *arg, enum rw_check_status st, const char *text, size_t len)
{
	struct result *res = arg;
	res->calls++;
	res->done = true;
	res->st = st;
	res->at_ms = res->fn->mono_ms;
	snprintf(res->text, sizeof(res->text), "%.*s", (int)len, text ? text : "(null)");
}

/* Deliver what is due first, the queries in flight waiting side by side: the earliest reply (an
 * answering server, now) or timeout (a silent one, when sent plus its wait), or the resolver's
 * timer when that comes sooner. A query to w->refusing (or a TCP one to w->tcp_refusing) fails
 * now with ECONNREFUSED, as the edge reports ICMP port unreachable. */
void run(struct world *w, int max)
{
	struct fakenet *fn = &w->fn;
	for (int i = 0; i < max; i++) {
		uint64_t due = UINT64_MAX;
		int pick = -1;
		for (int k = 0; k < fn->n_queue; k++) {
			const struct fn_sent *s = &fn->queue[k];
			const struct fn_server *srv =
				s->server >= 0 ? &fn->servers[s->server] : NULL;
			bool silent = !srv || srv->drop || (srv->udp_silent && !s->tcp);
			uint64_t d = silent ? s->sent_ms + s->timeout_ms : fn->mono_ms;
			if (d < due) {
				due = d;
				pick = k;
			}
		}
		if (fn->timer_set && fn->timer_at <= due) {
			fn->timer_set = false;
			if (fn->timer_at > fn->mono_ms) {
				fn->wall_us += (int64_t)(fn->timer_at - fn->mono_ms) * 1000;
				fn->mono_ms = fn->timer_at;
			}
			rw_resolver_on_timer(fn->r);
			continue;
		}
		if (pick < 0)
			return;
		struct fn_sent s = fn->queue[pick];
		if (s.server >= 0 &&
		    (s.server == w->refusing || (s.tcp && s.server == w->tcp_refusing))) {
			memmove(&fn->queue[pick], &fn->queue[pick + 1],
				(size_t)(fn->n_queue - pick - 1) * sizeof(s));
			fn->n_queue--;
			fn->servers[s.server].queries++;
			rw_resolver_on_timeout(fn->r, s.id, -ECONNREFUSED);
			continue;
		}
		memmove(&fn->queue[1], &fn->queue[0], (size_t)pick * sizeof(s));
		fn->queue[0] = s;
		fn_run(fn, 1);
	}
}

bool cw_check(struct world *w, const char *name, uint16_t qtype, bool json, struct result *res)
{
	ldns_rdf *n = ldns_dname_new_frm_str(name);
	memset(res, 0, sizeof(*res));
	res->fn = &w->fn;
	uint64_t h = rw_resolver_check(w->fn.r, ldns_rdf_data(n), ldns_rdf_size(n), qtype,
				       json ? RW_CHECK_JSON : 0, on_check, res);
	ldns_rdf_deep_free(n);
	bool started = h > 0 && !res->done; /* never answered during the call */
	run(w, 2000);
	if (getenv("RW_TEST_VERBOSE"))
		fprintf(stderr, "---\n%s\n", res->text);
	return started && res->calls == 1;
}

bool has(const struct result *res, const char *s)
{
	bool found = strstr(res->text, s) != NULL;
	if (!found)
		fprintf(stderr, "--- report without \"%s\":\n%s\n", s, res->text);
	return found;
}

/* ---------------------------------------------------------------------------------------------
 * A small JSON reader: is the text one well-formed value?
 */

static const char *json_value(const char *p, int depth);

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (!strchr("\"\\/bfnrtu", *p) || !*p)
				return NULL;
		}
		p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *json_list(const char *p, int depth, char close, bool keys)
{
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keys) {
			p = json_string(ws(p));
			if (!p || *(p = ws(p)) != ':')
				return NULL;
			p++;
		}
		p = json_value(p, depth + 1);
		if (!p)
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p != ',')
			return NULL;
		p++;
	}
}

static const char *json_value(const char *p, int depth)
{
	p = ws(p);
	if (depth > 32)
		return NULL;
	if (*p == '{')
		return json_list(p, depth, '}', true);
	if (*p == '[')
		return json_list(p, depth, ']', false);
	if (*p == '"')
		return json_string(p);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	const char *s = p;
	if (*p == '-')
		p++;
	while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '+')
		p++;
	return p > s ? p : NULL;
}

bool json_ok(const char *text)
{
	const char *end = json_value(text, 0);
	return end && *ws(end) == '\0';
}
