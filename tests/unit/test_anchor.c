/* Trust anchors (src/core/anchor.c): the built-in root anchor (and Debian's copy of it, when
 * installed), trust-anchor files, domain-insecure names and negative trust anchors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"
#include "rootwalk/anchor.h"

#define ROOT_DS "/usr/share/dns/root.ds"
#define SEC	1000000LL

/* The root KSKs' DS digests, as published by IANA: checked here independently of anchor.c. */
static const struct {
	uint16_t tag;
	const char *digest;
} root_ksk[] = {
	{20326, "e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc683457104237c7f8ec8d"},
	{38696, "683d2d0acb8c9b712a1948b27f741219298d0a450d612c483af444a4c0fb2b16"},
};

static ldns_rdf *dname(const char *s)
{
	ldns_rdf *d = ldns_dname_new_frm_str(s);
	if (!d)
		abort();
	return d;
}

/* The DS records of the anchor at name, or NULL. */
static ldns_rr_list *ds_at(struct rw_anchors *a, const char *name)
{
	ldns_rdf *n = dname(name), *owner = NULL;
	ldns_rr_list *ds = NULL;

	if (!rw_anchors_find(a, n, &owner, &ds))
		ds = NULL;
	ldns_rdf_deep_free(owner);
	ldns_rdf_deep_free(n);
	return ds;
}

static bool has_ds(const ldns_rr_list *ds, uint16_t tag, const char *hex)
{
	for (size_t i = 0; ds && i < ldns_rr_list_rr_count(ds); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ds, i);
		char *d = ldns_rdf2str(ldns_rr_rdf(rr, 3));
		bool ok = d && ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)) == tag &&
			  strcasecmp(d, hex) == 0 &&
			  ldns_rdf2native_int8(ldns_rr_rdf(rr, 1)) == 8 &&
			  ldns_rdf2native_int8(ldns_rr_rdf(rr, 2)) == 2;
		free(d);
		if (ok)
			return true;
	}
	return false;
}

static void test_builtin(void)
{
	struct rw_anchors *a = rw_anchors_new(), *deb = rw_anchors_new();
	ldns_rr_list *ds;
	char err[256];

	CHECK_EQ(rw_anchors_add_builtin(a), 0);
	CHECK_EQ(rw_anchors_each(a, NULL, NULL), 1);
	ds = ds_at(a, "www.example.com.");
	CHECK(ds != NULL);
	CHECK_EQ(ds ? ldns_rr_list_rr_count(ds) : 0, 2);
	for (size_t i = 0; i < 2; i++)
		CHECK(has_ds(ds, root_ksk[i].tag, root_ksk[i].digest));
	ldns_rr_list_deep_free(ds);

	if (access(ROOT_DS, R_OK) != 0) {
		printf("anchor: %s is not installed (dns-root-data): comparison skipped\n",
		       ROOT_DS);
	} else {
		ldns_rr_list *mine = ds_at(a, "."), *theirs;
		CHECK_EQ(rw_anchors_load_file(deb, ROOT_DS, err, sizeof(err)), 0);
		theirs = ds_at(deb, ".");
		CHECK(mine && theirs);
		if (mine && theirs) {
			ldns_rr_list_sort(mine);
			ldns_rr_list_sort(theirs);
			CHECK_EQ(ldns_rr_list_compare(mine, theirs), 0);
		}
		ldns_rr_list_deep_free(mine);
		ldns_rr_list_deep_free(theirs);
	}
	rw_anchors_free(a);
	rw_anchors_free(deb);
}

static int write_file(char *path, const char *text)
{
	int fd;
	FILE *f;

	strcpy(path, "/tmp/rw-anchor-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		abort();
	fputs(text, f);
	fclose(f);
	return 0;
}

/* Load text as a trust-anchor file; returns the result, the message in err. */
static int load(struct rw_anchors *a, const char *text, char *err, size_t errlen)
{
	char path[64];
	int rc;

	write_file(path, text);
	err[0] = '\0';
	rc = rw_anchors_load_file(a, path, err, errlen);
	unlink(path);
	return rc;
}

static void test_file(void)
{
	struct rw_anchors *a = rw_anchors_new();
	char err[256];
	ldns_rr_list *ds;

	/* DS and DNSKEY (KSK-2017's key: its SHA-256 DS is the built-in record), relative names
	 * under $ORIGIN, $TTL, comments, a multi-line record, no final newline. */
	CHECK_EQ(load(a,
		      "; the root KSK as a key\n"
		      "$TTL 172800\n"
		      ".  IN DNSKEY 257 3 8 (\n"
		      "  AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3\n"
		      "  +/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kv\n"
		      "  ArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF\n"
		      "  0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+e\n"
		      "  oZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfd\n"
		      "  RUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwN\n"
		      "  R1AkUTV74bU= ) ; KSK-2017\n"
		      "\n"
		      "$ORIGIN example.\n"
		      "sub 3600 IN DS 12345 13 2 "
		      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
		      "; trailing comment, no newline",
		      err, sizeof(err)),
		 0);
	CHECK_EQ(err[0], '\0');
	CHECK_EQ(rw_anchors_each(a, NULL, NULL), 2);
	ds = ds_at(a, "a.b.sub.EXAMPLE.");
	CHECK(has_ds(ds, 12345,
		     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") ==
	      false); /* algorithm 13, not 8: has_ds checks 8 */
	CHECK_EQ(ds ? ldns_rr_list_rr_count(ds) : 0, 1);
	ldns_rr_list_deep_free(ds);
	ds = ds_at(a, "org.");
	CHECK(has_ds(ds, root_ksk[0].tag, root_ksk[0].digest));
	ldns_rr_list_deep_free(ds);

	/* Errors name the file's line. */
	CHECK(load(a, "; ok\n. IN DS 1 8 2 00ff\nexample. IN A 192.0.2.1\n", err, sizeof(err)) < 0);
	CHECK(strstr(err, ":3: a A record") != NULL);
	CHECK(load(a, "\n\n. IN DS 1 8 2 zz\n", err, sizeof(err)) < 0);
	CHECK(strstr(err, ":3: ") != NULL);
	if (getenv("RW_SHOW"))
		fprintf(stderr, "%s\n", err);
	CHECK(load(a, "garbage", err, sizeof(err)) < 0);
	CHECK(strstr(err, ":1: ") != NULL);
	CHECK(load(a, "; nothing\n\n", err, sizeof(err)) < 0);
	CHECK(strstr(err, "no DS or DNSKEY") != NULL);
	CHECK(rw_anchors_load_file(a, "/nonexistent/anchors", err, sizeof(err)) < 0);
	CHECK(strstr(err, "/nonexistent/anchors: ") == err);
	CHECK(rw_anchors_add_text(a, "example. CH DS 1 8 2 00ff", err, sizeof(err)) < 0);
	rw_anchors_free(a);

	/* No anchor above a name: not found. */
	a = rw_anchors_new();
	CHECK(rw_anchors_add_text(a, "example. DS 1 8 2 00ff", err, sizeof(err)) == 0);
	CHECK(ds_at(a, "example.org.") == NULL);
	CHECK(ds_at(a, "org.") == NULL);
	rw_anchors_free(a);
}

static char listed[512];

static void list_cb(void *arg, const char *name, int64_t expires_us)
{
	size_t n = strlen(listed);
	snprintf(listed + n, sizeof(listed) - n, "%s@%lld ", name, (long long)(expires_us / SEC));
	(*(int *)arg)++;
}

static void test_insecure_nta(void)
{
	struct rw_anchors *a = rw_anchors_new(), *b = rw_anchors_new();
	ldns_rdf *ex = dname("Example.COM."), *sub = dname("www.example.com."),
		 *org = dname("org."), *lan = dname("lan.");
	char which[256];
	int calls = 0;
	int64_t now = 1000 * SEC;

	CHECK_EQ(rw_anchors_add_insecure(a, lan), 0);
	CHECK_EQ(rw_anchors_add_insecure(a, lan), 0);
	CHECK_EQ(rw_anchors_insecure(a, sub, now, which, sizeof(which)), RW_INSECURE_NOT);
	CHECK_EQ(which[0], '\0');
	CHECK_EQ(rw_anchors_insecure(a, lan, now, which, sizeof(which)), RW_INSECURE_DOMAIN);
	CHECK(strcmp(which, "lan.") == 0);

	CHECK_EQ(rw_anchors_nta_add(a, ex, 60, now), 0);
	CHECK_EQ(rw_anchors_insecure(a, sub, now, which, sizeof(which)), RW_INSECURE_NTA);
	CHECK(strcmp(which, "example.com.") == 0);
	CHECK_EQ(rw_anchors_insecure(a, org, now, NULL, 0), RW_INSECURE_NOT);
	/* expires after 60 s */
	CHECK_EQ(rw_anchors_insecure(a, sub, now + 59 * SEC, NULL, 0), RW_INSECURE_NTA);
	CHECK_EQ(rw_anchors_insecure(a, sub, now + 60 * SEC, NULL, 0), RW_INSECURE_NOT);
	CHECK_EQ(rw_anchors_nta_list(a, now + 60 * SEC, list_cb, &calls), 0);

	/* renewal, list in name order, remove */
	CHECK_EQ(rw_anchors_nta_add(a, org, 10, now), 0);
	CHECK_EQ(rw_anchors_nta_add(a, ex, 10, now), 0);
	CHECK_EQ(rw_anchors_nta_add(a, ex, 3600, now), 0);
	CHECK_EQ(rw_anchors_nta_list(a, now, list_cb, &calls), 2);
	CHECK_EQ(calls, 2);
	CHECK(strcmp(listed, "example.com.@4600 org.@1010 ") == 0); /* canonical order */
	CHECK(rw_anchors_nta_remove(a, org));
	CHECK(!rw_anchors_nta_remove(a, org));

	/* move: b gets a's NTAs (the later expiry wins for one in both) */
	CHECK_EQ(rw_anchors_nta_add(b, ex, 10, now), 0);
	rw_anchors_nta_move(b, a);
	CHECK_EQ(rw_anchors_nta_list(a, now, NULL, NULL), 0);
	listed[0] = '\0';
	CHECK_EQ(rw_anchors_nta_list(b, now, list_cb, &calls), 1);
	CHECK(strcmp(listed, "example.com.@4600 ") == 0);

	/* replace: a takes b's anchors and insecure names (none), keeps its NTAs */
	CHECK_EQ(rw_anchors_add_builtin(b), 0);
	CHECK_EQ(rw_anchors_nta_add(a, org, 10, now), 0);
	rw_anchors_replace(a, b);
	CHECK_EQ(rw_anchors_each(a, NULL, NULL), 1);
	CHECK_EQ(rw_anchors_each(b, NULL, NULL), 0);
	CHECK_EQ(rw_anchors_insecure(a, lan, now, NULL, 0), RW_INSECURE_NOT);
	CHECK_EQ(rw_anchors_insecure(b, lan, now, NULL, 0), RW_INSECURE_DOMAIN);
	CHECK_EQ(rw_anchors_insecure(a, org, now, NULL, 0), RW_INSECURE_NTA);

	ldns_rdf_deep_free(ex);
	ldns_rdf_deep_free(sub);
	ldns_rdf_deep_free(org);
	ldns_rdf_deep_free(lan);
	rw_anchors_free(a);
	rw_anchors_free(b);
	rw_anchors_free(NULL);
}

int main(void)
{
	test_builtin();
	test_file();
	test_insecure_nta();
	return rw_check_report("anchor");
}
