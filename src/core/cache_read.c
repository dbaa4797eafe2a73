/* The cache, reading side: copies of entries, whole responses from wire data (the fast path),
 * and walks for lookup and dump-cache. See cache.h and cache_impl.h. */
#include "cache_impl.h"
/* ---------------------------------------------------------------------------------------------
 * Reading: copies
 */

void rw_cache_entry_clear(struct rw_cache_entry *e)
{
	ldns_rdf_deep_free(e->owner);
	ldns_rr_list_deep_free(e->rrs);
	ldns_rr_list_deep_free(e->sigs);
	ldns_rr_free(e->soa);
	ldns_rr_list_deep_free(e->proof);
	rw_source_unref(e->src);
	memset(e, 0, sizeof(*e));
}

/* Records from RDLENGTH+RDATA blocks into a new list. */
static ldns_rr_list *decode_rrs(const struct node *n, const uint8_t *p, uint32_t len, uint16_t type,
				uint16_t count)
{
	ldns_rr_list *l = ldns_rr_list_new();
	size_t pos = 0;
	for (uint16_t i = 0; l && i < count && pos < len; i++) {
		ldns_rr *rr = ldns_rr_new();
		ldns_rdf *owner = ldns_dname_new_frm_data(n->owner_len, node_owner(n));
		if (!rr || !owner) {
			ldns_rr_free(rr);
			ldns_rdf_deep_free(owner);
			break;
		}
		ldns_rr_set_owner(rr, owner);
		ldns_rr_set_type(rr, type);
		ldns_rr_set_class(rr, n->klass);
		ldns_rr_set_ttl(rr, n->orig_ttl);
		if (ldns_wire2rdf(rr, p, len, &pos) != LDNS_STATUS_OK) {
			ldns_rr_free(rr);
			break;
		}
		ldns_rr_list_push_rr(l, rr);
	}
	return l;
}

/* The address of the server an entry came from; returns its length (0 when unknown). */
static socklen_t node_src_addr(const struct node *n, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (n->src_family == 4) {
		struct sockaddr_in *sin = (void *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(n->src_port);
		memcpy(&sin->sin_addr, n->src_addr, 4);
		return sizeof(*sin);
	}
	if (n->src_family == 6) {
		struct sockaddr_in6 *sin6 = (void *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(n->src_port);
		memcpy(&sin6->sin6_addr, n->src_addr, 16);
		return sizeof(*sin6);
	}
	return 0;
}

/* Decode a snapshot of a node into a caller-owned entry (cache_impl.h). */
bool node_decode(const struct node *n, struct rw_cache_entry *out)
{
	memset(out, 0, sizeof(*out));
	const uint8_t *p = n->data + n->owner_len;
	out->kind = (enum rw_entry_kind)n->kind;
	out->type = n->type;
	out->owner = ldns_dname_new_frm_data(n->owner_len, node_owner(n));
	bool has_rrs = n->kind == RW_ENTRY_RRSET || n->kind == RW_ENTRY_PARENT_GLUE;
	if (has_rrs) {
		out->rrs = decode_rrs(n, p, n->rrs_len, n->type, n->n_rrs);
		if (n->n_sigs)
			out->sigs = decode_rrs(n, p + n->rrs_len, n->sigs_len, LDNS_RR_TYPE_RRSIG,
					       n->n_sigs);
	}
	p += n->rrs_len + n->sigs_len;
	if (n->soa_len) {
		size_t pos = 0;
		if (ldns_wire2rr(&out->soa, p, n->soa_len, &pos, LDNS_SECTION_AUTHORITY) ==
		    LDNS_STATUS_OK)
			ldns_rr_set_ttl(out->soa, n->orig_ttl);
		else
			out->soa = NULL;
	}
	bool proof_failed;
	out->proof = cache_proof_decode(node_proof(n), n->proof_len, n->n_proof, n->orig_ttl,
					&proof_failed);
	out->wildcard = (n->flags & NODE_WILDCARD) != 0;
	out->sig_expires_us = n->sig_expires_us;
	p = node_strings(n);
	char server[256], zone[256];
	memcpy(server, p, n->server_len);
	server[n->server_len] = '\0';
	memcpy(zone, p + n->server_len, n->zone_len);
	zone[n->zone_len] = '\0';
	struct sockaddr_storage ss;
	socklen_t sslen = node_src_addr(n, &ss);
	bool has_src = n->server_len || n->zone_len || n->src_family;
	if (has_src)
		out->src =
			rw_source_new(server, zone, sslen ? (struct sockaddr *)&ss : NULL, sslen);
	out->stored_us = n->stored_us;
	out->expires_us = n->expires_us;
	out->orig_ttl = n->orig_ttl;
	out->rank = (enum rw_rank)n->rank;
	out->vstate = (enum rw_vstate)n->vstate;
	if (!out->owner || (has_src && !out->src) || (has_rrs && !out->rrs) ||
	    (n->soa_len && !out->soa) || proof_failed) {
		rw_cache_entry_clear(out);
		return false;
	}
	return true;
}

bool rw_cache_get(struct rw_cache *c, enum rw_entry_kind kind, const ldns_rdf *name, uint16_t type,
		  uint16_t klass, int64_t now_us, enum rw_rank min_rank, struct rw_cache_entry *out)
{
	uint8_t owner[255];
	uint64_t h = 0;
	size_t len = cache_key_of(c, kind, name, &type, klass, owner, &h);
	if (!len)
		return false;
	struct shard *s = shard_of(c, h);
	struct node *reaped = NULL, *snap = NULL;

	pthread_mutex_lock(&s->lock);
	struct node *n = cache_shard_get(s, h, owner, len, type, klass, (uint8_t)kind, now_us,
					 min_rank, &reaped, false);
	if (n) {
		snap = malloc(n->alloc);
		if (snap)
			memcpy(snap, n, n->alloc);
	}
	pthread_mutex_unlock(&s->lock);
	free(reaped);
	if (!snap)
		return false;
	bool ok = node_decode(snap, out);
	free(snap);
	return ok;
}

/* ---------------------------------------------------------------------------------------------
 * The fast path: a whole response from the cache, no allocation
 */

struct wbuf {
	uint8_t *p;
	size_t off, cap;
	bool full;
};

/* Write an owner (a pointer to ptr when possible, else the name) and the fixed RR fields. */
static void put_rr_head(struct wbuf *w, uint16_t ptr, const uint8_t *name, size_t nlen,
			uint16_t type, uint16_t klass, uint32_t ttl, uint16_t rdlen)
{
	size_t olen = ptr < 0x4000 ? 2 : nlen;
	if (w->off + olen + 10 + rdlen > w->cap) {
		w->full = true;
		return;
	}
	if (ptr < 0x4000)
		rw_put16(w->p + w->off, (uint16_t)(0xc000 | ptr));
	else
		memcpy(w->p + w->off, name, nlen);
	w->off += olen;
	rw_put16(w->p + w->off, type);
	rw_put16(w->p + w->off + 2, klass);
	rw_put32(w->p + w->off + 4, ttl);
	rw_put16(w->p + w->off + 8, rdlen);
	w->off += 10;
}

/* Write count records of type at the owner from RDLENGTH+RDATA blocks (a node's records or its
 * RRSIGs); returns the offset of the last record's rdata. */
static size_t put_rdatas(struct wbuf *w, const struct node *n, const uint8_t *p, uint32_t len,
			 uint16_t count, uint16_t type, uint16_t ptr, const uint8_t *name,
			 size_t nlen, uint32_t ttl, int *written)
{
	size_t pos = 0, rdata_at = 0;
	for (uint16_t i = 0; i < count && pos + 2 <= len; i++) {
		uint16_t rdlen = (uint16_t)((p[pos] << 8) | p[pos + 1]);
		put_rr_head(w, ptr, name, nlen, type, n->klass, ttl, rdlen);
		if (w->full)
			return 0;
		rdata_at = w->off;
		memcpy(w->p + w->off, p + pos + 2, rdlen);
		w->off += rdlen;
		pos += 2u + rdlen;
		(*written)++;
	}
	return rdata_at;
}

/* Write count whole wire records (a negative entry's SOA, proof records) with the TTL ttl. */
static void put_wire(struct wbuf *w, const uint8_t *p, size_t len, uint16_t count, uint32_t ttl,
		     int *written)
{
	size_t pos = 0;
	uint8_t name[256];
	for (uint16_t i = 0; i < count; i++) {
		size_t off = pos;
		int nl = rw_wire_read_name(p, len, &off, name);
		if (nl <= 0 || off + 10 > len || off + 10 + rw_get16(p + off + 8) > len) {
			w->full = true;
			return;
		}
		size_t rlen = off + 10 + rw_get16(p + off + 8) - pos;
		if (w->off + rlen > w->cap) {
			w->full = true;
			return;
		}
		memcpy(w->p + w->off, p + pos, rlen);
		rw_put32(w->p + w->off + (off - pos) + 4, ttl);
		w->off += rlen;
		pos += rlen;
		(*written)++;
	}
}

/* Note what the fast path used (under the shard lock); returns the item's index or -1. */
static int note_used(struct rw_cache_used *used, const struct node *n, uint32_t ttl_left,
		     uint16_t n_dnssec)
{
	if (!used || used->n >= RW_CACHE_USED_MAX)
		return -1;
	struct rw_cache_used_set *u = &used->set[used->n];
	const uint8_t *p = node_strings(n);
	u->kind = (enum rw_entry_kind)n->kind;
	u->type = n->type;
	u->n_rrs = n->kind == RW_ENTRY_RRSET ? n->n_rrs : 1;
	u->n_dnssec = n_dnssec;
	u->rank = (enum rw_rank)n->rank;
	u->vstate = (enum rw_vstate)n->vstate;
	u->sig_expires_us = n->sig_expires_us;
	u->orig_ttl = n->orig_ttl;
	u->ttl_left = ttl_left;
	u->stored_us = n->stored_us;
	u->expires_us = n->expires_us;
	memcpy(u->server, p, n->server_len);
	u->server[n->server_len] = '\0';
	memcpy(u->zone, p + n->server_len, n->zone_len);
	u->zone[n->zone_len] = '\0';
	u->addrlen = node_src_addr(n, &u->addr);
	return used->n++;
}

/* A response being written by the fast path. Authority records that must follow the whole
 * answer section (the proof of a wildcard expansion met along a CNAME chain) are staged at the
 * end of the buffer, between w.cap and cap, and moved into place at the end. */
struct fast {
	struct wbuf w;
	size_t cap;
	int an, ns;
	bool dnssec; /* the client set DO: RRSIGs and proofs */
	bool gate;   /* validating and no CD: only SECURE and INSECURE entries */
	bool secure; /* every entry used so far is SECURE */
	int n_wild;  /* staged wildcard proofs: the used items they belong to */
	int8_t wild_item[RW_CACHE_USED_MAX];
	uint16_t wild_n[RW_CACHE_USED_MAX];
	struct rw_cache_used *used;
	uint32_t stale_ttl; /* non-zero: expired entries still kept are used, with this TTL */
	struct rw_cache_read *rd;
};

/* Stage the proof of a wildcard expansion after what is staged already. */
static void stage_proof(struct fast *f, const struct node *n, uint32_t ttl)
{
	size_t len = n->proof_len, staged = f->cap - f->w.cap;
	if (f->w.off + len > f->w.cap) {
		f->w.full = true;
		return;
	}
	uint8_t *lo = f->w.p + f->w.cap - len;
	memmove(lo, lo + len, staged);
	struct wbuf t = {lo + staged, 0, len, false};
	put_wire(&t, node_proof(n), n->proof_len, n->n_proof, ttl, &f->ns);
	f->w.cap -= len;
	f->w.full = f->w.full || t.full;
}

/* Write what one entry gives the response (under its shard's lock). Returns false when the
 * fast path must not use it (validating: not known to be SECURE or INSECURE). */
static bool put_node(struct fast *f, const struct node *n, bool cname, uint16_t ptr,
		     const uint8_t *cur, size_t curlen, int64_t now_us, size_t *rdata_at)
{
	if (f->gate && (n->vstate == RW_VSTATE_UNCHECKED || n->vstate == RW_VSTATE_BOGUS))
		return false;
	f->secure = f->secure && n->vstate == RW_VSTATE_SECURE;
	uint32_t ttl = node_ttl_left(n, now_us);
	if (n->expires_us <= now_us) { /* only with stale_ttl: RFC 8767 4 */
		ttl = f->stale_ttl;
		if (now_us - n->expires_us > f->rd->expired_us)
			f->rd->expired_us = now_us - n->expires_us;
	} else if ((uint64_t)ttl * 10 < n->orig_ttl &&
		   (!f->rd->short_orig || ttl < f->rd->short_left)) {
		f->rd->short_left = ttl; /* in the last 10% of its TTL: prefetch */
		f->rd->short_orig = n->orig_ttl;
	}
	const uint8_t *p = n->data + n->owner_len;
	int dnssec = 0; /* RRSIGs or proof records written right after the entry's own */
	bool wild = false;
	if (n->kind == RW_ENTRY_RRSET) {
		size_t at = put_rdatas(&f->w, n, p, n->rrs_len, n->n_rrs, n->type, ptr, cur, curlen,
				       ttl, &f->an);
		if (cname)
			*rdata_at = at;
		if (f->dnssec) {
			put_rdatas(&f->w, n, p + n->rrs_len, n->sigs_len, n->n_sigs,
				   LDNS_RR_TYPE_RRSIG, ptr, cur, curlen, ttl, &dnssec);
			f->an += dnssec;
			wild = (n->flags & NODE_WILDCARD) && n->n_proof;
		}
	} else {
		put_wire(&f->w, p + n->rrs_len + n->sigs_len, n->soa_len, 1, ttl, &f->ns);
		if (f->dnssec) {
			put_wire(&f->w, node_proof(n), n->proof_len, n->n_proof, ttl, &dnssec);
			f->ns += dnssec;
		}
	}
	int item = note_used(f->used, n, ttl, (uint16_t)dnssec);
	if (wild) {
		stage_proof(f, n, ttl);
		if (item >= 0) {
			f->wild_item[f->n_wild] = (int8_t)item;
			f->wild_n[f->n_wild++] = n->n_proof;
		}
	}
	return true;
}

/* Header and question; false when the query is not for the fast path. */
static bool put_question(struct fast *f, const struct rw_client_query *cq)
{
	uint8_t *out = f->w.p;
	size_t qlen = cq->qname_len;
	if (qlen == 0 || qlen > 255 || 12 + qlen + 4 + 11 > f->cap)
		return false;
	/* NS answers carry the servers' addresses in the additional section: the slow path */
	if (cq->qtype == LDNS_RR_TYPE_NS)
		return false;
	rw_put16(out, cq->id);
	rw_put16(out + 2, (uint16_t)(RW_FLAG_QR | (cq->flags & RW_FLAG_RD) | RW_FLAG_RA |
				     (cq->flags & RW_FLAG_CD)));
	rw_put16(out + 4, 1);
	memcpy(out + 12, cq->qname, qlen);
	rw_put16(out + 12 + qlen, cq->qtype);
	rw_put16(out + 12 + qlen + 2, cq->qclass);
	f->w.off = 12 + qlen + 4;
	return true;
}

/* Staged authority records into place, the OPT record and the header's counts and flags. */
static size_t finish(struct fast *f, const struct rw_client_query *cq, int rcode, bool validating)
{
	uint8_t *out = f->w.p;
	size_t staged = f->cap - f->w.cap;
	if (staged) {
		memmove(out + f->w.off, out + f->w.cap, staged);
		f->w.off += staged;
		f->w.cap = f->cap;
		for (int i = 0; f->used && i < f->n_wild && f->used->n < RW_CACHE_USED_MAX; i++) {
			struct rw_cache_used_set *u = &f->used->set[f->used->n++];
			*u = f->used->set[f->wild_item[i]];
			u->n_rrs = 0;
			u->n_dnssec = f->wild_n[i];
		}
	}
	if (cq->edns) {
		if (f->w.off + RW_OPT_LEN > f->cap)
			return 0;
		f->w.off += rw_wire_put_opt(out + f->w.off, 0, cq->do_bit); /* RFC 3225 3 */
	}
	out[3] = (uint8_t)(out[3] | rcode);
	/* RFC 6840 5.8: AD to a client that asks for it with DO or AD, all data SECURE */
	if (validating && f->secure && (cq->do_bit || (cq->flags & RW_FLAG_AD)))
		out[3] = (uint8_t)(out[3] | RW_FLAG_AD);
	rw_put16(out + 6, (uint16_t)f->an);
	rw_put16(out + 8, (uint16_t)f->ns);
	rw_put16(out + 10, cq->edns ? 1 : 0);
	return f->w.off;
}

size_t rw_cache_answer(struct rw_cache *c, const struct rw_client_query *cq, int64_t now_us,
		       uint32_t max_chain, uint8_t *out, size_t cap)
{
	return rw_cache_answer_used(c, cq, now_us, max_chain, out, cap, NULL);
}

size_t rw_cache_answer_used(struct rw_cache *c, const struct rw_client_query *cq, int64_t now_us,
			    uint32_t max_chain, uint8_t *out, size_t cap,
			    struct rw_cache_used *used)
{
	struct rw_cache_read rd = {.used = used};
	return rw_cache_answer_read(c, cq, now_us, max_chain, out, cap, &rd);
}

size_t rw_cache_answer_read(struct rw_cache *c, const struct rw_client_query *cq, int64_t now_us,
			    uint32_t max_chain, uint8_t *out, size_t cap, struct rw_cache_read *rd)
{
	struct rw_cache_used *used = rd->used;
	if (used)
		used->n = 0;
	rd->expired_us = 0;
	rd->short_left = rd->short_orig = 0;
	bool validating = atomic_load_explicit(&c->validating, memory_order_relaxed);
	struct fast f; /* field by field: the wildcard arrays need no clearing */
	f.w = (struct wbuf){out, 0, cap, false};
	f.cap = cap;
	f.an = f.ns = f.n_wild = 0;
	f.dnssec = cq->edns && cq->do_bit;
	f.gate = validating && !(cq->flags & RW_FLAG_CD);
	f.secure = true;
	f.used = used;
	f.stale_ttl = rd->stale_ttl;
	f.rd = rd;
	uint8_t cur[256];
	size_t curlen = cq->qname_len;
	uint16_t ptr = 12;
	int rcode = -1;

	if (!put_question(&f, cq))
		return 0;
	lower_copy(cur, cq->qname, curlen);

	/* Per name: the answer RRset, else a CNAME to follow, else a negative entry. The keyed
	 * SipHash of the name is computed once; each kind of entry mixes in its type cheaply. */
	for (uint32_t hop = 0; hop <= max_chain && rcode < 0 && !f.w.full; hop++) {
		uint64_t oh = cache_owner_hash(c, cur, curlen);
		bool cname_ok = cq->qtype != LDNS_RR_TYPE_CNAME;
		static const struct {
			uint8_t kind;
			bool cname;
		} steps[4] = {{RW_ENTRY_RRSET, false},
			      {RW_ENTRY_RRSET, true},
			      {RW_ENTRY_NXDOMAIN, false},
			      {RW_ENTRY_NODATA, false}};
		size_t rdata_at = 0;
		bool found = false, refused = false;
		for (int k = 0; k < 4 && !found; k++) {
			uint8_t kind = steps[k].kind;
			if (steps[k].cname && !cname_ok)
				continue;
			uint16_t type = steps[k].cname		    ? LDNS_RR_TYPE_CNAME
					: kind == RW_ENTRY_NXDOMAIN ? 0
								    : cq->qtype;
			enum rw_rank min =
				kind == RW_ENTRY_RRSET ? RW_RANK_NONAUTH_ANSWER : RW_RANK_NONE;
			uint64_t h = cache_key_mix(oh, type, cq->qclass, kind);
			struct shard *s = shard_of(c, h);
			struct node *reaped = NULL;
			pthread_mutex_lock(&s->lock);
			struct node *n = cache_shard_get(s, h, cur, curlen, type, cq->qclass, kind,
							 now_us, min, &reaped, f.stale_ttl != 0);
			if (n && (!steps[k].cname || n->n_rrs == 1)) {
				found = true;
				refused = !put_node(&f, n, steps[k].cname, ptr, cur, curlen, now_us,
						    &rdata_at);
				if (!steps[k].cname)
					rcode = kind == RW_ENTRY_NXDOMAIN ? LDNS_RCODE_NXDOMAIN
									  : LDNS_RCODE_NOERROR;
			}
			pthread_mutex_unlock(&s->lock);
			if (reaped) /* an expired entry met on the way; none on a hit */
				free(reaped);
		}
		if (refused)
			return 0;
		if (!found || rcode >= 0)
			break;
		/* A cached CNAME was written: continue with its target. */
		if (!rdata_at)
			return 0;
		size_t off = rdata_at;
		int tl = rw_wire_read_name(f.w.p, f.w.off, &off, cur);
		if (tl <= 0)
			return 0;
		lower_copy(cur, cur, (size_t)tl);
		curlen = (size_t)tl;
		ptr = rdata_at < 0x4000 ? (uint16_t)rdata_at : 0xffff;
	}
	if (rcode < 0 || f.w.full)
		return 0;
	return finish(&f, cq, rcode, validating);
}

/* ---------------------------------------------------------------------------------------------
 * DNSSEC: the validator's verdict on an entry
 */

bool rw_cache_set_vstate(struct rw_cache *c, enum rw_entry_kind kind, const ldns_rdf *name,
			 uint16_t type, uint16_t klass, enum rw_vstate v, int64_t max_expires_us,
			 int64_t now_us)
{
	uint8_t owner[255];
	uint64_t h = 0;
	size_t len = cache_key_of(c, kind, name, &type, klass, owner, &h);
	if (!len)
		return false;
	struct shard *s = shard_of(c, h);
	struct node *reaped = NULL;

	pthread_mutex_lock(&s->lock);
	struct node *n = cache_shard_get(s, h, owner, len, type, klass, (uint8_t)kind, now_us,
					 RW_RANK_NONE, &reaped, false);
	if (n) {
		n->vstate = (uint8_t)v;
		if (max_expires_us && max_expires_us < n->expires_us)
			n->expires_us = max_expires_us;
	}
	pthread_mutex_unlock(&s->lock);
	free(reaped);
	return n != NULL;
}

size_t rw_cache_walk(struct rw_cache *c, const ldns_rdf *name, unsigned flags, int64_t now_us,
		     void (*fn)(void *arg, const struct rw_cache_entry *e), void *arg)
{
	uint8_t key[255];
	size_t len = 0, visited = 0;
	if (name && !(len = cache_owner_key(name, key)))
		return 0;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *s = &c->shards[i];
		struct node *snaps = NULL;
		/* Copy what matches under the lock; decode and call back without it. */
		pthread_mutex_lock(&s->lock);
		for (struct node *n = s->lru_head; n; n = n->lnext) {
			if (n->expires_us <= now_us || !cache_matches(n, key, len, flags))
				continue;
			struct node *snap = malloc(n->alloc);
			if (!snap)
				break;
			memcpy(snap, n, n->alloc);
			snap->hnext = snaps;
			snaps = snap;
		}
		pthread_mutex_unlock(&s->lock);
		visited += cache_snaps_visit(snaps, fn, arg);
	}
	return visited;
}

size_t cache_snaps_visit(struct node *snaps, void (*fn)(void *arg, const struct rw_cache_entry *e),
			 void *arg)
{
	size_t visited = 0;

	while (snaps) {
		struct node *next = snaps->hnext;
		struct rw_cache_entry e;
		if (node_decode(snaps, &e)) {
			fn(arg, &e);
			rw_cache_entry_clear(&e);
			visited++;
		}
		free(snaps);
		snaps = next;
	}
	return visited;
}
