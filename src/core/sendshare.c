/* Identical upstream queries in flight, sent once: see sendshare.h. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rootwalk/wire.h"
#include "sendshare.h"

#define BUCKETS	 1024 /* power of two */
#define WIRE_MAX 320

struct entry {
	struct entry *next;
	void *owner;
	uint64_t hash;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	bool tcp;
	size_t len;
	uint8_t wire[WIRE_MAX]; /* the query without its ID, the name in lower case */
};

struct rw_sendshare {
	uint8_t key[crypto_shorthash_KEYBYTES];
	struct entry *buckets[BUCKETS];
};

struct rw_sendshare *rw_sendshare_new(const uint8_t key[16])
{
	struct rw_sendshare *s = calloc(1, sizeof(*s));
	if (s)
		memcpy(s->key, key, sizeof(s->key));
	return s;
}

void rw_sendshare_free(struct rw_sendshare *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		while (s->buckets[i]) {
			struct entry *e = s->buckets[i];
			s->buckets[i] = e->next;
			free(e);
		}
	}
	free(s);
}

/* The query as a key: without its ID (bytes 0-1), the question name in lower case. Returns the
 * key's length, 0 when the query is not one we build (too short, or too long). */
static size_t make_key(const uint8_t *wire, size_t len, uint8_t *out)
{
	size_t off = 12;
	uint8_t name[256];
	if (len < 12 || len - 2 > WIRE_MAX)
		return 0;
	int n = rw_wire_read_name(wire, len, &off, name);
	if (n <= 0 || off > len)
		return 0;
	memcpy(out, wire + 2, len - 2);
	for (size_t i = 10; i < 10 + (size_t)n; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (uint8_t)(out[i] + 32);
	return len - 2;
}

static uint64_t hash_of(const struct rw_sendshare *s, const struct sockaddr *addr,
			socklen_t addrlen, bool tcp, const uint8_t *key, size_t klen)
{
	uint8_t out[crypto_shorthash_BYTES], t = tcp;
	uint64_t h = 0;
	/* SipHash over address, transport and key in one buffer */
	uint8_t buf[sizeof(struct sockaddr_storage) + 1 + WIRE_MAX];
	size_t n = 0;
	memcpy(buf, addr, addrlen);
	n += addrlen;
	buf[n++] = t;
	memcpy(buf + n, key, klen);
	n += klen;
	crypto_shorthash(out, buf, n, s->key);
	memcpy(&h, out, sizeof(h));
	return h;
}

void *rw_sendshare_find(struct rw_sendshare *s, const struct sockaddr *addr, socklen_t addrlen,
			bool tcp, const uint8_t *wire, size_t len)
{
	uint8_t key[WIRE_MAX];
	size_t klen = make_key(wire, len, key);
	if (!klen || addrlen > sizeof(struct sockaddr_storage))
		return NULL;
	uint64_t h = hash_of(s, addr, addrlen, tcp, key, klen);
	for (struct entry *e = s->buckets[h & (BUCKETS - 1)]; e; e = e->next)
		if (e->hash == h && e->tcp == tcp && e->addrlen == addrlen && e->len == klen &&
		    memcmp(&e->addr, addr, addrlen) == 0 && memcmp(e->wire, key, klen) == 0)
			return e->owner;
	return NULL;
}

struct rw_sendshare_entry *rw_sendshare_add(struct rw_sendshare *s, void *owner,
					    const struct sockaddr *addr, socklen_t addrlen,
					    bool tcp, const uint8_t *wire, size_t len)
{
	struct entry *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->len = make_key(wire, len, e->wire);
	if (!e->len || addrlen > sizeof(e->addr)) {
		free(e);
		return NULL;
	}
	e->owner = owner;
	memcpy(&e->addr, addr, addrlen);
	e->addrlen = addrlen;
	e->tcp = tcp;
	e->hash = hash_of(s, addr, addrlen, tcp, e->wire, e->len);
	e->next = s->buckets[e->hash & (BUCKETS - 1)];
	s->buckets[e->hash & (BUCKETS - 1)] = e;
	return (struct rw_sendshare_entry *)e;
}

void rw_sendshare_remove(struct rw_sendshare *s, struct rw_sendshare_entry *token)
{
	struct entry *t = (struct entry *)token;
	if (!t)
		return;
	for (struct entry **pp = &s->buckets[t->hash & (BUCKETS - 1)]; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			free(t);
			return;
		}
	}
}

bool rw_sendshare_patch(const uint8_t *reply, size_t len, const uint8_t *wire, size_t wlen,
			uint8_t *out)
{
	size_t off = 12, qoff = 12;
	uint8_t a[256], b[256];
	if (len < 12 || wlen < 12)
		return false;
	int n = rw_wire_read_name(reply, len, &off, a);
	int m = rw_wire_read_name(wire, wlen, &qoff, b);
	if (n <= 0 || n != m || off != qoff || !rw_wire_name_equal(a, (size_t)n, b, (size_t)m))
		return false;
	memcpy(out, reply, len);
	out[0] = wire[0];
	out[1] = wire[1];
	memcpy(out + 12, wire + 12, (size_t)n); /* the name as that query sent it (0x20) */
	return true;
}
