/* The table of domain names (src/core/nametable.c): find in any case, names kept lower-cased,
 * use order, remove while walking, many names in few buckets, fini frees every node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "../../src/core/nametable.h"
#include "check.h"

static const uint8_t key[16] = {16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};

struct item {
	struct rw_ntab_node t; /* first */
	int value;
};

static int freed;

static void item_free(struct rw_ntab_node *t)
{
	ldns_rdf_deep_free(t->name);
	free(t);
	freed++;
}

static ldns_rdf *dname(const char *s)
{
	ldns_rdf *d = ldns_dname_new_frm_str(s);
	if (!d)
		abort();
	return d;
}

static struct item *add(struct rw_ntab *t, const char *name, int value)
{
	struct item *it = calloc(1, sizeof(*it));
	if (!it)
		abort();
	it->value = value;
	rw_ntab_insert(t, &it->t, dname(name));
	return it;
}

static struct item *find(const struct rw_ntab *t, const char *name)
{
	ldns_rdf *d = dname(name);
	struct item *it = (struct item *)rw_ntab_find(t, d);
	ldns_rdf_deep_free(d);
	return it;
}

/* The values in use order, as digits: "123". */
static const char *order(const struct rw_ntab *t)
{
	static char buf[64];
	size_t n = 0;

	for (struct rw_ntab_node *nd = rw_ntab_oldest(t); nd && n + 1 < sizeof(buf);
	     nd = rw_ntab_newer(nd))
		buf[n++] = (char)('0' + ((struct item *)nd)->value);
	buf[n] = '\0';
	return buf;
}

static void test_find(void)
{
	struct rw_ntab t;

	CHECK_EQ(rw_ntab_init(&t, 0, 1 << 20, key, item_free), 0);
	CHECK_EQ(t.n_buckets, 16);
	CHECK(rw_ntab_oldest(&t) == NULL);
	CHECK(find(&t, "example.") == NULL);
	struct item *a = add(&t, "Example.COM.", 1);
	add(&t, "example.", 2);
	add(&t, ".", 3);
	CHECK_EQ(t.n, 3);
	CHECK(find(&t, "example.com.") == a);
	CHECK(find(&t, "EXAMPLE.com.") == a);
	CHECK(find(&t, "www.example.com.") == NULL);
	CHECK(find(&t, "example.co.") == NULL);
	CHECK_EQ(find(&t, "EXAMPLE.")->value, 2);
	CHECK_EQ(find(&t, ".")->value, 3);
	/* kept lower-cased */
	char *s = ldns_rdf2str(a->t.name);
	CHECK(s && strcmp(s, "example.com.") == 0);
	free(s);
	rw_ntab_fini(&t);
}

static void test_order(void)
{
	struct rw_ntab t;

	CHECK_EQ(rw_ntab_init(&t, 3, 1 << 20, key, item_free), 0);
	struct item *a = add(&t, "a.", 1);
	struct item *b = add(&t, "b.", 2);
	struct item *c = add(&t, "c.", 3);
	CHECK(strcmp(order(&t), "123") == 0);
	rw_ntab_touch(&t, &a->t);
	CHECK(strcmp(order(&t), "231") == 0);
	rw_ntab_touch(&t, &a->t); /* already the newest */
	CHECK(strcmp(order(&t), "231") == 0);
	rw_ntab_touch(&t, &c->t);
	CHECK(strcmp(order(&t), "213") == 0);
	CHECK(rw_ntab_oldest(&t) == &b->t);
	rw_ntab_remove(&t, &b->t);
	item_free(&b->t);
	CHECK_EQ(t.n, 2);
	CHECK(find(&t, "b.") == NULL);
	CHECK(strcmp(order(&t), "13") == 0);
	rw_ntab_remove(&t, &c->t); /* the newest */
	item_free(&c->t);
	CHECK(strcmp(order(&t), "1") == 0);
	rw_ntab_remove(&t, &a->t); /* the only one */
	item_free(&a->t);
	CHECK(rw_ntab_oldest(&t) == NULL);
	CHECK_EQ(t.n, 0);
	add(&t, "a.", 4); /* a name can come back */
	CHECK_EQ(find(&t, "A.")->value, 4);
	rw_ntab_fini(&t);
}

/* Many names in 16 buckets: long chains, removal from their middle, and a walk that removes a
 * subtree. */
static void test_many(void)
{
	struct rw_ntab t;
	char name[64];

	CHECK_EQ(rw_ntab_init(&t, 1, 1 << 20, key, item_free), 0);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "n%d.%s.", i, i % 2 ? "odd" : "even");
		add(&t, name, i % 10);
	}
	CHECK_EQ(t.n, 300);
	for (int i = 0; i < 300; i += 7) {
		snprintf(name, sizeof(name), "N%d.%s.", i, i % 2 ? "ODD" : "Even");
		struct item *it = find(&t, name);
		CHECK(it && it->value == i % 10);
	}
	ldns_rdf *odd = dname("odd.");
	size_t gone = 0;
	for (struct rw_ntab_node *nd = rw_ntab_oldest(&t), *next; nd; nd = next) {
		next = rw_ntab_newer(nd);
		if (!rw_ntab_at_or_below(nd->name, odd))
			continue;
		rw_ntab_remove(&t, nd);
		item_free(nd);
		gone++;
	}
	ldns_rdf_deep_free(odd);
	CHECK_EQ(gone, 150);
	CHECK_EQ(t.n, 150);
	CHECK(find(&t, "n3.odd.") == NULL);
	CHECK(find(&t, "n4.even.") != NULL);
	freed = 0;
	rw_ntab_fini(&t);
	CHECK_EQ(freed, 150);
}

static void test_buckets(void)
{
	struct rw_ntab t;

	CHECK_EQ(rw_ntab_init(&t, 17, 1 << 20, key, item_free), 0);
	CHECK_EQ(t.n_buckets, 32);
	rw_ntab_fini(&t);
	CHECK_EQ(rw_ntab_init(&t, 1024, 1 << 20, key, item_free), 0);
	CHECK_EQ(t.n_buckets, 1024);
	rw_ntab_fini(&t);
	CHECK_EQ(rw_ntab_init(&t, 1000, 64, key, item_free), 0); /* at most max_buckets */
	CHECK_EQ(t.n_buckets, 64);
	rw_ntab_fini(&t);
	rw_ntab_fini(&t); /* again: nothing */
}

static void test_at_or_below(void)
{
	ldns_rdf *com = dname("com."), *ex = dname("example.com."), *root = dname(".");

	CHECK(rw_ntab_at_or_below(ex, com));
	CHECK(rw_ntab_at_or_below(com, com));
	CHECK(rw_ntab_at_or_below(com, root));
	CHECK(!rw_ntab_at_or_below(com, ex));
	ldns_rdf_deep_free(com);
	ldns_rdf_deep_free(ex);
	ldns_rdf_deep_free(root);
}

int main(void)
{
	test_find();
	test_order();
	test_many();
	test_buckets();
	test_at_or_below();
	return rw_check_report("nametable");
}
