/* Unit tests for the configuration file beyond single keys: the key table against the man page,
 * clauses (forward-zone:, stub-zone:) and local zones in unbound.conf's form, every error of a
 * file in one pass, and the suggestions for unknown keys. */
#include "rootwalk/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define MAN_PAGE "man/rootwalkd.conf.5.scd" /* meson runs the unit tests from the source root */

static char err[4096];

/* The errors of text parsed as "t.conf": "" when it is accepted, and then the config is in *out
 * (or freed when out is NULL). */
static const char *errors_of(const char *text, struct rw_config **out)
{
	struct rw_config *cfg = NULL;
	int rc = rw_config_parse(text, strlen(text), "t.conf", &cfg, err, sizeof(err));

	CHECK((rc == 0) == (cfg != NULL));
	CHECK(rc == 0 || rc == -EINVAL);
	CHECK(strchr(err, '\n') == NULL);
	if (out != NULL)
		*out = cfg;
	else
		rw_config_free(cfg);
	return err;
}

static int same(const char *got, const char *want)
{
	if (strcmp(got, want) == 0)
		return 1;
	fprintf(stderr, "   got: '%s'\n  want: '%s'\n", got, want);
	return 0;
}

/* The config of a text that must be accepted, or NULL (with the messages shown). */
static struct rw_config *accepted(const char *text)
{
	struct rw_config *cfg = NULL;

	CHECK(same(errors_of(text, &cfg), ""));
	return cfg;
}

/* A text and every message it must give, "" when it is accepted. */
struct text_case {
	const char *text, *want;
};

static void check_cases(const struct text_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int ok = same(errors_of(c[i].text, NULL), c[i].want);

		CHECK(ok);
		if (!ok)
			fprintf(stderr, "  text: '%s'\n", c[i].text);
	}
}
#define CHECK_CASES(c) check_cases(c, sizeof(c) / sizeof((c)[0]))

/* The man page. */

struct man_entry {
	const char *clause; /* of the section it is in */
	char name[64];
	char text[2048]; /* its paragraph, markup (* and _) dropped and blanks folded */
};

static const char *section_clause(const char *title)
{
	if (strcmp(title, "KEYS") == 0)
		return "server";
	if (strcmp(title, "FORWARD ZONES") == 0)
		return "forward-zone";
	if (strcmp(title, "STUB ZONES") == 0)
		return "stub-zone";
	return NULL;
}

/* Append a line of the man page to an entry's text, without markup. */
static void add_text(struct man_entry *e, const char *line)
{
	size_t n = strlen(e->text);

	for (; *line != '\0' && n + 2 < sizeof(e->text); line++) {
		if (*line == '*' || *line == '_')
			continue;
		if (isspace((unsigned char)*line)) {
			if (n > 0 && e->text[n - 1] != ' ')
				e->text[n++] = ' ';
			continue;
		}
		e->text[n++] = *line;
	}
	if (n > 0 && e->text[n - 1] != ' ' && n + 1 < sizeof(e->text))
		e->text[n++] = ' ';
	e->text[n] = '\0';
}

/* Every "*key:* ..." entry of the man page's key sections. Returns how many, -1 if unreadable. */
static int read_man(struct man_entry *out, int cap)
{
	FILE *f = fopen(MAN_PAGE, "r");
	char line[512];
	const char *clause = NULL;
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "# ", 2) == 0) {
			clause = section_clause(line + 2);
			continue;
		}
		if (clause == NULL)
			continue;
		size_t klen = strcspn(line + 1, ":*");
		if (line[0] == '*' && klen > 0 && klen < 64 &&
		    strncmp(line + 1 + klen, ":*", 2) == 0 && n < cap) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].clause = clause;
			memcpy(out[n].name, line + 1, klen);
			add_text(&out[n++], line);
		} else if (n > 0 && out[n - 1].clause == clause) {
			add_text(&out[n - 1], line);
		}
	}
	fclose(f);
	return n;
}

static const struct man_entry *man_find(const struct man_entry *m, int n, const char *clause,
					const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(m[i].clause, clause) == 0 && strcmp(m[i].name, name) == 0)
			return &m[i];
	return NULL;
}

/* The man page's "Default: X" agrees with the table's default, where the table has one. */
static int default_agrees(const struct man_entry *e, const char *def)
{
	char want[128];
	const char *at;

	snprintf(want, sizeof(want), "Default: %s", def);
	at = strstr(e->text, want);
	return at != NULL && strchr(".,( ", at[strlen(want)]) != NULL;
}

static void test_man_page_lists_every_key(void)
{
	static struct man_entry man[128];
	const struct rw_config_keyinfo *k;
	char range[64];
	int n = read_man(man, 128);

	CHECK(n > 30);
	if (n <= 0)
		return;
	/* Every key of the table is documented in its clause's section... */
	for (size_t i = 0; (k = rw_config_key(i)) != NULL; i++) {
		const struct man_entry *e = man_find(man, n, k->clause, k->name);

		CHECK(e != NULL);
		if (e == NULL) {
			fprintf(stderr, "%s: key %s (%s) is not documented\n", MAN_PAGE, k->name,
				k->clause);
			continue;
		}
		CHECK(k->doc != NULL && k->doc[0] != '\0');
		/* ...with the same default, the same range and the yes/no form of booleans. */
		if (k->def != NULL && !default_agrees(e, k->def)) {
			CHECK(!"default differs");
			fprintf(stderr, "%s: %s: the table's default is '%s'\n", MAN_PAGE, k->name,
				k->def);
		}
		snprintf(range, sizeof(range), "Range %llu..%llu", (unsigned long long)k->lo,
			 (unsigned long long)k->hi);
		if (k->type == RW_CONFIG_NUMBER && strstr(e->text, range) == NULL) {
			CHECK(!"range differs");
			fprintf(stderr, "%s: %s: the table's range is %s\n", MAN_PAGE, k->name,
				range + 6);
		}
		if (k->type == RW_CONFIG_BOOL)
			CHECK(strstr(e->text, ": yes | no ") == e->text + strlen(k->name));
	}
	/* ...and every documented key is in the table. */
	for (int i = 0; i < n; i++) {
		const struct rw_config_keyinfo *found = NULL;

		for (size_t j = 0; (k = rw_config_key(j)) != NULL && found == NULL; j++)
			if (strcmp(k->clause, man[i].clause) == 0 &&
			    strcmp(k->name, man[i].name) == 0)
				found = k;
		CHECK(found != NULL);
		if (found == NULL)
			fprintf(stderr, "%s: documents %s (%s), which the table does not have\n",
				MAN_PAGE, man[i].name, man[i].clause);
	}
}

/* Errors. */

static const struct text_case one_pass[] = {
	{"listen: 127.0.0.1\n"
	 "frobnicate: yes\n"
	 "cache-size: 10x\n"
	 "\n"
	 "trace-format: xml\n",
	 "t.conf:2: unknown key 'frobnicate'; t.conf:3: cache-size: '10x' is not a size; "
	 "t.conf:5: trace-format: expected 'text' or 'json', got 'xml'"},
	/* The checks of the whole file come after those of single lines... */
	{"cache-max-ttl: 10\ncache-min-ttl: 20\nbogus: 1\n",
	 "t.conf:3: unknown key 'bogus'; "
	 "t.conf:2: cache-min-ttl (20) is larger than cache-max-ttl (10)"},
	/* ...and are left out when a line of theirs was refused already. */
	{"cache-min-ttl: 90000\ncache-max-ttl: 5x\n",
	 "t.conf:2: cache-max-ttl: '5x' is not a number"},
	{"cache-max-ttl:\ncache-min-ttl: 90000\n", "t.conf:1: cache-max-ttl: missing value"},
	{"do-ip4: no\ndo-ip6: nope\n", "t.conf:2: do-ip6: expected 'yes' or 'no', got 'nope'"},
	/* A line after an error is still read: a good one changes nothing, a bad one is named. */
	{"listen 127.0.0.1\nlisten: ::1\nlisten: ::1@0\n",
	 "t.conf:1: expected 'key: value'; "
	 "t.conf:3: listen: '::1@0' has an invalid port (1..65535)"},
	/* "; " separates messages, so none contains it. */
	{"view:\n",
	 "t.conf:1: unknown clause 'view:' (an unbound.conf clause that rootwalkd does not have: "
	 "its lines are skipped)"},
};

static void test_every_error_in_one_pass(void)
{
	struct rw_config *cfg;
	char small[120], text[4096];
	size_t n = 0;

	CHECK_CASES(one_pass);

	/* What does not fit is counted, and a message is never cut after the first. */
	for (int i = 1; i <= 20; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "bogus%d: 1\n", i);
	cfg = NULL;
	CHECK(rw_config_parse(text, n, "t.conf", &cfg, small, sizeof(small)) == -EINVAL);
	CHECK(cfg == NULL);
	CHECK(same(small, "t.conf:1: unknown key 'bogus1'; t.conf:2: unknown key 'bogus2'; "
			  "18 more errors"));
	CHECK(rw_config_parse("a: 1\nb: 2\n", 10, "t.conf", &cfg, small, 40) == -EINVAL);
	CHECK(same(small, "t.conf:1: unknown key 'a'; 1 more error"));
	/* A first message longer than the buffer is cut, as before. */
	CHECK(rw_config_parse("a: 1\nb: 2\n", 10, "t.conf", &cfg, small, 12) == -EINVAL);
	CHECK(same(small, "t.conf:1: u"));
}

static const struct text_case suggestions[] = {
	/* Near misses of a key: a letter wrong, swapped, missing, or the case. */
	{"listne: ::1\n", "t.conf:1: unknown key 'listne' (did you mean 'listen'?)"},
	{"cache-max-tll: 5\n",
	 "t.conf:1: unknown key 'cache-max-tll' (did you mean 'cache-max-ttl'?)"},
	{"qname-minimization: yes\n", "t.conf:1: unknown key 'qname-minimization' (did you mean "
				      "'qname-minimisation'?)"},
	{"Trace-Log: off\n", "t.conf:1: unknown key 'Trace-Log' (did you mean 'trace-log'?)"},
	{"upstream-timout: 5\n",
	 "t.conf:1: unknown key 'upstream-timout' (did you mean 'upstream-timeout'?)"},
	/* Nothing near: no guess. */
	{"frobnicate: 1\n", "t.conf:1: unknown key 'frobnicate'"},
	{"ttl: 1\n", "t.conf:1: unknown key 'ttl'"},

	/* unbound.conf's names of the same settings, and of a few it has that we do not. */
	{"interface: 127.0.0.1\n", "t.conf:1: unknown key 'interface' (did you mean 'listen'?)"},
	{"msg-cache-size: 4m\nrrset-cache-size: 8m\n",
	 "t.conf:1: unknown key 'msg-cache-size' (did you mean 'cache-size'?); "
	 "t.conf:2: unknown key 'rrset-cache-size' (did you mean 'cache-size'?)"},
	{"infra-host-ttl: 900\n",
	 "t.conf:1: unknown key 'infra-host-ttl' (did you mean 'infra-ttl'?)"},
	{"max-query-restarts: 11\n",
	 "t.conf:1: unknown key 'max-query-restarts' (did you mean 'max-cname-chain'?)"},
	{"interfase: ::1\n", "t.conf:1: unknown key 'interfase' (did you mean 'listen'?)"},
	{"do-udp: yes\n",
	 "t.conf:1: unknown key 'do-udp' (an unbound.conf key that rootwalkd does not "
	 "have)"},
	{"num-threads: 2\n", ""},
	{"num-threads: 0\n", "t.conf:1: num-threads: 0 is out of range (1..64)"},
	/* do-not-query-localhost is the same key in both. */
	{"do-not-query-localhost: no\n", ""},

	/* Keys of another clause say where they belong. */
	{"forward-addr: 192.0.2.1\n",
	 "t.conf:1: 'forward-addr' is a forward-zone: key, not a server: key"},
	{"name: example.\n",
	 "t.conf:1: 'name' is a forward-zone: or stub-zone: key, not a server: key"},
	{"stub-zone:\n name: a.\n stub-addr: 192.0.2.1\n listen: ::1\n",
	 "t.conf:4: 'listen' is a server: key, not a stub-zone: key (put a 'server:' line "
	 "before it)"},
	{"forward-zone:\n name: a.\n forward-adr: 192.0.2.1\n",
	 "t.conf:3: unknown key 'forward-adr' (did you mean 'forward-addr'?)"},
	/* In an unbound.conf clause we do not have, its own keys are skipped, ours are not. */
	{"remote-control:\n control-enable: yes\n listen: ::1\nserver:\n"
	 "listen: 127.0.0.1\n",
	 "t.conf:1: unknown clause 'remote-control:' (an unbound.conf clause that "
	 "rootwalkd does not have: its lines are skipped); t.conf:3: 'listen' is a "
	 "server: key: put a 'server:' line before it"},
};

static void test_suggestions(void)
{
	CHECK_CASES(suggestions);
}

/* Clauses. */

static const char *addr_of(const struct rw_sockaddr *sa)
{
	static char buf[INET6_ADDRSTRLEN + 8];
	char host[INET6_ADDRSTRLEN];
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&sa->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&sa->ss;

	if (sa->ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
	else
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
	snprintf(buf, sizeof(buf), "%s#%u", host,
		 ntohs(sa->ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port));
	return buf;
}

static const struct text_case zone_errors[] = {
	/* A clause needs a name and a server; its problems name its first line. */
	{"forward-zone:\n\tforward-addr: 192.0.2.1\nstub-zone:\n\tname: a.\n",
	 "t.conf:1: forward-zone: no 'name:' line; "
	 "t.conf:3: stub-zone: no 'stub-addr:' or 'stub-host:' line"},
	/* One clause per name, whatever the kind; one name per clause. */
	{"forward-zone:\n name: a.\n forward-addr: 192.0.2.1\n"
	 "stub-zone:\n name: A\n stub-addr: 192.0.2.2\n name: b.\n",
	 "t.conf:5: name: 'A' is also the name of the forward-zone: clause on line 1; "
	 "t.conf:7: name: a second name in this stub-zone clause"},
	/* Names are domain names, addresses are IPv4 or IPv6 with an optional port. */
	{"stub-zone:\n name: a..b\n stub-addr: 192.0.2.300\n"
	 " stub-addr: ::1@0\n stub-host: x..y\n stub-prime: maybe\n",
	 "t.conf:2: name: 'a..b' is not a domain name; "
	 "t.conf:3: stub-addr: '192.0.2.300' is not an IPv4 or IPv6 address; "
	 "t.conf:4: stub-addr: '::1@0' has an invalid port (1..65535); "
	 "t.conf:5: stub-host: 'x..y' is not a domain name; "
	 "t.conf:6: stub-prime: expected 'yes' or 'no', got 'maybe'"},
	{"forward-zone: now\n name: a.\n forward-addr: ::1\n",
	 "t.conf:1: forward-zone: unexpected value 'now'"},
	{"forward-zone:\n name:\n", "t.conf:2: name: missing value"},
};

static void test_forward_and_stub_zones(void)
{
	struct rw_config *cfg = NULL;

	cfg = accepted("server:\n"
		       "\tlisten: 127.0.0.53\n"
		       "forward-zone:\n"
		       "\tname: \"Example.ORG\"\n"
		       "\tforward-addr: 192.0.2.1@5353\n"
		       "\tforward-addr: 2001:db8::1\n"
		       "\tforward-host: resolver.example # by name\n"
		       "\tforward-first: yes\n"
		       "stub-zone:\n"
		       "\tname: corp.example.\n"
		       "\tstub-host: ns1.corp.example\n"
		       "\tstub-prime: yes\n"
		       "forward-zone:\n"
		       "\tname: .\n"
		       "\tforward-addr: 192.0.2.53\n"
		       "server:\n"
		       "\tlisten: ::1\n");
	if (cfg == NULL)
		return;
	/* Keys after "server:" are server keys again. */
	CHECK_EQ(cfg->n_listen, 2);
	CHECK_EQ(cfg->n_zones, 3);
	const struct rw_config_zone *f = &cfg->zones[0], *s = &cfg->zones[1], *r = &cfg->zones[2];
	CHECK(f->kind == RW_ZONE_FORWARD && f->line == 3);
	CHECK(memcmp(f->name, "\7example\3org", 13) == 0); /* lower case */
	CHECK_EQ(f->n_addrs, 2);
	CHECK(strcmp(addr_of(&f->addrs[0]), "192.0.2.1#5353") == 0);
	CHECK(strcmp(addr_of(&f->addrs[1]), "2001:db8::1#53") == 0);
	CHECK_EQ(f->n_hosts, 1);
	CHECK(memcmp(f->hosts[0], "\10resolver\7example", 18) == 0);
	CHECK(f->first && !f->prime);
	CHECK(s->kind == RW_ZONE_STUB && s->line == 9 && s->n_addrs == 0 && s->n_hosts == 1);
	CHECK(memcmp(s->name, "\4corp\7example", 14) == 0);
	CHECK(s->prime && !s->first); /* stub-first defaults to no */
	CHECK(r->kind == RW_ZONE_FORWARD && r->name[0] == 0 && !r->first && r->n_addrs == 1);
	rw_config_free(cfg);

	CHECK_CASES(zone_errors);
}

static const struct text_case local_errors[] = {
	{"local-zone: home.arpa. statik\n"
	 "local-zone: home.arpa.\n"
	 "local-zone: a..b static\n"
	 "local-zone: x. static\n"
	 "local-zone: X. deny\n"
	 "local-zone: y. frobnicate\n",
	 "t.conf:1: local-zone: unknown type 'statik' (did you mean 'static'?); "
	 "t.conf:2: local-zone: expected 'NAME TYPE', got 'home.arpa.'; "
	 "t.conf:3: local-zone: 'a..b' is not a domain name; "
	 "t.conf:5: local-zone: 'X.' is already a local zone (line 4); "
	 "t.conf:6: local-zone: unknown type 'frobnicate' (deny, refuse, static, "
	 "transparent, ...)"},
	{"local-data: \"x. A 999.1.1.1\"\nlocal-data: \"x. TXT\"\n",
	 "t.conf:1: local-data: 'x. A 999.1.1.1' is not a record (Syntax error, could "
	 "not parse the RR's rdata); t.conf:2: local-data: 'x. TXT' is not a record "
	 "(Syntax error, value expected)"},
	{"local-zone: \"home.arpa. static\n", "t.conf:1: local-zone: unterminated quoted value"},
	/* local-zones (yes/no, the built-in zones) is another key. */
	{"local-zones: static\n", "t.conf:1: local-zones: expected 'yes' or 'no', got 'static'"},
};

static void test_local_zones(void)
{
	struct rw_config *cfg = NULL;

	cfg = accepted("local-zone: \"home.arpa.\" static\n"
		       "local-zone: Example.com always_nxdomain # blocked\n"
		       "local-data: \"printer.home.arpa. A 192.168.1.9\"\n"
		       "local-data: 'txt.home.arpa. 60 TXT \"a # b\"'\n"
		       "local-data: \"x.home.arpa PTR printer.home.arpa\"\n");
	if (cfg == NULL)
		return;
	CHECK_EQ(cfg->n_lzones, 2);
	CHECK(memcmp(cfg->lzones[0].name, "\4home\4arpa", 11) == 0);
	CHECK(cfg->lzones[0].type == RW_LZ_STATIC && cfg->lzones[0].line == 1);
	CHECK(memcmp(cfg->lzones[1].name, "\7example\3com", 13) == 0);
	CHECK(cfg->lzones[1].type == RW_LZ_ALWAYS_NXDOMAIN);
	CHECK_EQ(cfg->n_ldata, 3);
	/* printer.home.arpa. A IN 3600 192.168.1.9, in wire form. */
	static const uint8_t a_rr[] =
		"\7printer\4home\4arpa\0\0\1\0\1\0\0\x0e\x10\0\4\xc0\xa8\1\x09";
	CHECK(cfg->ldata[0].len == sizeof(a_rr) - 1 && cfg->ldata[0].type == 1);
	CHECK(memcmp(cfg->ldata[0].rr, a_rr, sizeof(a_rr) - 1) == 0);
	/* TXT "a # b" with TTL 60: the '#' inside quotes is data. */
	static const uint8_t txt_rr[] = "\3txt\4home\4arpa\0\0\x10\0\1\0\0\0\x3c\0\6\5a # b";
	CHECK(cfg->ldata[1].len == sizeof(txt_rr) - 1 && cfg->ldata[1].type == 16);
	CHECK(memcmp(cfg->ldata[1].rr, txt_rr, sizeof(txt_rr) - 1) == 0);
	/* Names without a final dot are taken from the root. */
	CHECK(cfg->ldata[2].type == 12 && cfg->ldata[2].len == 13 + 10 + 19);
	rw_config_free(cfg);

	CHECK_CASES(local_errors);
}

static void test_single_quotes(void)
{
	struct rw_config *cfg = NULL;

	/* As in unbound.conf, single quotes work as double quotes do. */
	cfg = accepted("root-hints: '/etc/my \"hints\" # 1' # comment\n");
	CHECK(cfg != NULL && strcmp(cfg->root_hints, "/etc/my \"hints\" # 1") == 0);
	rw_config_free(cfg);
	static const struct text_case unterminated[] = {
		{"root-hints: 'x\n", "t.conf:1: root-hints: unterminated quoted value"},
	};
	CHECK_CASES(unterminated);
}

int main(void)
{
	test_man_page_lists_every_key();
	test_every_error_in_one_pass();
	test_suggestions();
	test_forward_and_stub_zones();
	test_local_zones();
	test_single_quotes();
	return rw_check_report("test_config_syntax");
}
