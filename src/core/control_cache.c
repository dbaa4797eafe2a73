/* The control protocol, cache side: lookup (everything at a name and the closest delegation
 * above it), dump-cache and flush. See control.c and rootwalk/control.h. */
#include "control_impl.h"
#include "rootwalk/cachefile.h"
#include "rootwalk/zonecut.h"

/* ---------------------------------------------------------------------------------------------
 * Cache entries: the formatting of lookup and of the JSON forms (the dump-cache text line is
 * the cache file's, cachefile.c, which load-cache reads back)
 */

static void src_fields(const struct rw_cache_entry *e, const char **server, const char **zone,
		       char *addr, size_t addrlen)
{
	*server = e->src && e->src->server && e->src->server[0] ? e->src->server : "?";
	*zone = e->src && e->src->zone && e->src->zone[0] ? e->src->zone : "?";
	snprintf(addr, addrlen, "?");
	if (e->src && e->src->addrlen)
		rw_present_addr((const struct sockaddr *)&e->src->addr, addr, addrlen);
}

/* The earliest signature expiration of the RRSIGs kept with the entry, in wall-clock
 * microseconds (RFC 4034 3.1.5: serial arithmetic on 32 bits, read near now); false when it has
 * none. */
static bool sig_until(const struct rw_cache_entry *e, int64_t now_us, int64_t *until_us)
{
	int64_t now_s = now_us / 1000000;
	bool found = false;

	for (size_t i = 0; e->sigs && i < ldns_rr_list_rr_count(e->sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(e->sigs, i);
		if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG || ldns_rr_rd_count(sig) < 5)
			continue;
		uint32_t exp = ldns_rdf2native_int32(ldns_rr_rdf(sig, 4));
		int64_t abs_s = now_s + (int32_t)(exp - (uint32_t)now_s);
		if (!found || abs_s * 1000000 < *until_us)
			*until_us = abs_s * 1000000;
		found = true;
	}
	return found;
}

/* lookup: a block of lines per entry. */
static void entry_text(struct rw_sbuf *b, const struct rw_cache_entry *e, int64_t now_us)
{
	uint32_t left = rw_cache_ttl_left(e, now_us);
	char *owner = rw_present_name(e->owner);
	char tbuf[32], exp[48], loc[64], stored[48], in[32], addr[64];
	const char *server, *zone;
	size_t n = e->rrs ? ldns_rr_list_rr_count(e->rrs) : 0;

	src_fields(e, &server, &zone, addr, sizeof(addr));
	rw_present_iso_time(e->expires_us, exp, sizeof(exp));
	rw_present_iso_time(e->stored_us, stored, sizeof(stored));
	rw_present_local_time(e->expires_us, false, loc, sizeof(loc));
	rw_present_duration(in, sizeof(in), (e->expires_us - now_us + 999999) / 1000000);
	if (e->kind == RW_ENTRY_NXDOMAIN)
		rw_sbuf_printf(b, "%s: nxdomain (the name does not exist)\n", owner ? owner : "?");
	else if (e->kind == RW_ENTRY_NODATA)
		rw_sbuf_printf(b, "%s %s: nodata (the name exists, without records of this type)\n",
			       owner ? owner : "?",
			       rw_present_type_or_dash(e->type, tbuf, sizeof(tbuf)));
	else if (e->kind == RW_ENTRY_PARENT_GLUE)
		rw_sbuf_printf(
			b, "%s %s: parent-side glue, %zu record%s (a fallback address set)\n",
			owner ? owner : "?", rw_present_type_or_dash(e->type, tbuf, sizeof(tbuf)),
			n, n == 1 ? "" : "s");
	else
		rw_sbuf_printf(b, "%s %s: rrset of %zu record%s\n", owner ? owner : "?",
			       rw_present_type_or_dash(e->type, tbuf, sizeof(tbuf)), n,
			       n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		char *s = rw_present_rr_ttl(ldns_rr_list_rr(e->rrs, i), left);
		rw_sbuf_printf(b, "\t%s\n", s ? s : "?");
		free(s);
	}
	for (size_t i = 0; e->sigs && i < ldns_rr_list_rr_count(e->sigs); i++) {
		char *s = rw_present_rr_ttl(ldns_rr_list_rr(e->sigs, i), left);
		rw_sbuf_printf(b, "\t%s\n", s ? s : "?");
		free(s);
	}
	if (e->soa) {
		char *s = rw_present_rr_ttl(e->soa, ldns_rr_ttl(e->soa));
		rw_sbuf_printf(b, "\tsoa:      %s\n", s ? s : "?");
		free(s);
	}
	rw_sbuf_printf(b, "\tttl:      %u s left of %u (stored %s)\n", left, e->orig_ttl, stored);
	int64_t sig_us = 0;
	bool sigs = sig_until(e, now_us, &sig_us);
	/* Which ends the entry's life first: its TTL, or the signatures' validity. */
	rw_sbuf_printf(b, "\texpires:  %s, local %s (in %s)%s\n", exp, loc, in,
		       sigs && e->expires_us <= sig_us ? "  <- first" : "");
	if (sigs) {
		char sexp[48], sin[32];
		rw_present_iso_time(sig_us, sexp, sizeof(sexp));
		rw_present_duration(sin, sizeof(sin), (sig_us - now_us + 999999) / 1000000);
		rw_sbuf_printf(b, "\tsigs:     sig until %s (%s%s)%s\n", sexp,
			       sig_us < now_us ? "expired" : "in ", sig_us < now_us ? "" : sin,
			       sig_us < e->expires_us ? "  <- first" : "");
	}
	rw_sbuf_printf(b, "\tfrom:     %s (%s), zone %s\n", server, addr, zone);
	rw_sbuf_printf(b, "\ttrust:    %s, validation %s\n", rw_rank_name(e->rank),
		       rw_vstate_name(e->vstate));
	free(owner);
}

static void json_rr_list(struct rw_sbuf *b, const ldns_rr_list *l, uint32_t left)
{
	rw_sbuf_puts(b, "[");
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
		char *s = rw_present_rr_ttl(ldns_rr_list_rr(l, i), left);
		if (i)
			rw_sbuf_puts(b, ",");
		rw_present_json_str(b, s ? s : "?");
		free(s);
	}
	rw_sbuf_puts(b, "]");
}

static void entry_json(struct rw_sbuf *b, const struct rw_cache_entry *e, int64_t now_us)
{
	uint32_t left = rw_cache_ttl_left(e, now_us);
	char *owner = rw_present_name(e->owner);
	char tbuf[32], exp[48], loc[64], stored[48], addr[64];
	const char *server, *zone;

	src_fields(e, &server, &zone, addr, sizeof(addr));
	rw_present_iso_time(e->expires_us, exp, sizeof(exp));
	rw_present_iso_time(e->stored_us, stored, sizeof(stored));
	rw_present_local_time(e->expires_us, true, loc, sizeof(loc));
	rw_sbuf_puts(b, "{\"owner\":");
	rw_present_json_str(b, owner ? owner : "?");
	rw_sbuf_puts(b, ",\"type\":");
	rw_present_json_str(b, rw_present_type_or_dash(e->type, tbuf, sizeof(tbuf)));
	rw_sbuf_printf(b,
		       ",\"kind\":\"%s\",\"ttl\":%u,\"orig_ttl\":%u,\"stored\":%" PRId64
		       ",\"stored_iso\":\"%s\",\"expires\":%" PRId64
		       ",\"expires_iso\":\"%s\",\"expires_local\":\"%s\",\"server\":",
		       rw_entry_kind_name(e->kind), left, e->orig_ttl, e->stored_us / 1000000,
		       stored, (e->expires_us + 999999) / 1000000, exp, loc);
	rw_present_json_str(b, server);
	rw_sbuf_puts(b, ",\"addr\":");
	rw_present_json_str(b, addr);
	rw_sbuf_puts(b, ",\"zone\":");
	rw_present_json_str(b, zone);
	rw_sbuf_puts(b, ",\"rank\":");
	rw_present_json_str(b, rw_rank_name(e->rank));
	rw_sbuf_printf(b, ",\"vstate\":\"%s\",", rw_vstate_name(e->vstate));
	int64_t sig_us = 0;
	if (sig_until(e, now_us, &sig_us)) {
		char sexp[48];
		rw_present_iso_time(sig_us, sexp, sizeof(sexp));
		rw_sbuf_printf(b,
			       "\"sig_expires\":%" PRId64
			       ",\"sig_expires_iso\":\"%s\",\"first\":\"%s\",",
			       sig_us / 1000000, sexp, sig_us < e->expires_us ? "sig" : "ttl");
	} else {
		rw_sbuf_puts(b, "\"sig_expires\":null,\"first\":\"ttl\",");
	}
	rw_sbuf_puts(b, "\"records\":");
	json_rr_list(b, e->rrs, left);
	rw_sbuf_puts(b, ",\"rrsigs\":");
	json_rr_list(b, e->sigs, left);
	rw_sbuf_puts(b, ",\"soa\":");
	if (e->soa) {
		char *s = rw_present_rr_ttl(e->soa, ldns_rr_ttl(e->soa));
		rw_present_json_str(b, s ? s : "?");
		free(s);
	} else {
		rw_sbuf_puts(b, "null");
	}
	rw_sbuf_puts(b, "}");
	free(owner);
}

/* Collected entries of a lookup, sorted before output (the cache walks in hash order). */
struct item {
	uint16_t type;
	int kind;
	struct rw_sbuf text;
};

struct collect {
	struct item *v;
	size_t n, cap;
	bool oom, json;
	int64_t now_us;
};

static void collect_cb(void *arg, const struct rw_cache_entry *e)
{
	struct collect *c = arg;
	struct item *it;

	if (c->oom)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct item *v = realloc(c->v, cap * sizeof(*v));
		if (!v) {
			c->oom = true;
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	it = &c->v[c->n++];
	memset(it, 0, sizeof(*it));
	it->type = e->type;
	it->kind = (int)e->kind;
	if (c->json)
		entry_json(&it->text, e, c->now_us);
	else
		entry_text(&it->text, e, c->now_us);
	if (it->text.oom)
		c->oom = true;
}

static int item_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	int d = (int)a->type - (int)b->type;

	if (d == 0)
		d = a->kind - b->kind;
	return d;
}

static void collect_free(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].text.p);
	free(c->v);
}

/* ---------------------------------------------------------------------------------------------
 * Requests
 */

/* The cached addresses of a delegation's servers, as text lines or a JSON list. */
struct addr_list {
	struct rw_sbuf *b;
	const char *tname;
	int64_t now;
	bool json, first;
};

static bool list_addrs(void *arg, const struct rw_cache_entry *a, bool parent_side)
{
	struct addr_list *l = arg;
	(void)parent_side;
	if (l->json) {
		rw_sbuf_add(l->b, l->first ? "" : ",", l->first ? 0 : 1);
		entry_json(l->b, a, l->now);
		l->first = false;
		return true;
	}
	char exp[48], tb[16];
	rw_present_iso_time(a->expires_us, exp, sizeof(exp));
	rw_sbuf_printf(l->b, "\taddress:  %s %s", l->tname ? l->tname : "?",
		       rw_present_type(a->type, tb, sizeof(tb)));
	for (size_t k = 0; k < ldns_rr_list_rr_count(a->rrs); k++) {
		char *s = rw_present_rdata(ldns_rr_list_rr(a->rrs, k));
		rw_sbuf_printf(l->b, " %s", s ? s : "?");
		free(s);
	}
	rw_sbuf_printf(l->b, " (%u s left, expires %s, rank %s)\n", rw_cache_ttl_left(a, l->now),
		       exp, rw_rank_name(a->rank));
	return true;
}

static void ns_addresses(struct rw_sbuf *b, struct rw_cache *cache, const struct rw_cache_entry *ns,
			 int64_t now, bool json)
{
	struct addr_list l = {.b = b, .now = now, .json = json, .first = true};

	if (json)
		rw_sbuf_puts(b, "[");
	for (size_t i = 0; ns->rrs && i < ldns_rr_list_rr_count(ns->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns->rrs, i);
		const ldns_rdf *target = ldns_rr_rd_count(rr) ? ldns_rr_rdf(rr, 0) : NULL;
		char *tname = target ? rw_present_name(target) : NULL;
		l.tname = tname;
		if (!rw_zonecut_addrs(cache, target, now, false, list_addrs, &l) && !json)
			rw_sbuf_printf(b, "\taddress:  %s not cached\n", tname ? tname : "?");
		free(tname);
	}
	if (json)
		rw_sbuf_puts(b, "]");
}

void control_lookup(struct rw_control *ctl, const struct rw_control_request *req,
		    rw_control_done_cb cb, void *arg)
{
	struct rw_cache *cache = rw_resolver_cache(ctl->r);
	int64_t now = ctl->ops.now_wall_us(ctl->ops.ctx);
	ldns_rdf *name = ldns_dname_new_frm_data((uint16_t)req->name_len, req->name);
	struct collect c = {.json = req->json, .now_us = now};
	struct rw_cache_entry ns;
	struct rw_sbuf b = {0};
	char *nstr = NULL, *zstr = NULL, iso[48], loc[64];
	bool have_ns = false;

	if (!name) {
		control_respond_error(cb, arg, "out of memory");
		return;
	}
	nstr = rw_present_name(name);
	rw_cache_walk(cache, name, 0, now, collect_cb, &c);
	if (c.n > 1)
		qsort(c.v, c.n, sizeof(*c.v), item_cmp);
	/* The closest delegation: the NS set at NAME or the nearest one above it. */
	have_ns = rw_zonecut_find(cache, name, false, now, NULL, NULL, &ns);
	if (have_ns)
		zstr = rw_present_name(ns.owner);
	rw_present_iso_time(now, iso, sizeof(iso));
	if (req->json) {
		rw_sbuf_puts(&b, "{\"name\":");
		rw_present_json_str(&b, nstr ? nstr : "?");
		rw_sbuf_printf(&b, ",\"now\":%" PRId64 ",\"now_iso\":\"%s\",\"entries\":[",
			       now / 1000000, iso);
		for (size_t i = 0; i < c.n; i++) {
			rw_sbuf_add(&b, i ? "," : "", i ? 1 : 0);
			rw_sbuf_add(&b, c.v[i].text.p ? c.v[i].text.p : "", c.v[i].text.len);
		}
		rw_sbuf_puts(&b, "],\"delegation\":");
		if (have_ns) {
			rw_sbuf_puts(&b, "{\"zone\":");
			rw_present_json_str(&b, zstr ? zstr : "?");
			rw_sbuf_puts(&b, ",\"ns\":");
			entry_json(&b, &ns, now);
			rw_sbuf_puts(&b, ",\"addresses\":");
			ns_addresses(&b, cache, &ns, now, true);
			rw_sbuf_puts(&b, "}");
		} else {
			rw_sbuf_puts(&b, "null");
		}
		rw_sbuf_puts(&b, "}\n");
	} else {
		rw_present_local_time(now, false, loc, sizeof(loc));
		rw_sbuf_printf(&b, ";; lookup %s at %s (local %s)\n", nstr ? nstr : "?", iso, loc);
		if (c.n == 0)
			rw_sbuf_printf(&b, ";; nothing cached at %s\n", nstr ? nstr : "?");
		else
			rw_sbuf_printf(&b, ";; %zu entr%s cached at %s\n", c.n,
				       c.n == 1 ? "y" : "ies", nstr ? nstr : "?");
		for (size_t i = 0; i < c.n; i++) {
			rw_sbuf_puts(&b, "\n");
			rw_sbuf_add(&b, c.v[i].text.p ? c.v[i].text.p : "", c.v[i].text.len);
		}
		rw_sbuf_puts(&b, "\n");
		if (!have_ns) {
			rw_sbuf_puts(
				&b,
				";; no delegation cached at or above it: the root hints would be "
				"used\n");
		} else if (ldns_dname_compare(ns.owner, name) == 0) {
			rw_sbuf_printf(
				&b, ";; closest cached delegation: %s itself (the NS set above)\n",
				zstr ? zstr : "?");
			ns_addresses(&b, cache, &ns, now, false);
		} else {
			rw_sbuf_printf(&b, ";; closest cached delegation above it: %s\n",
				       zstr ? zstr : "?");
			entry_text(&b, &ns, now);
			ns_addresses(&b, cache, &ns, now, false);
		}
	}
	if (have_ns)
		rw_cache_entry_clear(&ns);
	if (c.oom)
		b.oom = true;
	collect_free(&c);
	free(nstr);
	free(zstr);
	ldns_rdf_deep_free(name);
	control_respond_body(cb, arg, &b);
}

/* ---------------------------------------------------------------------------------------------
 * dump-cache: made in parts of about DUMP_PART_ENTRIES entries by a cache cursor (not a
 * snapshot: see rw_cache_walk_part), in the cache's order. With ops.part the caller paces the
 * parts (rw_control_continue), so a big cache never builds its whole text at once nor holds the
 * caller for long; without it, the parts are joined into one response.
 */

#define DUMP_PART_ENTRIES 128
#define DUMP_PART_BYTES	  (64 * 1024)

struct dump {
	struct dump *next, **pprev;
	uint64_t handle;
	rw_control_done_cb cb;
	void *arg;
	struct rw_cache_cursor cur;
	bool json, started;
	size_t count;
	int64_t now_us;
	struct rw_sbuf *out; /* the part being made */
};

static void dump_entry_cb(void *arg, const struct rw_cache_entry *e)
{
	struct dump *d = arg;
	struct rw_sbuf line = {0};

	if (d->json) {
		entry_json(&line, e, d->now_us);
		rw_sbuf_puts(&line, "\n");
	} else {
		rw_cachefile_format(&line, e, d->now_us);
	}
	if (line.oom)
		d->out->oom = true;
	else
		control_stuff(d->out, line.p, line.len);
	free(line.p);
	d->count++;
}

/* Append the next part to out: the status line first, the end marker last. Returns true when
 * the dump is complete. */
static bool dump_part(struct rw_control *ctl, struct dump *d, struct rw_sbuf *out)
{
	if (!d->started)
		rw_sbuf_puts(out, "ok\n");
	d->started = true;
	d->out = out;
	d->now_us = ctl->ops.now_wall_us(ctl->ops.ctx);
	/* A few entries at a time, so that a part also stays near DUMP_PART_BYTES when entries
	 * are big (an RRset may take kilobytes). */
	size_t entries = 0, start = out->len;
	while (!d->cur.done && entries < DUMP_PART_ENTRIES && out->len - start < DUMP_PART_BYTES)
		entries += rw_cache_walk_part(rw_resolver_cache(ctl->r), &d->cur, 16, d->now_us,
					      dump_entry_cb, d);
	d->out = NULL;
	if (!d->cur.done)
		return false;
	if (!d->json)
		rw_sbuf_printf(out, ";; %zu entries\n", d->count);
	rw_sbuf_puts(out, ".\n");
	return true;
}

static void dump_unlink(struct rw_control *ctl, struct dump *d)
{
	if (d->pprev) {
		*d->pprev = d->next;
		if (d->next)
			d->next->pprev = d->pprev;
	}
	free(d);
	(void)ctl;
}

/* Make and deliver the next part: to ops.part, or the last one to cb (d is freed then). */
static void dump_deliver(struct rw_control *ctl, struct dump *d)
{
	static const char oom[] = "error: out of memory\n.\n";
	static const char oom_late[] = ";; error: out of memory, the dump stops here\n.\n";
	struct rw_sbuf out = {0};
	bool first = !d->started;
	bool last = dump_part(ctl, d, &out);

	while (!last && !ctl->ops.part && !out.oom)
		last = dump_part(ctl, d, &out);
	if (out.oom) {
		d->cb(d->arg, first ? oom : oom_late,
		      first ? sizeof(oom) - 1 : sizeof(oom_late) - 1);
		dump_unlink(ctl, d);
	} else if (last) {
		rw_control_done_cb cb = d->cb;
		void *arg = d->arg;

		dump_unlink(ctl, d);
		cb(arg, out.p, out.len);
	} else {
		ctl->ops.part(d->arg, out.p, out.len);
	}
	free(out.p);
}

uint64_t control_dump(struct rw_control *ctl, const struct rw_control_request *req,
		      rw_control_done_cb cb, void *arg)
{
	struct dump *d = calloc(1, sizeof(*d));

	if (!d) {
		control_respond_error(cb, arg, "out of memory");
		return 0;
	}
	d->cb = cb;
	d->arg = arg;
	d->json = req->json;
	d->handle = ++ctl->next_handle;
	d->next = ctl->dumps;
	if (d->next)
		d->next->pprev = &d->next;
	ctl->dumps = d;
	d->pprev = &ctl->dumps;
	uint64_t h = d->handle;
	dump_deliver(ctl, d);
	for (struct dump *x = ctl->dumps; x; x = x->next)
		if (x->handle == h)
			return h; /* more to come */
	return 0;
}

static struct dump *dump_find(struct rw_control *ctl, uint64_t handle)
{
	for (struct dump *d = ctl->dumps; d; d = d->next)
		if (d->handle == handle)
			return d;
	return NULL;
}

bool control_dump_continue(struct rw_control *ctl, uint64_t handle)
{
	struct dump *d = dump_find(ctl, handle);

	if (!d)
		return false;
	dump_deliver(ctl, d);
	return true;
}

void control_dump_free_all(struct rw_control *ctl)
{
	while (ctl->dumps)
		dump_unlink(ctl, ctl->dumps);
}

bool control_dump_cancel(struct rw_control *ctl, uint64_t handle)
{
	struct dump *d = dump_find(ctl, handle);

	if (!d)
		return false;
	dump_unlink(ctl, d);
	return true;
}

/* flush ... bogus: bogus cache entries (on a build whose cache marks them) and the key cache's
 * bogus verdicts at and below name (NULL: everywhere). */
static void flush_bogus(struct rw_control *ctl, const ldns_rdf *name, const char *nstr,
			unsigned flags, struct rw_sbuf *b)
{
	size_t k = rw_keycache_flush(rw_resolver_shared(ctl->r)->keys, name, true);

#ifdef RW_FLUSH_BOGUS
	const char *where = name ? (flags & RW_FLUSH_SUBTREE ? "at and below " : "at ") : "";
	size_t n = rw_cache_flush(rw_resolver_cache(ctl->r), name, flags | RW_FLUSH_BOGUS);
	rw_sbuf_printf(b, "removed %zu bogus entr%s %s%s%s\n", n, n == 1 ? "y" : "ies", where,
		       name ? nstr : "(every name)",
		       flags & RW_FLUSH_NEGATIVE ? " (negative only)" : "");
#endif
	rw_sbuf_printf(b, "removed %zu bogus key cache entr%s %s%s\n", k, k == 1 ? "y" : "ies",
		       name ? "at and below " : "", name ? nstr : "(every zone)");
}

void control_flush(struct rw_control *ctl, const struct rw_control_request *req,
		   rw_control_done_cb cb, void *arg)
{
	struct rw_sbuf b = {0};
	ldns_rdf *name = NULL;
	unsigned flags = 0;
	size_t n;
	char *nstr = NULL;

	if (req->cmd == RW_CTL_FLUSH && req->name_len > 0) {
		name = ldns_dname_new_frm_data((uint16_t)req->name_len, req->name);
		if (!name) {
			control_respond_error(cb, arg, "out of memory");
			return;
		}
		nstr = rw_present_name(name);
		flags = (req->subtree ? RW_FLUSH_SUBTREE : 0) |
			(req->negative ? RW_FLUSH_NEGATIVE : 0);
	}
	if (req->bogus) {
		flush_bogus(ctl, name, nstr ? nstr : "?", flags, &b);
		free(nstr);
		ldns_rdf_deep_free(name);
		control_respond_body(cb, arg, &b);
		return;
	}
	n = rw_cache_flush(rw_resolver_cache(ctl->r), name, flags);
	/* the NSEC records that speak for the name (RFC 8198) go too */
	size_t m = rw_nseccache_flush(rw_resolver_shared(ctl->r)->nsec, name);
	if (name)
		rw_sbuf_printf(&b, "removed %zu entr%s %s %s%s\n", n, n == 1 ? "y" : "ies",
			       req->subtree ? "at and below" : "at", nstr ? nstr : "?",
			       req->negative ? " (negative entries only)" : "");
	else
		rw_sbuf_printf(&b, "removed %zu entr%s (the whole cache)\n", n,
			       n == 1 ? "y" : "ies");
	if (m)
		rw_sbuf_printf(&b, "removed %zu NSEC record%s of the aggressive NSEC cache\n", m,
			       m == 1 ? "" : "s");
	free(nstr);
	ldns_rdf_deep_free(name);
	control_respond_body(cb, arg, &b);
}
