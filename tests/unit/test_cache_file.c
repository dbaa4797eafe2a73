/* The cache file (dump-cache lines read back by load-cache): every kind of entry, hostile rdata
 * and names included, reads back to an entry that dumps to the same line; expiry stays absolute;
 * expired and already cached entries are skipped; the TTL caps and cache-size hold; malformed
 * lines are refused with a reason and never crash. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "check.h"
#include "rootwalk/cache.h"
#include "rootwalk/cachefile.h"
#include "testrr.h"
#include "../../src/core/sbuf.h"

#define SEC 1000000LL
static const int64_t T0 = 1795600800LL * SEC; /* 2026-11-25T10:00:00Z */

static struct rw_cache *cache(uint32_t max_ttl, size_t max_bytes)
{
	struct rw_cache_opts o = {
		.max_ttl = max_ttl, .max_negative_ttl = 3600, .max_bytes = max_bytes};
	uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	return rw_cache_new(&o, key);
}

static struct rw_source *source(const char *server, const char *zone, const char *ip, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};

	inet_pton(AF_INET, ip, &sin.sin_addr);
	return rw_source_new(server, zone, (struct sockaddr *)&sin, sizeof(sin));
}

/* A list of records from zone-file lines (NULL-terminated). */
static ldns_rr_list *rrs(const char *const *lines)
{
	ldns_rr_list *l = ldns_rr_list_new();

	for (; *lines; lines++) {
		ldns_rr *r = rr(*lines);
		CHECK(r != NULL);
		if (r)
			ldns_rr_list_push_rr(l, r);
	}
	return l;
}

static void put_set(struct rw_cache *c, const char *const *lines, const char *const *proof,
		    enum rw_rank rank, struct rw_source *src, int64_t at)
{
	ldns_rr_list *l = rrs(lines), *p = proof ? rrs(proof) : NULL;

	CHECK_EQ(rw_cache_store_rrset_proof(c, l, p, rank, src, at), 1);
	ldns_rr_list_deep_free(l);
	ldns_rr_list_deep_free(p);
}

/* Every kind of entry, with data that ldns cannot read back from its own presentation. */
static void fill(struct rw_cache *c)
{
	struct rw_source *src = source("ns1.example.", "example.", "192.0.2.30", 53);
	struct rw_source *odd = source("ns\\032x.example.", "", "198.51.100.7", 5353);
	const int64_t at = T0 + 123456; /* not on a millisecond */

	put_set(c,
		(const char *const[]){"a.example. 300 IN A 192.0.2.1",
				      "a.example. 300 IN A 192.0.2.2",
				      "a.example. 300 IN RRSIG A 8 2 300 20261225000000 "
				      "20261125000000 12345 example. AAECAwQ=",
				      NULL},
		NULL, RW_RANK_ANSWER, src, at);
	/* validated: secure, its life ended early by a signature */
	ldns_rdf *a = dn("a.example.");
	CHECK(rw_cache_set_vstate(c, RW_ENTRY_RRSET, a, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
				  RW_VSTATE_SECURE, T0 + 200 * SEC, T0));
	ldns_rdf_deep_free(a);
	put_set(c,
		(const char *const[]){"t.example. 600 IN TXT \"x | y\" \"data: z\" \"q\\\"r\"",
				      "t.example. 600 IN TXT \"\\255\\000;\" \"sigs:\"",
				      "t.example. 600 IN TXT \"(\" \"\"", NULL},
		NULL, RW_RANK_NONAUTH_ANSWER, odd, at);
	put_set(c, (const char *const[]){"c.example. 60 IN CAA 0 issue \"ca.example; x\"", NULL},
		NULL, RW_RANK_ANSWER, src, at);
	put_set(c, (const char *const[]){"h.example. 60 IN HINFO \"a b\" \"c\"", NULL}, NULL,
		RW_RANK_ANSWER, NULL, at);
	put_set(c, (const char *const[]){"u.example. 60 IN TYPE65400 \\# 3 7c2020", NULL}, NULL,
		RW_RANK_ANSWER, src, at);
	put_set(c, (const char *const[]){"n.example. 60 IN NULL \\# 0", NULL}, NULL, RW_RANK_ANSWER,
		src, at);
	put_set(c,
		(const char *const[]){"q\\\"\\;\\|\\032x.example. 60 IN MX 10 m\\|.example.", NULL},
		NULL, RW_RANK_ANSWER, src, at);
	/* a wildcard expansion, with its proof */
	put_set(c, (const char *const[]){"w.wild.example. 120 IN A 192.0.2.9", NULL},
		(const char *const[]){"v.wild.example. 120 IN NSEC x.wild.example. A RRSIG NSEC",
				      "v.wild.example. 120 IN RRSIG NSEC 8 3 120 20261225000000 "
				      "20261125000000 12345 example. AAECAwQ=",
				      NULL},
		RW_RANK_ANSWER, src, at);
	/* negative entries: NXDOMAIN with proof, NODATA with and without an SOA */
	ldns_rr *soa = rr("example. 900 IN SOA ns1.example. host.example. 1 2 3 4 100");
	ldns_rr_list *proof =
		rrs((const char *const[]){"m.example. 100 IN NSEC p.example. A NSEC RRSIG", NULL});
	ldns_rdf *nx = dn("nope.example."), *nd = dn("a.example."), *nd2 = dn("d.example.");
	CHECK_EQ(rw_cache_store_negative_proof(c, RW_ENTRY_NXDOMAIN, nx, 0, LDNS_RR_CLASS_IN, soa,
					       proof, RW_RANK_AUTH_AUTHORITY, src, at),
		 1);
	CHECK_EQ(rw_cache_store_negative(c, RW_ENTRY_NODATA, nd, LDNS_RR_TYPE_AAAA,
					 LDNS_RR_CLASS_IN, soa, RW_RANK_AUTH_AUTHORITY, src, at),
		 1);
	CHECK_EQ(rw_cache_store_negative(c, RW_ENTRY_NODATA, nd2, LDNS_RR_TYPE_MX, LDNS_RR_CLASS_IN,
					 NULL, RW_RANK_ANSWER, NULL, at),
		 1);
	ldns_rr_list *glue = rrs((const char *const[]){"ns1.example. 3600 IN A 192.0.2.30", NULL});
	CHECK_EQ(rw_cache_store_parent_glue(c, glue, src, at), 1);
	ldns_rr_list_deep_free(glue);
	ldns_rr_free(soa);
	ldns_rr_list_deep_free(proof);
	ldns_rdf_deep_free(nx);
	ldns_rdf_deep_free(nd);
	ldns_rdf_deep_free(nd2);
	rw_source_unref(src);
	rw_source_unref(odd);
}

/* The dump of a cache as lines, sorted. */
struct dump {
	char *lines[64];
	int n;
	int64_t now;
};

static void dump_cb(void *arg, const struct rw_cache_entry *e)
{
	struct dump *d = arg;
	struct rw_sbuf b = {0};

	rw_cachefile_format(&b, e, d->now);
	CHECK(!b.oom && b.p != NULL);
	if (d->n < 64)
		d->lines[d->n++] = b.p;
	else
		free(b.p);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dump(struct rw_cache *c, int64_t now, struct dump *d)
{
	memset(d, 0, sizeof(*d));
	d->now = now;
	rw_cache_walk(c, NULL, 0, now, dump_cb, d);
	qsort(d->lines, (size_t)d->n, sizeof(char *), cmp_str);
}

static void dump_free(struct dump *d)
{
	for (int i = 0; i < d->n; i++)
		free(d->lines[i]);
}

static int load(struct rw_cache *c, const char *line, int64_t now)
{
	struct rw_cache_entry e;
	char err[256] = "";
	int rc = rw_cachefile_parse(line, strlen(line), &e, err, sizeof(err));

	if (rc <= 0) {
		fprintf(stderr, "not read (%d): %s\n  %s", rc, err, line);
		return -1000 + rc;
	}
	rc = rw_cachefile_store(c, &e, now);
	rw_cache_entry_clear(&e);
	return rc;
}

static const char *find(const struct dump *d, const char *prefix)
{
	for (int i = 0; i < d->n; i++)
		if (strncmp(d->lines[i], prefix, strlen(prefix)) == 0)
			return d->lines[i];
	return NULL;
}

/* Dump at T0+1s, load into a new cache at T0+2s: the new cache dumps the same lines as the old
 * one at T0+3s, every field (TTL left, expiry, provenance, rank, validation state) and every
 * record, RRSIG and proof alike. */
static void test_round_trip(void)
{
	struct rw_cache *a = cache(86400, 0), *b = cache(86400, 0);
	struct dump d, da, db;

	fill(a);
	dump(a, T0 + 1 * SEC, &d);
	if (getenv("SHOW"))
		for (int i = 0; i < d.n; i++)
			fputs(d.lines[i], stderr);
	CHECK_EQ(d.n, 12);
	for (int i = 0; i < d.n; i++)
		CHECK_EQ(load(b, d.lines[i], T0 + 2 * SEC), RW_CACHEFILE_STORED);
	dump(a, T0 + 3 * SEC, &da);
	dump(b, T0 + 3 * SEC, &db);
	CHECK_EQ(da.n, db.n);
	for (int i = 0; i < da.n && i < db.n; i++) {
		CHECK(strcmp(da.lines[i], db.lines[i]) == 0);
		if (strcmp(da.lines[i], db.lines[i]) != 0)
			fprintf(stderr, "  was: %s  now: %s", da.lines[i], db.lines[i]);
	}
	/* what the lines say, for people and for the reader */
	const char *l =
		find(&db, "a.example. A rrset ttl=197 orig_ttl=300 "
			  "stored=2026-11-25T10:00:00.123Z expires=2026-11-25T10:03:20.000Z ");
	CHECK(l && strstr(l, " server=ns1.example. addr=192.0.2.30 zone=example. "
			     "rank=authoritative-answer vstate=secure rrsigs=1 data: 192.0.2.1 | "
			     "192.0.2.2 sigs: A 8 2 300 20261225000000 20261125000000 12345 "
			     "example. AAECAwQ=\n"));
	l = find(&db, "t.example. TXT rrset ");
	CHECK(l && strstr(l, "addr=198.51.100.7@5353 zone=? rank=non-authoritative-answer "));
	CHECK(l && strstr(l, " data: \"x | y\" \"data: z\" \"q\\\"r\" | "));
	l = find(&db, "c.example. CAA rrset ");
	CHECK(l && strstr(l, " data: 0 issue \"ca.example; x\"\n"));
	l = find(&db, "h.example. HINFO rrset ");
	CHECK(l && strstr(l, " data: \"a b\" \"c\"\n") != NULL);
	l = find(&db, "u.example. TYPE65400 rrset ");
	CHECK(l && strstr(l, " data: \\# 3 7c2020\n") != NULL);
	/* a name of any bytes is one token */
	CHECK(find(&db, "q\\034\\059\\124\\032x.example. MX rrset ") != NULL);
	l = find(&db, "n.example. NULL rrset ");
	CHECK(l && strstr(l, " data: \\# 0\n"));
	l = find(&db, "w.wild.example. A rrset ");
	CHECK(l && strstr(l, " proof: v.wild.example. 120 IN NSEC x.wild.example. A RRSIG NSEC | "
			     "v.wild.example. 120 IN RRSIG NSEC "));
	l = find(&db, "nope.example. - nxdomain ");
	CHECK(l && strstr(l, " soa: example. 100 IN SOA ns1.example. host.example. 1 2 3 4 100 "
			     "proof: m.example. 100 IN NSEC p.example. A RRSIG NSEC\n"));
	l = find(&db, "d.example. MX nodata ttl=3 orig_ttl=5 ");
	CHECK(l &&
	      strstr(l, "server=? addr=? zone=? rank=authoritative-answer vstate=unchecked\n"));
	CHECK(find(&db, "ns1.example. A parent-glue ") != NULL);

	/* The loaded entries answer as the old ones did: validation state, rank and source kept. */
	struct rw_cache_entry e;
	ldns_rdf *name = dn("a.example.");
	CHECK(rw_cache_get(b, RW_ENTRY_RRSET, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, T0 + 3 * SEC,
			   RW_RANK_ANSWER, &e));
	CHECK_EQ(e.vstate, RW_VSTATE_SECURE);
	CHECK_EQ(e.expires_us, T0 + 200 * SEC);
	CHECK_EQ(e.stored_us, T0 + 123000);
	CHECK(e.src && strcmp(e.src->server, "ns1.example.") == 0);
	CHECK_EQ(ldns_rr_list_rr_count(e.sigs), 1);
	rw_cache_entry_clear(&e);
	/* Loaded again: already cached, kept. */
	CHECK_EQ(load(b, d.lines[0], T0 + 30 * SEC), RW_CACHEFILE_PRESENT);
	ldns_rdf_deep_free(name);

	dump_free(&d);
	dump_free(&da);
	dump_free(&db);
	rw_cache_free(a);
	rw_cache_free(b);
}

/* Entries whose expiry passed before the load are skipped; the new cache's TTL caps shorten the
 * others, never lengthen them. */
static void test_expired_and_caps(void)
{
	struct rw_cache *a = cache(86400, 0), *b = cache(100, 0);
	struct dump d, db;

	fill(a);
	dump(a, T0, &d);
	int stored = 0, expired = 0;
	for (int i = 0; i < d.n; i++) {
		int rc = load(b, d.lines[i], T0 + 90 * SEC);
		stored += rc == RW_CACHEFILE_STORED;
		expired += rc == RW_CACHEFILE_EXPIRED;
	}
	/* c., h., u., n., q. (60 s) and the NODATA without SOA (5 s) had expired; with max-ttl 100
	 * the rest is kept until T0+100s (stored at T0) */
	CHECK_EQ(expired, 6);
	CHECK_EQ(stored, 6);
	dump(b, T0 + 90 * SEC, &db);
	CHECK_EQ(db.n, 6);
	for (int i = 0; i < db.n; i++)
		CHECK(strstr(db.lines[i], " ttl=11 ") != NULL);
	const char *l = find(&db, "t.example. TXT rrset ");
	CHECK(l && strstr(l, " expires=2026-11-25T10:01:40.123Z ") != NULL);
	/* a line whose expiry is past is skipped, whatever the TTL says */
	static const char line[] =
		"late.example. A rrset ttl=300 orig_ttl=300 stored=2026-11-25T09:00:00.000Z "
		"expires=2026-11-25T09:05:00.000Z local=x server=? addr=? zone=? "
		"rank=authoritative-answer vstate=unchecked data: 192.0.2.1";
	CHECK_EQ(load(b, line, T0), RW_CACHEFILE_EXPIRED);
	dump_free(&d);
	dump_free(&db);
	rw_cache_free(a);
	rw_cache_free(b);
}

/* A load of 20,000 entries into a cache of 256 KiB stays within it, evicting as any store does. */
static void test_bounded_by_cache_size(void)
{
	struct rw_cache *c = cache(86400, 256 * 1024);
	char line[512];
	int stored = 0;

	for (int i = 0; i < 20000; i++) {
		snprintf(line, sizeof(line),
			 "h%d.example. A rrset ttl=300 orig_ttl=300 "
			 "stored=2026-11-25T10:00:00.000Z expires=2026-11-25T10:05:00.000Z "
			 "server=ns1.example. addr=192.0.2.30 zone=example. "
			 "rank=authoritative-answer vstate=insecure data: 192.0.2.%d",
			 i, i & 255);
		stored += load(c, line, T0 + SEC) == RW_CACHEFILE_STORED;
	}
	CHECK_EQ(stored, 20000);
	CHECK(rw_cache_bytes(c) <= 256 * 1024);
	CHECK(rw_cache_count(c) < 5000);
	CHECK(rw_cache_evictions(c) > 15000);
	rw_cache_free(c);
}

/* Lines that are not cache file lines: each is refused with its reason. */
static void test_malformed(void)
{
	static const char head[] = "x.example. A rrset ttl=1 orig_ttl=300 "
				   "stored=2026-11-25T10:00:00.000Z "
				   "expires=2026-11-25T10:05:00.000Z ";
	static const struct {
		const char *line, *reason;
		bool whole;
	} bad[] = {
		{"garbage", "too few fields", true},
		{"x.example. A frob stored=", "unknown kind 'frob'", true},
		{"x.example. - rrset stored=", "type '-' with kind rrset", true},
		{"x.example. A nxdomain stored=", "type 'A' with kind nxdomain", true},
		{"x..example. A rrset stored=", "is not a domain name", true},
		{"x.example. A rrset stored=2026-02-30T10:00:00.000Z", "is not a time", true},
		{"x.example. A rrset stored=yesterday", "is not a time", true},
		{"x.example. A rrset expires=2026-11-25T10:00:00.000Z data: 192.0.2.1",
		 "stored= and expires= are needed", true},
		{"x.example. A rrset stored=2026-11-25T10:00:00.000Z "
		 "expires=2026-11-25T09:00:00.000Z data: 192.0.2.1",
		 "expires before it was stored", true},
		{"orig_ttl=abc data: 192.0.2.1", "not a number of seconds", false},
		{"rank=supreme data: 192.0.2.1", "unknown rank", false},
		{"vstate=maybe data: 192.0.2.1", "unknown validation state", false},
		{"addr=192.0.2.300 data: 192.0.2.1", "is not an address", false},
		{"data: 192.0.2.1 |", "an empty item in data:", false},
		{"data: | 192.0.2.1", "an empty item in data:", false},
		{"data:", "an empty item in data:", false},
		{"data: 192.0.2.999", "is not a record ldns can read", false},
		{"data: 192.0.2.1 data: 192.0.2.2", "data: given twice", false},
		{"data: 192.0.2.1 proof: x.example. 60 IN A 192.0.2.1", "wrong type", false},
		{"data: \"192.0.2.1", "is not closed", false},
		{"soa: example. 60 IN SOA a. b. 1 2 3 4 5 data: 192.0.2.1", "has no soa:", false},
		{"rank=authoritative-answer", "needs data:", false},
		{"bogus data: 192.0.2.1", "neither key=value nor", false},
	};
	char line[1024], err[256];
	struct rw_cache_entry e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "%s%s", bad[i].whole ? "" : head, bad[i].line);
		err[0] = '\0';
		CHECK_EQ(rw_cachefile_parse(line, strlen(line), &e, err, sizeof(err)), -EINVAL);
		CHECK(strstr(err, bad[i].reason) != NULL);
		if (!strstr(err, bad[i].reason))
			fprintf(stderr, "  %s\n  gave: %s\n", line, err);
	}
	CHECK_EQ(rw_cachefile_parse("x\x01y", 3, &e, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "byte 0x01 at column 2") != NULL);
	snprintf(line, sizeof(line),
		 "nope.example. - nxdomain stored=2026-11-25T10:00:00.000Z "
		 "expires=2026-11-25T10:05:00.000Z");
	CHECK_EQ(rw_cachefile_parse(line, strlen(line), &e, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "needs its soa:") != NULL);
	/* comments (the dump's last line) and blank lines are no entries */
	CHECK_EQ(rw_cachefile_parse(";; 12 entries\n", 14, &e, err, sizeof(err)), 0);
	CHECK_EQ(rw_cachefile_parse("  \r\n", 4, &e, err, sizeof(err)), 0);
	/* at most RW_CACHEFILE_MAX_ITEMS records in a section */
	struct rw_sbuf b = {0};
	rw_sbuf_puts(&b, head);
	rw_sbuf_puts(&b, "data: 192.0.2.1");
	for (int i = 0; i < RW_CACHEFILE_MAX_ITEMS; i++)
		rw_sbuf_puts(&b, " | 192.0.2.1");
	CHECK_EQ(rw_cachefile_parse(b.p, b.len, &e, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "more than 4096 records") != NULL);
	free(b.p);
	/* unknown keys are left for a later version; a good line reads */
	snprintf(line, sizeof(line), "%sfuture=1 data: 192.0.2.1", head);
	CHECK_EQ(rw_cachefile_parse(line, strlen(line), &e, err, sizeof(err)), 1);
	rw_cache_entry_clear(&e);
}

/* Every prefix of every line of a dump is read or refused, never crashes (AddressSanitizer). */
static void test_truncated(void)
{
	struct rw_cache *a = cache(86400, 0);
	struct rw_cache_entry e;
	struct dump d;
	char err[256];
	int read = 0;

	fill(a);
	dump(a, T0, &d);
	for (int i = 0; i < d.n; i++) {
		size_t len = strlen(d.lines[i]);
		for (size_t n = 0; n <= len; n++) {
			char *copy = malloc(n ? n : 1);
			memcpy(copy, d.lines[i], n);
			int rc = rw_cachefile_parse(copy, n, &e, err, sizeof(err));
			if (rc > 0) {
				read++;
				rw_cache_entry_clear(&e);
			}
			free(copy);
		}
	}
	CHECK(read >= d.n);
	dump_free(&d);
	rw_cache_free(a);
}

int main(void)
{
	test_round_trip();
	test_expired_and_caps();
	test_bounded_by_cache_size();
	test_malformed();
	test_truncated();
	return rw_check_report("cache_file");
}
