/* The infrastructure cache: per-server RTT, timeouts, EDNS/0x20 behaviour and lameness. */
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "rootwalk/cookie_client.h"
#include "rootwalk/infra.h"

#define BUCKETS	   1024 /* power of two */
#define LAME_SLOTS 4

struct lame {
	uint64_t zone; /* keyed hash of the lower-cased zone name */
	int64_t expires_us;
	uint32_t times; /* found lame for this zone this often while the entry lived */
};

struct ientry {
	struct ientry *hnext;
	struct ientry *prev, *next; /* least recently updated at the tail */
	uint8_t key[19];	    /* family, port, address */
	uint64_t hash;
	int64_t expires_us;
	bool have_rtt;
	uint32_t srtt_us, rttvar_us;
	uint32_t timeouts;
	uint32_t fails;	       /* SERVFAIL/REFUSED/NOTAUTH since the last good reply */
	int64_t fail_until_us; /* ranked lower until then */
	bool no_edns;
	/* 0x20 off until then: set only on evidence an off-path attacker cannot forge, never
	 * renewed by ordinary replies (touched() leaves it alone) */
	int64_t no_0x20_until_us;
	uint8_t cookie_len; /* the server cookie it last gave us (RFC 7873), 0 for none */
	uint8_t cookie[RW_COOKIE_SERVER_MAX];
	struct lame lame[LAME_SLOTS];
};

struct rw_infra {
	pthread_mutex_t lock;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	struct ientry *buckets[BUCKETS];
	struct ientry *head, *tail;
	size_t count, max;
	uint32_t ttl_s;
	uint8_t ckey[RW_COOKIE_KEY_LEN]; /* client cookies' secret, derived from hkey */
	int64_t case_logged_us;		 /* when replies with the wrong case were last logged */
	uint64_t case_unlogged;		 /* how many came since */
};

static bool make_key(const struct sockaddr *sa, uint8_t key[19])
{
	memset(key, 0, 19);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;
		key[0] = 4;
		memcpy(key + 1, &sin->sin_port, 2);
		memcpy(key + 3, &sin->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;
		key[0] = 6;
		memcpy(key + 1, &sin6->sin6_port, 2);
		memcpy(key + 3, &sin6->sin6_addr, 16);
		return true;
	}
	return false;
}

static uint64_t hash_bytes(const struct rw_infra *inf, const uint8_t *p, size_t len)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h;
	crypto_shorthash(out, p, len, inf->hkey);
	memcpy(&h, out, sizeof(h));
	return h;
}

static uint64_t zone_hash(const struct rw_infra *inf, const ldns_rdf *zone)
{
	uint8_t buf[255];
	size_t len = ldns_rdf_size(zone);
	if (len > sizeof(buf))
		len = sizeof(buf);
	const uint8_t *p = ldns_rdf_data(zone);
	for (size_t i = 0; i < len; i++)
		buf[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (uint8_t)(p[i] + 32) : p[i];
	return hash_bytes(inf, buf, len);
}

struct rw_infra *rw_infra_new(const uint8_t key[16], size_t max_entries, uint32_t ttl_s)
{
	struct rw_infra *inf = calloc(1, sizeof(*inf));
	if (!inf)
		return NULL;
	pthread_mutex_init(&inf->lock, NULL);
	memcpy(inf->hkey, key, sizeof(inf->hkey));
	/* the client cookie secret: two SipHash outputs of the random key, so that it reveals
	 * nothing of the table's own key */
	static const uint8_t label[2][6] = {"cook-0", "cook-1"};
	for (int i = 0; i < 2; i++)
		crypto_shorthash(inf->ckey + 8 * i, label[i], sizeof(label[i]), inf->hkey);
	inf->max = max_entries ? max_entries : 10000;
	inf->ttl_s = ttl_s ? ttl_s : 900;
	return inf;
}

static void unlink_lru(struct rw_infra *inf, struct ientry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		inf->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		inf->tail = e->prev;
	e->prev = e->next = NULL;
}

static void push_head(struct rw_infra *inf, struct ientry *e)
{
	e->next = inf->head;
	if (inf->head)
		inf->head->prev = e;
	inf->head = e;
	if (!inf->tail)
		inf->tail = e;
}

static void remove_entry(struct rw_infra *inf, struct ientry *e)
{
	struct ientry **pp = &inf->buckets[e->hash & (BUCKETS - 1)];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	unlink_lru(inf, e);
	inf->count--;
	free(e);
}

void rw_infra_flush(struct rw_infra *inf)
{
	pthread_mutex_lock(&inf->lock);
	while (inf->head)
		remove_entry(inf, inf->head);
	pthread_mutex_unlock(&inf->lock);
}

void rw_infra_free(struct rw_infra *inf)
{
	if (!inf)
		return;
	rw_infra_flush(inf);
	pthread_mutex_destroy(&inf->lock);
	free(inf);
}

size_t rw_infra_count(struct rw_infra *inf)
{
	pthread_mutex_lock(&inf->lock);
	size_t n = inf->count;
	pthread_mutex_unlock(&inf->lock);
	return n;
}

/* Find the live entry for sa; with create, make one (evicting the stalest when full). */
static struct ientry *lookup(struct rw_infra *inf, const struct sockaddr *sa, int64_t now_us,
			     bool create)
{
	uint8_t key[19];
	if (!make_key(sa, key))
		return NULL;
	uint64_t h = hash_bytes(inf, key, sizeof(key));
	struct ientry *e = inf->buckets[h & (BUCKETS - 1)];
	while (e && (e->hash != h || memcmp(e->key, key, sizeof(key)) != 0))
		e = e->hnext;
	if (e && e->expires_us <= now_us) {
		remove_entry(inf, e); /* what we knew is too old: start afresh */
		e = NULL;
	}
	if (e || !create)
		return e;
	if (inf->count >= inf->max && inf->tail)
		remove_entry(inf, inf->tail);
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	memcpy(e->key, key, sizeof(key));
	e->hash = h;
	e->hnext = inf->buckets[h & (BUCKETS - 1)];
	inf->buckets[h & (BUCKETS - 1)] = e;
	push_head(inf, e);
	inf->count++;
	return e;
}

/* An update keeps the entry alive for another ttl. */
static void touched(struct rw_infra *inf, struct ientry *e, int64_t now_us)
{
	e->expires_us = now_us + (int64_t)inf->ttl_s * 1000000;
	unlink_lru(inf, e);
	push_head(inf, e);
}

static uint32_t rto_of(const struct ientry *e, uint32_t max_rto_ms)
{
	uint64_t rto = RW_INFRA_UNKNOWN_RTO_MS;
	if (e && e->have_rtt) {
		/* RFC 6298 2.3: SRTT + max(G, 4 RTTVAR), with a clock granularity of 1 ms */
		uint64_t var = 4ull * e->rttvar_us;
		rto = (e->srtt_us + (var > 1000 ? var : 1000) + 999) / 1000;
		if (rto < RW_INFRA_MIN_RTO_MS)
			rto = RW_INFRA_MIN_RTO_MS;
	}
	/* 5.5: back off, doubling for each consecutive timeout */
	for (uint32_t i = 0; e && i < e->timeouts && rto < max_rto_ms; i++)
		rto *= 2;
	return rto > max_rto_ms ? max_rto_ms : (uint32_t)rto;
}

void rw_infra_get(struct rw_infra *inf, const struct sockaddr *sa, int64_t now_us,
		  uint32_t max_rto_ms, struct rw_server_info *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&inf->lock);
	struct ientry *e = lookup(inf, sa, now_us, false);
	if (e) {
		out->known = e->have_rtt;
		out->srtt_us = e->srtt_us;
		out->rttvar_us = e->rttvar_us;
		out->timeouts = e->timeouts;
		out->no_edns = e->no_edns;
		out->no_0x20 = e->no_0x20_until_us > now_us;
		out->failing = e->fail_until_us > now_us;
	}
	out->rto_ms = rto_of(e, max_rto_ms);
	pthread_mutex_unlock(&inf->lock);
}

void rw_infra_rtt(struct rw_infra *inf, const struct sockaddr *sa, uint32_t rtt_us, int64_t now_us)
{
	pthread_mutex_lock(&inf->lock);
	struct ientry *e = lookup(inf, sa, now_us, true);
	if (e) {
		if (!e->have_rtt) {
			e->srtt_us = rtt_us;
			e->rttvar_us = rtt_us / 2;
			e->have_rtt = true;
		} else {
			uint32_t diff =
				e->srtt_us > rtt_us ? e->srtt_us - rtt_us : rtt_us - e->srtt_us;
			e->rttvar_us = (uint32_t)((3ull * e->rttvar_us + diff) / 4);
			e->srtt_us = (uint32_t)((7ull * e->srtt_us + rtt_us) / 8);
		}
		e->timeouts = 0;
		touched(inf, e, now_us);
	}
	pthread_mutex_unlock(&inf->lock);
}

void rw_infra_timeout(struct rw_infra *inf, const struct sockaddr *sa, int64_t now_us)
{
	pthread_mutex_lock(&inf->lock);
	struct ientry *e = lookup(inf, sa, now_us, true);
	if (e) {
		if (e->timeouts < 16)
			e->timeouts++;
		touched(inf, e, now_us);
	}
	pthread_mutex_unlock(&inf->lock);
}

void rw_infra_set_no_edns(struct rw_infra *inf, const struct sockaddr *sa, int64_t now_us)
{
	pthread_mutex_lock(&inf->lock);
	struct ientry *e = lookup(inf, sa, now_us, true);
	if (e) {
		e->no_edns = true;
		touched(inf, e, now_us);
	}
	pthread_mutex_unlock(&inf->lock);
}

uint32_t rw_infra_set_no_0x20(struct rw_infra *inf, const struct sockaddr *sa, int64_t now_us)
{
	uint32_t secs = RW_INFRA_NO0X20_S < inf->ttl_s ? RW_INFRA_NO0X20_S : inf->ttl_s;
	pthread_mutex_lock(&inf->lock);
	struct ientry *e = lookup(inf, sa, now_us, true);
	if (e) {
		e->no_0x20_until_us = now_us + (int64_t)secs * 1000000;
		touched(inf, e, now_us);
	} else {
		secs = 0;
	}
	pthread_mutex_unlock(&inf->lock);
	return secs;
}

size_t rw_infra_cookie(struct rw_infra *inf, const struct sockaddr *sa, int64_t now_us,
		       uint8_t cc[RW_COOKIE_CLIENT_LEN], uint8_t sc[RW_COOKIE_SERVER_MAX])
{
	size_t n = 0;
	if (rw_cookie_client_make(inf->ckey, sa, cc) < 0)
		return 0;
	pthread_mutex_lock(&inf->lock);
	struct ientry *e = lookup(inf, sa, now_us, false);
	if (e && e->cookie_len) {
		n = e->cookie_len;
		memcpy(sc, e->cookie, n);
	}
	pthread_mutex_unlock(&inf->lock);
	return n;
}

void rw_infra_set_cookie(struct rw_infra *inf, const struct sockaddr *sa, const uint8_t *sc,
			 size_t len, int64_t now_us)
{
	if (len > RW_COOKIE_SERVER_MAX || (len && len < RW_COOKIE_SERVER_MIN))
		return;
	pthread_mutex_lock(&inf->lock);
	struct ientry *e = lookup(inf, sa, now_us, true);
	if (e && (e->cookie_len != len || (len && memcmp(e->cookie, sc, len) != 0))) {
		if (len)
			memcpy(e->cookie, sc, len);
		e->cookie_len = (uint8_t)len;
		touched(inf, e, now_us);
	}
	pthread_mutex_unlock(&inf->lock);
}

uint64_t rw_infra_case_mismatch(struct rw_infra *inf, int64_t now_us)
{
	uint64_t n = 0;
	pthread_mutex_lock(&inf->lock);
	inf->case_unlogged++;
	if (inf->case_logged_us == 0 ||
	    now_us - inf->case_logged_us >= (int64_t)RW_INFRA_CASE_LOG_S * 1000000) {
		n = inf->case_unlogged;
		inf->case_unlogged = 0;
		inf->case_logged_us = now_us;
	}
	pthread_mutex_unlock(&inf->lock);
	return n;
}

/* base seconds doubled (times - 1) times, at most max and at most the entry's own ttl */
static uint32_t backoff_s(uint32_t base, uint32_t max, uint32_t times, uint32_t ttl_s)
{
	uint64_t secs = base;
	for (uint32_t i = 1; i < times && secs < max; i++)
		secs *= 2;
	if (secs > max)
		secs = max;
	return secs > ttl_s ? ttl_s : (uint32_t)secs;
}

uint32_t rw_infra_failed(struct rw_infra *inf, const struct sockaddr *sa, int64_t now_us)
{
	uint32_t secs = 0;
	pthread_mutex_lock(&inf->lock);
	struct ientry *e = lookup(inf, sa, now_us, true);
	if (e) {
		if (e->fails < 16)
			e->fails++;
		secs = backoff_s(RW_INFRA_FAIL_MIN_S, RW_INFRA_FAIL_MAX_S, e->fails, inf->ttl_s);
		e->fail_until_us = now_us + (int64_t)secs * 1000000;
		touched(inf, e, now_us);
	}
	pthread_mutex_unlock(&inf->lock);
	return secs;
}

void rw_infra_good(struct rw_infra *inf, const struct sockaddr *sa, int64_t now_us)
{
	pthread_mutex_lock(&inf->lock);
	struct ientry *e = lookup(inf, sa, now_us, false);
	if (e && (e->fails || e->fail_until_us)) {
		e->fails = 0;
		e->fail_until_us = 0;
	}
	pthread_mutex_unlock(&inf->lock);
}

uint32_t rw_infra_set_lame(struct rw_infra *inf, const struct sockaddr *sa, const ldns_rdf *zone,
			   int64_t now_us)
{
	uint64_t z = zone_hash(inf, zone);
	uint32_t secs = 0;
	pthread_mutex_lock(&inf->lock);
	struct ientry *e = lookup(inf, sa, now_us, true);
	if (e) {
		/* this zone's slot (its count goes on), else the one that expires first */
		int slot = -1, spare = 0;
		for (int i = 0; i < LAME_SLOTS; i++) {
			if (e->lame[i].zone == z && e->lame[i].times) {
				slot = i;
				break;
			}
			if (e->lame[i].expires_us < e->lame[spare].expires_us)
				spare = i; /* an unused or expired slot comes first */
		}
		if (slot < 0) {
			slot = spare;
			e->lame[slot].zone = z;
			e->lame[slot].times = 0;
		}
		e->lame[slot].times++;
		secs = backoff_s(RW_INFRA_LAME_MIN_S, RW_INFRA_LAME_MAX_S, e->lame[slot].times,
				 inf->ttl_s);
		e->lame[slot].expires_us = now_us + (int64_t)secs * 1000000;
		touched(inf, e, now_us);
	}
	pthread_mutex_unlock(&inf->lock);
	return secs;
}

bool rw_infra_is_lame(struct rw_infra *inf, const struct sockaddr *sa, const ldns_rdf *zone,
		      int64_t now_us)
{
	uint64_t z = zone_hash(inf, zone);
	bool lame = false;
	pthread_mutex_lock(&inf->lock);
	struct ientry *e = lookup(inf, sa, now_us, false);
	for (int i = 0; e && i < LAME_SLOTS; i++)
		if (e->lame[i].zone == z && e->lame[i].expires_us > now_us)
			lame = true;
	pthread_mutex_unlock(&inf->lock);
	return lame;
}
